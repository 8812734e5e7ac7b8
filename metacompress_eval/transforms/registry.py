"""The registry of transformations: every transformation class, listed once, in a fixed order.

The order is part of the output: ``--transforms all`` and :func:`list_transformations` follow it,
and follow-up files list transformations in that order. A new transformation is appended to
:data:`TRANSFORMATIONS` (see ``docs/architecture.md``).
"""

from __future__ import annotations

from typing import Any

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.transforms.base import Transformation
from metacompress_eval.transforms.control_flow.else_if_to_nested import ElseIfToNested
from metacompress_eval.transforms.control_flow.for_to_while import ForToWhile
from metacompress_eval.transforms.control_flow.if_else_swap import IfElseSwap
from metacompress_eval.transforms.control_flow.loop_guard_negation import LoopGuardNegation
from metacompress_eval.transforms.control_flow.nested_to_else_if import NestedToElseIf
from metacompress_eval.transforms.control_flow.switch_to_if import SwitchToIf
from metacompress_eval.transforms.control_flow.ternary_to_if import TernaryToIf
from metacompress_eval.transforms.control_flow.while_to_for import WhileToFor
from metacompress_eval.transforms.expressions.boolean_literal import BooleanLiteral
from metacompress_eval.transforms.expressions.compound_assignment_expansion import CompoundAssignmentExpansion
from metacompress_eval.transforms.expressions.increment_form import IncrementForm
from metacompress_eval.transforms.expressions.operand_swap import OperandSwap
from metacompress_eval.transforms.expressions.redundant_parentheses import RedundantParentheses
from metacompress_eval.transforms.insertion.dead_code import DeadCodeInsertion
from metacompress_eval.transforms.insertion.unused_declaration import UnusedDeclaration
from metacompress_eval.transforms.layout.blank_lines import BlankLines
from metacompress_eval.transforms.layout.brace_style import BraceStyle
from metacompress_eval.transforms.layout.comment_insert import CommentInsert
from metacompress_eval.transforms.layout.comment_remove import CommentRemove
from metacompress_eval.transforms.layout.reindent import Reindent
from metacompress_eval.transforms.renaming.rename_function import RenameFunction
from metacompress_eval.transforms.renaming.rename_variables import RenameVariables
from metacompress_eval.transforms.statements.swap_statements import SwapStatements

TRANSFORMATIONS: tuple[type[Transformation], ...] = (
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
# Name -> class. Tests may register a test-only class here (``monkeypatch.setitem``).
BY_NAME: dict[str, type[Transformation]] = {cls.name: cls for cls in TRANSFORMATIONS}

DEFAULT_TRANSFORMS: tuple[str, ...] = ("rename_variables", "dead_code", "if_else_swap")


def get_transformation(name: str, **params: Any) -> Transformation:
    """Instantiate the transformation called ``name`` (with optional parameters).

    Raises:
        MetaCompressError: if no transformation has that name, or a parameter is unknown.
    """
    cls = BY_NAME.get(name)
    if cls is None:
        raise MetaCompressError(
            f"unknown transformation {name!r}; known transformations: {', '.join(sorted(BY_NAME))}"
        )
    return cls(**params)


def list_transformations(language: str | None = None) -> list[Transformation]:
    """All registered transformations (with default parameters), optionally only those for ``language``."""
    return [cls() for cls in TRANSFORMATIONS if language is None or language in cls.languages]


def families() -> dict[str, list[str]]:
    """Family -> names of its transformations, in registry order."""
    found: dict[str, list[str]] = {}
    for cls in TRANSFORMATIONS:
        found.setdefault(cls.family, []).append(cls.name)
    return found


def languages() -> dict[str, list[str]]:
    """Language -> names of the transformations that support it, in registry order."""
    found: dict[str, list[str]] = {}
    for cls in TRANSFORMATIONS:
        for language in sorted(cls.languages):
            found.setdefault(language, []).append(cls.name)
    return dict(sorted(found.items()))
