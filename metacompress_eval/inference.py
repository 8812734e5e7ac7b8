"""Batched, length-sorted, cached inference for sequence-classification models.

Outputs (logits) are stored in an on-disk SQLite cache keyed by the model fingerprint and a hash of
the input text(s). Consequences:

* identical inputs are run once (within a run and across runs);
* evaluating a second student reuses the teacher's outputs: no teacher forward pass;
* an interrupted run resumes: every finished batch was committed before the next one started.

Under ``accelerate launch`` or ``torchrun`` with N > 1 processes, :meth:`InferenceEngine.predict`
shards the work: the length-sorted batches are dealt round-robin by batch index (batch b goes to
process b mod N), each process runs its share, and after every round of N batches the logits are
gathered on all processes (``accelerate.utils.gather_object``); only the main process writes the
cache. Every process ends with the same outputs, so the report equals the single-process one.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .models.hf import LoadedModel

Inputs = tuple[str, ...]


def input_key(inputs: Inputs) -> str:
    """Stable hash of one model input (a text or a text pair)."""
    digest = hashlib.sha256(str(len(inputs)).encode())
    for text in inputs:
        data = text.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def default_cache_dir() -> Path:
    """``$METACOMPRESS_CACHE`` or ``$XDG_CACHE_HOME/metacompress`` (``~/.cache/metacompress``)."""
    env = os.environ.get("METACOMPRESS_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "metacompress"


class OutputCache:
    """Model outputs on disk: ``(model fingerprint, input key) → float32 logits``.

    SQLite is used because its transactions make each committed batch durable and a half-finished
    batch invisible, and it tolerates several processes sharing one cache file.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS outputs (model TEXT NOT NULL, key TEXT NOT NULL, "
                         "logits BLOB NOT NULL, PRIMARY KEY (model, key))")
        self._db.commit()

    @classmethod
    def in_dir(cls, folder: str | os.PathLike | None = None) -> "OutputCache":
        return cls(Path(folder or default_cache_dir()) / "outputs.sqlite")

    def get_many(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        keys = list(keys)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob in self._db.execute(
                    f"SELECT key, logits FROM outputs WHERE model = ? AND key IN ({marks})", [model, *chunk]):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: Sequence[tuple[str, np.ndarray]]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO outputs (model, key, logits) VALUES (?, ?, ?)",
                                 [(model, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items])

    def count(self, model: str | None = None) -> int:
        if model is None:
            return self._db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM outputs WHERE model = ?", [model]).fetchone()[0]

    def close(self) -> None:
        self._db.close()


@dataclass
class InferenceStats:
    """What one :meth:`InferenceEngine.predict` call did."""

    requested: int = 0
    unique: int = 0
    cached: int = 0
    computed: int = 0
    forward_passes: int = 0
    seconds: float = 0.0
    truncated: int = 0
    processes: int = 1

    def as_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


@dataclass
class Prediction:
    """Class probabilities (in the teacher's label order) and the logits they came from."""

    probs: np.ndarray
    logits: np.ndarray
    stats: InferenceStats = field(default_factory=InferenceStats)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def distributed_state(device: str = "cpu"):
    """The ``accelerate.PartialState`` of a multi-process launch, or ``None`` for a single process.

    ``WORLD_SIZE`` is checked first (torchrun and ``accelerate launch`` set it) so an ordinary run
    neither imports accelerate nor touches ``torch.distributed``. ``cpu=True`` for CPU devices makes
    accelerate use the gloo backend even on a machine that has GPUs.
    """
    try:
        world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    except ValueError:
        world = 1
    if world <= 1:
        return None
    from accelerate import PartialState

    state = PartialState(cpu=str(device).startswith("cpu"))
    return state if state.num_processes > 1 else None


class InferenceEngine:
    """Runs one model over many inputs: deduplicated, cached, length-sorted, batched.

    Args:
        loaded: the model and tokenizer (:func:`metacompress_eval.models.load_model`).
        cache: where outputs are stored; ``None`` disables caching (everything is computed).
        batch_size: inputs per forward pass.
        progress: show a progress bar on stderr.
    """

    def __init__(self, loaded: LoadedModel, cache: OutputCache | None = None, *, batch_size: int = 32,
                 progress: bool = True, desc: str | None = None):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.loaded = loaded
        self.cache = cache
        self.batch_size = batch_size
        self.progress = progress
        self.desc = desc or loaded.name

    def encode(self, inputs: Sequence[Inputs]) -> list[list[int]]:
        """Token ids of each input, truncated to the model's ``max_length``."""
        tok = self.loaded.tokenizer
        if not inputs:
            return []
        kwargs = dict(truncation=True, max_length=self.loaded.max_length, padding=False,
                      return_attention_mask=False, return_token_type_ids=False)
        if len(inputs[0]) == 2:
            enc = tok([i[0] for i in inputs], [i[1] for i in inputs], **kwargs)
        else:
            enc = tok([i[0] for i in inputs], **kwargs)
        return enc["input_ids"]

    def batches(self, ids: list[list[int]]) -> list[list[int]]:
        """Indices of ``ids`` grouped into batches, longest first, so padding is minimal."""
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        return [order[s:s + self.batch_size] for s in range(0, len(order), self.batch_size)]

    def collate(self, rows: list[list[int]]):
        """Pad a batch to its longest row.

        Done with numpy rather than ``tokenizer.pad`` because the latter walks Python dicts per
        example and costs noticeable time against a small model's forward pass.
        """
        import torch

        pad = self.loaded.tokenizer.pad_token_id
        width = max(len(r) for r in rows)
        ids = np.full((len(rows), width), pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        right = getattr(self.loaded.tokenizer, "padding_side", "right") != "left"
        for i, r in enumerate(rows):
            if right:
                ids[i, :len(r)] = r
                mask[i, :len(r)] = 1
            else:
                ids[i, width - len(r):] = r
                mask[i, width - len(r):] = 1
        device = self.loaded.device
        return {"input_ids": torch.from_numpy(ids).to(device), "attention_mask": torch.from_numpy(mask).to(device)}

    def forward(self, batch) -> np.ndarray:
        import torch

        with torch.inference_mode():
            logits = self.loaded.model(**batch).logits
        return logits.float().cpu().numpy()

    def predict(self, inputs: Sequence[Inputs]) -> Prediction:
        """Probabilities for every input, computing only what the cache does not hold."""
        from tqdm.auto import tqdm

        started = time.perf_counter()
        stats = InferenceStats(requested=len(inputs))
        keys = [input_key(i) for i in inputs]
        first: dict[str, int] = {}
        for idx, key in enumerate(keys):
            first.setdefault(key, idx)
        stats.unique = len(first)
        model_key = self.loaded.fingerprint
        state = distributed_state(str(self.loaded.device))
        known = self.cache.get_many(model_key, list(first)) if self.cache and (
            state is None or state.is_main_process) else {}
        if state is not None:
            # Only the main process reads the cache and sends what it found to the others: nodes of a
            # multi-node run may see different cache files, and every process must agree on ``todo``
            # (hence on the batch plan) or the collective calls would not match up.
            from accelerate.utils import broadcast_object_list

            stats.processes = state.num_processes
            box = broadcast_object_list([{k: v.tolist() for k, v in known.items()} if state.is_main_process
                                         else None])
            known = {k: np.asarray(v, dtype=np.float32) for k, v in box[0].items()}
        stats.cached = len(known)
        todo = [k for k in first if k not in known]
        if todo and state is not None:
            self._predict_sharded(state, todo, [inputs[first[k]] for k in todo], known, stats)
        elif todo:
            todo_inputs = [inputs[first[k]] for k in todo]
            ids = self.encode(todo_inputs)
            stats.truncated = sum(len(r) >= self.loaded.max_length for r in ids)
            plan = self.batches(ids)
            bar = tqdm(total=len(todo), desc=self.desc, unit="input", disable=not self.progress, leave=False)
            try:
                for batch_idx in plan:
                    logits = self.forward(self.collate([ids[i] for i in batch_idx]))
                    stats.forward_passes += 1
                    items = [(todo[i], logits[j]) for j, i in enumerate(batch_idx)]
                    if self.cache:
                        self.cache.put_many(model_key, items)
                    known.update(items)
                    bar.update(len(batch_idx))
            finally:
                bar.close()
            stats.computed = len(todo)
        logits = np.stack([known[k] for k in keys]) if keys else np.zeros((0, len(self.loaded.label_names)), np.float32)
        if self.loaded.label_permutation is not None:
            logits = logits[:, self.loaded.label_permutation]
        stats.seconds = time.perf_counter() - started
        return Prediction(probs=softmax(logits), logits=logits, stats=stats)

    def _predict_sharded(self, state, todo: list[str], todo_inputs: list[Inputs], known: dict[str, np.ndarray],
                         stats: InferenceStats) -> None:
        """Compute ``todo`` across the processes of ``state``; fill ``known`` with every process's results.

        The batch plan depends only on the inputs, so every process derives the same plan and takes
        batches ``rank, rank + N, ...`` (the longest batches are spread over all processes). Each
        round of N batches ends with one ``gather_object`` (logits travel as lists of floats, since
        tensors of unequal length would abort gloo), and the main process commits the round to the
        cache, so an interrupted distributed run resumes like a single-process one.
        """
        from accelerate.utils import gather_object
        from tqdm.auto import tqdm

        ids = self.encode(todo_inputs)
        stats.truncated = sum(len(r) >= self.loaded.max_length for r in ids)
        plan = self.batches(ids)
        n, rank = state.num_processes, state.process_index
        model_key = self.loaded.fingerprint
        bar = tqdm(total=len(todo), desc=self.desc, unit="input", leave=False,
                   disable=not self.progress or not state.is_main_process)
        try:
            for start in range(0, len(plan), n):
                mine: list[tuple[str, list[float]]] = []
                if start + rank < len(plan):
                    batch_idx = plan[start + rank]
                    logits = self.forward(self.collate([ids[i] for i in batch_idx]))
                    mine = [(todo[i], logits[j].tolist()) for j, i in enumerate(batch_idx)]
                gathered = gather_object(mine)
                # float32 -> Python float -> float32 is exact: these equal the local logits bit for bit.
                items = [(key, np.asarray(row, dtype=np.float32)) for key, row in gathered]
                if self.cache and state.is_main_process:
                    self.cache.put_many(model_key, items)
                known.update(items)
                stats.forward_passes += min(n, len(plan) - start)
                bar.update(len(items))
        finally:
            bar.close()
        stats.computed = len(todo)
        state.wait_for_everyone()
