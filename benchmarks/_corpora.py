"""Benchmark helpers: seeded samples of the shared code corpora, one core, and the run's record.

What the CPU benchmarks of code (``bench_transforms.py``, ``bench_follow_ups.py``) share: which corpora
they read, how they sample them, pinning to one core, and the header of the JSON they write (date,
command, machine).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import random
import sys
from pathlib import Path

from _models import SHARED

#: Corpus name → (language, JSON-lines file with a ``code`` column); absent corpora are skipped.
CORPORA = {
    "bigclonebench": ("java", SHARED / "bigclonebench" / "functions.jsonl"),
    "juliet-c": ("c", SHARED / "juliet-c" / "functions.jsonl"),
}


def sample_rows(path: Path, n: int, seed: int = 0, *, distinct: bool = False) -> list[dict]:
    """A seeded sample of ``n`` rows of ``path`` with non-blank code (``distinct``: no code twice;
    the corpora repeat some functions). Lines that are not JSON are passed over."""
    rows, seen = [], set()
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            code = row.get("code")
            if not isinstance(code, str) or not code.strip() or (distinct and code in seen):
                continue
            seen.add(code)
            rows.append(row)
    return random.Random(seed).sample(rows, min(n, len(rows)))


def pin_one_core() -> str:
    """Run this process (and its children) on one CPU; says which, or that it could not."""
    try:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return "not pinned"


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run_record(**machine: object) -> dict:
    """The head of a benchmark's JSON: UTC date, the command line, and the machine (CPU count and
    model, usable CPUs, Python, the load average now, plus ``machine``)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        usable = None
    try:
        load = os.getloadavg()
    except (AttributeError, OSError):  # pragma: no cover
        load = None
    return {"date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "machine": {"nproc": os.cpu_count(), "usable_cpus": usable, "cpu": cpu_model(),
                        "python": platform.python_version(), "load_average": load, **machine}}
