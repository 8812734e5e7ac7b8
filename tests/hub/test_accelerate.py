"""``metacompress evaluate`` under torchrun with two CPU processes equals the single-process run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hub.conftest import read_report

REPO = Path(__file__).resolve().parents[2]


def _torchrun() -> list[str]:
    exe = shutil.which("torchrun")
    return [exe] if exe else [sys.executable, "-m", "torch.distributed.run"]


def test_two_processes_give_the_single_process_report(tiny_models, hub_data, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "1"}
    env.pop("WORLD_SIZE", None)
    args = ["-m", "metacompress_eval", "evaluate", "--teacher", str(tiny_models["teacher"]),
            "--student", str(tiny_models["student"]), "--data", str(hub_data), "--quiet", "--batch-size", "4",
            "--bootstrap-resamples", "200", "--chunk-sources", "5"]
    # The single-process reference runs with the same one thread per process: float results of a
    # matrix product may differ in their last bits with the number of threads that compute it.
    report_dir = tmp_path / "report1"
    proc = subprocess.run([sys.executable, *args, "--out", str(report_dir), "--cache-dir", str(tmp_path / "cache1")],
                          env=env, capture_output=True, text=True, timeout=110, cwd=tmp_path)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    # fresh cache: every output is computed in the processes, each making and scoring its chunks
    out = tmp_path / "report2"
    proc = subprocess.run([*_torchrun(), "--standalone", "--nproc_per_node", "2", *args, "--out", str(out),
                           "--cache-dir", str(tmp_path / "cache")],
                          env=env, capture_output=True, text=True, timeout=110, cwd=tmp_path)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert proc.stdout.count("report:") == 1  # one summary, from the main process only
    assert proc.stdout.count("inference sharded across 2 processes") == 1  # and it says how many ran
    single, multi = read_report(report_dir), read_report(out)
    stable = ("task", "data", "models", "settings", "transformations")
    assert {k: multi[k] for k in stable} == {k: single[k] for k in stable}
    for role in ("teacher", "student"):
        st = multi["inference"][role]
        assert st["processes"] == 2
        assert st["requested"] == single["inference"][role]["requested"]
    assert (out / "follow_ups.jsonl").read_text() == (report_dir / "follow_ups.jsonl").read_text()
    # The same rows with the same outputs: bit for bit for an input computed in the same batch; an
    # input repeated in chunks of both processes may be computed in another batch (last bits only).
    one, two = ([json.loads(line) for line in (d / "predictions.jsonl").read_text().splitlines()]
                for d in (report_dir, out))
    assert [(r["source_id"], r["transformation"]) for r in one] == [(r["source_id"], r["transformation"]) for r in two]
    for a, b in zip(one, two):
        assert a["teacher_probs"] == pytest.approx(b["teacher_probs"], abs=1e-6)
        assert a["student_probs"] == pytest.approx(b["student_probs"], abs=1e-6)
    assert multi["analysis"]["counts"] == single["analysis"]["counts"]
    # the processes filled the shared cache with every output: as many as the single process computed
    # (an input in chunks of both processes may have been computed by both, and is stored once)
    from metacompress_eval.inference import OutputCache

    cache, reference = OutputCache.in_dir(tmp_path / "cache"), OutputCache.in_dir(tmp_path / "cache1")
    try:
        assert cache.count() == reference.count() == sum(single["inference"][r]["computed"]
                                                         for r in ("teacher", "student"))
    finally:
        cache.close()
        reference.close()


def test_single_process_needs_no_accelerate_state(monkeypatch):
    from metacompress_eval.inference import distributed_state

    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert distributed_state("cpu") is None
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert distributed_state("cpu") is None


@pytest.mark.parametrize("value", ["", "x"])
def test_bad_world_size_means_single_process(monkeypatch, value):
    from metacompress_eval.inference import distributed_state

    monkeypatch.setenv("WORLD_SIZE", value)
    assert distributed_state("cpu") is None
