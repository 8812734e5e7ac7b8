"""Per-layer sequence representations of the evaluated inputs: computed once, cached, read on demand.

:func:`collect` runs each model's :meth:`~metacompress_eval.models.LoadedModel.hidden_states` over the
inputs it is asked for (batched and length-sorted by the model's own inference engine plan), and
keeps the result in a :class:`RepresentationCache` — an SQLite file beside the output cache, keyed like
it by the model fingerprint and the adapter's key of each input — or, without a cache, in memory (the
Space's probe: a few inputs, and pasted code must not linger on disk). A :class:`RepresentationStore`
then hands out the rows and layers an analysis needs, so nothing holds every layer of every input.

One row is stored as two float32 arrays ``[layers + 1, width]``: the first token's vector and the
mean over non-padding tokens (``first`` and ``mean``), for the embedding output and every layer.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

import numpy as np

from ..errors import MetaCompressError
from ..sqlite_cache import SqliteCache

if TYPE_CHECKING:  # pragma: no cover
    from ..models import LoadedModel

#: The two sequence representations of every layer.
POOLINGS: tuple[str, ...] = ("first", "mean")

Inputs = tuple[str, ...]


class RepresentationCache(SqliteCache):
    """``(model fingerprint, input key) → (layers, width, first, mean)`` on disk (``representations.sqlite``).

    An SQLite file like the output cache (:class:`~metacompress_eval.sqlite_cache.SqliteCache`): each
    committed batch is durable, a half-written one invisible, so an interrupted run resumes.
    """

    FILE = "representations.sqlite"

    def create_tables(self, db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE IF NOT EXISTS representations (model TEXT NOT NULL, key TEXT NOT NULL, "
                   "layers INTEGER NOT NULL, width INTEGER NOT NULL, first BLOB NOT NULL, mean BLOB NOT NULL, "
                   "PRIMARY KEY (model, key))")

    def keys(self, model: str, keys: Sequence[str]) -> set[str]:
        """Which of ``keys`` are stored for ``model``, whole: a row whose arrays do not have the size its
        shape says (a damaged page) is deleted, to be recomputed; a file SQLite cannot read is set aside."""
        try:
            return self._keys(model, list(keys))
        except sqlite3.DatabaseError as exc:
            self.set_aside(exc)
            return set()

    def _keys(self, model: str, keys: list[str]) -> set[str]:
        found: set[str] = set()
        bad: list[str] = []
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, layers, width, first, mean in self._db.execute(
                    f"SELECT key, layers, width, length(first), length(mean) FROM representations "
                    f"WHERE model = ? AND key IN ({marks})", [model, *chunk]):
                whole = isinstance(layers, int) and isinstance(width, int) and layers > 0 and width > 0
                if whole and first == mean == layers * width * 4:
                    found.add(key)
                else:
                    bad.append(key)
        if bad and not self.read_only:
            with self._db:
                self._db.executemany("DELETE FROM representations WHERE model = ? AND key = ?",
                                     [(model, k) for k in bad])
        return found

    def get_many(self, model: str, keys: Sequence[str], pooling: str) -> dict[str, np.ndarray]:
        """``key → [layers, width]`` float32 for the stored ``keys`` of ``model``."""
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}")
        found: dict[str, np.ndarray] = {}
        keys = list(dict.fromkeys(keys))
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, layers, width, blob in self._db.execute(
                    f"SELECT key, layers, width, {pooling} FROM representations WHERE model = ? AND key IN ({marks})",
                    [model, *chunk]):
                found[key] = np.frombuffer(blob, dtype=np.float32).reshape(layers, width)
        return found

    def put_many(self, model: str, items: Sequence[tuple[str, np.ndarray, np.ndarray]]) -> None:
        """Store ``(key, first, mean)`` rows, each array ``[layers, width]``, in one transaction (nothing
        in a cache opened read-only)."""
        if self.read_only:
            return
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO representations (model, key, layers, width, first, mean) VALUES (?, ?, ?, ?, ?, ?)",
                [(model, k, f.shape[0], f.shape[1], np.ascontiguousarray(f, dtype=np.float32).tobytes(),
                  np.ascontiguousarray(m, dtype=np.float32).tobytes()) for k, f, m in items])

@dataclass
class _Memory:
    """The in-memory stand-in for :class:`RepresentationCache` (no file)."""

    rows: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def keys(self, model: str, keys: Sequence[str]) -> set[str]:
        return {k for k in keys if (model, k) in self.rows}

    def get_many(self, model: str, keys: Sequence[str], pooling: str) -> dict[str, np.ndarray]:
        index = POOLINGS.index(pooling)
        return {k: self.rows[(model, k)][index] for k in keys if (model, k) in self.rows}

    def put_many(self, model: str, items) -> None:
        for key, first, mean in items:
            self.rows[(model, key)] = (np.asarray(first, np.float32), np.asarray(mean, np.float32))


@dataclass
class RepresentationStore:
    """Where each model's representation of each evaluated row is, and how to read it.

    Attributes:
        fingerprints: role → model fingerprint.
        keys: role → one cache key per evaluated row (``None`` for rows not collected).
        shapes: role → ``(layers + 1, width)``.
    """

    backend: RepresentationCache | _Memory
    fingerprints: dict[str, str]
    keys: dict[str, list[str | None]]
    shapes: dict[str, tuple[int, int]]

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, Mapping[str, np.ndarray]],
                    collected: Sequence[int] | None = None) -> "RepresentationStore":
        """A store over representations computed elsewhere: ``role → {"first": [N, layers + 1, width], "mean": ...}``.

        ``collected`` (row indices) limits which rows the store holds, as :func:`collect` would; by
        default every row.
        """
        backend = _Memory()
        keys: dict[str, list[str | None]] = {}
        shapes: dict[str, tuple[int, int]] = {}
        for role, pooled in arrays.items():
            first, mean = np.asarray(pooled["first"], np.float32), np.asarray(pooled["mean"], np.float32)
            if first.shape != mean.shape or first.ndim != 3:
                raise MetaCompressError(f"{role}: 'first' and 'mean' must both have shape [inputs, layers, width]")
            rows = range(first.shape[0]) if collected is None else collected
            keys[role] = [None] * first.shape[0]
            for i in rows:
                keys[role][i] = str(i)
            backend.put_many(role, [(str(i), first[i], mean[i]) for i in rows])
            shapes[role] = first.shape[1:]
        return cls(backend, {role: role for role in arrays}, keys, shapes)

    def get(self, role: str, rows: Sequence[int], pooling: str, layers: Sequence[int] | None = None) -> np.ndarray:
        """``[len(rows), len(layers), width]`` float32: the rows' representations at ``layers`` (all by default)."""
        keys = [self.keys[role][i] for i in rows]
        if any(k is None for k in keys):
            raise MetaCompressError(f"{role} representations were not collected for some of the rows asked for")
        found = self.backend.get_many(self.fingerprints[role], keys, pooling)
        n_layers, width = self.shapes[role]
        pick = list(range(n_layers)) if layers is None else list(layers)
        out = np.empty((len(keys), len(pick), width), dtype=np.float32)
        for n, key in enumerate(keys):
            out[n] = found[key][pick]
        return out


def collect(models: Mapping[str, "LoadedModel"], inputs: Sequence[Inputs], rows: Sequence[int],
            cache: RepresentationCache | None, *, batch_size: int = 32, progress: bool = False,
            log: Callable[[str], None] | None = None) -> RepresentationStore:
    """Each model's per-layer representations of ``inputs[i]`` for every ``i`` in ``rows``.

    What the cache holds is read, the rest computed batch by batch (the engine's length-sorted plan)
    and committed after each batch. Raises :class:`MetaCompressError` when a model's adapter does not
    expose hidden states.
    """
    from tqdm.auto import tqdm

    from ..inference import InferenceEngine

    backend: RepresentationCache | _Memory = cache if cache is not None else _Memory()
    wanted = sorted(set(int(i) for i in rows))
    keys: dict[str, list[str | None]] = {}
    shapes: dict[str, tuple[int, int]] = {}
    for role, model in models.items():
        if not model.supports_hidden_states:
            raise MetaCompressError(f"the {role}'s adapter ({model.adapter}) does not expose hidden states, "
                                    "so its internal representations cannot be compared")
        row_keys: list[str | None] = [None] * len(inputs)
        for i in wanted:
            row_keys[i] = model.input_key(inputs[i])
        keys[role] = row_keys
        first_row: dict[str, int] = {}
        for i in wanted:
            first_row.setdefault(row_keys[i], i)
        have = backend.keys(model.fingerprint, list(first_row))
        todo = [k for k in first_row if k not in have]
        if todo:
            engine = InferenceEngine(model, None, batch_size=batch_size, progress=False)
            encoded = engine.encode([inputs[first_row[k]] for k in todo])
            bar = tqdm(total=len(todo), desc=f"{role} representations", unit="input", disable=not progress,
                       leave=False)
            try:
                for batch in engine.batches(encoded):
                    states = model.hidden_states(engine.collate([encoded[j] for j in batch]))
                    backend.put_many(model.fingerprint, [(todo[j], states["first"][n], states["mean"][n])
                                                         for n, j in enumerate(batch)])
                    bar.update(len(batch))
            finally:
                bar.close()
        if log is not None:
            log(f"{role} representations: {len(first_row) - len(todo)} from cache, {len(todo)} computed")
        sample = backend.get_many(model.fingerprint, [next(iter(first_row))], "first") if first_row else {}
        shapes[role] = next(iter(sample.values())).shape if sample else (0, 0)
    return RepresentationStore(backend, {r: m.fingerprint for r, m in models.items()}, keys, shapes)
