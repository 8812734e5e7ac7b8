"""Follow-ups made in chunks, in worker processes and in shards are the very same follow-ups: same
bytes, same order, same counts, whatever the number of workers, the chunk size or the shard."""

import json
import os
import tracemalloc
from pathlib import Path

import pytest

from metacompress_eval.data import SourceInput
from metacompress_eval.follow_ups import (FollowUpSet, build_follow_ups, derive_seed, iter_follow_up_chunks,
                                          language_warning, remake_follow_up, resolve_workers)
from metacompress_eval.transforms import get_transformation

from ..conftest import C_SNIPPETS, process_running

JAVA = [
    "int total(int[] values) {\n  int sum = 0;\n  for (int i = 0; i < values.length; i++) {\n"
    "    if (values[i] > 0) {\n      sum += values[i];\n    } else {\n      sum -= 1;\n    }\n  }\n  return sum;\n}\n",
    "String join(List<String> items, String sep) {\n  StringBuilder out = new StringBuilder();\n"
    "  int index = 0;\n  while (index < items.size()) {\n    if (index > 0) out.append(sep);\n"
    "    out.append(items.get(index));\n    index++;\n  }\n  return out.toString();\n}\n",
    "boolean empty(String s) { return s == null || s.length() == 0; }\n",
    "void broken( {\n",  # a syntax error: every transformation is not applicable
]
NAMES = ["rename_variables", "dead_code", "if_else_swap", "reindent", "brace_style", "operand_swap", "for_to_while"]


def _sources(codes, n, pairs=False):
    out = []
    for i in range(n):
        code = codes[i % len(codes)].replace("sum", f"sum{i % 5}")
        inputs = (code, codes[(i + 1) % len(codes)]) if pairs else (code,)
        out.append(SourceInput(f"s{i}", inputs, i % 2))
    return out


def _bytes(result: FollowUpSet) -> tuple[str, str]:
    return json.dumps([f.as_row() for f in result.items]), json.dumps(result.summary())


def _reference(sources, language, names, seed):
    """The plain definition: every transformation applied to every side on its own (no shared parse,
    no chunks, no workers)."""
    result = FollowUpSet()
    for source in sources:
        for name in names:
            t = get_transformation(name)
            outcomes = [t.apply(code, language, derive_seed(seed, source.id, name, side))
                        for side, code in enumerate(source.inputs)]
            result.record(source, name, outcomes)
    return result


@pytest.mark.parametrize("language,codes,pairs", [("c", C_SNIPPETS, False), ("java", JAVA, False),
                                                  ("java", JAVA, True)])
def test_same_follow_ups_for_any_worker_count_and_chunk_size(language, codes, pairs):
    sources = _sources(codes, 23, pairs)
    expected = _bytes(_reference(sources, language, NAMES, seed=5))
    assert json.loads(expected[0]), "the sample must have follow-ups"
    assert _bytes(build_follow_ups(sources, language, NAMES, seed=5)) == expected
    for workers, chunk in ((2, 4), (3, 1), (2, 64)):
        result = FollowUpSet()
        for part in iter_follow_up_chunks(sources, language, NAMES, seed=5, workers=workers, chunk_sources=chunk):
            result.add(part)
        assert _bytes(result.finish()) == expected, (workers, chunk)


@pytest.mark.parametrize("broken_every", [1, 2, 3, 7])
def test_language_warning_counted_while_making_follow_ups(broken_every):
    """The warning about sources that do not parse, from the counts the workers kept while making the
    follow-ups, is the warning a parse of every source gives (any share of broken sources, pairs, the
    first broken one anywhere, any worker count and chunk size)."""
    rows = [JAVA[3] if i % broken_every == broken_every - 1 else JAVA[i % 3] for i in range(20)]
    for pairs in (False, True):
        sources = [SourceInput(f"r{i}", (code, rows[(i + 1) % len(rows)]) if pairs else (code,))
                   for i, code in enumerate(rows)]
        expected = language_warning(sources, "java")
        assert pairs or (expected is not None) == (broken_every <= 2)  # half of them or more
        for workers, chunk in ((1, 64), (2, 3), (3, 1)):
            made = FollowUpSet()
            for part in iter_follow_up_chunks(sources, "java", NAMES[:2], workers=workers, chunk_sources=chunk):
                made.add(part, keep_items=False)
            assert language_warning(sources, "java", made.finish()) == expected, (pairs, workers, chunk)


def test_shards_partition_the_chunks():
    sources = _sources(C_SNIPPETS, 17)
    whole = [c.index for c in iter_follow_up_chunks(sources, "c", NAMES, chunk_sources=2)]
    shards = [[c.index for c in iter_follow_up_chunks(sources, "c", NAMES, chunk_sources=2, shard=(r, 3))]
              for r in range(3)]
    assert sorted(i for s in shards for i in s) == whole == list(range(9))
    assert all(i % 3 == r for r, s in enumerate(shards) for i in s)


def test_verified_counts_do_not_depend_on_chunks():
    pytest.importorskip("shutil").which("gcc") or pytest.skip("gcc not installed")
    sources = _sources(C_SNIPPETS, 6)
    one = build_follow_ups(sources, "c", ["rename_variables", "dead_code"], verify=True)
    chunked = FollowUpSet()
    for part in iter_follow_up_chunks(sources, "c", ["rename_variables", "dead_code"], verify=True, workers=2,
                                      chunk_sources=2):
        chunked.add(part)
    assert _bytes(chunked.finish()) == _bytes(one) and one.verified


def test_remade_follow_up_is_the_same():
    sources = _sources(JAVA, 6)
    result = build_follow_ups(sources, "java", NAMES, seed=3)
    by_id = {s.id: s for s in sources}
    for item in result.items:
        assert remake_follow_up(by_id[item.source_id], "java", item.transformation, seed=3) == item


def test_workers_setting():
    assert resolve_workers(None) == resolve_workers(0) >= 1
    assert resolve_workers(3) == min(3, resolve_workers(0))  # capped at the usable CPUs
    with pytest.raises(Exception, match="--workers"):
        resolve_workers(-1)


def test_streamed_chunks_keep_memory_flat():
    """Consuming chunks one by one holds one chunk's follow-ups at a time: the peak of Python
    allocations grows far less than the number of follow-ups (keeping them all, as build_follow_ups
    does, grows with it)."""
    names = ["rename_variables", "dead_code", "reindent"]

    def peak(n, keep):
        sources = _sources(C_SNIPPETS, n)
        tracemalloc.start()
        kept = FollowUpSet()
        for part in iter_follow_up_chunks(sources, "c", names, chunk_sources=8):
            kept.add(part, keep_items=keep)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    peak(8, False)  # first use: compiled queries, caches
    small, large = peak(24, False), peak(96, False)
    small_kept, large_kept = peak(24, True), peak(96, True)
    assert large < 1.5 * small
    assert large_kept > 3 * small_kept


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads process states from /proc")
def test_workers_end_with_a_killed_parent(tmp_path):
    """A run killed outright (SIGKILL) leaves no worker process behind."""
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "run.py"
    script.write_text(
        "import multiprocessing, sys, time\n"
        "from metacompress_eval.data import SourceInput\n"
        "from metacompress_eval.follow_ups import iter_follow_up_chunks\n"
        f"codes = {C_SNIPPETS!r}\n"
        "sources = [SourceInput(f's{i}', (codes[i % len(codes)],)) for i in range(40)]\n"
        "chunks = iter_follow_up_chunks(sources, 'c', ['rename_variables'], workers=2, chunk_sources=2)\n"
        "next(chunks)\n"
        "print(' '.join(str(p.pid) for p in multiprocessing.active_children()), flush=True)\n"
        "time.sleep(600)\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        workers = [int(p) for p in proc.stdout.readline().split()]
        assert workers, "the pool should have started workers"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 30
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in workers if process_running(p)]
    for pid in alive:  # leave nothing running, even when failing
        os.kill(pid, signal.SIGKILL)
    assert not alive
