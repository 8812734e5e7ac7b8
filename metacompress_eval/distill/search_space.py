"""The student configuration space: parameter count, size in bytes and FLOPs of a configuration.

A student is a ``RobertaForSequenceClassification`` (the architecture Compressor, AVATAR and MORPH
all search over) described by five searched dimensions -- vocabulary size, layers, hidden size,
attention heads, intermediate (feed-forward) size -- plus the fixed input length and number of
labels. Everything here is closed-form, so a search can score thousands of configurations per
second without building a model.

Parameter count (exact for ``RobertaForSequenceClassification``, checked against torch in the
tests), with V vocabulary, H hidden, I intermediate, N layers, P = max_length + 2 positions,
C labels::

    embeddings  = V·H + P·H + 1·H + 2H                    (word, position, token type, LayerNorm)
    per layer   = 4(H² + H) + 2H + (H·I + I) + (I·H + H) + 2H
    head        = (H² + H) + (H·C + C)                      (dense + out_proj on the <s> vector)
    params      = embeddings + N·per layer + head

Size: ``4 · params`` bytes (fp32 weights, which is what ``save_pretrained`` writes), in MB of
10⁶ bytes unless a budget says MiB. The safetensors file adds a JSON header of a few kB; the
searches keep :data:`HEADER_ALLOWANCE` bytes free so the file on disk meets the budget too.

FLOPs of one forward pass on one input of L = ``max_length`` tokens (the length Compressor profiles
at), counting a multiply-add as 2 FLOPs and only matrix products (embedding look-ups, softmax,
LayerNorm, GELU and biases are lower-order and left out)::

    per layer  = 2·L·H·3H (Q, K, V) + 2·L·L·H (Q·Kᵀ) + 2·L·L·H (attention · V)
               + 2·L·H·H (output projection) + 2·L·H·I + 2·L·I·H (feed-forward)
             = 8·L·H² + 4·L²·H + 4·L·H·I
    head       = 2·H² + 2·H·C                                (only the <s> position)
    FLOPs      = N · per layer + head
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Iterator, Sequence

import numpy as np

__all__ = [
    "StudentConfig",
    "SearchSpace",
    "HEADER_ALLOWANCE",
    "parameter_count",
    "size_bytes",
    "flops",
    "parse_size",
    "format_size",
]

#: Smallest vocabulary a byte-level BPE tokenizer can have: 256 byte symbols + 5 special tokens.
MIN_VOCAB = 261

#: Bytes kept free under a size budget for the safetensors header (a JSON index of tensor names).
HEADER_ALLOWANCE = 16 * 1024

DIMENSIONS: tuple[str, ...] = ("vocab_size", "num_layers", "hidden_size", "num_heads", "intermediate_size")


@dataclass(frozen=True)
class StudentConfig:
    """One point of the search space (plus the fixed input length and label count)."""

    vocab_size: int
    num_layers: int
    hidden_size: int
    num_heads: int
    intermediate_size: int
    max_length: int = 256
    num_labels: int = 2

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def parameters(self) -> int:
        return parameter_count(self)

    @property
    def size_bytes(self) -> int:
        return size_bytes(self)

    @property
    def flops(self) -> int:
        return flops(self)

    def with_vocab(self, vocab_size: int) -> "StudentConfig":
        """The same configuration with another vocabulary size (BPE may learn fewer tokens than asked)."""
        d = asdict(self)
        d["vocab_size"] = int(vocab_size)
        return StudentConfig(**d)


def parameter_count(c: StudentConfig) -> int:
    """Exact parameter count of ``RobertaForSequenceClassification`` for ``c`` (module docstring)."""
    return int(_params(c.vocab_size, c.num_layers, c.hidden_size, c.intermediate_size, c.max_length, c.num_labels))


def _params(v, n, h, i, max_length, labels):
    # Works on ints and numpy arrays alike (the searches evaluate whole populations at once).
    positions = max_length + 2
    embeddings = v * h + positions * h + h + 2 * h
    layer = 4 * (h * h + h) + 2 * h + (h * i + i) + (i * h + h) + 2 * h
    head = (h * h + h) + (h * labels + labels)
    return embeddings + n * layer + head


def size_bytes(c: StudentConfig) -> int:
    """fp32 weight bytes: 4 · parameters."""
    return 4 * parameter_count(c)


def flops(c: StudentConfig) -> int:
    """FLOPs of one forward pass at ``max_length`` tokens (formula in the module docstring)."""
    return int(_flops(c.num_layers, c.hidden_size, c.intermediate_size, c.max_length, c.num_labels))


def _flops(n, h, i, length, labels):
    layer = 8 * length * h * h + 4 * length * length * h + 4 * length * h * i
    return n * layer + 2 * h * h + 2 * h * labels


_UNITS = {"": 1e6, "b": 1, "kb": 1e3, "k": 1e3, "mb": 1e6, "m": 1e6, "gb": 1e9, "g": 1e9,
          "kib": 2 ** 10, "mib": 2 ** 20, "gib": 2 ** 30}


def parse_size(text: str | float | int) -> int:
    """Bytes in a size budget: ``"3MB"`` (10⁶ bytes), ``"3MiB"`` (2²⁰), ``"500kB"``; a bare number is MB."""
    if isinstance(text, (int, float)):
        return int(float(text) * 1e6)
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", str(text))
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"cannot read size {text!r}: use e.g. 3MB, 2.5MiB or 800kB")
    value = float(m.group(1)) * _UNITS[m.group(2).lower()]
    if value <= 0:
        raise ValueError("a size budget must be positive")
    return int(value)


def format_size(n_bytes: float) -> str:
    """``3.01 MB`` (10⁶ bytes)."""
    return f"{n_bytes / 1e6:.2f} MB"


def _default_hidden() -> tuple[int, ...]:
    return tuple(range(16, 513, 16))


def _default_intermediate() -> tuple[int, ...]:
    return tuple(range(32, 2049, 32))


@dataclass(frozen=True)
class SearchSpace:
    """The choices of each searched dimension, the fixed settings and the pruning constraints.

    The defaults cover Compressor's space at a grain that suits a 3 MB budget (hidden sizes in
    steps of 16 up to 512, feed-forward sizes in steps of 32 up to 2048, 1-12 layers); a GPU
    search of larger students widens them (see docs/distillation.md).

    Constraints (a configuration outside them is *pruned*: never trained, never on a front):

    * ``hidden_size % num_heads == 0`` (an attention head needs an integer width);
    * ``hidden_size / num_heads >= min_head_dim``;
    * the fp32 size plus :data:`HEADER_ALLOWANCE` is within the budget.
    """

    vocab_size: tuple[int, ...] = (500, 1000, 2000, 3000, 5000, 8000, 10000, 15000, 20000, 30000, 50000)
    num_layers: tuple[int, ...] = tuple(range(1, 13))
    hidden_size: tuple[int, ...] = field(default_factory=_default_hidden)
    num_heads: tuple[int, ...] = (1, 2, 3, 4, 6, 8, 12, 16)
    intermediate_size: tuple[int, ...] = field(default_factory=_default_intermediate)
    max_length: int = 256
    num_labels: int = 2
    min_head_dim: int = 4

    @classmethod
    def tiny(cls, max_length: int = 64, num_labels: int = 2) -> "SearchSpace":
        """A small space for tests and smoke runs (students of tens of kB)."""
        return cls(vocab_size=(300, 400, 600, 800), num_layers=(1, 2), hidden_size=(8, 16, 24, 32),
                   num_heads=(1, 2, 4), intermediate_size=(16, 32, 64, 96), max_length=max_length,
                   num_labels=num_labels, min_head_dim=4)

    def __post_init__(self) -> None:
        # Below MIN_VOCAB the tokenizer would come out larger than the configuration says, and the
        # student could silently exceed the budget the search checked.
        if min(self.vocab_size) < MIN_VOCAB:
            raise ValueError(f"vocabulary sizes below {MIN_VOCAB} (byte alphabet + special tokens) are impossible")
        for d in DIMENSIONS:
            if not self.choices(d) or min(self.choices(d)) < 1:
                raise ValueError(f"{d}: choices must be positive integers")

    def choices(self, dim: str) -> tuple[int, ...]:
        return tuple(getattr(self, dim))

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper index bounds of the integer encoding (one gene per dimension)."""
        return np.zeros(len(DIMENSIONS), dtype=int), np.array([len(self.choices(d)) - 1 for d in DIMENSIONS])

    def decode(self, genes: Sequence[int]) -> StudentConfig:
        """The configuration of one integer genome (an index into each dimension's choices)."""
        values = {d: self.choices(d)[int(np.clip(round(g), 0, len(self.choices(d)) - 1))]
                  for d, g in zip(DIMENSIONS, genes)}
        return StudentConfig(**values, max_length=self.max_length, num_labels=self.num_labels)

    def encode(self, config: StudentConfig) -> np.ndarray:
        """The genome of a configuration whose values are choices of this space."""
        return np.array([self.choices(d).index(getattr(config, d)) for d in DIMENSIONS])

    def values(self, genes: np.ndarray) -> dict[str, np.ndarray]:
        """Dimension values of a population of genomes (``[n, 5]``), as arrays."""
        genes = np.clip(np.rint(np.atleast_2d(genes)).astype(int), *self.bounds)
        return {d: np.asarray(self.choices(d))[genes[:, k]] for k, d in enumerate(DIMENSIONS)}

    def measures(self, genes: np.ndarray) -> dict[str, np.ndarray]:
        """Parameters, bytes and FLOPs of a population of genomes (vectorised)."""
        v = {k: a.astype(np.int64) for k, a in self.values(genes).items()}
        params = _params(v["vocab_size"], v["num_layers"], v["hidden_size"], v["intermediate_size"],
                         self.max_length, self.num_labels)
        return {"parameters": params, "size_bytes": 4 * params,
                "flops": _flops(v["num_layers"], v["hidden_size"], v["intermediate_size"], self.max_length,
                                self.num_labels).astype(np.float64),
                **v}

    def violations(self, genes: np.ndarray, budget_bytes: int) -> np.ndarray:
        """pymoo-style inequality constraints (``≤ 0`` is satisfied), ``[n, 3]``.

        Columns: size over budget (in MB), heads that do not divide the hidden size, heads narrower
        than ``min_head_dim``.
        """
        m = self.measures(genes)
        over = (m["size_bytes"] + HEADER_ALLOWANCE - budget_bytes) / 1e6
        divides = (m["hidden_size"] % m["num_heads"]).astype(float)
        narrow = (self.min_head_dim - m["hidden_size"] / m["num_heads"]).astype(float)
        return np.stack([over, divides, narrow], axis=1)

    def feasible_mask(self, genes: np.ndarray, budget_bytes: int) -> np.ndarray:
        return np.all(self.violations(genes, budget_bytes) <= 0, axis=1)

    def size(self) -> int:
        """Number of configurations before pruning."""
        return int(math.prod(len(self.choices(d)) for d in DIMENSIONS))

    def prune(self, budget_bytes: int) -> "PrunedSpace":
        """Enumerate the grid and keep the configurations that satisfy every constraint.

        AVATAR prunes its space with an SMT solver before searching; on a grid of this size
        (a few hundred thousand points) vectorised enumeration gives the same set exactly, faster
        and without another dependency. Memory stays bounded by enumerating one vocabulary size
        at a time.
        """
        lo, hi = self.bounds
        grids = np.meshgrid(*[np.arange(l, h + 1) for l, h in zip(lo[1:], hi[1:])], indexing="ij")
        rest = np.stack([g.ravel() for g in grids], axis=1)
        kept = []
        counts = {"total": self.size(), "over_budget": 0, "heads_do_not_divide_hidden": 0, "heads_too_narrow": 0}
        for v in range(lo[0], hi[0] + 1):
            genes = np.concatenate([np.full((len(rest), 1), v), rest], axis=1)
            viol = self.violations(genes, budget_bytes) > 0
            counts["over_budget"] += int(viol[:, 0].sum())
            counts["heads_do_not_divide_hidden"] += int(viol[:, 1].sum())
            counts["heads_too_narrow"] += int(viol[:, 2].sum())
            kept.append(genes[~viol.any(axis=1)])
        feasible = np.concatenate(kept).astype(np.int16) if kept else np.zeros((0, len(DIMENSIONS)), np.int16)
        counts["feasible"] = int(len(feasible))
        return PrunedSpace(self, budget_bytes, feasible, counts)


@dataclass
class PrunedSpace:
    """The feasible configurations of a space under a budget (genomes ``[n, 5]``) and why others went."""

    space: SearchSpace
    budget_bytes: int
    genes: np.ndarray
    counts: dict

    def __len__(self) -> int:
        return len(self.genes)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` distinct feasible genomes (all of them when there are fewer)."""
        if len(self.genes) == 0:
            raise ValueError("no configuration satisfies the constraints: raise the size budget")
        idx = rng.choice(len(self.genes), size=min(n, len(self.genes)), replace=False)
        return self.genes[idx].astype(int)

    def spread(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` feasible genomes spread over the size range (for surrogate training samples).

        Uniform sampling of a budgeted space lands mostly on mid-sized models; the surrogate needs
        small and large ones too, so the feasible set is cut into ``n`` size quantiles and one
        configuration is drawn from each.
        """
        if len(self.genes) <= n:
            return self.genes.astype(int)
        sizes = self.space.measures(self.genes)["size_bytes"]
        order = np.argsort(sizes, kind="stable")
        parts = np.array_split(order, n)
        return np.stack([self.genes[rng.choice(p)] for p in parts]).astype(int)

    def __iter__(self) -> Iterator[StudentConfig]:
        for g in self.genes:
            yield self.space.decode(g)
