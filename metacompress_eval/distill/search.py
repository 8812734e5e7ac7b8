"""Architecture searches over :class:`~metacompress_eval.distill.search_space.SearchSpace` with pymoo.

* :func:`ga_search` -- Compressor's genetic search: one objective (maximise GFLOPs, the paper's
  proxy for capacity), the size budget as a constraint.
* :func:`nsga_search` -- AVATAR's and MORPH's multi-objective searches: several objectives
  (size, surrogate-predicted accuracy, FLOPs, and for MORPH predicted flips), constraints, and the
  Pareto front of the final population. NSGA-II for up to three objectives; NSGA-III (reference
  directions) for four or more, where NSGA-II's crowding distance no longer spreads the front.

A configuration is encoded as five integer genes (an index into each dimension's choices), so
crossover and mutation work on the grid and every offspring is a valid choice. Every evaluated
configuration is recorded (``history``) so the output folder shows what the search explored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from .search_space import DIMENSIONS, PrunedSpace, SearchSpace, StudentConfig

__all__ = ["Objective", "SearchResult", "ga_search", "nsga_search"]


@dataclass
class Objective:
    """One objective: a name and a vectorised function of genomes ``[n, 5] → [n]`` giving the value to *minimise*.

    For a quantity to maximise, ``fn`` returns it negated and ``sense`` is ``"max"``; records and
    fronts then show the quantity itself.
    """

    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    sense: str = "min"  # how the value is reported: "max" objectives are negated for pymoo


@dataclass
class SearchResult:
    """What a search found and how it got there (serialised to ``search.json``)."""

    algorithm: str
    chosen: StudentConfig
    chosen_values: dict
    front: list[dict]
    history: list[dict]
    settings: dict
    pruning: dict | None = None
    surrogates: dict | None = None
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"algorithm": self.algorithm, "settings": self.settings, "chosen": self.chosen.as_dict(),
                "chosen_values": self.chosen_values, "pruning": self.pruning, "surrogates": self.surrogates,
                "front": self.front, "n_evaluated": len(self.history), "history": self.history,
                "seconds": round(self.seconds, 3), **self.extra}


def _row(space: SearchSpace, genes: np.ndarray, values: dict, budget_bytes: int, generation: int) -> dict:
    c = space.decode(genes)
    feasible = bool(space.feasible_mask(np.asarray([genes]), budget_bytes)[0])
    return {**{d: getattr(c, d) for d in DIMENSIONS}, "parameters": c.parameters, "size_bytes": c.size_bytes,
            "flops": c.flops, "feasible": feasible, "generation": generation,
            **{k: float(v) for k, v in values.items()}}


class _Recorder:
    """Keeps every distinct configuration a search evaluated, with the generation it first appeared in."""

    def __init__(self, space: SearchSpace, budget_bytes: int):
        self.space, self.budget = space, budget_bytes
        self.rows: dict[tuple, dict] = {}
        self.generation = 0

    def add(self, genes: np.ndarray, values: dict[str, np.ndarray]) -> None:
        for k, g in enumerate(genes):
            key = tuple(int(x) for x in g)
            if key not in self.rows:
                self.rows[key] = _row(self.space, g, {n: v[k] for n, v in values.items()}, self.budget, self.generation)
        self.generation += 1


def _problem(space: SearchSpace, budget_bytes: int, objectives: Sequence[Objective], recorder: _Recorder):
    from pymoo.core.problem import Problem

    lo, hi = space.bounds

    class _Arch(Problem):
        def __init__(self):
            super().__init__(n_var=len(DIMENSIONS), n_obj=len(objectives), n_ieq_constr=3, xl=lo, xu=hi, vtype=int)

        def _evaluate(self, X, out, *args, **kwargs):
            X = np.clip(np.rint(X).astype(int), lo, hi)
            F = np.stack([o.fn(X) for o in objectives], axis=1)
            out["F"] = F
            out["G"] = space.violations(X, budget_bytes)
            recorder.add(X, {(o.name if o.sense == "min" else o.name): (F[:, j] if o.sense == "min" else -F[:, j])
                             for j, o in enumerate(objectives)})

    return _Arch()


def _operators():
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair

    # SBX/PM with rounding: pymoo's recipe for integer variables.
    return dict(crossover=SBX(prob=0.9, eta=3.0, vtype=float, repair=RoundingRepair()),
                mutation=PM(prob=1.0 / len(DIMENSIONS) * 2, eta=3.0, vtype=float, repair=RoundingRepair()),
                eliminate_duplicates=True)


def ga_search(space: SearchSpace, budget_bytes: int, *, population: int = 40, generations: int = 25,
              seed: int = 0) -> SearchResult:
    """Compressor: the configuration with the most FLOPs whose size is within ``budget_bytes``.

    Maximising FLOPs under a size cap is Compressor's heuristic: at equal size, the model that
    computes more (deeper, wider feed-forward, fewer parameters spent on the vocabulary) learns
    more from the teacher. Infeasible configurations are ranked by how far they break the
    constraints (pymoo's feasibility-first rule), so the population moves into the budget first.
    """
    from pymoo.algorithms.soo.nonconvex.ga import GA
    from pymoo.operators.sampling.rnd import IntegerRandomSampling
    from pymoo.optimize import minimize

    started = time.perf_counter()
    recorder = _Recorder(space, budget_bytes)
    gflops = Objective("gflops", lambda X: -space.measures(X)["flops"] / 1e9, sense="max")
    algorithm = GA(pop_size=population, sampling=IntegerRandomSampling(), **_operators())
    res = minimize(_problem(space, budget_bytes, [gflops], recorder), algorithm, ("n_gen", generations),
                   seed=seed, verbose=False)
    history = list(recorder.rows.values())
    feasible = [r for r in history if r["feasible"]]
    if not feasible:
        raise ValueError(f"no configuration of the search space fits in {budget_bytes / 1e6:.3f} MB "
                         "(try a larger --size-budget or smaller --max-length)")
    # The best feasible configuration ever evaluated (GA keeps it, but the record is authoritative).
    best = max(feasible, key=lambda r: (r["gflops"], -r["size_bytes"]))
    chosen = StudentConfig(**{d: best[d] for d in DIMENSIONS}, max_length=space.max_length, num_labels=space.num_labels)
    top = sorted(feasible, key=lambda r: -r["gflops"])[:10]
    return SearchResult(algorithm="GA (pymoo)", chosen=chosen, chosen_values={"gflops": best["gflops"]},
                        front=top, history=history,
                        settings={"population": population, "generations": generations, "seed": seed,
                                  "budget_bytes": budget_bytes, "objective": "maximise GFLOPs",
                                  "constraints": ["size <= budget", "hidden % heads == 0",
                                                  f"hidden / heads >= {space.min_head_dim}"]},
                        seconds=time.perf_counter() - started,
                        extra={"generations_run": int(res.algorithm.n_gen) if res.algorithm is not None else None})


def _n_directions(n_obj: int, partitions: int) -> int:
    from math import comb

    return comb(partitions + n_obj - 1, n_obj - 1)


def nsga_search(space: SearchSpace, budget_bytes: int, objectives: Sequence[Objective], *,
                choose: Callable[[list[dict]], dict], pruned: PrunedSpace | None = None, population: int = 40,
                generations: int = 25, seed: int = 0) -> SearchResult:
    """Multi-objective search; returns the Pareto front of the final population and ``choose(front)``.

    The initial population is drawn from ``pruned`` (the feasible configurations) when given, so
    the search starts inside the constrained space as AVATAR's does; offspring that leave it are
    handled by the constraints. ``choose`` receives the front as rows (objective values in their
    reported sense) and returns one of them.
    """
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.algorithms.moo.nsga3 import NSGA3
    from pymoo.operators.sampling.rnd import IntegerRandomSampling
    from pymoo.optimize import minimize
    from pymoo.util.ref_dirs import get_reference_directions

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    recorder = _Recorder(space, budget_bytes)
    sampling = IntegerRandomSampling()
    if pruned is not None and len(pruned):
        sampling = pruned.sample(population, rng)
        if len(sampling) < population:  # a tiny pruned space: top up with repeats
            sampling = sampling[rng.integers(0, len(sampling), population)]
    if len(objectives) >= 4:
        # Das-Dennis directions (cheap to build), as many as fit in the population.
        partitions = 1
        while _n_directions(len(objectives), partitions + 1) <= population:
            partitions += 1
        ref_dirs = get_reference_directions("das-dennis", len(objectives), n_partitions=partitions)
        algorithm = NSGA3(ref_dirs=ref_dirs, pop_size=population, sampling=sampling, **_operators())
        name = "NSGA-III (pymoo)"
    else:
        algorithm = NSGA2(pop_size=population, sampling=sampling, **_operators())
        name = "NSGA-II (pymoo)"
    res = minimize(_problem(space, budget_bytes, objectives, recorder), algorithm, ("n_gen", generations),
                   seed=seed, verbose=False)
    front_genes = np.atleast_2d(res.X).astype(int) if res.X is not None else np.zeros((0, len(DIMENSIONS)), int)
    front = []
    seen = set()
    for g in front_genes:
        key = tuple(int(x) for x in np.clip(g, *space.bounds))
        if key in seen or key not in recorder.rows:
            continue
        seen.add(key)
        if recorder.rows[key]["feasible"]:
            front.append(dict(recorder.rows[key]))
    if not front:
        raise ValueError(f"no configuration of the search space fits in {budget_bytes / 1e6:.3f} MB "
                         "(try a larger --size-budget or smaller --max-length)")
    for r in front:
        r["on_front"] = True
    best = choose(front)
    chosen = StudentConfig(**{d: best[d] for d in DIMENSIONS}, max_length=space.max_length, num_labels=space.num_labels)
    return SearchResult(algorithm=name, chosen=chosen,
                        chosen_values={o.name: best[o.name] for o in objectives}, front=front,
                        history=list(recorder.rows.values()),
                        settings={"population": population, "generations": generations, "seed": seed,
                                  "budget_bytes": budget_bytes,
                                  "objectives": [f"{o.sense} {o.name}" for o in objectives],
                                  "constraints": ["size <= budget", "hidden % heads == 0",
                                                  f"hidden / heads >= {space.min_head_dim}"]},
                        pruning=None if pruned is None else dict(pruned.counts),
                        seconds=time.perf_counter() - started)
