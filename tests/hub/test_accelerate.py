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
VOLATILE = ("created", "inference")  # timings and cache statistics differ between any two runs


def _torchrun() -> list[str]:
    exe = shutil.which("torchrun")
    return [exe] if exe else [sys.executable, "-m", "torch.distributed.run"]


def test_two_processes_give_the_single_process_report(tiny_models, hub_data, report_dir, tmp_path):
    out = tmp_path / "report2"
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "ACCELERATE_USE_CPU": "1"}
    env.pop("WORLD_SIZE", None)
    # same arguments as the report_dir fixture, fresh cache: every output is computed across the processes
    cmd = [*_torchrun(), "--standalone", "--nproc_per_node", "2", "-m", "metacompress_eval", "evaluate",
           "--teacher", str(tiny_models["teacher"]), "--student", str(tiny_models["student"]),
           "--data", str(hub_data), "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--quiet",
           "--batch-size", "4", "--bootstrap-resamples", "200"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=110, cwd=tmp_path)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert proc.stdout.count("report:") == 1  # one summary, from the main process only
    single, multi = read_report(report_dir), read_report(out)
    assert {k: v for k, v in multi.items() if k not in VOLATILE} == {k: v for k, v in single.items()
                                                                     if k not in VOLATILE}
    for role in ("teacher", "student"):
        st = multi["inference"][role]
        assert st["processes"] == 2 and st["computed"] == st["unique"]
        assert st["forward_passes"] == single["inference"][role]["forward_passes"]
    assert (out / "predictions.jsonl").read_text() == (report_dir / "predictions.jsonl").read_text()
    # the main process filled the shared cache with every output
    from metacompress_eval.inference import OutputCache

    cache = OutputCache.in_dir(tmp_path / "cache")
    try:
        assert cache.count() == sum(multi["inference"][r]["unique"] for r in ("teacher", "student"))
    finally:
        cache.close()


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
