"""Offline demo: a self-made labelled C corpus, a small teacher and a distilled student.

``generate_corpus`` builds the data; ``train_teacher`` and ``distil_student`` build the two
models (``size="demo"`` for the real demo, ``size="tiny"`` for tests).
"""

from metacompress_eval.demo.corpus import C_PRELUDE, DEFECT_KINDS, generate_corpus
from metacompress_eval.demo.training import (
    ID2LABEL,
    PRESETS,
    ModelPreset,
    SizePreset,
    count_parameters,
    distil_student,
    predict_proba,
    train_teacher,
    train_tokenizer,
)

__all__ = [
    "C_PRELUDE",
    "DEFECT_KINDS",
    "ID2LABEL",
    "PRESETS",
    "ModelPreset",
    "SizePreset",
    "count_parameters",
    "distil_student",
    "generate_corpus",
    "predict_proba",
    "train_teacher",
    "train_tokenizer",
]
