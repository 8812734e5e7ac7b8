"""Loading source inputs: JSONL, CSV, parquet, a ``save_to_disk`` folder or a Hub dataset id.

:func:`load_sources` is the one way every command turns a :class:`DataSpec` (where the data is and
which rows to keep) into :class:`SourceInput` objects; :func:`load_code_sources` is its flavour for
tools that only transform code. The result counts every row that was skipped and why (invalid
UTF-8, empty or oversized code, ...). Problems that make the whole input unusable — a missing file,
a missing column, labels outside the models' label set — raise :class:`MetaCompressError`.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from .errors import MetaCompressError
from .fileio import iter_jsonl
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

    def skip(self, reason: str, where: str) -> None:
        self.skipped[reason] += 1
        if len(self.skipped_examples) < 20:
            self.skipped_examples.append({"where": where, "reason": reason})


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
        return _read_saved_dataset(path, split), result
    if path.is_file():
        suffix = "".join(path.suffixes[-2:]) if path.suffix == ".gz" else path.suffix
        suffix = suffix.lower()
        if path.stat().st_size == 0:
            raise MetaCompressError(f"data file {path} is empty")
        if suffix in (".jsonl", ".ndjson"):
            result.description["format"] = "jsonl"
            rows = []
            for number, row, problem in iter_jsonl(path):
                if problem:
                    result.skip(problem.split(" (")[0].split(" at ")[0], f"{path.name}:{number}: {problem}")
                else:
                    rows.append(row)
            return rows, result
        builder = {".json": "json", ".csv": "csv", ".tsv": "csv", ".parquet": "parquet"}.get(suffix)
        if builder is None:
            raise MetaCompressError(
                f"cannot read {path}: unknown file type {suffix or '(none)'}; use .jsonl, .json, .csv, .tsv, "
                ".parquet, a save_to_disk folder or a Hub dataset id")
        result.description["format"] = builder
        if builder in ("csv", "json"):
            _check_utf8(path)
        kwargs: dict[str, Any] = {"delimiter": "\t"} if suffix == ".tsv" else {}
        return _load_with_datasets(builder, str(path), split, **kwargs), result
    looks_local = (spec_str.startswith((".", "/", "~")) or spec_str.count("/") > 1
                   or Path(spec_str).suffix.lower() in (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet"))
    if looks_local:
        raise MetaCompressError(f"data file or folder not found: {spec_str}")
    result.description["format"] = "hub"
    return _load_hub_dataset(spec_str, split), result


def _check_utf8(path: Path) -> None:
    """Fail with the line number when a text file is not UTF-8.

    Checked up front because the CSV/JSON builders report a bad byte as an obscure Arrow or pandas
    error (and log it), and a text table cannot be partially skipped the way JSONL lines can.
    """
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise MetaCompressError(
                    f"cannot read {path}: line {number} is not valid UTF-8 (byte {exc.start} of the line); "
                    "re-encode the file as UTF-8") from None


def _load_with_datasets(builder: str, path: str, split: str | None, **kwargs) -> list[dict]:
    import datasets

    try:
        ds = datasets.load_dataset(builder, data_files=path, split="train", **kwargs)
    except Exception as exc:  # datasets wraps decoding errors in several exception types
        cause = exc
        while cause.__cause__ is not None or cause.__context__ is not None:
            cause = cause.__cause__ or cause.__context__
        if isinstance(cause, UnicodeDecodeError):
            raise MetaCompressError(f"cannot read {path}: not valid UTF-8 ({cause.reason} at byte {cause.start})") from None
        raise MetaCompressError(f"cannot read {path} as {builder}: {type(cause).__name__}: {cause}") from None
    return ds.to_list()


def _read_saved_dataset(path: Path, split: str | None) -> list[dict]:
    import datasets

    try:
        ds = datasets.load_from_disk(str(path))
    except Exception as exc:
        raise MetaCompressError(
            f"{path} is a folder but not a dataset saved with save_to_disk ({type(exc).__name__}: {exc})") from None
    return _pick_split(ds, split, str(path)).to_list()


def _pick_split(ds, split: str | None, where: str):
    import datasets

    if isinstance(ds, datasets.DatasetDict):
        names = list(ds.keys())
        if split is None:
            split = "test" if "test" in names else names[0] if len(names) == 1 else None
            if split is None:
                raise MetaCompressError(f"{where} has splits {', '.join(names)}; choose one with --split")
        if split not in ds:
            raise MetaCompressError(f"{where} has no split {split!r}; it has: {', '.join(names)}")
        return ds[split]
    return ds


def _load_hub_dataset(dataset_id: str, split: str | None):
    import datasets

    try:
        ds = datasets.load_dataset(dataset_id, split=split)
    except Exception as exc:
        offline = any(os.environ.get(v, "").lower() in ("1", "true", "yes")
                      for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))
        hint = " (offline mode is on: HF_HUB_OFFLINE / HF_DATASETS_OFFLINE)" if offline else ""
        raise MetaCompressError(
            f"{dataset_id!r} is neither a local file or folder nor a loadable Hub dataset{hint}: "
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    return _pick_split(ds, split, dataset_id).to_list()


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
    rows = filter_rows(rows, dict(spec.where), spec.path)
    if spec.where:
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
    result = []
    for index, row in enumerate(rows):
        if spec.max_sources is not None and len(result) >= spec.max_sources:
            break
        code = row.get(code_column)
        if not isinstance(code, str) or not code.strip():
            loaded.skip("missing or empty code", f"row {index}")
            continue
        if len(code) > spec.max_code_chars:
            loaded.skip(f"code longer than {spec.max_code_chars} characters", f"row {index}")
            continue
        sid = row.get(id_column) if id_column else None
        source = SourceInput(str(sid if sid is not None else index), (code,))
        if spec.context_column:
            if spec.context_column not in row and index < 100 and not any(spec.context_column in r for r in rows[:100]):
                raise MetaCompressError(f"missing context column {spec.context_column!r} in {spec.path}")
            source.contexts = (read_context(row.get(spec.context_column), _data_folder(spec)),)
        result.append((row, source))
    return result, loaded


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
    if isinstance(value, str):
        text = value.strip()
        if text in label_names:
            return list(label_names).index(text)
        if text.lstrip("-").isdigit() and 0 <= int(text) < len(label_names):
            return int(text)
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

    bad_labels: Counter = Counter()
    seen_ids: set[str] = set()
    sources: list[SourceInput] = []
    for index, row in enumerate(rows):
        if max_sources is not None and len(sources) >= max_sources:
            break
        sid = row.get(task.id_column) if task.id_column else None
        if sid is None and pair_ids:
            sid = f"{row.get(pair_ids[0])}-{row.get(pair_ids[1])}"
        sid = str(sid) if sid is not None else str(index)
        where = f"row {index} (id {sid})"
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
        problem = None
        for code in codes:
            if not isinstance(code, str):
                problem = "missing code"
            elif not code.strip():
                problem = "empty code"
            elif len(code) > max_code_chars:
                problem = f"code longer than {max_code_chars} characters"
            elif "\x00" in code:
                problem = "code contains NUL bytes"
            if problem:
                break
        if problem:
            loaded.skip(problem, where)
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
