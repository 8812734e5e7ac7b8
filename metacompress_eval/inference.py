"""Batched, length-sorted, cached inference for any model adapter.

The engine runs a :class:`~metacompress_eval.models.LoadedModel` over many inputs; the adapter
prepares inputs (:meth:`~metacompress_eval.models.LoadedModel.encode`) and runs batches
(:meth:`~metacompress_eval.models.LoadedModel.forward`), the engine does everything around them:

* **one forward pass per distinct encoded input.** Inputs are encoded first (the model's own
  preprocessing: tokenisation, normalisation, truncation), and outputs are keyed by the *encoded*
  form (:meth:`~metacompress_eval.models.LoadedModel.encoded_key`), so texts the model reads alike —
  a layout follow-up, for a tokenizer that drops whitespace; a change after the truncation point —
  run once; :attr:`InferenceStats.shared` counts them;
* **batches by a token budget**: inputs sorted by length, longest first; a batch holds at most
  ``batch_tokens`` padded tokens (default: ``batch_size`` inputs of the model's ``max_length``), so
  short inputs go in large batches, and batches end where the padding saved is worth more than a
  forward pass's own cost (:mod:`metacompress_eval.batch_plan`: small on a CPU, so batches end where
  lengths drop; large on an accelerator, so batches fill the budget);
* **encoding beside inference** for adapters that allow it (``encodes_in_background``: the state-dict
  RoBERTa adapters): inputs are tokenised in chunks on a worker thread, and the batches of full-length
  inputs, which come first in the plan and are fixed as soon as enough of them are encoded, run
  meanwhile; the rest is planned when encoding ends. The batches are exactly those of the plan made
  after encoding everything, so the outputs are the same bytes;
* **an on-disk SQLite cache** keyed by the model fingerprint and the encoded key: a rerun, or a second
  student against the same teacher, runs no forward pass for what is cached, and an interrupted run
  resumes. Outputs are committed on a writer thread (:class:`CacheWriter`), batch by batch as they
  come; ``predict`` returns, or raises (an error, ``KeyboardInterrupt``), only once every computed
  output is committed.

Inputs a model cannot answer (a stored-outputs file that lacks them) are *unavailable*: their rows of
logits and probabilities are NaN and :attr:`Prediction.available` is ``False`` for them.

Under ``accelerate launch`` or ``torchrun`` with N > 1 processes, :meth:`InferenceEngine.predict`
shards the work: the length-sorted batches are dealt round-robin by batch index (batch b goes to
process b mod N), each process runs its share, and after every round of N batches the logits are
gathered on all processes (``accelerate.utils.gather_object``); only the main process writes the
cache. Every process ends with the same outputs, so the report equals the single-process one.
(The evaluation pipeline shards earlier, by chunks of sources, and calls ``predict(shard=False)``.)
"""

from __future__ import annotations

import hashlib
import math
import numbers
import os
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .batch_plan import MAX_BATCH_INPUTS, default_pass_tokens, plan_batches
from .errors import MetaCompressError
from .launch import world_size
from .models.base import Inputs, LoadedModel, input_key
from .sqlite_cache import SqliteCache, default_cache_dir, move_damaged_cache
from .threads import one_thread_for_small_batches

__all__ = ["CacheWriter", "InferenceEngine", "InferenceStats", "Inputs", "OutputCache", "move_damaged_cache", "Prediction",
           "default_cache_dir", "distributed_state", "input_key", "softmax"]


def _checksum(model: str, key: str, blob: bytes) -> str:
    """What a stored row must hash to: its model, its input key and its logits, together."""
    return hashlib.blake2b(b"\0".join((model.encode(), key.encode(), blob)), digest_size=8).hexdigest()


class OutputCache(SqliteCache):
    """Model outputs on disk: ``(model fingerprint, input key) → float32 logits``, checksummed per row
    (an SQLite file: see :class:`~metacompress_eval.sqlite_cache.SqliteCache`).

    A cache is never trusted blindly. Each row stores a checksum of its model, key and logits; a row
    that fails it (a flipped bit, a half-written page) is deleted and its output recomputed, with a
    one-line warning. A file SQLite cannot read at all (garbage, truncated) is moved aside as
    ``outputs.sqlite.corrupt-<time>`` and a new cache started, also with a warning. Rows written
    before checksums existed are recomputed once, quietly; rows without probabilities (NaN or +inf
    logits that older versions cached) are recomputed with a warning.
    """

    FILE = "outputs.sqlite"

    def __init__(self, path: str | os.PathLike):
        self.recomputed = 0  # rows that failed their checksum in this session
        super().__init__(path)

    def create_tables(self, db: sqlite3.Connection) -> None:
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS outputs (model TEXT NOT NULL, key TEXT NOT NULL, "
                   "logits BLOB NOT NULL, checksum TEXT, PRIMARY KEY (model, key))")
        columns = [row[1] for row in db.execute("PRAGMA table_info(outputs)")]
        if "checksum" not in columns:  # a cache written before rows had checksums
            db.execute("ALTER TABLE outputs ADD COLUMN checksum TEXT")

    def get_many(self, model: str, keys: Sequence[str], *, owner: str | None = None) -> dict[str, np.ndarray]:
        """The stored logits of ``keys`` that pass their checksum (the others are dropped, to be recomputed).

        ``owner`` names the model in the warning (``"the teacher (org/name)"``): one cache serves both
        models of a run, and two identical lines would not say whose outputs were damaged.
        """
        with self.lock:
            try:
                return self._get_many(model, list(keys), owner)
            except sqlite3.DatabaseError as exc:
                self.set_aside(exc)
                return {}

    def _get_many(self, model: str, keys: list[str], owner: str | None) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        bad: list[str] = []
        legacy: list[str] = []
        invalid: list[str] = []
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for key, blob, checksum in self._db.execute(
                    f"SELECT key, logits, checksum FROM outputs WHERE model = ? AND key IN ({marks})", [model, *chunk]):
                blob = bytes(blob)
                if checksum is None:
                    legacy.append(key)
                elif checksum != _checksum(model, key, blob) or len(blob) % 4:
                    bad.append(key)
                else:
                    row = np.frombuffer(blob, dtype=np.float32)
                    if row.size and np.isfinite(row.max()):
                        found[key] = row
                    else:  # no softmax (see check_logits): an older version cached a model's bad output
                        invalid.append(key)
        if (bad or legacy or invalid) and not self.read_only:
            with self._db:
                self._db.executemany("DELETE FROM outputs WHERE model = ? AND key = ?",
                                     [(model, k) for k in bad + legacy + invalid])
        whose = f" of {owner}" if owner else ""
        if bad:
            from .console import warn

            self.recomputed += len(bad)
            warn(f"{len(bad)} cached output(s){whose} in {self.path} failed their checksum (a damaged cache file); "
                 "they are recomputed")
        if invalid:
            from .console import warn

            self.recomputed += len(invalid)
            warn(f"{len(invalid)} cached output(s){whose} in {self.path} hold NaN or infinite logits without "
                 "probabilities (cached by an older version); they are recomputed")
        return found

    def put_many(self, model: str, items: Sequence[tuple[str, np.ndarray]]) -> None:
        """Store ``(key, logits)`` rows in one transaction: after a crash, all of them or none are there."""
        if self.read_only:  # said once when the file was opened
            return
        rows = []
        for key, value in items:
            blob = np.asarray(value, dtype=np.float32).tobytes()
            rows.append((model, key, blob, _checksum(model, key, blob)))
        with self.lock:
            try:
                self._put(rows)
            except sqlite3.DatabaseError as exc:
                self.set_aside(exc)
                self._put(rows)

    def _put(self, rows: list[tuple]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO outputs (model, key, logits, checksum) VALUES (?, ?, ?, ?)",
                                 rows)

    def count(self, model: str | None = None) -> int:
        with self.lock:
            if model is None:
                return self._db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
            return self._db.execute("SELECT COUNT(*) FROM outputs WHERE model = ?", [model]).fetchone()[0]


class CacheWriter:
    """Commits computed outputs to an :class:`OutputCache` on a thread of its own.

    A forward pass of a small model takes tens of milliseconds, and every millisecond the thread that
    runs the passes spends elsewhere shows in ``benchmarks/bench_adapters.py`` (a bare loop of the same
    passes is the yardstick). Here :meth:`put` only queues the batch; the writer thread converts,
    checksums and commits what has queued up, in one transaction (SQLite releases the GIL while it
    writes).

    What a run keeps: :meth:`close` (the engine calls it when ``predict`` ends, also on an error or
    ``KeyboardInterrupt``) commits everything queued before it returns. A process killed outright
    (SIGKILL, power loss) loses the batches not yet committed — the queue is rarely more than one
    batch deep — and never leaves a row half written: each transaction is atomic and every row is
    checksummed. A failed write is raised in the engine's thread at its next :meth:`put` or at
    :meth:`close`.
    """

    def __init__(self, cache: OutputCache, model: str):
        self.cache, self.model = cache, model
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._reported = False
        # A daemon thread, so that a process whose engine never reached close() (killed in a way
        # that skips finally blocks) does not hang at exit waiting for it.
        self._thread = threading.Thread(target=self._commit_loop, name="metacompress-cache-writer", daemon=True)
        self._thread.start()

    def put(self, keys: Sequence[str], logits: np.ndarray | Sequence[np.ndarray]) -> None:
        """Queue the logits of ``keys`` (one row each, not modified afterwards) for the cache."""
        if self._error is not None:
            self._reported = True
            raise self._error
        self._queue.put((keys, logits))

    def close(self) -> None:
        """Commit everything queued, stop the thread, and raise what a write raised."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and not self._reported:
            self._reported = True
            raise self._error

    def _commit_loop(self) -> None:
        done = False
        while not done:
            jobs = [self._queue.get()]
            while jobs[-1] is not None:  # what queued up meanwhile goes into the same transaction
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            done = jobs[-1] is None
            items = [(key, row) for job in jobs if job is not None for key, row in zip(*job)]
            if items and self._error is None:
                try:
                    self.cache.put_many(self.model, items)
                except BaseException as exc:  # noqa: BLE001 - handed to the engine's thread
                    self._error = exc


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
    shared: int = 0  # distinct inputs whose encoded form equals another's (run once, see the module docstring)
    unavailable: int = 0  # inputs the model has no output for (stored outputs); listed only when > 0

    def as_dict(self) -> dict:
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in self.__dict__.items()
                if k != "unavailable" or v}

    def add(self, other: "InferenceStats") -> None:
        """Add the counts and seconds of ``other`` (another chunk of the same run) to these."""
        for name in ("requested", "unique", "cached", "computed", "forward_passes", "seconds", "truncated",
                     "shared", "unavailable"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Prediction:
    """Class probabilities (in the teacher's label order) and the logits they came from.

    ``available`` marks the rows the model answered (``None``: all of them); the other rows are NaN.
    """

    probs: np.ndarray
    logits: np.ndarray
    stats: InferenceStats = field(default_factory=InferenceStats)
    available: np.ndarray | None = None


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64; a NaN row (an unavailable output) stays NaN."""
    z = logits.astype(np.float64)
    with np.errstate(invalid="ignore"):
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


def distributed_state(device: str = "cpu"):
    """The ``accelerate.PartialState`` of a multi-process launch, or ``None`` for a single process.

    The launch's size (:func:`~metacompress_eval.launch.world_size`: ``WORLD_SIZE`` or an MPI launcher's, as
    accelerate reads them) is checked first so an ordinary run neither imports accelerate nor touches
    ``torch.distributed``. ``cpu=True`` for CPU devices makes
    accelerate use the gloo backend even on a machine that has GPUs.
    """
    if world_size() <= 1:
        return None
    from accelerate import PartialState

    try:
        state = PartialState(cpu=str(device).startswith("cpu"))
    except ValueError as exc:  # e.g. WORLD_SIZE set by hand, without a launcher's MASTER_ADDR: the environment's fault
        raise MetaCompressError(f"the environment says this is a launch of {world_size()} processes (WORLD_SIZE "
                                f"or an MPI launcher's size), but it cannot be joined: {' '.join(str(exc).split())}; "
                                "start the run with torchrun, accelerate launch or mpirun, or unset those "
                                "variables") from None
    return state if state.num_processes > 1 else None


# Inputs encoded per chunk while the engine runs batches (InferenceEngine._encode_while_running):
# the first chunk is small so that inference starts early, later ones larger (fewer tokenizer calls).
_FIRST_CHUNK = 64
# Lengths at or above this are no length at all (a plugin's bug); below it every plan's cost is exact.
_MAX_LENGTH = 2 ** 40
_LAST_CHUNK = 1024


@dataclass
class _Work:
    """What :meth:`InferenceEngine.predict` knows so far: each distinct input's encoded key, the first
    input of each encoded form, the unavailable ones, the outputs known, what is left to compute, and
    where computed outputs go (the cache's writer thread; ``None`` without a cache)."""

    key_of: dict[str, str] = field(default_factory=dict)
    encoded_of: dict[str, Any] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)
    known: dict[str, np.ndarray] = field(default_factory=dict)
    todo: list[str] = field(default_factory=list)
    encoded: list = field(default_factory=list)
    writer: CacheWriter | None = None


def check_logits(model: LoadedModel, logits: Any, rows: int) -> np.ndarray:
    """``logits`` (an array ``[rows, classes]`` whose every row has a softmax) unchanged, or a one-line error
    naming the adapter.

    Every adapter's output passes here, the one place the engine receives it, before anything is handed
    to the cache: a plugin (or a damaged model) that returns the wrong number of rows, a column count
    other than its label count, or a row without probabilities would otherwise shift outputs onto the
    wrong inputs or poison every figure silently, and a cached bad row would fail every later run.
    """
    classes = len(model.label_names)
    who = f"{model.plugin or model.adapter} adapter ({model.name})"
    array_ = np.asarray(logits) if isinstance(logits, (np.ndarray, list, tuple)) else None
    if array_ is None or array_.dtype.kind not in "fiu":
        raise MetaCompressError(f"{who}: forward returned {type(logits).__name__}, not a numpy array of logits")
    if array_.shape != (rows, classes):
        raise MetaCompressError(f"{who}: forward returned logits of shape {array_.shape} for a batch of {rows} "
                                f"input(s); expected ({rows}, {classes}): one row per input, one column per label "
                                f"{model.label_names}")
    if array_.dtype.kind == "f" and array_.size:
        # A row has a softmax when its largest value, as the cache stores it (float32), is finite: −inf
        # elsewhere is a probability of 0 (stored outputs of p = 0), but NaN, +inf (beyond float32's
        # range too) or a row of −inf alone have none. NaN propagates through max.
        bad = np.flatnonzero(~np.isfinite(array_.astype(np.float32, copy=False).max(axis=1)))
        if bad.size:
            row = ", ".join(str(float(v)) for v in array_[bad[0]])
            raise MetaCompressError(f"{who}: forward returned logits without probabilities (NaN, +inf or all "
                                    f"-inf, as float32) for {bad.size} of {rows} input(s), first row {bad[0]} "
                                    f"of the batch: [{row}]; nothing of this batch was cached")
    return array_


class InferenceEngine:
    """Runs one model over many inputs: deduplicated by encoded form, cached, length-sorted, batched by tokens.

    Args:
        loaded: the model behind its adapter (:func:`metacompress_eval.models.load_model`).
        cache: where outputs are stored; ``None`` disables caching (everything is computed).
        batch_size: with ``batch_tokens=None``, the budget is ``batch_size`` inputs of the model's
            ``max_length`` tokens.
        batch_tokens: padded tokens per forward pass (see :meth:`batches`); ``None``: as above.
        pass_tokens: what one forward pass costs beyond its tokens, in tokens, for the plan
            (:func:`~metacompress_eval.batch_plan.plan_batches`); ``None``: the model's device's default
            (:func:`~metacompress_eval.batch_plan.default_pass_tokens`).
        progress: show a progress bar on stderr.
        role: the model's part in the run (``teacher``, ``student``), named in cache warnings.
    """

    def __init__(self, loaded: LoadedModel, cache: OutputCache | None = None, *, batch_size: int = 32,
                 batch_tokens: int | None = None, progress: bool = True, desc: str | None = None,
                 role: str | None = None, pass_tokens: int | None = None):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if batch_tokens is not None and batch_tokens < 1:
            raise ValueError("batch_tokens must be at least 1")
        if pass_tokens is not None and pass_tokens < 0:
            raise ValueError("pass_tokens must be at least 0")
        self.loaded = loaded
        self.cache = cache if loaded.uses_cache else None
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens if batch_tokens is not None else batch_size * max(1, loaded.max_length)
        self.pass_tokens = (pass_tokens if pass_tokens is not None
                            else default_pass_tokens(str(loaded.device), self.batch_tokens))
        self.progress = progress
        self.desc = desc or loaded.name
        self.owner = f"the {role} ({loaded.name})" if role else str(loaded.name)

    def encode(self, inputs: Sequence[Inputs], ids: Sequence[Any] | None = None) -> list:
        """Each input as the model's adapter prepares it (token ids for the text models)."""
        return self.loaded.encode(list(inputs), ids)

    def batches(self, encoded: list) -> list[list[int]]:
        """Indices of ``encoded`` grouped into batches (:func:`~metacompress_eval.batch_plan.plan_batches`).

        Longest first; a batch's padded size (``count × longest``) stays within ``batch_tokens`` (a
        single longer input runs alone), and batches end where the padding saved outweighs a pass's
        cost (``pass_tokens``). Inputs of exactly ``max_length`` tokens go first in whole batches of
        ``batch_tokens // max_length`` (so that they can run while the rest is being encoded); with
        every input at ``max_length`` that is the fixed ``batch_size``.
        """
        cap = max(1, self.loaded.max_length)
        return plan_batches([self._length(e) for e in encoded], self.batch_tokens, self.pass_tokens,
                            full_length=cap, full_count=self._full_count())

    def _full_count(self) -> int:
        """Full-length inputs a batch of the plan holds (:meth:`batches`)."""
        return min(MAX_BATCH_INPUTS, max(1, self.batch_tokens // max(1, self.loaded.max_length)))

    def _length(self, encoded) -> int:
        """The adapter's ``length`` of one encoded input, checked: a whole number of tokens."""
        value = self.loaded.length(encoded)
        whole = (isinstance(value, numbers.Integral) or (isinstance(value, numbers.Real) and math.isfinite(value)
                                                         and float(value).is_integer()))
        if whole and not isinstance(value, bool) and abs(int(value)) < _MAX_LENGTH:
            return int(value)
        model = self.loaded
        who = getattr(model, "plugin", None) or model.adapter
        raise MetaCompressError(f"the {who!r} adapter's length() returned {value!r} for an input; a length is a "
                                f"whole number of tokens below {_MAX_LENGTH} (a fault of the adapter's code)")

    def collate(self, rows: list):
        """One padded batch, as the adapter's ``forward`` takes it."""
        return self.loaded.collate(rows)

    def forward(self, batch) -> np.ndarray:
        return self.loaded.forward(batch)

    def logits(self, rows: list) -> np.ndarray:
        """Class logits of a batch of encoded inputs, checked (:func:`check_logits`). A small batch runs
        on one CPU thread, so that its outputs do not depend on the thread count
        (:func:`~metacompress_eval.threads.one_thread_for_small_batches`)."""
        with one_thread_for_small_batches(len(rows), str(self.loaded.device)):
            return check_logits(self.loaded, self.forward(self.collate(rows)), len(rows))

    def predict(self, inputs: Sequence[Inputs], ids: Sequence[Any] | None = None, *, shard: bool = True) -> Prediction:
        """Probabilities for every input, computing only what the cache does not hold.

        ``ids`` (optional, one per input) identify inputs for adapters that look outputs up by id
        (stored outputs): a source's id, or ``None`` for an input with none (a follow-up).
        ``shard=False`` computes everything in this process even under a multi-process launch (for
        callers that shard the inputs themselves).
        """
        started = time.perf_counter()
        model = self.loaded
        stats = InferenceStats(requested=len(inputs))
        if ids is not None and len(ids) != len(inputs):
            raise ValueError(f"{len(ids)} ids for {len(inputs)} inputs")
        id_of = list(ids) if ids is not None else [None] * len(inputs)
        state = distributed_state(str(model.device)) if shard else None
        work = _Work()
        if self.cache and inputs and (state is None or state.is_main_process):
            work.writer = CacheWriter(self.cache, model.fingerprint)
        try:
            if state is None and model.encodes_in_background and len(inputs) > _FIRST_CHUNK:
                text_keys, distinct = self._encode_while_running(inputs, id_of, work, stats)
            else:
                # Distinct inputs (as the adapter identifies them); each is then encoded and keyed by its
                # encoded form.
                text_keys = [model.input_key(inp, i) for inp, i in zip(inputs, id_of)]
                first: dict[str, int] = {}
                for idx, key in enumerate(text_keys):
                    first.setdefault(key, idx)
                distinct = list(first)
                encoded = (self.encode([inputs[first[k]] for k in distinct], [id_of[first[k]] for k in distinct])
                           if distinct else [])
                self._admit(distinct, encoded, self._keys(encoded), work, state, stats)
                if work.todo:
                    if state is not None:
                        self._run_sharded(state, work, stats)
                    else:
                        self._run(work, stats)
        finally:
            if work.writer is not None:
                work.writer.close()  # every computed output committed before predict returns (or raises)
        # Every requested input is encoded (the cache is keyed by the encoding), so truncation is known for
        # each, cached or not: counted over all of them, the figure does not depend on what was cached.
        cut = {k: bool(model.truncated(e)) for k, e in work.encoded_of.items() if e is not None}
        stats.truncated = sum(cut.get(work.key_of[k], False) for k in text_keys)
        stats.computed = len(work.todo)
        stats.unique = len(work.encoded_of)
        stats.shared = len(distinct) - len(work.encoded_of)
        keys = [work.key_of[k] for k in text_keys]
        n_classes = len(model.label_names)
        blank = np.full(n_classes, np.nan, dtype=np.float32)
        known = work.known
        logits = (np.stack([known.get(k, blank) for k in keys]) if keys
                  else np.zeros((0, n_classes), np.float32))
        available = None
        if work.missing:
            available = np.array([k not in work.missing for k in keys])
            stats.unavailable = int((~available).sum())
        if model.label_permutation is not None:
            logits = logits[:, model.label_permutation]
        stats.seconds = time.perf_counter() - started
        return Prediction(probs=softmax(logits), logits=logits, stats=stats, available=available)

    def _keys(self, encoded: list) -> list[str | None]:
        """The cache key of each encoded input (``None`` for an unavailable one)."""
        key = self.loaded.encoded_key
        return [None if e is None else key(e) for e in encoded]

    def _encode_with_keys(self, inputs: list, ids: list, beside: bool) -> tuple[list, list[str | None]]:
        """:meth:`encode` and :meth:`_keys` together: one job of the encoding thread. ``beside``: forward
        passes run meanwhile (:meth:`~metacompress_eval.models.LoadedModel.encode_beside`)."""
        encoded = self.loaded.encode_beside(inputs, ids) if beside else self.encode(inputs, ids)
        return encoded, self._keys(encoded)

    def _admit(self, distinct: list[str], encoded: list, enc_keys: list[str | None], work: "_Work", state,
               stats: InferenceStats) -> None:
        """Take ``encoded`` (the encoded forms of ``distinct``) with their keys, drop those encoded alike to
        an earlier input, read what the cache holds, and queue the rest in ``work.todo``."""
        model = self.loaded
        new = []
        for key, e, enc_key in zip(distinct, encoded, enc_keys):
            # Unavailable inputs (encoded as None) keep their own key: nothing can be shared with them.
            if e is None:
                enc_key = key
            work.key_of[key] = enc_key
            if enc_key in work.encoded_of:
                continue
            work.encoded_of[enc_key] = e
            if e is None:
                work.missing.add(enc_key)
            else:
                new.append(enc_key)
        found = self.cache.get_many(model.fingerprint, new, owner=self.owner) if self.cache and new and (
            state is None or state.is_main_process) else {}
        if state is not None:
            # Only the main process reads the cache and sends what it found to the others: nodes of a
            # multi-node run may see different cache files, and every process must agree on ``todo``
            # (hence on the batch plan) or the collective calls would not match up.
            from accelerate.utils import broadcast_object_list

            stats.processes = state.num_processes
            box = broadcast_object_list([{k: v.tolist() for k, v in found.items()} if state.is_main_process
                                         else None])
            found = {k: np.asarray(v, dtype=np.float32) for k, v in box[0].items()}
        stats.cached += len(found)
        work.known.update(found)
        for enc_key in new:
            if enc_key not in found:
                work.todo.append(enc_key)
                work.encoded.append(work.encoded_of[enc_key])

    def _encode_while_running(self, inputs: Sequence[Inputs], id_of: list, work: "_Work",
                              stats: InferenceStats) -> tuple[list[str], list[str]]:
        """Encode in chunks on a worker thread while this one runs the batches that are already known;
        return every input's key and the distinct keys, in order of first appearance.

        The plan (:meth:`batches`) puts full-length inputs first, in their order, ``batch_tokens //
        max_length`` to a batch. Those batches are fixed as soon as enough full-length inputs have been
        encoded, whatever comes later, so they run while the rest is tokenised; the remaining inputs
        are planned at the end with the same rule. Every batch holds exactly the inputs it holds in the
        plan of :meth:`_run`, so the outputs are the same bytes. (The adapter's ``encodes_in_background``
        promises that no encoded input is longer than ``max_length``.)

        The inputs' own keys are computed here, and each chunk is handed to the worker as soon as its
        distinct inputs are known, so the first chunk is encoded while the rest are keyed. The thread
        also computes the encoded keys: hashing every input's ids is work the forward passes need not
        wait for. Nothing runs beside the first chunk: it may use every core (later ones go through
        the adapter's ``encode_beside``).
        """
        from concurrent.futures import ThreadPoolExecutor

        from tqdm.auto import tqdm

        model = self.loaded
        cap = max(1, model.max_length)
        per_batch = self._full_count()
        bar = tqdm(total=len(inputs), desc=self.desc, unit="input", disable=not self.progress, leave=False)
        ready: list[int] = []  # full-length inputs in work.todo not run yet
        ran: set[int] = set()
        text_keys: list[str] = []
        first: dict[str, int] = {}
        chunks: list[list[str]] = []  # distinct keys, small chunks first so that the first batches start early
        futures: list = []
        try:
            with ThreadPoolExecutor(1, thread_name_prefix="metacompress-encode") as pool:
                def submit(chunk: list[str]) -> None:
                    chunks.append(chunk)
                    futures.append(pool.submit(self._encode_with_keys, [inputs[first[k]] for k in chunk],
                                               [id_of[first[k]] for k in chunk], len(futures) > 0))
                try:
                    chunk, size = [], _FIRST_CHUNK
                    for idx, (inp, source_id) in enumerate(zip(inputs, id_of)):
                        key = model.input_key(inp, source_id)
                        text_keys.append(key)
                        if key not in first:
                            first[key] = idx
                            chunk.append(key)
                            if len(chunk) == size:
                                submit(chunk)
                                chunk, size = [], min(2 * size, _LAST_CHUNK)
                    if chunk:
                        submit(chunk)
                    bar.total = len(first)  # as the other paths count: distinct inputs
                    bar.refresh()
                    for chunk, future in zip(chunks, futures):
                        before = len(work.todo)
                        self._admit(chunk, *future.result(), work, None, stats)
                        for i in range(before, len(work.todo)):
                            length = max(1, self._length(work.encoded[i]))
                            if length > cap:
                                who = getattr(model, "plugin", None) or model.adapter
                                raise MetaCompressError(f"the {who!r} adapter encoded an input of {length} tokens, "
                                                        f"more than its max_length {cap}, though it encodes in the "
                                                        "background (a fault of the adapter's code)")
                            if length == cap:
                                ready.append(i)
                        while len(ready) >= per_batch:
                            batch, ready = ready[:per_batch], ready[per_batch:]
                            self._run_batch(batch, work, stats)
                            ran.update(batch)
                            bar.update(len(batch))
                finally:
                    for future in futures:
                        future.cancel()
            rest = [i for i in range(len(work.todo)) if i not in ran]
            for batch in self.batches([work.encoded[i] for i in rest]):
                self._run_batch([rest[j] for j in batch], work, stats)
                bar.update(len(batch))
        finally:
            bar.close()
        return text_keys, list(first)

    def _run_batch(self, batch_idx: list[int], work: "_Work", stats: InferenceStats) -> None:
        """One forward pass over ``work.todo[batch_idx]``, its outputs handed to the cache's writer."""
        logits = self.logits([work.encoded[i] for i in batch_idx])
        stats.forward_passes += 1
        keys = [work.todo[i] for i in batch_idx]
        if work.writer is not None:
            work.writer.put(keys, logits)
        work.known.update(zip(keys, logits))

    def _run(self, work: "_Work", stats: InferenceStats) -> None:
        """Compute ``work.todo`` batch by batch in this process."""
        from tqdm.auto import tqdm

        bar = tqdm(total=len(work.todo), desc=self.desc, unit="input", disable=not self.progress, leave=False)
        try:
            for batch_idx in self.batches(work.encoded):
                self._run_batch(batch_idx, work, stats)
                bar.update(len(batch_idx))
        finally:
            bar.close()

    def _run_sharded(self, state, work: "_Work", stats: InferenceStats) -> None:
        """Compute ``work.todo`` across the processes of ``state``; fill ``work.known`` with every process's
        results.

        The batch plan depends only on the inputs, so every process derives the same plan and takes
        batches ``rank, rank + N, ...`` (the longest batches are spread over all processes). Each
        round of N batches ends with one ``gather_object`` (logits travel as lists of floats, since
        tensors of unequal length would abort gloo), and the main process hands the round to the
        cache's writer, so an interrupted distributed run resumes like a single-process one.
        """
        from accelerate.utils import gather_object
        from tqdm.auto import tqdm

        todo, encoded = work.todo, work.encoded
        plan = self.batches(encoded)
        n, rank = state.num_processes, state.process_index
        bar = tqdm(total=len(todo), desc=self.desc, unit="input", leave=False,
                   disable=not self.progress or not state.is_main_process)
        try:
            for start in range(0, len(plan), n):
                mine: list[tuple[str, list[float]]] = []
                if start + rank < len(plan):
                    batch_idx = plan[start + rank]
                    logits = self.logits([encoded[i] for i in batch_idx])
                    mine = [(todo[i], logits[j].tolist()) for j, i in enumerate(batch_idx)]
                gathered = gather_object(mine)
                # float32 -> Python float -> float32 is exact: these equal the local logits bit for bit.
                items = [(key, np.asarray(row, dtype=np.float32)) for key, row in gathered]
                if work.writer is not None and items:  # the main process's only
                    work.writer.put([key for key, _ in items], [row for _, row in items])
                work.known.update(items)
                stats.forward_passes += min(n, len(plan) - start)
                bar.update(len(items))
        finally:
            bar.close()
        state.wait_for_everyone()
