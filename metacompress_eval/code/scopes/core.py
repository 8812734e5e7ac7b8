"""Scope analysis: which identifier occurrences denote which local variable.

Renaming must never be a text substitution: ``p->count`` and a local ``count`` are different
things, an inner block may redeclare a name, a Python comprehension has its own scope. This module
builds a scope tree per language, records every declaration (parameters, locals, loop variables,
catch/except variables, lambda and comprehension variables, ...) and resolves each identifier
*use* to the declaration it denotes, following that language's rules:

* C and Java are block-scoped and a declaration takes effect where it appears; the tree is walked
  in source order, so a use before an inner redeclaration still resolves to the outer variable.
* JavaScript hoists: ``var`` belongs to the function, ``let``/``const``/``class`` to the block,
  and every declaration is visible in its whole scope, so uses are resolved after all declarations
  are collected. Shorthand properties (``{x}``) are recorded so a rename can keep the key.
* Go is block-scoped like C, with ``:=`` reusing a name already declared in the same scope;
  selectors, struct-literal keys and labels are never variables.
* Python is function-scoped: a name bound anywhere in a function is local to the whole function;
  comprehensions, lambdas and nested functions are scopes of their own, class bodies are skipped
  when resolving free names from nested functions (as Python does).

Each :class:`Symbol` says whether it is safe to rename and, if not, why (a parameter whose name is
part of a Python keyword-call interface, a name listed in ``global``, a function using ``locals()``,
a variable referenced from an anonymous class body, ...). Names that cannot be resolved (globals,
external functions, macros, builtins) are reported as unresolved and never renamed.

All spans are byte offsets into the original snippet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from metacompress_eval.code.languages import ParsedCode

if TYPE_CHECKING:
    from metacompress_eval.code.scopes.builder import ScopeBuilder

Span = tuple[int, int]


@dataclass(eq=False)
class Scope:
    """A region of code that can hold declarations."""

    kind: str
    start: int
    end: int
    parent: Scope | None = None
    children: list[Scope] = field(default_factory=list)
    symbols: dict[str, Symbol] = field(default_factory=dict)


@dataclass(eq=False)
class Symbol:
    """One declared entity (a variable, parameter, function name, ...) and every occurrence of it.

    Attributes:
        name: the identifier.
        scope: scope that declares it.
        kind: ``"local"``, ``"parameter"``, ``"varargs"``, ``"function"``, ``"field"``, ...
        declarations: spans of the identifier at each declaration (several for merged redeclarations
            in the same scope, e.g. in two ``#ifdef`` branches or repeated Python assignments).
        uses: spans of identifier occurrences resolved to this symbol.
        unsafe_reason: why renaming it could change behaviour; ``None`` when it is safe.
        shorthand: the subset of occurrences that are JavaScript shorthand properties (``{x}`` in an
            object literal or pattern); renaming ``x`` there must write ``x: new`` so the property
            key keeps its name.
    """

    name: str
    scope: Scope
    kind: str
    declarations: list[Span] = field(default_factory=list)
    uses: list[Span] = field(default_factory=list)
    unsafe_reason: str | None = None
    shorthand: list[Span] = field(default_factory=list)

    @property
    def renamable(self) -> bool:
        """Whether the symbol may be renamed."""
        return self.unsafe_reason is None

    def occurrences(self) -> list[Span]:
        """Sorted, de-duplicated spans of all declarations and uses."""
        return sorted(set(self.declarations) | set(self.uses))

    def mark_unsafe(self, reason: str) -> None:
        """Forbid renaming (keeps the first reason)."""
        if self.unsafe_reason is None:
            self.unsafe_reason = reason


@dataclass
class ScopeAnalysis:
    """Result of :func:`analyze`: the scope tree, all symbols and the unresolved names."""

    language: str
    root: Scope
    symbols: list[Symbol]
    unresolved: list[tuple[str, Span]]

    def renamable_symbols(self) -> list[Symbol]:
        """Symbols safe to rename, ordered by their first declaration."""
        found = [s for s in self.symbols if s.renamable and s.declarations]
        return sorted(found, key=lambda s: min(s.declarations))

    def symbol_at(self, start: int) -> Symbol | None:
        """The symbol having an occurrence that starts at byte ``start``, if any."""
        for symbol in self.symbols:
            if any(span[0] == start for span in symbol.occurrences()):
                return symbol
        return None


_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def words_in(data: bytes) -> set[str]:
    """Every identifier-like word in ``data`` (used to reject names occurring anywhere)."""
    # Deduplicate the matches in C before decoding each distinct word once.
    return {word.decode() for word in set(_WORD.findall(data))}


# ------------------------------------------------------------------------------ language registry


@dataclass(frozen=True)
class LanguageScopes:
    """How one language is analysed: a visitor (``builder``) that handles every snippet, and
    optionally a ``fast_path`` that returns the same :class:`ScopeAnalysis` for common snippet
    shapes from one tree-sitter query, or ``None`` when the snippet is outside that shape.

    ``tests/code/test_scope_fast_paths.py`` keeps every fast path equal to its visitor.
    """

    language: str
    builder: type[ScopeBuilder]
    fast_path: Callable[[ParsedCode], ScopeAnalysis | None] | None = None

    def visit(self, parsed: ParsedCode) -> ScopeAnalysis:
        """The visitor's analysis (never the fast path)."""
        return self.builder(parsed).build()

    def analyze(self, parsed: ParsedCode) -> ScopeAnalysis:
        """The fast path's analysis when it handles ``parsed``, else the visitor's."""
        if self.fast_path is not None:
            result = self.fast_path(parsed)
            if result is not None:
                return result
        return self.visit(parsed)


_LANGUAGES: dict[str, LanguageScopes] = {}


def register_language(
    language: str,
    builder: type[ScopeBuilder],
    fast_path: Callable[[ParsedCode], ScopeAnalysis | None] | None = None,
) -> LanguageScopes:
    """Register the scope analysis of ``language`` (each language module calls this once)."""
    entry = LanguageScopes(language, builder, fast_path)
    _LANGUAGES[language] = entry
    return entry


def language_scopes(language: str) -> LanguageScopes:
    """The registered analysis of ``language``.

    Raises:
        KeyError: if the language has no scope analyser.
    """
    return _LANGUAGES[language]


def analyze(parsed: ParsedCode) -> ScopeAnalysis:
    """Build the scope tree of ``parsed`` and resolve every identifier use.

    Symbols whose names are data (an f-string ``=``, a stringifying macro, a function that reads
    its own namespace, ...) are marked unsafe to rename (see :mod:`.data_names`).

    Raises:
        KeyError: if the language has no scope analyser.
    """
    from metacompress_eval.code.scopes.data_names import mark_data_names

    return mark_data_names(parsed, _LANGUAGES[parsed.language].analyze(parsed))


def has_scope_analysis(language: str) -> bool:
    """Whether :func:`analyze` supports ``language``."""
    return language in _LANGUAGES
