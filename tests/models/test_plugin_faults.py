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
                ({"logits": "0,nan"}, "NaN logits"),
                ({"logits": "nan,nan"}, "NaN logits")]
RAISES = ["encode", "length", "collate", "forward"]


@pytest.mark.parametrize("batch_size", [1, 3, 32])
@pytest.mark.parametrize("options,message", SHAPE_FAULTS)
def test_engine_refuses_logits_of_the_wrong_shape_or_not_finite(options, message, batch_size):
    model = load_model("x", adapter=SPEC, trust_remote_code=True, options=options)
    with pytest.raises(MetaCompressError, match=message) as err:
        InferenceEngine(model, None, batch_size=batch_size, progress=False).predict(INPUTS)
    assert SPEC in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("method", RAISES)
def test_exceptions_in_plugin_code_blame_the_plugin(method):
    model = load_model("x", adapter=SPEC, trust_remote_code=True, options={"raise_in": method})
    with pytest.raises(MetaCompressError, match=rf"{SPEC}' failed in its {method}\(\) \(KeyError: .*plugin bug") as err:
        InferenceEngine(model, None, progress=False).predict(INPUTS)
    assert "\n" not in str(err.value)


def test_a_well_behaved_plugin_still_runs():
    model = load_model("x", adapter=SPEC, trust_remote_code=True)
    got = InferenceEngine(model, None, batch_size=2, progress=False).predict(INPUTS)
    assert got.probs.shape == (len(INPUTS), 2)


@pytest.mark.parametrize("options", [["logits=0,1,2"], ["raise_in=forward"]])
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
