"""``benchmarks/bench_transforms.py``: contenders are timed interleaved (every repeat times each one
in turn), each transformation's ratio is to the bare parse timed beside it, and a tiny run writes
every field of the table."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

JAVA = [
    "int total(int[] values, int n) {\n    int sum = 0;\n    for (int i = 0; i < n; i++) {\n        sum += values[i];\n"
    "    }\n    return sum;\n}\n",
    "void greet(String name) {\n    if (name != null) {\n        System.out.println(\"hi \" + name);\n    }\n}\n",
]


def _bench():
    name = "bench_transforms"
    if name not in sys.modules:
        sys.path.insert(0, str(REPO / "benchmarks"))
        spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / "bench_transforms.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_contenders_alternate_within_every_repeat():
    bench = _bench()
    calls = []
    rates = bench._best_rates([lambda i, x: calls.append(("a", x)), lambda i, x: calls.append(("b", x))],
                              [[1, 2], [3]], repeats=3)
    assert calls == [("a", 1), ("a", 2), ("b", 3)] * 3
    assert len(rates) == 2 and all(r > 0 for r in rates)


def test_tiny_run_has_paired_ratios_and_renders():
    bench = _bench()
    rows = [{"id": i, "code": code} for i, code in enumerate(JAVA)]
    result = bench.bench_corpus("tiny", "java", rows, compile_n=0, repeats=1)
    assert result["functions"] == 2 and result["bare_parse_per_s"] > 0
    rename = result["transformations"]["rename_variables"]
    assert rename["applied"] == 1.0 and rename["paired_bare_parse_per_s"] > 0
    assert abs(rename["ratio_to_bare_parse"] - rename["per_s"] / rename["paired_bare_parse_per_s"]) < 0.01
    table = bench.to_markdown([result])
    assert "| | `rename_variables` |" in table and "*bare tree-sitter parse*" in table
