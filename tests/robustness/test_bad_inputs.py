"""The bad-input corpus (``scripts/make_bad_inputs.py``) run through every command it names.

Each (case, command) pair is one test. The default run takes the representative subset each case
marks as ``default`` (every kind, every command); ``pytest -m slow tests/robustness`` runs the rest.
What is checked is described in ``tests/robustness/harness.py``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from .conftest import load_generator
from .harness import (
    Context,
    argv_for,
    damage_cache,
    disk_full,
    failing_hub,
    leftovers,
    output_location,
    read_counts,
    scan_for_token,
    snapshot,
    traceback_in,
    umask,
)

GEN = load_generator()
SPACE_COMMANDS = ("space-probe", "space-compare", "space-run")
# "JSONDecodeError: Expecting value", "TooManyRedirects: Exceeded ...", "RemoteProtocolError: ..."
RAW_EXCEPTION = re.compile(r"\b[A-Z][A-Za-z]+(Error|Exception|Redirects|Timeout)\b")


def _params():
    params = []
    for case, _ in GEN.corpus_cases(with_model=True):
        for command in case.commands:
            marks = [] if command in case.default else [pytest.mark.slow]
            params.append(pytest.param(case, command, id=f"{case.id}[{command}]", marks=marks))
    return params


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _matches(pattern: str, text: str) -> bool:
    return re.search(pattern, text, re.IGNORECASE) is not None


def _run_main(argv: list[str]) -> int:
    from metacompress_eval.cli import main

    try:
        return main(argv)
    except SystemExit as exc:  # argparse
        return int(exc.code or 0)


@pytest.mark.parametrize("case, command", _params())
def test_bad_input(case, command, corpus, tiny_models, good_report, tmp_path, monkeypatch, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    ctx = Context(corpus, tiny_models["teacher"], tiny_models["student"], tmp_path, good_report)
    if command in SPACE_COMMANDS:
        return _space_case(case, command, ctx, tmp_path, monkeypatch, capfd, caplog)
    expect = case.expected(command)
    out = output_location(ctx, case, command, tmp_path)
    cache = tmp_path / "cache"
    before = snapshot(out)
    clean = None
    with contextlib.ExitStack() as stack:
        if case.setup in ("disk-full", "cache-garbage", "cache-truncated", "cache-bitflip"):
            # An earlier, successful run: its output (or cache) is what the fault meets.
            assert _run_main(argv_for(ctx, case, command, out, cache=cache)) == 0, capfd.readouterr()
            capfd.readouterr()
            clean = read_counts(command, out), _analysis(command, out)
            before = snapshot(out)
            if case.setup.startswith("cache-"):
                damage_cache(cache, case.setup)
            else:
                stack.enter_context(disk_full(monkeypatch))
        if case.setup == "cache-dir-is-file":
            cache = tmp_path / "cache-file"
            cache.write_text("not a folder\n")
        if case.setup == "umask-022":
            stack.enter_context(umask(0o022))
        if case.setup.startswith("hub-"):
            stack.enter_context(failing_hub(case.setup[4:], monkeypatch, tmp_path / "hf-home"))
        seed = 1 if case.setup == "disk-full" else 0  # a rerun that would write different outputs
        code = _run_main(argv_for(ctx, case, command, out, seed=seed, cache=cache))
    captured = capfd.readouterr()
    everything = captured.out + captured.err + _shown_logs(caplog)
    assert not traceback_in(everything), everything[-3000:]
    assert not scan_for_token(everything, folders=(tmp_path,)), "the token was shown or written"
    assert "metacompress: internal error" not in everything, everything[-2000:]
    where = f"{case.id} with {command}: exit {code}\n--- stdout\n{captured.out[-1500:]}\n--- stderr\n{captured.err[-1500:]}"

    if expect == "error":
        assert code == 2, where
        errors = _lines(captured.err)
        assert len(errors) == 1, where
        assert errors[0].startswith("metacompress: error: "), where
        assert _matches(case.reason, errors[0]), where
        for pattern in case.mention:
            assert _matches(pattern, errors[0]), f"{pattern!r} not named\n{where}"
        if case.setup.startswith("hub-"):  # a clear line, not the HTTP stack's exception
            assert not RAW_EXCEPTION.search(errors[0]), where
        if not case.setup.startswith("hub-"):  # a failed --push follows a complete local output
            assert snapshot(out) == before, f"output changed\n{where}"
        if out.parent.exists():
            assert leftovers(out.parent, out.name) == [], where
        return
    assert code == 0, where
    counts, examples = read_counts(command, out)
    if expect == "skip":
        matching = {reason: n for reason, n in counts.items() if _matches(case.reason, reason)}
        assert sum(matching.values()) == case.count, f"skips {counts}\n{where}"
        printed = [line for line in _lines(captured.out + captured.err) if _matches(case.reason, line)]
        assert printed, f"no printed line names the skip\n{where}"
        named = examples + printed
        for pattern in case.mention:
            assert any(_matches(pattern, line) for line in named), f"{pattern!r} not named in {named}\n{where}"
    elif expect == "warn":
        warnings = [line for line in _lines(captured.err) if line.startswith("metacompress: warning: ")]
        assert any(_matches(case.reason, line) for line in warnings), where
        for pattern in case.mention:
            assert any(_matches(pattern, line) for line in warnings), f"{pattern!r} not named\n{where}"
    else:
        assert counts == {}, f"unexpected skips {counts}\n{where}"
    if clean is not None and case.setup.startswith("cache-"):
        # A damaged cache is recomputed, never trusted: the results are the clean run's (up to the float
        # rounding of a different batch composition).
        assert _close(_analysis(command, out), clean[1]), where
    if case.setup == "umask-022":
        for path in [out, *out.rglob("*")] if out.is_dir() else [out, Path(f"{out}.summary.json")]:
            if path.exists():
                mode = path.stat().st_mode & 0o777
                assert mode == (0o755 if path.is_dir() else 0o644), f"{path} has mode {oct(mode)}"
    if out.parent.exists():
        assert leftovers(out.parent, out.name) == [], where


def _shown_logs(caplog) -> str:
    """Log records a user would see (warnings and worse; libraries' debug chatter is not shown)."""
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


def _close(a, b, rel: float = 1e-4) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rel) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, rel) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, (int, float)):
        return abs(a - b) <= rel * max(1.0, abs(a), abs(b))
    return a == b


def _analysis(command: str, out: Path):
    """The part of a command's output that must not depend on the cache."""
    if command == "evaluate" and (out / "report.json").is_file():
        return json.loads((out / "report.json").read_text())["analysis"]
    if command == "attack" and (out / "summary.json").is_file():
        measures = json.loads((out / "summary.json").read_text())["measures"]
        return {k: v for k, v in measures.items() if "time" not in k and "seconds" not in k}
    return None


# ----------------------------------------------------------------------------------------------
# The Space: its tabs' functions, called as the app calls them
# ----------------------------------------------------------------------------------------------


GOOD_SNIPPET = GEN.GOOD_C[0]


def _space(ctx: Context, tmp_path: Path, **overrides):
    pytest.importorskip("gradio")
    from metacompress_eval.space import ModelStore, SpaceSettings

    settings = SpaceSettings(default_teacher=str(ctx.teacher), default_student=str(ctx.student),
                             models_dir=tmp_path / "space-models", work_dir=tmp_path / "space-work",
                             output_cache_dir=str(tmp_path / "space-cache"), demo_size="tiny", max_run_rows=12,
                             **overrides)
    return settings, ModelStore(settings)


def _seed_demo_models(settings, ctx: Context) -> None:
    """Put the tiny models where the Space expects its demo models, stamped as built."""
    from metacompress_eval.demo.models import STAMP_FILE, model_stamps
    from metacompress_eval.space import demo_model_dirs

    teacher_dir, student_dir = demo_model_dirs(settings)
    teacher_stamp, student_stamp = model_stamps(settings.demo_size, settings.seed)
    for folder, source, stamp in ((teacher_dir, ctx.teacher, teacher_stamp), (student_dir, ctx.student, student_stamp)):
        shutil.copytree(source, folder, dirs_exist_ok=True)
        (folder / STAMP_FILE).write_text(json.dumps(stamp))


def _space_case(case, command, ctx, tmp_path, monkeypatch, capfd, caplog):
    from metacompress_eval.errors import MetaCompressError

    d = ctx.corpus / GEN.case_folder(case.id)
    expect = case.expected(command)
    overrides = {}
    if case.setup == "probe-tiny-budget":
        overrides["max_probe_seconds"] = 0.001
    if case.setup == "no-local-paths":
        overrides["allow_local_paths"] = False
    if case.setup == "compare-cap-2":
        overrides["max_compare_files"] = 2
    settings, store = _space(ctx, tmp_path, **overrides)
    teacher = str(d / case.files["model"]) if "model" in case.files else str(ctx.teacher)
    student = str(ctx.student)
    error = None
    problems: list[str] = []
    shown: list[str] = []  # everything a visitor sees or downloads
    counts: dict = {}
    with contextlib.ExitStack() as stack:
        if case.setup.startswith("hub-"):
            stack.enter_context(failing_hub(case.setup[4:], monkeypatch, tmp_path / "hf-home"))
            teacher = "alice/teacher"
        if case.setup == "no-local-paths":
            _seed_demo_models(settings, ctx)
            teacher, student = "demo:teacher", "demo:student"
        try:
            if command == "space-probe":
                from metacompress_eval.space import probe_snippet, render_diffs, render_verdicts

                code = GOOD_SNIPPET
                if "snippet" in case.files:
                    raw = (d / case.files["snippet"]).read_text()
                    code = json.loads(raw)["code"] if case.files["snippet"].endswith(".json") else raw
                result = probe_snippet(store, code, case.language, "defect", teacher, student)
                shown += [json.dumps(result), render_verdicts(result), render_diffs(result)]
            elif command == "space-compare":
                from metacompress_eval.space import leaderboard_rows, load_reports

                files = [str(d / case.files[k]) for k in ("good", "bad") if k in case.files]
                reports, problems = load_reports(files, None, settings)
                shown += [json.dumps(leaderboard_rows(reports), default=str), *problems]
            else:
                from metacompress_eval.space import run_small_evaluation

                result = run_small_evaluation(store, teacher, student, str(d / case.files["data"]),
                                              language=case.language, rows=12)
                counts = result.report["data"]["skipped"]
                with zipfile.ZipFile(result.zip_path) as zf:
                    shown += [zf.read(name).decode("utf-8", "replace") for name in zf.namelist()
                              if name.endswith((".json", ".md", ".jsonl"))]
        except MetaCompressError as exc:
            error = str(exc)
            shown.append(error)
    captured = capfd.readouterr()
    everything = captured.out + captured.err + _shown_logs(caplog) + "\n".join(shown)
    assert not scan_for_token(everything, folders=(tmp_path,)), "the token was shown or written"
    where = f"{case.id} with {command}: error {error!r}, problems {problems}"
    if expect == "error":
        assert error is not None, where
        assert "\n" not in error.strip() and _matches(case.reason, error), where
    else:
        assert error is None, where
    if expect == "skip":
        found = problems if command == "space-compare" else [f"{k}: {v}" for k, v in counts.items()]
        assert len(found) == case.count if command == "space-compare" else sum(counts.values()) == case.count, where
        assert any(_matches(case.reason, p) for p in found), where
        for pattern in case.mention:
            assert any(_matches(pattern, p) for p in found) or command != "space-compare", where
    if expect == "ok" and command == "space-compare":
        assert problems == [], where
    if case.setup == "temp-bounded":
        used = sum(p.stat().st_size for p in settings.work_dir.rglob("*") if p.is_file())
        assert used < 32 << 20, f"{used} bytes of temporary files after one request"
        for p in settings.work_dir.rglob("*"):
            assert p.resolve().is_relative_to(settings.work_dir.resolve()), p
    if case.setup == "no-local-paths":
        secret_paths = {str(settings.work_dir), str(settings.models_dir), str(tmp_path), str(Path.home())}
        for text in shown:
            for path in secret_paths:
                assert path not in text, f"server path {path} shown to a visitor"
