"""A plugin's faults are the plugin's: wrong output shapes, NaN, exceptions in its code (generated cases)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.inference import InferenceEngine
from metacompress_eval.models import load_model

from ..conftest import metacompress_command, repo_importable_env, write_jsonl

SPEC = "python:tests.models.plugin_example:make_faulty"
INPUTS = [("int f(){return %d;}" % i,) for i in range(7)]

SHAPE_FAULTS = [({"extra_rows": "1"}, r"shape \(\d+, 2\) for a batch of \d+ input"),
                ({"extra_rows": "-1"}, r"shape \(\d+, 2\) for a batch of \d+ input"),
                ({"logits": "0,1,2"}, r"shape \(\d+, 3\).*expected \(\d+, 2\)"),
                ({"logits": "1"}, r"shape \(\d+, 1\).*expected \(\d+, 2\)"),
                ({"logits": "0,nan"}, "without probabilities.*NaN"),
                ({"logits": "nan,nan"}, "without probabilities.*NaN")]
RAISES = ["encode", "length", "collate", "forward"]


@pytest.mark.parametrize("batch_size", [1, 3, 32])
@pytest.mark.parametrize("options,message", SHAPE_FAULTS)
def test_engine_refuses_logits_of_the_wrong_shape_or_not_finite(options, message, batch_size):
    model = load_model("x", adapter=SPEC, trust_remote_code=True, options=options)
    with pytest.raises(MetaCompressError, match=message) as err:
        InferenceEngine(model, None, batch_size=batch_size, progress=False).predict(INPUTS)
    assert SPEC in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("fault,says", [("raise_in", r"failed in its {}\(\) \(KeyError: .*plugin bug"),
                                         ("exit_in", r"exited in its {}\(\) \(SystemExit\(0\)\)")])
@pytest.mark.parametrize("method", RAISES)
def test_exceptions_and_sys_exit_in_plugin_code_blame_the_plugin(method, fault, says):
    model = load_model("x", adapter=SPEC, trust_remote_code=True, options={fault: method})
    with pytest.raises(MetaCompressError, match=rf"{SPEC}' " + says.format(method)) as err:
        InferenceEngine(model, None, progress=False).predict(INPUTS)
    assert "\n" not in str(err.value)


def test_sys_exit_while_loading_is_the_plugins_fault_not_success():
    with pytest.raises(MetaCompressError, match=rf"{SPEC}' exited while loading x \(SystemExit\(0\)\)"):
        load_model("x", adapter=SPEC, trust_remote_code=True, options={"exit_in": "load"})


@pytest.mark.parametrize("background", [False, True])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), 20.5, None, "20", 10 ** 30 * 1.0, True])
def test_a_length_that_is_not_a_whole_number_is_the_plugins_fault(value, background):
    model = load_model("x", adapter=SPEC, trust_remote_code=True)
    model.encodes_in_background = background
    model.length = lambda encoded: value
    with pytest.raises(MetaCompressError, match=rf"the '{SPEC}' adapter's length\(\) returned .*a fault of the "
                                                r"adapter's code") as err:
        InferenceEngine(model, None, progress=False).predict(INPUTS * 20)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("value", [20.0, 3, -4, 0])
def test_whole_number_lengths_of_any_type_run(value):
    import numpy as np

    model = load_model("x", adapter=SPEC, trust_remote_code=True)
    model.length = lambda encoded: np.float32(value) if isinstance(value, float) else np.int64(value)
    got = InferenceEngine(model, None, progress=False).predict(INPUTS)
    assert got.probs.shape == (len(INPUTS), 2)


def test_a_background_encoder_longer_than_its_max_length_is_its_fault():
    model = load_model("x", adapter=SPEC, trust_remote_code=True)
    model.encodes_in_background = True
    model.length = lambda encoded: model.max_length + 1000
    with pytest.raises(MetaCompressError, match=rf"the '{SPEC}' adapter encoded an input of \d+ tokens, more than "
                                                r"its max_length .*a fault of the adapter's code"):
        InferenceEngine(model, None, progress=False).predict(INPUTS * 20)


def test_a_well_behaved_plugin_still_runs():
    model = load_model("x", adapter=SPEC, trust_remote_code=True)
    got = InferenceEngine(model, None, batch_size=2, progress=False).predict(INPUTS)
    assert got.probs.shape == (len(INPUTS), 2)


@pytest.mark.parametrize("options", [["logits=0,1,2"], ["raise_in=forward"], ["exit_in=forward"], ["exit_in=load"],
                                     ["exit_in=encode"]])
def test_cli_reports_plugin_faults_as_the_plugins_exit_2(tmp_path, options):
    data = write_jsonl(tmp_path / "d.jsonl", [{"id": str(i), "code": code[0], "label": i % 2}
                                              for i, code in enumerate(INPUTS)])
    args = ["evaluate", "--teacher", "t", "--teacher-adapter", SPEC, "--student", "s", "--student-adapter", SPEC,
            "--trust-remote-code", "--data", str(data), "--task", "defect", "--language", "c", "--no-verify",
            "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"), "--quiet"]
    for option in options:
        args += ["--student-option", option]
    proc = subprocess.run(metacompress_command() + args, capture_output=True, text=True, timeout=300,
                          env=repo_importable_env())
    assert proc.returncode == 2, proc.stderr
    assert SPEC in proc.stderr and "internal error" not in proc.stderr and "Traceback" not in proc.stderr
    assert "cannot import" not in proc.stderr, proc.stderr  # the plugin itself must have run
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("role", ["teacher", "student"])
def test_cli_refuses_a_model_that_answers_no_input(tmp_path, role):
    """A plugin whose encode marks every input unavailable: exit 2 naming the model, no empty report."""
    data = write_jsonl(tmp_path / "d.jsonl", [{"id": str(i), "code": code[0], "label": i % 2}
                                              for i, code in enumerate(INPUTS)])
    adapters = {"teacher": SPEC, "student": SPEC, role: "python:tests.models.plugin_example:make_silent"}
    args = ["evaluate", "--teacher", "t", "--teacher-adapter", adapters["teacher"], "--student", "s",
            "--student-adapter", adapters["student"], "--trust-remote-code", "--data", str(data), "--task", "defect",
            "--language", "c", "--no-verify", "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"),
            "--quiet"]
    proc = subprocess.run(metacompress_command() + args, capture_output=True, text=True, timeout=300,
                          env=repo_importable_env())
    assert proc.returncode == 2, proc.stderr
    assert f"the {role} ({role[0]}) has no output for any of the" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


PARTLY = "python:tests.models.plugin_example:make_partly_wrong"
# Rows without a softmax, as forward may return them: each must be refused before the cache sees it.
NO_SOFTMAX = ["inf,inf", "-inf,-inf", "inf,0", "0,inf", "nan,0", "nan,nan", "-inf,nan", "nan,-inf"]


def _stored_rows(cache):
    import numpy as np

    with cache.lock:
        blobs = [bytes(b) for (b,) in cache._db.execute("SELECT logits FROM outputs")]
    return [np.frombuffer(b, dtype=np.float32) for b in blobs]


@pytest.mark.parametrize("bad", NO_SOFTMAX)
@pytest.mark.parametrize("batch_size", [1, 4])
def test_outputs_without_probabilities_are_refused_before_the_cache(tmp_path, bad, batch_size):
    """The refusal names the plugin and the row; no such row reaches the cache, so the same model fixed
    (same fingerprint) runs cleanly afterwards and computes what was refused."""
    import numpy as np

    from metacompress_eval.inference import OutputCache

    cache = OutputCache.in_dir(tmp_path)
    wrong = load_model("x", adapter=PARTLY, trust_remote_code=True, options={"bad": bad, "bad_when": "5"})
    with pytest.raises(MetaCompressError, match=r"without probabilities .* row \d+ of the batch") as err:
        InferenceEngine(wrong, cache, batch_size=batch_size, progress=False).predict(INPUTS)
    assert PARTLY in str(err.value) and "\n" not in str(err.value)
    assert all(np.isfinite(row).all() for row in _stored_rows(cache))
    fixed = load_model("x", adapter=PARTLY, trust_remote_code=True)
    assert fixed.fingerprint == wrong.fingerprint
    got = InferenceEngine(fixed, cache, batch_size=batch_size, progress=False).predict(INPUTS)
    assert np.isfinite(got.probs).all() and got.stats.computed >= 1
    np.testing.assert_allclose(got.probs, np.tile(np.exp([0, 1]) / np.exp([0, 1]).sum(), (len(INPUTS), 1)))


@pytest.mark.parametrize("good", ["0,-inf", "-inf,3", "1e30,-1e30"])
def test_rows_with_a_softmax_still_pass(tmp_path, good):
    """−inf beside a finite value is a probability of 0 (stored outputs of p = 0), not a fault."""
    import numpy as np

    model = load_model("x", adapter=PARTLY, trust_remote_code=True, options={"logits": good})
    got = InferenceEngine(model, None, progress=False).predict(INPUTS)
    assert np.isfinite(got.probs).all()


@pytest.mark.parametrize("bad", ["inf,inf", "-inf,-inf", "nan,1"])
def test_a_cached_row_without_probabilities_is_recomputed(tmp_path, bad, capsys):
    """Rows an older version cached from a faulty model are recomputed (with a warning), not fatal forever."""
    import numpy as np

    from metacompress_eval.inference import OutputCache

    cache = OutputCache.in_dir(tmp_path)
    model = load_model("x", adapter=PARTLY, trust_remote_code=True)
    engine = InferenceEngine(model, cache, progress=False, role="student")
    poisoned = engine._keys(engine.encode(INPUTS[2:3]))[0]
    cache.put_many(model.fingerprint, [(poisoned, np.asarray([float(v) for v in bad.split(",")], np.float32))])
    got = engine.predict(INPUTS)
    assert np.isfinite(got.probs).all() and got.stats.computed == len(INPUTS) and got.stats.cached == 0
    assert "hold NaN or infinite logits" in capsys.readouterr().err
    assert all(np.isfinite(row).all() for row in _stored_rows(cache))
    again = engine.predict(INPUTS)
    assert again.stats.cached == len(INPUTS) and again.stats.computed == 0


def test_cli_refuses_a_model_that_returns_inf_and_the_fixed_model_runs(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"id": str(i), "code": code[0], "label": i % 2}
                                              for i, code in enumerate(INPUTS)])
    base = ["evaluate", "--teacher", "t", "--teacher-adapter", SPEC, "--student", "s", "--student-adapter", PARTLY,
            "--trust-remote-code", "--data", str(data), "--task", "defect", "--language", "c", "--no-verify",
            "--cache-dir", str(tmp_path / "cache"), "--quiet"]
    proc = subprocess.run(metacompress_command() + base + ["--out", str(tmp_path / "o1"), "--student-option",
                                                           "bad_when=3"],
                          capture_output=True, text=True, timeout=300, env=repo_importable_env())
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and PARTLY in lines[0] and "without probabilities" in lines[0], proc.stderr
    proc = subprocess.run(metacompress_command() + base + ["--out", str(tmp_path / "o2")],
                          capture_output=True, text=True, timeout=300, env=repo_importable_env())
    assert proc.returncode == 0, proc.stderr
