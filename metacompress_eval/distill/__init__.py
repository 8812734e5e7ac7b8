"""Distillation recipes: make a student that ``metacompress evaluate`` can test.

``metacompress distill --method {compressor,avatar,morph,fidelity}`` (see docs/distillation.md).
Submodules: :mod:`.search_space` (the architecture search space: configurations, size, FLOPs), :mod:`.search` (pymoo GA / NSGA-II /
NSGA-III), :mod:`.surrogate` (scikit-learn), :mod:`.losses`, :mod:`.train`, :mod:`.recipes`,
:mod:`.card`, and :mod:`.common` (helpers shared with the demo trainers).

Names are imported lazily: :mod:`metacompress_eval.demo.training` imports :mod:`.common`, and
that must not pull in pymoo or scikit-learn.
"""

from __future__ import annotations

#: The recipes, in the order the CLI lists them (kept here, not in :mod:`.recipes`, so that listing
#: them does not import torch).
METHODS: tuple[str, ...] = ("compressor", "avatar", "morph", "fidelity")

__all__ = ["METHODS", "DistillSettings", "DistillResult", "distil", "StudentConfig", "SearchSpace", "parse_size"]


def __getattr__(name: str):
    if name in ("DistillSettings", "DistillResult", "distil"):
        from . import recipes

        return getattr(recipes, name)
    if name in ("StudentConfig", "SearchSpace", "parse_size"):
        from . import search_space

        return getattr(search_space, name)
    raise AttributeError(name)
