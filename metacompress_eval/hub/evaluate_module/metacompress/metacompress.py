# Copyright the MetaCompress Eval authors. Licensed under the Apache License, Version 2.0.
"""MetaCompress: behavioural fidelity of a distilled student against its teacher (an evaluate comparison)."""

import datasets
import evaluate
import numpy as np

# The analysis: from the installed metacompress-eval package (metacompress_core.py is then a shim),
# or, in the Space folder written by `metacompress evaluate-module --out`, from the package's modules
# bundled into metacompress_core.py. evaluate fetches this relative import with the script.
from .metacompress_core import (EvaluationOutputs, MetaCompressError, Thresholds, analyze,
                                check_comparison_inputs, list_relations, list_thresholds, probability_rows)

_CITATION = """\
@software{metacompress_eval,
  title = {MetaCompress Eval: metamorphic testing of distilled code models},
  year = {2025},
  note = {https://pypi.org/project/metacompress-eval/}
}
"""

# The relations and thresholds are named from the registry, so a relation added to metacompress-eval is
# described here too (the module's card, README.md, is filled in the same way by write_space_folder).
_RELATION_NAMES = ", ".join(f"{r.title} ({r.abbreviation})" for r in list_relations())
_THRESHOLD_NAMES = ", ".join(t.name for t in list_thresholds())
_THRESHOLD_DEFAULTS = ", ".join(str(t.default) for t in list_thresholds())

_DESCRIPTION = f"""\
MetaCompress compares a knowledge-distilled *student* classifier with its *teacher* on source inputs
and on follow-up inputs derived from them by semantics-preserving transformations (e.g. variable
renaming, dead code). It checks the metamorphic relations registered in metacompress-eval between the
two models' outputs — {_RELATION_NAMES} — the fidelity measures of the distillation literature (top-1
agreement, mean KL(teacher || student) in bits and nats) and each model's metamorphic flip rate
(prediction on x vs x'), every rate with its denominator, a 95% confidence interval (Wilson, or a
cluster bootstrap over source ids where rows share a source) and a per-source (macro) average. With
references it also reports accuracy/F1, McNemar's test (clustered on pooled follow-ups) and ECE with a
three-valued verdict. The result is exactly the `analysis` section of the
`report.json` written by `metacompress evaluate` on the same outputs.
"""

_KWARGS_DESCRIPTION = f"""
Args:
    teacher_probs (`list` of `list` of `float`): the teacher's class probabilities, one row per input
        (sources and follow-ups): every row has one value per class, every value lies in [0, 1] and each
        row sums to 1 (within 1e-3). Nothing is softmaxed or renormalised: logits are refused with a
        ValueError (apply a softmax first), as are ragged rows and values that are not finite numbers.
    student_probs (`list` of `list` of `float`): the student's class probabilities, same rows and classes.
    source_ids (`list` of `str`): per row, the id of its source input; a source and its follow-ups share it.
    transformations (`list` of `str`): per row, "" for a source, else the name of the transformation
        that produced the follow-up; "attack:<method>" marks an adversarial example.
    references (`list` of `int`, optional): gold label per row (equal for a source and its follow-ups);
        omit it (or pass -1 on every row) for unlabelled data.
    label_names (`list` of `str`, optional): class names; default "LABEL_0", "LABEL_1", ...
    **thresholds: any threshold of the relations registered in metacompress-eval, by name:
        {_THRESHOLD_NAMES} (defaults {_THRESHOLD_DEFAULTS}; definitions in docs/relations.md).
    seed (`int`, default 0): seed of every bootstrap interval.
    worst_k (`int`, default 10): number of worst discrepancies listed under "worst".
Returns:
    The analysis dict: "relations" (violation rates of every relation, e.g. PA, PDS, HCP, CA, HCC, on "overall",
    "sources", "follow_ups" and "by_transformation", each with "n", "rate", "ci95", "ci_method" and the
    per-source "macro" average; "overall" and "follow_ups" cover sources and transformation follow-ups,
    adversarial examples ("attack:<method>" rows) are pooled apart in "attacks", present only when given), "fidelity" (top-1 agreement, mean KL in bits and nats), "flips"
    (teacher/student flip rates and their difference), "counts", "worst", and with references
    "performance", "mcnemar" and "calibration".
Examples:
    >>> metacompress = evaluate.load("metacompress")
    >>> results = metacompress.compute(
    ...     teacher_probs=[[0.9, 0.1], [0.8, 0.2]], student_probs=[[0.85, 0.15], [0.3, 0.7]],
    ...     source_ids=["a", "a"], transformations=["", "rename_variables"], references=[0, 0],
    ...     bootstrap_resamples=200)
    >>> results["relations"]["follow_ups"]["prediction_agreement"]["violations"]
    1
"""

#: ``references`` value of an unlabelled row.
_UNLABELLED = -1

_BASE_FEATURES = {
    # float64, not float32: the probabilities must reach analyze() bit for bit, or JSDs and the
    # threshold decisions near a boundary could differ from the pipeline's report.
    "teacher_probs": datasets.Sequence(datasets.Value("float64")),
    "student_probs": datasets.Sequence(datasets.Value("float64")),
    "source_ids": datasets.Value("string"),
    "transformations": datasets.Value("string"),
}


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Metacompress(evaluate.Comparison):
    """Teacher/student metamorphic relations, flip rates and their confidence intervals."""

    def _info(self):
        return evaluate.ComparisonInfo(
            module_type="comparison",
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            # One input format: evaluate always asks for the first format's columns, so an optional
            # column cannot be a second format; unlabelled rows carry references = -1 instead
            # (compute/add_batch fill that in when references are not given).
            features=datasets.Features({**_BASE_FEATURES, "references": datasets.Value("int64")}),
            reference_urls=["https://github.com/metacompress/metacompress-eval/blob/main/docs/relations.md"],
        )

    def compute(self, *, predictions=None, references=None, **kwargs):
        """Like ``evaluate.Comparison.compute``; ``references`` may be omitted for unlabelled data."""
        self._check(references, kwargs)
        return super().compute(predictions=predictions, references=self._fill(references, kwargs), **kwargs)

    def add_batch(self, *, predictions=None, references=None, **kwargs):
        """Like ``evaluate.Comparison.add_batch``; ``references`` may be omitted for unlabelled data."""
        self._check(references, kwargs)
        return super().add_batch(predictions=predictions, references=self._fill(references, kwargs), **kwargs)

    @staticmethod
    def _check(references, kwargs):
        # Before datasets casts the columns (it would read "0.9" and True as numbers, and fail on "a"
        # with int()'s message): the arguments as the caller gave them, one ValueError naming the argument.
        try:
            check_comparison_inputs(kwargs.get("teacher_probs"), kwargs.get("student_probs"), references,
                                    kwargs.get("label_names"))
        except MetaCompressError as exc:
            raise ValueError(str(exc)) from None

    @staticmethod
    def _fill(references, kwargs):
        if references is None and kwargs.get("teacher_probs") is not None:
            return [_UNLABELLED] * len(kwargs["teacher_probs"])
        return references

    def _compute(self, teacher_probs, student_probs, source_ids, transformations, references=None,
                 label_names=None, seed=0, worst_k=10, **thresholds):
        try:
            return self._analyze(teacher_probs, student_probs, source_ids, transformations, references,
                                 label_names, seed, worst_k, thresholds)
        except MetaCompressError as exc:
            # A bad argument (ragged rows, logits, a label out of range, ...): one clear ValueError, as
            # evaluate's own argument checks raise, with the analysis' message.
            raise ValueError(str(exc)) from None

    @staticmethod
    def _analyze(teacher_probs, student_probs, source_ids, transformations, references, label_names, seed,
                 worst_k, thresholds):
        teacher = probability_rows(teacher_probs, "teacher_probs")
        student = probability_rows(student_probs, "student_probs")
        check_comparison_inputs(teacher, student, None, label_names)  # also after add_batch: the rows stored
        names = list(label_names) if label_names is not None else [f"LABEL_{i}" for i in range(teacher.shape[1])]
        labels = None if references is None else np.asarray(references, dtype=np.int64)
        if labels is not None and np.all(labels == _UNLABELLED):
            labels = None
        elif labels is not None and np.any(labels == _UNLABELLED):
            raise MetaCompressError("references: either every row has a label or none has "
                                    "(-1 marks unlabelled rows)")
        outputs = EvaluationOutputs(
            source_ids=[str(s) for s in source_ids],
            # The Arrow column is a string, so sources travel as "" and become None again here.
            transformations=[t if t else None for t in transformations],
            labels=labels,
            teacher_probs=teacher,
            student_probs=student,
            label_names=names,
        )
        # The thresholds are those of the relation registry: a relation registered in
        # metacompress-eval is computed here, and its thresholds are accepted, with no change to this file.
        return analyze(outputs, Thresholds(**thresholds), seed=seed, worst_k=worst_k)
