"""Every table format is read exactly, or a bad row is a counted skip naming its line, or the file is
refused in one line: never a row silently shifted, merged, padded or renamed.

Generated tables (cells with commas, quotes, tabs, newlines, carriage returns and non-ASCII text) are
written as JSONL (with LF, CRLF and lone-CR line ends), JSON (an array, an object of columns, rows
under one key), CSV, TSV and parquet, and read back by the loader every command shares
(:func:`metacompress_eval.data.load_code_sources`). Then one fault of each kind is put into them.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metacompress_eval.data import DataSpec, load_code_sources, load_sources
from metacompress_eval.errors import MetaCompressError
from metacompress_eval.tasks import get_task

CELL = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1,
               max_size=40).filter(lambda t: t.strip() and t == t.strip())
CODE = st.lists(st.sampled_from(["int f(int a) {", "return a, b;", '"q"', "x\ty", "\r\n", "\n", "é ∑", "'", ",", "\r"]),
                min_size=1, max_size=8).map("".join).filter(lambda t: t.strip() and t == t.strip())


@st.composite
def tables(draw, min_size: int = 1):
    """Rows with unique text ids, code and a text label: what every format can hold the same way."""
    ids = draw(st.lists(CELL, min_size=min_size, max_size=6, unique=True))
    return [{"id": i, "code": draw(CODE), "label": draw(st.sampled_from(["0", "1"]))} for i in ids]


def csv_bytes(rows: list[dict], delimiter: str = ",") -> bytes:
    # "\r\n" ends lines so that the writer quotes a cell holding either character; with "\n" alone it
    # leaves a lone "\r" unquoted, which every CSV reader (pandas too) takes for the end of a row.
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def parquet_bytes(rows: list[dict]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({k: [r[k] for r in rows] for k in rows[0]}), buf)
    return buf.getvalue()


def jsonl_bytes(rows: list[dict], end: bytes = b"\n") -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode("utf-8") + end for r in rows)


WRITERS = {
    "data.jsonl": jsonl_bytes,
    "crlf.jsonl": lambda rows: jsonl_bytes(rows, b"\r\n"),
    "cr.jsonl": lambda rows: jsonl_bytes(rows, b"\r"),
    "array.json": lambda rows: json.dumps(rows).encode(),
    "columns.json": lambda rows: json.dumps({k: [r[k] for r in rows] for k in rows[0]}).encode(),
    "keyed.json": lambda rows: json.dumps({"rows": rows}).encode(),
    "data.csv": csv_bytes,
    "data.tsv": lambda rows: csv_bytes(rows, "\t"),
    # A spreadsheet's "CSV" in a locale whose decimal mark is the comma, and a '|' export: read with the
    # header's delimiter (was: "a quoted field is still open at the end of the file").
    "semicolon.csv": lambda rows: csv_bytes(rows, ";"),
    "pipe.csv": lambda rows: csv_bytes(rows, "|"),
    "semicolon.tsv": lambda rows: csv_bytes(rows, ";"),
    "data.parquet": parquet_bytes,
}


def read(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    pairs, loaded = load_code_sources(DataSpec(str(path)), "code", "id")
    return [{"id": s.id, "code": s.inputs[0], "label": row["label"]} for row, s in pairs], loaded


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=tables())
def test_every_format_reads_back_exactly_what_was_written(tmp_path, rows):
    for name, write in WRITERS.items():
        got, loaded = read(tmp_path, name, write(rows))
        assert got == rows, name
        assert not loaded.skipped, (name, dict(loaded.skipped))


def _csv_with(rows: list[dict], at: int, line: str, delimiter: str = ",") -> tuple[bytes, int]:
    """A CSV/TSV of ``rows`` with the raw ``line`` after row ``at``, and the line number it lands on."""
    before = csv_bytes(rows[:at] or [dict.fromkeys(rows[0], "")], delimiter)
    if not rows[:at]:
        before = before.split(b"\n", 1)[0] + b"\n"  # the header only
    after = csv_bytes(rows[at:], delimiter).split(b"\n", 1)[1] if rows[at:] else b""
    return before + line.encode() + b"\n" + after, len(before.splitlines()) + 1  # a lone CR ends a line too


def _jsonl_with(rows: list[dict], at: int, bad: dict) -> tuple[bytes, int]:
    return jsonl_bytes(rows[:at]) + jsonl_bytes([bad]) + jsonl_bytes(rows[at:]), at + 1


# A bad row among good ones: (file name, content and the line of the bad row, reason counted).
SKIPS = {
    "csv field too many": lambda rows, at: ("data.csv", _csv_with(rows, at, "z9,int g();,1,surplus"), "number of fields"),
    "csv field too few": lambda rows, at: ("data.csv", _csv_with(rows, at, "z9,int g();"), "number of fields"),
    "tsv field too many": lambda rows, at: ("data.tsv", _csv_with(rows, at, "z9\tint g();\t1\tsurplus", "\t"),
                                            "number of fields"),
    "csv text after a closing quote": lambda rows, at: ("data.csv", _csv_with(rows, at, 'z9,"int g();"x,1'),
                                                        "malformed"),
    "csv NUL in code": lambda rows, at: ("data.csv", _csv_with(rows, at, 'z9,"int g() {\x00}",1'), "NUL"),
    "jsonl list id": lambda rows, at: ("data.jsonl", _jsonl_with(rows, at, {"id": ["z9"], "code": "int g();",
                                                                             "label": "1"}), "id is not text"),
    "jsonl object id": lambda rows, at: ("data.jsonl", _jsonl_with(rows, at, {"id": {"a": 1}, "code": "int g();",
                                                                               "label": "1"}), "id is not text"),
    "jsonl boolean id": lambda rows, at: ("data.jsonl", _jsonl_with(rows, at, {"id": True, "code": "int g();",
                                                                                "label": "1"}), "id is not text"),
    "jsonl null id": lambda rows, at: ("data.jsonl", _jsonl_with(rows, at, {"id": None, "code": "int g();",
                                                                             "label": "1"}), "missing id"),
    "jsonl id used twice": lambda rows, at: ("data.jsonl", (jsonl_bytes(rows + [{**rows[0], "code": "int g();"}]),
                                                            len(rows) + 1), "duplicate id"),
}


@pytest.mark.parametrize("fault", sorted(SKIPS))
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=tables(min_size=2), data=st.data())
def test_a_bad_row_is_one_counted_skip_naming_its_line(tmp_path, fault, rows, data):
    at = data.draw(st.integers(1, len(rows)))
    name, (content, line), reason = SKIPS[fault](rows, at)
    got, loaded = read(tmp_path, name, content)
    assert got == rows, fault  # every other row exactly as written
    assert sum(loaded.skipped.values()) == 1 and re.search(reason, next(iter(loaded.skipped))), loaded.skipped
    where = loaded.skipped_examples[0]["where"]
    assert where.startswith(f"{name}:{line}") or where.startswith(f"{name} row"), where


# A file that cannot be read as a whole: (file name, content, what the one line says).
ERRORS = {
    "csv header naming a column twice": lambda rows: ("data.csv", csv_bytes(rows).replace(b"label", b"code", 1),
                                                      "twice"),
    "csv header only": lambda rows: ("data.csv", b"id,code,label\n", "no rows"),
    "csv quote open to the end": lambda rows: ("data.csv", _csv_with(rows, len(rows), 'z9,"int g();,1')[0],
                                               "still open"),
    "tsv named .csv": lambda rows: ("data.csv", csv_bytes(rows, "\t"), "tab-separated"),
    "gzip named .jsonl": lambda rows: ("data.jsonl", gzip.compress(jsonl_bytes(rows)), "gzip"),
    "gzip named .csv": lambda rows: ("data.csv", gzip.compress(csv_bytes(rows)), "gzip"),
    "parquet named .json": lambda rows: ("data.json", parquet_bytes(rows), "parquet"),
    "zip named .tsv": lambda rows: ("data.tsv", b"PK\x03\x04" + csv_bytes(rows), "zip"),
    "blank jsonl": lambda rows: ("data.jsonl", b"\n \n\r\n", "no rows"),
    "empty json array": lambda rows: ("data.json", b"[]", "empty"),
    "json columns of different lengths": lambda rows: ("data.json", json.dumps(
        {"id": [r["id"] for r in rows], "code": [r["code"] for r in rows[1:]]}).encode(), "different lengths"),
    "json object that is no table": lambda rows: ("data.json", json.dumps({"id": rows[0]["id"]}).encode(), "not a table"),
    "parquet with no rows": lambda rows: ("data.parquet", _zero_row_parquet(), "no rows"),
    "every row skipped": lambda rows: ("data.jsonl", jsonl_bytes([{**r, "id": [r["id"]]} for r in rows]),
                                       "no usable rows"),
}


def _zero_row_parquet() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"id": pa.array([], pa.string()), "code": pa.array([], pa.string())}), buf)
    return buf.getvalue()


@pytest.mark.parametrize("fault", sorted(ERRORS))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=tables(min_size=2))
def test_an_unreadable_file_is_one_error_naming_it(tmp_path, fault, rows):
    name, content, says = ERRORS[fault](rows)
    with pytest.raises(MetaCompressError) as info:
        read(tmp_path, name, content)
    message = str(info.value)
    assert "\n" not in message and name in message and re.search(says, message), message


def test_parquet_with_two_columns_of_one_name_is_refused(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays([pa.array(["a"]), pa.array(["int f();"]), pa.array(["int g();"])],
                                 names=["id", "code", "code"])
    pq.write_table(table, tmp_path / "data.parquet")
    with pytest.raises(MetaCompressError, match="2 columns named 'code'"):
        load_code_sources(DataSpec(str(tmp_path / "data.parquet")), "code", "id")


def test_labels_written_as_text_are_read_as_the_label_set(tmp_path):
    """CSV cells are text: "1", "1.0", "true" name the labels pandas read as numbers; others are refused."""
    rows = [{"id": f"r{i}", "code": "int f();", "label": label} for i, label in enumerate(["0", "1.0", " 1 ", "true"])]
    (tmp_path / "data.csv").write_bytes(csv_bytes(rows))
    loaded = load_sources(DataSpec(str(tmp_path / "data.csv")), get_task("defect"), ["no", "yes"])
    assert [s.label for s in loaded.sources] == [0, 1, 1, 1]
    (tmp_path / "bad.csv").write_bytes(csv_bytes([{**rows[0], "label": "2.5"}]))
    with pytest.raises(MetaCompressError, match="label set"):
        load_sources(DataSpec(str(tmp_path / "bad.csv")), get_task("defect"), ["no", "yes"])


def test_a_parquet_decompression_bomb_is_refused_before_reading(tmp_path, monkeypatch):
    """Limits lowered so that a small file shows it: 4 MB of one repeated string compress to a few KB."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from metacompress_eval import tables

    monkeypatch.setattr(tables, "PARQUET_INFLATION_FLOOR", 1 << 20)
    pq.write_table(pa.table({"id": ["r"] * 40_000, "code": ["int f(int a) { return a; }" * 4] * 40_000}),
                   tmp_path / "bomb.parquet", use_dictionary=False, compression="zstd")
    assert (tmp_path / "bomb.parquet").stat().st_size * tables.PARQUET_MAX_INFLATION < 4 << 20
    with pytest.raises(MetaCompressError, match="bomb.parquet.*would inflate"):
        load_code_sources(DataSpec(str(tmp_path / "bomb.parquet")), "code", "id")
    monkeypatch.setattr(tables, "PARQUET_INFLATION_FLOOR", 1 << 30)  # the real limits: read (40,000 rows, one id)
    pairs, loaded = load_code_sources(DataSpec(str(tmp_path / "bomb.parquet")), "code", "id")
    assert len(pairs) == 1 and loaded.skipped == {"duplicate id": 39_999}


# Files that are not text under a text suffix: the line says binary, never a wrong encoding.
BINARY = {
    "NUL bytes": b"\x00" * 1000,
    "a few NUL bytes": b"\x00" * 4,
    "every byte value": bytes(range(256)) * 4,
    "an ELF executable": b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + bytes(range(1, 200)) * 3,
    "a PNG image": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "NUL bytes after a text line": b'{"id": "a", "code": "x", "label": 1}\n' + b"\x00" * 500,
}


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".csv", ".tsv"])
@pytest.mark.parametrize("kind", sorted(BINARY))
def test_binary_data_under_a_text_suffix_is_refused_as_binary(tmp_path, suffix, kind):
    with pytest.raises(MetaCompressError) as info:
        read(tmp_path, "data" + suffix, BINARY[kind])
    message = str(info.value)
    assert "\n" not in message and "data" + suffix in message, message
    assert re.search("binary|NUL|not valid UTF-8", message) and "UTF-16" not in message, message


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("text", ['{"id": "a", "code": "int f();", "label": 1}\n', "id,code,label\na,\u0100x,1\n"])
def test_text_stored_two_bytes_per_character_is_still_named_utf16(tmp_path, codec, text):
    for suffix in (".jsonl", ".csv"):
        with pytest.raises(MetaCompressError, match="UTF-16"):
            read(tmp_path, "data" + suffix, text.encode(codec))
