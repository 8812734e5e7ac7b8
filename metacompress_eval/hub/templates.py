"""The card templates: one source of truth in the repository's top-level ``cards/`` folder.

``cards/`` holds the model-card section (``fidelity_section.md``, ``attack_section.md``,
``representation_section.md``), the card a missing model card starts from (``model_card.md``), the
dataset card (``dataset_card.md``) and the badge (``badge.svg``). In a source checkout (and an editable install) they are read from there;
a built wheel carries a copy as package data in ``metacompress_eval/hub/cards/`` (``setup.py``
copies the folder at build time), which is used when present.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

from ..errors import MetaCompressError

_PACKAGED = Path(__file__).resolve().parent / "cards"
_ROOT = Path(__file__).resolve().parents[2]
# Only a source checkout's cards/ (next to pyproject.toml): an installed package's grandparent is
# site-packages, where a "cards" folder would belong to someone else.
_CHECKOUT = _ROOT / "cards" if (_ROOT / "pyproject.toml").is_file() else _PACKAGED


def template_path(name: str) -> Path:
    """Path of the template ``name`` (e.g. ``"fidelity_section.md"``)."""
    for folder in (_PACKAGED, _CHECKOUT):
        if (folder / name).is_file():
            return folder / name
    raise MetaCompressError(f"card template {name} is missing (looked in {_PACKAGED} and {_CHECKOUT}); "
                            "the installation is incomplete")


def render(name: str, **values: object) -> str:
    """The template ``name`` with its ``$placeholders`` filled (every placeholder must be given)."""
    return Template(template_path(name).read_text(encoding="utf-8")).substitute(values)
