"""Run one bad-input case (``scripts/make_bad_inputs.py``) with one command, in-process, and check it.

Commands run through ``metacompress_eval.cli.main`` (the Space's tabs through their functions), so a
traceback is an exception escaping the call and faults can be injected with ``monkeypatch``. The
checks are the same for every case:

* the exit status (``ok``/``skip``/``warn`` → 0, ``error`` → 2);
* ``error``: exactly one line on stderr, ``metacompress: error: …``, matching the case's reason and
  mentions; no output created (or the earlier output unchanged);
* ``skip``: the skip is counted in the command's machine-readable output with a matching reason,
  and a printed line names the file or row;
* ``warn``: a ``metacompress: warning:`` line matching the reason;
* always: no ``Traceback``, no token, no temporary leftovers next to the output.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TOKEN = "hf_FakeTokenThatMustNeverBePrinted0123"
HUB_TIMEOUT_S = "1"


@dataclass
class Outcome:
    """What one run did."""

    exit: int | None
    out: Path | None  # the output location (folder or file) the command was given
    counts: dict[str, int] = field(default_factory=dict)  # skip reason -> rows
    examples: list[str] = field(default_factory=list)  # where skipped rows were (file:line, row N)
    problems: list[str] = field(default_factory=list)  # Space: per-file problems
    error: str | None = None  # Space: the MetaCompressError message
    files: dict[str, bytes] = field(default_factory=dict)  # extra artefacts to scan for secrets
    text: str = ""  # Space: everything a visitor would see


def snapshot(path: Path | None) -> dict[str, str]:
    """Relative path → sha256 of every file under ``path`` (or of ``path`` itself)."""
    if path is None or not path.exists():
        return {}
    if path.is_file():
        return {".": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def leftovers(parent: Path, name: str) -> list[str]:
    """Temporary files or folders of an atomic write of ``name`` still lying in ``parent``."""
    if not parent.is_dir():
        return []
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(f".{name}") and p.name != f".{name}")


class Context:
    """Paths and fixtures shared by the runs of one test session."""

    def __init__(self, corpus: Path, teacher: Path, student: Path, work: Path, report_dir: Path | None = None):
        self.corpus = corpus
        self.teacher = teacher
        self.student = student
        self.work = work
        self.report_dir = report_dir  # a good report folder (for card --push)


def _case_dir(ctx: Context, case) -> Path:
    return ctx.corpus / case.id.replace("/", "__")


FOLDER_OUTPUT = ("evaluate", "attack", "dataset", "distill")
FILE_OUTPUT = ("transform", "verify", "card")


def output_location(ctx: Context, case, command: str, run_dir: Path) -> Path:
    """Where the command writes, after arranging the case's bad output location (``setup``)."""
    name = {"evaluate": "report", "attack": "attack", "dataset": "dataset", "distill": "student",
            "transform": "follow_ups.jsonl", "verify": "verified.jsonl", "card": "README.md"}.get(command, "out")
    out = run_dir / name
    setup = case.setup
    if setup == "out-is-file":
        if command in FOLDER_OUTPUT:
            out.write_text("an existing file\n")
        else:
            out.mkdir()
    elif setup == "out-under-file":
        (run_dir / "plain-file").write_text("x\n")
        out = run_dir / "plain-file" / name
    elif setup == "out-read-only":
        if os.geteuid() == 0:
            out = Path("/sys") / "metacompress-robustness-test" / name  # EPERM even for root
        else:
            locked = run_dir / "locked"
            locked.mkdir()
            locked.chmod(0o555)
            out = locked / name
    elif setup == "out-foreign-folder" and command in FOLDER_OUTPUT:
        out.mkdir()
        (out / "my-notes.txt").write_text("not made by metacompress\n")
    return out


def argv_for(ctx: Context, case, command: str, out: Path, *, seed: int = 0, cache: Path | None = None) -> list[str]:
    """The command line of ``command`` on ``case``'s files."""
    d = _case_dir(ctx, case)
    data = str(d / case.files.get("data", "data.jsonl"))
    lang = case.language
    teacher = str(d / case.files["model"]) if "model" in case.files else str(ctx.teacher)
    student = str(ctx.student)
    cache = cache or ctx.work / "cache"
    hub = case.setup.startswith("hub-")
    if command == "evaluate":
        return ["evaluate", "--teacher", "alice/teacher" if hub else teacher, "--student", student, "--data", data,
                "--language", lang, "--out", str(out), "--cache-dir", str(cache), "--quiet", "--batch-size", "8",
                "--bootstrap-resamples", "100", "--seed", str(seed), "--no-verify"] + (
                    ["--transforms", "all"] if case.kind == "deep" else [])
    if command == "attack":
        return ["attack", "--model", "alice/model" if hub else teacher, "--data", data, "--language", lang,
                "--out", str(out), "--budget", "3", "--quiet", "--cache-dir", str(cache), "--seed", str(seed),
                "--unlabelled"]
    if command == "transform":
        return ["transform", "--language", lang, data, str(out), "--quiet", "--seed", str(seed)] + (
            ["--transforms", "all"] if case.kind == "deep" else [])
    if command == "verify":
        return ["verify", "--language", lang, data, "--out", str(out), "--quiet"]
    if command == "dataset":
        return ["dataset", "--data", data, "--language", lang, "--out", str(out), "--seed", str(seed),
                "--config", "insertion" if case.kind != "deep" else "all"] + (
                    ["--push", "alice/follow-ups"] if hub else [])
    if command == "distill":
        return ["distill", "--teacher", "alice/teacher" if hub else teacher, "--data", data, "--out", str(out),
                "--space", "tiny", "--population", "2", "--generations", "1", "--epochs", "1", "--quiet"]
    if command == "card":
        if "report" in case.files:
            report = d / Path(case.files["report"]).parent
        elif "bad" in case.files:  # a single bad report.json, put into a report folder of its own
            report = out.parent / "bad-report"
            report.mkdir(exist_ok=True)
            (report / "report.json").write_bytes((d / case.files["bad"]).read_bytes())
        else:
            report = ctx.report_dir
        return ["card", "--report", str(report), "--card", str(out)] + (["--push", "alice/student"] if hub else [])
    raise ValueError(command)


def read_counts(command: str, out: Path) -> tuple[dict[str, int], list[str]]:
    """Skip counts and examples from a finished command's machine-readable output."""

    def load(path: Path) -> dict:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}

    if command == "evaluate":
        data = load(out / "report.json").get("data", {})
    elif command == "attack":
        data = load(out / "summary.json").get("data", {})
    elif command in ("transform", "verify"):
        data = load(Path(f"{out}.summary.json"))
    elif command == "dataset":
        settings = load(out / ".metacompress-dataset.json")
        data = next(iter(settings.get("configs", {}).values()), {})
    else:
        data = {}
    examples = [e.get("where", "") + ": " + e.get("reason", "") if isinstance(e, dict) else str(e)
                for e in data.get("skipped_examples", [])]
    return dict(data.get("skipped", {})), examples


# ----------------------------------------------------------------------------------------------
# Faults
# ----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def disk_full(monkeypatch):
    """Every ``fsync`` fails with ENOSPC, as on a full disk (a durable writer always syncs)."""

    def fail(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as m:
        m.setattr(os, "fsync", fail)
        yield


@contextlib.contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def damage_cache(cache_dir: Path, how: str) -> None:
    """Corrupt the output cache the first run left in ``cache_dir``."""
    path = cache_dir / "outputs.sqlite"
    if how == "cache-garbage":
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.write_bytes(os.urandom(64 * 1024))
    elif how == "cache-truncated":
        db = sqlite3.connect(path)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.close()
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif how == "cache-bitflip":
        db = sqlite3.connect(path)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        table = "outputs"
        rowid, blob = db.execute(f"SELECT rowid, logits FROM {table} ORDER BY rowid LIMIT 1").fetchone()
        flipped = bytearray(blob)
        flipped[len(flipped) // 2] ^= 0x40
        with db:
            db.execute(f"UPDATE {table} SET logits = ? WHERE rowid = ?", (bytes(flipped), rowid))
        db.close()


@contextlib.contextmanager
def failing_hub(mode: str, monkeypatch, home: Path):
    """The Hub client pointed at a local endpoint failing in ``mode``, with a fake token set."""
    from tests.hub.failing_hub import FailingHub

    with FailingHub(mode) as hub, monkeypatch.context() as m:
        import huggingface_hub.constants as hc

        m.setenv("HF_ENDPOINT", hub.url)
        m.setenv("HF_TOKEN", TOKEN)
        m.setenv("HF_HOME", str(home))
        m.setenv("HF_HUB_OFFLINE", "0")
        m.setenv("HF_DATASETS_OFFLINE", "0")
        m.setenv("HF_HUB_DISABLE_XET", "1")
        m.setenv("METACOMPRESS_HUB_TIMEOUT", HUB_TIMEOUT_S)
        m.setenv("HF_HUB_ETAG_TIMEOUT", HUB_TIMEOUT_S)
        m.setenv("HF_HUB_DOWNLOAD_TIMEOUT", HUB_TIMEOUT_S)
        m.setenv("NO_PROXY", "127.0.0.1")
        for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            m.delenv(var, raising=False)
        m.setattr(hc, "ENDPOINT", hub.url)
        m.setattr(hc, "HF_HUB_OFFLINE", False)
        m.setattr(hc, "HF_HUB_ETAG_TIMEOUT", int(HUB_TIMEOUT_S))
        m.setattr(hc, "HF_HUB_DOWNLOAD_TIMEOUT", int(HUB_TIMEOUT_S))
        m.setattr(hc, "HUGGINGFACE_CO_URL_TEMPLATE", hub.url + "/{repo_id}/resolve/{revision}/{filename}")
        try:
            import datasets.config as dc

            m.setattr(dc, "HF_ENDPOINT", hub.url)
            m.setattr(dc, "HF_HUB_OFFLINE", False)
            m.setattr(dc, "HF_DATASETS_OFFLINE", False, raising=False)
        except ImportError:  # pragma: no cover
            pass
        yield hub


def scan_for_token(*texts: str, folders: tuple[Path, ...] = ()) -> list[str]:
    """Where the fake token (or a recognisable part of it) appears."""
    needles = (TOKEN, TOKEN[3:20])
    found = [f"text #{i}" for i, t in enumerate(texts) if any(n in (t or "") for n in needles)]
    for folder in folders:
        if not folder.exists():
            continue
        for path in folder.rglob("*"):
            if path.is_file():
                try:
                    data = path.read_bytes()
                except OSError:
                    continue
                if any(n.encode() in data for n in needles):
                    found.append(str(path))
    return found


def traceback_in(text: str) -> bool:
    return "Traceback (most recent call last)" in text or re.search(r"^\s+File \".*\", line \d+", text, re.M) is not None
