"""benchmarks/bench_adapters.py runs end to end on a few published test pairs, and its saved report renders
as the BENCHMARKS.md table (the scaffolding it shares with bench_published_student.py is in _models.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STUDENT = REPO.parent / "shared" / "data" / "published-students" / "graphcodebert-clone-avatar"


@pytest.mark.skipif(not (STUDENT / "model.bin").is_file(), reason="the published student (../shared/data) is absent")
def test_bench_adapters_on_a_sample(tmp_path):
    out = tmp_path / "adapters.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    script = str(REPO / "benchmarks" / "bench_adapters.py")
    proc = subprocess.run([sys.executable, script, "--n", "24", "--repeats", "1", "--save", str(out)], env=env,
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert json.loads(proc.stdout) == report and not list(tmp_path.glob("*.tmp"))
    assert report["inputs"].startswith("24 BigCloneBench test pairs") and report["forward_passes"] > 0
    assert set(report["seconds"]) == {"engine", "engine_encoding_first", "bare", "bare_tokenising", "every_sequence"}
    table = subprocess.run([sys.executable, script, "--render", str(out)], capture_output=True, text=True,
                           timeout=120, check=True).stdout
    assert table.startswith(f"Measured {report['date']} on {report['machine']}; load average ")
    assert f"**engine vs bare loop: {report['engine_vs_bare']:.3f}**" in table and table.count("\n| ") == 6
