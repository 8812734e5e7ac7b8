"""Atomic file writes, tolerant text reading, and conversion to plain JSON values.

Every file the tool writes goes through :func:`atomic_write_bytes`: the content is written to a
temporary file in the same folder, flushed to disk and moved over the target with ``os.replace``.
A run that is killed at any moment therefore leaves either the old file or the new one, never a
half-written file. Files get the permissions the umask allows (``0644`` under ``022``), as a plain
``open()`` would give them, not the ``0600`` of a bare temporary file. Several files that belong
together (a table and its summary) are written with :func:`atomic_write_many`: all are staged
before any replaces its target. Temp files are named ``.NAME.<pid>-<namespace>-<random>.tmp`` so
that :func:`sweep_dead_writers` can tell those of killed writers from those being written.

Reading: :func:`iter_jsonl` and :func:`read_json_text` accept a UTF-8 byte order mark, and report
lines that are not UTF-8, not JSON (including JSON nested too deeply to parse) or that hold text no
UTF-8 file can store (a lone surrogate written as a ``\\ud800`` escape) as problems of that line;
:func:`check_text_encoding` turns a UTF-16 or UTF-32 file into one clear message.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import re
import shutil
import socket
import tempfile
import threading
import time
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
    except (OSError, OverflowError):  # another user's, or no pid at all: not ours to judge
        return True
    return True


@functools.lru_cache(maxsize=None)
def writer_namespace() -> str:
    """Eight hex digits naming where this process's pid means something: the machine's boot
    (``/proc/sys/kernel/random/boot_id``, else the host name) and its pid namespace (the inode of
    ``/proc/self/ns/pid``).

    A pid names a process only inside one pid namespace of one running kernel: a run in another container,
    CI job or host that shares the folder (a shared ``/tmp``, an HPC ``TMPDIR``, an NFS output folder) would
    see a live writer's pid as dead. Every name that carries a pid carries this value too, and
    :func:`sweep_dead_writers` judges the pid only when the value is its own.
    """
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            boot = fh.read().strip()
    except OSError:
        boot = socket.gethostname()
    try:
        space = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        space = 0
    return hashlib.sha256(f"{boot}:{space}".encode()).hexdigest()[:8]


def writer_tag() -> str:
    """``<pid>-<namespace>``: the writer part of the names of temp files, staging folders and run folders."""
    return f"{os.getpid()}-{writer_namespace()}"


def temp_beside(path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path``, ``.NAME.<pid>-<namespace>-<random>.tmp``: the pid and its
    namespace (:func:`writer_namespace`) let a later run tell the file of a killed writer
    (:func:`sweep_dead_writers`) from one being written now."""
    return tempfile.mkstemp(prefix=f".{path.name}.{writer_tag()}-", suffix=".tmp", dir=path.parent)


def temp_folder_beside(path: Path, kind: str = "tmp") -> Path:
    """A new folder beside ``path`` for a folder output built whole before it replaces ``path``
    (``kind`` ``"tmp"``) or for the output it replaces on its way out (``"old"``):
    ``.NAME.<kind>-<pid>-<namespace>-<random>``, removed by :func:`sweep_dead_writers` once its process is
    gone. Private (``0700``) as mkdtemp makes it."""
    return Path(tempfile.mkdtemp(prefix=f".{path.name}.{kind}-{writer_tag()}-", dir=path.parent))


# What writers leave while they work, by name: temp files of the atomic writers
# ``.NAME.<pid>-<namespace>-<random>.tmp`` and folders of outputs built whole ``.NAME.tmp-<pid>-<namespace>-<random>``
# / ``.NAME.old-<pid>-<namespace>-<random>``, exactly as made above: ``random`` is tempfile's 8 characters
# (``tempfile._RandomNameSequence``: a-z, 0-9, _), the pid ASCII digits below Linux's largest pid_max (2**22, so
# at most 7 digits), the namespace 8 hex digits. Temp files of versions without the namespace ``.NAME.<pid>-<random>.tmp``
# or without the pid ``.NAME.<random>.tmp`` tell nothing sure about their writer.
_RANDOM = r"[a-z0-9_]{8}"
_PID = r"([1-9][0-9]{0,6})"
_NAMESPACE = r"([0-9a-f]{8})"
_TEMP_FILE = re.compile(rf"{_PID}-{_NAMESPACE}-{_RANDOM}\.tmp", re.ASCII)
_TEMP_FOLDER = re.compile(rf"(?:tmp|old)-{_PID}-{_NAMESPACE}-{_RANDOM}", re.ASCII)
_UNSURE_FILE = re.compile(rf"(?:[1-9][0-9]{{0,6}}-)?{_RANDOM}\.tmp", re.ASCII)
#: A leftover whose writer cannot be judged here (a name without pid or namespace, made by an older version,
#: or one of another pid namespace or machine) is removed only when unchanged for this long (seconds), and a
#: file only when no process of this user has it open either.
PIDLESS_AGE = 24 * 3600


#: Run folders (the follow-up workers' and compilers' scratch, ``verify.lifetime.scratch_dir``) are named
#: ``metacompress-run-<pid>-<namespace>-<random>`` (:func:`writer_tag`; older versions: ``-<pid>-<random>``).
RUN_PREFIX = "metacompress-run-"
_RUN_FOLDER = re.compile(rf"{re.escape(RUN_PREFIX)}{_PID}-(?:{_NAMESPACE}-)?[a-z0-9_]+", re.ASCII)


def _writer_gone(pid: str, namespace: str | None) -> bool | None:
    """Whether the writer named by ``pid``/``namespace`` has ended: ``True``/``False`` when the namespace is
    this process's own, ``None`` (unknown: judge by age) when it is another's or missing."""
    if namespace is None or namespace != writer_namespace():
        return None
    return not pid_alive(int(pid))


def _unchanged_for(path: str, age: float) -> bool:
    """Whether nothing in ``path`` (a file, or a folder and all it holds) changed in the last ``age`` seconds."""
    limit = time.time() - age
    try:
        if os.lstat(path).st_mtime > limit:
            return False
        for top, folders, files in os.walk(path):
            for name in folders + files:
                if os.lstat(os.path.join(top, name)).st_mtime > limit:
                    return False
    except OSError:
        return False
    return True


def remove_dead_run_folders(parent: str | None = None) -> list[str]:
    """Remove the run folders in ``parent`` (default: the temp folder) left by dead processes of this user.

    A main process killed outright (SIGKILL, the OOM killer) cannot remove its run folder; the next
    command does (:func:`sweep_dead_writers`). A folder of this pid namespace is removed when its maker is
    gone (a reused pid keeps it until that process ends). A folder of another pid namespace or machine
    (containers or jobs sharing the temp folder), or of an older version that named no namespace, is
    removed only when nothing in it changed for :data:`PIDLESS_AGE`: its maker may be alive where this
    process cannot see it. Folders of another user, and names not made this way, are kept.
    Returns the folders removed.
    """
    parent = parent or tempfile.gettempdir()
    removed = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        match = _RUN_FOLDER.fullmatch(entry.name)
        if match is None:
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except OSError:
            continue
        gone = _writer_gone(match.group(1), match.group(2))
        if gone is False or (gone is None and not _unchanged_for(entry.path, PIDLESS_AGE)):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed.append(entry.path)
    return removed


def sweep_dead_writers(location: str | os.PathLike) -> list[Path]:
    """Remove what writers that were killed outright (SIGKILL, the OOM killer, power loss) left at output
    location ``location`` (a file or a folder); returns what was removed.

    Every command that writes outputs calls it for each location while holding that location's lock
    (:func:`metacompress_eval.outputs.lock_output`), after its arguments were checked, so the same rule
    holds everywhere:

    * beside ``location``: its temp files ``.NAME.<pid>-<namespace>-<random>.tmp`` and its staging and old
      folders ``.NAME.tmp-<pid>-<namespace>-<random>`` / ``.NAME.old-<pid>-<namespace>-<random>``
      (leftovers of other outputs in the same folder are theirs to sweep);
    * inside ``location`` when it is a folder written file by file (``distill``'s, ``demo``'s): the temp
      files ``.X.<pid>-<namespace>-<random>.tmp`` of this pid namespace only, in that folder only (never its
      subfolders: ``.git`` or the user's own are not this tool's); a user's file there needs this
      machine's namespace value in its name to be taken for one;
    * in the temp folder: run folders ``metacompress-run-<pid>-<namespace>-*`` (:func:`remove_dead_run_folders`).

    A leftover is removed when this user owns it, its name carries this process's pid namespace
    (:func:`writer_namespace`) and the process its name names is gone (a pid reused by another process
    keeps it until that one ends). Beside ``location``, a leftover of another pid namespace or machine and
    temp files named by older versions (``.NAME.<random>.tmp``, ``.NAME.<pid>-<random>.tmp``) tell nothing
    sure about their writer: they are removed only when unchanged for :data:`PIDLESS_AGE` and (files) open
    in no process of this user (``/proc``; without ``/proc`` they are kept). Names that only look alike
    (other digits, other lengths) are never touched.
    """
    path = Path(location)
    removed: list[Path] = []
    unsure: list[Path] = []
    _sweep_folder(path.parent, f".{path.name}.", removed, unsure)
    if path.is_dir() and not path.is_symlink():
        _sweep_folder(path, None, removed, None)
    removed += _remove_unused(unsure)
    removed += [Path(p) for p in remove_dead_run_folders()]
    return removed


def _sweep_folder(folder: Path, prefix: str | None, removed: list[Path], unsure: list[Path] | None) -> None:
    """Leftovers of dead writers in ``folder``: those of the output named by ``prefix`` ``".NAME."`` (with
    ``unsure`` collecting the files :func:`_remove_unused` judges by age), or, with ``prefix`` ``None``, the
    temp files of any output there whose writer is known to be gone."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not name.startswith("."):
            continue
        if prefix is not None:
            if not name.startswith(prefix) or len(name) == len(prefix):
                continue
            tails = [name[len(prefix):]]
        else:  # ".NAME.<tail>" for any NAME (which may hold dots itself)
            tails = [name[i + 1:] for i in range(2, len(name)) if name[i] == "."]
        try:
            info = entry.stat(follow_symlinks=False)
            if info.st_uid != os.getuid():
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir and prefix is None:
            continue
        for tail in tails:
            match = (_TEMP_FOLDER if is_dir else _TEMP_FILE).fullmatch(tail)
            if match is not None:
                gone = _writer_gone(match.group(1), match.group(2))
                if gone is None and unsure is not None:
                    if not is_dir:
                        unsure.append(Path(entry.path))
                    elif _unchanged_for(entry.path, PIDLESS_AGE):
                        gone = True
                if gone:
                    try:
                        shutil.rmtree(entry.path) if is_dir else os.unlink(entry.path)
                    except OSError:
                        break
                    removed.append(Path(entry.path))
                break
            if not is_dir and unsure is not None and _UNSURE_FILE.fullmatch(tail):
                unsure.append(Path(entry.path))
                break


def _remove_unused(candidates: list[Path]) -> list[Path]:
    """Remove the files of ``candidates`` unchanged for :data:`PIDLESS_AGE` and open in no process of this
    user (none is removed where ``/proc`` cannot say)."""
    old = {}
    for path in candidates:
        try:
            info = path.stat()
        except OSError:
            continue
        if _unchanged_for(str(path), PIDLESS_AGE):
            old[(info.st_dev, info.st_ino)] = path
    if not old:
        return []
    held = _open_files()
    if held is None:
        return []
    removed = []
    for key, path in old.items():
        if key in held:
            continue
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _open_files() -> set[tuple[int, int]] | None:
    """``(device, inode)`` of every file open in a process of this user (``None`` without ``/proc``)."""
    try:
        pids = [e.name for e in os.scandir("/proc") if e.name.isascii() and e.name.isdigit()]
    except OSError:
        return None
    held = set()
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:  # gone, or another user's
            continue
        for fd in fds:
            try:
                info = os.stat(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            held.add((info.st_dev, info.st_ino))
    return held


def _stage(path: Path, data: bytes) -> str:
    """Write ``data`` to a synced temporary file beside ``path``; return its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temp_beside(path)
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
        sweep_dead_writers(self.path)  # this output's temp files of writers that were killed
        fd, self._tmp = temp_beside(self.path)
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
