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
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
import re
from typing import Callable, Iterable, Iterator

from tree_sitter import Language, Node, Parser, Query, QueryCursor

from metacompress_eval.code.edits import Edit, by_position
from metacompress_eval.code.line_breaks import cr_only, line_break
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


def walk_tree(node: Node, skip: frozenset[str] | set[str] = frozenset()) -> Iterator[Node]:
    """Pre-order walk of ``node``'s subtree, not descending into node types in ``skip`` (``node``
    itself is always descended into).

    Uses a :class:`~tree_sitter.TreeCursor`: tree-sitter builds a new Python object (and list) for
    every ``children`` access, so moving a cursor is ~2.5x cheaper than a stack of child lists.
    """
    yield node
    cursor = node.walk()
    if not cursor.goto_first_child():
        return
    depth = 1
    while True:
        current = cursor.node
        yield current
        if current.type not in skip and cursor.goto_first_child():
            depth += 1
            continue
        while not cursor.goto_next_sibling():
            cursor.goto_parent()
            depth -= 1
            if depth == 0:
                return


@lru_cache(maxsize=None)
def _type_query(language: str, types: frozenset[str]) -> Query | None:
    """One compiled query capturing every node whose type is in ``types`` (cached: compiling a
    query costs far more than running it). Types the grammar does not have are left out."""
    lang = ts_language(language)
    patterns = []
    for name in sorted(types):
        if lang.id_for_node_kind(name, True) is not None:
            patterns.append(f"({name})")
        elif lang.id_for_node_kind(name, False) is not None:
            patterns.append('"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"')
    if not patterns:
        return None
    return Query(lang, "[" + " ".join(patterns) + "] @node")


def nodes_of_types(root: Node, language: str, types: frozenset[str]) -> list[Node]:
    """The nodes of ``root``'s subtree (``root`` included) whose type is in ``types``, in pre-order.

    Same result as filtering a full walk, but the matching runs inside tree-sitter: only the matching
    nodes become Python objects, which makes it several times cheaper than walking in Python.
    """
    query = _type_query(language, types)
    if query is None:
        return []
    return sort_preorder(QueryCursor(query).captures(root).get("node", []))


def sort_preorder(nodes: list[Node]) -> list[Node]:
    """Sort distinct nodes of one tree into pre-order (in place; also returned)."""
    # An ancestor starts no later and ends no earlier than its descendants; nodes with the very
    # same span are ordered by depth.
    nodes.sort(key=lambda n: (n.start_byte, -n.end_byte))
    for i in range(len(nodes) - 1):
        if nodes[i].start_byte == nodes[i + 1].start_byte and nodes[i].end_byte == nodes[i + 1].end_byte:
            return _sort_same_spans(nodes)
    return nodes


def _depth(node: Node) -> int:
    depth = 0
    while node.parent is not None:
        node = node.parent
        depth += 1
    return depth


def _sort_same_spans(nodes: list[Node]) -> list[Node]:
    """``nodes`` sorted by ``(start, -end)`` already: order each run of nodes with the very same
    span by depth (stable, so the same order as sorting everything by ``(start, -end, depth)``)
    - only the nodes in such runs need their depth."""
    spans = [(n.start_byte, n.end_byte) for n in nodes]
    i = 0
    count = len(nodes)
    while i < count - 1:
        j = i + 1
        while j < count and spans[j] == spans[i]:
            j += 1
        if j - i > 1:
            nodes[i:j] = _same_span_order(nodes[i:j])
        i = j
    return nodes


def _same_span_order(run: list[Node]) -> list[Node]:
    """Distinct nodes with one and the same span, outermost first. They lie on one chain of
    ancestors: the outermost is the one whose same-span descendants include all the others (a look
    down that chain, instead of ``_depth``'s climb to the root per node, which costs the depth
    squared)."""
    wanted = {n.id for n in run}
    span = (run[0].start_byte, run[0].end_byte)
    for top in run:
        order = [top]
        stack = [top]
        while stack:
            for child in stack.pop().children:
                if (child.start_byte, child.end_byte) == span:
                    if child.id in wanted:
                        order.append(child)
                    stack.append(child)
        if len(order) == len(run):
            return order
    return sorted(run, key=_depth)


@lru_cache(maxsize=None)
def preproc_types(language: str) -> frozenset[str]:
    """Every node type of ``language``'s grammar whose name starts with ``preproc_``."""
    lang = ts_language(language)
    return frozenset(name for i in range(lang.node_kind_count)
                     if (name := lang.node_kind_for_id(i)) is not None and name.startswith("preproc_"))


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


# The whitespace ``bytes.strip`` removes, except the newline: the run at the start of each line.
_LEADING_WHITESPACE = re.compile(rb"^[ \t\r\x0b\x0c]*", re.MULTILINE)
# Up to this size a search back from the position is cheaper than indexing every line of the snippet
# (a typical function is a few hundred bytes and asks for a few line starts); longer snippets, where
# a search could cost the length of a minified line per call, use the index.
_SHORT_SNIPPET = 4096


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
        context: what the snippet's enclosing file tells (a
            :class:`~metacompress_eval.code.context.Context`), or ``None`` when none was given.
        error_regions: for a snippet with LOCAL parse errors, the spans of the statements holding
            them (nothing may edit them; see :mod:`metacompress_eval.code.refusals`); else empty.
        analyses: per-snippet cache of derived facts (macro tables, declared names, ...).
        crlf: whether a CRLF occurs in the snippet (see :meth:`span`).
    """

    language: str
    code: str
    data: bytes
    root: Node
    wrapping: str
    offset: int
    tree: object = None
    context: object = None
    error_regions: list = field(default_factory=list)
    analyses: dict = field(default_factory=dict)
    crlf: bool = field(init=False, repr=False)
    # The tree was parsed from a respelling of ``data`` other than the CR-only one (see parse).
    respelled: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self.crlf = b"\r\n" in self.data

    @property
    def newline(self) -> str:
        """The line break every line break a transformation adds must be: the snippet's own
        convention (``"\\r\\n"`` for a CRLF snippet; see :mod:`metacompress_eval.code.line_breaks`)."""
        return line_break(self.code, self.language)

    def error_count(self) -> int:
        """Number of ERROR + MISSING nodes in the parse tree."""
        return count_errors(self.root)

    def span(self, node: Node) -> tuple[int, int]:
        """``(start, end)`` of ``node`` as byte offsets into the original snippet (clamped).

        A node never ends with the CR of a CRLF: the line-comment tokens of the grammars (``//...``,
        ``#...``) take every byte up to the LF, so a comment - and a block or statement ending in
        one - would take the CR along, and moving or removing it would split the CRLF."""
        # Clamped as min(max(x, 0), size), without two builtin calls per bound (this runs for
        # nearly every node a transformation looks at).
        size = len(self.data)
        offset = self.offset
        start = node.start_byte - offset
        if start < 0:
            start = 0
        elif start > size:
            start = size
        end = node.end_byte - offset
        if end < 0:
            end = 0
        elif end > size:
            end = size
        if self.crlf and end > start and self.data[end - 1] == 0x0D and self.data[end : end + 1] == b"\n":
            end -= 1
        return start, end

    def text(self, node: Node) -> str:
        """Source text of ``node`` (only the part inside the original snippet)."""
        start, end = self.span(node)
        return self.data[start:end].decode("utf-8", errors="replace")

    def in_snippet(self, node: Node) -> bool:
        """Whether ``node`` lies entirely inside the original snippet (not in the wrapper)."""
        return node.start_byte >= self.offset and node.end_byte <= self.offset + len(self.data)

    def line_start(self, pos: int) -> int:
        """Byte offset of the start of the line containing original offset ``pos``.

        Lines end at an LF (the LF of a CRLF included): transformations see a CR-only snippet in its
        LF spelling (``Transformation.apply``)."""
        if not 0 <= pos <= len(self.data) or len(self.data) <= _SHORT_SNIPPET:
            return self.data.rfind(b"\n", 0, pos) + 1
        starts = self._lines()[0]
        return starts[bisect_right(starts, pos) - 1]

    def column(self, pos: int) -> int:
        """Byte column of original offset ``pos``."""
        return pos - self.line_start(pos)

    def starts_line(self, pos: int) -> bool:
        """Whether only whitespace precedes original offset ``pos`` on its line."""
        if not 0 <= pos <= len(self.data) or len(self.data) <= _SHORT_SNIPPET:
            return self.data[self.line_start(pos) : pos].strip() == b""
        starts, indented = self._lines()
        return pos <= indented[bisect_right(starts, pos) - 1]

    def _lines(self) -> tuple[list[int], list[int]]:
        """Start of every line and end of its leading whitespace (computed once per snippet:
        searching back from each position cost the length of the line, and a minified function is
        one long line)."""
        lines = self.analyses.get("line_index")
        if lines is None:
            ends = [m.end() for m in _LEADING_WHITESPACE.finditer(self.data)]
            starts = [0]
            find = self.data.find
            at = find(b"\n")
            while at >= 0:
                starts.append(at + 1)
                at = find(b"\n", at + 1)
            lines = self.analyses["line_index"] = (starts, ends)
        return lines


def parse(code: str, language: str) -> ParsedCode:
    """Parse ``code`` as ``language``, wrapping it if that is needed for a clean parse.

    A snippet whose lines end in a lone CR (C, Java, Python, JavaScript) is parsed in its LF
    spelling - the grammars end line comments and preprocessor lines only at an LF - with the same
    offsets; :attr:`ParsedCode.data` keeps the CRs (see :mod:`metacompress_eval.code.line_breaks`). A
    backslash before a CRLF is read as before an LF when that parses better (C).

    Raises:
        MetaCompressError: if ``language`` is not supported.
    """
    data = code.encode("utf-8")
    # One byte for one byte: every offset of the tree is an offset into ``data``.
    best = _parse_spelled(code, language, data, data.replace(b"\r", b"\n") if cr_only(code, language) else data)
    if best.root.has_error and b"\\\r\n" in data:
        # tree-sitter-c reads a backslash before an LF as a line continuation (in a string literal,
        # a macro, a line comment) but not one before a CRLF. The LF-first spelling of those
        # breaks (same length, same offsets; the CR becomes white space at the start of the next
        # line) parses as the LF source does; it is taken when it parses better (in JavaScript
        # the CRLF spelling is the one that parses).
        moved = _parse_spelled(code, language, data, data.replace(b"\\\r\n", b"\\\n\r"))
        if moved.error_count() < best.error_count():
            moved.respelled = True
            return moved
    return best


def _parse_spelled(code: str, language: str, data: bytes, text: bytes) -> ParsedCode:
    """:func:`parse` of ``code`` (``data``) through ``text``, a spelling of ``data`` of the same length."""
    spec = language_spec(language)
    parser = _parser(language)
    best: ParsedCode | None = None
    best_errors = 0
    for wrapping in spec.wrappings:
        if not wrapping.applies(code):
            continue
        prefix = wrapping.prefix.encode("utf-8")
        tree = parser.parse(prefix + text + wrapping.suffix.encode("utf-8"))
        parsed = ParsedCode(language, code, data, tree.root_node, wrapping.name, len(prefix), tree)
        errors = parsed.error_count()
        if best is None or errors < best_errors:
            best, best_errors = parsed, errors
        if errors == 0:
            break
    assert best is not None
    return best


# Incremental re-parsing pays off for a few edits (a typical single edit re-parses 2-5x faster
# than a fresh parse); with many edits spread over the snippet (renamings, re-indentation) nearly
# nothing can be reused and the bookkeeping makes it slower than a fresh parse.
_INCREMENTAL_MAX_EDITS = 4


def reparse_edited(parsed: ParsedCode, edits: Iterable[Edit], new_code: str) -> ParsedCode | None:
    """Parse ``new_code`` (``parsed.code`` with ``edits`` applied) with the SAME wrapping as ``parsed``.

    With a few edits, each one is reported to a copy of the source tree (``Tree.edit``) and the new
    text is parsed incrementally, so tree-sitter reuses every untouched subtree (the resulting tree
    is the same as a fresh parse). Returns ``None`` when the wrapping does not apply to
    ``new_code`` (then only :func:`parse` says how it parses) or no source tree is available.
    """
    if (parsed.tree is None or parsed.respelled or cr_only(new_code, parsed.language)
            or cr_only(parsed.code, parsed.language)):
        return None  # parsed in its LF spelling (see parse)
    spec = language_spec(parsed.language)
    wrapping = next((w for w in spec.wrappings if w.name == parsed.wrapping), None)
    if wrapping is None or not wrapping.applies(new_code):
        return None
    prefix = wrapping.prefix.encode("utf-8")
    suffix = wrapping.suffix.encode("utf-8")
    data = new_code.encode("utf-8")
    edits = list(edits)
    old_tree = None
    if len(edits) <= _INCREMENTAL_MAX_EDITS:
        old_tree = parsed.tree.copy()
        old_full = prefix + parsed.data + suffix
        offset = parsed.offset
        # From the last edit to the first: the text before an edit is still the source text, so
        # each edit is described in source offsets and (row, byte column) points.
        for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
            start, old_end = edit.start + offset, edit.end + offset
            new = edit.replacement.encode("utf-8")
            row = old_full.count(b"\n", 0, start)
            start_point = (row, start - old_full.rfind(b"\n", 0, start) - 1)
            old_end_point = (row + old_full.count(b"\n", start, old_end), old_end - old_full.rfind(b"\n", 0, old_end) - 1)
            newlines = new.count(b"\n")
            if newlines:
                new_end_point = (row + newlines, len(new) - new.rfind(b"\n") - 1)
            else:
                new_end_point = (row, start_point[1] + len(new))
            old_tree.edit(start_byte=start, old_end_byte=old_end, new_end_byte=start + len(new),
                          start_point=start_point, old_end_point=old_end_point, new_end_point=new_end_point)
    parser = _parser(parsed.language)
    full = prefix + data + suffix
    new_tree = parser.parse(full, old_tree) if old_tree is not None else parser.parse(full)
    return ParsedCode(parsed.language, new_code, data, new_tree.root_node, wrapping.name, len(prefix), new_tree)


# ------------------------------------------------------------------ edits that keep every token
#
# The validity check re-parses a follow-up only to learn whether it has syntax errors. For some
# edits that is known without parsing (C and Java only; the source must parse without errors):
#
# * **identifier for identifier**: an edit replacing exactly one identifier token (a leaf whose
#   grammar symbol is the grammar's word token ``identifier``; ``type_identifier`` /
#   ``field_identifier`` are aliases of it) by a *plain identifier* (see :func:`plain_identifier`).
#   Neither grammar has an external scanner, so tree-sitter lexes the new word where the old one
#   was in the same lex state: the ``identifier`` pattern matches it whole (its neighbours are not
#   identifier characters, or the old token would have been longer), and keyword extraction turns
#   a word into a keyword only when the whole word is one of the grammar's keywords, which a plain
#   identifier never is. The next token starts at the same character in the same state. So the
#   follow-up has the very same token (symbol) sequence and the parser - which never looks at the
#   token text - takes the very same actions: no syntax error.
# * **whitespace after a newline**: an edit whose old text and replacement are both spaces, tabs
#   and newlines, starting right after a ``\n`` that stays (it is not edited and not a backslash
#   line continuation) or at offset 0. Between tokens such whitespace is an extra wherever it
#   stands (a preprocessor line ends at that kept newline; a line starting with ``#`` still
#   starts its line); inside a multi-line token (a block comment, a text block, a raw string) it is
#   token text that cannot end the token. Touching edits of this kind are treated as one edit. NOT
#   for Python (indentation is syntax).
# * **a whole gap between two tokens**: an edit replacing ALL the whitespace between two adjacent
#   leaves L and R (the byte before the edit is L's last, the byte after it R's first, and R's
#   previous leaf in the tree is L: no token lies in between) by other non-empty whitespace. The
#   lexer ends L at the same byte (no C/Java token outside comments and literals can continue with
#   whitespace, and L ended there before), skips any run of whitespace alike, and starts R at the
#   same character in the same lex state, because the parse state after L is the same. The only
#   places where the kind of whitespace matters are excluded: L a comment (a line comment ends at
#   the newline), L or R inside a literal (its parent is one), and in C any snippet containing
#   ``#`` (preprocessor lines end at their newline). An empty gap (``){``) is not handled.
#
# Anything else (and any edit of another kind in the same proposal) makes the caller re-parse.

_TOKEN_SAFE_LANGUAGES = frozenset({"c", "java"})
_PLAIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# Probes in which a plain identifier must come out as identifier leaves (``@`` = the word): as a
# parameter, declared name (also after ``*``), assigned variable, operand and argument.
_IDENTIFIER_PROBES = {
    "c": "void f(int @) { int *@; @ = @ * @; g(@); }\n",
    "java": "class A { void f(int @) { int @; @ = @ * @; g(@); } }\n",
}


@lru_cache(maxsize=None)
def _grammar_words(language: str) -> frozenset[str]:
    """Every anonymous node kind of the grammar that is spelled like a word (its keywords, plus
    some hidden rule names: excluding those too is merely conservative)."""
    lang = ts_language(language)
    words = set()
    for i in range(lang.node_kind_count):
        name = lang.node_kind_for_id(i)
        if name and not lang.node_kind_is_named(i) and _PLAIN_WORD.fullmatch(name.lstrip("_")):
            words.add(name)
    return frozenset(words)


@lru_cache(maxsize=4096)
def plain_identifier(language: str, name: str) -> bool:
    """Whether ``name`` is lexed as the grammar's ``identifier`` token wherever an identifier is:
    an ASCII word starting with a letter (no ``_``-reserved names such as ``__uptr``), none of the
    grammar's keywords, and - for named fixed-string tokens such as C's ``size_t`` (a
    ``primitive_type``) or Java's ``true``/``this`` - parsed as identifiers in a small probe."""
    if language not in _TOKEN_SAFE_LANGUAGES or not _PLAIN_WORD.fullmatch(name) or name in _grammar_words(language):
        return False
    probe = _IDENTIFIER_PROBES[language]
    text = probe.replace("@", name).encode("utf-8")
    tree = _parser(language).parse(text)
    if tree.root_node.has_error:
        return False
    count = 0
    start = probe.find("@")
    shift = 0
    while start >= 0:
        begin = start + shift
        node = tree.root_node.descendant_for_byte_range(begin, begin + len(name))
        if (node is None or node.child_count or node.grammar_name != "identifier"
                or node.start_byte != begin or node.end_byte != begin + len(name)):
            return False
        count += 1
        shift += len(name) - 1
        start = probe.find("@", start + 1)
    return count > 0


@lru_cache(maxsize=None)
def _identifier_symbol(language: str) -> int | None:
    return ts_language(language).id_for_node_kind("identifier", True)


#: ``parsed.analyses`` key of :func:`remember_identifiers`.
_IDENTIFIER_NODES = "identifier_nodes"
_NO_NODES: dict[int, Node] = {}


def remember_identifiers(parsed: ParsedCode, by_start: dict[int, Node]) -> None:
    """Keep nodes of ``parsed``'s tree of type ``identifier``, by start byte (found by a query that
    captured them anyway, such as a scope analysis's), for :func:`tokens_preserved`: it then checks
    an identifier edit at one of them without a descent from the root, which costs the nesting
    depth and was most of its time for a renaming. The check itself is unchanged (see there)."""
    parsed.analyses[_IDENTIFIER_NODES] = by_start


def tokens_preserved(parsed: ParsedCode, edits: list[Edit], ordered: bool = False) -> bool:
    """Whether ``edits`` provably leave the token sequence of ``parsed`` unchanged, so that the
    edited text parses without errors exactly as the source did (see the comment above; only
    C and Java, and only identifier-for-identifier edits, line-leading whitespace edits and
    whitespace edits that replace a whole gap between two tokens).
    ``ordered``: the edits are sorted by ``(start, end)`` already."""
    language = parsed.language
    if language not in _TOKEN_SAFE_LANGUAGES or not edits:
        return False
    data = parsed.data
    size = len(data)
    descendant = parsed.root.descendant_for_byte_range
    identifier = _identifier_symbol(language)
    offset = parsed.offset
    previous_end = -1
    previous_whitespace = False
    plain: dict[str, bool] = {}
    # With many edits, one walk collecting the leaves (made when first needed) replaces a
    # ``descendant_for_byte_range`` (and ``parent``/``prev_sibling`` climbs) per edit, each of which
    # costs the nesting depth.
    many = len(edits) > _LEAF_INDEX_MIN_EDITS
    # In a small tree a descent per identifier (in C) is cheaper than the walk; its cost is bounded
    # by the tree's size, so the check stays linear in the number of edits.
    leaf_ids = many and parsed.root.descendant_count > _LEAF_INDEX_MIN_NODES
    leaves = None
    # Identifier nodes a query of this tree found (see remember_identifiers): the node holding an
    # edited identifier is looked up by its start, then checked exactly as a descent's result.
    known = parsed.analyses.get(_IDENTIFIER_NODES, _NO_NODES)
    for start, end, replacement in edits if ordered else sorted(edits, key=by_position):
        if start < previous_end or end > size:
            return False
        first = data[start] if start < end else 0
        if 0x61 <= (first | 0x20) <= 0x7A or first == 0x5F:
            # An identifier token replaced by a plain identifier: the edited span must be exactly
            # one leaf of the grammar's ``identifier`` token (aliases included: grammar symbol).
            ok = plain.get(replacement)
            if ok is None:
                ok = plain[replacement] = plain_identifier(language, replacement)
            if not ok:
                return False
            lo = start + offset
            hi = end + offset
            node = known.get(lo)
            if node is not None:
                # An identifier-typed node starting at ``lo``: when it is a leaf of the grammar's
                # identifier token spanning exactly [lo, hi), it is also what the descent below
                # would find (the smallest node holding the span); otherwise the span is not one
                # identifier leaf (a contextual keyword such as Java's ``record`` is typed
                # ``identifier`` but is another grammar symbol).
                if node.grammar_id != identifier or node.end_byte != hi:
                    return False
            elif leaves is not None or leaf_ids:
                if leaves is None:
                    leaves = _Leaves(parsed.root)
                if not leaves.identifier_at(lo, hi, identifier):
                    return False
            else:
                node = descendant(lo, hi)
                if node is None or node.grammar_id != identifier or node.byte_range != (lo, hi):
                    return False
            previous_whitespace = False
        else:
            # Whitespace only (str.strip with these four characters = the bytes test).
            if data[start:end].strip(b" \t\r\n") or replacement.strip(" \t\r\n"):
                return False
            if start > 0 and not (previous_whitespace and start == previous_end):
                # A fresh run of whitespace edits: it must follow a kept, non-continued newline
                # (inlined: this runs for every line of a re-indentation) or replace a whole gap
                # between two tokens.
                before = start - 2
                if start - 1 >= previous_end and data[start - 1] == 0x0A:
                    while before >= 0 and data[before] == 0x0D:
                        before -= 1
                    if before >= 0 and data[before] == 0x5C:
                        return False
                elif not replacement:
                    return False
                else:
                    if many and leaves is None:
                        leaves = _Leaves(parsed.root)
                    if not _whole_gap(parsed, start, end, leaves):
                        return False
            previous_whitespace = True
        previous_end = end
    return True


@lru_cache(maxsize=None)
def _gap_guard_types(language: str) -> tuple[frozenset[str], frozenset[str]]:
    """Comment types and literal types of ``language`` (imported late: ``syntax`` imports this module)."""
    from metacompress_eval.code.syntax import COMMENT_TYPES, LITERAL_TEXT_TYPES

    return COMMENT_TYPES[language], LITERAL_TEXT_TYPES[language]


def _whole_gap(parsed: ParsedCode, start: int, end: int, leaves: "_Leaves | None" = None) -> bool:
    """Whether ``data[start:end]`` (non-empty whitespace) is the whole gap between two adjacent
    leaves that a change of whitespace cannot affect (see the comment above :func:`tokens_preserved`).
    ``leaves``: the tree's :class:`_Leaves`, when the caller has them (same answer, without the
    per-call descents from the root)."""
    data = parsed.data
    if start == 0 or end >= len(data) or start == end:
        return False
    if data[start - 1] in b" \t\r\n" or data[end] in b" \t\r\n":
        return False
    if parsed.language == "c":
        has_hash = parsed.analyses.get("has_hash")
        if has_hash is None:
            has_hash = parsed.analyses["has_hash"] = b"#" in data
        if has_hash:
            return False
    comments, literals = _gap_guard_types(parsed.language)
    lo = start + parsed.offset
    hi = end + parsed.offset
    if leaves is not None:
        return leaves.whole_gap(lo, hi, comments, literals)
    root = parsed.root
    left = root.descendant_for_byte_range(lo - 1, lo)
    right = root.descendant_for_byte_range(hi, hi + 1)
    if (left is None or right is None or left.child_count or right.child_count or left.end_byte != lo
            or right.start_byte != hi or left.type in comments):
        return False
    for leaf in (left, right):
        parent = leaf.parent
        if parent is not None and parent.type in literals:
            return False
    # R's previous leaf must be L: no token (a zero-width one included) lies in the gap.
    node = right
    sibling = node.prev_sibling
    while sibling is None:
        node = node.parent
        if node is None:
            return False
        sibling = node.prev_sibling
    while sibling.child_count:
        sibling = sibling.child(sibling.child_count - 1)
    return sibling == left


_LEAF_INDEX_MIN_EDITS = 16
#: Trees of at most this many nodes check identifier edits by descents, not by the leaf index.
_LEAF_INDEX_MIN_NODES = 4096


class _Leaves:
    """Every leaf of a tree in document order, with its parent (one cursor walk), for the checks
    of :func:`tokens_preserved` on many edits at once."""

    __slots__ = ("starts", "ends", "nodes", "parents")

    def __init__(self, root: Node) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.nodes: list[Node] = []
        self.parents: list[Node | None] = []
        cursor = root.walk()
        stack: list[Node] = []
        while True:
            node = cursor.node
            if cursor.goto_first_child():
                stack.append(node)
                continue
            self.starts.append(node.start_byte)
            self.ends.append(node.end_byte)
            self.nodes.append(node)
            self.parents.append(stack[-1] if stack else None)
            while not cursor.goto_next_sibling():
                if not cursor.goto_parent():
                    return
                stack.pop()

    def _containing(self, byte: int) -> int:
        """Index of the non-empty leaf holding ``byte``, or -1."""
        at = bisect_right(self.starts, byte) - 1
        while at >= 0 and self.starts[at] == self.ends[at]:
            at -= 1  # empty leaves hold no byte
        return at if at >= 0 and self.ends[at] > byte else -1

    def identifier_at(self, lo: int, hi: int, identifier: int | None) -> bool:
        """Whether one leaf of the grammar's identifier token spans exactly ``[lo, hi)``."""
        at = self._containing(lo)
        return at >= 0 and self.starts[at] == lo and self.ends[at] == hi and self.nodes[at].grammar_id == identifier

    def whole_gap(self, lo: int, hi: int, comments: frozenset[str], literals: frozenset[str]) -> bool:
        """:func:`_whole_gap` for the gap ``[lo, hi)`` of the tree (offsets of the parsed text)."""
        left, right = self._containing(lo - 1), self._containing(hi)
        if left < 0 or right < 0 or self.ends[left] != lo or self.starts[right] != hi:
            return False
        if self.nodes[left].type in comments:
            return False
        for at in (left, right):
            parent = self.parents[at]
            if parent is not None and parent.type in literals:
                return False
        # R's previous leaf must be L: no token (a zero-width one included) lies in the gap.
        return right - 1 == left
