"""Running attacks against one model, or against a teacher and its student with the between-model measures.

:func:`run_attacks` attacks every source with one method against one model (the ``metacompress
attack`` command). :func:`run_attack_suite` does it for every method against both the teacher and
the student, measures transfer, and turns every adversarial example into a follow-up input named
``attack:<method>`` — a :class:`~metacompress_eval.follow_ups.FollowUpInput` like any other, which
the pipeline runs through the same cached inference as the transformation follow-ups — so that the
relations are reported per attack. Its ``section`` is the ``attacks`` key of ``report.json``
(``docs/report-format.md``).
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from metacompress_eval.data import SourceInput
from metacompress_eval.errors import MetaCompressError
from metacompress_eval.fileio import to_jsonable
from metacompress_eval.follow_ups import FollowUpInput

from . import measures
from .alert import ALERTAttack
from .base import Attack, AttackResult
from .mhm import MHMAttack
from .random_search import RandomAttack

ATTACKS: dict[str, type[Attack]] = {"random": RandomAttack, "mhm": MHMAttack, "alert": ALERTAttack}


def attack_names() -> list[str]:
    return list(ATTACKS)


def get_attack(name: str, **kwargs: Any) -> Attack:
    """Instantiate the search method ``name`` (``random``, ``mhm``, ``alert``)."""
    cls = ATTACKS.get(name)
    if cls is None:
        raise MetaCompressError(f"unknown attack {name!r}; choose from: {', '.join(ATTACKS)}")
    return cls(**kwargs)


def checked_methods(names: Sequence[str], what: str = "methods") -> tuple[str, ...]:
    """``names`` as the tuple of attack methods to run, or one-line :class:`MetaCompressError` naming ``what``
    (``--attacks``): at least one, each known, none twice (a repeated method would run again and its
    adversarial examples be counted twice as follow-ups)."""
    names = tuple(names)
    if not names:
        raise MetaCompressError(f"{what} names no attack; give one or more of: {', '.join(ATTACKS)}")
    unknown = [n for n in dict.fromkeys(names) if n not in ATTACKS]
    if unknown:
        raise MetaCompressError(f"unknown attack(s) {', '.join(map(str, unknown))}; choose from: {', '.join(ATTACKS)}")
    repeated = [n for n in dict.fromkeys(names) if names.count(n) > 1]
    if repeated:
        raise MetaCompressError(f"{what} names {', '.join(repeated)} more than once; each attack runs once")
    return names


#: The integer settings of :class:`AttackSettings` and the least value each takes (``None``: not set).
SETTING_MINIMUMS = {"budget": 1, "max_sources": 1, "batch_size": 1, "side": 0}


@dataclass
class AttackSettings:
    """Settings shared by every attack of a run.

    Attributes:
        methods: search methods to run.
        budget: query budget per input and model (the clean query included).
        seed: run seed (per-input seeds are derived from it, the method and the source id).
        side: attacked text of pair inputs (default: the last one).
        transforms: extra transformation families for ``random``/``mhm`` (renaming is always on).
        mlm: masked-LM checkpoint ranking ALERT's substitutes (default: corpus statistics).
        corpus: identifier statistics: a ``{name: count}`` table or code snippets (default: the
            attacked sources themselves when at least 20, else the built-in table).
        verify: compiler-check every adversarial example (``docs/verification.md``).
        max_sources: attack only the first N sources.
        batch_size: inference batch size.
    """

    methods: tuple[str, ...] = ("random", "mhm", "alert")
    budget: int = 50
    seed: int = 0
    side: int | None = None
    transforms: tuple[str, ...] = ()
    mlm: str | None = None
    corpus: Any = None
    verify: bool = False
    max_sources: int | None = None
    batch_size: int = 32
    device: str = "cpu"

    def __post_init__(self) -> None:
        # Checked here, before any model is queried: max_sources 0 would attack every source and -3 all
        # but the last three (a slice), a repeated method would count its adversarial examples twice.
        self.methods = checked_methods(self.methods)
        for name, least in SETTING_MINIMUMS.items():
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral)
                                      or value < least):
                raise MetaCompressError(f"the attack setting {name} must be a whole number of at least {least}, "
                                        f"not {value!r}")

    def describe(self) -> dict:
        corpus = self.corpus
        corpus_text = ("attacked sources" if corpus is None else f"{len(corpus)} entries")
        return {"methods": list(self.methods), "budget": self.budget, "seed": self.seed, "side": self.side,
                "transforms": list(self.transforms), "mlm": self.mlm, "corpus": corpus_text, "verify": self.verify,
                "max_sources": self.max_sources}


def make_attack(name: str, settings: AttackSettings, language: str, sources: Sequence[SourceInput]) -> Attack:
    corpus = settings.corpus
    if corpus is None and len(sources) >= 20:
        # Identifier statistics of the data at hand: the names are natural for this code base.
        side = settings.side
        corpus = [s.inputs[(len(s.inputs) - 1 if side is None else side) if len(s.inputs) > 1 else 0] for s in sources]
    transforms = settings.transforms if ATTACKS[name].supports_transforms else ()
    params: dict[str, Any] = {"corpus": corpus}
    if name == "alert":
        params.update(mlm=settings.mlm, device=settings.device)
    return get_attack(name, budget=settings.budget, seed=settings.seed, side=settings.side, transforms=transforms,
                      verify=settings.verify, **params)


def run_attacks(sources: Sequence[SourceInput], language: str, engine, attack: Attack, *, model: str = "model",
                clean_probs: np.ndarray | None = None, progress: bool = False) -> list[AttackResult]:
    """Attack every source against the model behind ``engine`` (clean predictions in one batch)."""
    from tqdm.auto import tqdm

    if clean_probs is None:
        clean_probs = engine.predict([s.inputs for s in sources]).probs
    results = []
    for source, probs in tqdm(list(zip(sources, clean_probs)), desc=f"{attack.name} vs {model}", unit="input",
                              disable=not progress, leave=False):
        results.append(attack.attack(source, engine, language, model=model, clean_probs=probs))
    return results


@dataclass
class AttackSuiteResult:
    """Everything a suite produced: the report section, all results and the adversarial follow-ups."""

    section: dict
    results: dict[str, dict[str, list[AttackResult]]]
    follow_ups: list[FollowUpInput] = field(default_factory=list)


def run_attack_suite(sources: Sequence[SourceInput], language: str, teacher, student, settings: AttackSettings,
                     *, cache=None, progress: bool = False, log: Callable[[str], None] | None = None) -> AttackSuiteResult:
    """Attack teacher and student with every method; measure drops, transfer; build follow-ups.

    ``teacher``/``student`` are :class:`~metacompress_eval.models.LoadedModel` (label spaces aligned).
    """
    from metacompress_eval.inference import InferenceEngine

    say = log or (lambda m: None)
    if not language:
        raise MetaCompressError("attacks need a programming language (--language)")
    sources = list(sources)[: settings.max_sources] if settings.max_sources else list(sources)
    # A model read from stored outputs answers only the inputs it holds: it cannot be queried on variants.
    roles = {role: m for role, m in (("teacher", teacher), ("student", student)) if m.answers_any_input}
    if not roles:
        raise MetaCompressError("attacks need a model that can score new inputs; both models are stored outputs")
    engines = {role: InferenceEngine(m, cache, batch_size=settings.batch_size, progress=False, desc=f"{role} attack",
                                     role=role)
               for role, m in roles.items()}
    clean = {role: e.predict([s.inputs for s in sources]).probs for role, e in engines.items()}
    n_classes = len(teacher.label_names)
    section: dict[str, Any] = {"settings": settings.describe(), "n_sources": len(sources), "by_attack": {}}
    not_attacked = [role for role in ("teacher", "student") if role not in roles]
    if not_attacked:
        section["not_attacked"] = {role: (teacher if role == "teacher" else student).coverage_note
                                   for role in not_attacked}
    all_results: dict[str, dict[str, list[AttackResult]]] = {}
    follow_ups: list[FollowUpInput] = []
    for method in settings.methods:
        attack = make_attack(method, settings, language, sources)
        started = time.perf_counter()
        results = {role: run_attacks(sources, language, engines[role], attack, model=role, clean_probs=clean[role],
                                     progress=progress) for role in engines}
        all_results[method] = results
        # Both models on every adversarial example (cached where the attack already ran it): transfer
        # needs the other model's prediction, and the relation rows (computed by the caller through
        # the same cache) need both.
        found = [r for role in engines for r in results[role] if r.successful]
        probs = {role: (e.predict([r.adversarial_inputs for r in found]).probs if found else np.zeros((0, n_classes)))
                 for role, e in engines.items()}
        preds = {role: {} for role in engines}
        for i, r in enumerate(found):
            other = "student" if r.model == "teacher" else "teacher"
            if other in preds:
                preds[other][r.source_id] = int(np.argmax(probs[other][i]))
        follow_ups += [r.as_follow_up() for r in found]
        m = {role: measures.model_measures(results[role], n_classes) if role in results else None
             for role in ("teacher", "student")}
        both = "teacher" in results and "student" in results
        entry = {
            "attack": attack.describe(),
            "teacher": m["teacher"],
            "student": m["student"],
            "gap": (m["student"]["success_rate"] - m["teacher"]["success_rate"])
            if both and m["student"]["success_rate"] is not None and m["teacher"]["success_rate"] is not None else None,
            "drop_ratio": measures.drop_ratio(results["teacher"], results["student"], seed=settings.seed) if both else None,
            "transfer": {
                "teacher_to_student": measures.transfer_rate(results["teacher"], results["student"], preds["student"])
                if both else None,
                "student_to_teacher": measures.transfer_rate(results["student"], results["teacher"], preds["teacher"])
                if both else None,
            },
            "follow_ups": len(found),
            "seconds": round(time.perf_counter() - started, 3),
        }
        section["by_attack"][method] = entry
        say(f"attack {method}: success " + ", ".join(f"{role} {m[role]['success']['k']}/{m[role]['success']['n']}"
                                                     for role in results) + f" ({entry['seconds']:.1f} s)")
    return AttackSuiteResult(to_jsonable(section), all_results, follow_ups)
