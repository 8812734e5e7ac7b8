"""How published text names models and data: by Hub id or by file/folder name, never by a machine path.

A model card, a dataset card, an uploaded report or a zip handed out by the Space is read on other
machines, where ``/home/alice/runs/ev1/student`` means nothing and tells strangers about the
author's file system. :func:`model_name` and :func:`data_name` give the public form of what the
user typed; :func:`public_report` applies them to a ``report.json`` dict and :func:`scrub_text`
replaces the same strings in text rendered from it (``report.md``).
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Mapping

from .markup import markdown_literal, one_line, table_cell

# A Hub repository id: "name" or "owner/name" (huggingface_hub's validate_repo_id rules, simplified:
# letters, digits, "-", "_", "." and at most one "/", no "--" or ".." and no leading/trailing "-" or ".").
_HUB_ID = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*$")
# Pseudo model names such as the Space's "demo:teacher" are public as they are (no path can contain
# "demo:" on the systems the tool runs on, and a colon never occurs in a Hub id).
_PSEUDO = re.compile(r"^[a-z]+:[A-Za-z0-9._-]+$")


def looks_like_hub_id(text: str) -> bool:
    """``True`` for ``"org/name"`` / ``"name"`` shapes that the Hub accepts as a repository id."""
    return bool(_HUB_ID.match(text)) and "--" not in text and ".." not in text and not text.endswith((".", "-"))


def _base_name(text: str) -> str:
    # Works for POSIX and Windows spellings alike, whatever the machine that reads the report.
    for flavour in (PureWindowsPath, PurePosixPath):
        name = flavour(text).name
        if name and name not in (".", ".."):
            text = name
    return text


def model_name(name_or_path: Any, *, local: bool | None = None) -> str:
    """The public name of a model: its Hub id, a pseudo name like ``demo:teacher``, or its folder name.

    Args:
        name_or_path: what the user gave (``--teacher``/``--student``).
        local: whether it was loaded from a local folder (known where the model was loaded);
            ``None`` decides from the spelling alone: absolute, ``./``, ``~`` or deeper paths are
            local, a Hub-id shape is a Hub id.
    """
    text = str(name_or_path or "").strip()
    if not text:
        return "unknown"
    if _PSEUDO.match(text):
        return text
    if local is None:
        local = not looks_like_hub_id(text)
    if not local:
        return text
    stripped = text.rstrip("/\\")
    if stripped in ("", ".", "~"):
        stripped = os.path.abspath(os.path.expanduser(stripped or "/"))
    return _base_name(stripped) or "model"


def loaded_model_name(typed: str) -> str:
    """:func:`model_name` of a model loaded on this machine as ``typed``: the file system says whether it is local."""
    return model_name(typed, local=Path(str(typed)).expanduser().exists())


def path_name(typed: str) -> str:
    """A data path as published: its file/folder name when it exists here, else as typed (a Hub dataset id)."""
    text = str(typed)
    if Path(text).expanduser().exists() or not looks_like_hub_id(text):
        return _base_name(text.rstrip("/\\")) or "data"
    return text


def data_name(description: Mapping[str, Any] | None) -> str:
    """The public name of the data of a report's ``data`` section: Hub id or file name, plus split and filters.

    ``{"path": "/home/a/bcb/pairs.jsonl", "where": {"split": "test"}}`` → ``"pairs.jsonl (split=test)"``;
    ``{"path": "code_x_glue_cc_defect_detection", "format": "hub", "split": "test"}`` →
    ``"code_x_glue_cc_defect_detection (test)"``.
    """
    d = dict(description or {})
    if d.get("name"):  # already public (recorded by the pipeline)
        return str(d["name"])
    path = str(d.get("path") or "data")
    base = path if d.get("format") == "hub" else _base_name(path.rstrip("/\\")) or "data"
    details = []
    if d.get("split"):
        details.append(str(d["split"]))
    details += [f"{k}={v}" for k, v in sorted((d.get("where") or {}).items())]
    return base + (f" ({', '.join(details)})" if details else "")


def _private_strings(report: Mapping[str, Any]) -> dict[str, str]:
    """Machine paths recorded in ``report`` → their public replacement."""
    out: dict[str, str] = {}
    models = report.get("models") or {}
    for role in ("teacher", "student"):
        m = models.get(role) or {}
        typed = m.get("name_or_path")
        if typed:
            public = m.get("name") or model_name(typed)
            if str(typed) != public:
                out[str(typed)] = public
    data = report.get("data") or {}
    if data.get("path") and data.get("format") != "hub":
        out[str(data["path"])] = _base_name(str(data["path"]).rstrip("/\\")) or "data"
    functions = data.get("functions")
    if isinstance(functions, str) and functions:
        out[functions] = _base_name(functions)
    return out


def public_report(report: Mapping[str, Any]) -> dict:
    """A copy of ``report`` (``report.json``) that names models and data publicly (no machine paths)."""
    out = copy.deepcopy(dict(report))
    replacements = _private_strings(report)
    models = out.get("models") or {}
    for role in ("teacher", "student"):
        m = models.get(role)
        if isinstance(m, dict) and m.get("name_or_path"):
            public = m.get("name") or model_name(m["name_or_path"])
            m["name"] = m["name_or_path"] = public
    data = out.get("data")
    if isinstance(data, dict):
        data["name"] = data_name(data)
        if data.get("path") in replacements:
            data["path"] = replacements[data["path"]]
        if data.get("functions") in replacements:
            data["functions"] = replacements[data["functions"]]
    return out


def _location_forms(path: str) -> set[str]:
    """``path`` as text may hold it on this machine: as typed, with "/" for "\\", home-relative (``~/x``)
    or expanded (``/home/alice/x``), and a relative path made absolute."""
    forms = {path}
    if "\\" in path:
        forms.add(path.replace("\\", "/"))
    home = os.path.expanduser("~")
    for form in list(forms):
        if form.startswith("~"):
            forms.add(os.path.expanduser(form))
        elif home not in ("", "/", "~") and (form == home or form.startswith(home + "/")):
            forms.add("~" + form[len(home):])
    for form in list(forms):
        if not form.startswith(("/", "~", "\\")) and not re.match(r"^[A-Za-z]:", form):
            forms.add(os.path.abspath(form))
    return {f for f in forms if f}


def _uri_path(path: str) -> str:
    forward = path.replace("\\", "/")
    return forward if forward.startswith("/") else "/" + forward  # C:/x -> /C:/x, as in file:///C:/x


def path_spellings(private: str, public: str) -> dict[str, str]:
    """Every spelling of the machine path ``private`` that published text may carry → the same spelling of
    ``public``.

    Spellings: each location form (:func:`_location_forms`), as is, URL-encoded (``%2F`` or ``/``
    kept) and as a ``file://`` URL (plain or percent-encoded, the URL becomes the public name); each
    of those HTML-escaped; each of those as the content of a JSON string (``\\`` doubled, non-ASCII
    as ``\\uXXXX`` or not, ``/`` as ``\\/`` or not); each of those as Markdown writes it (a table cell, escaped text,
    one line: :mod:`metacompress_eval.markup`).
    """
    from urllib.parse import quote

    def json_forms(text: str) -> list[str]:
        ascii_ = json.dumps(text)[1:-1]
        return [text, ascii_, json.dumps(text, ensure_ascii=False)[1:-1], ascii_.replace("/", "\\/")]

    out: dict[str, str] = {}
    for base in _location_forms(private):
        url = [(base, public), (quote(base.replace("\\", "/")), quote(public)),
               (quote(base, safe=""), quote(public, safe="")),
               ("file://" + _uri_path(base), public), ("file://" + quote(_uri_path(base)), public)]
        for text, name in url:
            for text2, name2 in {(text, name), (html.escape(text), html.escape(name))}:
                for text3, name3 in zip(json_forms(text2), json_forms(name2)):
                    # as written in Markdown: plain, in a table cell, escaped text, a code span's content
                    for markdown in (str, table_cell, markdown_literal, one_line):
                        out.setdefault(markdown(text3), markdown(name3))
    out.pop("", None)
    return out


def scrub_text(text: str, report: Mapping[str, Any]) -> str:
    """``text`` rendered from ``report`` with the report's machine paths replaced by public names, in
    every spelling a JSON, Markdown, HTML or URL rendering gives them (:func:`path_spellings`)."""
    mapping: dict[str, str] = {}
    for private, public in _private_strings(report).items():
        for spelled, replacement in path_spellings(private, public).items():
            mapping.setdefault(spelled, replacement)
    mapping = {k: v for k, v in mapping.items() if k != v}
    if not mapping:
        return text
    # One pass, longest spelling first: a file:// URL goes as a whole before the path inside it.
    pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))
    return pattern.sub(lambda m: mapping[m.group(0)], text)
