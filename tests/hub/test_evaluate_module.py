"""The ``metacompress`` evaluate comparison: layout, agreement with the pipeline, loading by name."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from metacompress_eval.cli import main
from metacompress_eval.hub import module
from tests.hub.conftest import read_report

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    return module.load(cache_dir=str(tmp_path_factory.mktemp("evalcache")), keep_in_memory=True)


def space_folder(tmp_path) -> Path:
    folder = tmp_path / "metacompress"  # evaluate.load(DIR) runs DIR/<name of DIR>.py, like the Space <user>/metacompress
    assert main(["evaluate-module", "--out", str(folder)]) == 0
    return folder


def test_module_folder_has_the_evaluate_layout(tmp_path, capsys):
    import importlib.metadata

    import yaml

    folder = space_folder(tmp_path)
    assert {p.name for p in folder.iterdir()} == set(module.SPACE_FILES)
    readme = (folder / "README.md").read_text()
    meta = yaml.safe_load(readme.split("---\n")[1])
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    # The Space runs app.py with the gradio it pins: the one this page is tested with, like the main Space's.
    space_meta = yaml.safe_load((REPO / "spaces_app" / "README.md").read_text().split("---\n")[1])
    assert meta["sdk_version"] == space_meta["sdk_version"]
    assert meta["sdk_version"].split(".")[0] == importlib.metadata.version("gradio").split(".")[0]
    # Every requirement is a distribution of the package index (installed here), none is metacompress-eval.
    lines = [ln for ln in (folder / "requirements.txt").read_text().splitlines() if ln and not ln.startswith("#")]
    names = {re.split(r"[<>=!~ ]", ln, maxsplit=1)[0].lower() for ln in lines}
    assert names == {"evaluate", "datasets", "numpy", "scipy"}
    for name in names:
        importlib.metadata.version(name)
    assert "space" in capsys.readouterr().out


def test_folder_of_another_name_loads_by_the_script_path(tmp_path, capsys):
    """evaluate.load(DIR) looks for DIR/<name of DIR>.py: the command says how to load a folder of another name."""
    import evaluate

    folder = tmp_path / "mc-module"
    assert main(["evaluate-module", "--out", str(folder)]) == 0
    hint = capsys.readouterr().out
    script = str(folder / "metacompress.py")
    assert f"evaluate.load({script!r})" in hint
    loaded = evaluate.load(script, cache_dir=str(tmp_path / "cache"), keep_in_memory=True)
    assert loaded.compute(teacher_probs=[[0.9, 0.1]], student_probs=[[0.8, 0.2]], source_ids=["a"],
                          transformations=[""])["counts"]["sources"] == 1
    assert main(["evaluate-module", "--out", str(tmp_path / "metacompress")]) == 0
    assert "evaluate.load(" not in capsys.readouterr().out  # the folder itself loads: no hint needed


def test_bundle_carries_the_package_analysis_verbatim(tmp_path):
    """metacompress_core.py holds each needed package module as it is, and nothing heavy."""
    from metacompress_eval.hub import bundle

    source = (space_folder(tmp_path) / bundle.FILE_NAME).read_text()
    names, third_party = bundle.modules()
    assert "metacompress_eval.relations.analysis" in names and "metacompress_eval.stats" in names
    assert third_party == {"numpy", "scipy"}  # no torch, transformers, tree-sitter in the Space
    import metacompress_eval.relations.analysis as analysis

    text = Path(analysis.__file__).read_text()
    literal = ast.literal_eval(source.split("'relations.analysis': (\n", 1)[1].split(", False),\n", 1)[0])
    assert literal == text


def test_space_folder_works_without_the_package(tmp_path, report_dir):
    """evaluate.load on the written folder, in a process where metacompress_eval cannot be imported."""
    folder = space_folder(tmp_path)
    args = module.read_predictions(report_dir)
    (tmp_path / "args.json").write_text(json.dumps(args))
    script = ("import sys, json\n"
              "sys.modules['metacompress_eval'] = None  # importing the package now fails\n"
              "import evaluate\n"
              f"m = evaluate.load({str(folder)!r}, module_type='comparison')\n"
              f"args = json.load(open({str(tmp_path / 'args.json')!r}))\n"
              "print(json.dumps(m.compute(**args)))\n")
    env = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules"), "HF_EVALUATE_OFFLINE": "1",
           "METACOMPRESS_NO_EVALUATE_REGISTER": "1"}
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=110)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == read_report(report_dir)["analysis"]


def test_module_is_a_comparison_with_typed_features(comparison):
    import evaluate

    assert isinstance(comparison, evaluate.Comparison)
    features = comparison.features
    assert features["teacher_probs"].feature.dtype == "float64"
    assert features["source_ids"].dtype == "string"
    assert features["references"].dtype == "int64"


def test_results_equal_the_pipeline_report(report_dir, comparison):
    """predictions.jsonl fed to the module gives exactly report.json's analysis."""
    expected = read_report(report_dir)["analysis"]
    result = comparison.compute(**module.read_predictions(report_dir))
    assert json.loads(json.dumps(result)) == expected
    # the quantities of schema 2.0 are part of it
    assert result["fidelity"]["overall"]["kl_bits"]["mean"] >= 0.0
    assert "macro" in result["relations"]["follow_ups"]["prediction_agreement"]
    assert "high_confidence_converse" in result["relations"]["overall"]
    assert result["calibration"]["sources"]["verdict"] in ("aligned", "misaligned", "inconclusive")


def test_unlabelled_inputs_and_bad_references(comparison):
    args = dict(teacher_probs=[[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.3, 0.7]],
                student_probs=[[0.85, 0.15], [0.3, 0.7], [0.25, 0.75], [0.35, 0.65]],
                source_ids=["a", "a", "b", "b"], transformations=["", "rename_variables", "", "rename_variables"],
                bootstrap_resamples=200)
    result = comparison.compute(**args)
    assert result["labelled"] is False and result["performance"] is None
    assert result["relations"]["follow_ups"]["prediction_agreement"]["violations"] == 1
    assert result["flips"]["student"]["overall"]["flips"] == 1
    with pytest.raises(ValueError, match="every row"):
        comparison.compute(**args, references=[0, -1, 1, 1])


def test_load_by_name_from_any_directory_offline(report_dir, tmp_path):
    """What the start-up .pth line does, then evaluate.load("metacompress") in a fresh process elsewhere."""
    pth = (REPO / "metacompress_eval_evaluate.pth").read_text().strip()
    script = (f"exec({pth!r})\n"  # site.py executes a .pth "import" line exactly like this
              "import json, evaluate\n"
              "from metacompress_eval.hub.module import read_predictions\n"
              f"m = evaluate.load('metacompress')\n"
              f"print(json.dumps(m.compute(**read_predictions({str(report_dir)!r}))))\n")
    env = {**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules"), "HF_HOME": str(tmp_path / "hf"),
           "HF_EVALUATE_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "PYTHONPATH": str(REPO)}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.run([sys.executable, "-c", script], cwd=elsewhere, env=env, capture_output=True, text=True,
                          timeout=110)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # evaluate's "Using the latest cached version ... couldn't be found" notice is not printed on every load
    assert "couldn't be found" not in proc.stderr and "latest cached version" not in proc.stderr, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == read_report(report_dir)["analysis"]
    cached = list((tmp_path / "modules" / "evaluate_modules" / "metrics" / "evaluate-comparison--metacompress").glob(
        "*/metacompress.py"))
    assert len(cached) == 1 and (cached[0].parent / "metacompress_core.py").is_file()


def test_install_is_idempotent(tmp_path, capsys, monkeypatch):
    first = module.install(tmp_path)
    mtime = first.stat().st_mtime_ns
    assert module.install(tmp_path) == first and first.stat().st_mtime_ns == mtime
    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "env"))
    assert main(["evaluate-module", "--install"]) == 0
    assert str(tmp_path / "env") in capsys.readouterr().out


def test_startup_hook_does_not_import_the_package(tmp_path):
    """The .pth hook registers the module by file path: a source checkout's tests must import the
    checkout, not an installed copy that the hook would otherwise have put into sys.modules first."""
    code = "import sys; print('metacompress_eval' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "HF_MODULES_CACHE": str(tmp_path / "modules")}, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------------------------
# compute() refuses what is not a table of probabilities, with one clear ValueError
# --------------------------------------------------------------------------------------------

GOOD = dict(teacher_probs=[[0.9, 0.1], [0.8, 0.2]], student_probs=[[0.85, 0.15], [0.3, 0.7]], source_ids=["a", "a"],
            transformations=["", "rename_variables"], bootstrap_resamples=100)


@pytest.mark.parametrize("change, message", [
    (dict(teacher_probs=[[0.9, 0.1], [0.8, 0.1, 0.1]]), "rows differ in length: row 0 has 2 values, row 1 has 3"),
    (dict(student_probs=[[1e308, 0.0], [0.3, 0.7]]), "must lie in \\[0, 1\\].*row 0"),
    (dict(student_probs=[[2.5, -1.0], [0.3, 0.7]]), "logits"),
    (dict(teacher_probs=[[0.9, 0.1], [float("nan"), 0.2]]), "non-finite.*row 1"),
    (dict(teacher_probs=[[0.5, 0.4], [0.8, 0.2]]), "sum to 1.*row 0"),
    (dict(teacher_probs=[[1.0], [1.0]], student_probs=[[1.0], [1.0]]), "at least two classes"),
    (dict(student_probs=[[0.3, 0.3, 0.4], [0.3, 0.3, 0.4]]), "student_probs has shape \\(2, 3\\)"),
    (dict(label_names=["a", "b", "c"]), "label_names has 3 names"),
    # before datasets casts the columns: "0.9" and True are not probabilities, "0" is not a class index
    (dict(teacher_probs=[["0.9", "0.1"], ["0.8", "0.2"]]), "teacher_probs row 0 holds values that are not numbers"),
    (dict(student_probs=[[True, False], [False, True]]), "student_probs row 0 holds values that are not numbers"),
    (dict(label_names=["a", "a"]), "label_names repeats 'a'"),
    (dict(label_names=["a", 3]), "label_names must be non-empty strings"),
    (dict(references=["0", "1"]), "^references must be whole class indices.*row 0 is '0' \\(str\\)"),
    (dict(references=[0, True]), "^references must be whole class indices.*row 1"),
    (dict(references=[0.0, 1.0]), "^references must be whole class indices"),
    (dict(references=[0]), "references has 1 values but there are 2 rows"),
    (dict(teacher_probs=[], student_probs=[], source_ids=[], transformations=[]), "^no rows"),
])
def test_compute_refuses_bad_probabilities_in_one_clear_error(comparison, change, message):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no numpy overflow/invalid-value warning on the way
        with pytest.raises(ValueError, match=message) as info:
            comparison.compute(**{**GOOD, **change})
    assert "\n" not in str(info.value) and "inhomogeneous" not in str(info.value)


def test_comparison_inputs_refuse_every_non_numeric_kind():
    """Generated tables with one value of a non-numeric kind at a random place: refused, naming the argument
    (the same function runs in compute(), add_batch() and, bundled, in the Space)."""
    import random

    import numpy as np

    from metacompress_eval.errors import MetaCompressError
    from metacompress_eval.relations import check_comparison_inputs

    rng = random.Random(5)
    kinds = ["0.5", b"0.5", True, False, np.bool_(True), None, [0.5], {"p": 0.5}, complex(0.5, 0)]
    for _ in range(200):
        rows = [[0.25, 0.75] for _ in range(rng.randint(1, 5))]
        arg = rng.choice(["teacher_probs", "student_probs"])
        rows[rng.randrange(len(rows))][rng.randrange(2)] = rng.choice(kinds)
        good = [[0.25, 0.75] for _ in rows]
        given = {"teacher_probs": good, "student_probs": good, arg: rows}
        with pytest.raises(MetaCompressError, match=f"^{arg} "):
            check_comparison_inputs(**given)
        refs = [0] * len(good)
        refs[rng.randrange(len(refs))] = rng.choice(["1", 1.0, True, None, np.float64(1)])
        with pytest.raises(MetaCompressError, match="^references "):
            check_comparison_inputs(good, good, refs)
    check_comparison_inputs([[0.25, 0.75]], [[0.5, 0.5]], [np.int64(1)], ("neg", "pos"))  # numpy ints are fine


def test_probability_rows_refuses_every_kind_of_bad_table():
    """Generated tables of probabilities with one fault of each kind (ragged row, value outside [0, 1] up to
    1e308, NaN/inf, a row off 1, text, fewer than two classes): a MetaCompressError naming the fault, no
    numpy warning; good tables pass unchanged."""
    import warnings

    import numpy as np
    from hypothesis import given, settings, strategies as st

    from metacompress_eval.errors import MetaCompressError
    from metacompress_eval.relations import probability_rows

    def good_table(draw):
        classes = draw(st.integers(2, 5))
        rows = []
        for _ in range(draw(st.integers(1, 6))):
            weights = draw(st.lists(st.floats(0.01, 1.0), min_size=classes, max_size=classes))
            rows.append([w / sum(weights) for w in weights])
        return rows

    faults = {
        "ragged": (lambda draw, rows: rows.insert(draw(st.integers(1, len(rows))), rows[0] + [0.0] * draw(st.integers(1, 3))),
                   "differ in length"),
        "huge": (lambda draw, rows: rows[-1].__setitem__(0, draw(st.sampled_from([1e308, -1e308, 1e20, 7.0, -0.5]))),
                 "must lie in \\[0, 1\\]"),
        "not finite": (lambda draw, rows: rows[0].__setitem__(-1, draw(st.sampled_from(
            [float("nan"), float("inf"), -float("inf")]))), "non-finite"),
        "off one": (lambda draw, rows: rows[0].__setitem__(0, rows[0][0] * 0.5 if rows[0][0] > 0.01 else 0.5),
                    "sum to 1|must lie"),
        "text": (lambda draw, rows: rows[0].__setitem__(0, draw(st.sampled_from(["x", None, [0.1]]))),
                 "not numbers|not a list"),
        "scalar row": (lambda draw, rows: rows.__setitem__(0, draw(st.sampled_from([0.5, "ab", None]))),
                       "not a list of class probabilities"),
        "one class": (lambda draw, rows: rows.__setitem__(slice(None), [[1.0] for _ in rows]), "at least two"),
    }

    @settings(max_examples=150, deadline=None, derandomize=True)
    @given(st.data(), st.sampled_from(sorted(faults)))
    def check(data, fault):
        rows = good_table(data.draw)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            np.testing.assert_array_equal(probability_rows(rows, "teacher_probs"), np.array(rows))
            apply, message = faults[fault]
            apply(data.draw, rows)
            with pytest.raises(MetaCompressError, match=message):
                probability_rows(rows, "teacher_probs")

    check()
