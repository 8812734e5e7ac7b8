"""End-to-end: the console script `metacompress demo` at the reduced "tiny" size."""

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _metacompress() -> list[str]:
    from ..conftest import metacompress_command

    return metacompress_command()


def _demo(out, *extra):
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    return subprocess.run([*_metacompress(), "demo", "--size", "tiny", "--out", str(out), *extra],
                          capture_output=True, text=True, env=env, timeout=600)


def test_demo_tiny_end_to_end_rerun_reuses_models_and_threads_change_nothing(tmp_path):
    out = tmp_path / "demo"
    proc = _demo(out, "--threads", "1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "report.md" in proc.stdout
    assert "training the teacher" in proc.stderr  # progress is shown
    report = json.loads((out / "report" / "report.json").read_text())
    assert report["task"]["language"] == "c"
    assert report["data"]["n_sources"] > 0 and report["data"]["n_follow_ups"] > 0
    assert report["models"]["student"]["num_parameters"] < report["models"]["teacher"]["num_parameters"]
    for relation in ("prediction_agreement", "probability_distribution_similarity",
                     "high_confidence_preservation", "calibration_alignment"):
        assert relation in report["analysis"]["relations"]["overall"]
    assert (out / "report" / "report.md").read_text().startswith("# MetaCompress Eval report")
    # The demo shows the whole tool: the attack section is there, and so is the check of its claims.
    assert set(report["attacks"]["by_attack"]) == {"mhm"}
    claims = json.loads((out / "report" / "claims.json").read_text())
    assert set(claims) >= {"flip_rate_difference", "pa_follow_ups_minus_sources", "attack_relative_drop", "all_hold"}
    said = " ".join(proc.stderr.split())  # the console wraps long lines
    assert f"meant to show {'all hold' if claims['all_hold'] else 'do NOT all hold'} (report/claims.json)" in said
    # The documentation's figures are produced from a run by the same code (here: a tiny one).
    from metacompress_eval.demo import figures

    data = {"source": {"date": "d", "command": "c", "machine": "m", "torch": "t"},
            "figures": figures.figures_of_run(out / "report"), "timings": None}
    for name in figures.RENDERERS:
        assert figures.render_block(name, data).strip()
    # ... and they agree with the tiny run recorded beside the quoted one, within its intervals
    # (the full run's figures are checked the same way by the slow test in test_figures.py).
    recorded = json.loads((ROOT / figures.FIGURES_FILE).read_text())["tiny"]
    assert recorded["source"]["settings"] == figures.current_settings("tiny"), \
        "the tiny preset changed: rerun the tiny demo and `scripts/demo_figures.py record ... --size tiny`"
    assert figures.disagreements(recorded["figures"], data["figures"]) == []
    teacher_weights = (out / "teacher" / "model.safetensors").stat().st_mtime_ns
    corpus = (out / "data" / "corpus.jsonl").read_bytes()

    again = _demo(out, "--quiet", "--threads", "2")
    assert again.returncode == 0, again.stderr[-2000:]
    assert (out / "teacher" / "model.safetensors").stat().st_mtime_ns == teacher_weights  # reused, not retrained
    rerun = json.loads((out / "report" / "report.json").read_text())
    assert rerun["inference"]["teacher"]["computed"] == 0  # every output came from the cache
    assert rerun["analysis"] == report["analysis"]
    assert not [p for p in Path(out).iterdir() if p.name.startswith(".")]  # no half-built model folders

    # From scratch with another thread count: the same bytes (metacompress_eval/threads.py).
    other = tmp_path / "demo-2-threads"
    fresh = _demo(other, "--quiet", "--threads", "2")
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    assert (other / "data" / "corpus.jsonl").read_bytes() == corpus
    for name in ("predictions.jsonl", "follow_ups.jsonl", "claims.json"):
        assert (other / "report" / name).read_bytes() == (out / "report" / name).read_bytes(), name
    assert (other / "student" / "model.safetensors").read_bytes() == (out / "student" / "model.safetensors").read_bytes()
    same = figures.compare_runs(out, other)  # what BENCHMARKS.md's reproducibility table records
    assert same["predictions_identical"] and same["max_probability_difference"] == 0.0
    assert same["changed_predictions"] == 0 and same["disagreements"] == [] and same["rows"] > 0


def test_build_once_reuses_by_stamp_and_clears_leftovers(tmp_path):
    from metacompress_eval.demo.models import STAMP_FILE, build_once

    (tmp_path / ".teacher-k1lled_x").mkdir()  # what a SIGKILLed build of an older version left (mkdtemp name)
    calls = []

    def build(folder):
        calls.append(folder)
        (folder / "weights").write_text("w")

    target = build_once(tmp_path / "teacher", {"v": 1}, build)
    assert (target / "weights").read_text() == "w" and (target / STAMP_FILE).is_file()
    assert not (tmp_path / ".teacher-k1lled_x").exists()
    build_once(tmp_path / "teacher", {"v": 1}, build)
    assert len(calls) == 1  # same stamp: reused
    build_once(tmp_path / "teacher", {"v": 2}, build)
    assert len(calls) == 2  # changed settings: rebuilt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["teacher"]


def test_demo_models_retrain_when_the_preset_changes(tmp_path, monkeypatch):
    """One builder for `metacompress demo` and the Space; its stamp holds the whole preset."""
    import dataclasses

    import metacompress_eval.demo.training as training
    from metacompress_eval.demo.models import STAMP_FILE, build_demo_models

    calls = []

    def fake(role):
        def train(*args, out_dir=None, progress=None, **kwargs):
            folder = args[-1] if out_dir is None else out_dir
            calls.append(role)
            (Path(folder) / "weights").write_text(role)
        return train

    monkeypatch.setattr(training, "train_teacher", fake("teacher"))
    monkeypatch.setattr(training, "distil_student", fake("student"))
    rows = [{"code": "int f(void) { return 0; }", "label": 0, "split": "train"}]
    teacher, student = build_demo_models(tmp_path, size="tiny", seed=1, rows=rows)
    assert calls == ["teacher", "student"]
    build_demo_models(tmp_path, size="tiny", seed=1, rows=rows)
    assert calls == ["teacher", "student"]  # same settings: reused
    tiny = training.PRESETS["tiny"]
    monkeypatch.setitem(training.PRESETS, "tiny", dataclasses.replace(
        tiny, student=dataclasses.replace(tiny.student, epochs=tiny.student.epochs + 1)))
    build_demo_models(tmp_path, size="tiny", seed=1, rows=rows)
    # The student's preset changed, and with it the stamp of both models (one preset for the pair).
    assert calls == ["teacher", "student", "teacher", "student"]
    assert json.loads((student / STAMP_FILE).read_text())["preset"]["student"]["epochs"] == tiny.student.epochs + 1
