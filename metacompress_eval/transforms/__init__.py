"""Semantics-preserving transformations that produce follow-up inputs.

Each family lives in its own module; this package keeps the registry. To add a transformation,
write a :class:`~metacompress_eval.transforms.base.Transformation` subclass and list it in
``_CLASSES``.
"""

from __future__ import annotations

from typing import Any

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.transforms.base import TransformResult, Transformation
from metacompress_eval.transforms.chain import Chain, apply_chain, build_chains, is_chain_spec
from metacompress_eval.transforms.dead_code import DeadCodeInsertion
from metacompress_eval.transforms.if_else_swap import IfElseSwap
from metacompress_eval.transforms.branches import ElseIfToNested, NestedToElseIf, SwitchToIf, TernaryToIf
from metacompress_eval.transforms.expressions import (
    BooleanLiteral,
    CompoundAssignmentExpansion,
    IncrementForm,
    OperandSwap,
    RedundantParentheses,
)
from metacompress_eval.transforms.loops import ForToWhile, LoopGuardNegation, WhileToFor
from metacompress_eval.transforms.statements import SwapStatements
from metacompress_eval.transforms.rename import RenameFunction, RenameVariables
from metacompress_eval.transforms.insertion import UnusedDeclaration
from metacompress_eval.transforms.layout import BlankLines, BraceStyle, CommentInsert, CommentRemove, Reindent

_CLASSES: tuple[type[Transformation], ...] = (
    RenameVariables,
    DeadCodeInsertion,
    IfElseSwap,
    ForToWhile,
    WhileToFor,
    ElseIfToNested,
    NestedToElseIf,
    SwitchToIf,
    TernaryToIf,
    LoopGuardNegation,
    OperandSwap,
    BooleanLiteral,
    IncrementForm,
    CompoundAssignmentExpansion,
    RedundantParentheses,
    SwapStatements,
    RenameFunction,
    UnusedDeclaration,
    Reindent,
    BraceStyle,
    BlankLines,
    CommentInsert,
    CommentRemove,
)
_REGISTRY: dict[str, type[Transformation]] = {cls.name: cls for cls in _CLASSES}

DEFAULT_TRANSFORMS: tuple[str, ...] = ("rename_variables", "dead_code", "if_else_swap")


def get_transformation(name: str, **params: Any) -> Transformation:
    """Instantiate the transformation called ``name`` (with optional parameters).

    Raises:
        MetaCompressError: if no transformation has that name, or a parameter is unknown.
    """
    cls = _REGISTRY.get(name)
    if cls is None:
        raise MetaCompressError(
            f"unknown transformation {name!r}; known transformations: {', '.join(sorted(_REGISTRY))}"
        )
    return cls(**params)


def list_transformations(language: str | None = None) -> list[Transformation]:
    """All registered transformations (with default parameters), optionally only those for ``language``."""
    return [cls() for cls in _CLASSES if language is None or language in cls.languages]


__all__ = [
    "Chain",
    "apply_chain",
    "build_chains",
    "is_chain_spec",
    "DEFAULT_TRANSFORMS",
    "TransformResult",
    "Transformation",
    "get_transformation",
    "list_transformations",
]
