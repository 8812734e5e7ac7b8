"""Loading source inputs: JSONL, CSV, parquet, a ``save_to_disk`` folder or a Hub dataset id.

:func:`load_sources` is the one way every command turns a :class:`DataSpec` (where the data is and
which rows to keep) into :class:`SourceInput` objects; :func:`load_code_sources` is its flavour for
tools that only transform code. The result counts every row that was skipped and why (invalid
UTF-8, empty or oversized code, ...). Problems that make the whole input unusable — a missing file,
a missing column, labels outside the models' label set — raise :class:`MetaCompressError`.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from .errors import MetaCompressError
from .fileio import check_text_encoding, unencodable_text
from .tables import no_rows, read_file_rows
from .tasks import TaskSpec

DEFAULT_MAX_CODE_CHARS = 50_000


@dataclass(frozen=True)
class DataSpec:
    """Where the source inputs come from and which rows to keep.

    Attributes:
        path: JSONL/JSON/CSV/TSV/parquet file, ``save_to_disk`` folder or Hub dataset id.
        split: split of a folder or Hub dataset with several.
        where: keep only rows whose column equals the value (compared as text).
        pair_ids: for pairs given by function ids, the two id columns (needs ``functions``).
        functions: table of functions ``{id, code}`` referenced by ``pair_ids``.
        max_code_chars: longer code inputs are skipped as oversized.
        max_sources: keep only the first N usable rows.
        key_columns: columns whose values each source keeps in :attr:`SourceInput.keys` (the ids that
            stored model outputs are matched by); every row must have them.
        context_column: column holding each row's context: the text of the file or translation
            unit its code was cut from, or the path of that file (see :func:`read_context`).
    """

    path: str
    split: str | None = None
    where: Mapping[str, str] = field(default_factory=dict)
    pair_ids: tuple[str, str] | None = None
    functions: str | None = None
    max_code_chars: int = DEFAULT_MAX_CODE_CHARS
    max_sources: int | None = None
    key_columns: tuple[str, ...] = ()
    context_column: str | None = None


@dataclass
class SourceInput:
    """One source input: its id, its code input(s) and its gold label index (or ``None``).

    ``keys`` holds the values of the data's :attr:`DataSpec.key_columns` (column → text), when asked for;
    ``contexts``, when the data has a context column, the enclosing file of each code input (``None``
    each where unknown; see :func:`read_context`).
    """

    id: str
    inputs: tuple[str, ...]
    label: int | None = None
    keys: dict[str, str] | None = None
    contexts: tuple[str | None, ...] | None = None


@dataclass
class LoadedData:
    """Source examples ready for evaluation, with the skips that were counted on the way."""

    sources: list[SourceInput]
    skipped: Counter = field(default_factory=Counter)
    skipped_examples: list[dict] = field(default_factory=list)
    description: dict = field(default_factory=dict)
    # The key-column values of every row of the table (DataSpec.key_columns order), before --where and --max-sources.
    keys_in_data: list[tuple[str, ...]] = field(default_factory=list)
    # The split of a folder or Hub dataset the rows were read from: the one asked for, or the one picked
    # (its only split, or "test"); None for a data file.
    split: str | None = None
    # Where each row read came from ("data.jsonl:7", "data.json[3]"), when the reader knows; messages
    # about a row name it this way (see :meth:`row_name`).
    origins: list[str] | None = None

    def row_name(self, index: int) -> str:
        """How messages name row ``index`` of the rows read: its line, or its 1-based row number."""
        if self.origins is not None and index < len(self.origins):
            return self.origins[index]
        return f"{_source_name(self)} row {index + 1}"

    def skip(self, reason: str, where: str) -> None:
        self.skipped[reason] += 1
        if len(self.skipped_examples) < 20:
            self.skipped_examples.append({"where": where, "reason": reason})

    def skip_lines(self) -> list[str]:
        """One line per skip reason: how many rows, and where the first one was (see :func:`skip_lines`)."""
        return skip_lines(self.skipped, self.skipped_examples)


def skip_lines(skipped: Mapping[str, int], examples: Sequence[dict]) -> list[str]:
    """``skipped 2 rows: invalid JSON (first: data.jsonl:7: invalid JSON (Expecting value))`` per reason.

    What every command prints after its run (also with ``--quiet``: skipped rows are a result, not
    progress), from the counts and examples it wrote to its machine-readable output.
    """
    lines = []
    for reason, count in skipped.items():
        first = next((e.get("where") for e in examples if e.get("reason") == reason), None)
        lines.append(f"skipped {count} row{'s' if count != 1 else ''}: {reason}" + (f" (first: {first})" if first else ""))
    return lines


def code_problem(code: Any, max_code_chars: int = DEFAULT_MAX_CODE_CHARS) -> str | None:
    """Why ``code`` (one cell of a code column) cannot be used, or ``None``.

    Shared by every command, so one row is judged the same way by ``evaluate``, ``attack``,
    ``distill``, ``transform``, ``dataset``, ``verify`` and the Space; ``max_code_chars`` is the size
    cap they share (``--max-code-chars``, default :data:`DEFAULT_MAX_CODE_CHARS`).
    """
    if code is None:
        return "missing code"
    if not isinstance(code, str):
        return f"code is not text ({value_kind(code)})"
    if not code.strip():
        return "empty code"
    if len(code) > max_code_chars:
        return f"code longer than {max_code_chars} characters"
    if "\x00" in code:
        return "code contains NUL bytes"
    bad = unencodable_text(code)
    if bad:
        return f"text not encodable as UTF-8 ({bad})"
    return None


def value_kind(value: Any) -> str:
    """``int``, ``float``, ``binary``, ``list`` ...: what a non-text cell holds, for messages."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "binary"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "struct"
    return type(value).__name__


def check_text_column(rows: Sequence[dict], column: str, source: str) -> None:
    """Refuse a column that exists but holds no text at all (a parquet ``int64`` or ``binary`` column).

    Row by row such cells would each be skipped as "not text", which hides the real problem: the
    column is the wrong one, or the file was written with the wrong type.
    """
    values = [r.get(column) for r in rows if column in r]
    present = [v for v in values if v is not None]
    if present and not any(isinstance(v, str) for v in present):
        kinds = sorted({value_kind(v) for v in present})
        raise MetaCompressError(f"column {column!r} of {source} holds {' and '.join(kinds)} values, not text; "
                                "the code column must hold source code as strings (name another one with "
                                "--code-column)")


def read_table(spec: str | os.PathLike, *, split: str | None = None) -> tuple[list[dict], LoadedData]:
    """Read rows from a file, a ``save_to_disk`` folder or a Hub dataset id.

    Returns the rows and a :class:`LoadedData` (with no sources yet) that already counts the
    unreadable lines of a JSONL file.
    """
    result = LoadedData(sources=[])
    spec_str = str(spec)
    path = Path(spec_str).expanduser()
    result.description = {"path": spec_str, "split": split}
    if path.is_dir():
        result.description["format"] = "save_to_disk"
        rows, result.split = _read_saved_dataset(path, split)
        return rows, result
    if path.exists() and not path.is_file():
        raise MetaCompressError(f"data {spec_str} is not a regular file (a device, pipe or socket)")
    if path.is_file():
        suffix = "".join(path.suffixes[-2:]) if path.suffix == ".gz" else path.suffix
        try:
            if path.stat().st_size == 0:
                raise MetaCompressError(f"data file {path} is empty")
            if suffix.lower() in (".jsonl", ".ndjson", ".json", ".csv", ".tsv"):
                check_text_encoding(path)
            result.description["format"], rows = read_file_rows(path, suffix.lower(), result)
        except OSError as exc:
            raise MetaCompressError(f"cannot read data file {path}: {exc.strerror or exc}") from None
        if not rows:
            raise no_rows(path, result, result.skipped)
        return rows, result
    looks_local = (spec_str.startswith((".", "/", "~")) or spec_str.count("/") > 1
                   or Path(spec_str).suffix.lower() in (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet"))
    if looks_local:
        raise MetaCompressError(f"data file or folder not found: {spec_str}")
    result.description["format"] = "hub"
    rows, result.split = _load_hub_dataset(spec_str, split)
    return rows, result


@contextlib.contextmanager
def quiet_datasets() -> Iterator[None]:
    """No ``datasets`` progress bars inside (they would add lines to a one-line error, and to output)."""
    import datasets

    enabled = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        yield
    finally:
        if enabled:
            datasets.enable_progress_bars()


def _read_saved_dataset(path: Path, split: str | None) -> tuple[list[dict], str | None]:
    import datasets

    try:
        ds = datasets.load_from_disk(str(path))
    except Exception:  # noqa: BLE001 - any folder that is not a saved dataset
        raise MetaCompressError(
            f"data {path} is a folder, not a data file or a dataset saved with save_to_disk") from None
    ds, split = _pick_split(ds, split, str(path))
    return ds.to_list(), split


def _pick_split(ds, split: str | None, where: str):
    """The split ``split`` of ``ds`` (or, when not given, ``test`` or its only split) and its name."""
    import datasets

    if isinstance(ds, datasets.DatasetDict):
        names = list(ds.keys())
        if split is None:
            split = "test" if "test" in names else names[0] if len(names) == 1 else None
            if split is None:
                raise MetaCompressError(f"{where} has splits {', '.join(names)}; choose one with --split")
        if split not in ds:
            raise MetaCompressError(f"{where} has no split {split!r}; it has: {', '.join(names)}")
        return ds[split], split
    return ds, split


def _load_hub_dataset(dataset_id: str, split: str | None) -> tuple[list[dict], str | None]:
    import datasets

    from .hub_client import hub_errors

    offline = any(os.environ.get(v, "").lower() in ("1", "true", "yes")
                  for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))
    hint = " (offline mode is on: HF_HUB_OFFLINE / HF_DATASETS_OFFLINE)" if offline else ""
    with hub_errors(f"{dataset_id!r} is neither a local file or folder nor a loadable Hub dataset{hint}"), \
            quiet_datasets():
        ds = datasets.load_dataset(dataset_id, split=split)
    ds, split = _pick_split(ds, split, dataset_id)
    return ds.to_list(), split


def load_rows(spec: DataSpec) -> tuple[list[dict], LoadedData]:
    """The table of ``spec`` with its ``where`` conditions applied (recorded in the description)."""
    rows, loaded = read_table(spec.path, split=spec.split)
    if spec.key_columns:
        present = set().union(*(r.keys() for r in rows[:100])) if rows else set()
        missing = [c for c in spec.key_columns if c not in present]
        if missing:
            raise MetaCompressError(f"{spec.path} has no column {', '.join(map(repr, missing))}, which stored model "
                                    f"outputs are matched by; available: {', '.join(sorted(map(str, present)))}")
        loaded.keys_in_data = [tuple("" if r.get(c) is None else str(r[c]) for c in spec.key_columns) for r in rows]
    if spec.where:
        kept = set(map(id, filter_rows(rows, dict(spec.where), spec.path)))
        if loaded.origins is not None:
            loaded.origins = [o for r, o in zip(rows, loaded.origins) if id(r) in kept]
        rows = [r for r in rows if id(r) in kept]
        loaded.description["where"] = dict(spec.where)
    return rows, loaded


def load_sources(spec: DataSpec, task: TaskSpec, label_names: Sequence[str]) -> LoadedData:
    """Source inputs of ``task`` from ``spec``: read, filtered, paired, size-checked, labelled, capped.

    The one loader of ``evaluate``, ``attack``, ``distill`` and the Space (see :func:`prepare_sources`
    for the checks and the skips).
    """
    rows, loaded = load_rows(spec)
    functions = load_functions_table(spec.functions) if spec.functions else None
    loaded = prepare_sources(rows, loaded, task, label_names, pair_ids=spec.pair_ids, functions=functions,
                             max_code_chars=spec.max_code_chars, max_sources=spec.max_sources,
                             key_columns=spec.key_columns)
    if spec.context_column:
        attach_contexts(rows, loaded, spec, task.id_column)
    return loaded


def read_context(value: Any, base: str | os.PathLike | None = None) -> str | None:
    """A row's context value as text: the value itself, or the content of the file it names (a
    one-line value that is an existing file, relative to ``base`` or to the working directory).
    ``None`` for a missing or empty value."""
    if not isinstance(value, str) or not value.strip():
        return None
    if "\n" not in value and len(value) < 4096:
        for folder in ([Path(base)] if base else []) + [Path.cwd()]:
            candidate = folder / value.strip()
            try:
                if candidate.is_file():
                    return candidate.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
    return value


def _data_folder(spec: DataSpec) -> Path | None:
    path = Path(spec.path)
    return path.parent if path.is_file() else path if path.is_dir() else None


def attach_contexts(rows: list[dict], loaded: LoadedData, spec: DataSpec, id_column: str | None) -> None:
    """Give every source of ``loaded`` the context of its row (column ``spec.context_column``,
    one value for all code inputs of the row, or a list with one per input)."""
    column = spec.context_column
    if rows and not any(column in row for row in rows[:100]):
        raise MetaCompressError(f"missing context column {column!r} in {spec.path}")
    base = _data_folder(spec)
    by_id: dict[str, Any] = {}
    for index, row in enumerate(rows):
        sid = row.get(id_column) if id_column else None
        if sid is None and spec.pair_ids:
            sid = f"{row.get(spec.pair_ids[0])}-{row.get(spec.pair_ids[1])}"  # as prepare_sources names it
        by_id.setdefault(str(sid if sid is not None else index), row.get(column))
    for source in loaded.sources:
        value = by_id.get(source.id)
        if isinstance(value, (list, tuple)) and len(value) == len(source.inputs):
            source.contexts = tuple(read_context(v, base) for v in value)
        else:
            text = read_context(value, base)
            source.contexts = tuple(text for _ in source.inputs)
    loaded.description["context_column"] = column


def load_code_sources(spec: DataSpec, code_column: str,
                      id_column: str | None) -> tuple[list[tuple[dict, SourceInput]], LoadedData]:
    """Unlabelled single-code sources of ``spec`` with the row each came from.

    For tools that only transform code (``metacompress transform``, the dataset builder): a row
    without usable code, or with code longer than ``spec.max_code_chars``, is counted as a skip;
    the id is the row's ``id_column`` value or its row number.
    """
    rows, loaded = load_rows(spec)
    name = _source_name(loaded)
    columns = set().union(*(r.keys() for r in rows[:100])) if rows else set()
    if rows and code_column not in columns:
        raise MetaCompressError(f"missing column {code_column!r} in {name}; available: "
                                f"{', '.join(sorted(map(str, columns)))} (name the code column with --code-column)")
    check_text_column(rows, code_column, name)
    result = []
    seen_ids: set[str] = set()
    for index, row in enumerate(rows):
        if spec.max_sources is not None and len(result) >= spec.max_sources:
            break
        sid = row.get(id_column) if id_column in columns else None
        bad_id = id_problem(sid) if id_column in columns else None
        where = loaded.row_name(index) + (f" (id {sid})" if sid is not None and not bad_id else "")
        sid = str(sid if sid is not None else index)
        problem = bad_id or ("duplicate id" if sid in seen_ids else None) or \
            code_problem(row.get(code_column), spec.max_code_chars)
        if problem:
            loaded.skip(_reason(problem), f"{where}: {problem}" if problem != _reason(problem) else where)
            continue
        seen_ids.add(sid)
        source = SourceInput(sid, (row[code_column],))
        if spec.context_column:
            if spec.context_column not in row and index < 100 and not any(spec.context_column in r for r in rows[:100]):
                raise MetaCompressError(f"missing context column {spec.context_column!r} in {spec.path}")
            source.contexts = (read_context(row.get(spec.context_column), _data_folder(spec)),)
        result.append((row, source))
    if not result and loaded.skipped:
        raise MetaCompressError(f"no usable rows in {name}: skipped {dict(loaded.skipped)}"
                                + (f" (first: {loaded.skipped_examples[0]['where']})" if loaded.skipped_examples else ""))
    return result, loaded


def _source_name(loaded: LoadedData) -> str:
    """The data's file name (or Hub id) for messages: the row is named, the server's folders are not."""
    path = str(loaded.description.get("path") or "the data")
    return Path(path).name if loaded.description.get("format") not in (None, "hub") else path


def id_problem(value: Any) -> str | None:
    """Why a cell of the id column cannot name a row, or ``None`` (text and numbers can).

    A list, object, binary or boolean id would be written as its Python spelling and could equal
    another row's; an empty id (``""``, NaN, an empty CSV cell) names nothing.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or \
            (isinstance(value, str) and not value.strip()):
        return "missing id"
    if isinstance(value, (bool, list, tuple, dict, bytes, bytearray, memoryview, set)):
        return f"id is not text or a number ({value_kind(value)})"
    return text_problem(value)


def text_problem(value: Any) -> str | None:
    """Why a text cell (an id, a label) cannot be written anywhere, or ``None``."""
    bad = unencodable_text(value) if isinstance(value, str) else None
    return f"text not encodable as UTF-8 ({bad})" if bad else None


def _reason(problem: str) -> str:
    """The counted reason of a problem: its text before any parenthesised detail."""
    return problem.split(" (")[0]


def parse_where(conditions: list[str] | None) -> dict[str, str]:
    """``["split=test", "lang=c"]`` → ``{"split": "test", "lang": "c"}`` (for :func:`filter_rows`)."""
    result = {}
    for cond in conditions or []:
        column, sep, value = cond.partition("=")
        if not sep or not column.strip():
            raise MetaCompressError(f"--where takes COLUMN=VALUE, got {cond!r}")
        result[column.strip()] = value.strip()
    return result


def filter_rows(rows: list[dict], where: dict[str, str], source: str = "the data") -> list[dict]:
    """Rows whose ``column`` equals ``value`` (compared as text) for every condition in ``where``."""
    if not where:
        return rows
    columns = set().union(*(r.keys() for r in rows[:100])) if rows else set()
    missing = [c for c in where if c not in columns]
    if missing:
        raise MetaCompressError(f"--where names column(s) {', '.join(map(repr, missing))} that {source} lacks; "
                                f"available: {', '.join(sorted(map(str, columns)))}")
    kept = [r for r in rows if all(str(r.get(c)) == v for c, v in where.items())]
    if not kept:
        raise MetaCompressError(f"no row of {source} matches {' and '.join(f'{c}={v}' for c, v in where.items())}")
    return kept


def load_functions_table(path: str | os.PathLike, *, id_column: str = "id", code_column: str = "code") -> dict[str, Any]:
    """Map function id → code, for pair datasets that reference functions by id (BigCloneBench)."""
    rows, _ = read_table(path)
    if rows and (id_column not in rows[0] or code_column not in rows[0]):
        raise MetaCompressError(
            f"functions table {path} needs columns {id_column!r} and {code_column!r}; it has: {', '.join(rows[0])}")
    return {str(r[id_column]): r[code_column] for r in rows}


def _label_index(value: Any, label_names: Sequence[str]) -> int | None:
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int) and 0 <= value < len(label_names):
        return value
    if isinstance(value, float) and value.is_integer() and 0 <= int(value) < len(label_names):
        return int(value)
    if isinstance(value, str):  # names, or numbers written as text (every CSV cell is text)
        text = value.strip()
        if text in label_names:
            return list(label_names).index(text)
        if text.lower() in ("true", "false") and len(label_names) == 2:
            return int(text.lower() == "true")
        try:
            number = float(text)
        except ValueError:
            return None
        if number.is_integer() and 0 <= number < len(label_names):
            return int(number)
    return None


def prepare_sources(rows: list[dict], loaded: LoadedData, task: TaskSpec, label_names: Sequence[str], *,
                    pair_ids: tuple[str, str] | None = None, functions: dict[str, Any] | None = None,
                    max_code_chars: int = DEFAULT_MAX_CODE_CHARS, max_sources: int | None = None,
                    key_columns: Sequence[str] = ()) -> LoadedData:
    """Turn table rows into :class:`SourceInput` objects, counting skipped rows.

    Args:
        rows: rows as read by :func:`read_table`.
        loaded: the :class:`LoadedData` returned with them (its skip counts are extended).
        task: which columns hold code, label and id.
        label_names: the models' label names; gold labels may be given as indices or names.
        pair_ids: for pair tasks whose rows reference functions by id (``id1``, ``id2``), the two id
            columns; ``functions`` maps those ids to code.
        max_code_chars: longer code inputs are skipped as oversized.
        max_sources: keep only the first N usable rows.
        key_columns: columns whose values each source keeps in :attr:`SourceInput.keys`.
    """
    if not rows:
        raise MetaCompressError(f"no usable rows in {loaded.description.get('path')}"
                                + (f" (skipped: {dict(loaded.skipped)})" if loaded.skipped else ""))
    columns = set().union(*(r.keys() for r in rows[:100]))
    needed = list(pair_ids) if pair_ids else list(task.code_columns)
    if task.label_column:
        needed.append(task.label_column)
    missing = [c for c in needed if c not in columns]
    if missing:
        hint = ""
        if task.label_column in missing:
            hint = " (use --label-column to name the label column, or --unlabelled for data without labels)"
        raise MetaCompressError(
            f"missing column(s) {', '.join(repr(c) for c in missing)} in {loaded.description.get('path')}; "
            f"available: {', '.join(sorted(map(str, columns)))}{hint}")
    if pair_ids and functions is None:
        raise MetaCompressError("pair id columns need a functions table (--functions FILE)")
    name = _source_name(loaded)
    if not pair_ids:
        for column in task.code_columns:
            check_text_column(rows, column, name)

    bad_labels: Counter = Counter()
    seen_ids: set[str] = set()
    sources: list[SourceInput] = []
    for index, row in enumerate(rows):
        if max_sources is not None and len(sources) >= max_sources:
            break
        has_id = task.id_column in columns
        sid = row.get(task.id_column) if has_id else None
        bad_id = id_problem(sid) if has_id else None
        if not has_id and pair_ids:
            sid = f"{row.get(pair_ids[0])}-{row.get(pair_ids[1])}"
        sid = str(sid) if sid is not None else str(index)
        bad_text = text_problem(row.get(task.label_column) if task.label_column else None)
        where = loaded.row_name(index) + ("" if bad_id or bad_text else f" (id {sid})")
        if bad_id:
            loaded.skip(_reason(bad_id), f"{where}: {bad_id}" if bad_id != _reason(bad_id) else where)
            continue
        if bad_text:
            loaded.skip("text not encodable as UTF-8", f"{where}: {bad_text}")
            continue
        if sid in seen_ids:
            loaded.skip("duplicate id", where)
            continue
        if pair_ids:
            codes = [functions.get(str(row.get(c))) for c in pair_ids]
            if any(c is None for c in codes):
                loaded.skip("function id not in functions table", where)
                continue
        else:
            codes = [row.get(c) for c in task.code_columns]
        problem = next((p for p in (code_problem(code, max_code_chars) for code in codes) if p), None)
        if problem:
            loaded.skip(_reason(problem), f"{where}: {problem}" if problem != _reason(problem) else where)
            continue
        label = None
        if task.label_column:
            raw = row.get(task.label_column)
            if raw is None:
                loaded.skip("missing label", where)
                continue
            label = _label_index(raw, label_names)
            if label is None:
                bad_labels[repr(raw)] += 1
                continue
        seen_ids.add(sid)
        keys = {c: str(row[c]) for c in key_columns if row.get(c) is not None} if key_columns else None
        sources.append(SourceInput(sid, tuple(codes), label, keys))
    if bad_labels:
        shown = ", ".join(f"{v} ({n}×)" for v, n in bad_labels.most_common(5))
        raise MetaCompressError(
            f"labels in column {task.label_column!r} do not match the models' label set "
            f"{list(label_names)} (indices 0..{len(label_names) - 1} or these names): found {shown}")
    if not sources:
        raise MetaCompressError(f"no usable rows in {loaded.description.get('path')}: skipped {dict(loaded.skipped)}")
    loaded.sources = sources
    loaded.description["n_rows"] = len(rows)
    return loaded
