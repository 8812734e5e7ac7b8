"""Untrusted text and links in published Markdown: model cards, dataset cards, report.md, the Space.

Names reach those pages from places a stranger controls: a folder name (``x<img src=//evil>``), a
report's fields, an uploaded zip's member names, a label name in a model's ``config.json``, a link
typed on the command line. The Hub, GitHub and gradio render Markdown with inline HTML, so such a
name could become a tag, an image fetched from anywhere, a link or a broken table. Every function
here turns the text into Markdown that renders as exactly that text:

* :func:`markdown_literal` — plain text (every CommonMark punctuation character backslash-escaped);
* :func:`markdown_code` — a code span (nothing inside a code span is Markdown or HTML), also inside a
  pipe-table cell;
* :func:`table_cell` — the minimum for a generated table cell: ``|``, newlines, ``<`` and ``](``;
* :func:`checked_link` — a link a published page may carry: ``http(s)`` URLs, or a relative path
  that stays inside the published folder; anything else (``javascript:``, ``data:``, ``file:``,
  absolute and ``..`` paths) is refused.

Hand-written: ``markdown-it`` parses Markdown but has no escaper for writing it.
"""

from __future__ import annotations

import posixpath
import re
from typing import Any
from urllib.parse import quote, urlsplit

from .errors import MetaCompressError

# Characters that can start or end Markdown or HTML syntax anywhere in a line: tags and autolinks (<>),
# links and images (![]()), code (`), emphasis and strikethrough (* ~), table cells (|), entities (&),
# escapes (\\). "_" only where it is not between two letters or digits (intraword "_" is never emphasis).
_INLINE_SPECIAL = re.compile(r"[\\`*\[\]()<>!|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
# What only matters at the start of a line (headings, lists, block quotes, thematic breaks): text made
# one line can only start one line, so only its first character needs it.
_LINE_START = re.compile(r"^(?:[#+\-=>]|\d+[.)])")


def one_line(text: Any) -> str:
    """``text`` with every run of white space (newlines included) as one space."""
    return " ".join(str(text).split())


def markdown_literal(text: Any) -> str:
    """``text`` (untrusted) as Markdown that renders as exactly that text, on one line (also in a table cell).

    Plain names stay readable in the Markdown source: ``codebert-defect``, ``rename_variables`` and
    ``org/model-1.5`` come out unchanged.
    """
    flat = _INLINE_SPECIAL.sub(lambda m: "\\" + m.group(0), one_line(text))
    start = _LINE_START.match(flat)
    if start:
        flat = flat[:start.end() - 1] + "\\" + flat[start.end() - 1:]
    return flat


def markdown_code(text: Any, *, table: bool = False) -> str:
    """``text`` (untrusted) as one code span: shown verbatim (no HTML, link or image inside a code span).

    The fence is one backtick longer than the longest backtick run of ``text``, padded with a space
    when the text starts or ends with a backtick. ``table=True``: for a GFM pipe-table cell, where
    ``|`` must be written ``\\|`` even inside a code span (GFM removes the backslash there).
    """
    text = one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")) else ""
    if table:
        text = text.replace("|", "\\|")
    return f"{fence}{pad}{text}{pad}{fence}"


def table_cell(text: Any) -> str:
    """A generated table cell (numbers, known words, plus values from a report): one line, ``|`` escaped,
    and no tag, autolink, link or image can start in it. Plain cells come out unchanged."""
    return (str(text).replace("|", "\\|").replace("\r", " ").replace("\n", " ")
            .replace("<", "&lt;").replace("](", "]\\("))


def checked_link(link: str, what: str = "link") -> str:
    """``link`` as a published page may carry it, or :class:`MetaCompressError` (one line).

    Accepted: ``http://`` and ``https://`` URLs with a host, and relative paths that stay inside the
    folder that is published (no leading ``/``, ``\\`` or drive letter, no ``..`` above it, no scheme).
    Refused: every other scheme (``javascript:``, ``data:``, ``file:``, ``vbscript:``, ...), absolute and
    home paths, and text with control characters. The result is percent-encoded where Markdown or HTML
    would read a character as syntax (spaces, parentheses, quotes, ``<>``, backslash, backtick).
    """
    text = str(link).strip()
    shown = repr(text[:80] + ("…" if len(text) > 80 else ""))
    if not text or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise MetaCompressError(f"{what} {shown} is empty or holds control characters")
    parts = urlsplit(text)
    if parts.scheme:
        if re.fullmatch(r"[A-Za-z]", parts.scheme):  # C:\... or C:/... parsed as scheme "c"
            raise MetaCompressError(f"{what} {shown} is a local path: give an http(s) URL or a path relative to "
                                    "the card that is uploaded with it")
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise MetaCompressError(f"{what} {shown} is not an http(s) URL or a relative path (refused: "
                                    f"{parts.scheme.lower()}: links)")
        return quote(text, safe=":/?#[]@!$&'*+,;=%~")
    if text.startswith(("/", "\\", "~")) or parts.netloc:
        raise MetaCompressError(f"{what} {shown} is an absolute or home path, which no reader of the published "
                                "page can open: give an http(s) URL or a path relative to the card that is "
                                "uploaded with it")
    path = parts.path.replace("\\", "/")
    normal = posixpath.normpath(path)
    if normal == ".." or normal.startswith("../"):
        raise MetaCompressError(f"{what} {shown} leads outside the folder that is published (..): give an http(s) "
                                "URL or upload the report with the card (--push REPO --upload-report)")
    return quote(text.replace("\\", "/"), safe="/?#[]@!$&'*+,;=%~:")
