"""Outputs are committed on a writer thread: the same rows as before, all of them on an interruption, none
half-written after a crash (generated interruption points, a slow writer, a killed process)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from metacompress_eval.inference import InferenceEngine, OutputCache
from metacompress_eval.models import load_model

from ..conftest import C_SNIPPETS

LENGTH = "python:tests.models.plugin_example:make_length"

# Distinct inputs of several lengths (so batches differ in size), a repeat among them.
INPUTS = [(f"/* {i} */ " + C_SNIPPETS[i % len(C_SNIPPETS)] * (1 + i % 3),) for i in range(23)] + [(C_SNIPPETS[0],)] * 2


def _rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return sorted(db.execute("SELECT model, key, logits, checksum FROM outputs"))


def _slow_writes(cache: OutputCache, seconds: float) -> None:
    """Make every commit of ``cache`` take ``seconds`` longer, so batches queue up behind the writer."""
    put = cache.put_many
    cache.put_many = lambda model, items: (time.sleep(seconds), put(model, items))[1]


def test_rows_are_those_committed_batch_by_batch_on_the_calling_thread(tiny_models, tmp_path):
    model = load_model(str(tiny_models["teacher"]))
    engine = InferenceEngine(model, OutputCache(tmp_path / "w" / "c.sqlite"), batch_size=3, progress=False)
    got = engine.predict(INPUTS)
    engine.cache.close()
    # The same forward passes with no cache, and their rows written the way the engine wrote them before
    # it had a writer thread: one put_many per batch, on this thread.
    plain = InferenceEngine(model, None, batch_size=3, progress=False)
    reference = plain.predict(INPUTS)
    assert got.logits.tobytes() == reference.logits.tobytes()
    encoded = plain.encode(list(dict.fromkeys(INPUTS)))
    cache = OutputCache(tmp_path / "s" / "c.sqlite")
    for batch in plain.batches(encoded):
        logits = plain.logits([encoded[i] for i in batch])
        cache.put_many(model.fingerprint, [(model.encoded_key(encoded[i]), logits[j]) for j, i in enumerate(batch)])
    cache.close()
    assert _rows(tmp_path / "w" / "c.sqlite") == _rows(tmp_path / "s" / "c.sqlite")
    assert not [t for t in threading.enumerate() if t.name == "metacompress-cache-writer"]


def _length_model():
    return load_model("m", adapter=LENGTH, trust_remote_code=True)


# Inputs of the length model: distinct lengths, some repeated.
LENGTHS = [("x" * n,) for n in (5, 17, 3, 9, 30, 1, 12, 8, 21, 2, 40, 7, 13, 4)] + [("x" * 9,), ("x" * 2,)]


@pytest.mark.parametrize("stop_at", [1, 2, 4, 6])
def test_an_interrupted_run_has_committed_every_batch_it_finished(tmp_path, stop_at):
    """Ctrl-C in the middle of a forward pass: every earlier batch is in the cache (the writer, slowed
    down here so that they are still queued, flushes them), readable and valid; the rerun computes only
    the rest and ends with the bytes of an uninterrupted run."""
    model = _length_model()
    complete = InferenceEngine(model, None, batch_tokens=40, progress=False).predict(LENGTHS)
    cache = OutputCache(tmp_path / "c.sqlite")
    _slow_writes(cache, 0.05)
    forward, passes, finished = model.forward, [], []

    def interrupted(batch):
        if len(passes) + 1 == stop_at:
            raise KeyboardInterrupt
        out = forward(batch)
        passes.append(batch)
        finished.append(len(out))
        return out

    model.forward = interrupted
    with pytest.raises(KeyboardInterrupt):
        InferenceEngine(model, cache, batch_tokens=40, progress=False).predict(LENGTHS)
    assert not [t for t in threading.enumerate() if t.name == "metacompress-cache-writer"]
    assert cache.count(model.fingerprint) == sum(finished)
    model.forward = forward
    resumed = InferenceEngine(model, cache, batch_tokens=40, progress=False).predict(LENGTHS)
    assert resumed.stats.cached == sum(finished) and cache.recomputed == 0
    assert resumed.stats.computed == resumed.stats.unique - sum(finished)
    assert resumed.logits.tobytes() == complete.logits.tobytes()


def test_a_failing_write_stops_the_run_with_its_error(tmp_path):
    model = _length_model()
    cache = OutputCache(tmp_path / "c.sqlite")

    def broken(model_, items):
        raise OSError("disk full (simulated)")

    cache.put_many = broken
    forward, passes = model.forward, []
    model.forward = lambda batch: (passes.append(1), time.sleep(0.02), forward(batch))[2]
    with pytest.raises(OSError, match="disk full"):
        InferenceEngine(model, cache, batch_size=1, progress=False).predict(LENGTHS)
    assert len(passes) < len(set(LENGTHS))  # it stopped early, not after computing everything
    assert not [t for t in threading.enumerate() if t.name == "metacompress-cache-writer"]


def test_a_killed_run_leaves_only_valid_rows_and_resumes(tmp_path):
    """SIGKILL while batches are being computed and committed: what the cache holds is whole batches that
    pass their checksums (no row is recomputed as damaged), and the rerun ends with the uninterrupted bytes."""
    cache_path = tmp_path / "c.sqlite"
    inputs = [("x" * n,) for n in range(1, 400)]
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from metacompress_eval.inference import InferenceEngine, OutputCache
        from metacompress_eval.models import load_model
        model = load_model("m", adapter={LENGTH!r}, trust_remote_code=True, options={{"delay": "0.01"}})
        inputs = [("x" * n,) for n in range(1, 400)]
        InferenceEngine(model, OutputCache({str(cache_path)!r}), batch_size=3, progress=False).predict(inputs)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if cache_path.exists():
                try:
                    with sqlite3.connect(cache_path, timeout=5) as db:
                        if db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0] >= 30:
                            break
                except sqlite3.OperationalError:  # the table is not created yet
                    pass
            time.sleep(0.01)
        assert proc.poll() is None, proc.stderr.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    model = _length_model()
    cache = OutputCache(cache_path)
    kept = cache.count(model.fingerprint)
    assert 30 <= kept < len(inputs)
    resumed = InferenceEngine(model, cache, batch_size=3, progress=False).predict(inputs)
    assert cache.recomputed == 0 and resumed.stats.cached == kept
    complete = InferenceEngine(model, None, batch_size=3, progress=False).predict(inputs)
    assert resumed.logits.tobytes() == complete.logits.tobytes()
