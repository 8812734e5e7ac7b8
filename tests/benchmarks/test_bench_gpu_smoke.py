"""The GPU benchmark runs end to end on CPU at its ``--smoke`` size (the same code paths: model processes
behind a barrier, pinned-memory collation, follow-up workers, the streamed stage)."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_bench_gpu_smoke(tmp_path):
    out = tmp_path / "gpu.json"
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "TMPDIR": str(scratch)}
    env.pop("WORLD_SIZE", None)
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "bench_gpu.py"), "--smoke", "--json", str(out)],
                          env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    # its model folder and the runs' folders went with it (torch keeps its own compile cache there)
    assert [p.name for p in scratch.iterdir() if p.name.startswith(("mc-bench-", "metacompress-run-"))] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gpu.json", "tmp"]  # nothing else in the cwd
    assert report["settings"]["device"] == "cpu" and report["settings"]["dtype"] == "float32"
    assert [m["processes"] for m in report["model"]] == [1, 2]
    assert all(m["inputs_per_s"] > 0 and len(m["per_process"]) == m["processes"] for m in report["model"])
    assert [w["workers"] for w in report["workers"]] == [1, 2]
    made = {w["follow_ups"] for w in report["workers"]}
    assert len(made) == 1 and made.pop() > 0  # the same follow-ups with either worker count
    assert all(0 < f["fed"] and f["inputs"] == report["feed"][0]["inputs"] for f in report["feed"])
