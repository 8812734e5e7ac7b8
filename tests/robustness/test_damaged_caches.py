"""Both SQLite caches (model outputs, representations) survive a damaged file the same way: the
file is moved aside with one warning and the run recomputes; damaged rows are never returned."""

from __future__ import annotations

import random
import sqlite3

import numpy as np
import pytest

from metacompress_eval.inference import OutputCache
from metacompress_eval.representations.store import RepresentationCache


def _fill(cache) -> None:
    rows = [(f"k{i}", np.full((3, 4), i, np.float32), np.full((3, 4), -i, np.float32)) for i in range(40)]
    if isinstance(cache, OutputCache):
        cache.put_many("m", [(k, f[0]) for k, f, _ in rows])
    else:
        cache.put_many("m", rows)
    cache.close()


def _damage(path, how: str, rng: random.Random) -> None:
    data = bytearray(path.read_bytes())
    if how == "garbage":
        data = bytearray(rng.randbytes(len(data)))
    elif how == "truncated-header":
        data = data[:rng.randint(1, 99)]
    elif how == "half":
        data = data[:len(data) // 2]
    elif how == "zeroed-header":
        data[:100] = bytes(100)
    path.write_bytes(bytes(data))


def _read(cache) -> int:
    keys = [f"k{i}" for i in range(40)]
    if isinstance(cache, OutputCache):
        return len(cache.get_many("m", keys))
    return len(cache.keys("m", keys))


@pytest.mark.parametrize("kind", [OutputCache, RepresentationCache])
@pytest.mark.parametrize("how", ["garbage", "truncated-header", "half", "zeroed-header"])
def test_damaged_cache_file_is_set_aside(tmp_path, kind, how, capsys):
    path = tmp_path / "cache.sqlite"
    _fill(kind(path))
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"cache.sqlite{suffix}").unlink(missing_ok=True)
    _damage(path, how, random.Random(how))
    cache = kind(path)  # never raises on a damaged file
    assert _read(cache) <= 40
    _fill(cache)
    assert _read(kind(path)) == 40  # the new file works
    err = capsys.readouterr().err
    if list(tmp_path.glob("cache.sqlite.corrupt-*")):
        assert err.count("is damaged") == 1 and "Traceback" not in err


def test_representation_rows_of_the_wrong_size_are_recomputed(tmp_path):
    path = tmp_path / "representations.sqlite"
    _fill(RepresentationCache(path))
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE representations SET first = substr(first, 1, 20) WHERE key = 'k3'")
        db.execute("UPDATE representations SET width = 0 WHERE key = 'k7'")
    db.close()
    cache = RepresentationCache(path)
    stored = cache.keys("m", [f"k{i}" for i in range(40)])
    assert "k3" not in stored and "k7" not in stored and len(stored) == 38
    assert len(cache.get_many("m", sorted(stored), "first")) == 38


def test_damaged_outputs_are_reported_once_per_model_naming_it(tmp_path, capsys):
    # One cache holds the teacher's and the student's outputs; two identical warnings did not say whose
    # were damaged.
    path = tmp_path / "outputs.sqlite"
    cache = OutputCache(path)
    for model in ("teacher-fp", "student-fp"):
        cache.put_many(model, [(f"k{i}", np.full(4, i, np.float32)) for i in range(10)])
    cache.close()
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE outputs SET checksum = '0' WHERE key IN ('k1', 'k2')")
    db.close()
    cache = OutputCache(path)
    keys = [f"k{i}" for i in range(10)]
    assert len(cache.get_many("teacher-fp", keys, owner="the teacher (org/big)")) == 8
    assert len(cache.get_many("student-fp", keys, owner="the student (./small)")) == 8
    warnings = [line for line in capsys.readouterr().err.splitlines() if "failed their checksum" in line]
    assert len(warnings) == 2 and len(set(warnings)) == 2, warnings
    assert "2 cached output(s) of the teacher (org/big)" in warnings[0]
    assert "2 cached output(s) of the student (./small)" in warnings[1]
