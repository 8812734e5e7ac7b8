"""The fidelity recipe's promise: fewer relation violations than plain KD on the same budget.

The case (tests/distill/conftest.py) has a teacher that cannot see identifiers and distillation
data whose names are spuriously tied to the teacher's label; the plain student learns the names.
"""

import pytest

from metacompress_eval.distill.recipes import DistillSettings, distil
from metacompress_eval.distill.search_space import SearchSpace
from metacompress_eval.pipeline import EvaluationConfig, run_evaluation


def _run(case, method, tmp_path):
    out = tmp_path / method
    result = distil(DistillSettings(teacher=str(case["teacher"]), data=str(case["unlabelled"]), out_dir=str(out),
                                    method=method, size_budget="150kB", max_length=126,
                                    space=SearchSpace.tiny(max_length=126), population=12, generations=5, epochs=12,
                                    transforms=("rename_variables",), progress=False))
    report = run_evaluation(EvaluationConfig(teacher=str(case["teacher"]), student=str(out), data=str(case["test"]),
                                             transforms=("rename_variables",), out_dir=str(tmp_path / f"{method}_report"),
                                             cache_dir=str(tmp_path / "cache"), progress=False)).report
    return result, report["analysis"]


def _mean_rate(analysis, scope):
    rates = [v["rate"] for v in analysis["relations"][scope].values() if v["rate"] is not None]
    return sum(rates) / len(rates)


def test_fidelity_student_violates_fewer_relations(name_keyed_case, tmp_path):
    plain_result, plain = _run(name_keyed_case, "compressor", tmp_path)
    fid_result, fid = _run(name_keyed_case, "fidelity", tmp_path)
    # Same budget, same searched architecture: the difference comes from the training, not the size.
    assert plain_result.config == fid_result.config
    # The teacher is invariant to renaming by construction.
    assert plain["flips"]["teacher"]["overall"]["rate"] == 0.0
    assert plain["performance"]["sources"]["teacher"]["accuracy"]["accuracy"] == 1.0
    # The plain student keys on names: renaming makes it disagree with its teacher.
    assert plain["flips"]["student"]["overall"]["rate"] >= 0.1
    assert fid["flips"]["student"]["overall"]["rate"] <= plain["flips"]["student"]["overall"]["rate"] - 0.1
    assert _mean_rate(fid, "follow_ups") <= _mean_rate(plain, "follow_ups") - 0.1
    assert _mean_rate(fid, "overall") < _mean_rate(plain, "overall")
    pa = "prediction_agreement"
    assert fid["relations"]["follow_ups"][pa]["rate"] < plain["relations"]["follow_ups"][pa]["rate"]
    # Checkpoint selection by relation violations on the validation split was recorded.
    epochs = fid_result.train_log["epochs"]
    assert fid_result.train_log["selected_epoch"] == min(epochs, key=lambda e: e["selection_score"])["epoch"]


def test_unknown_method_and_bad_budget(name_keyed_case, tmp_path):
    from metacompress_eval.errors import MetaCompressError

    with pytest.raises(MetaCompressError):
        distil(DistillSettings(teacher=str(name_keyed_case["teacher"]), data=str(name_keyed_case["unlabelled"]),
                               out_dir=str(tmp_path / "x"), method="nope", progress=False))
    with pytest.raises(MetaCompressError):
        distil(DistillSettings(teacher=str(name_keyed_case["teacher"]), data=str(name_keyed_case["unlabelled"]),
                               out_dir=str(tmp_path / "x"), size_budget="lots", progress=False))
