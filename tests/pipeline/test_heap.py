"""Memory of a streamed run (issue 17): what it keeps per row, and the C heap setting it makes.

No RSS or time thresholds: the Python bytes the streamed stage keeps are counted (tracemalloc). The
heap setting's effect on peak memory is measured by ``benchmarks/bench_follow_ups.py`` (BENCHMARKS.md).
"""

import gc
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from metacompress_eval.data import SourceInput
from metacompress_eval.model_outputs import run_models_streamed
from metacompress_eval.models import load_model

from ..conftest import C_SNIPPETS

REPO = Path(__file__).resolve().parents[2]


def _glibc() -> bool:
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.gnu_get_libc_version) and bool(libc.mallopt)
    except (OSError, AttributeError):
        return False


def test_streamed_run_keeps_a_few_numbers_per_row(tiny_models):
    """What run_models_streamed returns grows with the rows by a fixed, small amount per row (their
    probabilities, availability and which follow-up each is), never by the follow-ups' code."""
    models = {"teacher": load_model(str(tiny_models["teacher"])), "student": load_model(str(tiny_models["student"]))}
    names = ["rename_variables", "dead_code", "reindent", "blank_lines"]
    # Long code, so that keeping the follow-ups' text would dominate what is measured.
    padding = "".join(f"    int pad{k} = {k};\n" for k in range(80))

    def kept(n):
        sources = [SourceInput(f"s{i}", (C_SNIPPETS[i % len(C_SNIPPETS)].replace("{", "{\n" + padding, 1),))
                   for i in range(n)]
        gc.collect()  # garbage of earlier tests is not counted against (or for) this run
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        out = run_models_streamed(models, sources, "c", names, None, workers=1, chunk_sources=4)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        rows = n + len(out.rows.follow_ups)
        assert rows > 3 * n
        return after - before, rows

    kept(40)  # first use: compiled queries, caches filled with these sources
    (small, rows_small), (large, rows_large) = kept(8), kept(40)
    per_row = (large - small) / (rows_large - rows_small)
    # Each row would cost at least its follow-up's code were that kept; the few numbers kept cost far less.
    assert per_row < 0.5 * len(padding), (small, large, rows_small, rows_large)



@pytest.mark.skipif(not _glibc(), reason="glibc's malloc only")
def test_user_setting_of_the_threshold_is_left_alone():
    """keep_heap_compact sets glibc's threshold once, and never over one the environment chose."""
    code = "from metacompress_eval.heap import keep_heap_compact; print(keep_heap_compact(), keep_heap_compact())"
    for extra, expected in (({}, "True True"), ({"MALLOC_MMAP_THRESHOLD_": "65536"}, "False False"),
                            ({"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"}, "False False")):
        env = {k: v for k, v in os.environ.items() if k not in ("MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES")}
        env.update(extra, PYTHONPATH=str(REPO))
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.split() == expected.split(), extra
