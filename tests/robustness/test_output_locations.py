"""Output files that would destroy something are refused before any work, in one line: the input
itself (by name, a symlink or a hard link), a device, pipe or ``/proc`` link (``/dev/stdout``)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from metacompress_eval.cli import main

from .conftest import load_generator

REPO = Path(__file__).resolve().parents[2]
ROW = {"id": "a", "code": "int f(int a) {\n    int b = a + 1;\n    return b;\n}", "label": 0}


def _aliases(tmp_path: Path, data: Path) -> dict[str, str]:
    (tmp_path / "link.jsonl").symlink_to(data.name)
    os.link(data, tmp_path / "hard.jsonl")
    os.mkfifo(tmp_path / "pipe.jsonl")
    (tmp_path / "stdout.jsonl").symlink_to("/proc/self/fd/1")  # like /dev/stdout, which a failure would replace
    return {"same name": str(data), "relative spelling": str(tmp_path / "." / data.name),
            "symlink to the input": str(tmp_path / "link.jsonl"), "hard link to the input": str(tmp_path / "hard.jsonl"),
            "a pipe": str(tmp_path / "pipe.jsonl"), "a /proc link": str(tmp_path / "stdout.jsonl")}


COMMANDS = {
    "transform": lambda data, out: ["transform", "--language", "c", "--transforms", "dead_code", data, out],
    "verify": lambda data, out: ["verify", "--language", "c", data, "--out", out],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_destructive_output_locations_are_refused(tmp_path, capsys, command):
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({**ROW, "follow_up": ROW["code"]}) + "\n")
    before = data.read_bytes()
    for what, out in _aliases(tmp_path, data).items():
        kind = os.stat(out).st_mode if os.path.exists(out) else None
        assert main(COMMANDS[command](str(data), out)) == 2, what
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("metacompress: error:") and out in err[0], (what, err)
        assert data.read_bytes() == before, what
        assert (os.stat(out).st_mode if os.path.exists(out) else None) == kind, what  # still a device/pipe
        assert os.path.islink(tmp_path / "stdout.jsonl")


# ----------------------------------------------------------------------------------------------
# Every command that writes: empty names, symbolic links, two runs at once
# ----------------------------------------------------------------------------------------------

# Each writing command with OUT where its output location goes; every other argument is good enough
# to get past parsing, and the checks below happen before any model or data is loaded.
WRITERS = {
    "evaluate": ["evaluate", "--teacher", "t", "--student", "s", "--data", "DATA", "--out", "OUT"],
    "attack": ["attack", "--model", "m", "--data", "DATA", "--language", "c", "--out", "OUT"],
    "transform": ["transform", "--language", "c", "DATA", "OUT"],
    "verify": ["verify", "--language", "c", "DATA", "--out", "OUT"],
    "dataset": ["dataset", "--data", "DATA", "--language", "c", "--config", "insertion", "--out", "OUT"],
    "card": ["card", "--report", "REPORT", "--card", "OUT"],
    "import": ["import", "DATA", "OUT"],
    "distill": ["distill", "--teacher", "t", "--data", "DATA", "--out", "OUT", "--space", "tiny"],
    "demo": ["demo", "--size", "tiny", "--out", "OUT"],
    "evaluate-module": ["evaluate-module", "--out", "OUT"],
}
FILE_WRITERS = ("transform", "verify", "card")


def _argv(command: str, data: Path, out: str, report: Path | None = None) -> list[str]:
    return [{"DATA": str(data), "OUT": out, "REPORT": str(report)}.get(a, a) for a in WRITERS[command]]


def _one_error(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and err[0].startswith("metacompress: error:"), err
    return err[0]


@pytest.mark.parametrize("command", sorted(WRITERS))
@pytest.mark.parametrize("name", ["", "  "])
def test_an_empty_output_name_is_refused(tmp_path, capsys, monkeypatch, command, name):
    """``Path("")`` is the current folder: a command would fill or replace it (verify took its default)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("mine\n")
    assert main(_argv(command, tmp_path / "data.jsonl", name, tmp_path)) == 2
    assert "is empty" in _one_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_the_current_folder_is_not_replaced(tmp_path, capsys, monkeypatch):
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps(ROW) + "\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for out in (".", "..", str(work)):
        assert main(_argv("dataset", data, out)) == 2, out
        assert "current folder" in _one_error(capsys)
    assert work.is_dir() and data.is_file()


@pytest.mark.parametrize("command", ["transform", "verify", "dataset"])
def test_a_symbolic_link_as_output_is_followed_and_kept(tmp_path, capsys, command):
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({**ROW, "follow_up": ROW["code"]}) + "\n")
    (tmp_path / "elsewhere").mkdir()
    target = tmp_path / "elsewhere" / ("out.jsonl" if command in FILE_WRITERS else "out")
    link = tmp_path / "link"
    link.symlink_to(target)  # dangling until the first run writes the target
    for run in range(2):  # a first run, then a rerun over its output
        assert main(_argv(command, data, str(link)) + ["--quiet"] * (command == "transform")) == 0, capsys.readouterr()
        assert link.is_symlink() and os.readlink(link) == str(target), run
        assert target.is_file() if command in FILE_WRITERS else (target / "README.md").is_file()
    assert not [p.name for p in (tmp_path / "elsewhere").iterdir() if p.name.startswith(".")]


def test_a_symbolic_link_loop_is_refused(tmp_path, capsys):
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps(ROW) + "\n")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    for command in ("transform", "dataset"):
        assert main(_argv(command, data, str(tmp_path / "a"))) == 2
        assert "loops" in _one_error(capsys)


HOLDER = """
import sys
from pathlib import Path
from metacompress_eval.outputs import lock_output, output_path
lock_output(output_path(sys.argv[1]))
print("locked", flush=True)
sys.stdin.read()
"""


@contextlib.contextmanager
def another_run_writing(path: Path):
    """A second process holding the output lock of ``path``, as a run writing there would."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder.pid
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_a_second_run_into_the_same_output_stops_before_any_work(tmp_path, capsys, command):
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({**ROW, "follow_up": ROW["code"]}) + "\n")
    out = tmp_path / ("out.jsonl" if command in FILE_WRITERS else "out")
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.json").write_text(json.dumps(load_generator().minimal_report()))
    with another_run_writing(out) as pid:
        assert main(_argv(command, data, str(out), report)) == 2
        line = _one_error(capsys)
        assert "another metacompress run" in line and str(pid) in line, line
        assert not out.exists()
    if command in ("transform", "dataset"):  # once it has finished, the same command runs and leaves no lock
        assert main(_argv(command, data, str(out))) == 0
        assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".lock")]


def test_a_file_system_without_locks_still_takes_the_output(tmp_path, capsys, monkeypatch):
    """flock fails with ENOLCK on some network mounts: the run goes on unguarded rather than refusing."""
    import errno
    import fcntl

    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps(ROW) + "\n")
    monkeypatch.setattr(fcntl, "flock", no_locks)
    assert main(_argv("transform", data, str(tmp_path / "out.jsonl")) + ["--quiet"]) == 0, capsys.readouterr()
    assert (tmp_path / "out.jsonl").is_file() and not list(tmp_path.glob(".*.lock"))
