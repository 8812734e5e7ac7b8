"""A cache this process may not write (a shared, read-only one) is read without writing, never called damaged."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from metacompress_eval.inference import InferenceEngine, OutputCache
from metacompress_eval.models import load_model
from metacompress_eval.representations.store import RepresentationCache

from ..conftest import metacompress_command, repo_importable_env, write_jsonl

SPEC = "python:tests.models.plugin_example:make_partly_wrong"
INPUTS = [("int f(){return %d;}" % i,) for i in range(6)]


def _engine(cache, logits="0,1"):
    model = load_model("x", adapter=SPEC, trust_remote_code=True, options={"logits": logits})
    return InferenceEngine(model, cache, batch_size=2, progress=False)


def _read_only_runner():
    """A command prefix under which ``$0`` (the folder, first argument) is really read-only, or a skip:
    root ignores permission bits, so root remounts the folder read-only in a private mount namespace."""
    if os.geteuid() != 0:
        return None
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True) if shutil.which("unshare") else None
    if probe is None or probe.returncode != 0:
        pytest.skip("running as root without unshare -rm: no way to make a folder read-only for this process")
    return ["unshare", "-rm", "sh", "-c", 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && '
            'exec "$@"']


@pytest.mark.parametrize("kind", [OutputCache, RepresentationCache])
def test_an_unwritable_file_is_opened_read_only(tmp_path, monkeypatch, capsys, kind):
    """As a user who may not write the file (simulated: root may write anything), the file is opened through
    a read-only connection: any write would fail there, so this also proves nothing is written."""
    kind.in_dir(tmp_path).close()
    monkeypatch.setattr(os, "access", lambda path, mode: mode != os.W_OK)
    cache = kind.in_dir(tmp_path)
    assert cache.read_only and "is not writable" in capsys.readouterr().err
    cache.close()


def test_read_only_outputs_are_used_and_new_ones_not_kept(tmp_path, monkeypatch, capsys):
    writable = OutputCache.in_dir(tmp_path)
    first = _engine(writable).predict(INPUTS[:3])
    writable.close()
    before = (tmp_path / OutputCache.FILE).read_bytes()
    monkeypatch.setattr(os, "access", lambda path, mode: mode != os.W_OK)
    cache = OutputCache.in_dir(tmp_path)
    err = capsys.readouterr().err
    assert "not writable" in err and "damaged" not in err and len(err.strip().splitlines()) == 1
    got = _engine(cache).predict(INPUTS)
    assert got.stats.cached == 3 and got.stats.computed == 3
    np.testing.assert_array_equal(got.probs[:3], first.probs)
    assert _engine(cache).predict(INPUTS).stats.cached == 3  # nothing new was kept
    cache.close()
    assert (tmp_path / OutputCache.FILE).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if "corrupt" in p.name] == []


def test_an_unreadable_unwritable_file_is_refused_not_moved(tmp_path, monkeypatch):
    from metacompress_eval.errors import MetaCompressError

    (tmp_path / OutputCache.FILE).write_bytes(b"not a database at all" * 100)
    monkeypatch.setattr(os, "access", lambda path, mode: mode != os.W_OK)
    with pytest.raises(MetaCompressError, match="is not writable .*choose a writable --cache-dir") as err:
        OutputCache.in_dir(tmp_path)
    assert "damaged" not in str(err.value) and "\n" not in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == [OutputCache.FILE]


def test_cli_reads_a_cache_in_a_read_only_folder(tmp_path):
    """A real read-only folder (chmod for a user, a read-only remount for root): the run reads the cache,
    says that new outputs are not kept, and writes its report."""
    data = write_jsonl(tmp_path / "d.jsonl", [{"id": str(i), "code": code[0], "label": i % 2}
                                              for i, code in enumerate(INPUTS)])
    cache = tmp_path / "cache"

    def evaluate(out, student, prefix=()):
        args = ["evaluate", "--teacher", "t", "--teacher-adapter", SPEC, "--student", student,
                "--student-adapter", SPEC, "--trust-remote-code", "--data", str(data),
                "--task", "defect", "--language", "c", "--no-verify", "--out", str(tmp_path / out),
                "--cache-dir", str(cache), "--quiet"]
        return subprocess.run([*prefix, *metacompress_command(), *args], capture_output=True, text=True,
                              timeout=300, env=repo_importable_env())

    proc = evaluate("o1", "s")
    assert proc.returncode == 0, proc.stderr
    before = {p.name: p.read_bytes() for p in cache.iterdir() if p.name.endswith(".sqlite")}
    runner = _read_only_runner()
    if runner is None:
        cache.chmod(0o555)
        prefix = ()
    else:
        prefix = (*runner, str(cache))
    try:
        proc = evaluate("o2", "s2", prefix)  # the teacher's outputs are read; a new student's are not kept
        assert proc.returncode == 0, proc.stderr
        assert "not writable" in proc.stderr and "damaged" not in proc.stderr, proc.stderr
    finally:
        cache.chmod(0o755)
    assert {p.name: p.read_bytes() for p in cache.iterdir() if p.name.endswith(".sqlite")} == before
    assert not [p for p in cache.iterdir() if "corrupt" in p.name]
    assert sorted(p.name for p in (tmp_path / "o1").iterdir()) == sorted(p.name for p in (tmp_path / "o2").iterdir())
