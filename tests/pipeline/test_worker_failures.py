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


def _both_workers_started(marks) -> list[int]:
    """Wait (up to 60 s) until both workers have marked that they are inside a part; their pids."""
    deadline = time.monotonic() + 60
    while len(list(marks.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = [int(p.name.split("-")[1]) for p in marks.iterdir()]
    assert len(workers) == 2
    return workers


def test_interrupting_stops_the_workers_at_once(tmp_path):
    """Ctrl-C (SIGINT to the whole process group) while every worker is inside a long part: the run ends
    without waiting for those parts, nor for the parts queued behind them."""
    proc, marks, scratch = _start(tmp_path, SLOW)
    try:
        workers = _both_workers_started(marks)
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


def test_sigterm_to_the_main_process_cleans_up_as_ctrl_c_does(tmp_path):
    """SIGTERM to the main process only (as `timeout` and job schedulers send it): exit 143, the workers
    end with it, and neither the run folder nor the output's temp file is left."""
    proc, marks, scratch = _start(tmp_path, SLOW)
    try:
        workers = _both_workers_started(marks)
        os.kill(proc.pid, signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143, err
    assert err.splitlines() == ["metacompress: terminated; no output was written — rerun the same command"]
    assert not _gone(workers, seconds=1.0)
    assert list(scratch.iterdir()) == []
    assert not list(tmp_path.glob("*out.jsonl*"))


def test_a_run_removes_the_run_folders_of_dead_processes_only(tmp_path):
    """A main process killed outright leaves its run folder; the next run removes it, never the folder of
    a live process, nor a folder whose name carries no pid."""
    data = tmp_path / "data"
    data.mkdir()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that was just used and is free now
    from metacompress_eval.fileio import writer_namespace

    stale = scratch / f"metacompress-run-{dead.pid}-{writer_namespace()}-abcdefgh"
    (stale / "follow-up-lines-x").mkdir(parents=True)
    (stale / "follow-up-lines-x" / "part-1.jsonl").write_bytes(b"{}\n")
    live = scratch / f"metacompress-run-{os.getpid()}-def"
    live.mkdir()
    odd = scratch / "metacompress-run-x-ghi"
    odd.mkdir()
    other = scratch / f"metacompress-run-{dead.pid}-abc"  # no namespace (an older version's), recent: kept
    other.mkdir()
    script = data / "run.py"
    script.write_text(SCRIPT.format(step="    pass"))
    (data / "in.jsonl").write_text("".join(json.dumps({"id": f"s{i}", "code": c}) + "\n"
                                           for i, c in enumerate(C_SNIPPETS)))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(scratch), "METACOMPRESS_DEBUG": ""}
    run = subprocess.run([sys.executable, str(script), str(data), str(data / "in.jsonl"), str(tmp_path / "out.jsonl")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in scratch.iterdir()) == sorted([live.name, odd.name, other.name])
    assert not list(tmp_path.glob(".out.jsonl*"))


def _tiny_tmpfs(path: Path) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


def test_a_tiny_tmpdir_gives_the_same_output_as_one_worker(tmp_path):
    """A TMPDIR too small for the workers' part files (a 64 KiB tmpfs): `--workers 2` succeeds with the
    bytes `--workers 1` writes (the part files fall back to the result pipe), and leaves nothing there."""
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    if not _tiny_tmpfs(tiny):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        data = tmp_path / "in.jsonl"
        data.write_text("".join(json.dumps({"id": f"s{i}", "code": C_SNIPPETS[i % len(C_SNIPPETS)]}) + "\n"
                                for i in range(400)))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tiny), "METACOMPRESS_DEBUG": ""}
        outs = {}
        for workers in ("1", "2"):
            out = tmp_path / f"out-{workers}.jsonl"
            run = subprocess.run([sys.executable, "-m", "metacompress_eval", "transform", "--language", "c", "--quiet",
                                  "--workers", workers, "--chunk-sources", "400", str(data), str(out)],
                                 capture_output=True, text=True, env=env, timeout=300)
            assert run.returncode == 0, run.stderr
            outs[workers] = out.read_bytes()
        assert outs["1"] == outs["2"] and len(outs["1"]) > 64 * 1024
        assert list(tiny.iterdir()) == []
    finally:
        subprocess.run(["umount", str(tiny)], capture_output=True)


def test_a_writer_removes_the_temp_files_of_killed_writers_of_its_output_only(tmp_path):
    """A writer killed outright leaves `.NAME.<pid>-<namespace>-<random>.tmp` beside its output; the next
    writer of that output removes it, and keeps the temp files of live writers, of other outputs, of another
    pid namespace and without a pid."""
    from metacompress_eval.fileio import AtomicJsonlWriter, writer_namespace

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    ns = writer_namespace()
    stale = tmp_path / f".out.jsonl.{dead.pid}-{ns}-abcd_123.tmp"
    kept = [tmp_path / f".out.jsonl.{os.getpid()}-{ns}-abcd_123.tmp",  # a live writer
            tmp_path / f".out.jsonl.7-x.{dead.pid}-{ns}-abcd_123.tmp",  # of the output "out.jsonl.7-x"
            tmp_path / f".out.jsonl.{dead.pid}-0badf00d-abcd_123.tmp",  # another pid namespace's: maybe alive
            tmp_path / ".out.jsonl.abcd_123.tmp"]  # no pid in the name
    for path in (stale, *kept):
        path.write_bytes(b"")
    with AtomicJsonlWriter(tmp_path / "out.jsonl") as out:
        out.write({"a": 1})
    assert (tmp_path / "out.jsonl").read_bytes() == b'{"a": 1}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.jsonl", *(p.name for p in kept)])
