"""Surrogates: predict a student's accuracy (or flip rate) from its configuration alone.

AVATAR and MORPH cannot train every configuration their searches visit, so they train a handful
briefly, measure them, and fit a regression model from configuration features to the measured
value; the search then queries the regression model. Here the regression model is scikit-learn's
Gaussian process (a Matérn kernel plus a white-noise term, on standardised features): with the
few points a CPU budget affords it interpolates smoothly and never predicts wildly outside the
measured range, unlike a linear fit; ``kind="forest"`` swaps in a random forest for larger probe
budgets.

Features of a configuration: log₂ of vocabulary, hidden, heads and intermediate sizes, the number
of layers, and log₁₀ of parameters and of FLOPs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .search_space import DIMENSIONS, SearchSpace, StudentConfig

__all__ = ["Surrogate", "config_features"]


def _features(v: dict[str, np.ndarray]) -> np.ndarray:
    return np.stack([np.log2(v["vocab_size"]), v["num_layers"].astype(float), np.log2(v["hidden_size"]),
                     np.log2(v["num_heads"]), np.log2(v["intermediate_size"]), np.log10(v["parameters"]),
                     np.log10(v["flops"])], axis=1).astype(float)


def config_features(space: SearchSpace, genes: np.ndarray) -> np.ndarray:
    """Feature matrix of a population of genomes."""
    return _features(space.measures(genes))


@dataclass
class Surrogate:
    """A fitted regression from configurations to one measured quantity."""

    space: SearchSpace
    target: str
    kind: str = "gp"
    seed: int = 0
    model: object = None
    samples: list[dict] = field(default_factory=list)
    loo_mae: float | None = None

    def _make(self):
        from sklearn.ensemble import RandomForestRegressor
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if self.kind == "forest":
            return make_pipeline(StandardScaler(), RandomForestRegressor(n_estimators=200, random_state=self.seed))
        if self.kind != "gp":
            raise ValueError(f"unknown surrogate kind {self.kind!r}: gp or forest")
        kernel = ConstantKernel(1.0) * Matern(length_scale=np.ones(7) * 3.0, nu=2.5) + WhiteKernel(1e-2)
        return make_pipeline(StandardScaler(), GaussianProcessRegressor(kernel=kernel, normalize_y=True,
                                                                        random_state=self.seed,
                                                                        n_restarts_optimizer=2))

    def fit(self, configs: Sequence[StudentConfig], values: Sequence[float]) -> "Surrogate":
        """Fit on measured configurations; also records the leave-one-out mean absolute error."""
        import warnings

        genes = np.stack([self.space.encode(c) for c in configs])
        X, y = config_features(self.space, genes), np.asarray(values, dtype=float)
        self.samples = [{**c.as_dict(), self.target: float(v)} for c, v in zip(configs, y)]
        with warnings.catch_warnings():
            # A handful of points often puts a GP length scale on its bound; that is expected here.
            warnings.simplefilter("ignore")
            if len(y) >= 3:
                errors = []
                for k in range(len(y)):
                    keep = np.arange(len(y)) != k
                    m = self._make().fit(X[keep], y[keep])
                    errors.append(abs(float(m.predict(X[k:k + 1])[0]) - y[k]))
                self.loo_mae = float(np.mean(errors))
            self.model = self._make().fit(X, y)
        return self

    def predict_genes(self, genes: np.ndarray) -> np.ndarray:
        """Predictions for a population of genomes (clipped to the measured range)."""
        pred = self.model.predict(config_features(self.space, np.atleast_2d(genes)))
        lo = min(s[self.target] for s in self.samples)
        hi = max(s[self.target] for s in self.samples)
        # Extrapolation beyond what was measured is not evidence: cap it at the measured range.
        return np.clip(pred, lo, hi)

    def predict(self, configs: Sequence[StudentConfig]) -> np.ndarray:
        return self.predict_genes(np.stack([self.space.encode(c) for c in configs]))

    def describe(self) -> dict:
        return {"target": self.target, "kind": self.kind, "n_samples": len(self.samples),
                "leave_one_out_mae": self.loo_mae, "samples": self.samples,
                "features": ["log2 vocab", "layers", "log2 hidden", "log2 heads", "log2 intermediate",
                             "log10 parameters", "log10 FLOPs"]}
