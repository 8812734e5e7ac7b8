"""MHM: Metropolis–Hastings sampling over identifier substitutions.

A Markov chain walks over variants of the source. Each iteration picks one renamable identifier
(in random-permutation sweeps — systematic-scan MH: every identifier is visited once per sweep, so
a small budget is not spent revisiting the same one — or, with probability ``step_prob`` when other
transformation families are enabled, one transformation to apply), draws ``candidates`` fresh names for it from the name vocabulary and
scores them in one model call. One candidate is proposed with probability proportional to
``1 - p(true | candidate)`` and accepted with the Metropolis–Hastings ratio

    alpha = min(1, (1 - p_new + eps) / (1 - p_current + eps)),

i.e. always when it lowers the true label's probability, and with a probability that shrinks with
the increase otherwise, so the chain can leave plateaus. The search stops when a scored candidate
changes the prediction (success) or the budget is spent. The Hastings correction of the proposal
distribution is omitted (the proposal is treated as symmetric), as in the MHM paper's practice.
"""

from __future__ import annotations

from .base import Attack, SearchContext, Variant
from .naturalness import NameVocabulary, corpus_statistics

_EPS = 1e-6


class MHMAttack(Attack):
    """Metropolis–Hastings identifier substitution (parameters: ``candidates`` per step, default 8;
    ``max_iterations``, default 200; ``step_prob``, default 0.3 when ``transforms`` are given;
    ``corpus`` for the name vocabulary)."""

    name = "mhm"
    supports_transforms = True

    def search(self, ctx: SearchContext) -> None:
        vocab = NameVocabulary(corpus_statistics(self.params.get("corpus"), ctx.subject.language))
        k = int(self.params.get("candidates", 8))
        step_prob = float(self.params.get("step_prob", 0.3)) if self.transforms else 0.0
        n = len(ctx.subject.symbols)
        current, current_score = Variant(), ctx.clean_score
        sweep: list[int] = []
        for _ in range(int(self.params.get("max_iterations", 200))):
            if ctx.found is not None:
                return
            if n == 0 or ctx.rng.random() < step_prob:
                proposals = [current.with_step(ctx.rng.choice(self.transforms), ctx.rng.randrange(2**31))
                             for _ in range(k)]
            else:
                if not sweep:
                    sweep = list(range(n))
                    ctx.rng.shuffle(sweep)
                index = sweep.pop()
                proposals = [current.with_rename(index, name)
                             for name in vocab.sample(ctx.rng, ctx.subject, current, index, k)]
            scored = ctx.evaluate(proposals)
            if ctx.found is not None or not scored:
                continue
            weights = [1.0 - score + _EPS for _, score, _ in scored]
            variant, score, _ = ctx.rng.choices(scored, weights)[0]
            alpha = min(1.0, (1.0 - score + _EPS) / (1.0 - current_score + _EPS))
            if ctx.rng.random() < alpha:
                current, current_score = variant, score
