"""Reading one data file into rows: JSONL, JSON, CSV/TSV and parquet, strictly.

:func:`metacompress_eval.data.read_table` picks the reader by the file's suffix; each reader returns
plain rows (``dict`` per row) and counts the rows it cannot read as skips naming the line, so a bad
row is never silently misread. What makes the whole file unusable raises one
:class:`~metacompress_eval.errors.MetaCompressError`: a compressed or binary file under a text
suffix, a header naming one column twice, a quote left open to the end of the file, a parquet file
that is not one.

CSV/TSV and parquet are read here with the standard ``csv`` module and ``pyarrow`` rather than
``datasets``' builders: those hand the rows to pandas, which shifts the columns of a row with an
extra field into an index, pads a short row with NaN, keeps one of two columns of the same name,
turns an integer column with one empty cell into floats (``"7"`` becomes ``"7.0"``) and answers a
header-only file or a zero-row parquet file with an Arrow message about batch sizes. CSV cells are
read as text (an empty cell is a missing value); parquet keeps its column types.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Protocol

from .errors import MetaCompressError
from .fileio import UTF8_BOM, iter_jsonl, parse_json_text, unencodable_text

# Magic numbers of files that are not text: a gzip or zip archive named .jsonl reads as one long
# run of "invalid UTF-8" lines, a parquet file named .csv as garbage.
_MAGIC = ((b"\x1f\x8b", "a gzip-compressed file"), (b"PK\x03\x04", "a zip archive"), (b"BZh", "a bzip2-compressed file"),
          (b"\xfd7zXZ\x00", "an xz-compressed file"), (b"(\xb5/\xfd", "a zstd-compressed file"),
          (b"7z\xbc\xaf\x27\x1c", "a 7-zip archive"), (b"PAR1", "a parquet file"), (b"SQLite format 3\x00", "an SQLite database"))
_CSV_FIELD_LIMIT = 2**31 - 1  # the csv module's default (128 KiB) would fail a whole file over one long function


class SkipCounter(Protocol):
    """Where a reader counts the rows it cannot read (``LoadedData`` in :mod:`metacompress_eval.data`)."""

    origins: list[str] | None

    def skip(self, reason: str, where: str) -> None: ...


def binary_kind(path: Path) -> str | None:
    """``"a gzip-compressed file"`` ... when the file starts with the magic number of a binary format,
    ``"binary data (NUL bytes)"`` when its start holds NUL bytes that text does not (many of them, or
    among bytes that are not UTF-8). One stray NUL in a text file is left to the row readers, which
    skip the row it is in."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    kind = next((kind for magic, kind in _MAGIC if head.startswith(magic)), None)
    if kind is None and b"\x00" in head:
        try:
            head.decode("utf-8")
            text = True
        except UnicodeDecodeError as exc:
            text = exc.start >= len(head) - 3  # a character cut at the end of the head is still text
        if not text or head.count(0) >= max(2, len(head) // 100):
            kind = "binary data (NUL bytes)"
    return kind


def check_format(path: Path, expected: str) -> None:
    """Refuse a file whose content is of another format than its suffix says (``expected``: jsonl, csv, ...)."""
    kind = binary_kind(path)
    if kind is None or (expected == "parquet" and kind == "a parquet file"):
        return
    if expected == "parquet":
        return  # pyarrow's own message names what is wrong with a damaged parquet file
    hint = {"a parquet file": f"; name it {path.stem}.parquet",
            "binary data (NUL bytes)": ""}.get(kind, "; unpack it first")
    raise MetaCompressError(f"cannot read {path.name}: it is {kind}, not {expected.upper()} text{hint}")


def no_rows(path: Path, loaded: SkipCounter, skipped: dict) -> MetaCompressError:
    """The error of a file that yields no row: empty of rows, or every row skipped (the first named)."""
    if skipped:
        examples = getattr(loaded, "skipped_examples", None) or []
        first = f"; first: {examples[0]['where']}" if examples else ""
        counts = ", ".join(f"{n} {reason}" for reason, n in skipped.items())
        return MetaCompressError(f"no usable rows in {path.name}: every row was skipped ({counts}{first})")
    what = {".csv": "a header line but no rows", ".tsv": "a header line but no rows", ".parquet": "no rows",
            ".jsonl": "no rows, only blank lines", ".ndjson": "no rows, only blank lines",
            ".json": "an empty table"}.get(path.suffix.lower(), "no rows")
    return MetaCompressError(f"{path.name} holds {what}")


def read_jsonl(path: Path, result: SkipCounter) -> list[dict]:
    """Rows of a JSON Lines file; a line that is not a JSON object of UTF-8 text is a counted skip."""
    rows, result.origins = [], []
    for number, row, problem in iter_jsonl(path):
        if problem:
            result.skip(problem.split(" (")[0].split(" at ")[0], f"{path.name}:{number}: {problem}")
        else:
            rows.append(row)
            result.origins.append(f"{path.name}:{number}")
    return rows


def read_json(path: Path, result: SkipCounter) -> list[dict]:
    """Rows of a ``.json`` file: an array of objects, JSON Lines, an object of equally long columns, or an
    object holding one array of objects (``{"data": [...]}``).

    Read here rather than by ``datasets``' JSON builder, which silently drops a lone surrogate from
    the text of an array, fails the whole file over one bad object, reads an object of columns as
    one row of lists and crashes on ``null``; here a bad entry is a counted skip like a bad JSONL line.
    """
    raw = path.read_bytes()
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM):]
    text = raw.decode("utf-8")  # checked by check_utf8_lines before
    data, problem = parse_json_text(text)
    if problem == "invalid JSON (Extra data)" or (problem and text.lstrip().startswith("{") and "\n" in text.strip()):
        return read_jsonl(path, result)  # JSON Lines in a .json file
    if problem:
        raise MetaCompressError(f"cannot read {path.name}: {problem}")
    if not isinstance(data, (list, dict)):
        kind = {type(None): "null", bool: "boolean", str: "string"}.get(type(data), "number")
        raise MetaCompressError(f"cannot read {path.name}: it holds a JSON {kind}, not a table (an array of "
                                "objects, JSON Lines or an object of columns)")
    where = path.name
    if isinstance(data, dict):
        data, where = _json_object_rows(data, path)
    rows, result.origins = [], []
    for index, row in enumerate(data):
        if not isinstance(row, dict):
            result.skip("entry is not a JSON object", f"{where}[{index}]")
            continue
        bad = unencodable_text(row)
        if bad:
            result.skip("text not encodable as UTF-8", f"{where}[{index}]: {bad}")
            continue
        rows.append(row)
        result.origins.append(f"{where}[{index}]")
    return rows


def _json_object_rows(data: dict, path: Path) -> tuple[list, str]:
    """The rows of a JSON object: ``{"data": [{...}, ...]}`` or ``{"id": [...], "code": [...]}`` (columns)."""
    if len(data) == 1:
        (key, value), = data.items()
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return value, f"{path.name}[{key!r}]"
    not_lists = [k for k, v in data.items() if not isinstance(v, list)]
    if not data or not_lists:
        what = f"'{not_lists[0]}' holds a JSON {type(data[not_lists[0]]).__name__}" if not_lists else "it is empty"
        raise MetaCompressError(f"cannot read {path.name}: it holds a JSON object that is not a table of columns "
                                f"({what}, not a list); use an array of objects, JSON Lines or an object of "
                                "equally long column lists")
    lengths = {k: len(v) for k, v in data.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k!r} {n}" for k, n in lengths.items())
        raise MetaCompressError(f"cannot read {path.name}: its columns have different lengths ({shown}); every column "
                                "list must hold one value per row")
    columns = list(data)
    return [dict(zip(columns, values)) for values in zip(*data.values())], path.name


def read_csv(path: Path, result: SkipCounter, *, delimiter: str = ",") -> list[dict]:
    """Rows of a CSV (or, with ``delimiter="\\t"``, TSV) file with a header line.

    A file whose header line has no ``delimiter`` but ';' or '|' is read with that one
    (:func:`header_delimiter`). Cells are text; an empty cell is a missing value (``None``). A row with another number of fields
    than the header (a stray delimiter, a broken quote) is a counted skip naming its line, and so is
    a row the ``csv`` module cannot parse; a header naming a column twice and a quote open to the end
    of the file fail the whole file (every row after the quote would be lost).
    """
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    kind = "TSV" if delimiter == "\t" else "CSV"
    delimiter = header_delimiter(path, delimiter)
    rows, result.origins = [], []
    header: list[str] | None = None
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, strict=True)
        start = 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                if "end of data" in str(exc) or "unexpected end" in str(exc):
                    raise MetaCompressError(f"cannot read {path.name}: a quoted field is still open at the end of the "
                                            f"file (the last record read starts on line {start}; a stray or unescaped "
                                            "quote at or before it leaves the quotes unpaired)") from None
                result.skip("malformed CSV row", f"{path.name}:{start}: {exc}")
                start = reader.line_num + 1
                continue
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue  # a blank line
            if header is None:
                header = _header(record, path, kind, delimiter)
                continue
            extra = record[len(header):]
            if len(record) < len(header) or any(cell.strip() for cell in extra):
                result.skip("wrong number of fields",
                            f"{path.name}:{line}: {len(record)} fields, the header has {len(header)}")
                continue
            rows.append({name: (cell if cell != "" else None) for name, cell in zip(header, record)})
            result.origins.append(f"{path.name}:{line}")
    if header is None:
        raise MetaCompressError(f"cannot read {path.name}: it has no header line")
    return rows


# Delimiters read without being asked for: spreadsheets in many locales save "CSV" with ';' (the comma is
# their decimal mark), and '|' is common in exports. Tab and comma are not here: their suffix (.tsv,
# .csv) says which one a file uses, and a file under the other suffix is refused naming the right one.
OTHER_DELIMITERS = (";", "|")


def header_delimiter(path: Path, delimiter: str) -> str:
    """The delimiter the header line of ``path`` uses: ``delimiter``, or ';' / '|' when the header has
    none of ``delimiter`` and exactly one of those.

    Decided on the header alone (``csv.Sniffer`` guesses from a sample of rows, where code cells are
    full of ';' and ',' and its guess flips between them); a header is a few names.
    """
    with open(path, encoding="utf-8-sig", newline="") as fh:
        line = next((line for line in fh if line.strip()), "")
    if delimiter in line:
        return delimiter
    found = [d for d in OTHER_DELIMITERS if d in line]
    return found[0] if len(found) == 1 else delimiter


def _header(record: list[str], path: Path, kind: str, delimiter: str) -> list[str]:
    """Column names of a header line; unnamed columns (pandas' index) are named ``Unnamed: N`` as pandas does."""
    names = [name if name.strip() else f"Unnamed: {i}" for i, name in enumerate(record)]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise MetaCompressError(f"cannot read {path.name}: the header names column {name!r} twice (columns "
                                    f"{seen[name] + 1} and {i + 1}); rename one")
        seen[name] = i
    other = "," if delimiter == "\t" else "\t"
    if len(names) == 1 and other in names[0]:
        suffix = ".tsv" if other == "\t" else ".csv"
        raise MetaCompressError(f"cannot read {path.name}: its header has one column {names[0]!r}, which looks "
                                f"{'tab' if other == chr(9) else 'comma'}-separated; name the file {path.stem}{suffix}")
    return names


# A parquet file is compressed: a few MB can hold gigabytes of repeated text (a decompression bomb,
# uploaded to the Space or not). One that would inflate beyond both limits is refused before it is read.
PARQUET_MAX_INFLATION = 200
PARQUET_INFLATION_FLOOR = 1 << 30


def read_parquet(path: Path) -> list[dict]:
    """Rows of a parquet file (read with ``pyarrow``; a column name used twice is refused, and so is a
    file whose data would inflate to more than :data:`PARQUET_MAX_INFLATION` times its size and
    :data:`PARQUET_INFLATION_FLOOR` bytes, by the sizes its own metadata states)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
        names = meta.schema.to_arrow_schema().names
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise MetaCompressError(f"cannot read {path.name}: it has {names.count(twice[0])} columns named "
                                    f"{twice[0]!r}; rename all but one")
        inflated = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        size = path.stat().st_size
        if inflated > PARQUET_INFLATION_FLOOR and inflated > PARQUET_MAX_INFLATION * size:
            raise MetaCompressError(f"cannot read {path.name}: its {size / 1e6:.1f} MB would inflate to "
                                    f"{inflated / 1e9:.1f} GB ({inflated // max(size, 1)} times its size); split it "
                                    "or pass a sample")
        return pq.read_table(path).to_pylist()
    except (pa.ArrowException, OSError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise MetaCompressError(f"cannot read {path.name} as parquet: {first}") from None


def check_utf8_lines(path: Path) -> None:
    """Fail with the line number when a text file is not UTF-8.

    Checked before a CSV or JSON file is parsed: unlike a JSONL line, a row of those cannot be skipped
    on its own (a bad byte may sit inside a quoted field spanning lines, or inside the one JSON value).
    """
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise MetaCompressError(
                    f"cannot read {path}: line {number} is not valid UTF-8 (byte {exc.start} of the line); "
                    "re-encode the file as UTF-8") from None


def read_file_rows(path: Path, suffix: str, result: SkipCounter) -> tuple[str, list[dict]]:
    """``(format, rows)`` of a local file by its (lower-case) suffix; an unknown suffix is refused."""
    if suffix in (".jsonl", ".ndjson"):
        check_format(path, "jsonl")
        return "jsonl", read_jsonl(path, result)
    if suffix == ".json":
        check_format(path, "json")
        check_utf8_lines(path)
        return "json", read_json(path, result)
    if suffix in (".csv", ".tsv"):
        check_format(path, suffix[1:])
        check_utf8_lines(path)
        return "csv", read_csv(path, result, delimiter="\t" if suffix == ".tsv" else ",")
    if suffix == ".parquet":
        return "parquet", read_parquet(path)
    raise MetaCompressError(
        f"cannot read {path}: unknown file type {suffix or '(none)'}; use .jsonl, .json, .csv, .tsv, "
        ".parquet, a save_to_disk folder or a Hub dataset id")
