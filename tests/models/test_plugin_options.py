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


# --- Option declarations and values (the API a plugin author uses) ---

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from metacompress_eval.models import Option, parse_option_pairs  # noqa: E402


@pytest.mark.parametrize("declaration,says", [
    (dict(kind="int"), "kind must be one of the types str, int, float, bool, list (got 'int')"),
    (dict(kind=dict), "kind must be one of the types"),
    (dict(kind=int, choices=("1", "2")), "choices apply to a str option only"),
    (dict(choices="ab"), "choices must be a non-empty tuple of texts"),
    (dict(choices=()), "choices must be a non-empty tuple of texts"),
    (dict(choices=("a",), default="b"), "is not one of: a"),
    (dict(kind=int, default="0"), "must be a finite positive number"),
    (dict(kind=int, default=1.5), "is not an integer"),
    (dict(kind=bool, default="maybe"), "is not a boolean"),
    (dict(kind=list, default=","), "is empty"),
])
def test_a_malformed_option_declaration_is_refused_when_made(declaration, says):
    with pytest.raises(MetaCompressError, match="adapter option 'x'") as err:
        Option("x", "help", **declaration)
    assert says in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("name", ["", "  ", "a=b", 3])
def test_an_option_needs_a_usable_name(name):
    with pytest.raises(MetaCompressError, match="a name is a non-empty text without '='"):
        Option(name, "help")


def test_defaults_arrive_parsed_as_given_values_would():
    assert Option("x", "h", kind=list, default="a, b").default == ["a", "b"]
    assert Option("x", "h", kind=int, default="3").default == 3
    assert Option("x", "h", kind=bool, default="yes").default is True
    assert Option("x", "h", kind=float, default="-0.5", positive=False).default == -0.5
    assert Option("x", "h", choices=["a", "b"], default="b").choices == ("a", "b")
    assert Option("x", "h").default is None  # decided by the adapter


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.integers(-10 ** 6, 10 ** 6), st.floats(allow_nan=True, allow_infinity=True)), st.booleans(),
       st.booleans())
def test_numbers_are_accepted_exactly_when_finite_and_in_range(number, as_text, positive):
    for kind in (int, float):
        option = Option("x", "h", kind=kind, positive=positive)
        value = str(number) if as_text else number
        integral = isinstance(number, int) or (number == number and abs(number) != float("inf")
                                               and float(number).is_integer() and not as_text)
        finite = number == number and abs(number) != float("inf")
        ok = finite and (not positive or number > 0) and (kind is float or integral)
        if ok:
            assert option.parse(value, "w") == kind(number)
        else:
            with pytest.raises(MetaCompressError):
                option.parse(value, "w")
    with pytest.raises(MetaCompressError, match="is not an integer"):
        Option("x", "h", kind=int).parse(True, "w")


def test_an_option_given_twice_is_refused():
    assert parse_option_pairs(["a=1", "b=2"], "--student-option") == {"a": "1", "b": "2"}
    with pytest.raises(MetaCompressError, match=r"--student-option a given twice \('1' and '2'\); give it once"):
        parse_option_pairs(["a=1", "b=2", " a = 2"], "--student-option")
    with pytest.raises(MetaCompressError, match="given twice"):
        parse_option_pairs(["a=1", "a=1"])


def test_a_plugin_module_that_fails_to_import_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "broken_plugin.py").write_text(
        "from metacompress_eval.models import Option\nOPTIONS = (Option('n', 'h', kind='int'),)\ndef make(**kw): pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(MetaCompressError) as err:
        load_model("x", role="student", adapter="python:broken_plugin:make", trust_remote_code=True)
    message = str(err.value)
    assert message.startswith("student adapter 'python:broken_plugin:make': cannot import broken_plugin (")
    assert "kind must be one of the types" in message and "\n" not in message
