"""Atomic file writes, tolerant JSONL reading, and conversion to plain JSON values.

Every file the tool writes goes through :func:`atomic_write_bytes`: the content is written to a
temporary file in the same folder, flushed to disk and moved over the target with ``os.replace``.
A run that is killed at any moment therefore leaves either the old file or the new one, never a
half-written file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON atomically; NaN/Infinity are refused (they are not JSON)."""
    return atomic_write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def atomic_write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> Path:
    """Write one JSON object per line atomically."""
    text = "".join(json.dumps(r, ensure_ascii=False, allow_nan=False) + "\n" for r in rows)
    return atomic_write_text(path, text)


def iter_jsonl(path: str | os.PathLike) -> Iterator[tuple[int, dict | None, str | None]]:
    """Yield ``(line_number, row, problem)`` for each non-blank line of a JSONL file.

    Written by hand rather than with ``datasets``' JSON builder because that builder fails the whole
    file on one line with invalid UTF-8 or invalid JSON; here such a line is reported as a problem
    (and counted as a skip by the caller) while every good line is kept.
    """
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield number, None, f"invalid UTF-8 at byte {exc.start} of the line"
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                yield number, None, f"invalid JSON ({exc.msg})"
                continue
            if not isinstance(row, dict):
                yield number, None, "line is not a JSON object"
                continue
            yield number, row, None


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays and tuples to plain Python; non-finite floats become ``None``.

    What every JSON file of the tool goes through before :func:`atomic_write_json`, which refuses
    NaN and infinities.
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        return value if math.isfinite(value) else None
    return obj
