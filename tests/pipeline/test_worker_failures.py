"""A follow-up run whose worker dies, or which is interrupted, ends at once in one line and leaves nothing
behind: no output, no temporary folder, no worker or compiler process."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from metacompress_eval.follow_ups import resolve_workers, usable_cpus, workers_note

from ..conftest import C_SNIPPETS, process_running

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc") or not hasattr(os, "killpg"),
                                reason="reads process states from /proc, signals process groups")

ROOT = Path(__file__).resolve().parents[2]

# Runs `transform` through the CLI's main() with run_chunk wrapped by STEP (forked workers inherit the
# wrapper), and as many usable CPUs as the test needs whatever the machine has.
SCRIPT = """
import os, signal, sys, tempfile, time
from metacompress_eval import follow_ups
from metacompress_eval.cli import main
from metacompress_eval.verify.lifetime import run_tool, scratch_dir
follow_ups.usable_cpus = lambda: 4
real = follow_ups.run_chunk
marks = sys.argv[1]

def run_chunk(job):
{step}
    return real(job)

follow_ups.run_chunk = run_chunk
sys.exit(main(["transform", "--language", "c", "--workers", "2", "--chunk-sources", "1", "--quiet",
               *sys.argv[2:]]))
"""

# The second chunk's worker makes a verification folder, starts a "compiler" (it records its pid),
# then is killed outright, as by the OOM killer.
DIE = """
    if job.index == 1:
        tempfile.mkdtemp(prefix="metacompress-c-", dir=scratch_dir())
        import threading
        threading.Thread(target=run_tool, args=(["sh", "-c", f"echo $$ > {marks}/compiler; exec sleep 120"],),
                         daemon=True).start()
        while not os.path.exists(f"{marks}/compiler"):
            time.sleep(0.05)
        time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGKILL)
"""

# Every part takes two minutes; each worker records its pid when it starts one.
SLOW = """
    open(f"{marks}/worker-{os.getpid()}", "w").close()
    time.sleep(120)
"""


def _gone(pids, seconds=15.0) -> list[int]:
    """The pids still running after waiting up to ``seconds`` (each is killed before returning)."""
    deadline = time.monotonic() + seconds
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if process_running(p)]
    for pid in alive:  # leave nothing running, even when failing
        os.kill(pid, signal.SIGKILL)
    return alive


def _start(tmp_path, step, *options):
    script = tmp_path / "run.py"
    script.write_text(SCRIPT.format(step=step))
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"id": f"s{i}", "code": C_SNIPPETS[i % len(C_SNIPPETS)]}) + "\n"
                            for i in range(8)))
    marks, scratch = tmp_path / "marks", tmp_path / "tmp"
    marks.mkdir()
    scratch.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(scratch), "METACOMPRESS_DEBUG": ""}
    proc = subprocess.Popen([sys.executable, str(script), str(marks), str(data), str(tmp_path / "out.jsonl"),
                             *options],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)  # a process group of its own, as a terminal's job is
    return proc, marks, scratch


def test_a_killed_worker_is_one_line_and_leaves_nothing_behind(tmp_path):
    proc, marks, scratch = _start(tmp_path, DIE)
    try:
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 2, err
    assert err.splitlines() == ["metacompress: error: a follow-up worker process died (killed, out of memory?); "
                                "no output was written — rerun the same command"]
    assert not _gone([int((marks / "compiler").read_text())]), "the compiler outlived its worker"
    assert list(scratch.iterdir()) == []  # the run's temporary folder went with the run
    assert not list(tmp_path.glob("out.jsonl*"))


def test_interrupting_stops_the_workers_at_once(tmp_path):
    """Ctrl-C (SIGINT to the whole process group) while every worker is inside a long part: the run ends
    without waiting for those parts, nor for the parts queued behind them."""
    proc, marks, scratch = _start(tmp_path, SLOW)
    try:
        deadline = time.monotonic() + 60
        while len(list(marks.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = [int(p.name.split("-")[1]) for p in marks.iterdir()]
        assert len(workers) == 2
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)  # each part would take 120 s
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert err.splitlines() == ["metacompress: interrupted; no output was written — rerun the same command"]
    assert not _gone(workers)
    assert list(scratch.iterdir()) == []
    assert not list(tmp_path.glob("out.jsonl*"))


@pytest.mark.skipif(not (shutil.which("gcc") or shutil.which("clang")), reason="needs a C compiler")
def test_a_verified_run_leaves_no_temporary_folder(tmp_path):
    """Verification in worker processes: their compiler folders (and precompiled headers) go with the run."""
    proc, _, scratch = _start(tmp_path, "    pass", "--verify")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert json.loads((tmp_path / "out.jsonl.summary.json").read_text())["verification"]["checked"] > 0
    assert list(scratch.iterdir()) == []


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=1, max_value=10**12))
def test_worker_requests_are_capped_at_the_usable_cpus(requested):
    used = resolve_workers(requested)
    assert used == min(requested, usable_cpus())
    note = workers_note(requested)
    assert (note is None) == (requested <= usable_cpus())
    if note:
        assert note == f"--workers {requested} is more than the {used} usable CPU(s); using {used}"
