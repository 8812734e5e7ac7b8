"""End-to-end tests of ``metacompress evaluate`` on locally made tiny models."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from metacompress_eval.cli import main
from metacompress_eval.follow_ups import usable_cpus

from ..conftest import C_SNIPPETS, write_jsonl

VOLATILE = ("created", "inference")  # timings and cache hits legitimately differ between runs


def _evaluate(tiny_models, data, out, cache, *extra):
    return main(["evaluate", "--teacher", str(tiny_models["teacher"]), "--student", str(tiny_models["student"]),
                 "--data", str(data), "--out", str(out), "--cache-dir", str(cache), "--quiet", *extra])


def _stable(report):
    return {k: v for k, v in report.items() if k not in VOLATILE}


def _wait_for_cached_rows(proc, cache_file, at_least: int) -> int:
    """Poll the output cache of the running ``proc`` until it holds ``at_least`` rows (or the process ends, or
    two minutes pass); the number of rows last seen."""
    rows = 0
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and rows < at_least:
        if cache_file.exists():
            try:
                with sqlite3.connect(cache_file, timeout=1) as db:
                    rows = db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
            except sqlite3.Error:
                rows = 0
        time.sleep(0.01)
    return rows


def test_evaluate_writes_full_report(tiny_models, c_dataset, tmp_path, capsys):
    out = tmp_path / "out"
    assert _evaluate(tiny_models, c_dataset, out, tmp_path / "cache") == 0
    names = {p.name for p in out.iterdir()}
    assert {"report.json", "report.md", "follow_ups.jsonl", "predictions.jsonl"} <= names
    assert any(n.endswith(".png") for n in names)
    assert not [n for n in names if n.endswith(".tmp")]
    report = json.loads((out / "report.json").read_text())
    assert report["schema_version"] == "2.3"
    assert report["data"]["n_sources"] == 12
    counts = report["transformations"]
    assert set(counts) == {"rename_variables", "dead_code", "if_else_swap"}
    verification = report["follow_ups"].pop("verification")
    assert report["follow_ups"] == {"verified": True, "inputs_with_context": 0, "refused_inputs": {},
                                    "skipped_for_context": sum(c["skipped_for_context"] for c in counts.values())}
    # Verification (on by default) leaves its trace: which compiler, how many follow-ups it checked and dropped.
    assert report["settings"]["verify"] is True
    assert verification["checked"] == sum(c["applied"] for c in counts.values()) + verification["rejected"]
    assert verification["checker"] and verification["unverified"] >= 0
    assert f"{verification['checked']} follow-ups compiled against their sources" in (out / "report.md").read_text()
    for name, c in counts.items():
        assert c["applied"] + c["not_applicable"] + c["rejected"] == 12, name
    assert counts["rename_variables"]["applied"] == 12
    n_follow = sum(c["applied"] for c in counts.values())
    assert report["data"]["n_follow_ups"] == n_follow
    predictions = (out / "predictions.jsonl").read_text().splitlines()
    assert len(predictions) == 12 + n_follow
    # identical sources (the data repeats 4 snippets 3 times) are run once
    assert report["inference"]["teacher"]["computed"] < report["inference"]["teacher"]["requested"]
    follow = [json.loads(line) for line in (out / "follow_ups.jsonl").read_text().splitlines()]
    assert all(f["provenance"]["sites"] for f in follow)
    assert "report.md" in capsys.readouterr().out


def test_second_student_reuses_teacher_outputs(tiny_models, c_dataset, tmp_path):
    cache = tmp_path / "cache"
    assert _evaluate(tiny_models, c_dataset, tmp_path / "a", cache) == 0
    first = json.loads((tmp_path / "a" / "report.json").read_text())
    assert first["inference"]["teacher"]["forward_passes"] > 0
    # a "second student": same architecture, different weights → new fingerprint, cached teacher
    assert main(["evaluate", "--teacher", str(tiny_models["teacher"]), "--student", str(tiny_models["teacher"]),
                 "--data", str(c_dataset), "--out", str(tmp_path / "b"), "--cache-dir", str(cache), "--quiet"]) == 0
    second = json.loads((tmp_path / "b" / "report.json").read_text())
    assert second["inference"]["teacher"]["forward_passes"] == 0
    assert second["inference"]["teacher"]["cached"] == second["inference"]["teacher"]["unique"]
    # the teacher compared with itself agrees everywhere
    assert second["analysis"]["relations"]["overall"]["prediction_agreement"]["violations"] == 0


def test_rerun_is_identical_and_fully_cached(tiny_models, c_dataset, tmp_path):
    cache = tmp_path / "cache"
    _evaluate(tiny_models, c_dataset, tmp_path / "a", cache)
    _evaluate(tiny_models, c_dataset, tmp_path / "b", cache)
    a = json.loads((tmp_path / "a" / "report.json").read_text())
    b = json.loads((tmp_path / "b" / "report.json").read_text())
    assert _stable(a) == _stable(b)
    assert b["inference"]["student"]["computed"] == 0


@pytest.mark.parametrize("case", ["not_a_model", "bad_labels", "missing_column", "unknown_language",
                                  "unknown_transform", "missing_data"])
def test_bad_input_is_a_clear_error_and_writes_nothing(case, tiny_models, c_dataset, tmp_path, capsys):
    teacher, data, extra = str(tiny_models["teacher"]), str(c_dataset), []
    if case == "not_a_model":
        teacher = str(tmp_path)
    elif case == "bad_labels":
        data = str(write_jsonl(tmp_path / "bad.jsonl", [{"code": C_SNIPPETS[0], "label": 7}]))
    elif case == "missing_column":
        data = str(write_jsonl(tmp_path / "bad.jsonl", [{"source": C_SNIPPETS[0], "label": 1}]))
    elif case == "unknown_language":
        extra = ["--language", "cobol"]
    elif case == "unknown_transform":
        extra = ["--transforms", "rename_variables,teleport"]
    elif case == "missing_data":
        data = str(tmp_path / "absent.jsonl")
    out = tmp_path / "out"
    code = main(["evaluate", "--teacher", teacher, "--student", str(tiny_models["student"]), "--data", data,
                 "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--quiet", *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("metacompress: error: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_unlabelled_and_pair_task(tiny_models, tmp_path):
    rows = [{"id": i, "code1": C_SNIPPETS[i % 4], "code2": C_SNIPPETS[(i + 1) % 4]} for i in range(6)]
    data = write_jsonl(tmp_path / "pairs.jsonl", rows)
    code = main(["evaluate", "--teacher", str(tiny_models["teacher"]), "--student", str(tiny_models["student"]),
                 "--data", str(data), "--task", "clone", "--language", "c", "--unlabelled", "--out",
                 str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"), "--quiet"])
    assert code == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["task"]["name"] == "clone"
    assert report["data"]["n_follow_ups"] > 0
    follow = json.loads((tmp_path / "out" / "follow_ups.jsonl").read_text().splitlines()[0])
    assert {"code1", "code2", "provenance1", "provenance2"} <= set(follow)


def test_killed_run_resumes_to_the_same_report(tiny_models, tmp_path):
    """SIGKILL mid-inference, rerun: same report as an uninterrupted run, finished work not recomputed."""
    rows = [{"id": f"r{i}", "code": C_SNIPPETS[i % 4].replace("(", f"( /* {i} */ ", 1), "label": i % 2}
            for i in range(150)]
    data = write_jsonl(tmp_path / "data.jsonl", rows)

    def command(out, cache):
        return [sys.executable, "-m", "metacompress_eval", "evaluate", "--teacher", str(tiny_models["teacher"]),
                "--student", str(tiny_models["student"]), "--data", str(data), "--out", str(out),
                "--cache-dir", str(cache), "--batch-size", "1", "--quiet"]

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(command(tmp_path / "clean", tmp_path / "clean-cache"), check=True, env=env,
                   capture_output=True)
    clean = json.loads((tmp_path / "clean" / "report.json").read_text())

    cache_file = tmp_path / "cache" / "outputs.sqlite"
    proc = subprocess.Popen(command(tmp_path / "out", tmp_path / "cache"), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done_before_kill = _wait_for_cached_rows(proc, cache_file, 20)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be interrupted"
    assert not (tmp_path / "out" / "report.json").exists()

    subprocess.run(command(tmp_path / "out", tmp_path / "cache"), check=True, env=env, capture_output=True)
    resumed = json.loads((tmp_path / "out" / "report.json").read_text())
    assert _stable(resumed) == _stable(clean)
    cached = resumed["inference"]["teacher"]["cached"] + resumed["inference"]["student"]["cached"]
    assert cached >= done_before_kill >= 20


def test_streamed_run_is_the_same_for_any_workers_and_chunks(tiny_models, c_dataset, tmp_path):
    """Follow-ups made by 1 or 2 worker processes and streamed to the models in chunks: the same
    follow_ups.jsonl whatever the chunk size, and the very same report for the same chunk size (the
    worker count changes nothing downstream). Another chunk size batches the inputs differently, so
    outputs may differ in their last bits only."""
    from metacompress_eval.pipeline import EvaluationConfig, run_evaluation

    reports, files = [], []
    for i, (workers, chunk) in enumerate(((1, 5), (2, 5), (2, 1))):
        out = tmp_path / f"r{i}"
        config = EvaluationConfig(teacher=str(tiny_models["teacher"]), student=str(tiny_models["student"]),
                                  data=str(c_dataset), out_dir=str(out), cache_dir=str(tmp_path / f"cache{i}"),
                                  progress=False, workers=workers, chunk_sources=chunk,
                                  transforms=("rename_variables", "dead_code", "reindent", "blank_lines"))
        reports.append(run_evaluation(config).report)
        files.append(((out / "follow_ups.jsonl").read_bytes(), (out / "predictions.jsonl").read_bytes()))
        assert reports[-1]["inference"]["follow_up_workers"] == min(workers, usable_cpus())
    assert files[0] == files[1]
    assert files[2][0] == files[0][0] and files[0][0].count(b"\n") == reports[0]["data"]["n_follow_ups"]
    assert _stable(reports[1]) == _stable(reports[0])
    other = reports[2]
    assert other["transformations"] == reports[0]["transformations"]
    first = [json.loads(line) for line in files[0][1].splitlines()]
    again = [json.loads(line) for line in files[2][1].splitlines()]
    assert [(r["source_id"], r["transformation"]) for r in first] == [(r["source_id"], r["transformation"])
                                                                      for r in again]
    for a, b in zip(first, again):
        assert a["teacher_probs"] == pytest.approx(b["teacher_probs"], abs=1e-6)
        assert a["student_probs"] == pytest.approx(b["student_probs"], abs=1e-6)


def test_dtype_is_recorded(tiny_models, c_dataset, tmp_path):
    out = tmp_path / "out"
    assert _evaluate(tiny_models, c_dataset, out, tmp_path / "cache", "--dtype", "bfloat16", "--workers", "1",
                     "--batch-tokens", "500") == 0
    report = json.loads((out / "report.json").read_text())
    assert report["settings"]["dtype"] == "bfloat16" and report["settings"]["batch_tokens"] == 500
    assert report["models"]["teacher"]["dtype"] == report["models"]["student"]["dtype"] == "bfloat16"
    assert "shared" in report["inference"]["teacher"]


def test_a_worker_request_above_the_cpus_is_capped_and_recorded(tiny_models, c_dataset, tmp_path, capsys):
    """--workers larger than the usable CPUs runs one per CPU, says so in one line, and the report keeps
    both what was asked and what ran."""
    asked = usable_cpus() + 99999999999
    out = tmp_path / "out"
    assert _evaluate(tiny_models, c_dataset, out, tmp_path / "cache", "--workers", str(asked),
                     "--transforms", "rename_variables", "--no-verify") == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "--workers" in line]
    assert notes == [f"metacompress: warning: --workers {asked} is more than the {usable_cpus()} usable CPU(s); "
                     f"using {usable_cpus()}"]
    inference = json.loads((out / "report.json").read_text())["inference"]
    assert inference["follow_up_workers"] == usable_cpus()
    assert inference["follow_up_workers_requested"] == asked


def test_sigterm_stops_evaluate_as_ctrl_c_does(tiny_models, tmp_path):
    """SIGTERM (timeout, a job scheduler) mid-inference: one line, exit 143, every computed output committed
    and no report; before, Python died at once with -15, silently, committing nothing more."""
    rows = [{"id": f"r{i}", "code": C_SNIPPETS[i % 4].replace("(", f"( /* {i} */ ", 1), "label": i % 2}
            for i in range(150)]
    data = write_jsonl(tmp_path / "data.jsonl", rows)
    cache_file = tmp_path / "cache" / "outputs.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "metacompress_eval", "evaluate", "--teacher",
                             str(tiny_models["teacher"]), "--student", str(tiny_models["student"]), "--data", str(data),
                             "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"),
                             "--batch-size", "1", "--quiet"], env={**os.environ, "OMP_NUM_THREADS": "1"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    before = _wait_for_cached_rows(proc, cache_file, 10)
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 143, err
    assert err.strip().splitlines() == ["metacompress: terminated; finished model outputs are cached — rerun the "
                                        "same command to resume"], err
    assert not (tmp_path / "out" / "report.json").exists()
    with sqlite3.connect(cache_file) as db:
        assert db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0] >= before >= 10
