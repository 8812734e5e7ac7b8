"""Helpers for the transformation tests: data location and samples, batched compiler checks."""

from __future__ import annotations

import ast
import inspect
import json
import random
import subprocess
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = (REPO / ".." / "shared" / "data").resolve()


def gcc_syntax_errors(tmp_path: Path, units: list[str]) -> list[str]:
    """Run ``gcc -fsyntax-only`` on each translation unit (one gcc call); return failure messages."""
    files = []
    for i, unit in enumerate(units):
        path = tmp_path / f"unit_{i}.c"
        path.write_text(unit)
        files.append(str(path))
    proc = subprocess.run(
        ["gcc", "-fsyntax-only", "-std=gnu11", "-Werror=implicit-function-declaration", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return [] if proc.returncode == 0 else [proc.stderr]


def javac_errors(tmp_path: Path, classes: dict[str, str]) -> list[str]:
    """Compile ``{class_name: source}`` with a single ``javac`` call; return failure messages."""
    files = []
    for name, source in classes.items():
        path = tmp_path / f"{name}.java"
        path.write_text(source)
        files.append(str(path))
    out = tmp_path / "classes"
    out.mkdir(exist_ok=True)
    proc = subprocess.run(
        ["javac", "-nowarn", "-d", str(out), *files], capture_output=True, text=True, timeout=300
    )
    return [] if proc.returncode == 0 else [proc.stdout + proc.stderr]


SAMPLE = 150
STDLIB_MODULES = ("textwrap", "difflib", "shlex", "argparse", "json.decoder", "string", "fractions", "calendar")


def sample_rows(relative: str, limit: int = SAMPLE) -> list[str]:
    """A seeded sample of the ``code`` of a shared corpus (skips the test when it is absent)."""
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"{path} not available")
    with path.open() as handle:
        rows = [json.loads(line) for line in handle]
    random.Random(1234).shuffle(rows)
    return [row["code"] for row in rows[:limit]]


def stdlib_functions(limit: int = SAMPLE) -> list[str]:
    """A seeded sample of the functions of a few Python standard-library modules (dedented)."""
    functions = []
    for module_name in STDLIB_MODULES:
        module = __import__(module_name, fromlist=["_"])
        source = inspect.getsource(module)
        lines = source.splitlines(keepends=True)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                functions.append(textwrap.dedent("".join(lines[start - 1 : node.end_lineno])))
    random.Random(99).shuffle(functions)
    return functions[:limit]


def _functions_of_files(paths: list[Path], language: str, types: frozenset[str], limit: int, seed: int) -> list[str]:
    """A seeded sample of the top-level function declarations of ``paths`` (parsed as ``language``)."""
    from metacompress_eval.code.languages import nodes_of_types, parse

    functions = []
    for path in paths:
        parsed = parse(path.read_text(encoding="utf-8"), language)
        functions.extend(parsed.text(node) for node in nodes_of_types(parsed.root, language, types)
                         if node.parent is not None and node.parent.type in ("program", "source_file"))
    random.Random(seed).shuffle(functions)
    return functions[:limit]


GO_PACKAGES = ("strings", "strconv", "sort", "bytes", "text/tabwriter", "path", "bufio", "unicode/utf8")


def go_stdlib_functions(limit: int = SAMPLE) -> list[str]:
    """A seeded sample of the functions and methods of a few Go standard-library packages (real Go
    code; skips the test when the Go toolchain's sources are absent)."""
    try:
        root = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, timeout=60).stdout.strip()
    except OSError:
        root = ""
    files = sorted(p for package in GO_PACKAGES for p in (Path(root) / "src" / package).glob("*.go")
                   if not p.name.endswith("_test.go")) if root else []
    if not files:
        pytest.skip("the Go standard library's sources are not available")
    return _functions_of_files(files, "go", frozenset({"function_declaration", "method_declaration"}), limit, 7)


NPM = Path("/usr/lib/node_modules/npm")


def npm_functions(limit: int = SAMPLE) -> list[str]:
    """A seeded sample of the top-level functions of npm and the packages it bundles (real JavaScript
    shipped with Debian's nodejs; skips the test when absent)."""
    files = sorted(p for p in NPM.rglob("*.js") if ".min." not in p.name) if NPM.is_dir() else []
    if not files:
        pytest.skip(f"{NPM} not available")
    return _functions_of_files(files, "javascript", frozenset({"function_declaration", "generator_function_declaration"}),
                               limit, 7)
