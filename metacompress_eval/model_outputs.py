"""The model-outputs stage: model spec → loaded model, and inputs → cached class probabilities.

Every front end runs models through these functions — ``evaluate`` (:mod:`metacompress_eval.pipeline`),
the Space's probe and run, the attack suite's adversarial follow-ups — so batching, caching and the
label alignment of a teacher/student pair happen one way. :class:`EvaluationRows` is what the
relations are computed over: the sources, then their follow-ups (made by transformations or found
by attacks), each row knowing its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import numpy as np

from .errors import MetaCompressError

if TYPE_CHECKING:  # pragma: no cover
    from .data import SourceInput
    from .follow_ups import FollowUpInput, FollowUpRef, FollowUpSet
    from .inference import InferenceStats, OutputCache, Prediction
    from .models import LoadedModel
    from .relations import EvaluationOutputs
    from .tasks import TaskSpec

Inputs = tuple[str, ...]


@dataclass(frozen=True)
class ModelSpec:
    """Which model to load and how: a folder, file or Hub id, its adapter and the loading options.

    Attributes:
        name: folder, state-dict file, stored-outputs file or Hub id.
        tokenizer: a different tokenizer folder or Hub id (default: the model's own).
        max_length: input length in tokens (default: the model's).
        trust_remote_code: allow custom modelling code and plugin adapters (off by default).
        adapter: the adapter (``docs/adapters.md``); ``None`` detects it.
        options: adapter options (``key → value`` text, as ``--…-option key=value`` gives them).
    """

    name: str
    tokenizer: str | None = None
    max_length: int | None = None
    trust_remote_code: bool = False
    adapter: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    dtype: str = "float32"

    def load(self, role: str = "model", device: str = "cpu", *, task: "TaskSpec | None" = None) -> "LoadedModel":
        """The loaded model (see :func:`metacompress_eval.models.load_model`).

        With ``task``, a model whose head cannot take that task's inputs (a pair head given single
        functions, or the reverse) is refused right after loading, before any data is read or any
        inference runs (:func:`check_task`). Every command that loads a model for a task passes it,
        so they all refuse the same way.
        """
        from .models import load_model

        model = load_model(self.name, role=role, tokenizer=self.tokenizer, device=device, max_length=self.max_length,
                           trust_remote_code=self.trust_remote_code, adapter=self.adapter, options=dict(self.options),
                           dtype=self.dtype)
        if task is not None:
            check_task(model, role, task)
        return model


def check_task(model: "LoadedModel", role: str, task: "TaskSpec") -> None:
    """Refuse ``model`` for ``task`` when its head cannot take the task's inputs, or gives another number
    of classes than the task has (a 3-output head on binary clone data), in one line (exit 2)."""
    model.check_task(role, pair=task.is_pair, task=task.name)
    classes = len(model.label_names)
    if task.num_classes and classes != task.num_classes:
        raise MetaCompressError(f"{role} {model.name}: it gives {classes} classes {model.label_names}, but --task "
                                f"{task.name} has {task.num_classes}; choose the task the model was trained for "
                                "(or --task classification)")


def load_teacher_student(teacher: ModelSpec, student: ModelSpec, *, device: str = "cpu", label_map: str | None = None,
                         log: Callable[[str], None] | None = None,
                         task: "TaskSpec | None" = None) -> tuple["LoadedModel", "LoadedModel"]:
    """Load both models and put the student's outputs into the teacher's label order.

    ``label_map`` is the CLI's ``--label-map`` text (``'neg=0,pos=1'``) for label names that differ;
    ``task``: refuse a model whose head cannot take the task's inputs (:meth:`ModelSpec.load`).
    """
    from .models import align_label_spaces, parse_label_map

    say = log or (lambda message: None)
    say(f"loading teacher {teacher.name}")
    t = teacher.load("teacher", device, task=task)
    say(f"loading student {student.name}")
    s = student.load("student", device, task=task)
    align_label_spaces(t, s, parse_label_map(label_map))
    return t, s


def run_models(models: Mapping[str, "LoadedModel"], inputs: Sequence[Inputs], cache: "OutputCache | None", *,
               batch_size: int = 32, batch_tokens: int | None = None, progress: bool = False,
               log: Callable[[str], None] | None = None,
               ids: Mapping[str, Sequence | None] | None = None) -> dict[str, "Prediction"]:
    """Each model's class probabilities on ``inputs`` (``role → Prediction``), through the output cache.

    ``cache=None`` computes everything and stores nothing (the Space's probe: pasted code must not
    linger on disk). ``ids[role]`` identifies the inputs for a model that looks its outputs up by id
    (stored outputs, :meth:`EvaluationRows.ids_for`); its rows without an output are unavailable
    (NaN, ``Prediction.available``).
    """
    from .inference import InferenceEngine

    predictions = {}
    for role, model in models.items():
        engine = InferenceEngine(model, cache, batch_size=batch_size, batch_tokens=batch_tokens, progress=progress,
                                 desc=f"{role} inference", role=role)
        predictions[role] = engine.predict(list(inputs), (ids or {}).get(role))
        if log is not None:
            log_stats(log, role, model, predictions[role].stats)
    return predictions


def log_stats(log: Callable[[str], None], role: str, model: "LoadedModel", st: "InferenceStats") -> None:
    """One line about what a model's inference did."""
    if model.uses_cache:
        log(f"{role}: {st.computed} inputs computed, {st.cached} from cache ({st.forward_passes} forward passes)"
            + (f", {st.shared} shared with an input encoded alike" if st.shared else "")
            + (f", {st.unavailable} without outputs" if st.unavailable else ""))
    elif model.key_columns:
        log(f"{role}: {st.computed} stored outputs read, {st.unavailable} inputs without one")
    else:
        log(f"{role}: none ({model.coverage_note})")


def lookup_ids(model: "LoadedModel", sources: Sequence["SourceInput"], n_follow_ups: int) -> list | None:
    """The id of every row (``sources``, then ``n_follow_ups`` follow-ups) for a model that looks its
    outputs up by id, else ``None``.

    A source's id is its values of the model's ``key_columns`` (recorded by :func:`load_sources` when
    asked for, :attr:`DataSpec.key_columns`); a follow-up has none, so such a model has no output for it.
    """
    if not model.key_columns:
        return None
    ids: list = []
    for s in sources:
        keys = s.keys or {}
        ids.append(tuple(keys[c] for c in model.key_columns) if all(c in keys for c in model.key_columns) else None)
    return ids + [None] * n_follow_ups


@dataclass
class StreamedOutputs:
    """What :func:`run_models_streamed` returns.

    Attributes:
        rows: every source, then every follow-up as a :class:`~metacompress_eval.follow_ups.FollowUpRef`.
        probs: ``role → [rows, classes]`` probabilities in the teacher's label order.
        available: ``role →`` which rows the model answered (``None``: every row).
        stats: ``role → InferenceStats`` summed over chunks (and processes).
        follow_ups: the outcome counts of the transformations (its ``items`` are not kept).
    """

    rows: "EvaluationRows"
    probs: dict[str, np.ndarray]
    available: dict[str, np.ndarray | None]
    stats: dict[str, "InferenceStats"]
    follow_ups: "FollowUpSet"


@dataclass
class _ChunkOutputs:
    """One chunk's results as they travel between the processes of a multi-process launch."""

    index: int
    refs: list  # which follow-up each row is (FollowUpRef)
    lines: bytes  # the follow-ups as JSON lines (FollowUpChunk.lines), for on_follow_ups
    counts: object  # the chunk's FollowUpChunk without its sources and follow-ups
    probs: dict[str, np.ndarray]
    available: dict[str, np.ndarray | None]
    stats: dict[str, object]


def run_models_streamed(models: Mapping[str, "LoadedModel"], sources: Sequence["SourceInput"], language: str | None,
                        transformations: Sequence[str], cache: "OutputCache | None", *, seed: int = 0,
                        verify: bool = False, workers: int | None = 1, batch_size: int = 32,
                        batch_tokens: int | None = None, chunk_sources: int | None = None,
                        on_follow_ups: Callable[[bytes], None] | None = None,
                        progress: bool = False, log: Callable[[str], None] | None = None) -> StreamedOutputs:
    """Follow-ups of ``sources`` made chunk by chunk and run through every model as they come.

    Follow-up generation runs in ``workers`` processes (:func:`~metacompress_eval.follow_ups.iter_follow_up_chunks`)
    while the models score the chunks already made; only the current chunks' code is in memory, so
    memory does not grow with the number of follow-ups (beyond a few numbers per row; the C heap is kept
    from fragmenting, :func:`~metacompress_eval.heap.keep_heap_compact`). Under a
    multi-process launch (``torchrun``/``accelerate launch``) each process makes and scores only its
    shard of the chunks (chunk c belongs to process c mod N), and each round of N chunks is gathered on
    every process; every process writes what it computed to the cache. The rows, their order, the
    follow-ups and the counts are the same for any number of workers and processes.

    ``on_follow_ups`` receives each chunk's follow-ups in order as JSON lines (on the main process
    only; :attr:`~metacompress_eval.follow_ups.FollowUpChunk.lines`, made by the workers), e.g. to
    write them to a file; nothing else keeps them. ``log`` gets one line per model at the end.
    Models that look outputs up by id get each source's ids (:func:`lookup_ids`).
    """
    from tqdm.auto import tqdm

    from .follow_ups import DEFAULT_CHUNK_SOURCES, FollowUpRef, FollowUpSet, iter_follow_up_chunks
    from .heap import keep_heap_compact
    from .inference import InferenceEngine, InferenceStats, distributed_state

    # Without it, the activations of chunk after chunk fragment the C heap and peak memory grows with
    # the number of follow-ups (metacompress_eval/heap.py).
    keep_heap_compact()
    chunk_sources = chunk_sources or DEFAULT_CHUNK_SOURCES
    roles = list(models)
    device = str(models[roles[0]].device) if roles else "cpu"
    state = distributed_state(device)
    rank, size = (state.process_index, state.num_processes) if state is not None else (0, 1)
    main = rank == 0
    n_chunks = -(-len(sources) // chunk_sources)
    mine = iter_follow_up_chunks(sources, language, transformations, seed=seed, verify=verify, workers=workers,
                                 chunk_sources=chunk_sources, shard=(rank, size))
    engines = {role: InferenceEngine(model, cache, batch_size=batch_size, batch_tokens=batch_tokens, progress=False,
                                    role=role)
               for role, model in models.items()}
    source_probs = {role: np.full((len(sources), len(m.label_names)), np.nan) for role, m in models.items()}
    follow_probs: dict[str, list[np.ndarray]] = {role: [] for role in roles}
    source_available = {role: np.ones(len(sources), dtype=bool) for role in roles}
    follow_available: dict[str, list[np.ndarray]] = {role: [] for role in roles}
    refs: list[FollowUpRef] = []
    stats = {role: InferenceStats(processes=size) for role in roles}
    counts = FollowUpSet()
    bar = tqdm(total=len(sources), desc="follow-ups and model outputs", unit="source", leave=False,
               disable=not (progress and main))
    try:
        for round_start in range(0, n_chunks, size):
            payload = None
            if round_start + rank < n_chunks:
                chunk = next(mine)
                predictions = {role: e.predict(chunk.inputs, lookup_ids(e.loaded, chunk.sources, chunk.n_follow_ups),
                                               shard=False) for role, e in engines.items()}
                chunk_refs = [FollowUpRef(f.source_id, f.transformation) for f in chunk.items]
                # The lines only where someone writes them (made in this process when it made the chunk).
                lines = chunk.lines if on_follow_ups is not None or state is not None else b""
                chunk.items, chunk.sources = [], []
                payload = _ChunkOutputs(chunk.index, chunk_refs, lines, chunk,
                                        {r: p.probs for r, p in predictions.items()},
                                        {r: p.available for r, p in predictions.items()},
                                        {r: p.stats for r, p in predictions.items()})
            if state is None:
                gathered = [payload]
            else:
                from accelerate.utils import gather_object

                gathered = gather_object([payload])
            for part in gathered:  # in rank order, which is chunk order
                if part is None:
                    continue
                start = part.index * chunk_sources
                n_src = min(chunk_sources, len(sources) - start)
                for role in roles:
                    source_probs[role][start:start + n_src] = part.probs[role][:n_src]
                    follow_probs[role].append(part.probs[role][n_src:])
                    answered = part.available[role]
                    if answered is None:
                        answered = np.ones(len(part.probs[role]), dtype=bool)
                    source_available[role][start:start + n_src] = answered[:n_src]
                    follow_available[role].append(answered[n_src:])
                    stats[role].add(part.stats[role])
                refs += part.refs
                counts.add(part.counts, keep_items=False)
                if on_follow_ups is not None and main:
                    on_follow_ups(part.lines)
                bar.update(n_src)
    finally:
        bar.close()
        mine.close()
    counts.finish()
    probs = {role: np.concatenate([source_probs[role], *follow_probs[role]]) for role in roles}
    available = {}
    for role in roles:
        mask = np.concatenate([source_available[role], *follow_available[role]])
        available[role] = None if mask.all() else mask
    if log is not None:
        from .follow_ups import verification_line

        log(f"{len(refs)} follow-up inputs from {len(list(dict.fromkeys(transformations)))} transformation(s); "
            + verification_line(counts.overview()["verification"]))
        for role in roles:
            log_stats(log, role, models[role], stats[role])
    return StreamedOutputs(EvaluationRows(list(sources), refs), probs, available, stats, counts)


@dataclass
class EvaluationRows:
    """The evaluated inputs in report order: every source, then every follow-up.

    Follow-ups made by transformations and adversarial examples found by attacks are both
    :class:`~metacompress_eval.follow_ups.FollowUpInput`, so they take the same path to the relations.
    """

    sources: list["SourceInput"]
    follow_ups: list["FollowUpInput | FollowUpRef"] = field(default_factory=list)

    @property
    def inputs(self) -> list[Inputs]:
        """The model input of every row (rows held as a ``FollowUpRef`` have none here: see
        :func:`~metacompress_eval.follow_ups.remake_follow_up`)."""
        return [s.inputs for s in self.sources] + [getattr(f, "inputs", ()) for f in self.follow_ups]

    @property
    def source_ids(self) -> list[str]:
        return [s.id for s in self.sources] + [f.source_id for f in self.follow_ups]

    @property
    def transformations(self) -> list[str | None]:
        """``None`` for a source row, else the follow-up's transformation (``attack:<method>`` for attacks)."""
        return [None] * len(self.sources) + [f.transformation for f in self.follow_ups]

    def labels(self) -> np.ndarray:
        """Each row's gold label (a follow-up carries its source's)."""
        label_of = {s.id: s.label for s in self.sources}
        return np.array([label_of[i] for i in self.source_ids], dtype=np.int64)

    def ids_for(self, model: "LoadedModel") -> list | None:
        """The id of every row for a model that looks its outputs up by id, else ``None`` (see
        :func:`lookup_ids`)."""
        return lookup_ids(model, self.sources, len(self.follow_ups))

    def outputs(self, probs: Mapping[str, np.ndarray], label_names: Sequence[str], *, labelled: bool,
                available: Mapping[str, np.ndarray | None] | None = None) -> "EvaluationOutputs":
        """The relations' input: ``probs["teacher"]``/``probs["student"]`` hold one row per row here.

        ``available[role]`` marks the rows that model has outputs for (``None``: every row).
        """
        from .relations import EvaluationOutputs

        available = available or {}
        return EvaluationOutputs(source_ids=self.source_ids, transformations=self.transformations,
                                 labels=self.labels() if labelled else None, teacher_probs=probs["teacher"],
                                 student_probs=probs["student"], label_names=list(label_names),
                                 teacher_available=available.get("teacher"),
                                 student_available=available.get("student"))
