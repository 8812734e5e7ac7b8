"""The evaluation pipeline: dataset → follow-ups → model outputs (cached) → relations → report.

Each stage lives in its own module and can be used alone; this module only wires them together
and writes the output folder:

``report.json``   the machine-readable report (schema in ``docs/report-format.md``)
``report.md``     the same for people, with the worst discrepancies shown as code
``*.png``         plots
``follow_ups.jsonl``   every follow-up input with its provenance
``predictions.jsonl``  both models' probabilities on every evaluated input
``representations.jsonl``  with ``representations``: both models' representation shift per follow-up
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import platform
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import numpy as np

from . import __version__
from .console import logger, warn
from .data import DEFAULT_MAX_CODE_CHARS, DataSpec, load_sources
from .errors import MetaCompressError
from .fileio import AtomicJsonlWriter, atomic_write_json, atomic_write_jsonl, atomic_write_text
from .follow_ups import (FollowUpRef, check_transformations, language_warning, remake_follow_up, resolve_workers,
                         workers_note)
from .inference import OutputCache, distributed_state
from .model_outputs import EvaluationRows, ModelSpec, load_teacher_student, run_models, run_models_streamed
from .models.base import AbsentModel
from .outputs import OutputFolder, write_failed
from .public_names import data_name as public_data_name, loaded_model_name, public_report
from .relations import EvaluationOutputs, Thresholds, analyze
from .representations import RepresentationSettings
from .tasks import get_task
from .transforms import DEFAULT_TRANSFORMS

# 2.0: class-aware per-input CA, HCP's converse (HCC), the fidelity section (top-1 agreement, KL),
# per-source (macro) averages, three-valued calibration verdicts, clustered McNemar; 2.1: the optional
# representations section; 2.2: fidelity's mean |ΔP|, coverage of partial outputs, attacks.not_attacked;
# 2.3: ci_method wilson_units for paired differences, no bootstrap interval on one unit
# (docs/report-format.md, "Versions").
SCHEMA_VERSION = "2.3"


@dataclass
class EvaluationConfig:
    """Everything one evaluation run needs. Field defaults are the CLI defaults."""

    teacher: str | None  # None: no teacher (the student's own figures only; docs/adapters.md)
    student: str
    data: str
    task: str = "defect"
    out_dir: str = "metacompress-report"
    code_columns: tuple[str, ...] | None = None
    label_column: str | None = "label"
    id_column: str | None = "id"
    language: str | None = ""
    split: str | None = None
    where: dict[str, str] = field(default_factory=dict)
    pair_ids: tuple[str, str] | None = None
    functions: str | None = None
    transforms: tuple[str, ...] = DEFAULT_TRANSFORMS
    seed: int = 0
    max_sources: int | None = None
    max_code_chars: int = DEFAULT_MAX_CODE_CHARS
    batch_size: int = 32
    batch_tokens: int | None = None  # padded tokens per forward pass; None: batch_size x the model's max length
    device: str = "cpu"
    dtype: str = "float32"  # float32, bfloat16 or float16 (models/base.py DTYPES)
    workers: int | None = None  # follow-up worker processes; None or 0: one per usable CPU
    chunk_sources: int | None = None  # sources per streamed chunk (follow_ups.DEFAULT_CHUNK_SOURCES)
    teacher_tokenizer: str | None = None
    student_tokenizer: str | None = None
    teacher_max_length: int | None = None
    student_max_length: int | None = None
    # Adapters (docs/adapters.md): None detects; options are the --teacher-option/--student-option pairs.
    teacher_adapter: str | None = None
    student_adapter: str | None = None
    teacher_options: dict[str, str] = field(default_factory=dict)
    student_options: dict[str, str] = field(default_factory=dict)
    label_map: str | None = None
    trust_remote_code: bool = False
    cache_dir: str | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)
    worst_k: int = 10
    progress: bool = True
    # Drop follow-ups that add compiler errors (docs/verification.md). On by default: measured to
    # add 6-13% to an evaluate run on the shared corpora (BENCHMARKS.md, bench_verify_cost.py).
    verify: bool = True
    context_column: str | None = None  # each row's enclosing file (docs/transformations.md, "Context")
    # Adversarial attacks (docs/attacks.md): method names; empty = no attacks section.
    attacks: tuple[str, ...] = ()
    attack_budget: int = 50
    attack_mlm: str | None = None
    attack_max_sources: int | None = None
    attack_transforms: tuple[str, ...] = ()
    # How the report names the models and the data ("name" fields; default: Hub id or folder/file
    # name, see public_names). public_only: record those names only, never the paths given (the
    # Space's Run hands its report folder to visitors).
    teacher_name: str | None = None
    student_name: str | None = None
    data_name: str | None = None
    public_only: bool = False
    # Internal representations (docs/representations.md): None = not compared.
    representations: RepresentationSettings | None = None

    @property
    def data_spec(self) -> DataSpec:
        """Where the sources come from (see :func:`metacompress_eval.data.load_sources`)."""
        return DataSpec(self.data, split=self.split, where=dict(self.where), pair_ids=self.pair_ids,
                        functions=self.functions, max_code_chars=self.max_code_chars, max_sources=self.max_sources,
                        context_column=self.context_column)

    @property
    def teacher_spec(self) -> ModelSpec:
        return ModelSpec(self.teacher, self.teacher_tokenizer, self.teacher_max_length, self.trust_remote_code,
                         self.teacher_adapter, dict(self.teacher_options), self.dtype)

    @property
    def student_spec(self) -> ModelSpec:
        return ModelSpec(self.student, self.student_tokenizer, self.student_max_length, self.trust_remote_code,
                         self.student_adapter, dict(self.student_options), self.dtype)


@dataclass
class EvaluationResult:
    """The report dict and where its files were written."""

    report: dict
    out_dir: Path
    files: list[Path]
    main_process: bool = True  # False on the other processes of a multi-process launch (they write nothing)


def run_evaluation(config: EvaluationConfig, log: Callable[[str], None] | None = None) -> EvaluationResult:
    """Run the whole pipeline for one teacher/student pair and write the report folder."""
    # Under accelerate launch / torchrun, each process makes and scores its shard of the chunks of
    # sources (model_outputs.run_models_streamed); the analysis runs on every process, and only the
    # main process logs and writes files.
    state = distributed_state(config.device)
    main = state is None or state.is_main_process
    say = log or logger(config.progress and main)
    device = config.device
    if state is not None and device in ("cuda", "gpu"):
        device = f"cuda:{state.local_process_index}"  # one GPU per process
    if state is not None:
        say(f"{state.num_processes} processes (torchrun / accelerate launch): inference is sharded across them; "
            "this one writes the report")
    started = time.perf_counter()
    task = get_task(config.task, code_columns=config.code_columns, label_column=config.label_column,
                    id_column=config.id_column, language=config.language)
    if config.batch_size < 1:
        raise MetaCompressError("--batch-size must be at least 1")
    if config.batch_tokens is not None and config.batch_tokens < 1:
        raise MetaCompressError("--batch-tokens must be at least 1")
    attack_settings = _attack_settings(config, device) if config.attacks else None  # checked before any work
    # The report folder is checked (and its staging folder made) before any work; it is written
    # whole at the end, so a failure anywhere leaves an earlier report as it was.
    folder = OutputFolder(config.out_dir, what="report folder", markers=("report.json",)) if main else None
    with folder if folder is not None else contextlib.nullcontext():
        return _run(config, task, state, main, say, device, started, folder, attack_settings)


def _attack_settings(config: EvaluationConfig, device: str):
    """The :class:`~metacompress_eval.attacks.AttackSettings` of ``config`` (checked when made)."""
    from .attacks import AttackSettings

    return AttackSettings(methods=tuple(config.attacks), budget=config.attack_budget, seed=config.seed,
                          transforms=tuple(config.attack_transforms), mlm=config.attack_mlm, verify=config.verify,
                          max_sources=config.attack_max_sources, batch_size=config.batch_size, device=device)


def _run(config: EvaluationConfig, task, state, main: bool, say, device: str, started: float,
         folder: OutputFolder | None, attack_settings=None) -> EvaluationResult:
    """The stages of :func:`run_evaluation` once the report folder is known to be writable."""
    cache = OutputCache.in_dir(config.cache_dir)  # opened first: an unusable cache folder fails before any work
    try:
        return _stages(config, task, state, main, say, device, started, folder, cache, attack_settings)
    finally:
        cache.close()


def _stages(config: EvaluationConfig, task, state, main: bool, say, device: str, started: float,
            folder: OutputFolder | None, cache: OutputCache, attack_settings=None) -> EvaluationResult:
    if config.teacher is None:
        say(f"no teacher: the student's own figures only (loading student {config.student})")
        student = config.student_spec.load("student", device, task=task)
        teacher = AbsentModel(student.label_names, note="no teacher was given")
    else:
        teacher, student = load_teacher_student(config.teacher_spec, config.student_spec, device=device,
                                                label_map=config.label_map, log=say, task=task)
    label_names = teacher.label_names

    models = {"teacher": teacher, "student": student}
    if config.representations is not None:
        for role, model in models.items():
            if not model.supports_hidden_states:
                raise MetaCompressError(f"--representations compares both models' hidden states; the {role} "
                                        f"({model.adapter}) has none")
    # Models that look their outputs up by id (stored outputs) need each source's ids from the data.
    key_columns = tuple(dict.fromkeys(c for m in models.values() for c in m.key_columns))
    say(f"reading {config.data}")
    data_spec = replace(config.data_spec, key_columns=key_columns)
    loaded = load_sources(data_spec, task, label_names)
    sources = loaded.sources
    skipped = sum(loaded.skipped.values())
    say(f"{len(sources)} source examples" + (f" ({skipped} rows skipped: {dict(loaded.skipped)})" if skipped else ""))
    check_stored_ids(models, loaded, key_columns, config.data)

    check_transformations(task.language, config.transforms)
    workers = resolve_workers(config.workers)
    if workers_note(config.workers) and main:
        warn(workers_note(config.workers))
    staging = folder.staging if folder is not None else None
    # follow_ups.jsonl is written into the staging folder as the chunks come, and published with the
    # rest of the report: the follow-ups are never all in memory.
    follow_up_file = AtomicJsonlWriter(staging / "follow_ups.jsonl") if staging is not None else contextlib.nullcontext()
    try:
        with follow_up_file as writer:
            streamed = run_models_streamed(
                models, sources, task.language, config.transforms, cache, seed=config.seed, verify=config.verify,
                workers=workers, batch_size=config.batch_size, batch_tokens=config.batch_tokens,
                chunk_sources=config.chunk_sources, progress=config.progress and main, log=say,
                on_follow_ups=writer.write_lines if writer else None)
    except OSError as exc:
        raise write_failed("the follow-ups to", Path(config.out_dir), exc,
                           "the earlier report there is unchanged; model outputs are cached, rerun to finish") from None
    follow_ups, rows, probs, available = streamed.follow_ups, streamed.rows, streamed.probs, streamed.available
    for role, mask in available.items():
        # A model that answered nothing (a plugin whose encode marks every input unavailable) would give a
        # report with an empty section for it and exit 0: refuse instead.
        if mask is not None and len(mask) and not mask.any() and not isinstance(models[role], AbsentModel):
            raise MetaCompressError(f"the {role} ({models[role].name}) has no output for any of the {len(mask)} "
                                    f"inputs (its {models[role].adapter} adapter marked every input unavailable); "
                                    "no report written")
    # Counted while the follow-ups were made (no parse of every source before the workers start).
    warnings = [w for w in [language_warning(sources, task.language, follow_ups)] if w]
    if main:
        for warning in warnings:
            warn(warning)
    n_follow_ups = len(rows.follow_ups)
    attack_suite = None
    if attack_settings is not None:
        from .attacks import run_attack_suite

        attacked = " and ".join(role for role, m in (("teacher", teacher), ("student", student)) if m.answers_any_input)
        say(f"attacking {attacked or 'no model'}: {', '.join(config.attacks)} (budget {config.attack_budget})")
        attack_suite = run_attack_suite(sources, task.language, teacher, student, attack_settings, cache=cache,
                                        progress=config.progress and main, log=say)
        if attack_suite.follow_ups:
            # Adversarial examples are follow-ups named "attack:<method>": the relations are computed
            # per attack. Their outputs come through the same cache (the attacks computed them), and
            # the report's "inference" figures stay those of the sources and transformation follow-ups.
            found = attack_suite.follow_ups
            adversarial = run_models(models, [f.inputs for f in found], cache, batch_size=config.batch_size,
                                     batch_tokens=config.batch_tokens, progress=config.progress and main, log=say,
                                     ids={role: [None] * len(found) for role, m in models.items() if m.key_columns})
            available = {role: _joined(available[role], adversarial[role].available, len(probs[role]), len(found))
                         for role in probs}
            rows.follow_ups += found
            probs = {role: np.concatenate([probs[role], adversarial[role].probs]) for role in probs}

    outputs = rows.outputs(probs, label_names, labelled=task.label_column is not None, available=available)
    analysis = analyze(outputs, config.thresholds, seed=config.seed, worst_k=config.worst_k)
    if "coverage" in analysis:
        for role, model in models.items():
            analysis["coverage"][role]["reason"] = model.coverage_note
    inputs_of = _example_inputs(rows, task.language, config.seed)
    compared = None
    if config.representations is not None and main:  # extra forward passes: on one process only
        compared = compare_representations(models, rows, inputs_of, config.representations, config, say)

    report = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "metacompress-eval", "version": __version__, "python": platform.python_version()},
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "task": {"name": task.name, "code_columns": list(task.code_columns), "label_column": task.label_column,
                 "id_column": task.id_column, "language": task.language,
                 "pair_ids": list(config.pair_ids) if config.pair_ids else None},
        "data": {**loaded.description, "n_sources": len(sources), "n_follow_ups": n_follow_ups,
                 "skipped": dict(loaded.skipped), "skipped_examples": loaded.skipped_examples},
        "models": {"teacher": {**teacher.describe(), "name": None if config.teacher is None
                               else config.teacher_name or loaded_model_name(config.teacher)},
                   "student": {**student.describe(), "name": config.student_name or loaded_model_name(config.student)},
                   "label_names": list(label_names)},
        "settings": {"transforms": list(config.transforms), "seed": config.seed, "thresholds": config.thresholds.as_dict(),
                     "batch_size": config.batch_size, "batch_tokens": config.batch_tokens, "device": config.device,
                     "dtype": config.dtype, "max_code_chars": config.max_code_chars,
                     "max_sources": config.max_sources, "verify": config.verify},
        "transformations": follow_ups.summary(),
        "follow_ups": follow_ups.overview(),
        "inference": {role: st.as_dict() for role, st in streamed.stats.items()},
        "analysis": analysis,
    }
    report["data"]["name"] = config.data_name or public_data_name(report["data"])
    if attack_suite is not None:
        report["attacks"] = attack_suite.section
    if compared is not None:
        report["representations"] = compared.section
    if warnings:
        report["warnings"] = warnings
    if config.public_only:
        report = public_report(report)
    report["inference"]["follow_up_workers"] = workers
    if workers_note(config.workers):  # a request above the usable CPUs: what was asked, beside what ran
        report["inference"]["follow_up_workers_requested"] = config.workers
    report["inference"]["total_seconds"] = round(time.perf_counter() - started, 3)
    files: list[Path] = []
    if folder is not None:
        try:
            written = write_report_folder(staging, report, outputs, sources, inputs_of,
                                          shifts=None if compared is None else compared.shifts)
            if attack_suite is not None:
                written.append(atomic_write_jsonl(staging / "adversarial.jsonl",
                                                  (r.as_row() for by_role in attack_suite.results.values()
                                                   for results in by_role.values() for r in results if r.successful)))
        except OSError as exc:
            raise write_failed("the report to", Path(config.out_dir), exc,
                               "the earlier report there is unchanged; model outputs are cached, rerun to finish") from None
        folder.commit()
        files = [Path(config.out_dir) / p.relative_to(staging) for p in [staging / "follow_ups.jsonl", *written]]
    if state is not None:
        state.wait_for_everyone()  # nobody exits (and tears down the process group) before the report exists
    return EvaluationResult(report=report, out_dir=Path(config.out_dir), files=files, main_process=main)


def compare_representations(models, rows: EvaluationRows, inputs_of: Callable[[int], tuple[str, ...]],
                            settings: RepresentationSettings, config: EvaluationConfig, say: Callable[[str], None]):
    """Both models' per-layer representations of the analysed rows (cached), compared layer by layer.

    Only the rows compared are given their inputs (``inputs_of``; a streamed run keeps no follow-up code).
    """
    from .representations import RepresentationCache, analyze_representations, collect, rows_to_collect

    source_ids, transformations = rows.source_ids, rows.transformations
    wanted = rows_to_collect(source_ids, transformations, settings, config.seed)
    say(f"comparing internal representations on {len(wanted)} inputs")
    inputs: list = [None] * len(source_ids)
    for i in wanted:
        inputs[i] = inputs_of(i)
    cache = RepresentationCache.in_dir(config.cache_dir)
    try:
        store = collect(models, inputs, wanted, cache, batch_size=config.batch_size, progress=config.progress,
                        log=say)
        return analyze_representations(store, source_ids, transformations, settings, seed=config.seed)
    finally:
        cache.close()


def _example_inputs(rows: EvaluationRows, language: str | None, seed: int) -> Callable[[int], tuple[str, ...]]:
    """The model input of row ``i``: a source's, an adversarial example's, or a transformation
    follow-up made again (the streamed run kept only which follow-up each row is)."""
    sources = {s.id: s for s in rows.sources}
    n_sources = len(rows.sources)

    def inputs_of(i: int) -> tuple[str, ...]:
        if i < n_sources:
            return rows.sources[i].inputs
        row = rows.follow_ups[i - n_sources]
        if isinstance(row, FollowUpRef):
            made = remake_follow_up(sources[row.source_id], language, row.transformation, seed)
            return made.inputs if made is not None else ()
        return row.inputs

    return inputs_of


def check_stored_ids(models: dict, loaded, key_columns: tuple[str, ...], data: str) -> None:
    """Before any follow-up or inference: stored outputs must belong to this data and cover some source.

    Refuses stored ids the data table does not contain (the outputs of other data) and a file that
    matches none of the sources (usually the wrong id column).
    """
    for role, model in models.items():
        if not model.key_columns:
            continue
        where = [key_columns.index(c) for c in model.key_columns]
        model.check_ids({tuple(k[i] for i in where) for k in loaded.keys_in_data}, what=f"the data ({data})")
        if not any(all(c in (s.keys or {}) for c in model.key_columns)
                   and tuple(s.keys[c] for c in model.key_columns) in model.rows for s in loaded.sources):
            raise MetaCompressError(f"{role} outputs {model.name}: none of the {len(loaded.sources)} sources has a "
                                    f"stored output (matched by {', '.join(model.key_columns)})")


def _joined(first: np.ndarray | None, second: np.ndarray | None, n_first: int, n_second: int) -> np.ndarray | None:
    """Availability of two blocks of rows put one after the other (``None`` = every row)."""
    if first is None and second is None:
        return None
    return np.concatenate([np.ones(n_first, dtype=bool) if first is None else first,
                           np.ones(n_second, dtype=bool) if second is None else second])


def write_report_folder(out_dir: Path, report: dict, outputs: EvaluationOutputs, sources,
                        inputs_of: Callable[[int], tuple[str, ...]], *,
                        shifts: list[dict] | None = None) -> list[Path]:
    """Write report.json, report.md, plots, predictions and shifts (each file atomically; the caller
    writes follow_ups.jsonl as the follow-ups are made).

    ``inputs_of(i)``: the model input of row ``i`` (for the worst discrepancies shown as code).
    """
    from .report import render_markdown, write_plots

    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    rows = []
    have_t, have_s = outputs.available("teacher"), outputs.available("student")
    for i, (sid, tname) in enumerate(zip(outputs.source_ids, outputs.transformations)):
        rows.append({"index": i, "source_id": sid, "transformation": tname,
                     "label": None if outputs.labels is None else int(outputs.labels[i]),
                     # Full precision (JSON floats round-trip float64 exactly): feeding these rows
                     # to analyze() or the evaluate module reproduces report.json's analysis exactly.
                     # null where the model has no output (stored outputs that lack the input)
                     "teacher_probs": [float(p) for p in outputs.teacher_probs[i]] if have_t[i] else None,
                     "student_probs": [float(p) for p in outputs.student_probs[i]] if have_s[i] else None})
    files.append(atomic_write_jsonl(out_dir / "predictions.jsonl", rows))
    if shifts is not None:
        files.append(atomic_write_jsonl(out_dir / "representations.jsonl", shifts))
    source_code = {s.id: s.inputs for s in sources}
    examples = {}
    for entry in report["analysis"].get("worst", []):
        i = entry["index"]
        src = source_code[outputs.source_ids[i]]
        examples[i] = {"source_id": outputs.source_ids[i], "transformation": outputs.transformations[i],
                       "source_code": "\n\n".join(src),
                       "follow_up_code": None if outputs.transformations[i] is None else "\n\n".join(inputs_of(i))}
    files += write_plots(report, outputs, out_dir, shifts=shifts)
    files.append(atomic_write_text(out_dir / "report.md", render_markdown(report, examples)))
    files.append(atomic_write_json(out_dir / "report.json", report))
    return files
