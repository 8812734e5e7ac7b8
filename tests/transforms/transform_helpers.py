"""Helpers for the transformation tests: data location and batched compiler checks."""

from __future__ import annotations

import subprocess
from pathlib import Path

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
