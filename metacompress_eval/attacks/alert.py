"""ALERT-style attack: natural substitutes, greedy search by identifier importance, then a genetic search.

1. **Substitutes.** For every renamable identifier, the ``substitutes`` most natural fresh names:
   from a masked language model when one is given (``mlm``), otherwise from identifier statistics
   of a corpus (see :mod:`.naturalness`).
2. **Importance.** Each identifier is replaced by a neutral placeholder name (``VAR_i``-like, fresh)
   and the drop of the true label's probability is measured — all identifiers in one model call.
3. **Greedy.** Identifiers in decreasing importance: all substitutes of one identifier are scored in
   one call (on top of the substitutions kept so far) and the best is kept when it lowers the true
   label's probability.
4. **Genetic search** when greedy fails and budget remains: a population of substitution maps
   (seeded from the greedy result with single mutations), fitness ``1 - p(true)``; each generation
   selects parents by fitness-proportional sampling, combines them by uniform crossover over
   identifiers and mutates one identifier to a random substitute (or back to its own name), and
   scores all children in one call.
"""

from __future__ import annotations

from metacompress_eval.errors import MetaCompressError

from .base import Attack, SearchContext, Subject, Variant
from .naturalness import CorpusRanker, MLMRanker, corpus_statistics


class ALERTAttack(Attack):
    """Naturalness-aware greedy + genetic identifier substitution.

    Parameters (keyword): ``mlm`` (path of an MLM checkpoint), ``corpus`` (identifier statistics),
    ``substitutes`` per identifier (default 12), ``population`` (default 8), ``generations``
    (default 20), ``device`` for the MLM.
    """

    name = "alert"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._ranker = None

    def ranker(self, language: str):
        if self._ranker is None or self._ranker[0] != language:
            corpus = CorpusRanker(corpus_statistics(self.params.get("corpus"), language))
            mlm = self.params.get("mlm")
            ranker = MLMRanker(mlm, corpus, device=self.params.get("device", "cpu")) if mlm else corpus
            self._ranker = (language, ranker)
        return self._ranker[1]

    def describe(self) -> dict:
        info = super().describe()
        info["substitute_source"] = "masked language model" if self.params.get("mlm") else "corpus statistics"
        return info

    def prepare(self, subject: Subject) -> None:
        k = int(self.params.get("substitutes", 12))
        ranker = self.ranker(subject.language)
        self._subs = [ranker.substitutes(subject, i, k) for i in range(len(subject.symbols))]

    def _placeholder(self, subject: Subject, index: int) -> str:
        for counter in range(1000):
            name = f"VAR_{index}" if counter == 0 else f"VAR_{index}_{counter}"
            if name not in subject.taken:
                return name
        raise MetaCompressError("no fresh placeholder name")  # pragma: no cover

    def search(self, ctx: SearchContext) -> None:
        subject = ctx.subject
        n = len(subject.symbols)
        # 2. importance of every identifier, one call
        probes = [Variant().with_rename(i, self._placeholder(subject, i)) for i in range(n)]
        scored = ctx.evaluate(probes)
        drop = {v.renames[0][0]: ctx.clean_score - s for v, s, _ in scored}
        order = sorted(range(n), key=lambda i: (-drop.get(i, float("-inf")), i))
        # A placeholder that already flips the model is kept in reserve: a natural substitute found by
        # the greedy step is preferred (ALERT's point), the placeholder only reported if none is.
        found_by_probe, ctx.found = ctx.found, None
        try:
            # 3. greedy
            current, current_score = Variant(), ctx.clean_score
            for index in order:
                names = [s for s in self._subs[index] if subject.is_fresh(s, current, index)]
                scored = ctx.evaluate([current.with_rename(index, s) for s in names])
                if ctx.found is not None:
                    return
                if scored:
                    best = min(scored, key=lambda item: item[1])
                    if best[1] < current_score:
                        current, current_score = best[0], best[1]
            if found_by_probe is None:
                # 4. genetic search
                self._genetic(ctx, current, current_score)
        finally:
            if ctx.found is None and found_by_probe is not None:
                ctx.found = found_by_probe  # no natural substitute did it; the placeholder did

    def _mutate(self, ctx: SearchContext, variant: Variant) -> Variant:
        n = len(ctx.subject.symbols)
        index = ctx.rng.randrange(n)
        options = [s for s in self._subs[index] if ctx.subject.is_fresh(s, variant, index)]
        if not options or ctx.rng.random() < 0.1:
            return variant.with_rename(index, None)
        return variant.with_rename(index, ctx.rng.choice(options))

    def _crossover(self, ctx: SearchContext, a: Variant, b: Variant) -> Variant:
        ma, mb = a.mapping, b.mapping
        child = Variant()
        for index in range(len(ctx.subject.symbols)):
            name = (ma if ctx.rng.random() < 0.5 else mb).get(index)
            if name is not None and ctx.subject.is_fresh(name, child, index):
                child = child.with_rename(index, name)
        return child

    def _genetic(self, ctx: SearchContext, seed_variant: Variant, seed_score: float) -> None:
        size = int(self.params.get("population", 8))
        population = [(seed_variant, seed_score)]
        initial = [self._mutate(ctx, seed_variant) for _ in range(size - 1)]
        population += [(v, s) for v, s, _ in ctx.evaluate(initial)]
        for _ in range(int(self.params.get("generations", 20))):
            if ctx.found is not None or not population:
                return
            weights = [1.0 - s + 1e-6 for _, s in population]
            children = []
            for _ in range(size):
                a, b = ctx.rng.choices(population, weights, k=2)
                children.append(self._mutate(ctx, self._crossover(ctx, a[0], b[0])))
            scored = [(v, s) for v, s, _ in ctx.evaluate(children)]
            # Elitism: the best `size` of parents and children survive.
            merged = {v: s for v, s in population + scored}
            population = sorted(merged.items(), key=lambda item: item[1])[:size]
