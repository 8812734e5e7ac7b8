"""What writers killed outright leave behind is swept by the next command that writes there, every
command by the same rule (``fileio.sweep_dead_writers``, called when an output location is locked)."""

from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from metacompress_eval.cli import main
from metacompress_eval.fileio import PIDLESS_AGE, remove_dead_run_folders, sweep_dead_writers, writer_namespace

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


def _old(path: Path) -> Path:
    """``path`` (and all it holds) unchanged for longer than PIDLESS_AGE."""
    past = time.time() - PIDLESS_AGE - 60
    for top, folders, files in os.walk(path, topdown=False):
        for name in folders + files:
            os.utime(os.path.join(top, name), (past, past))
    os.utime(path, (past, past))
    return path


def leftovers(out: Path, pid: int, rng: random.Random, *, inside: bool, namespace: str | None = None) -> list[Path]:
    """What a writer of ``out`` with process ``pid`` (in pid namespace ``namespace``, default this one's) leaves
    when killed: temp files and staging/old folders beside it, temp files inside it (a folder written file by file)."""
    name, tag = out.name, f"{pid}-{namespace or writer_namespace()}"
    made = [_file(out.parent / f".{name}.{tag}-{_random(rng)}.tmp"),
            _folder(out.parent / f".{name}.tmp-{tag}-{_random(rng)}"),
            _folder(out.parent / f".{name}.old-{tag}-{_random(rng)}")]
    if inside:
        made += [_file(out / f".report.json.{tag}-{_random(rng)}.tmp")]
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
    ns = writer_namespace()
    gone.append(_folder(temp_folder / f"metacompress-run-{dead}-{ns}-{_random(rng)}"))
    kept = leftovers(out, os.getpid(), rng, inside=inside)  # a writer at work (this process)
    kept += leftovers(out, dead, rng, inside=inside, namespace="0badf00d")  # another namespace's, recent
    kept += [_file(tmp_path / f".other.jsonl.{dead}-{ns}-{_random(rng)}.tmp"),  # another output's: its writer sweeps
             _file(out.parent / f".{out.name}.{_random(rng)}.tmp"),  # pid-less, recent: maybe an older version's
             _file(temp_folder / f"metacompress-run-{os.getpid()}-{ns}-{_random(rng)}" / "x"),
             _file(temp_folder / f"metacompress-run-{dead}-0badf00d-{_random(rng)}" / "x")]
    if command == "card":
        badges = tmp_path / "metacompress-badges"
        gone.append(_file(badges / f".agreement.svg.{dead}-{ns}-{_random(rng)}.tmp"))
        kept.append(_file(badges / f".agreement.svg.{os.getpid()}-{ns}-{_random(rng)}.tmp"))
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
    tag = f"{dead}-{writer_namespace()}"
    gone = leftovers(out, dead, rng, inside=True)
    kept = leftovers(out, os.getpid(), rng, inside=True)
    kept += [_file(tmp_path / f".{name}x.{tag}-{_random(rng)}.tmp"),  # another output beside it
             _file(tmp_path / f".{name}.{tag}-{_random(rng)}.tmp.part"),  # not a temp file's name
             _file(tmp_path / f".{name}.{dead}.tmp"),
             _file(out / "data" / f".x.{tag}-{_random(rng)}.tmp"),  # subfolders are not the tool's to judge
             _folder(out / f".report.tmp-{tag}-{_random(rng)}"),  # nor folders inside it
             _file(out / f"visible.{tag}-{_random(rng)}.tmp")]  # temp files are hidden (a dot first)
    removed = sweep_dead_writers(out)
    assert sorted(map(str, removed)) == sorted(map(str, gone))
    assert [p for p in kept if not p.exists()] == []


def test_pidless_temp_files_go_only_when_old_and_not_open(tmp_path, temp_folder):
    """Temp files of versions that did not name the writer: one unchanged for PIDLESS_AGE and open in no
    process goes; a recent one stays, and so does an old one some process still has open."""
    out = tmp_path / "out.jsonl"
    old, held, recent = (_file(tmp_path / f".out.jsonl.{r}.tmp") for r in ("abcdefgh", "hijklmno", "pqrstuvw"))
    inside = _file(tmp_path / "folder" / f".x.json.{'q' * 8}.tmp")  # inside a folder: maybe the user's own
    for path in (old, held, inside):
        _old(path)
    with open(held, "rb"):
        removed = sweep_dead_writers(out) + sweep_dead_writers(tmp_path / "folder")
    assert sorted(removed) == [old]
    assert held.exists() and recent.exists() and inside.exists()


def test_demo_model_builds_follow_the_same_rule(tmp_path, temp_folder):
    """The demo's model builds are made in ``.NAME.tmp-<pid>-<random>``: a killed build's goes, a build at
    work in another process stays (builds of versions without the pid, ``.NAME-<random>``, go as before)."""
    from metacompress_eval.demo.models import build_once

    rng = random.Random(0)
    ns = writer_namespace()
    dead = _folder(tmp_path / f".teacher.tmp-{dead_pid()}-{ns}-{_random(rng)}")
    legacy = _folder(tmp_path / f".teacher-{_random(rng)}")
    live = _folder(tmp_path / f".teacher.tmp-{os.getpid()}-{ns}-{_random(rng)}")
    users = _folder(tmp_path / ".teacher-notes-2023")  # not a build's name: kept
    seen = []
    build_once(tmp_path / "teacher", {"v": 1}, lambda folder: seen.append(folder.name))
    assert not dead.exists() and not legacy.exists() and live.exists()
    assert seen[0].startswith(f".teacher.tmp-{os.getpid()}-{ns}-")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["teacher", live.name, users.name, "tmp"])


def _user_like_names(rng: random.Random, dead: int) -> list[str]:
    """Hidden names a user (or git, or an editor) may keep in a folder, close to the tool's own patterns."""
    word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8))
    return [f".photos.old-{rng.randrange(1990, 2030)}-{word}", f".notes.{dead}-{word}.tmp", f".env.{word}.tmp",
            f".x.tmp-{dead}-{word}", f".cfg.{dead}-{word}.tmp.bak", f".a.{rng.randrange(10 ** 8, 10 ** 20)}-{word}.tmp",
            f".b.{dead}-{word[:4]}-{word}.tmp", f".c.{dead}-0badf00d-{word}.tmp"]


@pytest.mark.parametrize("seed", range(10))
def test_files_of_the_user_in_an_output_folder_survive(tmp_path, temp_folder, seed):
    """A folder output (``distill``/``demo``/``evaluate-module`` write into an existing folder) may hold the
    user's files: hidden names that look like temp files, in the folder, in ``.git`` and one level down, old
    or recent, survive the sweep; only this tool's own dead leftovers (exact pattern, this namespace) go."""
    rng = random.Random(seed)
    out = tmp_path / "proj"
    out.mkdir()
    dead = dead_pid()
    kept = []
    for folder in (out, out / ".git", out / "sub"):
        for name in _user_like_names(rng, dead):
            path = _folder(folder / name) if rng.random() < 0.3 else _file(folder / name)
            kept.append(_old(path) if rng.random() < 0.5 else path)
    kept.append(_file(out / ".git" / f".index.{dead}-{writer_namespace()}-{_random(rng)}.tmp"))  # not the top folder
    gone = [_file(out / f".README.md.{dead}-{writer_namespace()}-{_random(rng)}.tmp")]
    assert sorted(map(str, sweep_dead_writers(out))) == sorted(map(str, gone))
    assert [p for p in kept if not p.exists()] == []


def test_another_namespaces_leftovers_go_only_when_unchanged_for_a_day(tmp_path, temp_folder):
    """A pid of another pid namespace or machine (containers, CI jobs sharing TMPDIR) says nothing here: its
    leftovers stay while recent, whatever the pid, and go once unchanged for PIDLESS_AGE (and not open)."""
    rng = random.Random(1)
    out = tmp_path / "out.jsonl"
    recent = leftovers(out, 1, rng, inside=False, namespace="0badf00d")  # pid 1 is alive here, dead there: same
    recent += [_folder(temp_folder / f"metacompress-run-{dead_pid()}-0badf00d-{_random(rng)}"),
               _folder(temp_folder / f"metacompress-run-{dead_pid()}-{_random(rng)}")]  # an older version's
    old = [_old(p) for p in leftovers(out, dead_pid(), rng, inside=False, namespace="0badf00d")]
    old += [_old(_folder(temp_folder / f"metacompress-run-{dead_pid()}-0badf00d-{_random(rng)}"))]
    busy = _old(_folder(temp_folder / f"metacompress-run-{dead_pid()}-0badf00d-{_random(rng)}"))
    (busy / "inside" / "new").write_text("written just now")  # the folder itself is old, its content not
    removed = sweep_dead_writers(out)
    assert sorted(map(str, removed)) == sorted(map(str, old))
    assert all(p.exists() for p in [*recent, busy])


ODD_NAMES = ["metacompress-run-2147483648-zz", "metacompress-run-\u00b2-zz", "metacompress-run-99999999999999999999-x",
             "metacompress-run--1-abcdefgh", "metacompress-run-0-abcdefgh", "metacompress-run-\u0661\u0662-abcdefgh"]


def test_odd_pids_in_names_are_skipped(tmp_path, temp_folder):
    """Names with pids that are no pid (too large, not ASCII digits, zero, negative) are not this tool's:
    they are kept, and no command fails on them (they raised OverflowError/ValueError)."""
    out = tmp_path / "out.jsonl"
    made = [_folder(temp_folder / name) for name in ODD_NAMES]
    ns = writer_namespace()
    made += [_file(tmp_path / f".out.jsonl.{pid}-{tail}.tmp") for pid in ("99999999999999999999", "\u00b2", "0", "2147483648")
             for tail in ("abcdefgh", f"{ns}-abcdefgh")]
    assert sweep_dead_writers(out) == [] and remove_dead_run_folders() == []
    assert all(p.exists() for p in made)


def test_namespace_differs_in_another_pid_namespace(tmp_path):
    """The namespace part of the names is another in a new pid namespace (``unshare --pid``), so a run there
    does not judge this run's pids (skipped where unshare is not allowed)."""
    import shutil

    if not shutil.which("unshare"):
        pytest.skip("no unshare")
    code = "from metacompress_eval.fileio import writer_namespace; print(writer_namespace())"
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", code],
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(root)}, timeout=60)
    if run.returncode != 0:
        pytest.skip(f"unshare --pid not allowed here: {run.stderr.strip()[-200:]}")
    assert run.stdout.strip() != writer_namespace()


def test_a_vanished_run_folder_stops_the_compiler_check(tmp_path, monkeypatch):
    """When the run's temp folder is removed under a running compiler check (another process cleaning TMPDIR),
    its failures are not counted as new compiler errors (follow-ups silently dropped): the check stops with
    one line naming the folder."""
    from metacompress_eval.errors import MetaCompressError
    from metacompress_eval.verify import compilers, lifetime

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(lifetime, "_SCRATCH", None)
    monkeypatch.setattr(lifetime, "_VANISHED", None)
    compilers.clear_cache()
    pairs = [("int f(int a) { return a + 1; }", "int f(int b) { return b + 1; }")]
    assert compilers.compare_many(pairs, "c")[0].ok
    gone = lifetime.scratch_dir()
    import shutil

    shutil.rmtree(gone)
    compilers.clear_cache()
    with pytest.raises(MetaCompressError, match=re.escape(gone)):
        compilers.compare_many([("int g(void) { return 2; }", "int g(void) { return 3; }")], "c")
    compilers.clear_cache()
