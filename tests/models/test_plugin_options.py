"""A plugin's options are checked like a built-in adapter's: declared ones typed and defaulted, others refused."""

from __future__ import annotations

import subprocess

import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.models import load_model

from ..conftest import metacompress_command, repo_importable_env, write_jsonl

PLUGIN = "python:tests.models.plugin_example:"


def _load(factory: str, options: dict):
    return load_model("x", role="student", adapter=PLUGIN + factory, trust_remote_code=True, options=options)


@pytest.mark.parametrize("factory,options,takes", [
    ("make", {"logit": "0,1"}, "it takes: logits"),
    ("make", {"logits": "0,1", "Logits": "1,0"}, "it takes: logits"),
    ("make_faulty", {"raise": "forward"}, "it takes: logits, extra_rows, raise_in"),
    ("make_undeclared", {"logits": "0,1"}, "it takes none (a plugin factory declares what it takes as its OPTIONS"),
    ("make_undeclared", {"anything": ""}, "it takes none"),
])
def test_an_option_the_factory_does_not_declare_is_one_line(factory, options, takes):
    with pytest.raises(MetaCompressError) as err:
        _load(factory, options)
    message = str(err.value)
    unknown = sorted(k for k in options if k not in ("logits",) or factory == "make_undeclared")
    assert message.startswith(f"student: unknown option(s) {', '.join(unknown)} for the '{PLUGIN}{factory}' adapter")
    assert takes in message and "\n" not in message


def test_declared_options_arrive_typed_with_defaults_and_undeclaring_factories_load_without_options():
    assert _load("make", {}).values == [0.0, 1.0]  # the declared default
    assert _load("make", {"logits": "3,1"}).values == [3.0, 1.0]
    faulty = _load("make_faulty", {"extra_rows": "-1"})
    assert faulty.extra_rows == -1 and faulty.raise_in is None
    assert _load("make_undeclared", {}).values == [0.0, 1.0]


def test_a_factory_that_accepts_any_option_gets_them_as_given():
    model = _load("make_named", {"names": "x,y", "whatever": "1"})
    assert model.label_names == ["x", "y"]


def test_a_malformed_declaration_is_the_plugins_fault():
    with pytest.raises(MetaCompressError, match=r"'python:tests.models.plugin_example:make_misdeclared': its factory's "
                                                r"OPTIONS must be a list of metacompress_eval.models.Option"):
        _load("make_misdeclared", {})


def test_cli_refuses_an_unknown_plugin_option_with_exit_2(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"id": str(i), "code": f"int f(){{return {i};}}", "label": i % 2}
                                              for i in range(4)])
    spec = PLUGIN + "make"
    args = ["evaluate", "--teacher", "t", "--teacher-adapter", spec, "--student", "s", "--student-adapter", spec,
            "--trust-remote-code", "--data", str(data), "--task", "defect", "--language", "c", "--no-verify",
            "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"), "--quiet",
            "--student-option", "logit=1,0"]
    proc = subprocess.run(metacompress_command() + args, capture_output=True, text=True, timeout=300,
                          env=repo_importable_env())
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown option(s) logit" in lines[0] and "it takes: logits" in lines[0], proc.stderr
    assert not (tmp_path / "out").exists()
