"""``benchmarks/bench_scaling.py`` (the scaling table of BENCHMARKS.md): its rendering and block
replacement by default; a tiny end-to-end run (two points, real ``transform`` runs) in the slow suite."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _bench():
    name = "bench_scaling"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / "bench_scaling.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _point(size: int, seconds: float, **extra) -> dict:
    return {"exit": 0, "seconds": seconds, "peak_mb": 1.5, "baseline_mb": 100.0, "follow_ups": 20,
            "bytes": size, **extra}


def test_tables_show_growth_and_replace_only_the_generated_block(tmp_path):
    bench = _bench()
    results = {"machine": {"cpus": 2, "cpu": "test CPU", "python": "3.11", "load": 0.5, "load_end": 0.7},
               "date": "2026-11-30 08:10 UTC", "command": "python benchmarks/bench_scaling.py", "minutes": 7.5,
               "size": {"c": [_point(1_000, 0.1), _point(4_000, 0.4), _point(16_000, 6.4)]},
               "depth": {"c": [_point(500, 0.05, depth=10), _point(2_500, 0.25, depth=50)]}}
    text = bench.markdown(results)
    rows = [line for line in text.splitlines() if line.startswith("| c |")]
    assert len(rows) == 5
    assert rows[0].split("|")[6].strip() == ""  # no growth for the first row
    assert rows[1].split("|")[6].strip() == "1.00"  # linear
    assert rows[2].split("|")[6].strip() == "4.00"  # quadratic on a x4 step
    assert "load 0.50 at the start, 0.70 at the end" in text and "7.5 minutes" in text
    page = tmp_path / "BENCHMARKS.md"
    page.write_text(f"# Title\n\nbefore\n{bench._BEGIN}\nold table\n{bench._END}\nafter\n", encoding="utf-8")
    bench.write_block(page, text)
    written = page.read_text(encoding="utf-8")
    assert written.startswith("# Title\n\nbefore\n") and written.endswith(f"{bench._END}\nafter\n")
    assert "old table" not in written and rows[2] in written
    bench.write_block(page, text)  # idempotent
    assert page.read_text(encoding="utf-8") == written
    (tmp_path / "plain.md").write_text("no block here\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="no generated scaling block"):
        bench.write_block(tmp_path / "plain.md", text)


def test_the_page_has_the_generated_block():
    bench = _bench()
    page = (REPO / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert page.count(bench._BEGIN) == 1 and page.count(bench._END) == 1


@pytest.mark.slow
def test_tiny_run_end_to_end(tmp_path):
    bench = _bench()
    page = tmp_path / "page.md"
    page.write_text(f"{bench._BEGIN}\n{bench._END}\n", encoding="utf-8")
    out = tmp_path / "scaling.json"
    assert bench.main(["--languages", "c", "--max-size", "1000", "--max-depth", "10", "--json", str(out),
                       "--write", str(page)]) == 0
    results = json.loads(out.read_text())
    points = results["size"]["c"] + results["depth"]["c"]
    assert len(points) == 2 and all(p["exit"] == 0 and p["follow_ups"] > 0 and p["seconds"] > 0 for p in points)
    assert "| c | depth 10 |" in page.read_text(encoding="utf-8")
