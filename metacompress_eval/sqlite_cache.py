"""The cache folder, and what every SQLite cache file in it does the same way.

The output cache (:class:`metacompress_eval.inference.OutputCache`) and the representation cache
(:class:`metacompress_eval.representations.store.RepresentationCache`) are SQLite files because their
transactions make each committed batch durable and a half-finished one invisible, and several processes
may share a file. Both open, refuse and recover alike: :class:`SqliteCache` holds that, each subclass
its table (:meth:`SqliteCache.create_tables`) and its rows.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import ClassVar

from .errors import MetaCompressError


def default_cache_dir() -> Path:
    """``$METACOMPRESS_CACHE`` or ``$XDG_CACHE_HOME/metacompress`` (``~/.cache/metacompress``)."""
    env = os.environ.get("METACOMPRESS_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "metacompress"


def move_damaged_cache(path: Path, exc: Exception) -> None:
    """Move a cache file SQLite cannot read (and its WAL files) aside as ``<name>.corrupt-<time>``, with a
    one-line warning; the caller then starts a new file. Shared by the output and representation caches."""
    from .console import warn

    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    try:
        os.replace(path, target)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    except OSError as move_error:
        raise MetaCompressError(f"the cache {path} is damaged ({exc}) and cannot be moved aside "
                                f"({move_error.strerror}); delete it or choose another --cache-dir") from None
    warn(f"the cache {path} is damaged ({exc}); moved it to {target.name} and started a new one "
         "(its contents are recomputed)")


class SqliteCache:
    """One SQLite cache file: its folder made, the file opened in WAL mode with the subclass's tables,
    and a file SQLite cannot read at all (garbage, truncated) moved aside and started anew
    (:meth:`set_aside`, with a warning). A folder that cannot be made or a file that cannot be opened
    is one line naming ``--cache-dir``. An existing file this process may not write (its folder or file
    system read-only) is read without writing (:attr:`read_only`, one warning line), never set aside.

    Subclasses set :attr:`FILE` (the file name :meth:`in_dir` uses) and implement :meth:`create_tables`;
    they call :meth:`set_aside` when a read or write finds the file damaged.

    The connection may be used from more than one thread (the inference engine commits outputs on a
    writer thread while it reads the cache for the next inputs); whoever uses it holds :attr:`lock`
    for the whole operation, so that one thread's transaction never takes in another's statements.
    """

    FILE: ClassVar[str] = ""
    #: Opened without writing (an existing file this process may not write, e.g. a shared cache): rows
    #: are read, nothing is stored or deleted, and no read error moves the file aside.
    read_only: bool = False

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.lock = threading.RLock()
        folder = self.path.parent
        if folder.exists() and not folder.is_dir():
            raise MetaCompressError(f"cache folder {folder} is a file, not a folder; choose another with --cache-dir")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise MetaCompressError(f"cannot create the cache folder {folder}: {exc.strerror or exc}; "
                                    "choose another with --cache-dir") from None
        if self.path.is_file() and not self.writable():
            self._open_read_only(None)
            return
        try:
            self._open()
        except sqlite3.DatabaseError as exc:
            if self.path.is_file() and _unwritable(exc):
                self._open_read_only(exc)
            elif not self.path.exists():
                raise MetaCompressError(f"cannot create the cache {self.path} ({exc}); choose a writable "
                                        "--cache-dir") from None
            else:
                self.set_aside(exc)
        except OSError as exc:  # sqlite3.connect on a folder it cannot write
            raise MetaCompressError(f"cannot open the cache {self.path}: {exc.strerror or exc}; "
                                    "choose another with --cache-dir") from None

    def writable(self) -> bool:
        """Whether this process may write the file and its folder (SQLite keeps its WAL files beside it)."""
        return os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)

    @classmethod
    def in_dir(cls, folder: str | os.PathLike | None = None):
        """The cache file :attr:`FILE` in ``folder`` (default: :func:`default_cache_dir`)."""
        return cls(Path(folder or default_cache_dir()) / cls.FILE)

    def create_tables(self, db: sqlite3.Connection) -> None:
        """Create (or upgrade) the subclass's tables in ``db`` (committed by the caller)."""
        raise NotImplementedError

    def _open(self) -> None:
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self.create_tables(self._db)
            self._db.commit()
        except BaseException:
            self._db.close()
            raise

    def _open_read_only(self, exc: Exception | None) -> None:
        """Open the existing file for reading only (one warning line), or refuse in one line: a file that
        is only unwritable is never called damaged nor moved aside.

        ``mode=ro`` still needs the WAL index file beside the database; in a folder where it cannot be
        made, ``immutable=1`` reads the file without any locking (so this process must not share it with
        a writer, which an unwritable folder rules out for this user).
        """
        from .console import warn

        uri = self.path.resolve().as_uri()
        last: Exception | None = exc
        for flags in ("mode=ro", "mode=ro&immutable=1"):
            db = sqlite3.connect(f"{uri}?{flags}", uri=True, timeout=60, check_same_thread=False)
            try:
                self.create_tables(db)  # writes nothing when the tables are already there (else refused)
                db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            except sqlite3.DatabaseError as error:
                db.close()
                last = error
                continue
            self._db, self.read_only = db, True
            warn(f"the cache {self.path} is not writable: the outputs it holds are used, new ones are not kept "
                 "(choose a writable --cache-dir to keep them)")
            return
        raise MetaCompressError(f"the cache {self.path} is not writable and cannot be read as it is ({last}); "
                                "choose a writable --cache-dir") from None

    def set_aside(self, exc: Exception) -> None:
        """Move the unreadable cache file (and its journal) aside and start a new one (never a file opened
        read-only: that one is refused in one line)."""
        if self.read_only:
            raise MetaCompressError(f"cannot read the cache {self.path} ({exc}), which is not writable; "
                                    "choose a writable --cache-dir") from None
        try:
            self._db.close()
        except Exception:  # noqa: BLE001 - it is broken; closing is a courtesy
            pass
        move_damaged_cache(self.path, exc)
        self._open()

    def close(self) -> None:
        with self.lock:
            self._db.close()


def _unwritable(exc: Exception) -> bool:
    """Whether SQLite's error says the file could not be written (or opened for writing), not that it is
    damaged: a read-only file, folder or file system."""
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open database file" in text


__all__ = ["SqliteCache", "default_cache_dir", "move_damaged_cache"]
