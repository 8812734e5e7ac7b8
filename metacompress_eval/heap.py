"""Keep the C heap from fragmenting over a long streamed run (glibc's ``malloc``; elsewhere nothing is done).

Why it is needed: ``evaluate``'s peak memory grew by 41 % for 8× the follow-ups
(``benchmarks/bench_follow_ups.py --memory-n 250``) while what it kept alive grew by ~20 MB (glibc's
``mallinfo2`` after the streamed stage: in-use bytes 164 → 172 MB for 4× the follow-ups, but free bytes
held in the heap 89 → 199 MB). glibc hands out large blocks from memory maps only until the first
one is freed; then its mmap threshold rises to that block's size (up to 32 MB), and a model's
activations — megabytes per forward pass — come from the heap. Small allocations that outlive a
chunk (its probabilities, SQLite's pages, ...) land between them, a later activation a little larger
fits none of the holes and extends the heap, and the heap only shrinks from its top: the holes stay
resident, more of them with every chunk. Fixing the threshold keeps every block of at least
:data:`MMAP_THRESHOLD` bytes in a memory map of its own, returned to the system when freed, so the
heap holds small blocks only and peak memory stays flat in the number of chunks.

The price is a page fault per page of each large block (system time: +4 s on a 38 s CPU run of two
2-layer models, measured with ``/usr/bin/time``; smaller next to the compute of a realistic model).
``MALLOC_MMAP_THRESHOLD_`` or a ``glibc.malloc`` tunable in the environment is the user's choice and
is left alone. Written with ``ctypes`` because neither the standard library nor a dependency exposes
``mallopt``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

#: Blocks of at least this many bytes get their own memory map (glibc's own starting value). Measured
#: on ``evaluate``: 1 MiB kept memory as flat, 4 MiB did not (+16 % for 4× the follow-ups).
MMAP_THRESHOLD = 128 * 1024

_M_MMAP_THRESHOLD = -3  # <malloc.h>
_applied: bool | None = None


def keep_heap_compact() -> bool:
    """Fix glibc's mmap threshold at :data:`MMAP_THRESHOLD` for this process (see the module docstring).

    Returns whether it is in force: ``False`` under another C library, or when the environment sets
    the threshold itself. Process-wide and idempotent; the first call decides.
    """
    global _applied
    if _applied is None:
        _applied = _set_threshold()
    return _applied


def _set_threshold() -> bool:
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 - glibc only: musl's mallopt accepts the call and does nothing
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
