"""Upload a model card (and its badges) to a Hub model repository through ``huggingface_hub``.

One commit (``HfApi.create_commit``) carries ``README.md`` and the badge SVGs, so the card never
appears on the Hub without its images; ``create_pr=True`` opens a pull request instead of
committing to the branch. The endpoint is ``huggingface_hub``'s (``HF_ENDPOINT``), the token is
``token=`` or ``huggingface_hub``'s usual lookup (``HF_TOKEN``, the stored login). The token is
never printed, logged or put into an error message here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import MetaCompressError
from .cards import BADGE_DIR


@dataclass
class PushResult:
    """Where the upload went (no secrets)."""

    repo_id: str
    commit_url: str | None
    pr_url: str | None
    files: list[str]


def _scrub(message: str, token: str | None) -> str:
    # Errors raised by the HTTP stack can echo request details; make sure a token is never among them.
    return message.replace(token, "***") if token else message


def push_card(card: str | Path, repo_id: str, *, token: str | None = None, create_pr: bool = False,
              revision: str | None = None, commit_message: str | None = None) -> PushResult:
    """Upload ``card`` as the repository's ``README.md``, with the badges written next to it.

    Raises:
        MetaCompressError: when the card is missing or the Hub refuses the commit (message without
            the token).
    """
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.utils import get_token

    card_path = Path(card)
    if not card_path.is_file():
        raise MetaCompressError(f"card not found: {card_path}")
    operations = [CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=str(card_path))]
    badge_dir = card_path.parent / BADGE_DIR
    if badge_dir.is_dir():
        for svg in sorted(badge_dir.glob("*.svg")):
            operations.append(CommitOperationAdd(path_in_repo=f"{BADGE_DIR}/{svg.name}", path_or_fileobj=str(svg)))
    secret = token or get_token()
    api = HfApi(token=token)
    try:
        info = api.create_commit(repo_id=repo_id, repo_type="model", operations=operations, revision=revision,
                                 create_pr=create_pr,
                                 commit_message=commit_message or "Update behavioural fidelity (MetaCompress)",
                                 commit_description="Model card section, badges and model-index results written by "
                                                    "`metacompress card`.")
    except Exception as exc:  # noqa: BLE001 - every failure becomes a one-line, token-free message
        raise MetaCompressError(f"upload to {repo_id} failed: {_scrub(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, secret)}") from None
    return PushResult(repo_id=repo_id, commit_url=getattr(info, "commit_url", None),
                      pr_url=getattr(info, "pr_url", None), files=[op.path_in_repo for op in operations])
