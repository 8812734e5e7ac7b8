"""Output locations: checked before any work, replaced whole or not at all.

A command that writes a folder of files (``evaluate``'s report, ``attack``'s results, ``dataset``'s
repository layout) gets an :class:`OutputFolder`:

* :meth:`OutputFolder.check` runs before any work: ``--out`` must not be a file, must not be a
  folder of someone else's files (it will be replaced as a whole), and its parent must take a new
  folder — the sibling staging folder is made there and then, so a read-only or missing location
  fails in the first second instead of after all inference;
* the command writes into :attr:`OutputFolder.staging`, a hidden sibling of ``--out``;
* :meth:`OutputFolder.commit` swaps the staging folder in (``renameat2(RENAME_EXCHANGE)`` where
  Linux offers it, else two renames) and removes the old folder; :meth:`OutputFolder.discard`
  (also on any exception inside ``with``) removes the staging folder and leaves ``--out`` as it was.

A reader therefore sees the earlier run's files or the new run's, never a mixture, and a full disk
or a killed process leaves the earlier output whole. What killed runs leave (staging folders, temp files) is removed by
the next command that locks the same place (:func:`lock_output` calls
:func:`~metacompress_eval.fileio.sweep_dead_writers`, the one rule for every command).

A command that writes files (``transform``, ``verify``) checks them with :func:`check_output_file`
and writes them together with :func:`~metacompress_eval.fileio.atomic_write_many`.

Every output location is named by :func:`output_path`: an empty name is refused (it would mean the
current folder), and a symbolic link is followed: the outputs are written where the link points and
the link stays (a link loop is refused). While a command writes a location it holds its lock
(:func:`lock_output`, a ``.NAME.lock`` file beside it locked with ``flock``), so a second run writing
the same place at the same time stops before any work with one line naming the first run's process;
the lock ends with the command (or the process), and its file is removed.
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
from pathlib import Path
from typing import Iterable

from .errors import MetaCompressError
from .fileio import folder_mode, sweep_dead_writers, temp_beside, temp_folder_beside


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def write_failed(what: str, path: Path, exc: OSError, kept: str = "the earlier output there is unchanged") -> MetaCompressError:
    """The one-line error of a write that failed (a full disk, a permission, a vanished folder)."""
    return MetaCompressError(f"cannot write {what} {path}: {_reason(exc)}; {kept}")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2`` with ``RENAME_EXCHANGE``); ``False`` if unavailable."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False  # old kernel or a file system without it: fall back to two renames
    raise OSError(err, os.strerror(err), str(b))


def output_path(path: str | os.PathLike, what: str = "output") -> Path:
    """The location a command writes for ``--out`` ``path``: never empty, symbolic links followed.

    An empty or blank name is refused (``Path("")`` is the current folder, which would be filled or
    replaced). A symbolic link is followed to where it points (created there if missing), so the
    link keeps pointing at the new output instead of being replaced by a plain file or folder; a
    link to a ``/proc`` entry (``/dev/stdout``) is left as it is for :func:`check_output_file` to refuse.
    """
    text = os.fspath(path)
    if not str(text).strip():
        raise MetaCompressError(f"the {what} location is empty; name a file or folder (\".\" is not taken "
                                "for the current folder)")
    result = Path(text).expanduser()
    if result.name in ("", ".."):  # "." or "..": the folder's own name is needed for the files beside it
        result = Path(os.path.abspath(result))
        if not result.name:
            raise MetaCompressError(f"{what} {text} is the root folder; name a folder inside it")
    if not result.is_symlink() or _links_into_proc(result):
        return result
    try:
        return result.resolve(strict=True)
    except FileNotFoundError:
        return Path(os.path.realpath(result))  # a dangling link: the output is made where it points
    except (RuntimeError, OSError):
        raise MetaCompressError(f"{what} {result} is a symbolic link that loops back on itself; "
                                "name another location") from None


_HELD: dict[Path, tuple[int, Path]] = {}  # output location -> (locked descriptor, lock file)


def lock_output(path: Path, what: str = "output") -> None:
    """Hold the lock of output location ``path`` until :func:`unlock_output` (or the process ends).

    Refuses, in one line naming the other process, when another run holds it. Taken again by the
    same process, it is a no-op.
    """
    path = Path(os.path.abspath(path))
    if path in _HELD:
        return
    lock = path.parent / f".{path.name}.lock"
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise MetaCompressError(f"cannot write {what} {path}: {_reason(exc)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            by = f" (process {holder})" if holder.isdigit() else ""
            raise MetaCompressError(f"{what} {path} is being written by another metacompress run{by}; wait for it "
                                    "to finish or choose another location") from None
        except OSError:  # a file system without locks (some network mounts): write unguarded, as before
            os.close(fd)
            _unlink_quietly(lock)
            sweep_dead_writers(path)
            return
        try:
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed the file as we opened it: lock the new one
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    _HELD[path] = (fd, lock)
    sweep_dead_writers(path)  # what killed runs left there (their temp files, staging folders)


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def unlock_output(path: Path) -> None:
    """Release the lock :func:`lock_output` took on ``path`` and remove its file."""
    held = _HELD.pop(Path(os.path.abspath(path)), None)
    if held is None:
        return
    fd, lock = held
    try:
        os.unlink(lock)  # while still locked: a run waiting on this file sees it gone and makes a new one
    except OSError:
        pass
    os.close(fd)


def release_output_locks() -> None:
    """Release every output lock this process holds (the CLI calls it when a command ends)."""
    for path in list(_HELD):
        unlock_output(path)


atexit.register(release_output_locks)


class OutputFolder:
    """A folder of outputs that is checked first and replaced as a whole (see the module docstring).

    Args:
        path: the folder (``--out``).
        what: how messages name it (``"report folder"``).
        markers: files that make an existing folder an earlier output of this command, which may be
            replaced; an empty folder may always be replaced. Any other non-empty folder is refused.
        keep: names of files or folders carried over from the earlier output into the new one
            (``dataset`` keeps the configurations it is not rebuilding).
    """

    def __init__(self, path: str | os.PathLike, *, what: str = "output folder", markers: Iterable[str] = (),
                 keep: Iterable[str] = ()):
        self.path = output_path(path, what)
        self.what = what
        self.markers = tuple(markers)
        self.keep = tuple(keep)
        self.staging: Path | None = None

    def __enter__(self) -> "OutputFolder":
        self.check()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.discard()

    def _earlier_output(self) -> bool:
        try:
            entries = [p.name for p in self.path.iterdir()]
        except OSError as exc:
            raise MetaCompressError(f"cannot read {self.what} {self.path}: {_reason(exc)}") from None
        return not entries or any(m in entries for m in self.markers)

    def check(self) -> Path:
        """Refuse an unusable location, make the staging folder beside it, return the staging folder."""
        path = self.path
        if path.exists() and not path.is_dir():
            raise MetaCompressError(f"{self.what} {path} is an existing file, not a folder; choose another --out")
        if path.is_dir() and Path.cwd().resolve().is_relative_to(path.resolve()):
            raise MetaCompressError(f"{self.what} {path} is the current folder or holds it, and would be replaced as "
                                    "a whole; name a folder inside it")
        _check_ancestors(path, self.what)
        if path.is_dir() and not self._earlier_output():
            raise MetaCompressError(
                f"{self.what} {path} already holds other files and would be replaced as a whole; choose a new or "
                "empty folder (or an earlier output of this command)")
        parent = path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MetaCompressError(f"cannot write {self.what} {path}: {_reason(exc)}") from None
        lock_output(path, self.what)
        try:
            self.staging = temp_folder_beside(path)
            os.chmod(self.staging, folder_mode())  # mkdtemp makes 0700 folders whatever the umask
        except OSError as exc:
            unlock_output(path)
            raise MetaCompressError(f"cannot write {self.what} {path}: {_reason(exc)}") from None
        for name in self.keep:
            src = path / name
            if src.exists():
                copy = shutil.copytree if src.is_dir() else shutil.copy2
                try:
                    copy(src, self.staging / name)
                except OSError as exc:
                    self.discard()
                    raise MetaCompressError(f"cannot copy {src} into the new {self.what}: {_reason(exc)}") from None
        return self.staging

    def commit(self) -> Path:
        """Swap the staging folder in for ``--out`` and remove the earlier output."""
        if self.staging is None:
            raise RuntimeError("OutputFolder.commit() before check()")
        staging, path = self.staging, self.path
        try:
            if path.exists():
                if _exchange(staging, path):
                    shutil.rmtree(staging, ignore_errors=True)  # now holds the earlier output
                else:
                    old = temp_folder_beside(path, "old")
                    os.rename(path, old / path.name)
                    os.rename(staging, path)
                    shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(staging, path)
        except OSError as exc:
            self.discard()
            raise write_failed(self.what, path, exc) from None
        self.staging = None
        unlock_output(path)
        return path

    def discard(self) -> None:
        """Remove the staging folder; ``--out`` stays as it was."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None
        unlock_output(self.path)


def _check_ancestors(path: Path, what: str) -> None:
    """The nearest existing folder above ``path`` must be a folder (not a file someone named as one)."""
    for ancestor in path.absolute().parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise MetaCompressError(f"cannot write {what} {path}: {ancestor} is a file, not a folder")
            return


def _links_into_proc(path: Path) -> bool:
    """Whether ``path`` is (a chain of symlinks to) a ``/proc`` link such as ``/dev/stdout`` → ``/proc/self/fd/1``:
    ``resolve()`` would see the regular file behind a redirected stdout, and replacing the link
    would put a regular file in place of ``/dev/stdout``."""
    current = path.absolute()
    for _ in range(40):
        if current.is_relative_to("/proc"):
            return True
        if not current.is_symlink():
            return False
        current = current.parent / os.readlink(current)
    return False


def check_output_file(path: str | os.PathLike, what: str = "output file",
                      inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Refuse an output file location that cannot be written, before any work.

    The file may exist (it is replaced atomically); it must not be a folder, nor a device, pipe or
    socket (``/dev/null``, ``/dev/stdout``: the atomic replace would put a regular file in place of
    the device), nor one of ``inputs`` (the command would overwrite what it reads); its folder must
    exist or be creatable and take a new file (a temporary one is made and removed to find out).
    Returns the location to write (:func:`output_path`: a symbolic link followed), locked until the
    command ends (:func:`lock_output`).
    """
    given = Path(os.fspath(path)).expanduser()  # messages name the location as the user did
    path = output_path(path, what)
    if path.is_dir():
        raise MetaCompressError(f"{what} {given} is an existing folder, not a file; name a file")
    if path.exists() and (not path.is_file() or _links_into_proc(path)):
        raise MetaCompressError(f"{what} {given} is not a regular file (a device, pipe or socket); name a file")
    for source in inputs:
        try:
            same = path.exists() and os.path.samefile(path, source)
        except OSError:
            same = False
        if same:
            raise MetaCompressError(f"{what} {given} is the input file {source}; name another file "
                                    "(the input would be overwritten)")
    _check_ancestors(path, what)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = temp_beside(path)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise MetaCompressError(f"cannot write {what} {given}: {_reason(exc)}") from None
    lock_output(path, what)
    return path


def check_input_file(path: str | os.PathLike, what: str = "input file") -> Path:
    """An existing, readable regular file, or one clear error (missing, a folder, unreadable)."""
    path = Path(path).expanduser()
    if not path.exists():
        raise MetaCompressError(f"{what} not found: {path}")
    if path.is_dir():
        raise MetaCompressError(f"{what} {path} is a folder, not a file")
    if not path.is_file():
        raise MetaCompressError(f"{what} {path} is not a regular file")
    if not os.access(path, os.R_OK):
        raise MetaCompressError(f"cannot read {what} {path}: permission denied")
    return path
