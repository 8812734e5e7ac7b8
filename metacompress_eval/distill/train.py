"""The distillation loop shared by the recipes, teacher soft labels, and latency measurement.

A plain torch loop (no Trainer/Accelerate): students of a few MB train fastest this way on a CPU,
and each recipe only changes *what* a step sees (sources only; sources and follow-ups as separate
examples; a source together with one of its follow-ups) and *which loss* it minimises
(:mod:`metacompress_eval.distill.losses`).
"""

from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from . import losses
from .common import collate, count_parameters, length_batches, logits_of, make_optimiser, roberta_classifier, seed_everything
from .search_space import StudentConfig

__all__ = ["TrainSettings", "DistillSet", "build_student", "train_student", "teacher_logits", "measure_latency"]

LOSSES = ("kd", "morph", "fidelity")


@dataclass
class TrainSettings:
    """Optimisation settings of one distillation run.

    ``max_steps`` cuts a run short after that many optimiser steps (the surrogate probes of AVATAR
    and MORPH); ``None`` runs all ``epochs``.
    """

    epochs: int = 10
    batch_size: int = 16
    learning_rate: float = 2e-3
    temperature: float = 2.0
    dropout: float = 0.1
    max_steps: int | None = None
    cosine_weight: float = 1.0
    consistency_weight: float = 1.0
    seed: int = 0
    device: str = "cpu"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class DistillSet:
    """What a student is trained on.

    Attributes:
        ids: student token ids of every input (sources and follow-ups).
        teacher_logits: ``[len(ids), C]`` teacher logits of the same inputs.
        groups: per source, ``[source index, follow-up indices...]`` into ``ids``.
    """

    ids: list[list[int]]
    teacher_logits: torch.Tensor
    groups: list[list[int]] = field(default_factory=list)

    def sources_only(self) -> "DistillSet":
        return DistillSet(self.ids, self.teacher_logits, [[g[0]] for g in self.groups])


def build_student(config: StudentConfig, tokenizer, id2label: dict[int, str], dropout: float = 0.1):
    """A freshly initialised RoBERTa student for ``config`` (vocabulary = the tokenizer's)."""
    return roberta_classifier(tokenizer, hidden_size=config.hidden_size, num_layers=config.num_layers,
                              num_heads=config.num_heads, intermediate_size=config.intermediate_size,
                              max_length=config.max_length, id2label=id2label, dropout=dropout)


def train_student(model, data: DistillSet, pad_id: int, *, loss: str, settings: TrainSettings,
                  select: Callable[[object], tuple[float, dict]] | None = None,
                  log: Callable[[str], None] | None = None) -> dict:
    """Distil ``model`` in place and return the training log.

    Args:
        loss: ``"kd"`` (KL·T² on every input of every group, as independent examples -- with
            sources-only groups this is Compressor/AVATAR), ``"morph"`` (MORPH's loss on every
            input: sources and metamorphic follow-ups alike) or ``"fidelity"`` (each step takes a
            source and one of its follow-ups, drawn anew every epoch, and minimises
            :func:`~metacompress_eval.distill.losses.fidelity_loss`).
        select: called after every epoch with the model (in eval mode); returns ``(score, metrics)``.
            The state with the lowest score is restored at the end (checkpoint selection).
            ``None`` keeps the last epoch.
    """
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {LOSSES}")
    seed_everything(settings.seed)
    rng = random.Random(settings.seed)
    device = settings.device
    model.to(device)
    targets = data.teacher_logits.float().to(device)
    paired = loss == "fidelity"
    examples = [g for g in data.groups] if paired else [[i] for g in data.groups for i in g]
    n_batches = math.ceil(len(examples) / settings.batch_size)
    total_steps = n_batches * settings.epochs
    if settings.max_steps is not None:
        total_steps = min(total_steps, settings.max_steps)
    opt, sched = make_optimiser(model, settings.learning_rate, max(1, total_steps))
    started = time.perf_counter()
    history: list[dict] = []
    best = (math.inf, None, 0, {})
    step = 0
    for epoch in range(1, settings.epochs + 1):
        model.train()
        # Paired: a fresh follow-up per source every epoch, so all of them are seen over the run.
        if paired:
            picks = [(g[0], rng.choice(g[1:]) if len(g) > 1 else g[0]) for g in examples]
            lengths = [len(data.ids[a]) + len(data.ids[b]) for a, b in picks]
        else:
            picks = [(g[0], g[0]) for g in examples]
            lengths = [len(data.ids[a]) for a, _ in picks]
        total, seen = 0.0, 0
        for idx in length_batches(lengths, settings.batch_size, rng):
            xs = [picks[k][0] for k in idx]
            if paired:
                ys = [picks[k][1] for k in idx]
                input_ids, mask = collate(data.ids, xs + ys, pad_id, device)
                out = model(input_ids=input_ids, attention_mask=mask).logits
                s_x, s_y = out[:len(xs)], out[len(xs):]
                value = losses.fidelity_loss(s_x, s_y, targets[xs], targets[ys], temperature=settings.temperature,
                                             consistency_weight=settings.consistency_weight)
            else:
                input_ids, mask = collate(data.ids, xs, pad_id, device)
                s = model(input_ids=input_ids, attention_mask=mask).logits
                if loss == "morph":
                    value = losses.morph_loss(s, targets[xs], settings.temperature, settings.cosine_weight)
                else:
                    value = losses.kd_kl(s, targets[xs], settings.temperature)
            opt.zero_grad(set_to_none=True)
            value.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            total += value.item() * len(idx)
            seen += len(idx)
            if settings.max_steps is not None and step >= settings.max_steps:
                break
        entry = {"epoch": epoch, "steps": step, "loss": total / max(1, seen),
                 "seconds": round(time.perf_counter() - started, 2)}
        if select is not None:
            score, metrics = select(model)
            entry.update(selection_score=score, **metrics)
            if score < best[0]:
                best = (score, copy.deepcopy(model.state_dict()), epoch, metrics)
        history.append(entry)
        if log:
            extra = f", selection score {entry['selection_score']:.4f}" if select is not None else ""
            log(f"epoch {epoch}/{settings.epochs}: loss {entry['loss']:.4f}{extra}")
        if settings.max_steps is not None and step >= settings.max_steps:
            break
    chosen = history[-1]["epoch"] if history else 0
    if select is not None and best[1] is not None:
        model.load_state_dict(best[1])
        chosen = best[2]
    model.eval()
    return {"loss": loss, "settings": settings.as_dict(), "epochs": history, "selected_epoch": chosen,
            "steps": step, "parameters": count_parameters(model), "seconds": round(time.perf_counter() - started, 2)}


def teacher_logits(loaded, inputs: Sequence[tuple[str, ...]], *, batch_size: int = 64, progress: bool = False,
                   cache=None) -> np.ndarray:
    """The teacher's logits on model inputs, through the evaluator's own model-outputs stage.

    Going through :func:`~metacompress_eval.model_outputs.run_models` means the teacher sees
    exactly what ``metacompress evaluate`` will feed it (its tokenizer, its truncation length, text
    pairs for clone pairs), and identical inputs are run once.
    """
    from ..model_outputs import run_models

    if not inputs:
        return np.zeros((0, len(loaded.label_names)), dtype=np.float32)
    return run_models({"teacher": loaded}, inputs, cache, batch_size=batch_size, progress=progress)["teacher"].logits


def measure_latency(model, ids: Sequence[Sequence[int]], pad_id: int, *, n: int = 32, batch_size: int = 1,
                    device: str = "cpu", warmup: int = 3) -> dict:
    """Wall-clock inference time per input (milliseconds): median and mean over ``n`` inputs.

    Measured on the inputs as they come (real lengths, no padding to ``max_length``) in batches of
    ``batch_size``, after ``warmup`` untimed batches, with the current torch thread count.
    """
    ids = list(ids)[:n]
    if not ids:
        return {"median_ms": None, "mean_ms": None, "n": 0, "batch_size": batch_size}
    model.eval()
    model.to(device)
    batches = [list(range(i, min(i + batch_size, len(ids)))) for i in range(0, len(ids), batch_size)]
    times = []
    with torch.inference_mode():
        for k, idx in enumerate(batches[:warmup] + batches):
            input_ids, mask = collate(ids, idx, pad_id, device)
            t0 = time.perf_counter()
            model(input_ids=input_ids, attention_mask=mask)
            if k >= min(warmup, len(batches)):
                times.append((time.perf_counter() - t0) * 1000 / len(idx))
    return {"median_ms": float(np.median(times)), "mean_ms": float(np.mean(times)), "n": len(ids),
            "batch_size": batch_size, "device": str(device), "threads": torch.get_num_threads()}


def student_logits(model, ids, pad_id, device: str = "cpu") -> np.ndarray:
    """Student logits on pre-tokenized inputs (numpy)."""
    return logits_of(model, ids, pad_id, device=device).numpy()
