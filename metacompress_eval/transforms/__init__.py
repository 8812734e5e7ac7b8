"""Semantics-preserving transformations that produce follow-up inputs.

One transformation per module, grouped by family: ``renaming/``, ``insertion/``, ``control_flow/``,
``expressions/``, ``statements/``, ``layout/``. :mod:`.base` holds the base class every
transformation extends, :mod:`.registry` the list of all of them (and :func:`get_transformation`,
:func:`list_transformations`, :data:`DEFAULT_TRANSFORMS`), :mod:`.chain` the chains of several,
:mod:`.sites` the statement sites shared by insertion-like transformations. To add a
transformation, see ``docs/architecture.md``.
"""

from __future__ import annotations

from metacompress_eval.transforms.base import TransformResult, Transformation
from metacompress_eval.transforms.chain import Chain, apply_chain, build_chains, is_chain_spec
from metacompress_eval.transforms.registry import (
    DEFAULT_TRANSFORMS,
    families,
    get_transformation,
    languages,
    list_transformations,
)

__all__ = [
    "Chain",
    "apply_chain",
    "build_chains",
    "is_chain_spec",
    "DEFAULT_TRANSFORMS",
    "TransformResult",
    "Transformation",
    "families",
    "get_transformation",
    "languages",
    "list_transformations",
]
