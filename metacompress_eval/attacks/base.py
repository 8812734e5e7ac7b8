"""Shared machinery of the adversarial searches: goal, budget, model oracle, search state, results.

An attack takes one correctly classified input and searches, within a query budget, for a
semantics-preserving variant that the target model classifies differently. The variants are
described by a :class:`Variant`:

* ``renames`` — symbol index → new name, for the *renamable* symbols of the scope analysis
  (:func:`metacompress_eval.code.scopes.analyze`). A symbol is renamed at ALL of its resolved
  occurrences (declarations and uses) by byte-range edits on the original text, exactly as
  ``rename_variables`` does; never by text replacement. Candidate names are fresh by the same rule
  as ``rename_variables`` (not a reserved word or well-known library name of the language and not a
  word anywhere in the original snippet), and two symbols never get the same name.
* ``steps`` — optional further transformations (``(name, seed)``, e.g. ``("dead_code", 17)``),
  applied in order to the renamed text with the registry's own validation.

Every rendered variant is re-parsed and dropped when it has syntax errors, and (``verify=True``)
an adversarial example is only reported after the compiler check of
:func:`metacompress_eval.verify.compare` found no new diagnostics — the same validity checks as any
follow-up. Its provenance records the full chain of edits.

**Queries.** One query is one model input evaluated through :class:`~metacompress_eval.inference.
InferenceEngine` (cached or not: the count must not depend on the state of the cache). The
prediction on the original input counts as the first query. The candidates of one search step are
sent in one ``predict`` call; when fewer queries remain than candidates, only the first
``remaining`` candidates are evaluated, so the budget is never exceeded.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from metacompress_eval.code.edits import apply_edits
from metacompress_eval.code.languages import parse
from metacompress_eval.code.scopes import analyze, has_scope_analysis, words_in
from metacompress_eval.code.names import RESERVED
from metacompress_eval.code.renaming import OccurrenceMismatch, symbol_edits
from metacompress_eval.data import SourceInput
from metacompress_eval.errors import MetaCompressError
from metacompress_eval.follow_ups import FollowUpInput
from metacompress_eval.relations import ATTACK_PREFIX

SUCCESSFUL = "successful"
FAILED = "failed"
SKIPPED = "skipped"

#: Skip reasons (``AttackResult.reason`` when ``status == "skipped"``).
SKIP_MISCLASSIFIED = "misclassified already"
SKIP_NO_IDENTIFIERS = "no renamable identifiers"
SKIP_UNPARSABLE = "source does not parse"


class BudgetExhausted(Exception):
    """Raised when a search asks for a query and none is left."""


@dataclass
class QueryBudget:
    """At most ``limit`` model inputs may be evaluated; ``used`` counts those evaluated so far."""

    limit: int
    used: int = 0

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise MetaCompressError("the attack budget must be at least 1 query")

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    def spend(self, n: int) -> None:
        if n > self.remaining:  # defensive: callers truncate first
            raise BudgetExhausted(f"{n} queries requested, {self.remaining} left")
        self.used += n


@dataclass(frozen=True)
class AttackGoal:
    """Untargeted misclassification: success when the predicted class differs from ``label``.

    ``label`` is the gold label, or the model's own clean prediction on unlabelled data.
    """

    label: int

    def score(self, probs: np.ndarray) -> float:
        """What the searches minimise: the probability of the true class."""
        return float(probs[self.label])

    def reached(self, probs: np.ndarray) -> bool:
        return int(np.argmax(probs)) != self.label


class Oracle:
    """The target model as a black box: probabilities for candidate codes of the attacked side.

    Args:
        engine: an :class:`~metacompress_eval.inference.InferenceEngine` (or anything with
            ``predict(list of input tuples) -> object with .probs``).
        inputs: the original model input (one text, or a pair).
        side: index of the attacked text in ``inputs``.
        budget: the query budget (shared with the clean query).
    """

    def __init__(self, engine, inputs: tuple[str, ...], side: int, budget: QueryBudget) -> None:
        self.engine = engine
        self.inputs = tuple(inputs)
        self.side = side
        self.budget = budget

    def full_inputs(self, code: str) -> tuple[str, ...]:
        """The model input with the attacked side replaced by ``code``."""
        parts = list(self.inputs)
        parts[self.side] = code
        return tuple(parts)

    def query(self, codes: Sequence[str]) -> np.ndarray:
        """Probabilities of the first ``min(len(codes), remaining)`` codes, in ONE predict call."""
        if not codes:
            return np.zeros((0, 0))
        if self.budget.remaining == 0:
            raise BudgetExhausted("query budget exhausted")
        codes = list(codes)[: self.budget.remaining]
        self.budget.spend(len(codes))
        return np.asarray(self.engine.predict([self.full_inputs(c) for c in codes]).probs)


@dataclass(frozen=True)
class Variant:
    """A point of the search space: renames of analysed symbols plus further transformation steps."""

    renames: tuple[tuple[int, str], ...] = ()
    steps: tuple[tuple[str, int], ...] = ()

    @property
    def mapping(self) -> dict[int, str]:
        return dict(self.renames)

    def with_rename(self, index: int, name: str | None) -> "Variant":
        """This variant with symbol ``index`` renamed to ``name`` (``None``: back to its own name).

        The rename order is kept (a changed symbol keeps its place) so provenance lists renames in
        the order the search made them.
        """
        renames = [(i, n) for i, n in self.renames if i != index or name is not None]
        renames = [(i, name if i == index else n) for i, n in renames]
        if name is not None and index not in dict(self.renames):
            renames.append((index, name))
        return Variant(tuple(renames), self.steps)

    def with_step(self, name: str, seed: int) -> "Variant":
        return Variant(self.renames, self.steps + ((name, seed),))

    @property
    def n_edits(self) -> int:
        """Renamed symbols plus transformation steps."""
        return len(self.renames) + len(self.steps)


@dataclass
class Rendered:
    """A variant turned into code, with the provenance of every edit."""

    code: str
    renames: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    sites: list[dict[str, Any]]


class Subject:
    """The attacked text of one input: parse, renamable symbols, fresh-name rules, rendering.

    Raises:
        MetaCompressError: never; check :attr:`parse_error` instead.
    """

    def __init__(self, code: str, language: str) -> None:
        self.code = code
        self.language = language
        self.parse_error: str | None = None
        self.symbols = []
        self.parsed = None
        self.taken: set[str] = set()
        try:
            self.parsed = parse(code, language)
        except MetaCompressError as exc:
            self.parse_error = str(exc)
            return
        if self.parsed.error_count():
            self.parse_error = "source has syntax errors"
            return
        if has_scope_analysis(language):
            self.symbols = analyze(self.parsed).renamable_symbols()
        # Fresh-name rule of rename_variables: no reserved word, no word of the original snippet.
        self.taken = words_in(self.parsed.data) | set(RESERVED.get(language, ()))
        self._cache: dict[Variant, Rendered | None] = {}

    def is_fresh(self, name: str, variant: Variant, index: int) -> bool:
        """Whether ``name`` may be given to symbol ``index`` in ``variant`` (fresh and unused)."""
        if name in self.taken:
            return False
        return all(n != name for i, n in variant.renames if i != index)

    def render(self, variant: Variant) -> Rendered | None:
        """The code of ``variant``, or ``None`` when it is invalid (a step failed, syntax errors)."""
        if variant in self._cache:
            return self._cache[variant]
        self._cache[variant] = result = self._render(variant)
        return result

    def _render(self, variant: Variant) -> Rendered | None:
        from metacompress_eval.transforms import get_transformation

        edits, renames = [], []
        for index, new in variant.renames:
            symbol = self.symbols[index]
            try:
                found = symbol_edits(self.parsed, symbol, new)
            except OccurrenceMismatch:
                return None
            edits.extend(found)
            renames.append({"old": symbol.name, "new": new, "kind": symbol.kind,
                            "declaration": min(symbol.declarations)[0], "occurrences": len(found)})
        code = apply_edits(self.parsed.data, edits).decode("utf-8") if edits else self.code
        sites = [{"start": e.start, "end": e.end,
                  "original": self.parsed.data[e.start:e.end].decode("utf-8", errors="replace"),
                  "replacement": e.replacement} for e in sorted(edits, key=lambda e: (e.start, e.end))]
        steps = []
        for name, seed in variant.steps:
            result = get_transformation(name).apply(code, self.language, seed=seed)
            if not result.applied:
                return None
            code = result.code
            steps.append(result.provenance())
        if code == self.code:
            return None
        if variant.renames and not variant.steps and parse(code, self.language).error_count():
            return None  # cannot happen with fresh names, but an adversarial example must parse
        return Rendered(code, renames, steps, sites)


@dataclass
class AttackResult:
    """Outcome of attacking one input.

    Attributes:
        source_id: id of the source example.
        method: ``random``, ``mhm`` or ``alert``.
        model: name of the attacked model (its role in a suite: ``teacher``/``student``).
        status: ``successful``, ``failed`` or ``skipped``.
        reason: for skipped: misclassified already / no renamable identifiers / source does not
            parse; for failed: budget exhausted / search space exhausted / ...
        label: the goal label (gold label, or the clean prediction on unlabelled data).
        gold: the gold label (``None`` when unlabelled).
        original_prediction / adversarial_prediction: argmax on the source / on the adversarial example.
        original_probs / adversarial_probs: the model's class probabilities.
        queries: model inputs evaluated (the clean query included).
        edits: renamed symbols + transformation steps of the adversarial example.
        seconds: wall time of the search.
        side: index of the attacked text (pair tasks).
        inputs / adversarial_inputs: original and adversarial model inputs.
        provenance: ``{"renames", "steps", "sites", "seed", "side", "language"}``.
    """

    source_id: str
    method: str
    model: str
    status: str
    reason: str | None
    label: int
    gold: int | None
    original_prediction: int
    original_probs: list[float]
    inputs: tuple[str, ...]
    side: int = 0
    adversarial_prediction: int | None = None
    adversarial_probs: list[float] | None = None
    adversarial_inputs: tuple[str, ...] | None = None
    queries: int = 0
    edits: int = 0
    seconds: float = 0.0
    provenance: dict[str, Any] | None = None

    @property
    def successful(self) -> bool:
        return self.status == SUCCESSFUL

    def as_row(self) -> dict[str, Any]:
        """JSON-serialisable row (the adversarial code under ``code``/``code1``,``code2``)."""
        row: dict[str, Any] = {"id": f"{self.source_id}::{self.method}::{self.model}", "source_id": self.source_id,
                               "method": self.method, "model": self.model, "status": self.status,
                               "reason": self.reason, "label": self.gold, "goal_label": self.label,
                               "original_prediction": self.original_prediction,
                               "adversarial_prediction": self.adversarial_prediction,
                               "original_probs": self.original_probs, "adversarial_probs": self.adversarial_probs,
                               "queries": self.queries, "edits": self.edits, "seconds": round(self.seconds, 4),
                               "side": self.side}
        codes = self.adversarial_inputs or self.inputs
        if len(codes) == 1:
            row["code"] = codes[0]
        else:
            for i, c in enumerate(codes, start=1):
                row[f"code{i}"] = c
        row["provenance"] = self.provenance
        return row

    def as_follow_up(self) -> FollowUpInput:
        """The adversarial example as a follow-up of its source, named ``attack:<method>``.

        Only the attacked text carries provenance (the other text of a pair is the source's own);
        the provenance adds which model was attacked. Only for successful results.
        """
        if not self.successful:
            raise ValueError(f"{self.source_id}: only a successful attack has an adversarial example")
        provenance = {**(self.provenance or {}), "attacked_model": self.model}
        return FollowUpInput(source_id=self.source_id, transformation=f"{ATTACK_PREFIX}{self.method}",
                             inputs=tuple(self.adversarial_inputs),
                             provenance=[provenance if side == self.side else None
                                         for side in range(len(self.adversarial_inputs))])


@dataclass
class SearchContext:
    """What a search method sees: the subject, the oracle, the goal, a seeded RNG, the state so far."""

    subject: Subject
    oracle: Oracle
    goal: AttackGoal
    rng: random.Random
    clean_probs: np.ndarray
    verify: bool = False
    found: tuple[Variant, Rendered, np.ndarray] | None = None
    invalid: set = field(default_factory=set)

    @property
    def clean_score(self) -> float:
        return self.goal.score(self.clean_probs)

    def evaluate(self, variants: Sequence[Variant]) -> list[tuple[Variant, float, np.ndarray]]:
        """Score ``variants`` with one model call; returns ``(variant, score, probs)`` per evaluated one.

        Invalid and duplicate variants cost nothing. When one reaches the goal (and passes the
        compiler check when ``verify``), it is stored in :attr:`found`; searches stop on it.

        Raises:
            BudgetExhausted: when no query is left.
        """
        unique, seen = [], set()
        for v in variants:
            if v in seen or v in self.invalid:
                continue
            seen.add(v)
            rendered = self.subject.render(v)
            if rendered is None:
                self.invalid.add(v)
                continue
            unique.append((v, rendered))
        if not unique:
            return []
        probs = self.oracle.query([r.code for _, r in unique])
        out = []
        for (v, rendered), p in zip(unique, probs):
            out.append((v, self.goal.score(p), p))
            if self.found is None and self.goal.reached(p) and self._valid(rendered):
                self.found = (v, rendered, p)
        return out

    def _valid(self, rendered: Rendered) -> bool:
        if not self.verify:
            return True
        from metacompress_eval.verify import compare

        return compare(self.subject.code, rendered.code, self.subject.language).ok


class Attack:
    """Base class of the search methods; subclasses implement :meth:`search`.

    Args:
        budget: maximum number of queries per input (the clean query included).
        seed: run seed; each input's RNG is seeded from (seed, method, source id), so the same input
            gets the same search against every model.
        side: which text of a pair input is attacked (default: the last one, e.g. the second
            function of a clone pair); ignored for single inputs.
        transforms: further transformation names the search may apply besides renaming (only the
            methods that support it: ``random`` and ``mhm``).
        verify: require an adversarial example to pass the compiler check.
    """

    name = ""
    supports_transforms = False

    def __init__(self, budget: int = 50, seed: int = 0, side: int | None = None,
                 transforms: Sequence[str] = (), verify: bool = False, **params: Any) -> None:
        self.budget = int(budget)
        if self.budget < 1:
            raise MetaCompressError("the attack budget must be at least 1 query")
        self.seed = seed
        self.side = side
        self.transforms = tuple(transforms)
        if self.transforms and not self.supports_transforms:
            raise MetaCompressError(f"attack {self.name!r} searches identifier renamings only; "
                                    f"drop the extra transformations {list(self.transforms)}")
        if self.transforms:
            from metacompress_eval.transforms import get_transformation

            for t in self.transforms:
                get_transformation(t)  # unknown names fail here, not in the middle of a search
        self.verify = verify
        self.params = params

    def describe(self) -> dict[str, Any]:
        return {"method": self.name, "budget": self.budget, "seed": self.seed, "side": self.side,
                "transforms": list(self.transforms), "verify": self.verify,
                **{k: v for k, v in self.params.items() if isinstance(v, (int, float, str, bool, type(None)))}}

    def search(self, ctx: SearchContext) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def prepare(self, subject: Subject) -> None:
        """Hook run once per input before the search (no queries)."""

    def attack(self, source: SourceInput, engine, language: str, *, model: str = "model",
               clean_probs: np.ndarray | None = None) -> AttackResult:
        """Attack ``source`` against the model behind ``engine``.

        ``clean_probs`` (the model's probabilities on the source, e.g. from a batched clean pass)
        saves the clean model call; it still counts as one query.
        """
        from metacompress_eval.follow_ups import derive_seed

        started = time.perf_counter()
        inputs = tuple(source.inputs)
        side = (len(inputs) - 1 if self.side is None else self.side) if len(inputs) > 1 else 0
        if not 0 <= side < len(inputs):
            raise MetaCompressError(f"attack side {side} out of range for inputs with {len(inputs)} texts")
        budget = QueryBudget(self.budget)
        oracle = Oracle(engine, inputs, side, budget)
        if clean_probs is None:
            clean_probs = np.asarray(engine.predict([inputs]).probs[0])
        budget.spend(1)
        clean_probs = np.asarray(clean_probs, dtype=np.float64)
        pred = int(np.argmax(clean_probs))
        goal = AttackGoal(source.label if source.label is not None else pred)
        seed = derive_seed(self.seed, "attack", self.name, source.id)
        result = AttackResult(source.id, self.name, model, SKIPPED, None, goal.label, source.label, pred,
                              [float(p) for p in clean_probs], inputs, side=side)

        def finish(status: str, reason: str | None) -> AttackResult:
            result.status, result.reason = status, reason
            result.queries = budget.used
            result.seconds = time.perf_counter() - started
            return result

        if pred != goal.label:
            return finish(SKIPPED, SKIP_MISCLASSIFIED)
        subject = Subject(inputs[side], language)
        if subject.parse_error:
            return finish(SKIPPED, SKIP_UNPARSABLE)
        if not subject.symbols and not self.transforms:
            return finish(SKIPPED, SKIP_NO_IDENTIFIERS)
        ctx = SearchContext(subject, oracle, goal, random.Random(seed), clean_probs, verify=self.verify)
        self.prepare(subject)
        reason = "search space exhausted"
        try:
            self.search(ctx)
        except BudgetExhausted:
            reason = "budget exhausted"
        if ctx.found is None:
            if budget.remaining == 0:
                reason = "budget exhausted"
            return finish(FAILED, reason)
        variant, rendered, probs = ctx.found
        result.adversarial_inputs = oracle.full_inputs(rendered.code)
        result.adversarial_probs = [float(p) for p in probs]
        result.adversarial_prediction = int(np.argmax(probs))
        result.edits = variant.n_edits
        result.provenance = {"method": self.name, "language": language, "side": side, "seed": seed,
                             "renames": rendered.renames, "steps": rendered.steps, "sites": rendered.sites}
        return finish(SUCCESSFUL, None)
