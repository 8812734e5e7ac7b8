"""How follow-ups travel from the worker processes: as JSON lines, one bytes object per part of a chunk
(FollowUpChunk.lines), decoded back to the very same follow-ups, and cut into parts by the length of
their code that always join back into the same chunks."""

import errno
import json
import os
import pickle
import random
from dataclasses import replace
from pathlib import Path

import pytest

from metacompress_eval.data import SourceInput
from metacompress_eval.fileio import AtomicJsonlWriter, json_line, json_text
from metacompress_eval.follow_ups import (ChunkJob, FollowUpInput, cut_parts, iter_follow_up_chunks, run_chunk,
                                          source_weight)
from metacompress_eval.transforms import list_transformations

from ..conftest import C_SNIPPETS
from .test_parallel_follow_ups import JAVA, _sources

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def _corpus_sources(name: str, n: int) -> list[SourceInput]:
    path = SHARED / name / "functions.jsonl"
    if not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:4 * n]]
    rows = random.Random(3).sample([r for r in rows if isinstance(r.get("code"), str)], n)
    return [SourceInput(f"{name}-{r.get('id', i)}", (r["code"],)) for i, r in enumerate(rows)]


CASES = {
    "c": lambda: _sources(C_SNIPPETS, 8) + _corpus_sources("juliet-c", 24),
    "java": lambda: _sources(JAVA, 8) + _corpus_sources("bigclonebench", 24),
    "java pairs": lambda: _sources(JAVA, 8, pairs=True),
    # text beyond ASCII in the code, and a line separator JSON leaves unescaped
    "java text": lambda: [SourceInput("u", ('int f(int count) { String s = "\u00e9\u2028\U0001f600"; return count; }\n',)),
                          SourceInput("v", ('int g(int n) { int total = n; /* caf\u00e9 */ return total; }\n',))],
}


@pytest.mark.parametrize("case", CASES)
def test_lines_round_trip_every_transformation(case):
    """A chunk's lines are the rows a follow-up file gets (json_line of as_row), and decoding them gives
    back equal follow-ups (code, provenance and all), for every transformation of the language."""
    language = case.split()[0]
    names = tuple(t.name for t in list_transformations(language))
    chunk = run_chunk(ChunkJob(0, tuple(CASES[case]()), language, names, 7, False))
    items = list(chunk.items)
    assert items, "the sample must have follow-ups"
    expected = b"".join((json_text(f.as_row(), indent=None) + "\n").encode("utf-8") for f in items)
    assert chunk.lines == expected
    travelled = pickle.loads(pickle.dumps(chunk.packed()))  # as a worker sends it
    assert travelled.held_items is None and travelled.n_follow_ups == len(items)
    assert travelled.lines == expected
    assert travelled.items == items
    assert [FollowUpInput.from_row(json.loads(line)) for line in expected.splitlines()] == items


def test_packed_parts_join_into_the_chunk_made_in_one_go():
    sources = tuple(_sources(JAVA, 11, pairs=True))
    names = ("rename_variables", "dead_code", "if_else_swap", "reindent")
    whole = run_chunk(ChunkJob(0, sources, "java", names, 5, False))
    for cuts in ([4, 8], [1], [10], [3, 4, 5]):
        bounds = [0, *cuts, len(sources)]
        parts = [run_chunk(ChunkJob(0, sources[a:b], "java", names, 5, False)) for a, b in zip(bounds, bounds[1:])]
        packed = [p.packed() for p in parts[:2]] + parts[2:]  # lines only, then objects: both join
        joined = packed[0]
        for part in packed[1:]:
            joined.extend(part)
        assert joined.lines == whole.lines and joined.items == whole.items
        assert joined.counts == whole.counts and joined.reasons == whole.reasons and joined.sources == whole.sources


def test_same_lines_for_any_worker_count():
    sources = _sources(C_SNIPPETS, 19) + _corpus_sources("juliet-c", 12)
    names = [t.name for t in list_transformations("c")]
    runs = {}
    for workers, chunk_sources in ((1, 64), (2, 5), (2, 64), (3, 2)):
        chunks = list(iter_follow_up_chunks(sources, "c", names, seed=2, workers=workers,
                                            chunk_sources=chunk_sources))
        runs[workers, chunk_sources] = b"".join(c.lines for c in chunks)
        assert sum(c.n_follow_ups for c in chunks) == runs[workers, chunk_sources].count(b"\n")
    assert len(set(runs.values())) == 1, "the rows must not depend on workers or chunk size"


def test_writer_appends_lines_as_written_rows(tmp_path):
    rows = [{"code": "int x;\n", "s": "caf\u00e9 \u2028"}, {"code": "\ud800"}, {"n": 1}]
    with AtomicJsonlWriter(tmp_path / "one.jsonl") as one:
        for row in rows:
            one.write(row)
    with AtomicJsonlWriter(tmp_path / "lines.jsonl") as lines:
        lines.write_lines(b"".join(json_line(r) for r in rows[:2]))
        lines.write_lines(b"")
        lines.write(rows[2])
    assert one.rows == lines.rows == 3
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "lines.jsonl").read_bytes()
    assert (tmp_path / "one.jsonl").read_bytes().decode("utf-8") == "".join(json_text(r, indent=None) + "\n"
                                                                           for r in rows)


@pytest.mark.parametrize("seed", range(20))
def test_parts_partition_every_chunk_and_shrink_towards_the_end(seed):
    """Parts are consecutive slices that join back into each chunk, every part's last flag ends its chunk,
    and the parts are cut by code length: the last parts of a run are smaller than its first ones."""
    rng = random.Random(seed)
    chunk_sources = rng.choice([1, 3, 16, 64])
    sources = [SourceInput(f"s{i}", ("x" * rng.choice([10, 200, 3000, 40000]),) * rng.choice([1, 2]))
               for i in range(rng.randrange(1, 400))]
    jobs = [ChunkJob(index, tuple(sources[start:start + chunk_sources]), "c", ("reindent",), 0, False)
            for index, start in enumerate(range(0, len(sources), chunk_sources))]
    workers = rng.choice([2, 3, 8])
    parts = cut_parts(jobs, workers, verify=False)
    rebuilt, current = [], []
    for part, last in parts:
        assert part.sources and part.index == len(rebuilt)
        assert replace(part, sources=jobs[part.index].sources) == jobs[part.index]
        current += part.sources
        if last:
            rebuilt.append(tuple(current))
            current = []
    assert not current and rebuilt == [job.sources for job in jobs]
    first = [sum(map(source_weight, part.sources)) for part, _ in parts if part.index == 0]
    assert max(first) <= sum(first) / workers + max(map(source_weight, jobs[0].sources))  # shared by the workers
    if len(parts) >= 8 and chunk_sources == 64:
        size = [sum(len(code) for s in part.sources for code in s.inputs) for part, _ in parts]
        assert max(size[-len(size) // 4:]) <= max(size[:len(size) // 4])
    # one worker, or --verify (compiler calls batched per chunk): whole chunks
    assert cut_parts(jobs, 1, verify=False) == cut_parts(jobs, workers, verify=True) == \
        [(job, True) for job in jobs]


@pytest.mark.parametrize("threshold", [0, 1 << 40])
def test_lines_through_files_or_the_pipe_are_the_same(monkeypatch, threshold):
    """Workers send long lines through a file of the run (threshold 0: every part does) or through the
    result pipe: the chunks are the same, and no file is left, also when the consumer stops early."""
    from metacompress_eval import follow_ups
    from metacompress_eval.verify.lifetime import scratch_dir

    monkeypatch.setattr(follow_ups, "FILE_LINES_BYTES", threshold)  # forked workers inherit it
    through_files = []
    received = follow_ups._received

    def receive(part):
        through_files.append(part.lines_file is not None)
        return received(part)

    monkeypatch.setattr(follow_ups, "_received", receive)
    sources = _sources(C_SNIPPETS, 15)
    names = ["rename_variables", "dead_code", "reindent"]
    expected = b"".join(c.lines for c in iter_follow_up_chunks(sources, "c", names, workers=1, chunk_sources=4))
    made = list(iter_follow_up_chunks(sources, "c", names, workers=2, chunk_sources=4))
    assert b"".join(c.lines for c in made) == expected and all(c.lines_file is None for c in made)
    assert through_files and all(through_files) == (threshold == 0) and any(through_files) == (threshold == 0)
    chunks = iter_follow_up_chunks(sources, "c", names, workers=2, chunk_sources=1)
    next(chunks)
    chunks.close()
    assert not list(Path(scratch_dir()).glob("follow-up-lines-*"))


def _fails_with(err: int, on_write: bool):
    """A ``tempfile.mkstemp`` for the part files that fails as a full/read-only/over-quota temp folder does:
    at once (``on_write=False``), or only when the lines are written into the file it made."""
    import errno
    import tempfile

    real = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        if not on_write:
            raise OSError(err, os.strerror(err))
        fd, path = real(*args, **kwargs)
        os.close(fd)
        return os.open(path, os.O_RDONLY), path  # writing to it fails (EBADF), as a full disk's write would

    assert errno.errorcode[err]
    return mkstemp


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EMFILE])
@pytest.mark.parametrize("on_write", [False, True])
def test_a_part_file_that_cannot_be_written_goes_through_the_pipe(monkeypatch, err, on_write):
    """A worker that cannot write its part file (a small TMPDIR that is full, a quota, a read-only or
    unwritable temp folder, no file handles left) sends the lines through the result pipe: the run
    succeeds with the same lines as one process, and leaves no part file behind."""
    from metacompress_eval import follow_ups
    from metacompress_eval.verify.lifetime import scratch_dir

    monkeypatch.setattr(follow_ups, "FILE_LINES_BYTES", 0)  # every part would go through a file
    monkeypatch.setattr(follow_ups.tempfile, "mkstemp", _fails_with(err, on_write))  # inherited by forked workers
    received = []
    real_received = follow_ups._received
    monkeypatch.setattr(follow_ups, "_received", lambda part: received.append(part.lines_file) or real_received(part))
    sources = _sources(C_SNIPPETS, 15)
    names = ["rename_variables", "dead_code", "reindent"]
    expected = b"".join(c.lines for c in iter_follow_up_chunks(sources, "c", names, workers=1, chunk_sources=4))
    made = b"".join(c.lines for c in iter_follow_up_chunks(sources, "c", names, workers=2, chunk_sources=4))
    assert made == expected
    assert received and received == [None] * len(received)  # every part came through the pipe
    assert not list(Path(scratch_dir()).glob("follow-up-lines-*"))


def test_a_part_file_the_main_process_cannot_read_names_the_temp_folder(tmp_path):
    from metacompress_eval.errors import MetaCompressError
    from metacompress_eval.follow_ups import FollowUpChunk, _received

    part = FollowUpChunk.__new__(FollowUpChunk)
    part.lines_file = str(tmp_path / "follow-up-lines-x" / "part-1.jsonl")
    with pytest.raises(MetaCompressError, match=r"temp folder .*follow-up-lines-x.*TMPDIR"):
        _received(part)
