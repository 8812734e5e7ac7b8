"""``metacompress verify``: check that follow-ups add no compiler errors to their sources."""

from __future__ import annotations

from .options import add_max_code_chars_option, languages_help

NAME = "verify"


def add_parser(subparsers):
    p = subparsers.add_parser(NAME, help="check that follow-ups add no compiler errors to their sources",
                              description="Compiles each source and follow-up (gcc/clang, javac, compile(), node, "
                                          "go build + go vet) and reports follow-ups with new error diagnostics; where "
                                          "a row (or its source row) carries a harness, also runs both and compares "
                                          "what they do. Rows hold 'code' and 'follow_up', or are 'metacompress "
                                          "transform' output joined with their sources via --source.")
    p.add_argument("input", help="input JSONL")
    p.add_argument("--language", required=True, help=f"code language: {languages_help()}")
    p.add_argument("--source", default=None,
                   help="source JSONL: INPUT is then 'transform' output (source_id, code = follow-up)")
    p.add_argument("--code-column", default="code", help="source code column (default: %(default)s)")
    p.add_argument("--follow-up-column", default="follow_up",
                   help="follow-up column when --source is not given (default: %(default)s)")
    p.add_argument("--id-column", default="id", help="id column of the source rows (default: %(default)s)")
    p.add_argument("--harness-column", default="harness",
                   help="column holding an execution harness, a JSON object {function, calls, driver, timeout} "
                        "(Python, C, JavaScript; docs/verification.md) (default: %(default)s)")
    p.add_argument("--out", default=None, help="results JSONL (default: INPUT.verify.jsonl; its summary: "
                                               "OUT.summary.json)")
    add_max_code_chars_option(p)
    p.add_argument("--quiet", action="store_true", help="print totals only")
    return p


def run(args) -> int:
    from ..verify.cli import run_verify_command

    return run_verify_command(args)
