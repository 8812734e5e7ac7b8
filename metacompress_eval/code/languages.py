"""Parsing code snippets with tree-sitter, in the coordinates of the original snippet.

Snippets in code-model datasets are rarely complete files: BigCloneBench holds bare Java methods,
Python samples are often indented methods cut out of a class. :func:`parse` therefore tries a small,
declarative list of *wrappings* per language (text put before and after the snippet) and keeps the
first one that parses without errors (or the one with the fewest errors). Every span that
:class:`ParsedCode` hands out is shifted back so that it is a byte offset into the ORIGINAL snippet;
callers never see the wrapper.

Adding a language means adding one :class:`LanguageSpec` to ``_SPECS``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from tree_sitter import Language, Node, Parser

from metacompress_eval.errors import MetaCompressError


@dataclass(frozen=True)
class Wrapping:
    """Text placed around a snippet so that tree-sitter sees a complete program.

    ``applies`` decides from the snippet text whether this wrapping is worth trying.
    """

    name: str
    prefix: str
    suffix: str
    applies: Callable[[str], bool] = lambda code: True


def _first_code_line_indented(code: str) -> bool:
    for line in code.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line[0] in " \t"
    return False


@dataclass(frozen=True)
class LanguageSpec:
    """Everything the package needs to know to parse one language."""

    name: str
    module: str  # the tree-sitter grammar package
    wrappings: tuple[Wrapping, ...] = field(default_factory=tuple)
    extensions: tuple[str, ...] = ()


_SPECS: dict[str, LanguageSpec] = {
    "c": LanguageSpec("c", "tree_sitter_c", (Wrapping("none", "", ""),), (".c", ".h")),
    "java": LanguageSpec(
        "java",
        "tree_sitter_java",
        (
            Wrapping("none", "", ""),
            # BigCloneBench rows are bare methods; a class around them makes a compilation unit.
            Wrapping("class", "class __MCWrapper__ {\n", "\n}\n"),
        ),
        (".java",),
    ),
    "python": LanguageSpec(
        "python",
        "tree_sitter_python",
        (
            Wrapping("none", "", ""),
            # An indented method becomes the body of a dummy ``if``: no class scope is introduced,
            # so scoping rules inside the snippet stay those of a plain function.
            Wrapping("indented", "if True:\n", "\n", _first_code_line_indented),
        ),
        (".py",),
    ),
    "javascript": LanguageSpec("javascript", "tree_sitter_javascript", (Wrapping("none", "", ""),),
                               (".js", ".mjs", ".cjs")),
    "go": LanguageSpec(
        "go",
        "tree_sitter_go",
        (
            Wrapping("none", "", ""),
            # Go functions are only valid inside a file with a package clause.
            Wrapping("package", "package main\n", "\n"),
        ),
        (".go",),
    ),
}

SUPPORTED_LANGUAGES: tuple[str, ...] = tuple(_SPECS)


def language_spec(language: str) -> LanguageSpec:
    """Return the :class:`LanguageSpec` of ``language`` or raise :class:`MetaCompressError`."""
    spec = _SPECS.get(language)
    if spec is None:
        raise MetaCompressError(
            f"unsupported language {language!r}; supported languages: {', '.join(SUPPORTED_LANGUAGES)}"
        )
    return spec


@lru_cache(maxsize=None)
def ts_language(language: str) -> Language:
    """The tree-sitter :class:`Language` object of a supported language (cached)."""
    spec = language_spec(language)
    return Language(importlib.import_module(spec.module).language())


@lru_cache(maxsize=None)
def _parser(language: str) -> Parser:
    return Parser(ts_language(language))


def count_errors(node: Node) -> int:
    """Number of ERROR and MISSING nodes in the subtree of ``node``."""
    if not node.has_error:
        return 0
    total = 0
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "ERROR" or current.is_missing:
            total += 1
        if current.has_error or current.is_missing:
            stack.extend(current.children)
    return total


@dataclass
class ParsedCode:
    """A parsed snippet. Spans returned by :meth:`span` are byte offsets into :attr:`data`.

    Attributes:
        language: language name (one of :data:`SUPPORTED_LANGUAGES`).
        code: the original snippet text.
        data: the original snippet as UTF-8 bytes.
        root: the tree-sitter root node (of the wrapped text, if a wrapping was needed).
        wrapping: name of the wrapping used (``"none"`` when the snippet was parsed as is).
        offset: number of wrapper bytes before the snippet in the parsed text.
    """

    language: str
    code: str
    data: bytes
    root: Node
    wrapping: str
    offset: int
    tree: object = None

    def error_count(self) -> int:
        """Number of ERROR + MISSING nodes in the parse tree."""
        return count_errors(self.root)

    def span(self, node: Node) -> tuple[int, int]:
        """``(start, end)`` of ``node`` as byte offsets into the original snippet (clamped)."""
        size = len(self.data)
        start = min(max(node.start_byte - self.offset, 0), size)
        end = min(max(node.end_byte - self.offset, 0), size)
        return start, end

    def text(self, node: Node) -> str:
        """Source text of ``node`` (only the part inside the original snippet)."""
        start, end = self.span(node)
        return self.data[start:end].decode("utf-8", errors="replace")

    def in_snippet(self, node: Node) -> bool:
        """Whether ``node`` lies entirely inside the original snippet (not in the wrapper)."""
        return node.start_byte >= self.offset and node.end_byte <= self.offset + len(self.data)

    def line_start(self, pos: int) -> int:
        """Byte offset of the start of the line containing original offset ``pos``."""
        return self.data.rfind(b"\n", 0, pos) + 1

    def column(self, pos: int) -> int:
        """Byte column of original offset ``pos``."""
        return pos - self.line_start(pos)

    def starts_line(self, pos: int) -> bool:
        """Whether only whitespace precedes original offset ``pos`` on its line."""
        return self.data[self.line_start(pos) : pos].strip() == b""


def parse(code: str, language: str) -> ParsedCode:
    """Parse ``code`` as ``language``, wrapping it if that is needed for a clean parse.

    Raises:
        MetaCompressError: if ``language`` is not supported.
    """
    spec = language_spec(language)
    parser = _parser(language)
    data = code.encode("utf-8")
    best: ParsedCode | None = None
    best_errors = 0
    for wrapping in spec.wrappings:
        if not wrapping.applies(code):
            continue
        prefix = wrapping.prefix.encode("utf-8")
        tree = parser.parse(prefix + data + wrapping.suffix.encode("utf-8"))
        parsed = ParsedCode(language, code, data, tree.root_node, wrapping.name, len(prefix), tree)
        errors = parsed.error_count()
        if best is None or errors < best_errors:
            best, best_errors = parsed, errors
        if errors == 0:
            break
    assert best is not None
    return best
