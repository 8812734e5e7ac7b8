"""The ``codexglue-clone`` adapter: CodeXGLUE clone-detection fine-tunes (BigCloneBench).

The script wraps a ``RobertaModel`` as ``encoder`` beside a pair head ``classifier``: each function is
encoded on its own (block size 400), the two first-token vectors are concatenated and passed through
``classifier.dense`` (``[H, 2H]``) → tanh → ``classifier.out_proj`` (``[2, H]``); softmax index 1 is
"clone". Expected keys: ``encoder.embeddings.*``, ``encoder.encoder.layer.*``, optionally
``encoder.pooler.*`` (saved, unused), ``classifier.dense.*``, ``classifier.out_proj.*``.
"""

from __future__ import annotations

from pathlib import Path

from . import codexglue

NAME = "codexglue-clone"
SUMMARY = ("CodeXGLUE clone detection: encoder.* + a pair head classifier.dense [H, 2H] → out_proj [2, H], the "
           "pretrained model's tokenizer")
OPTIONS = codexglue.OPTIONS
_LAYOUT = dict(encoder_prefix="encoder.", head_prefix="classifier.", members=2, outputs=2)


def claims(shapes: dict, folder: Path | None) -> str | None:
    if codexglue.claims(shapes, **_LAYOUT):
        return "encoder.* beside a two-vector classifier (CodeXGLUE clone wrapper)"
    return None


def load(name: str, *, role: str = "model", tokenizer: str | None = None, device: str = "cpu",
         max_length: int | None = None, trust_remote_code: bool = False, options: dict | None = None):
    return codexglue.load_wrapper(name, adapter=NAME, role=role, tokenizer=tokenizer, device=device,
                                  max_length=max_length, options=options or {}, **_LAYOUT)
