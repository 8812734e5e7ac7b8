"""Machine-independent cost of a call: Python line events, tree-sitter query work, peak memory.

Wall-clock time depends on the machine and its load, so the complexity tests compare *counts*:

* ``lines``: Python line events executed (``sys.settrace``) in every frame below the call — loops
  written in Python, however they are nested, show up here;
* ``query_bytes``: bytes of source covered by each tree-sitter query execution (a query run on
  one node costs work proportional to that node's subtree, which line events cannot see because it
  happens in C); ``QueryCursor`` is replaced by a counting wrapper in every loaded
  ``metacompress_eval`` module for the duration of the call;
* ``peak_bytes``: peak of Python allocations (``tracemalloc``), measured in a separate run so the
  tracer's own allocations do not count.

Work done inside C functions other than tree-sitter queries (``bytes.count``, ``str.find``,
slicing) is not counted; BENCHMARKS.md's wall-clock scaling run covers those.
"""

from __future__ import annotations

import sys
import threading
import tracemalloc
from dataclasses import dataclass
from typing import Any, Callable

import tree_sitter


@dataclass
class Cost:
    lines: int
    query_bytes: int
    peak_bytes: int

    @property
    def operations(self) -> int:
        """Line events plus query bytes / 64 (a query touches a node per few bytes of source)."""
        return self.lines + self.query_bytes // 64


class _Counter:
    lines = 0
    query_bytes = 0


def _counting_cursor(real):
    class CountingQueryCursor:
        def __init__(self, *args, **kwargs):
            self._cursor = real(*args, **kwargs)

        def _count(self, node):
            _Counter.query_bytes += max(0, node.end_byte - node.start_byte)

        def captures(self, node, *args, **kwargs):
            self._count(node)
            return self._cursor.captures(node, *args, **kwargs)

        def matches(self, node, *args, **kwargs):
            self._count(node)
            return self._cursor.matches(node, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(self._cursor, name)

    return CountingQueryCursor


def _patch_cursors() -> list[tuple[Any, Any]]:
    real = tree_sitter.QueryCursor
    wrapper = _counting_cursor(real)
    patched = []
    for name, module in list(sys.modules.items()):
        if name.startswith("metacompress_eval") and getattr(module, "QueryCursor", None) is real:
            patched.append((module, real))
            module.QueryCursor = wrapper
    return patched


def _local_tracer(frame, event, arg):
    if event == "line":
        _Counter.lines += 1
    return _local_tracer


def _global_tracer(frame, event, arg):
    return _local_tracer


def measure(fn: Callable[[], Any], *, memory: bool = True) -> Cost:
    """Run ``fn`` once traced (line events, query bytes) and once under tracemalloc (peak)."""
    _Counter.lines = _Counter.query_bytes = 0
    patched = _patch_cursors()
    old = sys.gettrace()
    sys.settrace(_global_tracer)
    try:
        fn()
    finally:
        sys.settrace(old)
        for module, real in patched:
            module.QueryCursor = real
    lines, query_bytes = _Counter.lines, _Counter.query_bytes
    peak = 0
    if memory:
        tracemalloc.start()
        try:
            fn()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return Cost(lines, query_bytes, peak)


def growth(small: Cost, large: Cost) -> dict[str, float]:
    """Ratios large/small of operations and peak memory."""
    return {"operations": large.operations / max(1, small.operations),
            "peak_bytes": large.peak_bytes / max(1, small.peak_bytes)}


def run_with_stack(fn: Callable[[], Any], stack_bytes: int = 256 << 20) -> Any:
    """Run ``fn`` in a thread with a large C stack (tree-sitter is fine; deep Python recursion is not)."""
    box: dict[str, Any] = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc

    old = threading.stack_size(stack_bytes)
    try:
        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old)
    if "error" in box:
        raise box["error"]
    return box.get("value")
