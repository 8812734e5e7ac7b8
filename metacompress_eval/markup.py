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
import unicodedata
from typing import Any
from urllib.parse import quote, unquote, urlsplit

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


def _refuse(what: str, shown: str, why: str) -> MetaCompressError:
    return MetaCompressError(f"{what} {shown} {why}")


_ENCODED = re.compile(r"%[0-9A-Fa-f]{2}")
_UNSAFE_TEXT = re.compile(r"[\x00-\x1f\x7f\\]")


def _decoded(text: str, what: str, shown: str, part: str, *, strict: bool = True) -> str:
    """``text`` percent-decoded once, as every check reads it; refused when it then holds a control character
    (or, ``strict``, for the path of a relative link: a backslash, bytes that are not UTF-8, or a second
    layer of encoding such as ``%252e``, which a server that decodes twice would read as ``.``)."""
    if not strict:
        plain = unquote(text, errors="replace")
        if re.search(r"[\x00-\x1f\x7f]", plain):
            raise _refuse(what, shown, f"holds an encoded control character in its {part}")
        return plain
    try:
        plain = unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise _refuse(what, shown, f"has a {part} that does not decode as UTF-8") from None
    if _ENCODED.search(plain):
        raise _refuse(what, shown, f"is percent-encoded twice in its {part} (refused: a server that decodes "
                      "twice would read another path)")
    if _UNSAFE_TEXT.search(plain):
        raise _refuse(what, shown, f"holds a control character or backslash in its {part}")
    return plain


def _escapes_folder(path: str) -> bool:
    """Whether the relative ``path`` leaves its folder by ``..`` segments, also after Unicode compatibility
    folding (``．．``, ``‥`` read as ``..`` by tools that normalise)."""
    for form in {path, unicodedata.normalize("NFKC", path)}:
        normal = posixpath.normpath(form)
        if normal == ".." or normal.startswith("../") or form.startswith("/"):
            return True
    return False


def _ascii_host(host: str, what: str, shown: str) -> str:
    """The URL host as it goes on the wire and on the page: IP literals as given, names IDNA-encoded
    (``bücher.de`` -> ``xn--bcher-kva.de``) so a lookalike host shows as the ``xn--`` name it is."""
    import ipaddress

    try:
        ipaddress.ip_address(host)
        return f"[{host}]" if ":" in host else host
    except ValueError:
        pass
    import idna  # the UTS 46 / IDNA 2008 encoder browsers use (the stdlib codec is IDNA 2003)

    try:
        ascii_host = idna.encode(host.rstrip("."), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        raise _refuse(what, shown, "has a host that is not a valid domain name") from None
    return ascii_host + ("." if host.endswith(".") else "")


def checked_link(link: str, what: str = "link") -> str:
    """``link`` as a published page may carry it, or :class:`MetaCompressError` (one line).

    The link is normalised once (split, each part percent-decoded once) and every check reads that form,
    so an encoding cannot hide what a reader's browser or the Hub would resolve (``%2e%2e/``, ``.%2E/``,
    ``%2f``, ``%252e``, ``．．``).

    Accepted: ``http://`` and ``https://`` URLs with a host and no credentials (``user:pass@`` would be
    published), and relative paths that stay inside the folder that is published (no leading ``/``,
    ``\\`` or drive letter, no ``..`` above it, no scheme). Refused: every other scheme (``javascript:``,
    ``data:``, ``file:``, ``vbscript:``, ...), absolute and home paths, double percent-encoding, and text
    with control characters or (in a URL) backslashes. The result is percent-encoded where Markdown or
    HTML would read a character as syntax (spaces, parentheses, quotes, ``<>``, backtick); URL hosts are
    IDNA-encoded.
    """
    text = str(link).strip()
    shown = repr(text[:80] + ("…" if len(text) > 80 else ""))
    if not text or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise _refuse(what, shown, "is empty or holds control characters")
    parts = urlsplit(text)
    _decoded(parts.query, what, shown, "query", strict=False)
    _decoded(parts.fragment, what, shown, "fragment", strict=False)
    query, fragment = (quote(part, safe="/?:@!$&'*+,;=%~") for part in (parts.query, parts.fragment))
    tail = (f"?{query}" if "?" in text.split("#", 1)[0] else "") + (f"#{fragment}" if "#" in text else "")
    if parts.scheme:
        if re.fullmatch(r"[A-Za-z]", parts.scheme):  # C:\... or C:/... parsed as scheme "c"
            raise _refuse(what, shown, "is a local path: give an http(s) URL or a path relative to the card that "
                          "is uploaded with it")
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise _refuse(what, shown, f"is not an http(s) URL or a relative path (refused: "
                          f"{parts.scheme.lower()}: links)")
        if "@" in parts.netloc or "@" in unquote(parts.netloc):
            raise _refuse(what, shown, "holds credentials (user:password@host), which the published page would "
                          "show to everyone: give the URL without them")
        if "\\" in text:
            raise _refuse(what, shown, "holds a backslash, which browsers read as /: write / if you mean it")
        try:
            port = parts.port
        except ValueError:
            raise _refuse(what, shown, "has an invalid port") from None
        host = _ascii_host(_decoded(parts.hostname, what, shown, "host"), what, shown)
        _decoded(parts.path, what, shown, "path", strict=False)
        path = quote(parts.path, safe="/:@!$&'*+,;=%~")
        return f"{parts.scheme.lower()}://{host}{'' if port is None else f':{port}'}{path}{tail}"
    if text.startswith(("/", "\\", "~")) or parts.netloc:
        raise _refuse(what, shown, "is an absolute or home path, which no reader of the published page can "
                      "open: give an http(s) URL or a path relative to the card that is uploaded with it")
    path = _decoded(parts.path.replace("\\", "/").replace("%5c", "/").replace("%5C", "/"), what, shown, "path")
    if path.startswith(("/", "~")) or urlsplit(path).scheme:
        raise _refuse(what, shown, "is an absolute path or URL once decoded: give an http(s) URL or a plain "
                      "relative path")
    if _escapes_folder(path):
        raise _refuse(what, shown, "leads outside the folder that is published (..): give an http(s) URL or "
                      "upload the report with the card (--push REPO --upload-report)")
    return quote(path, safe="/!$&'*+,;=~@") + tail
