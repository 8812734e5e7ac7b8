"""Scope analysis: which identifier occurrences denote which local variable.

The public interface (:class:`Scope`, :class:`Symbol`, :class:`ScopeAnalysis`, :func:`analyze`,
:func:`words_in`) and the per-language registry live in :mod:`.core`; the visitors share the
builder of :mod:`.builder`; each language has one module (:mod:`.c`, :mod:`.java`, :mod:`.python`,
:mod:`.javascript`, :mod:`.go`) holding its visitor and, for C and Java, the query-driven fast path
that gives the same result for the common snippet shapes. Importing the package registers every
language.
"""

from metacompress_eval.code.scopes.core import (
    LanguageScopes,
    Scope,
    ScopeAnalysis,
    Span,
    Symbol,
    analyze,
    has_scope_analysis,
    language_scopes,
    register_language,
    words_in,
)
from metacompress_eval.code.scopes import c, go, java, javascript, python  # noqa: F401  (registration)

__all__ = [
    "LanguageScopes",
    "Scope",
    "ScopeAnalysis",
    "Span",
    "Symbol",
    "analyze",
    "has_scope_analysis",
    "language_scopes",
    "register_language",
    "words_in",
]
