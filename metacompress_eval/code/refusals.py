"""Inputs that do not parse: why, and whether the damage is local.

tree-sitter's grammars do not cover everything compilers accept (GNU case ranges, some
attributes, computed ``goto``), and code cut from a file can straddle a preprocessor conditional
(``#ifdef X`` / ``if (a) {`` / ``#else`` / ``if (b) {`` / ``#endif``). Such inputs used to be refused
whole ("source has syntax errors"), shrinking the evaluated set silently. This module

* names the cause of each refusal (:func:`refusal_cause`), so reports count them by cause, and
* finds the statements the errors are confined to (:func:`error_regions`): when every error lies
  inside a statement of a block, a transformation may still apply AWAY from those statements —
  its edits must not touch them, and names spelled in them are not renamed.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from tree_sitter import Node

from metacompress_eval.code.languages import ParsedCode

# Containers whose children are statements, per language.
_BLOCKS = {
    "c": frozenset({"compound_statement"}),
    "java": frozenset({"block", "constructor_body", "switch_block_statement_group"}),
    "python": frozenset({"block"}),
    "javascript": frozenset({"statement_block", "switch_case", "switch_default"}),
    "go": frozenset({"statement_list", "block"}),
}
_FUNCTIONS = frozenset({"function_definition", "method_declaration", "constructor_declaration",
                        "function_declaration", "method_definition", "arrow_function", "function_expression",
                        "func_literal", "lambda_expression"})

REFUSAL_CAUSES = (
    "gnu_case_range", "gnu_statement_expression", "gnu_attribute", "gnu_computed_goto", "gnu_asm",
    "knr_definition", "preprocessor_conditional", "macro_invocation", "go_cr_line_breaks", "other",
)
# A CR not followed by an LF: a line break in C, Java, Python and JavaScript, but white space in Go.
_LONE_CR = re.compile(r"\r(?!\n)")


def _error_nodes(root: Node) -> list[Node]:
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            found.append(node)
            continue
        if node.has_error:
            stack.extend(node.children)
    return found


def error_regions(parsed: ParsedCode) -> list[tuple[int, int]] | None:
    """Spans (snippet offsets) of the statements that contain the parse errors, or ``None`` when
    an error is not confined to a statement inside a function body (then nothing is safe)."""
    blocks = _BLOCKS.get(parsed.language, frozenset())
    regions = []
    for error in _error_nodes(parsed.root):
        node = error
        found = None
        inside_function = False
        while node.parent is not None:
            parent = node.parent
            if found is None and parent.type in blocks:
                found = node
            if parent.type in _FUNCTIONS:
                inside_function = True
                break
            node = parent
        if found is None or not inside_function or not parsed.in_snippet(found):
            return None
        start, end = parsed.span(found)
        # Whole lines: a region that ends mid-line would leave the rest of its line editable.
        start = parsed.line_start(start)
        line_end = parsed.data.find(b"\n", end)
        regions.append((start, len(parsed.data) if line_end < 0 else line_end))
    regions.sort()
    merged: list[tuple[int, int]] = []
    for start, end in regions:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def go_cr_line_breaks(code: str, errors: int | None = None) -> bool:
    """Whether Go ``code`` fails for its lone CRs: Go reads a lone CR as a space (its newline is LF
    only), so lines "ending" in one run together and a line comment runs on to the next LF. True
    when those CRs, read as LFs, parse with fewer errors than ``errors`` (default: ``code``'s own)."""
    if not _LONE_CR.search(code):
        return False
    from metacompress_eval.code.languages import parse

    if errors is None:
        errors = parse(code, "go").error_count()
    return parse(_LONE_CR.sub("\n", code), "go").error_count() < errors


def refusal_cause(parsed: ParsedCode) -> str:
    """The most likely reason ``parsed`` has syntax errors (one of :data:`REFUSAL_CAUSES`)."""
    text = parsed.data.decode("utf-8", "replace")
    errors = _error_nodes(parsed.root)
    near = " ".join(parsed.data[max(0, e.start_byte - parsed.offset - 80):e.end_byte - parsed.offset + 80]
                    .decode("utf-8", "replace") for e in errors)
    if parsed.language == "go" and go_cr_line_breaks(text, len(errors)):
        return "go_cr_line_breaks"
    if re.search(r"^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b", text, re.M) and parsed.language == "c":
        # A conditional inside a function whose branches do not each hold complete statements.
        if any(_preprocessor_nearby(e) for e in errors) or re.search(r"^\s*#\s*(if|ifdef|ifndef|else|elif|endif)", near, re.M):
            return "preprocessor_conditional"
    if parsed.language == "c":
        if re.search(r"\bcase\b[^:;\n]*\.\.\.", text):
            return "gnu_case_range"
        if re.search(r"(?:^|[^\w\s)\]]|\breturn)\s*\(\s*\{", near):
            return "gnu_statement_expression"  # ``= ({ ... })``, not a call or a declarator ``f( {``
        if "__attribute__" in near or "__declspec" in near:
            return "gnu_attribute"
        if re.search(r"&&\s*[A-Za-z_]|goto\s*\*", near):
            return "gnu_computed_goto"
        if re.search(r"\b(__asm__|asm|__asm)\b", near):
            return "gnu_asm"
        if re.search(r"^\s*[\w\s\*]+\b\w+\s*\(\s*[A-Za-z_]\w*(\s*,\s*[A-Za-z_]\w*)*\s*\)\s*\n?\s*(register\s+)?[A-Za-z_][\w\s]*[\*\w\s,\[\]]*;", text, re.M):
            return "knr_definition"
        if re.search(r"^\s*[A-Z_][A-Z0-9_]*(\s*\([^;{}]*\))?\s*$", near, re.M):
            return "macro_invocation"
    return "other"


def _preprocessor_nearby(error: Node) -> bool:
    node = error
    for _ in range(3):
        if node is None:
            return False
        for child in node.children:
            if child.type.startswith("preproc_"):
                return True
        node = node.parent
    return False


def overlaps(regions: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``[start, end)`` touches a region (an insertion AT a region's start does not).

    ``regions`` are sorted and disjoint (:func:`error_regions` merges them), so only the last region
    starting before the span can reach it: one binary search, not a scan (code with thousands of
    errors asks this for every statement and every edit).
    """
    i = bisect_left(regions, (end if start < end else start,)) - 1  # regions with lo < bound
    return i >= 0 and regions[i][1] > start


def inside(regions: list[tuple[int, int]], position: int) -> bool:
    """Whether ``position`` lies in a region (``lo <= position < hi``); regions as for :func:`overlaps`."""
    i = bisect_left(regions, (position + 1,)) - 1  # regions with lo <= position
    return i >= 0 and position < regions[i][1]


__all__ = ["REFUSAL_CAUSES", "error_regions", "go_cr_line_breaks", "inside", "overlaps", "refusal_cause"]
