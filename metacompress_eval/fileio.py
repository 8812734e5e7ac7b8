"""Atomic file writes, tolerant text reading, and conversion to plain JSON values.

Every file the tool writes goes through :func:`atomic_write_bytes`: the content is written to a
temporary file in the same folder, flushed to disk and moved over the target with ``os.replace``.
A run that is killed at any moment therefore leaves either the old file or the new one, never a
half-written file. Files get the permissions the umask allows (``0644`` under ``022``), as a plain
``open()`` would give them, not the ``0600`` of a bare temporary file. Several files that belong
together (a table and its summary) are written with :func:`atomic_write_many`: all are staged
before any replaces its target.

Reading: :func:`iter_jsonl` and :func:`read_json_text` accept a UTF-8 byte order mark, and report
lines that are not UTF-8, not JSON (including JSON nested too deeply to parse) or that hold text no
UTF-8 file can store (a lone surrogate written as a ``\\ud800`` escape) as problems of that line;
:func:`check_text_encoding` turns a UTF-16 or UTF-32 file into one clear message.
"""

from __future__ import annotations

import glob
import json
import math
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import numpy as np

from .errors import MetaCompressError

UTF8_BOM = b"\xef\xbb\xbf"
_OTHER_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
               (b"\xfe\xff", "UTF-16"))
_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the system allows (Linux ``/proc``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:  # elsewhere the only way to read it is to set it and put it back
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def file_mode() -> int:
    """Permissions of a new file under the current umask (``0o666 & ~umask``)."""
    return 0o666 & ~current_umask()


def folder_mode() -> int:
    """Permissions of a new folder under the current umask (``0o777 & ~umask``)."""
    return 0o777 & ~current_umask()


def write_target(path: str | os.PathLike) -> Path:
    """Where a write to ``path`` lands: a symbolic link is followed, so the atomic replace puts the new
    file where the link points and the link stays a link (a rename over the link would replace it)."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user counts as alive: it may not be ours to judge)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path``, ``.NAME.<pid>-<random>.tmp``: the pid lets a later run tell
    the file of a killed writer (:func:`remove_stale_temps`) from one being written now."""
    return tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=path.parent)


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files beside ``path`` left by writers of it that were killed (their process is
    gone and they were this user's); returns them. Files without a pid in their name are left alone."""
    path = Path(path)
    removed = []
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        # the rest of the name is exactly "<pid>-<mkstemp's 8 characters>.tmp" (not another output's temp)
        mine = re.fullmatch(r"(\d+)-[a-z0-9_]{8}\.tmp", tmp.name[len(path.name) + 2:])
        try:
            if mine is None or tmp.lstat().st_uid != os.getuid() or pid_alive(int(mine.group(1))):
                continue
            tmp.unlink()
        except OSError:
            continue
        removed.append(tmp)
    return removed


def _stage(path: Path, data: bytes) -> str:
    """Write ``data`` to a synced temporary file beside ``path``; return its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_beside(path)
    try:
        os.fchmod(fd, file_mode())  # mkstemp makes 0600 files whatever the umask
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename)."""
    path = write_target(path)
    tmp = _stage(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise
    return path


def atomic_write_many(files: Mapping[str | os.PathLike, bytes]) -> list[Path]:
    """Write several files so that a failure leaves all of them as they were.

    Every file is staged (written and synced beside its target) before the first one replaces its
    target, so a full disk or any other write error changes nothing; only the renames, which need
    no space, come after.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            staged.append((_stage(write_target(path), data), write_target(path)))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            _unlink(tmp)
        raise
    return [path for _, path in staged]


def json_text(obj: Any, *, indent: int | None = 2) -> str:
    """``obj`` as JSON text; NaN/Infinity are refused (they are not JSON).

    Non-ASCII text stays readable; text that UTF-8 cannot hold (a lone surrogate) is written as a
    ``\\u`` escape instead of failing the write.
    """
    text = json.dumps(obj, indent=indent, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(obj, indent=indent, ensure_ascii=True, allow_nan=False)
    return text


def json_line(obj: Any) -> bytes:
    """``obj`` as one JSON-lines line in UTF-8 (:func:`json_text` without indentation, then ``\\n``).

    The same bytes as :func:`jsonl_text` writes for the row, made with one encoding pass.
    """
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    try:
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: as json_text, escape it
        return (json.dumps(obj, ensure_ascii=True, allow_nan=False) + "\n").encode("utf-8")


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON atomically; NaN/Infinity are refused (they are not JSON)."""
    return atomic_write_text(path, json_text(obj) + "\n")


def jsonl_text(rows: Iterable[dict]) -> str:
    """One JSON object per line (see :func:`json_text`)."""
    return "".join(json_text(r, indent=None) + "\n" for r in rows)


def atomic_write_jsonl(path: str | os.PathLike, rows: Iterable[dict]) -> Path:
    """Write one JSON object per line atomically."""
    return atomic_write_text(path, jsonl_text(rows))


def check_text_encoding(path: str | os.PathLike, what: str = "data file") -> None:
    """Refuse a UTF-16 or UTF-32 text file with one clear message (the tool reads UTF-8 only).

    Recognised by a byte order mark followed by text that decodes in that encoding, or by ASCII
    stored two bytes per character; anything else is left to the UTF-8 reader, which names the line.
    """
    with open(path, "rb") as fh:
        head = fh.read(4096)
    encoding = None
    for bom, name in _OTHER_BOMS:
        if head.startswith(bom):
            body = head[len(bom):]
            width = 4 if name == "UTF-32" else 2
            body = body[: len(body) - len(body) % width]
            codec = {(b"\xff\xfe", "UTF-16"): "utf-16-le", (b"\xfe\xff", "UTF-16"): "utf-16-be",
                     (b"\xff\xfe\x00\x00", "UTF-32"): "utf-32-le", (b"\x00\x00\xfe\xff", "UTF-32"): "utf-32-be"}[(bom, name)]
            try:
                if body.decode(codec).strip():
                    encoding = name
            except UnicodeDecodeError:
                pass
            break
    if encoding is None and _ascii_in_utf16(head):
        encoding = "UTF-16"  # ASCII text stored in two bytes per character, without a byte order mark
    if encoding:
        raise MetaCompressError(f"{what} {Path(path).name} is {encoding} text; save it as UTF-8 and try again")


def _ascii_in_utf16(head: bytes) -> bool:
    """Whether ``head`` is text stored two bytes per character: every other byte NUL, the others not.

    A run of NUL bytes (binary data) has NULs at both places and is left to the binary check.
    """
    body = head[: len(head) - len(head) % 2]
    if len(body) < 4:
        return False
    for text, zeros in ((body[0::2], body[1::2]), (body[1::2], body[0::2])):
        if zeros.count(0) >= 0.9 * len(zeros) and text.count(0) < 0.1 * len(text):
            return True
    return False


def unencodable_text(value: Any) -> str | None:
    """Where ``value`` (a row, a list, a string) holds text UTF-8 cannot store, described; else ``None``.

    JSON can spell a lone surrogate (``"\\ud800"``); Python then holds a string no UTF-8 file,
    terminal or tokenizer accepts. Walked with an explicit stack: a row may nest deeply.
    """
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                place = f" in {where!r}" if where else ""
                return f"lone surrogate U+{ord(item[exc.start]):04X}{place}"
        elif isinstance(item, dict):
            for key, sub in item.items():
                stack.append((key, where or str(key)))
                stack.append((sub, where or str(key)))
        elif isinstance(item, (list, tuple)):
            stack.extend((sub, where) for sub in item)
    return None


def parse_json_text(text: str) -> tuple[Any, str | None]:
    """``(value, None)`` for JSON text, or ``(None, problem)``: invalid, or nested too deeply to parse."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg})"
    except RecursionError:
        return None, "invalid JSON (nested too deeply)"
    except ValueError as exc:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        return None, f"invalid JSON ({' '.join(str(exc).split(';')[0].split())})"


class AtomicJsonlWriter:
    """A JSONL file written row by row and published atomically, for outputs too large to hold.

    Rows go to a temporary file in the target's folder; leaving the ``with`` block normally flushes,
    fsyncs and moves it over ``path``, leaving it by an exception deletes it (the target keeps its
    old content or stays absent). :meth:`publish` instead publishes it together with other files
    (a table and its summary), as :func:`atomic_write_many` does. ``rows`` counts the rows written.
    Rows already encoded as JSON lines (made in a worker process, see :func:`json_line`) are
    appended as they are with :meth:`write_lines`.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = write_target(path)
        self.rows = 0
        self._fh = None
        self._tmp: str | None = None
        self._made: list[Path] = []
        self._published = False

    def __enter__(self) -> "AtomicJsonlWriter":
        # A folder made here for nothing is removed again if the writing fails.
        self._made = [p for p in (self.path.parent, *self.path.parent.parents) if not p.exists()][::-1]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(self.path)  # of this output, by a writer that was killed
        fd, self._tmp = _temp_beside(self.path)
        os.fchmod(fd, file_mode())  # mkstemp makes 0600 files whatever the umask
        self._fh = os.fdopen(fd, "wb")
        return self

    def write(self, row: dict) -> None:
        """Append one row (as :func:`jsonl_text` writes it)."""
        self._fh.write(json_line(row))
        self.rows += 1

    def write_lines(self, lines: bytes) -> None:
        """Append rows already encoded by :func:`json_line` (whole lines, each ended by ``\\n``)."""
        self._fh.write(lines)
        self.rows += lines.count(b"\n")

    def publish(self, also: Mapping[str | os.PathLike, bytes] | None = None) -> list[Path]:
        """Publish the rows, and the files ``also`` (path → content) with them: every file is staged
        before the first replaces its target, so a failure leaves all of them as they were."""
        fh = self._fh
        fh.flush()
        os.fsync(fh.fileno())
        fh.close()
        staged: list[tuple[str, Path]] = [(self._tmp, self.path)]
        try:
            for path, data in (also or {}).items():
                staged.append((_stage(write_target(path), data), write_target(path)))
            for tmp, path in staged:
                os.replace(tmp, path)
        except BaseException:
            for tmp, _ in staged[1:]:
                _unlink(tmp)
            raise
        self._published = True
        return [path for _, path in staged]

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._published:
            return
        try:
            if exc_type is None:
                self.publish()
        finally:
            if not self._published:
                if not self._fh.closed:
                    self._fh.close()
                _unlink(self._tmp)
                for folder in reversed(self._made):
                    try:
                        folder.rmdir()
                    except OSError:  # not empty (someone else wrote there): leave it
                        break


def _text_lines(path: str | os.PathLike) -> Iterator[bytes]:
    """The lines of a file as bytes, ended by ``\\n``, ``\\r\\n`` or a lone ``\\r`` (classic Mac OS files).

    JSON text never holds a raw carriage return inside a string, so splitting on one is safe.
    """
    with open(path, "rb") as fh:
        for chunk in fh:
            body = chunk[:-1] if chunk.endswith(b"\n") else chunk
            if body.endswith(b"\r"):
                body = body[:-1]
            yield from body.split(b"\r") if b"\r" in body else (body,)


def iter_jsonl(path: str | os.PathLike) -> Iterator[tuple[int, dict | None, str | None]]:
    """Yield ``(line_number, row, problem)`` for each non-blank line of a JSONL file.

    Written by hand rather than with ``datasets``' JSON builder because that builder fails the whole
    file on one line with invalid UTF-8 or invalid JSON; here such a line is reported as a problem
    (and counted as a skip by the caller) while every good line is kept. A UTF-8 byte order mark
    before the first line is ignored; lines may end in ``\\n``, ``\\r\\n`` or ``\\r``.
    """
    number = 0
    for raw in _text_lines(path):
        number += 1
        if number == 1 and raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM):]
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, None, f"invalid UTF-8 at byte {exc.start} of the line"
            continue
        row, problem = parse_json_text(text)
        if problem is None and not isinstance(row, dict):
            problem = "line is not a JSON object"
        if problem is None:
            bad = unencodable_text(row)
            if bad:
                problem = f"text not encodable as UTF-8 ({bad})"
        if problem:
            yield number, None, problem
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
