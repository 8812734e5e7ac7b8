"""Generate the bad-input corpus: files a hostile or unlucky user might hand to every command.

    python scripts/make_bad_inputs.py OUT_DIR [--model MODEL_DIR]

writes one folder per case under ``OUT_DIR`` and ``OUT_DIR/cases.json``, the manifest that
``tests/robustness/test_bad_inputs.py`` runs. Nothing here is stored in the repository: every
file is made from a few lines of code, so the corpus stays small in git and large inputs (deep
nesting, oversized functions, zip bombs) cost nothing until a test asks for them.

A case names its *kind* (the eight kinds of issue 13 plus ``works`` for inputs that were already
handled and must stay so), the commands it is run with, its input files, and what must happen:

``ok``     exit status 0, nothing skipped;
``skip``   exit status 0, ``count`` rows skipped with a reason matching ``reason``, counted in the
           command's machine-readable output (``report.json``, ``*.summary.json``, ...), and a printed
           line naming the file or row and the problem;
``warn``   exit status 0 and a ``metacompress: warning:`` line matching ``reason``;
``error``  exit status 2, exactly one line ``metacompress: error: ...`` matching ``reason`` and
           every regex in ``mention`` (the file, the row), and no output written.

Every case also means: no traceback, no half-written or mixed output, no secret in any output.
``setup`` names a fault the harness injects (an output location that cannot be written, a full
disk, a corrupt cache, a failing Hub endpoint); ``default`` marks the representative subset run
by the default test suite (the whole corpus runs with ``pytest -m slow``).

The module is imported by the tests (``build_corpus``) and runnable on its own.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

# Commands a data file goes to. "space-run" is the Space's Run tab (upload a data file).
DATA_COMMANDS = ("evaluate", "transform", "verify", "attack", "dataset", "space-run")
# Commands that load a model given as a folder.
MODEL_COMMANDS = ("evaluate", "attack", "space-probe")
# Commands that read a report folder / report.json.
REPORT_COMMANDS = ("card", "space-compare")

GOOD_C = [
    "int add(int a, int b) {\n    int total = a + b;\n    if (total > 10) {\n        total = 10;\n    } else {\n"
    "        total = total * 2;\n    }\n    return total;\n}\n",
    "int count(int *xs, int n) {\n    int found = 0;\n    for (int i = 0; i < n; i++) {\n        if (xs[i] > 0) {\n"
    "            found++;\n        }\n    }\n    return found;\n}\n",
    "void clear(char *buf, int size) {\n    int index = 0;\n    while (index < size) {\n        buf[index] = 0;\n"
    "        index++;\n    }\n}\n",
    "int pick(int a, int b) {\n    int best = a;\n    if (b > a) {\n        best = b;\n    } else {\n        best = a;\n"
    "    }\n    return best;\n}\n",
]
JAVA_METHOD = ("public int total(int[] values) {\n    int sum = 0;\n    for (int i = 0; i < values.length; i++) {\n"
               "        sum += values[i];\n    }\n    if (sum < 0) {\n        return 0;\n    } else {\n        return sum;\n"
               "    }\n}\n")
PYTHON_FUNCTION = ("def parse_header(line):\n    parts = line.split(':', 1)\n    if len(parts) < 2:\n"
                   "        return None\n    else:\n        name = parts[0].strip()\n        return name\n")


@dataclass
class Case:
    """One bad input and what every command given it must do (see the module docstring)."""

    id: str
    kind: str
    description: str
    commands: tuple[str, ...]
    expect: str
    files: dict[str, str] = field(default_factory=dict)  # role -> file name inside the case folder
    language: str = "c"
    reason: str = ""
    count: int = 0
    mention: tuple[str, ...] = ()
    setup: str = ""
    default: tuple[str, ...] = ()  # commands run by the default (fast) suite
    command_expect: dict[str, str] = field(default_factory=dict)  # per-command override of ``expect``

    def expected(self, command: str) -> str:
        """What ``command`` must do with this case."""
        return self.command_expect.get(command, self.expect)

    def as_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------------------------
# Writers
# ----------------------------------------------------------------------------------------------


def good_rows(n: int = 4, language: str = "c") -> list[dict]:
    """``n`` well-formed labelled rows with a ``follow_up`` column (for ``verify``)."""
    codes = {"c": GOOD_C, "java": [JAVA_METHOD], "python": [PYTHON_FUNCTION]}[language]
    rows = []
    for i in range(n):
        code = codes[i % len(codes)]
        rows.append({"id": f"r{i}", "code": code, "follow_up": code.replace("{\n", "{\n\n", 1) if language != "python"
                     else code.replace(":\n", ":\n\n", 1), "label": i % 2})
    return rows


def json_line(row: dict) -> bytes:
    return (json.dumps(row) + "\n").encode("utf-8")


def write_jsonl_lines(path: Path, lines: list[bytes]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(lines))
    return path.name


def rows_with(bad: bytes | dict, at: int = 1, n: int = 4, language: str = "c") -> list[bytes]:
    """Good JSONL lines with ``bad`` (raw line bytes or a row) inserted as line ``at + 1``."""
    lines = [json_line(r) for r in good_rows(n, language)]
    lines.insert(at, bad if isinstance(bad, bytes) else json_line(bad))
    return lines


def jsonl_with(bad: bytes | dict, at: int = 1, n: int = 4, language: str = "c") -> bytes:
    """The bytes of a JSONL file of good rows with ``bad`` inserted as line ``at + 1`` (see :func:`rows_with`)."""
    return b"".join(rows_with(bad, at, n, language))


def csv_bytes(rows: list[dict], delimiter: str = ",", columns: list[str] | None = None) -> bytes:
    """``rows`` as a CSV (or TSV) file with a header line."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns or list(rows[0]), delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def write_parquet(path: Path, columns: dict) -> str:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table(columns), path)
    return path.name


def deep_python_sum(terms: int) -> str:
    return "def f(a):\n    return " + " + ".join("a" for _ in range(terms)) + "\n"


def deep_c_blocks(depth: int) -> str:
    body = "".join(f"if (a > {k}) {{\n" for k in range(depth)) + "a = a - 1;\n" + "}\n" * depth
    return "int f(int a) {\n" + body + "return a;\n}\n"


def deep_js_calls(depth: int) -> str:
    return "function f(a) {\n  return " + "g(" * depth + "a" + ")" * depth + ";\n}\n"


def deep_go_blocks(depth: int) -> str:
    body = "".join(f"if a > {k} {{\n" for k in range(depth)) + "a--\n" + "}\n" * depth
    return "func f(a int) int {\n" + body + "return a\n}\n"


def deep_java_blocks(depth: int) -> str:
    body = "".join(f"while (a > {k}) {{\nint x{k} = a;\n" for k in range(depth)) + "a--;\n" + "}\n" * depth
    return "int f(int a) {\n" + body + "return a;\n}\n"


RELATION_NAMES = ("prediction_agreement", "distribution_similarity", "high_confidence_preservation",
                  "calibration_alignment")


def minimal_report() -> dict:
    """The smallest report.json the Space's Compare tab and ``card`` accept (schema 1.x)."""
    rel = {"rate": 0.25, "ci95": [0.1, 0.5], "violations": 1, "n": 4}
    relations = {r: dict(rel) for r in RELATION_NAMES}
    return {"schema_version": "1.0", "task": {"name": "defect", "language": "c"},
            "models": {"teacher": {"name_or_path": "t"}, "student": {"name_or_path": "s"}, "label_names": ["a", "b"]},
            "analysis": {"relations": {"overall": relations, "sources": relations, "follow_ups": relations},
                         "counts": {"inputs": 4, "sources": 2, "follow_ups": 2}}}


def _zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def parquet_bytes(columns: dict, names: list[str] | None = None) -> bytes:
    """A parquet file of ``columns`` (name -> values); ``names`` renames them (two may then share a name)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(columns)
    if names:
        table = table.rename_columns(names)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


# Commands that read any table format (verify reads JSONL only).
TABLE_COMMANDS = ("evaluate", "transform", "attack", "dataset", "space-run")


def table_format_cases(data_case) -> None:
    """Cases of every table format (CSV, TSV, JSON, parquet) and of files under the wrong suffix.

    Each must be read exactly (a row is never silently shifted or merged), skipped with a count naming
    its line, or refused in one line naming the file.
    """
    quoted = 'int say(char *s) {\n\tputs("a, \\"b\\"");\n\treturn 0;\n}\n'
    rows = good_rows(4) + [{"id": "quotes", "code": quoted, "follow_up": quoted, "label": 1}]
    header = "id,code,follow_up,label"
    good_csv = csv_bytes(rows)

    def csv_with(line: str, delimiter: str = ",") -> tuple[bytes, int]:
        """The good table with the raw ``line`` after its first row, and the line number it lands on."""
        first = csv_bytes(rows[:1], delimiter)
        rest = csv_bytes(rows[1:], delimiter).split(b"\n", 1)[1]  # without its header line
        return first + line.encode() + b"\n" + rest, first.count(b"\n") + 1

    skips = {  # case id -> (file, (content, line named), description, reason)
        "csv-extra-field": ("data.csv", csv_with('r9,"int f(int a) { return a; }",x,1,surplus'),
                            "a CSV row with one field more than the header (pandas shifted its columns)",
                            "number of fields"),
        "csv-missing-field": ("data.csv", csv_with('r9,"int f(int a) { return a; }"'),
                              "a CSV row with fewer fields than the header (pandas padded it with NaN)",
                              "number of fields"),
        "tsv-extra-field": ("data.tsv", csv_with('r9\t"int f(int a) { return a; }"\tx\t1\tsurplus', "\t"),
                            "a TSV row with one field more than the header", "number of fields"),
        "csv-stray-quote": ("data.csv", csv_with('r9,"int f(int a) { return a; }"junk,x,1'),
                            "a CSV field with text after its closing quote", "malformed"),
        "csv-nul-in-code": ("data.csv", csv_with('r9,"int f(int a) {\x00 return a; }",x,1'),
                            "a raw NUL byte inside a quoted CSV field", "NUL"),
    }
    for name, (file, (content, line), description, reason) in skips.items():
        data_case(f"unclear/{name}", content, file, kind="unclear", description=description, commands=TABLE_COMMANDS,
                  expect="skip", count=1, reason=reason, mention=(file.replace(".", r"\."), rf"\b{line}\b"),
                  default=("transform", "evaluate") if name == "csv-extra-field" else ("transform",))

    errors = {  # case id -> (file, content, description, reason, mentions)
        "csv-duplicate-header": ("data.csv", good_csv.replace(b"follow_up", b"code", 1),
                                 "a CSV header naming the code column twice (pandas kept one of them)", "twice",
                                 ("code",)),
        "csv-header-only": ("data.csv", (header + "\n").encode(), "a CSV file with a header and no rows",
                            "no rows|header", ()),
        "csv-blank": ("data.csv", b"\n\n  \n", "a CSV file of blank lines", "header", ()),
        "csv-unclosed-quote": ("data.csv", csv_with('r9,"int f(int a) { return a; },x,1')[0],
                               "a quote left open: every row after it would be one field", "still open", ()),
        "tsv-named-csv": ("data.csv", csv_bytes(rows, "\t"), "a tab-separated file named .csv", "tab", ()),
        "gzip-named-jsonl": ("data.jsonl", lambda: __import__("gzip").compress(good_csv), "a gzip file named .jsonl",
                             "gzip", ()),
        "parquet-named-csv": ("data.csv", lambda: parquet_bytes({"id": ["r0"], "code": [GOOD_C[0]]}),
                              "a parquet file named .csv", "parquet", ()),
        "blank-jsonl": ("data.jsonl", b"\n   \n\n", "a JSONL file of blank lines (ran with 0 rows and no word)",
                        "no rows|blank", ()),
        "json-empty-array": ("data.json", b"[]", "a JSON file holding an empty array", "empty|no rows", ()),
        "json-uneven-columns": ("data.json", json.dumps({"id": ["a", "b"], "code": [GOOD_C[0]]}).encode(),
                                "a JSON object of columns of different lengths", "length", ()),
        "parquet-zero-rows": ("data.parquet", lambda: parquet_bytes({"id": [], "code": [], "label": []}),
                              "a parquet file with its columns and no rows", "no rows", ()),
        "parquet-duplicate-columns": ("data.parquet", lambda: parquet_bytes(
            {"id": ["r0"], "a": [GOOD_C[0]], "b": [GOOD_C[1]]}, ["id", "code", "code"]),
            "a parquet file with two columns named code", "columns named", ("code",)),
        "parquet-list-ids": ("data.parquet", lambda: parquet_bytes(
            {"id": [[f"r{i}"] for i in range(3)], "code": GOOD_C[:3], "label": [0, 1, 0]}),
            "a parquet id column of lists", "id is not text", ()),
    }
    for name, (file, content, description, reason, mention) in errors.items():
        data_case(f"unclear/{name}", content, file, kind="unclear", description=description, commands=TABLE_COMMANDS,
                  expect="error", reason=reason, mention=(file.replace(".", r"\."), *mention),
                  default=("transform",) if name in ("csv-duplicate-header", "gzip-named-jsonl", "parquet-zero-rows",
                                                     "csv-header-only", "blank-jsonl") else ())

    read_whole = {  # case id -> (file, content, description)
        "csv-quoted-code": ("data.csv", csv_bytes(rows), "CSV cells holding commas, quotes and newlines"),
        "csv-pandas-index": ("data.csv", csv_bytes([{"": i, **r} for i, r in enumerate(rows)]),
                             "a CSV written with pandas' unnamed index column"),
        "json-object-of-columns": ("data.json", json.dumps({k: [r[k] for r in rows] for k in rows[0]}).encode(),
                                   "a JSON object of equally long columns (read as one row of lists before)"),
        "json-rows-under-key": ("data.json", json.dumps({"data": rows}).encode(), "a JSON object holding the rows "
                                "under one key"),
        "parquet-plain": ("data.parquet", lambda: parquet_bytes({k: [r[k] for r in rows] for k in rows[0]}),
                               "a plain parquet file"),
    }
    for name, (file, content, description) in read_whole.items():
        data_case(f"works/{name}", content, file, kind="works", description=description, commands=TABLE_COMMANDS,
                  expect="ok", default=("transform",) if name == "csv-quoted-code" else ())


# ----------------------------------------------------------------------------------------------
# The corpus
# ----------------------------------------------------------------------------------------------


CaseWriter = Callable[[Path, "Path | None"], None]


def corpus_cases(with_model: bool = True) -> list[tuple[Case, CaseWriter]]:
    """Every case with the function that writes its files into a folder (``writer(folder, model)``).

    Listing the cases writes nothing, so a test can parametrise over them before any file exists.
    ``with_model=False`` leaves out the cases that damage a copy of a model folder.
    """
    cases: list[tuple[Case, CaseWriter]] = []

    def case(case_id: str, **kwargs):
        def register(writer: CaseWriter) -> CaseWriter:
            cases.append((Case(id=case_id, **kwargs), writer))
            return writer
        return register

    def data_case(case_id: str, content: bytes | Callable[[], bytes], name: str = "data.jsonl", **kwargs) -> None:
        """A case whose one file is the data file ``name`` holding ``content`` (bytes, or a function making them)."""
        kwargs.setdefault("files", {"data": name})
        case(case_id, **kwargs)(lambda d, model: (d / name).write_bytes(content() if callable(content) else content))

    def good_data(d: Path, model=None) -> None:
        write_jsonl_lines(d / "data.jsonl", [json_line(r) for r in good_rows(4)])

    # 1. Unencodable text ------------------------------------------------------------------------
    surrogate = "surrogate|not encodable|unencodable"
    data_case("unencodable/lone-surrogate-in-code", jsonl_with(
        b'{"id": "bad", "code": "int g(int x) { int \\ud800y = x; return x; }", "follow_up": "int g(int x) '
        b'{ return x; }", "label": 1}\n'), kind="unencodable",
        description="a JSON string escape \\ud800 (a lone surrogate, not encodable as UTF-8) in one row's code",
        commands=DATA_COMMANDS, expect="skip", count=1, reason=surrogate, mention=(r"data\.jsonl", r"\b2\b"),
        default=("evaluate", "transform", "verify", "dataset"))
    data_case("unencodable/lone-surrogate-in-id", jsonl_with(
        b'{"id": "x\\udfffy", "code": "int h(int q) { return q + 1; }", "follow_up": "int h(int q) '
        b'{ return 1 + q; }", "label": 0}\n', at=2), kind="unencodable",
        description="a lone low surrogate in a row's id (it would reach report.json and the terminal)",
        commands=DATA_COMMANDS, expect="skip", count=1, reason=surrogate, mention=(r"data\.jsonl", r"\b3\b"),
        default=("transform", "attack"))
    data_case("unencodable/lone-surrogate-in-label", jsonl_with(
        b'{"id": "lab", "code": "int h(int q) { return q + 1; }", "follow_up": "int h(int q) { return 1 + q; }", '
        b'"label": "\\ud83d"}\n'), kind="unencodable", description="a lone surrogate in a label value",
        commands=("evaluate", "attack", "transform", "dataset"), expect="skip", count=1, reason=surrogate,
        mention=(r"data\.jsonl",), default=("evaluate",))
    data_case("works/surrogate-pair", jsonl_with(
        b'{"id": "emoji", "code": "int h(int q) {\\n    /* \\ud83d\\ude00 */\\n    int r = q + 1;\\n    '
        b'return r;\\n}\\n", "follow_up": "int h(int q) { return q; }", "label": 0}\n'), kind="works",
        description="a correctly escaped surrogate pair (an emoji in a comment) is ordinary text",
        commands=("evaluate", "transform", "dataset"), expect="ok", default=("transform",))

    good_jsonl = b"".join(json_line(r) for r in good_rows(4))
    data_case("unencodable/utf8-bom-jsonl", b"\xef\xbb\xbf" + good_jsonl, kind="unencodable",
              description="a UTF-8 byte order mark before the first JSONL line (Windows editors write one)",
              commands=DATA_COMMANDS, expect="ok", default=("evaluate", "transform", "verify"))
    data_case("unencodable/utf8-bom-csv", b"\xef\xbb\xbf" + csv_bytes(good_rows(4)), "data.csv", kind="unencodable",
              description="a UTF-8 byte order mark before the CSV header", commands=("evaluate", "transform", "dataset"),
              expect="ok", default=("transform",))
    data_case("unencodable/utf16-jsonl", "".join(json.dumps(r) + "\n" for r in good_rows(3)).encode("utf-16"),
              kind="unencodable", description="a JSONL file saved as UTF-16 (with its BOM)",
              commands=("evaluate", "transform", "dataset"), expect="error", reason="UTF-16", mention=(r"data\.jsonl",),
              default=("transform",))
    data_case("unencodable/nul-bytes-jsonl", b"\x00" * 1000, kind="unencodable",
              description="1,000 NUL bytes named .jsonl (was diagnosed as UTF-16)", commands=("evaluate", "transform", "dataset"),
              expect="error", reason="binary data \\(NUL bytes\\)", mention=(r"data\.jsonl",), default=("transform",))
    data_case("works/semicolon-csv", csv_bytes(good_rows(3), ";"), "data.csv", kind="works",
              description="a well-formed ';'-separated CSV (a spreadsheet's CSV where the comma is the decimal mark)",
              commands=("evaluate", "transform", "dataset"), expect="ok", default=("transform",))
    data_case("works/invalid-utf8-line", jsonl_with(b'{"id": "latin", "code": "int f() { return 0; } /* \xe9 */", '
                                                    b'"follow_up": "int f() { return 1; }", "label": 0}\n'),
              kind="works", description="one JSONL line with a byte that is not UTF-8", commands=DATA_COMMANDS,
              expect="skip", count=1, reason="UTF-8", mention=(r"data\.jsonl", r"\b2\b"), default=("transform",))
    data_case("works/latin1-csv", "id,code,label\nr0,\"int f() { return 0; } /* caf\u00e9 */\",0\n".encode("latin-1"),
              "data.csv", kind="works", description="a CSV file in Latin-1", commands=("evaluate", "transform", "dataset"),
              expect="error", reason="UTF-8", mention=(r"data\.csv",), default=("transform",))
    data_case("works/crlf-lines", jsonl_with({**good_rows(1)[0], "id": "x"}).replace(b"\n", b"\r\n"), kind="works",
              description="JSONL with Windows line endings", commands=("evaluate", "transform"), expect="ok",
              default=("transform",))
    data_case("unclear/cr-only-lines", good_jsonl.replace(b"\n", b"\r"), kind="unclear",
              description="JSONL with classic Mac OS line endings (a lone CR): every row is read, not one invalid line",
              commands=("evaluate", "transform", "verify", "dataset"), expect="ok", default=("transform",))

    # 2. Deep or long code -----------------------------------------------------------------------
    @case("deep/python-1000-term-sum", kind="deep",
          description="a Python function whose body is one 1,000-term sum (recursion per operand)",
          commands=("evaluate", "transform", "dataset", "attack"), language="python", expect="ok",
          files={"data": "data.jsonl"}, default=("evaluate", "transform"))
    def _(d, model):
        rows = good_rows(2, "python") + [{"id": "sum", "code": deep_python_sum(1000),
                                          "follow_up": deep_python_sum(999), "label": 1}]
        write_jsonl_lines(d / "data.jsonl", [json_line(r) for r in rows])

    # Depths that stay under the default size cap (--max-code-chars 50,000): beyond it the row is a
    # counted skip and no analysis would see it.
    for lang, maker, depth in (("c", deep_c_blocks, 2500), ("java", deep_java_blocks, 1400),
                               ("javascript", deep_js_calls, 3000), ("go", deep_go_blocks, 3000)):
        @case(f"deep/{lang}-nesting-{depth}", kind="deep",
              description=f"a {lang} function nested {depth} levels deep, every transformation",
              commands=("transform", "dataset", "evaluate"), language=lang, expect="ok",
              files={"data": "data.jsonl"}, default=("transform",) if lang in ("javascript", "go") else ())
        def _(d, model, maker=maker, depth=depth):
            write_jsonl_lines(d / "data.jsonl", [json_line({"id": "deep", "code": maker(depth),
                                                             "follow_up": maker(depth), "label": 0})])

    @case("deep/oversized-function", kind="deep",
          description="one function longer than the shared size cap (--max-code-chars, default 50,000 characters)",
          commands=DATA_COMMANDS, expect="skip", count=1, reason="longer than|size|too (large|long)",
          mention=(r"data\.jsonl", r"\b2\b"), files={"data": "data.jsonl"},
          default=("transform", "verify", "dataset", "space-run"))
    def _(d, model):
        big = "int big(int a) {\n" + "    a = a + 1;\n" * 5000 + "    return a;\n}\n"
        write_jsonl_lines(d / "data.jsonl", rows_with({"id": "big", "code": big, "follow_up": big, "label": 0}))

    @case("deep/deeply-nested-json", kind="deep",
          description="a JSONL row whose extra field nests 100,000 lists (json.loads recursion)",
          commands=DATA_COMMANDS, expect="skip", count=1, reason="JSON|nest", mention=(r"data\.jsonl", r"\b2\b"),
          files={"data": "data.jsonl"}, default=("transform", "evaluate"))
    def _(d, model):
        write_jsonl_lines(d / "data.jsonl", rows_with(
            b'{"id": "nest", "code": "int f() { return 0; }", "meta": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"))

    @case("deep/huge-json-integer", kind="deep",
          description="a JSONL row holding an integer of 5,000 digits (more than Python converts from text)",
          commands=DATA_COMMANDS, expect="skip", count=1, reason="JSON", mention=(r"data\.jsonl", r"\b2\b"),
          files={"data": "data.jsonl"}, default=("transform",))
    def _(d, model):
        write_jsonl_lines(d / "data.jsonl", rows_with(
            b'{"id": "digits", "code": "int f() { return 0; }", "meta": ' + b"9" * 5000 + b"}\n"))

    # 3. Output problems found after the work (the harness arranges the bad output location) ----
    for name, setup, desc, default in (
            ("out-is-a-file", "out-is-file", "the output location is an existing file (a folder for file outputs)",
             ("evaluate", "transform")),
            ("out-under-a-file", "out-under-file", "the output location is inside a path whose parent is a file",
             ("transform",)),
            ("out-not-writable", "out-read-only", "the output folder's parent cannot be written", ("attack",)),
            ("out-foreign-folder", "out-foreign-folder",
             "the output is a non-empty folder that is not an earlier output of this command (it must not be replaced)",
             ("evaluate",))):
        commands = ("evaluate", "attack", "transform", "verify", "dataset", "card")
        if setup == "out-foreign-folder":
            commands = ("evaluate", "attack", "dataset")
        case(f"output/{name}", kind="output", description=desc + "; found before any work", commands=commands,
             expect="error", reason="out|writ|exist|folder|directory|file|permi", files={"data": "data.jsonl"},
             setup=setup, default=default)(good_data)

    case("output/disk-full-keeps-earlier-output", kind="output",
         description="the disk fills up while the outputs are written over an earlier run's: the earlier output "
                     "stays whole and nothing of the new run is mixed in",
         commands=("evaluate", "attack", "transform", "verify", "dataset"), expect="error",
         reason="space|disk|writ", files={"data": "data.jsonl"}, setup="disk-full",
         default=("evaluate", "transform"))(good_data)
    case("output/files-follow-umask", kind="unclear",
         description="output files get the permissions the umask allows (0644 under umask 022), not 0600",
         commands=("evaluate", "transform", "verify", "attack", "dataset"), expect="ok",
         files={"data": "data.jsonl"}, setup="umask-022", default=("evaluate", "transform"))(good_data)

    # 4. Cache faults -----------------------------------------------------------------------------
    for name, setup, desc, default in (
            ("garbage-file", "cache-garbage", "outputs.sqlite is random bytes", ("evaluate",)),
            ("truncated-file", "cache-truncated", "outputs.sqlite is cut in half", ()),
            ("flipped-bit", "cache-bitflip", "one stored output has a flipped bit", ("evaluate",)),
            ("cache-is-a-file", "cache-dir-is-file", "--cache-dir names a file", ("attack",))):
        case(f"cache/{name}", kind="cache", description=desc, commands=("evaluate", "attack"),
             expect="error" if setup == "cache-dir-is-file" else "warn", reason="cache",
             # One cache holds both models' outputs: the line says whose were damaged.
             mention=(r"output\(s\) of the (teacher|student|model) \(",) if setup == "cache-bitflip" else (),
             files={"data": "data.jsonl"}, setup=setup, default=default)(good_data)

    # 5. Secrets: every Hub-talking command against a failing endpoint (tests/hub/failing_hub.py) -
    # Each mode's line is the one documented for its HTTP status (whatever the body: the Hub's JSON, a
    # proxy's text/plain, a gateway's HTML page) or for its transport failure - never an exception name.
    hub_reasons = {
        "refused": "cannot connect|connection refused|kept failing",
        "401": r"refused the credentials \(401", "401-text": r"refused the credentials \(401",
        "403": r"no access .*\(403", "403-html": r"no access .*\(403",
        "404": r"not found|\(404", "404-html": r"not found|\(404",
        "500": r"server failed \(500|kept failing", "500-html": r"server failed \(500|kept failing",
        "echo": r"rejected the request \(400",
        "timeout": "no answer|within|kept failing",
        "redirect": "redirect",
        "cut": "closed the connection|incomplete|kept failing",
    }
    for mode, reason in hub_reasons.items():
        case(f"secrets/hub-{mode}", kind="secrets",
             description=f"the Hub endpoint fails ({mode}); a fake token is set and must never be shown",
             commands=("evaluate", "attack", "distill", "dataset", "card", "space-probe"), expect="error",
             reason=reason, files={"data": "data.jsonl"}, setup=f"hub-{mode}",
             default=(("dataset", "card", "evaluate") if mode in ("echo", "timeout", "401-text", "redirect", "cut")
                      else ("dataset", "card") if mode.endswith("-html") else ("dataset",)))(good_data)

    # 6. Unreadable weights -----------------------------------------------------------------------
    if with_model:
        damages = {
            "garbage-safetensors": ("model.safetensors", lambda data: b"this is not a safetensors file\n" * 40),
            "truncated-safetensors": ("model.safetensors", lambda data: data[: len(data) // 2]),
            "empty-safetensors": ("model.safetensors", lambda data: b""),
            "garbage-config": ("config.json", lambda data: b"{not json"),
            "unknown-model-type": ("config.json", lambda data: json.dumps(
                {**json.loads(data), "model_type": "no-such-architecture"}).encode()),
            "garbage-tokenizer": ("tokenizer.json", lambda data: b"\x00\x01garbage"),
        }
        for name, (target, damage) in damages.items():
            @case(f"weights/{name}", kind="weights", description=f"the model folder's {target} is damaged ({name})",
                  commands=MODEL_COMMANDS, expect="error", reason=r"model|weights|config|tokenizer|load|read",
                  mention=(target.replace(".", r"\."),) if name != "unknown-model-type" else (),
                  files={"data": "data.jsonl", "model": "model"},
                  default=("evaluate", "space-probe") if name == "garbage-safetensors" else
                  ("attack",) if name in ("truncated-safetensors", "garbage-tokenizer") else ())
            def _(d, model, target=target, damage=damage):
                shutil.copytree(model, d / "model", dirs_exist_ok=True)
                (d / "model" / target).write_bytes(damage((Path(model) / target).read_bytes()))
                good_data(d)

    # 7. The Space under hostile use --------------------------------------------------------------
    @case("space/deeply-nested-snippet", kind="space",
          description="a 5 KB snippet nested 350 levels deep: Probe answers within its time budget",
          commands=("space-probe",), expect="ok", files={"snippet": "snippet.c"}, default=("space-probe",))
    def _(d, model):
        (d / "snippet.c").write_text(deep_c_blocks(350))

    @case("space/probe-over-budget", kind="space",
          description="a Probe that needs longer than the per-request time budget stops with a message",
          commands=("space-probe",), expect="error", reason="took longer|time|budget|limit",
          files={"snippet": "snippet.c"}, setup="probe-tiny-budget", default=("space-probe",))
    def _(d, model):
        (d / "snippet.c").write_text(deep_c_blocks(350))

    @case("space/lone-surrogate-snippet", kind="space", description="a pasted snippet holding a lone surrogate",
          commands=("space-probe",), expect="error", reason="surrogate|not encodable|unencodable",
          files={"snippet": "snippet.json"}, default=("space-probe",))
    def _(d, model):
        (d / "snippet.json").write_text(json.dumps({"code": "int f(int a) {\n  return a; /* \ud800 */\n}\n"}))

    malformed = {
        "type-error": {**minimal_report(), "analysis": {"relations": {"overall": {
            r: {"rate": "high", "ci95": 3, "violations": None, "n": "x"} for r in RELATION_NAMES}}, "counts": []}},
        "index-error": {**minimal_report(), "analysis": {**minimal_report()["analysis"], "relations": {
            **minimal_report()["analysis"]["relations"], "overall": {
                r: {"rate": 0.5, "ci95": [], "violations": 1, "n": 2} for r in RELATION_NAMES}}}},
    }
    for name, report in malformed.items():
        @case(f"space/malformed-report-{name}", kind="space",
              description=f"one malformed report.json ({name}) among good uploads: the others are still compared",
              commands=("space-compare", "card"), command_expect={"card": "error"}, expect="skip", count=1,
              reason="report", mention=(r"bad",), files={"good": "good.json", "bad": "bad.json"},
              default=("space-compare",))
        def _(d, model, report=report):
            (d / "good.json").write_text(json.dumps(minimal_report()))
            (d / "bad.json").write_text(json.dumps(report))

    @case("space/deeply-nested-report", kind="space",
          description="a report.json nested 100,000 levels deep among good uploads", commands=("space-compare", "card"),
          command_expect={"card": "error"}, expect="skip", count=1, reason="report|JSON|nest", mention=(r"bad",),
          files={"good": "good.json", "bad": "bad.json"}, default=("space-compare", "card"))
    def _(d, model):
        (d / "good.json").write_text(json.dumps(minimal_report()))
        (d / "bad.json").write_bytes(b'{"schema_version": "1.0", "analysis": ' + b"[" * 100_000 + b"]" * 100_000
                                     + b"}")

    @case("space/zip-bomb-plot", kind="space",
          description="a 1 MB report zip whose plot inflates to 256 MB: refused or bounded, never unpacked whole",
          commands=("space-compare",), expect="ok", files={"good": "bomb.zip"}, setup="temp-bounded",
          default=("space-compare",))
    def _(d, model):
        with zipfile.ZipFile(d / "bomb.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            zf.writestr("rep/report.json", json.dumps(minimal_report()))
            with zf.open("rep/violation_heatmap.png", "w", force_zip64=True) as member:
                block = b"\0" * (1 << 20)
                for _ in range(256):
                    member.write(block)

    @case("space/path-traversal-zip", kind="space",
          description="a report zip whose members are named ../../x and /etc/x", commands=("space-compare",),
          expect="ok", files={"good": "evil.zip"}, setup="temp-bounded")
    def _(d, model):
        (d / "evil.zip").write_bytes(_zip_bytes({"../../rep/report.json": json.dumps(minimal_report()).encode(),
                                                 "../../rep/violation_heatmap.png": b"\x89PNG\r\n",
                                                 "/etc/rep/confidence_scatter.png": b"\x89PNG\r\n"}))

    data_case("space/zip-of-many-reports", lambda: _zip_bytes({f"r{i}/report.json": json.dumps(minimal_report()).encode()
                                                              for i in range(5)}), "many.zip", kind="space",
              description="one zip holding more reports than a Compare shows (max_compare_files, set to 2 here): the "
                          "first are compared, the rest left out with a message, not hundreds held for minutes",
              commands=("space-compare",), expect="skip", count=1, reason="left out", mention=(r"many\.zip",),
              files={"good": "many.zip"}, setup="compare-cap-2", default=("space-compare",))

    case("space/no-server-paths", kind="space",
         description="with --no-local-paths, nothing a visitor sees or downloads names a server path "
                     "(error messages, the models note, the Run zip's report.json)",
         commands=("space-run",), expect="ok", files={"data": "data.jsonl"}, setup="no-local-paths",
         default=("space-run",))(good_data)

    # 8. Unclear outcomes -------------------------------------------------------------------------
    @case("unclear/wrong-language", kind="unclear",
          description="Python functions given with --language c: a warning that the sources do not parse, not a "
                      "silent '0 follow-ups'", commands=("evaluate", "transform", "dataset"), expect="warn",
          reason=r"pars|language", files={"data": "data.jsonl"}, default=("evaluate", "transform"))
    def _(d, model):
        write_jsonl_lines(d / "data.jsonl", [json_line(r) for r in good_rows(3, "python")])

    for name, values, kind in (("int", [1, 2, 3, 4], "int"), ("binary", [b"int f() { return 0; }"] * 4, "binary")):
        @case(f"unclear/{name}-code-column", kind="unclear",
              description=f"a parquet file whose code column holds {name} values",
              commands=("evaluate", "transform", "attack", "dataset"), expect="error",
              reason=rf"{kind}|not text", mention=(r"code",), files={"data": "data.parquet"},
              default=("transform", "evaluate") if name == "int" else ("transform",))
        def _(d, model, values=values):
            write_parquet(d / "data.parquet", {"id": [f"r{i}" for i in range(4)], "code": values,
                                               "label": [0, 1, 0, 1]})

    data_case("unclear/int-code-in-one-row", jsonl_with({"id": "num", "code": 12345, "follow_up": 12345, "label": 0}),
              kind="unclear", description="one JSONL row whose code is a number: skipped as 'not text', not as 'missing'",
              commands=DATA_COMMANDS, expect="skip", count=1, reason=r"not text", mention=(r"data\.jsonl",),
              default=("transform", "evaluate"))

    @case("unclear/input-is-a-folder", kind="unclear",
          description="the input data path is an existing folder that is not a dataset",
          commands=("transform", "verify", "dataset", "evaluate"), expect="error", reason="folder",
          mention=(r"data",), files={"data": "data"}, default=("transform", "verify"))
    def _(d, model):
        (d / "data").mkdir(exist_ok=True)
        (d / "data" / "notes.txt").write_text("not a dataset\n")

    @case("unclear/broken-zip", kind="unclear",
          description="a truncated report zip: reported as a damaged zip, not as 'not valid JSON'",
          commands=("space-compare",), expect="skip", count=1, reason="zip", mention=(r"broken\.zip",),
          files={"good": "good.json", "bad": "broken.zip"}, default=("space-compare",))
    def _(d, model):
        (d / "good.json").write_text(json.dumps(minimal_report()))
        whole = _zip_bytes({"rep/report.json": json.dumps(minimal_report()).encode()})
        (d / "broken.zip").write_bytes(whole[: len(whole) - 30])

    # Inputs that already worked and must keep working -------------------------------------------
    one_bad_row = {  # case id -> (bad line or row, its line, description, commands, reason, mentions, default)
        "works/invalid-json-line": (b'{"id": "broken", "code": \n', 2, "one line that is not JSON", DATA_COMMANDS,
                                    "JSON", (r"data\.jsonl", r"\b3\b"), ("verify",)),
        "works/not-an-object-line": (b'["id", "code"]\n', 1, "a JSONL line that is a list, not an object", DATA_COMMANDS,
                                     "object", (r"data\.jsonl",), ()),
        "works/nul-in-code": ({"id": "nul", "code": "int f() {\0 return 0; }", "follow_up": "int f() { return 0; }",
                               "label": 0}, 1, "code with a NUL character",
                              ("evaluate", "attack", "transform", "dataset", "verify"), "NUL", (r"data\.jsonl",),
                              ("evaluate",)),
        "works/empty-code": ({"id": "blank", "code": "   ", "follow_up": "  ", "label": 0}, 1, "a row whose code is blank",
                             DATA_COMMANDS, "empty|missing", (r"data\.jsonl",), ()),
        "works/duplicate-id": (good_rows(1)[0], 1, "two rows with one id", ("evaluate", "attack", "transform", "dataset"),
                               "duplicate", (r"r0",), ("transform",)),
        "unclear/list-id": ({"id": ["r9"], "code": GOOD_C[1], "follow_up": GOOD_C[1], "label": 1}, 1,
                            "a row whose id is a list (it would be written as \"['r9']\")", DATA_COMMANDS,
                            "id is not text", (r"data\.jsonl", r"\b2\b"), ("transform", "evaluate")),
        "unclear/object-id": ({"id": {"n": 9}, "code": GOOD_C[1], "follow_up": GOOD_C[1], "label": 1}, 2,
                              "a row whose id is a JSON object", ("evaluate", "transform", "dataset", "attack"),
                              "id is not text", (r"data\.jsonl", r"\b3\b"), ()),
        "unclear/null-id": ({"id": None, "code": GOOD_C[1], "follow_up": GOOD_C[1], "label": 1}, 1,
                            "a row whose id is null while the others have one (its row number could equal another id)",
                            ("evaluate", "transform", "dataset"), "missing id", (r"data\.jsonl",), ("transform",)),
    }
    for case_id, (bad, at, description, commands, reason, mention, default) in one_bad_row.items():
        data_case(case_id, jsonl_with(bad, at=at), kind=case_id.split("/")[0], description=description,
                  commands=commands, expect="skip", count=1, reason=reason, mention=mention, default=default)

    data_case("works/empty-file", b"", kind="works", description="an empty data file",
              commands=("evaluate", "transform", "verify", "attack", "dataset"), expect="error", reason="empty",
              mention=(r"data\.jsonl",), default=("dataset",))
    case("works/missing-file", kind="works", description="a data path that does not exist",
         commands=("evaluate", "transform", "verify", "attack", "dataset"), expect="error",
         reason="not found|does not exist|no such", mention=(r"nothing-here\.jsonl",),
         files={"data": "nothing-here.jsonl"})(lambda d, model: None)
    data_case("works/unknown-extension", b"PK\x03\x04 not really a spreadsheet", "data.xlsx", kind="works",
              description="a data file with an unknown extension", commands=("evaluate", "transform", "attack", "dataset"),
              expect="error", reason="file type|extension", mention=(r"data\.xlsx",))
    data_case("works/missing-column", b"".join(json_line({"id": f"r{i}", "text": "x", "label": 0}) for i in range(3)),
              kind="works", description="rows without the code column",
              commands=("evaluate", "transform", "attack", "dataset"), expect="error", reason="column|code",
              mention=(r"code",))
    data_case("works/labels-outside-label-set", b"".join(json_line({**r, "label": 7}) for r in good_rows(3)),
              kind="works", description="labels the models do not have", commands=("evaluate",), expect="error",
              reason="label", mention=(r"label",))
    data_case("unclear/label-column-of-lists", b"".join(json_line({**r, "label": [r["label"]]}) for r in good_rows(3)),
              kind="unclear", description="a label column holding lists ([0], [1]): not read as labels",
              commands=("evaluate",), expect="error", reason="label", mention=(r"label", r"\[0\]"))
    table_format_cases(data_case)

    @case("works/not-a-model-folder", kind="works", description="a model folder without config.json",
          commands=MODEL_COMMANDS, expect="error", reason="config|model",
          files={"data": "data.jsonl", "model": "model"})
    def _(d, model):
        (d / "model").mkdir(exist_ok=True)
        good_data(d)

    @case("works/report-not-json", kind="works", description="a report.json that is not JSON",
          commands=REPORT_COMMANDS, command_expect={"space-compare": "skip"}, expect="error", count=1,
          reason="JSON", mention=(r"report|bad",), files={"good": "good.json", "bad": "bad.json"})
    def _(d, model):
        (d / "good.json").write_text(json.dumps(minimal_report()))
        (d / "bad.json").write_text("{ nope")

    return cases


def build_corpus(out: str | Path, model: str | Path | None = None, only: set[str] | None = None) -> list[Case]:
    """Write the cases' files under ``out`` (one folder per case) and ``out/cases.json``; return the cases.

    ``model``: a working model folder (``save_pretrained`` output with a tokenizer); the
    unreadable-weights cases are damaged copies of it, and are left out without it. ``only``:
    write just these case ids.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for case, writer in corpus_cases(with_model=model is not None):
        if only is not None and case.id not in only:
            continue
        folder = out / case_folder(case.id)
        folder.mkdir(parents=True, exist_ok=True)
        writer(folder, Path(model) if model is not None else None)
        written.append(case)
    (out / "cases.json").write_text(json.dumps([c.as_dict() for c in written], indent=1) + "\n", encoding="utf-8")
    return written


def case_folder(case_id: str) -> str:
    """The folder name of a case inside the corpus."""
    return case_id.replace("/", "__")


def load_cases(out: str | Path) -> list[Case]:
    """Cases from a ``cases.json`` written by :func:`build_corpus`."""
    data = json.loads((Path(out) / "cases.json").read_text(encoding="utf-8"))
    return [Case(**{**c, "commands": tuple(c["commands"]), "mention": tuple(c["mention"]),
                    "default": tuple(c["default"])}) for c in data]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="folder to write the corpus to")
    parser.add_argument("--model", default=None, help="a working model folder to damage for the weights cases")
    args = parser.parse_args(argv)
    cases = build_corpus(args.out, args.model)
    kinds: dict[str, int] = {}
    for c in cases:
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    runs = sum(len(c.commands) for c in cases)
    print(f"wrote {len(cases)} cases ({runs} command runs) to {args.out}: "
          + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
