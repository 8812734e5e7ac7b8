"""Random search: the baseline.

Each trial draws an independent random variant of the source — every renamable identifier gets a
random fresh name from the name vocabulary (corpus statistics, frequency-weighted) and, when other
transformation families are enabled, up to ``max_steps`` transformations are drawn from them with
random seeds — and ``batch`` trials are scored per model call until one changes the prediction or
the budget is spent. No feedback from the model steers the draws.
"""

from __future__ import annotations

from .base import Attack, SearchContext, Variant
from .naturalness import NameVocabulary, corpus_statistics


class RandomAttack(Attack):
    """Random renaming (and random transformation choice when ``transforms`` are given).

    Parameters (keyword): ``batch`` trials per model call (default 8), ``corpus`` for the name
    vocabulary, ``rename_fraction`` (default 1.0: rename every identifier in a trial),
    ``max_steps`` transformation steps per trial (default 2).
    """

    name = "random"
    supports_transforms = True

    def search(self, ctx: SearchContext) -> None:
        vocab = NameVocabulary(corpus_statistics(self.params.get("corpus"), ctx.subject.language))
        batch = int(self.params.get("batch", 8))
        fraction = float(self.params.get("rename_fraction", 1.0))
        max_steps = int(self.params.get("max_steps", 2))
        n = len(ctx.subject.symbols)
        misses = 0
        while ctx.found is None:
            trials = []
            for _ in range(min(batch, ctx.oracle.budget.remaining)):
                variant = Variant()
                chosen = [i for i in range(n) if fraction >= 1.0 or ctx.rng.random() < fraction]
                if n and not chosen:
                    chosen = [ctx.rng.randrange(n)]
                for i in chosen:
                    variant = variant.with_rename(i, vocab.draw(ctx.rng, ctx.subject, variant, i))
                if self.transforms:
                    for _ in range(ctx.rng.randint(0 if n else 1, max_steps)):
                        variant = variant.with_step(ctx.rng.choice(self.transforms), ctx.rng.randrange(2**31))
                trials.append(variant)
            if not ctx.evaluate(trials):
                misses += 1
                if misses > 20:  # every draw was invalid: nothing left to try
                    return
