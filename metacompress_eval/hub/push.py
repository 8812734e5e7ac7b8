"""Upload to the Hub through ``huggingface_hub``: a model card with its badges (and the report), a dataset folder,
an imported model folder (``metacompress import --push``).

One commit (``HfApi.create_commit``) carries ``README.md``, the badge SVGs and, when asked, the
report folder, so the card never appears on the Hub without its images or with a dead link to its
full report; ``create_pr=True`` opens a pull request instead of committing to the branch. The
uploaded report is the public version of the folder: models and data named by Hub id or
file/folder name (:mod:`metacompress_eval.public_names`), never by a path of this machine.

The endpoint is ``huggingface_hub``'s (``HF_ENDPOINT``), the token is ``token=`` or
``huggingface_hub``'s usual lookup (``HF_TOKEN``, the stored login). Every failure becomes one
:class:`~metacompress_eval.errors.MetaCompressError` line; the token is never printed, logged or
put into an error message here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import MetaCompressError
from .cards import BADGE_DIR

#: Where ``--upload-report`` puts the report folder in the model repository.
DEFAULT_REPORT_DIR = "metacompress"
# Text files of a report folder that can carry the paths typed on the command line.
_TEXT_SUFFIXES = (".json", ".jsonl", ".md", ".txt", ".csv")


@dataclass
class PushResult:
    """Where the upload went (no secrets)."""

    repo_id: str
    commit_url: str | None
    pr_url: str | None
    files: list[str]


def _published(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".tmp")]


def uploaded_paths(card: str | Path, report_dir: str | Path, report_path_in_repo: str | None = None) -> set[str]:
    """The repository paths :func:`push_card` uploads for ``report_dir``'s card: ``README.md``, the badges,
    and the report folder when ``report_path_in_repo`` is given. Known before anything is written: what
    a relative link of the card may point to."""
    from .cards import badges, load_report

    report, folder = load_report(report_dir)
    names = {"README.md", *(f"{BADGE_DIR}/{name}" for name in badges(report))}
    badge_dir = Path(card).parent / BADGE_DIR
    if badge_dir.is_dir():
        names |= {f"{BADGE_DIR}/{svg.name}" for svg in badge_dir.glob("*.svg")}
    if report_path_in_repo is not None:
        prefix = report_path_in_repo.strip("/")
        names |= {f"{prefix}/{p.name}" if prefix else p.name for p in _published(folder)}
    return names


def report_files(report_dir: str | Path) -> dict[str, bytes]:
    """The files of a report folder as they are published: name → bytes, machine paths replaced.

    Every file at the top of the folder (``report.json``, ``report.md``, plots, ``predictions.jsonl``,
    ``follow_ups.jsonl``, ...); text files have the report's paths replaced by public names,
    ``report.json`` is rewritten with :func:`~metacompress_eval.public_names.public_report`.
    """
    from ..public_names import public_report, scrub_text
    from .cards import load_report

    report, folder = load_report(report_dir)
    out: dict[str, bytes] = {}
    for path in _published(folder):
        if path.name == "report.json":
            out[path.name] = (json.dumps(public_report(report), indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        elif path.suffix.lower() in _TEXT_SUFFIXES:
            out[path.name] = scrub_text(path.read_text(encoding="utf-8", errors="replace"), report).encode("utf-8")
        else:
            out[path.name] = path.read_bytes()
    return out


def push_card(card: str | Path, repo_id: str, *, token: str | None = None, create_pr: bool = False,
              revision: str | None = None, commit_message: str | None = None, report_dir: str | Path | None = None,
              report_path_in_repo: str = DEFAULT_REPORT_DIR) -> PushResult:
    """Upload ``card`` as the repository's ``README.md``, with the badges written next to it.

    Args:
        report_dir: also upload this report folder (its public version, see :func:`report_files`)
            into ``report_path_in_repo`` of the repository, in the same commit.

    Raises:
        MetaCompressError: when the card is missing or the Hub refuses the commit (message without
            the token).
    """
    from huggingface_hub import CommitOperationAdd, HfApi

    from ..hub_client import hub_errors

    card_path = Path(card)
    if not card_path.is_file():
        raise MetaCompressError(f"card not found: {card_path}")
    operations = [CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=str(card_path))]
    badge_dir = card_path.parent / BADGE_DIR
    if badge_dir.is_dir():
        for svg in sorted(badge_dir.glob("*.svg")):
            operations.append(CommitOperationAdd(path_in_repo=f"{BADGE_DIR}/{svg.name}", path_or_fileobj=str(svg)))
    if report_dir is not None:
        prefix = report_path_in_repo.strip("/")
        for name, data in report_files(report_dir).items():
            operations.append(CommitOperationAdd(path_in_repo=f"{prefix}/{name}" if prefix else name,
                                                 path_or_fileobj=data))
    with hub_errors(f"upload to {repo_id} failed", secrets=(token,)):
        info = HfApi(token=token).create_commit(
            repo_id=repo_id, repo_type="model", operations=operations, revision=revision, create_pr=create_pr,
            commit_message=commit_message or "Update behavioural fidelity (MetaCompress)",
            commit_description="Model card section, badges and model-index results written by `metacompress card`"
                               + (" and the full report" if report_dir is not None else "") + ".")
    return PushResult(repo_id=repo_id, commit_url=getattr(info, "commit_url", None),
                      pr_url=getattr(info, "pr_url", None), files=[op.path_in_repo for op in operations])


def push_folder(folder: str | Path, repo_id: str, *, token: str | None = None, create_pr: bool = False,
                revision: str | None = None, commit_message: str | None = None) -> PushResult:
    """Upload every file of ``folder`` (a ``metacompress import`` folder) to a model repository, in one commit.

    The repository is created when missing. Raises :class:`MetaCompressError` when the folder is missing
    or the Hub refuses (one token-free line).
    """
    from huggingface_hub import CommitOperationAdd, HfApi

    from ..hub_client import hub_errors

    root = Path(folder)
    if not root.is_dir():
        raise MetaCompressError(f"folder not found: {root}")
    operations = [CommitOperationAdd(path_in_repo=p.relative_to(root).as_posix(), path_or_fileobj=str(p))
                  for p in sorted(root.rglob("*")) if p.is_file()]
    with hub_errors(f"upload to {repo_id} failed", secrets=(token,)):
        api = HfApi(token=token)
        api.create_repo(repo_id, repo_type="model", exist_ok=True)
        info = api.create_commit(
            repo_id=repo_id, repo_type="model", operations=operations, revision=revision, create_pr=create_pr,
            commit_message=commit_message or "Import with metacompress-eval",
            commit_description="Weights, tokenizer, metacompress.json and model card written by `metacompress import`.")
    return PushResult(repo_id=repo_id, commit_url=getattr(info, "commit_url", None),
                      pr_url=getattr(info, "pr_url", None), files=[op.path_in_repo for op in operations])
