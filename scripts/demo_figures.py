#!/usr/bin/env python
"""Record the demo's figures from a run and write them into README.md and BENCHMARKS.md.

    python scripts/demo_figures.py record metacompress-demo/report [--command CMD] [--timings T.json]
    python scripts/demo_figures.py record demo-tiny/report --size tiny --command "metacompress demo --size tiny"
    python scripts/demo_figures.py compare RUN_A RUN_B --label "1 vs 2 threads"   # reproducibility
    python scripts/demo_figures.py render            # rewrite the generated blocks from the recorded source
    python scripts/demo_figures.py render --check    # exit 1 when a block is stale

``record`` reads the run's ``report.json`` and ``predictions.jsonl`` and writes
``benchmarks/demo_figures.json`` (figures with 95% intervals, the settings and machine that produced
them, and, with ``--timings``, the wall time and memory measured by ``benchmarks/bench_demo.py``), then
renders. Blocks and format: ``metacompress_eval/demo/figures.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the working tree, not an installed copy

from metacompress_eval.demo import figures  # noqa: E402
from metacompress_eval.fileio import atomic_write_json, atomic_write_text  # noqa: E402


def machine() -> str:
    """One line: architecture, CPUs and their model, memory."""
    import os

    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
        memory = f", {mem_kb / 2**20:.0f} GB"
    except (OSError, StopIteration, ValueError):
        memory = ""
    return f"{platform.machine()}, {os.cpu_count()} CPUs ({model}){memory}, no GPU used"


def record(report_dir: Path, command: str, timings: dict | None, size: str = "demo", seed: int = 0) -> dict:
    """Store a run's figures in the recorded source and return the whole source.

    The ``demo`` size is what the documents quote (``source``, ``figures``, ``timings`` at the top);
    any other size (``tiny``) goes under its own key, where ``tests/demo/test_demo_cli.py`` compares a
    fresh run with it in the default test run. Entries of the other sizes are kept.
    """
    import torch

    path = ROOT / figures.FIGURES_FILE
    data = json.loads(path.read_text()) if path.is_file() else {}
    entry = {
        "source": {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"), "command": command,
                   "machine": machine(), "torch": torch.__version__, "python": platform.python_version(),
                   "settings": figures.current_settings(size, seed)},
        "figures": figures.figures_of_run(report_dir),
    }
    if size == "demo":
        data.update(entry)
        data.pop("timings", None)  # timings of another run would not describe this one
        if timings is not None:
            data["timings"] = timings
    else:
        data[size] = entry
    atomic_write_json(path, data)
    return data


def compare(run_a: Path, run_b: Path, label: str) -> dict:
    """Record how two demo runs differ (``figures.compare_runs``) under ``label`` in the recorded source."""
    path = ROOT / figures.FIGURES_FILE
    data = json.loads(path.read_text())
    entry = figures.compare_runs(run_a, run_b)
    entry["date"] = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    data.setdefault("reproducibility", {})[label] = entry
    atomic_write_json(path, data)
    print(json.dumps(entry, indent=2))
    return data


def render(check: bool) -> int:
    data = json.loads((ROOT / figures.FIGURES_FILE).read_text())
    stale = []
    for name in figures.DOCUMENTS:
        path = ROOT / name
        text = path.read_text()
        if check:
            stale += [f"{name}: demo:{block}" for block in figures.stale_blocks(text, data)]
        else:
            new = figures.render_file(text, data)
            if new != text:
                atomic_write_text(path, new)
                print(f"updated {name}")
    if stale:
        print("stale generated blocks (run scripts/demo_figures.py render): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    rec = sub.add_parser("record", help="record a run's figures, then render")
    rec.add_argument("report_dir", type=Path)
    rec.add_argument("--command", default="metacompress demo", help="the command that made the run (quoted as is)")
    rec.add_argument("--timings", type=Path, default=None, help="JSON written by benchmarks/bench_demo.py")
    rec.add_argument("--size", default="demo")
    rec.add_argument("--seed", type=int, default=0)
    cmp = sub.add_parser("compare", help="record how two demo runs of the same settings differ, then render")
    cmp.add_argument("run_a", type=Path, help="a demo output folder (--out)")
    cmp.add_argument("run_b", type=Path)
    cmp.add_argument("--label", required=True, help="what differs between the runs, e.g. '1 vs 2 threads'")
    ren = sub.add_parser("render", help="rewrite the generated blocks from the recorded source")
    ren.add_argument("--check", action="store_true", help="change nothing; exit 1 when a block is stale")
    args = parser.parse_args(argv)
    if args.mode == "compare":
        compare(args.run_a, args.run_b, args.label)
        return render(check=False)
    if args.mode == "record":
        timings = json.loads(args.timings.read_text()) if args.timings else None
        record(args.report_dir, args.command, timings, args.size, args.seed)
        return render(check=False)
    return render(check=args.check)


if __name__ == "__main__":
    sys.exit(main())
