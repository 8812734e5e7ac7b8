"""What verification leaves behind ends with the run: its temporary folders and its compiler processes.

Verification writes each batch of sources to a temporary folder and runs a compiler on it, often in a
follow-up worker process (:mod:`metacompress_eval.follow_ups`). A worker killed outright (SIGKILL, the
OOM killer) runs no cleanup: its ``TemporaryDirectory`` blocks never exit and its ``atexit`` handlers
never run (a pool worker ends with ``os._exit`` even normally), and the compiler it was waiting for
would run on as an orphan. So:

* every temporary folder of a run is made under one folder per run, :func:`scratch_dir`, made by the
  process that starts the workers (they inherit it) and removed by that process when it exits, whatever
  became of the workers;
* every compiler is started with ``preexec_fn=die_with_parent()``: on Linux the kernel
  sends it SIGKILL when the process that started it dies (``PR_SET_PDEATHSIG``). That is the robust
  choice: it needs nothing from the dying process (a process-group kill would have to be sent by the
  very process that was killed), and it costs one system call per compiler. A compiler driver's own
  children (gcc's ``cc1``) are not covered, but they work on one file each and end within moments.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading

from ..errors import MetaCompressError
from ..fileio import RUN_PREFIX, remove_dead_run_folders, writer_tag

_SCRATCH: str | None = None  # this run's folder (inherited by forked workers)
_OWNER: int | None = None  # the process that made it and removes it
_VANISHED: str | None = None  # a folder of this run that something else removed while the run went on


def scratch_dir() -> str:
    """This run's temporary folder (made on first use, under ``TMPDIR``); removed when its maker exits.

    Pass it as ``dir=`` to ``tempfile``: what a killed worker leaves there goes with the run.
    """
    global _SCRATCH, _OWNER, _VANISHED
    if _SCRATCH is None or not os.path.isdir(_SCRATCH):
        if _SCRATCH is not None:
            _VANISHED = _VANISHED or _SCRATCH
        remove_dead_run_folders()
        _SCRATCH = tempfile.mkdtemp(prefix=f"{RUN_PREFIX}{writer_tag()}-")
        _OWNER = os.getpid()
        atexit.register(_remove, _SCRATCH, _OWNER)
    return _SCRATCH


def check_scratch_kept() -> None:
    """Refuse, in one line naming it, to go on when this run's temporary folder was removed under it.

    Another process cleaning the temp folder (a cron job, a run of another container sharing ``TMPDIR``)
    makes every compiler call that used the folder fail; those failures say nothing about the code, so the
    compiler check calls this before it counts any of them as new compiler errors.
    """
    if _SCRATCH is not None and not os.path.isdir(_SCRATCH):
        gone = _SCRATCH
    else:
        gone = _VANISHED
    if gone is not None:
        raise MetaCompressError(f"the run's temporary folder {gone} was removed while the run was using it "
                                "(by another process cleaning the temp folder?); the compiler check cannot be "
                                "trusted, so the run stops: rerun, or set TMPDIR to a folder of this run's own")


class Terminated(KeyboardInterrupt):
    """SIGTERM turned into an interruption (:func:`terminate_as_interrupt`): the same cleanup runs."""


@contextlib.contextmanager
def terminate_as_interrupt():
    """While inside, SIGTERM (``timeout``, job schedulers, ``kill``) raises :class:`Terminated` in the
    main thread, a ``KeyboardInterrupt``: workers are stopped, temp files and the run folder removed,
    as for Ctrl-C. Without it Python dies at once on SIGTERM and runs no cleanup at all.
    Does nothing outside the main thread (only it may set signal handlers).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum, frame):
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def adopt_scratch_dir(path: str | None) -> None:
    """In a worker started without fork: use the starting process's folder (it removes it)."""
    global _SCRATCH, _OWNER
    if path and _SCRATCH is None:
        _SCRATCH, _OWNER = path, None


def _remove(path: str, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked child that inherited the handler
        shutil.rmtree(path, ignore_errors=True)


def _prctl():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: no parent-death signal
        return None


_PR_SET_PDEATHSIG = 1
_PRCTL = _prctl() if os.name == "posix" else None


def die_with_parent():
    """A ``preexec_fn`` for a verification subprocess: it is killed when this process (its parent) dies.

    Call it in the parent (``preexec_fn=die_with_parent()``): the returned function runs in the child
    between fork and exec. If the parent died before the request took effect, the child has been
    re-parented already and exits at once.
    """
    parent = os.getpid()

    def apply() -> None:
        if _PRCTL is None:
            return
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return apply


def run_tool(argv, **kwargs) -> subprocess.CompletedProcess:
    """``subprocess.run`` for a compiler or checker: it dies with this process (:func:`die_with_parent`).

    The kernel ties the signal to the *thread* that started the child; callers wait for the child in
    that same thread (``subprocess.run`` does), so the child never outlives it in a working run.
    """
    return subprocess.run(argv, preexec_fn=die_with_parent(), **kwargs)
