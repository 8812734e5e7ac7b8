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

if TYPE_CHECKING:  # pragma: no cover
    from .data import SourceInput
    from .follow_ups import FollowUpInput
    from .inference import OutputCache, Prediction
    from .models import LoadedModel
    from .relations import EvaluationOutputs

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

    def load(self, role: str = "model", device: str = "cpu") -> "LoadedModel":
        """The loaded model (see :func:`metacompress_eval.models.load_model`)."""
        from .models import load_model

        return load_model(self.name, role=role, tokenizer=self.tokenizer, device=device, max_length=self.max_length,
                          trust_remote_code=self.trust_remote_code, adapter=self.adapter, options=dict(self.options))


def load_teacher_student(teacher: ModelSpec, student: ModelSpec, *, device: str = "cpu", label_map: str | None = None,
                         log: Callable[[str], None] | None = None) -> tuple["LoadedModel", "LoadedModel"]:
    """Load both models and put the student's outputs into the teacher's label order.

    ``label_map`` is the CLI's ``--label-map`` text (``'neg=0,pos=1'``) for label names that differ.
    """
    from .models import align_label_spaces, parse_label_map

    say = log or (lambda message: None)
    say(f"loading teacher {teacher.name}")
    t = teacher.load("teacher", device)
    say(f"loading student {student.name}")
    s = student.load("student", device)
    align_label_spaces(t, s, parse_label_map(label_map))
    return t, s


def run_models(models: Mapping[str, "LoadedModel"], inputs: Sequence[Inputs], cache: "OutputCache | None", *,
               batch_size: int = 32, progress: bool = False, log: Callable[[str], None] | None = None,
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
        engine = InferenceEngine(model, cache, batch_size=batch_size, progress=progress, desc=f"{role} inference")
        predictions[role] = engine.predict(list(inputs), (ids or {}).get(role))
        if log is not None:
            st = predictions[role].stats
            if model.uses_cache:
                log(f"{role}: {st.computed} inputs computed, {st.cached} from cache ({st.forward_passes} forward passes)"
                    + (f", {st.unavailable} without outputs" if st.unavailable else ""))
            elif model.key_columns:
                log(f"{role}: {st.computed} stored outputs read, {st.unavailable} inputs without one")
            else:
                log(f"{role}: none ({model.coverage_note})")
    return predictions


@dataclass
class EvaluationRows:
    """The evaluated inputs in report order: every source, then every follow-up.

    Follow-ups made by transformations and adversarial examples found by attacks are both
    :class:`~metacompress_eval.follow_ups.FollowUpInput`, so they take the same path to the relations.
    """

    sources: list["SourceInput"]
    follow_ups: list["FollowUpInput"] = field(default_factory=list)

    @property
    def inputs(self) -> list[Inputs]:
        """The model input of every row."""
        return [s.inputs for s in self.sources] + [f.inputs for f in self.follow_ups]

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
        """The id of every row for a model that looks its outputs up by id, else ``None``.

        A source's id is its values of the model's ``key_columns`` (recorded by :func:`load_sources`
        when asked for, :attr:`DataSpec.key_columns`); a follow-up has none, so such a model has no
        output for it.
        """
        if not model.key_columns:
            return None
        ids: list = []
        for s in self.sources:
            keys = s.keys or {}
            ids.append(tuple(keys[c] for c in model.key_columns) if all(c in keys for c in model.key_columns)
                       else None)
        return ids + [None] * len(self.follow_ups)

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
