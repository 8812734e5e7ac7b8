"""The ``codexglue-defect`` adapter: CodeXGLUE defect-detection fine-tunes (Devign).

The script wraps a ``RobertaForSequenceClassification`` with one output, so the state dict holds
``encoder.roberta.*`` and ``encoder.classifier.dense`` / ``encoder.classifier.out_proj`` (``[1, H]``).
The probability of "vulnerable" is ``σ(logit)``; the adapter reports the two classes
``[1 − σ, σ]`` (logits ``[0, z]``), class 1 = vulnerable.
"""

from __future__ import annotations

from pathlib import Path

from . import codexglue

NAME = "codexglue-defect"
SUMMARY = ("CodeXGLUE defect detection: encoder.roberta.* + encoder.classifier.* with one sigmoid output, the "
           "pretrained model's tokenizer")
OPTIONS = codexglue.OPTIONS
_LAYOUT = dict(encoder_prefix="encoder.roberta.", head_prefix="encoder.classifier.", members=1, outputs=1)


def claims(shapes: dict, folder: Path | None) -> str | None:
    if codexglue.claims(shapes, **_LAYOUT):
        return "encoder.roberta.* with a one-output encoder.classifier (CodeXGLUE defect wrapper)"
    return None


def load(name: str, *, role: str = "model", tokenizer: str | None = None, device: str = "cpu",
         max_length: int | None = None, trust_remote_code: bool = False, options: dict | None = None):
    return codexglue.load_wrapper(name, adapter=NAME, role=role, tokenizer=tokenizer, device=device,
                                  max_length=max_length, options=options or {}, **_LAYOUT)
