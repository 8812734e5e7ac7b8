"""The four distillation recipes: ``compressor``, ``avatar``, ``morph`` and ``fidelity``.

Every recipe reads unlabelled task data, asks the teacher for its soft labels, picks a student
architecture within a size budget, trains the student's own BPE tokenizer, distils, and writes an
ordinary Hugging Face checkpoint (``config.json``, ``model.safetensors``, tokenizer files) plus

* ``README.md`` -- a model card: recipe, teacher, architecture, size, FLOPs, measured latency,
  validation fidelity (:mod:`metacompress_eval.distill.card`);
* ``search.json`` -- what the architecture search explored: every evaluated configuration, the
  chosen one and (for the multi-objective searches) the Pareto front, surrogate samples;
* ``distillation.json`` -- settings, training log and validation metrics.

==============  =========================================  ============================================
recipe          architecture                               distillation
==============  =========================================  ============================================
``compressor``  GA: max GFLOPs s.t. size ≤ budget           KL(t/T ‖ s/T)·T² on unlabelled sources
``avatar``      pruned space → surrogate(accuracy) →        same as compressor
                NSGA-II over size, accuracy, FLOPs
``morph``       as avatar + surrogate(flips on renamed      CE(T=3) + cosine on sources *and* renamed
                inputs) → NSGA-III over four objectives    follow-ups
``fidelity``    as compressor                               KD on x and x′ + relation consistency;
                                                            checkpoint with the fewest relation
                                                            violations on a validation split
==============  =========================================  ============================================

Clone pairs (and any two-input task) are encoded as the tokenizer's text pair, the way the
evaluator feeds Hugging Face models, so the student needs no special case at evaluation time.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..console import logger
from ..data import DEFAULT_MAX_CODE_CHARS
from ..errors import MetaCompressError
from ..public_names import loaded_model_name, path_name
from ..transforms import DEFAULT_TRANSFORMS
from . import METHODS
from .common import encode_inputs, train_tokenizer
from .search import Objective, SearchResult, ga_search, nsga_search
from .search_space import HEADER_ALLOWANCE, SearchSpace, StudentConfig, format_size, parse_size
from .surrogate import Surrogate
from .train import DistillSet, TrainSettings, build_student, measure_latency, student_logits, teacher_logits, train_student

__all__ = ["METHODS", "DistillSettings", "DistillResult", "distil"]


#: Paper and default temperature per recipe (MORPH states T = 3; Compressor's code uses T = 2-ish
#: soft labels -- we default to 2 for the KL recipes).
DEFAULT_TEMPERATURE = {"compressor": 2.0, "avatar": 2.0, "morph": 3.0, "fidelity": 2.0}


@dataclass
class DistillSettings:
    """Everything one ``metacompress distill`` run needs. Defaults suit a CPU (docs/distillation.md
    lists larger budgets for a GPU)."""

    teacher: str
    data: str
    out_dir: str
    method: str = "compressor"
    task: str = "defect"
    size_budget: str | int | float = "3MB"
    labelled: str | None = None
    code_columns: tuple[str, ...] | None = None
    id_column: str | None = "id"
    label_column: str = "label"  # of --labelled
    language: str | None = ""
    split: str | None = None
    labelled_split: str | None = None
    pair_ids: tuple[str, str] | None = None
    functions: str | None = None
    max_sources: int | None = None
    max_code_chars: int = DEFAULT_MAX_CODE_CHARS
    # student and search
    max_length: int = 256
    space: SearchSpace | None = None
    population: int = 40
    generations: int = 25
    probes: int = 6
    probe_steps: int = 40
    surrogate: str = "gp"
    # training
    epochs: int = 10
    batch_size: int = 16
    learning_rate: float = 2e-3
    temperature: float | None = None
    cosine_weight: float = 1.0
    consistency_weight: float = 1.0
    normalize_whitespace: bool = False
    # follow-ups: fidelity trains on `transforms`; morph on `morph_transforms`; all validate on both
    transforms: tuple[str, ...] = DEFAULT_TRANSFORMS
    morph_transforms: tuple[str, ...] = ("rename_variables",)
    valid_fraction: float = 0.1
    seed: int = 0
    device: str = "cpu"
    teacher_batch_size: int = 64
    workers: int | None = 1  # processes making the follow-ups (0 or None: one per usable CPU); same ones for any number
    progress: bool = True


@dataclass
class DistillResult:
    """Where the student went and what it is."""

    out_dir: Path
    method: str
    config: StudentConfig
    parameters: int
    size_bytes: int
    budget_bytes: int
    flops: int
    latency: dict
    metrics: dict
    search: SearchResult
    train_log: dict
    files: list[Path] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Data


@dataclass
class _Data:
    """Sources, follow-ups and the teacher's logits on all of them."""

    task: object
    teacher: object
    label_names: list[str]
    train: list  # SourceInput
    valid: list
    train_follow: list  # FollowUpInput
    valid_follow: list
    labelled: list
    logits: dict  # input tuple -> teacher logits
    transforms_used: dict


def _prepare(s: DistillSettings, say) -> _Data:
    from ..data import DataSpec, load_sources
    from ..follow_ups import build_follow_ups
    from ..model_outputs import ModelSpec
    from ..tasks import get_task

    task = get_task(s.task, code_columns=s.code_columns, label_column=None, id_column=s.id_column,
                    language=s.language)
    say(f"loading teacher {s.teacher}")
    teacher = ModelSpec(s.teacher).load("teacher", s.device, task=task)
    names = list(teacher.label_names)
    loaded = load_sources(DataSpec(s.data, split=s.split, pair_ids=s.pair_ids, functions=s.functions,
                                   max_code_chars=s.max_code_chars, max_sources=s.max_sources), task, names)
    sources = list(loaded.sources)
    if len(sources) < 4:
        raise MetaCompressError(f"distillation needs at least 4 unlabelled inputs; {s.data} has {len(sources)}")
    rng = np.random.default_rng(s.seed)
    order = rng.permutation(len(sources))
    n_valid = min(len(sources) // 2, max(2, int(math.ceil(s.valid_fraction * len(sources)))))
    valid = [sources[i] for i in sorted(order[:n_valid])]
    train = [sources[i] for i in sorted(order[n_valid:])]
    say(f"{len(train)} training and {len(valid)} validation inputs (unlabelled)")

    labelled = []
    if s.labelled:
        ltask = dataclasses.replace(task, label_column=s.label_column)
        labelled = load_sources(DataSpec(s.labelled, split=s.labelled_split, pair_ids=s.pair_ids,
                                         functions=s.functions, max_code_chars=s.max_code_chars), ltask, names).sources

    train_names: tuple[str, ...] = ()
    if s.method == "fidelity":
        train_names = tuple(s.transforms)
    elif s.method == "morph":
        train_names = tuple(s.morph_transforms)
    valid_names = tuple(dict.fromkeys(tuple(s.transforms) + tuple(s.morph_transforms)))
    train_follow = []
    if train_names and task.language:
        # A seed apart from the evaluation's (seed 0 by default), so evaluation follow-ups are new.
        train_follow = build_follow_ups(train, task.language, train_names, seed=s.seed + 104729,
                                        workers=s.workers).items
    valid_follow = build_follow_ups(valid, task.language, valid_names, seed=s.seed + 7,
                                    workers=s.workers).items if task.language else []
    if train_names and not train_follow:
        say(f"warning: no follow-ups could be made for training ({', '.join(train_names)})")

    inputs = list(dict.fromkeys([x.inputs for x in train] + [f.inputs for f in train_follow]
                                + [x.inputs for x in valid] + [f.inputs for f in valid_follow]
                                + [x.inputs for x in labelled]))
    say(f"teacher soft labels for {len(inputs)} inputs")
    logits = teacher_logits(teacher, inputs, batch_size=s.teacher_batch_size, progress=s.progress)
    return _Data(task=task, teacher=teacher, label_names=names, train=train, valid=valid, train_follow=train_follow,
                 valid_follow=valid_follow, labelled=labelled,
                 logits={x: logits[i] for i, x in enumerate(inputs)},
                 transforms_used={"train": list(train_names), "valid": list(valid_names)})


def _tokenizer_corpus(d: _Data, with_follow: bool) -> list[str]:
    texts = [t for x in d.train for t in x.inputs]
    if with_follow:
        texts += [t for f in d.train_follow for t in f.inputs]
    return texts


@dataclass
class _Encoded:
    """The data tokenized for one student tokenizer."""

    tokenizer: object
    train: DistillSet
    valid_ids: list[list[int]]
    valid_source_ids: list[str]
    valid_transformations: list[str | None]
    valid_teacher: np.ndarray
    labelled_ids: list[list[int]]
    labelled_labels: np.ndarray


def _encode_all(d: _Data, tokenizer, max_length: int, *, with_follow: bool) -> _Encoded:
    train_inputs = [x.inputs for x in d.train]
    groups = [[i] for i in range(len(d.train))]
    if with_follow:
        where = {x.id: i for i, x in enumerate(d.train)}
        for f in d.train_follow:
            groups[where[f.source_id]].append(len(train_inputs))
            train_inputs.append(f.inputs)
    ids = encode_inputs(tokenizer, train_inputs, max_length)
    t = torch.tensor(np.stack([d.logits[x] for x in train_inputs]))
    valid_inputs = [x.inputs for x in d.valid] + [f.inputs for f in d.valid_follow]
    return _Encoded(
        tokenizer=tokenizer, train=DistillSet(ids, t, groups),
        valid_ids=encode_inputs(tokenizer, valid_inputs, max_length),
        valid_source_ids=[x.id for x in d.valid] + [f.source_id for f in d.valid_follow],
        valid_transformations=[None] * len(d.valid) + [f.transformation for f in d.valid_follow],
        valid_teacher=np.stack([d.logits[x] for x in valid_inputs]),
        labelled_ids=encode_inputs(tokenizer, [x.inputs for x in d.labelled], max_length),
        labelled_labels=np.array([x.label for x in d.labelled], dtype=np.int64))


# --------------------------------------------------------------------------------------------
# Measures


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _validation_measures(enc: _Encoded, student: np.ndarray, label_names: list[str], *, full: bool,
                         seed: int = 0, flip_transforms: tuple[str, ...] | None = None) -> dict:
    """Agreement with the teacher, flip rates and (``full``) every registered relation on the validation split."""
    src = np.array([t is None for t in enc.valid_transformations])
    y_t, y_s = enc.valid_teacher.argmax(1), student.argmax(1)
    out = {"n_sources": int(src.sum()), "n_follow_ups": int((~src).sum()),
           "agreement": float((y_t[src] == y_s[src]).mean()) if src.any() else None}
    first = {}
    for i, (sid, t) in enumerate(zip(enc.valid_source_ids, enc.valid_transformations)):
        if t is None:
            first[sid] = i
    fu = [i for i, t in enumerate(enc.valid_transformations)
          if t is not None and (flip_transforms is None or t in flip_transforms)]
    if fu:
        base = np.array([first[enc.valid_source_ids[i]] for i in fu])
        out["student_flip_rate"] = float((y_s[fu] != y_s[base]).mean())
        out["teacher_flip_rate"] = float((y_t[fu] != y_t[base]).mean())
    else:
        out["student_flip_rate"] = out["teacher_flip_rate"] = None
    if full:
        from ..relations import EvaluationOutputs, Thresholds, analyze, relation_keys

        outputs = EvaluationOutputs(source_ids=list(enc.valid_source_ids),
                                    transformations=list(enc.valid_transformations), labels=None,
                                    teacher_probs=_softmax(enc.valid_teacher.astype(np.float64)),
                                    student_probs=_softmax(student.astype(np.float64)),
                                    label_names=list(label_names))
        # 100 resamples: the intervals are not used for selection, only the rates.
        analysis = analyze(outputs, Thresholds(bootstrap_resamples=100), seed=seed, worst_k=0)
        rates = {r: analysis["relations"]["overall"][r]["rate"] for r in relation_keys()}
        out["violation_rates"] = rates
        known = [v for v in rates.values() if v is not None]
        out["mean_violation_rate"] = float(np.mean(known)) if known else None
    return out


def _labelled_measures(enc: _Encoded, model, pad: int, device: str) -> dict | None:
    if not enc.labelled_ids:
        return None
    from sklearn.metrics import f1_score

    pred = student_logits(model, enc.labelled_ids, pad, device).argmax(1)
    gold = enc.labelled_labels
    average = "binary" if len(set(gold.tolist()) | set(pred.tolist())) <= 2 and pred.max(initial=0) <= 1 else "macro"
    return {"n": int(len(gold)), "accuracy": float((pred == gold).mean()),
            "f1": float(f1_score(gold, pred, average=average, zero_division=0)), "f1_average": average}


# --------------------------------------------------------------------------------------------
# Probes (AVATAR, MORPH): a few short trainings that the surrogates learn from


class _Prober:
    """Trains candidate configurations briefly and measures them on the validation split."""

    def __init__(self, s: DistillSettings, d: _Data, *, loss: str, with_follow: bool, workdir: Path, say):
        self.s, self.d, self.loss, self.with_follow, self.workdir, self.say = s, d, loss, with_follow, workdir, say
        self.corpus = _tokenizer_corpus(d, with_follow)
        self._encoded: dict[int, _Encoded] = {}
        self.records: list[dict] = []

    def encoded(self, vocab: int) -> _Encoded:
        if vocab not in self._encoded:
            tok = train_tokenizer(self.corpus, vocab, self.workdir / f"tok{vocab}", max_length=self.s.max_length,
                                  normalize_whitespace=self.s.normalize_whitespace)
            self._encoded[vocab] = _encode_all(self.d, tok, self.s.max_length, with_follow=self.with_follow)
        return self._encoded[vocab]

    def measure(self, config: StudentConfig) -> dict:
        s = self.s
        enc = self.encoded(config.vocab_size)
        model = build_student(config, enc.tokenizer, dict(enumerate(self.d.label_names)))
        settings = TrainSettings(epochs=max(1, s.epochs), batch_size=s.batch_size, learning_rate=s.learning_rate,
                                 temperature=s.temperature or DEFAULT_TEMPERATURE[s.method], max_steps=s.probe_steps,
                                 cosine_weight=s.cosine_weight, seed=s.seed, device=s.device)
        started = time.perf_counter()
        train_student(model, enc.train, enc.tokenizer.pad_token_id, loss=self.loss, settings=settings)
        logits = student_logits(model, enc.valid_ids, enc.tokenizer.pad_token_id, s.device)
        m = _validation_measures(enc, logits, self.d.label_names, full=False,
                                 flip_transforms=tuple(s.morph_transforms))
        lab = _labelled_measures(enc, model, enc.tokenizer.pad_token_id, s.device)
        # Accuracy against gold labels when there are any; else against the teacher's labels.
        accuracy = lab["accuracy"] if lab else m["agreement"]
        rec = {**config.as_dict(), "accuracy": accuracy, "accuracy_against": "labels" if lab else "teacher",
               "flip_rate": m["student_flip_rate"] if m["student_flip_rate"] is not None else 0.0,
               "seconds": round(time.perf_counter() - started, 2)}
        self.records.append(rec)
        self.say(f"probe {len(self.records)}: {_describe(config)} -> accuracy {accuracy:.3f}, "
                 f"flip rate {rec['flip_rate']:.3f}")
        return rec


def _describe(c: StudentConfig) -> str:
    return (f"vocab {c.vocab_size}, {c.num_layers} layer(s), hidden {c.hidden_size}, {c.num_heads} head(s), "
            f"ffn {c.intermediate_size} ({format_size(c.size_bytes)}, {c.flops / 1e9:.3f} GFLOPs)")


def _surrogate_search(s: DistillSettings, d: _Data, space: SearchSpace, budget: int, workdir: Path, say,
                      *, with_flips: bool) -> SearchResult:
    """AVATAR (``with_flips=False``) or MORPH (``True``): prune, probe, fit surrogates, search, choose."""
    pruned = space.prune(budget)
    say(f"search space: {pruned.counts['total']} configurations, {pruned.counts['feasible']} after pruning")
    if not len(pruned):
        raise MetaCompressError(f"no configuration fits in {format_size(budget)}: raise --size-budget")
    rng = np.random.default_rng(s.seed)
    prober = _Prober(s, d, loss="morph" if with_flips else "kd", with_follow=with_flips, workdir=workdir, say=say)
    probe_genes = pruned.spread(max(2, s.probes), rng)
    records = [prober.measure(space.decode(g)) for g in probe_genes]
    configs = [space.decode(g) for g in probe_genes]
    acc = Surrogate(space, "accuracy", kind=s.surrogate, seed=s.seed).fit(configs, [r["accuracy"] for r in records])
    objectives = [Objective("size_mb", lambda X: space.measures(X)["size_bytes"] / 1e6),
                  Objective("predicted_accuracy", lambda X: -acc.predict_genes(X), sense="max"),
                  Objective("gflops", lambda X: space.measures(X)["flops"] / 1e9)]
    surrogates = {"accuracy": acc.describe()}
    if with_flips:
        flips = Surrogate(space, "flip_rate", kind=s.surrogate, seed=s.seed).fit(configs, [r["flip_rate"] for r in records])
        objectives.append(Objective("predicted_flip_rate", lambda X: flips.predict_genes(X)))
        surrogates["flip_rate"] = flips.describe()

        def choose(front):
            # MORPH's trade-off: accuracy and robustness weigh the same; size/FLOPs break ties.
            return max(front, key=lambda r: (round(r["predicted_accuracy"] - r["predicted_flip_rate"], 6),
                                             -r["size_mb"]))
    else:
        def choose(front):
            # AVATAR: the most accurate student the budget allows; fewer FLOPs (faster) break ties.
            return max(front, key=lambda r: (round(r["predicted_accuracy"], 6), -r["gflops"]))

    result = nsga_search(space, budget, objectives, choose=choose, pruned=pruned, population=s.population,
                         generations=s.generations, seed=s.seed)
    result.surrogates = surrogates
    result.extra["probes"] = prober.records
    return result


# --------------------------------------------------------------------------------------------
# The recipes


def distil(s: DistillSettings, log: Callable[[str], None] | None = None) -> DistillResult:
    """Run one recipe end to end and write the student to ``s.out_dir`` (see the module docstring)."""
    if s.method not in METHODS:
        raise MetaCompressError(f"unknown method {s.method!r}; choose one of: {', '.join(METHODS)}")
    try:
        budget = parse_size(s.size_budget)
    except ValueError as exc:
        raise MetaCompressError(str(exc)) from None
    if s.max_length < 8:
        raise MetaCompressError("--max-length must be at least 8")
    say = log or logger(s.progress, "metacompress distill")
    from transformers.utils import logging as hf_logging

    # transformers' per-file "Writing model shards" bars are noise next to the recipe's own messages.
    hf_logging.disable_progress_bar()
    started = time.perf_counter()
    torch.manual_seed(s.seed)
    out = _student_folder(s.out_dir)
    d = _prepare(s, say)
    n_labels = len(d.label_names)
    space = dataclasses.replace(s.space or SearchSpace(), max_length=s.max_length, num_labels=n_labels)
    temperature = s.temperature or DEFAULT_TEMPERATURE[s.method]
    with_follow = s.method in ("morph", "fidelity")

    from ..verify.lifetime import scratch_dir

    # In the run folder: what a killed run leaves there is swept by the next command (fileio.sweep_dead_writers).
    with tempfile.TemporaryDirectory(prefix="metacompress-distill-", dir=scratch_dir()) as tmp:
        say(f"{s.method}: searching an architecture within {format_size(budget)}")
        try:
            if s.method in ("compressor", "fidelity"):
                search = ga_search(space, budget, population=s.population, generations=s.generations, seed=s.seed)
            else:
                search = _surrogate_search(s, d, space, budget, Path(tmp), say, with_flips=s.method == "morph")
        except ValueError as exc:  # an empty feasible set: a user error (budget too small), not a crash
            raise MetaCompressError(str(exc)) from None
    say(f"chosen: {_describe(search.chosen)}")

    out.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(_tokenizer_corpus(d, with_follow), search.chosen.vocab_size, out,
                                max_length=s.max_length, normalize_whitespace=s.normalize_whitespace)
    config = search.chosen.with_vocab(len(tokenizer))  # BPE may stop short of the asked vocabulary
    enc = _encode_all(d, tokenizer, s.max_length, with_follow=with_follow)
    pad = tokenizer.pad_token_id
    id2label = dict(enumerate(d.label_names))
    model = build_student(config, tokenizer, id2label)
    settings = TrainSettings(epochs=s.epochs, batch_size=s.batch_size, learning_rate=s.learning_rate,
                             temperature=temperature, cosine_weight=s.cosine_weight,
                             consistency_weight=s.consistency_weight, seed=s.seed, device=s.device)
    select = None
    if s.method == "fidelity":
        def select(m):
            v = _validation_measures(enc, student_logits(m, enc.valid_ids, pad, s.device), d.label_names,
                                     full=True, seed=s.seed)
            score = v["mean_violation_rate"] if v["mean_violation_rate"] is not None else 1.0 - (v["agreement"] or 0)
            return score, {"valid_mean_violation_rate": v["mean_violation_rate"], "valid_agreement": v["agreement"]}
    loss = {"compressor": "kd", "avatar": "kd", "morph": "morph", "fidelity": "fidelity"}[s.method]
    data = enc.train if with_follow else enc.train.sources_only()
    say(f"distilling ({loss} loss, T = {temperature:g}) on {sum(len(g) for g in data.groups)} inputs")
    train_log = train_student(model, data, pad, loss=loss, settings=settings, select=select,
                              log=lambda m: say(m))

    metrics = {"validation": _validation_measures(enc, student_logits(model, enc.valid_ids, pad, s.device),
                                                  d.label_names, full=True, seed=s.seed),
               "labelled": _labelled_measures(enc, model, pad, s.device)}
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    latency = measure_latency(model, enc.valid_ids, pad, device=s.device)
    weights = out / "model.safetensors"
    file_bytes = weights.stat().st_size if weights.exists() else None
    params = int(sum(p.numel() for p in model.parameters()))
    result = DistillResult(out_dir=out, method=s.method, config=config, parameters=params, size_bytes=4 * params,
                           budget_bytes=budget, flops=config.flops, latency=latency, metrics=metrics, search=search,
                           train_log=train_log)
    summary = {
        # The student folder is meant to be published: the teacher and the data by Hub id or
        # folder/file name, never by a path of this machine (public_names).
        "method": s.method, "teacher": loaded_model_name(s.teacher), "task": d.task.name, "language": d.task.language,
        "pair_input": d.task.is_pair, "label_names": d.label_names,
        "data": {"unlabelled": path_name(s.data), "labelled": path_name(s.labelled) if s.labelled else None,
                 "train": len(d.train), "valid": len(d.valid),
                 "train_follow_ups": len(d.train_follow) if with_follow else 0,
                 "valid_follow_ups": len(d.valid_follow), "transforms": d.transforms_used},
        "budget_bytes": budget, "size_bytes": 4 * params, "weights_file_bytes": file_bytes,
        "within_budget": bool(4 * params + HEADER_ALLOWANCE <= budget), "parameters": params,
        "flops": config.flops, "gflops": config.flops / 1e9, "architecture": config.as_dict(),
        "searched_vocab_size": search.chosen.vocab_size, "latency": latency,
        "temperature": temperature, "metrics": metrics, "training": train_log,
        "settings": _public_settings(s),
        "search_space": {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(space).items()},
        "seconds": round(time.perf_counter() - started, 2),
    }
    from ..fileio import atomic_write_json, atomic_write_text
    from .card import render_card

    files = [atomic_write_json(out / "search.json", _jsonable(search.as_dict())),
             atomic_write_json(out / "distillation.json", _jsonable(summary)),
             atomic_write_text(out / "README.md", render_card(summary, search))]
    result.files = [out / "config.json", weights] + [Path(f) for f in files]
    say(f"student written to {out} ({format_size(4 * params)}, {config.flops / 1e9:.3f} GFLOPs, "
        f"{latency['median_ms']:.2f} ms/input) in {summary['seconds']:.0f} s")
    return result


def _student_folder(out_dir: str) -> Path:
    """``--out`` checked before any work (not a file, not blank; a link followed) and locked for the run."""
    from ..outputs import lock_output, output_path

    out = output_path(out_dir, "student folder")
    if out.exists() and not out.is_dir():
        raise MetaCompressError(f"student folder {out} is an existing file, not a folder; choose another --out")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MetaCompressError(f"cannot write student folder {out}: {exc.strerror or exc}") from None
    lock_output(out, "student folder")
    return out


def _public_settings(s: DistillSettings) -> dict:
    """The settings as ``distillation.json`` records them: paths by file/folder name (the folder is published)."""
    out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(s).items()
           if k not in ("space", "out_dir", "workers")}  # (the worker count changes nothing in the result)
    out["teacher"] = loaded_model_name(s.teacher)
    for key in ("data", "labelled", "functions"):
        if out.get(key):
            out[key] = path_name(out[key])
    return out


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj
