"""What writers killed outright leave behind is swept by the next command that writes there, every
command by the same rule (``fileio.sweep_dead_writers``, called when an output location is locked)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from metacompress_eval.cli import main
from metacompress_eval.fileio import PIDLESS_AGE, sweep_dead_writers

from .conftest import load_generator
from .test_output_locations import FILE_WRITERS, ROW, WRITERS, _argv

RANDOM_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"


def dead_pid() -> int:
    """The pid of a process that has ended (and was reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _random(rng: random.Random) -> str:
    return "".join(rng.choice(RANDOM_CHARS) for _ in range(8))


def _file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("partial")
    return path


def _folder(path: Path) -> Path:
    (path / "inside").mkdir(parents=True)
    (path / "inside" / "report.json").write_text("{}")
    return path


def leftovers(out: Path, pid: int, rng: random.Random, *, inside: bool) -> list[Path]:
    """What a writer of ``out`` with process ``pid`` leaves when killed: temp files and staging/old folders
    beside it, temp files inside it and one level down (a folder written file by file)."""
    name = out.name
    made = [_file(out.parent / f".{name}.{pid}-{_random(rng)}.tmp"),
            _folder(out.parent / f".{name}.tmp-{pid}-{_random(rng)}"),
            _folder(out.parent / f".{name}.old-{pid}-{_random(rng)}")]
    if inside:
        made += [_file(out / f".report.json.{pid}-{_random(rng)}.tmp"),
                 _file(out / "data" / f".test.v1.jsonl.{pid}-{_random(rng)}.tmp"),
                 _folder(out / f".report.tmp-{pid}-{_random(rng)}")]
    return made


@pytest.fixture
def temp_folder(tmp_path, monkeypatch):
    """A temp folder of the test's own (run folders are swept there)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


# Folder outputs that may hold files already (an earlier output, marked as such), so leftovers are planted
# inside them too; import takes a new or empty folder only.
MARKERS = {"evaluate": "report.json", "attack": "summary.json", "dataset": ".metacompress-dataset.json",
           "distill": None, "demo": None, "evaluate-module": None}


@pytest.mark.parametrize("command", sorted(WRITERS))
def test_every_writing_command_sweeps_what_killed_writers_left(tmp_path, temp_folder, capsys, monkeypatch, command):
    """Whatever the command: once it holds its output location, the dead writers' leftovers there and their
    run folders are gone; a live writer's, another output's and a recent pid-less temp file are kept.
    (Each command is stopped right after its sweep, before any work: the demo would train its models. The
    card goes on, to sweep its badges' folder too.)"""
    from metacompress_eval import outputs
    from metacompress_eval.errors import MetaCompressError

    def sweep_then_stop(location):
        sweep_dead_writers(location)
        raise MetaCompressError("stopped after the sweep")

    if command != "card":
        monkeypatch.setattr(outputs, "sweep_dead_writers", sweep_then_stop)
    rng = random.Random(command)
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({**ROW, "follow_up": ROW["code"]}) + "\n")
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.json").write_text(json.dumps(load_generator().minimal_report()))
    out = tmp_path / ("out.jsonl" if command in FILE_WRITERS else "out")
    inside = command in MARKERS
    if inside:
        out.mkdir()
        if MARKERS[command]:
            (out / MARKERS[command]).write_text("{}")
    dead = dead_pid()
    gone = leftovers(out, dead, rng, inside=inside)
    gone.append(_folder(temp_folder / f"metacompress-run-{dead}-{_random(rng)}"))
    kept = leftovers(out, os.getpid(), rng, inside=inside)  # a writer at work (this process)
    kept += [_file(tmp_path / f".other.jsonl.{dead}-{_random(rng)}.tmp"),  # another output's: swept by its writer
             _file(out.parent / f".{out.name}.{_random(rng)}.tmp"),  # pid-less, recent: maybe an older version's
             _file(temp_folder / f"metacompress-run-{os.getpid()}-{_random(rng)}" / "x")]
    if command == "card":
        badges = tmp_path / "metacompress-badges"
        gone.append(_file(badges / f".agreement.svg.{dead}-{_random(rng)}.tmp"))
        kept.append(_file(badges / f".agreement.svg.{os.getpid()}-{_random(rng)}.tmp"))
    main(_argv(command, data, str(out), report))  # the card stops at the minimal report, after its sweeps
    err = capsys.readouterr().err
    assert command == "card" or "stopped after the sweep" in err, err
    assert [p for p in gone if p.exists()] == []
    assert [p for p in kept if not p.exists()] == []


@pytest.mark.parametrize("seed", range(20))
def test_names_of_any_output_are_recognised(tmp_path, temp_folder, seed):
    """Generated output names (dots, dashes, digits, spaces): exactly the dead writers' leftovers go, of
    the location beside it and of any name inside it."""
    rng = random.Random(seed)
    alphabet = "ab.-_ 09xyz"
    name = rng.choice("abcdefgh") + "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
    out = tmp_path / name
    out.mkdir()
    dead = dead_pid()
    gone = leftovers(out, dead, rng, inside=True)
    kept = leftovers(out, os.getpid(), rng, inside=True)
    kept += [_file(tmp_path / f".{name}x.{dead}-{_random(rng)}.tmp"),  # another output beside it
             _file(tmp_path / f".{name}.{dead}-{_random(rng)}.tmp.part"),  # not a temp file's name
             _file(tmp_path / f".{name}.{dead}.tmp"),
             _file(out / "deep" / "er" / f".x.{dead}-{_random(rng)}.tmp"),  # below where commands write
             _file(out / f"visible.{dead}-{_random(rng)}.tmp")]  # temp files are hidden (a dot first)
    removed = sweep_dead_writers(out)
    assert sorted(map(str, removed)) == sorted(map(str, gone))
    assert [p for p in kept if not p.exists()] == []


def test_pidless_temp_files_go_only_when_old_and_not_open(tmp_path, temp_folder):
    """Temp files of versions that did not name the writer: one unchanged for PIDLESS_AGE and open in no
    process goes; a recent one stays, and so does an old one some process still has open."""
    out = tmp_path / "out.jsonl"
    old, held, recent = (_file(tmp_path / f".out.jsonl.{r}.tmp") for r in ("abcdefgh", "hijklmno", "pqrstuvw"))
    inside = _file(tmp_path / "folder" / f".x.json.{'q' * 8}.tmp")
    past = time.time() - PIDLESS_AGE - 60
    for path in (old, held, inside):
        os.utime(path, (past, past))
    with open(held, "rb"):
        removed = sweep_dead_writers(out) + sweep_dead_writers(tmp_path / "folder")
    assert sorted(removed) == sorted([old, inside])
    assert held.exists() and recent.exists()


def test_demo_model_builds_follow_the_same_rule(tmp_path, temp_folder):
    """The demo's model builds are made in ``.NAME.tmp-<pid>-<random>``: a killed build's goes, a build at
    work in another process stays (builds of versions without the pid, ``.NAME-<random>``, go as before)."""
    from metacompress_eval.demo.models import build_once

    rng = random.Random(0)
    dead = _folder(tmp_path / f".teacher.tmp-{dead_pid()}-{_random(rng)}")
    legacy = _folder(tmp_path / f".teacher-{_random(rng)}")
    live = _folder(tmp_path / f".teacher.tmp-{os.getpid()}-{_random(rng)}")
    seen = []
    build_once(tmp_path / "teacher", {"v": 1}, lambda folder: seen.append(folder.name))
    assert not dead.exists() and not legacy.exists() and live.exists()
    assert seen[0].startswith(f".teacher.tmp-{os.getpid()}-")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["teacher", live.name, "tmp"])
