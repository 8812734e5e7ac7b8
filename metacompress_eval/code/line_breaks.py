"""The line-break convention of a snippet, which every line break a transformation adds follows.

A snippet's convention is ``"\\r\\n"`` when all its line breaks are CRLF, ``"\\r"`` when all are a
lone CR (and the language reads a CR as a line break), else ``"\\n"`` (LF, mixed conventions, or no
line break at all: new breaks are then LF).

C, Java, Python and JavaScript read a lone CR as a line break (GCC, javac, CPython's universal
newlines, ECMAScript's LineTerminator). Go does not: its spec's newline is U+000A only and a CR is
white space, so a Go snippet whose "lines" end in a lone CR is a single line to Go (its line
comments run to the end, no semicolons are inserted), and tree-sitter-go parses it just so. Such a
snippet is taken as Go takes it: its convention is ``"\\n"``; and a Go snippet whose line breaks are all
CRLF is a CRLF snippet even when a lone CR stands elsewhere (in a raw string, say).

The tree-sitter grammars of the other four languages end line comments and preprocessor lines only
at an LF, so they misparse CR-only text. A CR-only snippet is therefore transformed in its LF
spelling (:func:`lf_spelling`: the same length, so every byte offset stays valid) and the result
spelled back with CRs (:func:`cr_spelling`); see ``Transformation.apply``.
"""

from __future__ import annotations

# Languages whose compilers/interpreters read a lone CR as a line break.
CR_LINE_BREAK_LANGUAGES = frozenset({"c", "java", "python", "javascript"})


def line_break(text: str, language: str | None = None) -> str:
    """The line break of ``text``'s convention: ``"\\r\\n"``, ``"\\r"`` or ``"\\n"`` (see the module
    docstring). ``"\\r"`` only when ``language`` reads a CR as a line break (``None``: any language)."""
    if "\r" not in text:
        return "\n"
    lf = text.count("\n")
    if lf == 0:
        return "\r" if language is None or language in CR_LINE_BREAK_LANGUAGES else "\n"
    crlf = text.count("\r\n")
    if language is not None and language not in CR_LINE_BREAK_LANGUAGES:
        # A lone CR is no line break there (Go: white space, dropped from raw strings).
        return "\r\n" if crlf == lf else "\n"
    return "\r\n" if crlf == lf and crlf == text.count("\r") else "\n"


def cr_only(text: str, language: str) -> bool:
    """Whether ``text`` breaks its lines with lone CRs only, in a language that reads them as breaks."""
    return "\r" in text and "\n" not in text and language in CR_LINE_BREAK_LANGUAGES


def lf_spelling(text: str) -> str:
    """A CR-only ``text`` with every CR as an LF (same length: offsets are unchanged)."""
    return text.replace("\r", "\n")


def cr_spelling(text: str) -> str:
    """The inverse of :func:`lf_spelling` (for text made from a CR-only snippet's LF spelling)."""
    return text.replace("\n", "\r")


__all__ = ["CR_LINE_BREAK_LANGUAGES", "cr_only", "cr_spelling", "lf_spelling", "line_break"]
