"""Train a small teacher and distil a smaller student for the offline demo.

Both models are ``RobertaForSequenceClassification`` trained from scratch on CPU, each with its own
byte-level BPE tokenizer, and saved with ``save_pretrained`` so that the rest of the tool loads them
like any Hugging Face checkpoint (``AutoModelForSequenceClassification`` / ``AutoTokenizer``).

The teacher trains on labelled code and on follow-ups of it made by the transformation library
(``augment``); the student is distilled Compressor-style (Shi et al., 2022): it never sees a label,
only the teacher's output distribution on plain unlabelled code, and it is smaller (half the layers,
its own smaller vocabulary). It ends up as accurate as the teacher on code like its training data,
but less stable under the follow-ups the teacher was trained to ignore -- which is what the
metamorphic evaluation is meant to expose (see the comment above :data:`PRESETS`). Training gives
the same weights for any number of threads (:func:`metacompress_eval.threads.make_thread_invariant`).

Progress reporting: every trainer takes ``progress``, which may be

* ``None`` (default): a tqdm bar per epoch on stderr;
* ``False``: silent;
* a callable ``progress(stage: str, fraction: float)``, where ``fraction`` goes from 0 to 1 over
  that trainer's run and ``stage`` is a short description such as ``"teacher epoch 3/12"``;
* a tqdm bar (anything with ``total``, ``n`` and ``refresh``): its position is set to
  ``fraction * total``.
"""

from __future__ import annotations

import copy
import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F
from transformers import AutoModelForSequenceClassification, AutoTokenizer, RobertaForSequenceClassification

from ..distill.common import (  # noqa: F401  (SPECIAL_TOKENS and train_tokenizer are part of this module's API)
    SPECIAL_TOKENS,
    collate,
    count_parameters,
    encode,
    length_batches,
    logits_of,
    make_optimiser,
    roberta_classifier,
    seed_everything,
    train_tokenizer,
)
from ..threads import make_thread_invariant, refresh_threads

__all__ = [
    "ID2LABEL",
    "ModelPreset",
    "SizePreset",
    "PRESETS",
    "train_tokenizer",
    "train_teacher",
    "distil_student",
    "predict_proba",
    "count_parameters",
]

ID2LABEL = {0: "safe", 1: "defective"}
LABEL2ID = {v: k for k, v in ID2LABEL.items()}

Progress = Any  # None, False, a callable(stage, fraction) or a tqdm bar: see the module docstring


@dataclass(frozen=True)
class ModelPreset:
    """Architecture and optimisation settings of one model."""

    vocab_size: int
    max_length: int
    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    epochs: int
    batch_size: int
    learning_rate: float
    dropout: float = 0.1  # hidden dropout; attention dropout is always 0 (see metacompress_eval.threads)
    normalize_whitespace: bool = False
    phrase_tokens: bool = False  # BPE merges across spaces and punctuation (distill.common.train_tokenizer)
    patience: int = 4  # epochs without valid improvement before stopping (teacher only)
    # Teacher only: semantics-preserving transformations used as training-time augmentation.
    augment: tuple[str, ...] = ()
    augment_rounds: int = 1  # follow-ups per transformation and training function (different seeds)
    views: int = 1  # teacher only: distinct variants of each training function shown per epoch
    # Student only: distillation temperature T. At 1 the student matches the teacher's decisions more
    # closely than at 2 (the teacher is confident; softer targets mostly teach its uncertainty).
    temperature: float = 2.0


@dataclass(frozen=True)
class SizePreset:
    """How big the demo is: corpus size, teacher and student settings, and the attack section's size."""

    n_functions: int
    teacher: ModelPreset
    student: ModelPreset
    n_unlabelled: int = 0  # extra unlabelled functions the student is distilled on (besides the training split)
    attacks: tuple[str, ...] = ("mhm",)  # attack methods run against both models (docs/attacks.md)
    attack_budget: int = 24  # model queries per attacked input and model
    attack_sources: int | None = 200  # test sources attacked (the first N); None = all


# Why the two models behave differently (README, "metacompress demo"): the teacher trains on every
# function as written and as several of its follow-ups -- variables renamed to common names and to
# names drawn from the training code itself (the names an attacker picks), dead code, swapped
# branches -- so it learns that these changes do not matter; the student is distilled from the
# teacher's soft labels on plain, unlabelled code only, as Compressor and AVATAR do, so it matches the
# teacher on code like its training data but never sees what the teacher learned from the follow-ups.
# Both read phrase tokens (BPE merged across spaces): models this small then learn the defects in a
# few epochs on a CPU. The evaluation's follow-ups use other seeds than the augmentation, and the test
# functions are never trained on.
_AUGMENT = ("rename_variables", "rename_variables[strategy=corpus]", "dead_code", "if_else_swap")

PRESETS: dict[str, SizePreset] = {
    "demo": SizePreset(
        n_functions=4000,
        n_unlabelled=4000,
        teacher=ModelPreset(vocab_size=4000, max_length=128, hidden_size=128, num_layers=2, num_heads=4,
                            intermediate_size=256, epochs=3, batch_size=16, learning_rate=1e-3,
                            normalize_whitespace=True, phrase_tokens=True, augment=_AUGMENT, augment_rounds=2,
                            views=2),
        student=ModelPreset(vocab_size=2000, max_length=128, hidden_size=128, num_layers=1, num_heads=4,
                            intermediate_size=256, epochs=8, batch_size=16, learning_rate=1e-3,
                            normalize_whitespace=True, phrase_tokens=True, temperature=1.0),
        attacks=("mhm",), attack_budget=24, attack_sources=200,
    ),
    # For tests: seconds, not minutes. Accuracy is not meaningful at this size.
    "tiny": SizePreset(
        n_functions=120,
        n_unlabelled=60,
        teacher=ModelPreset(vocab_size=400, max_length=96, hidden_size=32, num_layers=1, num_heads=2,
                            intermediate_size=64, epochs=2, batch_size=16, learning_rate=2e-3,
                            normalize_whitespace=True, phrase_tokens=True, augment=_AUGMENT),
        student=ModelPreset(vocab_size=300, max_length=64, hidden_size=16, num_layers=1, num_heads=2,
                            intermediate_size=32, epochs=3, batch_size=16, learning_rate=3e-3,
                            normalize_whitespace=True, phrase_tokens=True, temperature=1.0),
        attacks=("mhm",), attack_budget=8, attack_sources=10,
    ),
}


def _preset(size: str) -> SizePreset:
    try:
        return PRESETS[size]
    except KeyError:
        raise ValueError(f"unknown size {size!r}; choose one of {sorted(PRESETS)}") from None


# --------------------------------------------------------------------------------------------
# Tokenizer

# ``train_tokenizer`` lives in metacompress_eval.distill.common (shared with the distillation recipes)
# and is re-exported from here.


# --------------------------------------------------------------------------------------------
# Helpers


class _Reporter:
    """Adapts the ``progress`` argument (see module docstring) to one interface."""

    def __init__(self, progress: Progress):
        from transformers.utils import logging as hf_logging

        self.progress = progress
        self.bar = None
        # transformers' "Writing model shards" / "Loading weights" bars say nothing the trainer's own
        # progress does not, and they would break --quiet (as in models/hf.py).
        hf_logging.disable_progress_bar()

    def epoch_start(self, stage: str, n_batches: int) -> None:
        if self.progress is None or self.progress is True:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=n_batches, desc=stage, leave=False, unit="batch")

    def update(self, stage: str, fraction: float) -> None:
        p = self.progress
        if self.bar is not None:
            self.bar.update(1)
        elif p is None or p is False or p is True:
            return
        elif all(hasattr(p, a) for a in ("total", "n", "refresh")):
            total = p.total or 100
            p.n = min(total, round(fraction * total))
            p.set_description(stage) if hasattr(p, "set_description") else None
            p.refresh()
        elif callable(p):
            p(stage, fraction)

    def epoch_end(self, postfix: str = "") -> None:
        if self.bar is not None:
            if postfix:
                self.bar.set_postfix_str(postfix)
            self.bar.close()
            self.bar = None


# The generic pieces below are shared with metacompress_eval.distill (moved to distill/common.py);
# these thin aliases keep the demo's names and signatures.
_seed_everything = seed_everything
_encode = encode
_batches = length_batches
_collate = collate
_logits = logits_of


def _make_model(tokenizer, p: ModelPreset) -> RobertaForSequenceClassification:
    model = roberta_classifier(tokenizer, hidden_size=p.hidden_size, num_layers=p.num_layers, num_heads=p.num_heads,
                               intermediate_size=p.intermediate_size, max_length=p.max_length, id2label=ID2LABEL,
                               dropout=p.dropout)
    # Same seed, same weights, whatever the number of threads (--threads) or the load of the machine.
    return make_thread_invariant(model)


def _tokenizer(texts: Sequence[str], p: ModelPreset, out_dir: Path):
    return train_tokenizer(texts, p.vocab_size, out_dir, max_length=p.max_length,
                           normalize_whitespace=p.normalize_whitespace, phrases=p.phrase_tokens)


def _optimiser(model, p: ModelPreset, total_steps: int):
    return make_optimiser(model, p.learning_rate, total_steps)


def predict_proba(model_dir: str | Path, texts: Sequence[str], *, batch_size: int = 64) -> torch.Tensor:
    """Class probabilities (``[len(texts), 2]``) of a saved demo model, truncating to its context."""
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir))
    max_len = model.config.max_position_embeddings - 2
    ids = _encode(tokenizer, texts, max_len)
    return torch.softmax(_logits(model, ids, tokenizer.pad_token_id, batch_size), dim=-1)


# --------------------------------------------------------------------------------------------
# Teacher


def _augmentation(spec: str, texts: Sequence[str]):
    """A transformation from an augmentation spec: a registry name, optionally with ``[key=value,...]``.

    ``rename_variables[strategy=corpus]`` draws the new names from the training code's own identifiers
    (frequency-weighted), the names an attacker picks from the same code; the table is computed once.
    """
    from metacompress_eval.code.names import identifier_frequencies
    from metacompress_eval.transforms import get_transformation

    name, _, rest = spec.partition("[")
    params = dict(item.split("=", 1) for item in rest.rstrip("]").split(",") if item) if rest else {}
    if params.get("strategy") == "corpus":
        params["corpus"] = identifier_frequencies(list(texts), "c")
    return get_transformation(name, **params)


def _augmented_variants(rows: Sequence[dict], specs: Sequence[str], seed: int, rounds: int = 1) -> list[list[str]]:
    """Per row: its code followed by its follow-ups under every augmentation spec, ``rounds`` times.

    The seeds are derived apart from the evaluation's, so the teacher never trains on a test follow-up
    (the test functions are not among ``rows`` anyway).
    """
    from metacompress_eval.follow_ups import derive_seed

    texts = [r["code"] for r in rows]
    variants = [[t] for t in texts]
    transforms = [(spec, _augmentation(spec, texts)) for spec in specs]
    for k in range(1, rounds + 1 if transforms else 1):
        for i, text in enumerate(texts):
            for spec, transform in transforms:
                outcome = transform.apply(text, "c", derive_seed(seed + 7919 * k, str(i), spec))
                if outcome.status == "applied":
                    variants[i].append(outcome.code)
    return variants


def train_teacher(rows: Sequence[dict], out_dir: str | Path, *, size: str = "demo", seed: int = 0,
                  epochs: int | None = None, progress: Progress = None) -> Path:
    """Train the teacher classifier from scratch on the labelled corpus and save it.

    Uses rows with ``split == "train"`` for training and ``split == "valid"`` to pick the best
    epoch (with early stopping after ``patience`` epochs without improvement). When the preset
    names ``augment`` transformations, each epoch shows every training function either as written
    or as one of its (C) follow-ups, chosen at random. Rows are dicts with
    ``"code"`` and ``"label"`` as produced by :func:`~metacompress_eval.demo.corpus.generate_corpus`.

    Args:
        rows: the corpus.
        out_dir: folder that receives the model (safetensors), its tokenizer and
            ``training_log.json`` (per-epoch loss and valid accuracy, timings).
        size: preset name from :data:`PRESETS` (``"demo"`` or ``"tiny"``).
        seed: seeds Python's and torch's generators.
        epochs: overrides the preset's maximum number of epochs.
        progress: see the module docstring.

    Returns:
        ``out_dir`` as a :class:`~pathlib.Path`.
    """
    p = _preset(size).teacher
    epochs = p.epochs if epochs is None else epochs
    out_dir = Path(out_dir)
    started = time.perf_counter()
    _seed_everything(seed)
    train = [r for r in rows if r["split"] == "train"]
    valid = [r for r in rows if r["split"] == "valid"] or train
    if not train:
        raise ValueError("no rows with split == 'train'")
    report = _Reporter(progress)
    report.update("teacher tokenizer", 0.0)

    variants = _augmented_variants(train, p.augment, seed, p.augment_rounds)
    # The vocabulary is learned from what the teacher trains on, follow-ups included: merges that glue
    # one particular variable name to its surroundings are then rarer than name-free ones.
    tokenizer = _tokenizer([v for vs in variants for v in vs], p, out_dir)
    variant_ids = [_encode(tokenizer, v, p.max_length) for v in variants]
    valid_ids = _encode(tokenizer, [r["code"] for r in valid], p.max_length)
    y_train = torch.tensor([int(r["label"]) for r in train])
    y_valid = torch.tensor([int(r["label"]) for r in valid])

    model = _make_model(tokenizer, p)
    rng = random.Random(seed)
    n_batches = math.ceil(len(train) * p.views / p.batch_size)
    opt, sched = _optimiser(model, p, n_batches * epochs)
    pad = tokenizer.pad_token_id
    best_acc, best_state, best_epoch, stale = -1.0, None, 0, 0
    log: dict[str, Any] = {"preset": asdict(p), "seed": seed, "epochs": []}

    for epoch in range(1, epochs + 1):
        refresh_threads()  # follow the machine's load (a no-op under --threads N)
        stage = f"teacher epoch {epoch}/{epochs}"
        report.epoch_start(stage, n_batches)
        model.train()
        total = 0.0
        # Each function as written or as one of its follow-ups (``views`` distinct ones per epoch).
        train_ids, labels = [], []
        for v, y in zip(variant_ids, y_train.tolist()):
            chosen = rng.sample(v, min(p.views, len(v)))
            train_ids += chosen
            labels += [y] * len(chosen)
        labels = torch.tensor(labels)
        for b, idx in enumerate(_batches([len(x) for x in train_ids], p.batch_size, rng)):
            input_ids, mask = _collate(train_ids, idx, pad)
            loss = F.cross_entropy(model(input_ids=input_ids, attention_mask=mask).logits, labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            report.update(stage, ((epoch - 1) + (b + 1) / n_batches) / epochs)
        valid_acc = (_logits(model, valid_ids, pad).argmax(-1) == y_valid).float().mean().item()
        train_loss = total / len(train_ids)
        log["epochs"].append({"epoch": epoch, "train_loss": train_loss, "valid_accuracy": valid_acc,
                              "seconds": round(time.perf_counter() - started, 2), "threads": torch.get_num_threads()})
        report.epoch_end(f"loss {train_loss:.3f} valid acc {valid_acc:.3f}")
        if valid_acc > best_acc:
            best_acc, best_epoch, stale = valid_acc, epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
            if stale >= p.patience:
                break

    model.load_state_dict(best_state)
    model.save_pretrained(str(out_dir))
    log.update(best_epoch=best_epoch, valid_accuracy=best_acc, parameters=count_parameters(model),
               seconds=round(time.perf_counter() - started, 2))
    (out_dir / "training_log.json").write_text(json.dumps(log, indent=2))
    report.update("teacher done", 1.0)
    return out_dir


# --------------------------------------------------------------------------------------------
# Student


def distil_student(teacher_dir: str | Path, texts: Sequence[str], out_dir: str | Path, *,
                   size: str = "demo", temperature: float | None = None, seed: int = 0,
                   epochs: int | None = None, progress: Progress = None) -> Path:
    """Distil a smaller student from a saved teacher using unlabelled texts only.

    The teacher's logits are computed once (under ``torch.inference_mode``) with the teacher's
    own tokenizer; the student gets a fresh, smaller BPE tokenizer trained on ``texts`` and is
    trained to minimise ``KL(softmax(t / T) || softmax(s / T)) * T**2``.

    Args:
        teacher_dir: folder written by :func:`train_teacher`.
        texts: unlabelled code used for distillation (e.g. the training split without labels).
        out_dir: folder that receives the student, its tokenizer and ``distillation_log.json``
            (per-epoch mean distillation loss, final agreement with the teacher on ``texts``).
        size: preset name from :data:`PRESETS`.
        temperature: softmax temperature ``T`` (default: the preset's).
        seed: seeds Python's and torch's generators.
        epochs: overrides the preset's number of epochs.
        progress: see the module docstring.

    Returns:
        ``out_dir`` as a :class:`~pathlib.Path`.
    """
    p = _preset(size).student
    epochs = p.epochs if epochs is None else epochs
    temperature = p.temperature if temperature is None else temperature
    texts = list(texts)
    if not texts:
        raise ValueError("distillation needs at least one text")
    out_dir = Path(out_dir)
    started = time.perf_counter()
    _seed_everything(seed)
    report = _Reporter(progress)
    report.update("teacher logits", 0.0)

    t_tok = AutoTokenizer.from_pretrained(str(teacher_dir))
    teacher = AutoModelForSequenceClassification.from_pretrained(str(teacher_dir))
    t_max = teacher.config.max_position_embeddings - 2
    t_logits = _logits(teacher, _encode(t_tok, texts, t_max), t_tok.pad_token_id)
    del teacher
    soft = torch.softmax(t_logits / temperature, dim=-1)

    tokenizer = _tokenizer(texts, p, out_dir)
    ids = _encode(tokenizer, texts, p.max_length)
    model = _make_model(tokenizer, p)
    rng = random.Random(seed)
    n_batches = math.ceil(len(texts) / p.batch_size)
    opt, sched = _optimiser(model, p, n_batches * epochs)
    pad = tokenizer.pad_token_id
    log: dict[str, Any] = {"preset": asdict(p), "seed": seed, "temperature": temperature, "epochs": []}

    for epoch in range(1, epochs + 1):
        refresh_threads()
        stage = f"student epoch {epoch}/{epochs}"
        report.epoch_start(stage, n_batches)
        model.train()
        total = 0.0
        for b, idx in enumerate(_batches([len(x) for x in ids], p.batch_size, rng)):
            input_ids, mask = _collate(ids, idx, pad)
            s_logits = model(input_ids=input_ids, attention_mask=mask).logits
            loss = F.kl_div(F.log_softmax(s_logits / temperature, dim=-1), soft[idx],
                            reduction="batchmean") * temperature ** 2
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            report.update(stage, ((epoch - 1) + (b + 1) / n_batches) / epochs)
        log["epochs"].append({"epoch": epoch, "distillation_loss": total / len(texts),
                              "threads": torch.get_num_threads()})
        report.epoch_end(f"KD loss {total / len(texts):.4f}")

    agreement = (_logits(model, ids, pad).argmax(-1) == t_logits.argmax(-1)).float().mean().item()
    model.save_pretrained(str(out_dir))
    log.update(agreement_on_texts=agreement, parameters=count_parameters(model),
               seconds=round(time.perf_counter() - started, 2))
    (out_dir / "distillation_log.json").write_text(json.dumps(log, indent=2))
    report.update("student done", 1.0)
    return out_dir
