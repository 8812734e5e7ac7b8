"""The ``stored-outputs`` adapter: a model that is a file of its outputs (e.g. a teacher scored elsewhere).

Rows (JSONL, JSON, CSV/TSV or parquet) hold an input's id — or the ids of a pair — and its logits or
probabilities::

    {"id": "f17", "logits": [1.3, -0.2]}
    {"id1": "22966596", "id2": "7343430", "teacher_logits": [-2.1, 2.4]}

Inputs are matched by id: the engine passes each input's id (a source's id, or its pair's ids), and
an input the file does not cover — a follow-up, when only the sources were scored — is *unavailable*:
its row of outputs is NaN and figures that need it are computed on the rows that have it. Every
problem with the file (duplicate ids, rows of different widths, NaN or infinite values, probabilities
that do not sum to 1, a missing column) is reported with the file name and the row before any
inference runs; :meth:`StoredOutputs.check_ids` reports ids that the data does not contain.

Options: ``column`` (default: ``logits``, ``probs`` or ``probabilities``, else the one column named
``*_logits`` / ``*_probs``), ``kind`` (``logits`` or ``probs``; default from the column's name),
``id_columns`` (default ``id``, else ``id1,id2``), ``labels``. A one-value row is a sigmoid output:
probability ``p`` becomes ``[1 − p, p]``, a logit ``z`` becomes ``[0, z]``.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ..errors import MetaCompressError
from .base import Inputs, LoadedModel, generic_labels
from .files import fingerprint_paths
from .options import Option

NAME = "stored-outputs"
SUMMARY = "a file of stored logits or probabilities per input id (or pair of ids), e.g. a teacher scored elsewhere"
OPTIONS = (
    Option("column", "the column holding the outputs (default: logits, probs, probabilities, or the one *_logits "
                     "/ *_probs column)"),
    Option("kind", "whether the column holds logits or probabilities (default: probs when its name says so)",
           choices=("logits", "probs")),
    Option("id_columns", "the id column(s): id, or id1,id2 for pairs (default: whichever the file has)", kind=list),
    Option("labels", "class names in output order, comma separated (default LABEL_0, LABEL_1, …)", kind=list),
)
SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet")
_PROB_TOLERANCE = 1e-3


def claims(path: Path) -> str | None:
    """Detection: a table file is a stored-outputs model."""
    if path.is_file() and path.suffix.lower() in SUFFIXES:
        return "a table of stored outputs"
    return None


def id_key(value: Any) -> tuple[str, ...] | None:
    """An input's id as the tuple the file is keyed by: ``"x"`` → ``("x",)``, ``("a", "b")`` stays a pair."""
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        return tuple(str(v) for v in value)
    return (str(value),)


class StoredOutputs(LoadedModel):
    """Outputs read from a file, looked up by input id; inputs without a stored row are unavailable."""

    adapter = NAME
    uses_cache = False  # the file is the cache

    def __init__(self, *, rows: dict[tuple[str, ...], int], logits: np.ndarray, id_columns: list[str], column: str,
                 kind: str, **kwargs):
        super().__init__(**kwargs)
        self.rows = rows
        self.logits = logits
        self.id_columns = id_columns
        self.key_columns = tuple(id_columns)
        # No path here: the note goes into published reports (the file's name is in models.<role>).
        self.coverage_note = (f"its outputs are stored outputs, looked up by {', '.join(id_columns)}: inputs the "
                              "file does not hold (follow-ups, adversarial examples) have none")
        self.column = column
        self.kind = kind

    def input_key(self, inputs: Inputs, source_id: Any = None) -> str:
        key = id_key(source_id)
        if key is None:  # nothing to look up: unavailable, and distinct inputs stay distinct
            return "unavailable:" + super().input_key(inputs)
        return "id:" + hashlib.sha256("\x1f".join(key).encode("utf-8", "surrogatepass")).hexdigest()

    def encode(self, inputs: Sequence[Inputs], ids: Sequence[Any] | None = None) -> list[int | None]:
        """The stored row of each input (``None``: unavailable)."""
        if ids is None:
            raise MetaCompressError(f"{self.name}: stored outputs are matched by input id, and no ids were given "
                                    "(evaluate them with --teacher-outputs)")
        found = []
        for value in ids:
            key = id_key(value)
            if key is not None and len(key) != len(self.id_columns):
                raise MetaCompressError(
                    f"{self.name}: outputs are keyed by {', '.join(self.id_columns)} but an input is identified by "
                    f"{len(key)} id(s) ({', '.join(key)})")
            found.append(self.rows.get(key) if key is not None else None)
        return found

    def length(self, encoded) -> int:
        return 1

    def truncated(self, encoded) -> bool:
        return False

    def collate(self, rows: list[int]) -> np.ndarray:
        return np.asarray(rows, dtype=np.int64)

    def forward(self, batch: np.ndarray) -> np.ndarray:
        return self.logits[batch]

    def check_ids(self, known: Iterable[Any], *, what: str = "the data") -> None:
        """Refuse stored ids that ``known`` (every id of the data) does not contain."""
        known_keys = {id_key(k) for k in known}
        unknown = [k for k in self.rows if k not in known_keys]
        if unknown:
            shown = ", ".join("/".join(k) for k in unknown[:3])
            raise MetaCompressError(f"{self.name}: {len(unknown)} stored id(s) that {what} does not contain "
                                    f"(e.g. {shown}); the outputs belong to other data")

    def describe(self) -> dict:
        info = super().describe()
        info.update({"rows": len(self.rows), "column": self.column, "kind": self.kind, "id_columns": self.id_columns})
        return info


def _pick_column(columns: list[str], where: str) -> str:
    for name in ("logits", "probs", "probabilities"):
        if name in columns:
            return name
    suffixed = [c for c in columns if c.endswith(("_logits", "_probs", "_probabilities"))]
    if len(suffixed) == 1:
        return suffixed[0]
    raise MetaCompressError(f"{where}: cannot tell which column holds the outputs (columns: {', '.join(columns)}); "
                            "pass the option column=NAME")


def _pick_ids(columns: list[str], where: str) -> list[str]:
    if "id" in columns:
        return ["id"]
    if "id1" in columns and "id2" in columns:
        return ["id1", "id2"]
    raise MetaCompressError(f"{where}: no id column (id, or id1 and id2 for pairs; columns: {', '.join(columns)}); "
                            "pass the option id_columns=NAME[,NAME]")


def _read_rows(path: Path, where: str) -> list[dict]:
    from ..data import read_table

    # The data reader's own messages speak of a "data file"; here the file is a model's outputs.
    if path.stat().st_size == 0:
        raise MetaCompressError(f"{where}: the file is empty")
    try:
        rows, loaded = read_table(path)
    except MetaCompressError as exc:
        raise MetaCompressError(f"{where}: {exc}") from None
    if loaded.skipped:
        first = loaded.skipped_examples[0]["reason"] if loaded.skipped_examples else dict(loaded.skipped)
        raise MetaCompressError(f"{where}: unreadable row ({first})")
    if not rows:
        raise MetaCompressError(f"{where}: no rows")
    return rows


def _vector(value: Any, row: int, where: str, column: str) -> list[float]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    elif isinstance(value, str):  # CSV cells hold "[0.1, 0.9]" or "0.1 0.9"
        parts = value.strip().strip("[]").replace(",", " ").split()
        try:
            value = [float(p) for p in parts]
        except ValueError:
            value = None
    elif hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, list) or not value or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise MetaCompressError(f"{where}: row {row}: {column} is not a list of numbers")
    return [float(v) for v in value]


def load(name: str, *, role: str = "model", tokenizer: str | None = None, device: str = "cpu",
         max_length: int | None = None, trust_remote_code: bool = False, options: dict | None = None) -> StoredOutputs:
    """Read and check a stored-outputs file (see the module docstring)."""
    opts = options or {}
    path = Path(name).expanduser()
    where = f"{role} outputs {name}"
    if path.is_dir():
        raise MetaCompressError(f"{where}: a folder, not a file of stored outputs ({', '.join(SUFFIXES)})")
    if not path.is_file():
        raise MetaCompressError(f"{where}: no such file")
    rows = _read_rows(path, where)
    columns = list(dict.fromkeys(k for r in rows[:100] for k in r))
    column = opts.get("column") or _pick_column(columns, where)
    id_columns = opts.get("id_columns") or _pick_ids(columns, where)
    missing = [c for c in [column, *id_columns] if c not in columns]
    if missing:
        raise MetaCompressError(f"{where}: no column {', '.join(missing)} (columns: {', '.join(columns)})")
    kind = opts.get("kind") or ("probs" if "prob" in column.lower() else "logits")
    index: dict[tuple[str, ...], int] = {}
    values: list[list[float]] = []
    width = None
    for number, row in enumerate(rows, start=1):
        key = tuple(str(row.get(c)) if row.get(c) is not None else "" for c in id_columns)
        if any(k == "" for k in key):
            raise MetaCompressError(f"{where}: row {number}: empty {'/'.join(id_columns)}")
        if key in index:
            raise MetaCompressError(f"{where}: duplicate id {'/'.join(key)} (rows {index[key] + 1} and {number})")
        vec = _vector(row.get(column), number, where, column)
        if width is None:
            width = len(vec)
        elif len(vec) != width:
            raise MetaCompressError(f"{where}: row {number}: {len(vec)} values in {column}, earlier rows have {width}")
        if not all(math.isfinite(v) for v in vec):
            raise MetaCompressError(f"{where}: row {number}: {column} holds NaN or infinite values")
        if kind == "probs":
            if any(v < 0 or v > 1 for v in vec):
                raise MetaCompressError(f"{where}: row {number}: probabilities outside [0, 1] in {column}")
            if len(vec) > 1 and abs(sum(vec) - 1) > _PROB_TOLERANCE:
                raise MetaCompressError(f"{where}: row {number}: probabilities in {column} sum to {sum(vec):.4g}, not 1")
        index[key] = len(values)
        values.append(vec)
    array = np.asarray(values, dtype=np.float64)
    if kind == "probs":
        if width == 1:
            array = np.concatenate([1 - array, array], axis=1)
        with np.errstate(divide="ignore"):
            logits = np.log(array).astype(np.float32)  # softmax(log p) = p; a 0 becomes −inf and stays 0
    else:
        if width == 1:
            array = np.concatenate([np.zeros_like(array), array], axis=1)  # as binary_logits: [0, z]
        # Logits beyond float32's range would become ±inf and their softmax NaN; softmax does not change
        # when a row is shifted, so such rows (only those: others keep their values) lose their maximum.
        huge = np.abs(array).max(axis=1) > np.finfo(np.float32).max / 2
        array[huge] -= array[huge].max(axis=1, keepdims=True)
        with np.errstate(over="ignore"):
            logits = array.astype(np.float32)
    n_classes = logits.shape[1]
    labels = opts.get("labels")
    if labels is not None and len(labels) != n_classes:
        raise MetaCompressError(f"{where}: labels={','.join(labels)} names {len(labels)} classes, the file holds "
                                f"{n_classes} values per row")
    fingerprint = fingerprint_paths([path], {"adapter": NAME, "column": column, "kind": kind, "ids": id_columns})
    return StoredOutputs(rows=index, logits=logits, id_columns=list(id_columns), column=column, kind=kind, name=name,
                         label_names=labels or generic_labels(n_classes), fingerprint=fingerprint, max_length=0,
                         device="cpu", files=[path.name])
