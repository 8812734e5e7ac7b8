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
or a killed process leaves the earlier output whole. Staging folders of killed runs are removed by
the next run that writes to the same place.

A command that writes files (``transform``, ``verify``) checks them with :func:`check_output_file`
and writes them together with :func:`~metacompress_eval.fileio.atomic_write_many`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable

from .errors import MetaCompressError
from .fileio import folder_mode

_STAGING = ".tmp-"
_OLD = ".old-"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def write_failed(what: str, path: Path, exc: OSError, kept: str = "the earlier output there is unchanged") -> MetaCompressError:
    """The one-line error of a write that failed (a full disk, a permission, a vanished folder)."""
    return MetaCompressError(f"cannot write {what} {path}: {_reason(exc)}; {kept}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


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
        self.path = Path(path).expanduser()
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
        _check_ancestors(path, self.what)
        if path.is_dir() and not self._earlier_output():
            raise MetaCompressError(
                f"{self.what} {path} already holds other files and would be replaced as a whole; choose a new or "
                "empty folder (or an earlier output of this command)")
        parent = path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self._remove_stale(parent)
            self.staging = Path(tempfile.mkdtemp(prefix=f".{path.name}{_STAGING}{os.getpid()}-", dir=parent))
            os.chmod(self.staging, folder_mode())  # mkdtemp makes 0700 folders whatever the umask
        except OSError as exc:
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

    def _remove_stale(self, parent: Path) -> None:
        """Staging and old folders of killed runs (their process is gone) beside ``--out``."""
        for prefix in (_STAGING, _OLD):
            for stale in parent.glob(f".{self.path.name}{prefix}*"):
                pid = stale.name[len(f".{self.path.name}{prefix}"):].split("-")[0]
                if pid.isdigit() and not _pid_alive(int(pid)):
                    shutil.rmtree(stale, ignore_errors=True)

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
                    old = Path(tempfile.mkdtemp(prefix=f".{path.name}{_OLD}{os.getpid()}-", dir=path.parent))
                    os.rename(path, old / path.name)
                    os.rename(staging, path)
                    shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(staging, path)
        except OSError as exc:
            self.discard()
            raise write_failed(self.what, path, exc) from None
        self.staging = None
        return path

    def discard(self) -> None:
        """Remove the staging folder; ``--out`` stays as it was."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)
            self.staging = None


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
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise MetaCompressError(f"{what} {path} is an existing folder, not a file; name a file")
    if path.exists() and (not path.is_file() or _links_into_proc(path)):
        raise MetaCompressError(f"{what} {path} is not a regular file (a device, pipe or socket); name a file")
    for source in inputs:
        try:
            same = path.exists() and os.path.samefile(path, source)
        except OSError:
            same = False
        if same:
            raise MetaCompressError(f"{what} {path} is the input file {source}; name another file "
                                    "(the input would be overwritten)")
    _check_ancestors(path, what)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise MetaCompressError(f"cannot write {what} {path}: {_reason(exc)}") from None
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
