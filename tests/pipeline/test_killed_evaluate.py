"""``evaluate`` killed outright (SIGKILL) at each stage of a streamed run resumes to the uninterrupted
report, reusing every output committed before the kill (issue 17).

The kill points are found by polling what the run has written, never by timing: the output cache's row
count (outputs are committed batch by batch, ``inference.CacheWriter``) and the staging folder of the
report (``follow_ups.jsonl`` gets each chunk's lines only once both models' outputs of that chunk are
committed, as one write of far more than a file buffer, so its size on disk is not held back by
buffering; the report files come after all inference).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..conftest import C_SNIPPETS, process_running, write_jsonl

pytestmark = pytest.mark.slow  # seven evaluate processes, ~40 s on two shared cores

CHUNK = 50  # sources per chunk: 150 sources make three chunks


def _rows_in(cache_file: Path) -> int:
    try:
        with sqlite3.connect(f"file:{cache_file}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
    except sqlite3.Error:  # not made yet, or its table not yet
        return 0


def _follow_up_lines_written(out: Path) -> int:
    """Bytes of follow_ups.jsonl in the staging folder (in its temp file while the run streams)."""
    return sum(p.stat().st_size for p in out.parent.glob(f".{out.name}.tmp-*/.follow_ups.jsonl.*.tmp"))


def _report_files_written(out: Path) -> bool:
    return any(out.parent.glob(f".{out.name}.tmp-*/predictions.jsonl"))


def _stable(report: dict) -> dict:
    """The report without what legitimately differs between runs (creation time, inference timing and
    cache hits: compared separately)."""
    return {k: v for k, v in report.items() if k not in ("created", "inference")}


def _inference_counts(report: dict) -> dict:
    return {role: {k: v for k, v in st.items() if k not in ("seconds", "cached", "computed", "forward_passes")}
            for role, st in report["inference"].items() if isinstance(st, dict)}


@pytest.fixture(scope="module")
def setup(tiny_models, tmp_path_factory):
    root = tmp_path_factory.mktemp("killed")
    rows = [{"id": f"r{i}", "code": C_SNIPPETS[i % 4].replace("(", f"( /* {i} */ ", 1), "label": i % 2}
            for i in range(3 * CHUNK)]
    data = write_jsonl(root / "data.jsonl", rows)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}

    def command(out: Path, cache: Path) -> list[str]:
        return [sys.executable, "-m", "metacompress_eval", "evaluate", "--teacher", str(tiny_models["teacher"]),
                "--student", str(tiny_models["student"]), "--data", str(data), "--out", str(out),
                "--cache-dir", str(cache), "--batch-size", "1", "--chunk-sources", str(CHUNK), "--workers", "2",
                "--transforms", "rename_variables,dead_code,reindent,blank_lines", "--no-verify", "--quiet"]

    subprocess.run(command(root / "clean", root / "clean-cache"), check=True, env=env, capture_output=True)
    clean = json.loads((root / "clean" / "report.json").read_text())
    return root, command, env, clean


def _kill_when(proc: subprocess.Popen, ready) -> list[int]:
    """SIGKILL ``proc`` once ``ready()``; returns the children it had then (its follow-up workers)."""
    deadline = time.time() + 180
    while time.time() < deadline and proc.poll() is None and not ready():
        time.sleep(0.005)
    children = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(int(p.name)) == proc.pid]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before the kill point"
    return children


@pytest.mark.parametrize("stage", ["first chunk", "later chunk", "report"])
def test_sigkill_then_rerun_gives_the_uninterrupted_report(setup, stage):
    root, command, env, clean = setup
    out, cache = root / stage.replace(" ", "-"), root / f"{stage.replace(' ', '-')}-cache"
    cache_file = cache / "outputs.sqlite"
    proc = subprocess.Popen(command(out, cache), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if stage == "first chunk":  # outputs committed, none of the chunk's follow-up lines handed over yet
        workers = _kill_when(proc, lambda: _rows_in(cache_file) >= 10 and not _follow_up_lines_written(out))
        assert _follow_up_lines_written(out) == 0, "killed after the first chunk"
    elif stage == "later chunk":  # the first chunk done (its lines written), the second one computing
        workers = _kill_when(proc, lambda: _follow_up_lines_written(out) > 0)
        assert not _report_files_written(out)
    else:
        workers = _kill_when(proc, lambda: _report_files_written(out))
    committed = _rows_in(cache_file)
    assert committed > 0
    assert not (out / "report.json").exists()
    deadline = time.time() + 30
    while any(process_running(pid) for pid in workers) and time.time() < deadline:
        time.sleep(0.05)  # the follow-up workers notice their parent is gone and exit
    assert not any(process_running(pid) for pid in workers)

    subprocess.run(command(out, cache), check=True, env=env, capture_output=True)
    resumed = json.loads((out / "report.json").read_text())
    assert _stable(resumed) == _stable(clean)
    assert _inference_counts(resumed) == _inference_counts(clean)
    assert (out / "predictions.jsonl").read_bytes() == (root / "clean" / "predictions.jsonl").read_bytes()
    assert (out / "follow_ups.jsonl").read_bytes() == (root / "clean" / "follow_ups.jsonl").read_bytes()
    def total(report, figure):
        return report["inference"]["teacher"][figure] + report["inference"]["student"][figure]

    # Every output committed before the kill is reused (the clean run's cached inputs are those repeated
    # in a later chunk), and only the rest is computed.
    assert total(resumed, "cached") == total(clean, "cached") + committed
    assert total(resumed, "computed") == total(clean, "computed") - committed
    if stage == "report":
        assert total(resumed, "computed") == 0
    # nothing of the killed run is left beside the report (its staging folder, its lock)
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(f".{out.name}")) == []


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None
