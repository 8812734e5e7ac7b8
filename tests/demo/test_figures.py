"""The demo's figures in README.md and BENCHMARKS.md are generated from a recorded run, and stay true."""

import copy
import json
from pathlib import Path

import pytest

from metacompress_eval.demo import figures

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_BLOCKS = {"README.md": ["readme-results"], "BENCHMARKS.md": ["timing", "results", "reproducibility"]}


@pytest.fixture(scope="module")
def recorded():
    return json.loads((ROOT / figures.FIGURES_FILE).read_text())


def test_generated_blocks_are_current(recorded):
    for name, blocks in EXPECTED_BLOCKS.items():
        text = (ROOT / name).read_text()
        found = figures.block_names(text)
        assert sorted(found) == sorted(blocks), (name, found)
        stale = figures.stale_blocks(text, recorded)
        assert not stale, f"{name}: stale blocks {stale}; run `python scripts/demo_figures.py render`"


def test_recorded_run_is_of_this_code(recorded):
    # Changing the corpus, the models or the attack settings makes the quoted figures describe
    # another demo: rerun `python benchmarks/bench_demo.py --record`.
    assert recorded["source"]["settings"] == figures.current_settings()


def test_a_stale_block_is_detected_and_rendering_repairs_it(recorded):
    text = (ROOT / "README.md").read_text()
    body = figures.render_block("readme-results", recorded)
    tampered = text.replace(body, body.replace("%", "% ", 1))
    assert tampered != text
    assert figures.stale_blocks(tampered, recorded) == ["readme-results"]
    assert figures.render_file(tampered, recorded) == text
    other = copy.deepcopy(recorded)
    other["figures"]["teacher_flip_rate"] += 0.01  # a new recording changes the text
    assert figures.stale_blocks(text, other) == ["readme-results"]


def test_unknown_block_name_is_an_error(recorded):
    with pytest.raises(ValueError, match="unknown generated block"):
        figures.render_file("<!-- BEGIN GENERATED demo:nope (x) -->\n<!-- END GENERATED demo:nope -->", recorded)


def test_disagreements_compare_within_intervals(recorded):
    fig = recorded["figures"]
    assert figures.disagreements(fig, copy.deepcopy(fig)) == []
    near = copy.deepcopy(fig)
    lo, hi = fig["teacher_accuracy"]["ci95"]
    near["teacher_accuracy"]["value"] += 0.9 * (hi - lo) / 2
    assert figures.disagreements(fig, near) == []
    far = copy.deepcopy(fig)
    far["teacher_accuracy"]["value"] += 1.1 * (hi - lo) / 2
    far["teacher_accuracy"]["ci95"] = [v + 1.1 * (hi - lo) / 2 for v in fig["teacher_accuracy"]["ci95"]]
    assert [p.split(":")[0] for p in figures.disagreements(fig, far)] == ["teacher_accuracy"]
    # Rates over the follow-ups quoted without an interval get a proportion's normal-approximation one.
    rate = copy.deepcopy(fig)
    rate["pa_follow_ups"] += 0.5 * 1.96 * (fig["pa_follow_ups"] * (1 - fig["pa_follow_ups"]) / fig["n_follow_ups"]) ** 0.5
    assert figures.disagreements(fig, rate) == []
    rate["pa_follow_ups"] = fig["pa_follow_ups"] + 0.05
    assert [p.split(":")[0] for p in figures.disagreements(fig, rate)] == ["pa_follow_ups"]
    flipped = copy.deepcopy(fig)
    flipped["claims_hold"]["flip_rate_difference"] = not fig["claims_hold"]["flip_rate_difference"]
    assert any(p.startswith("claims") for p in figures.disagreements(fig, flipped))


@pytest.mark.slow
def test_fresh_full_demo_agrees_with_the_quoted_figures(recorded, tmp_path):
    """A fresh `metacompress demo` (a few minutes) gives the quoted figures, within their intervals."""
    from metacompress_eval.demo.run import run_demo

    run_demo(tmp_path / "demo", progress=False, threads="auto")
    fresh = figures.figures_of_run(tmp_path / "demo" / "report")
    assert figures.disagreements(recorded["figures"], fresh) == []


def test_bench_demo_reads_gnu_time_output():
    """benchmarks/bench_demo.py takes its figures from `/usr/bin/time -v`; labels may hold colons."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_demo", ROOT / "benchmarks" / "bench_demo.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    stderr = ("\tCommand being timed: \"python -m metacompress_eval demo\"\n\tUser time (seconds): 239.57\n"
              "\tSystem time (seconds): 22.37\n\tPercent of CPU this job got: 11%\n"
              "\tElapsed (wall clock) time (h:mm:ss or m:ss): 39:27.36\n"
              "\tMaximum resident set size (kbytes): 1012676\n")
    assert bench.clock_seconds(bench.gnu_time_value(stderr, "Elapsed (wall clock) time")) == pytest.approx(2367.36)
    assert bench.clock_seconds(bench.gnu_time_value("\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02:03\n",
                                        "Elapsed (wall clock) time")) == 3723
    assert bench.gnu_time_value(stderr, "Maximum resident set size") == "1012676"
    assert bench.gnu_time_value(stderr, "User time") == "239.57"
    with pytest.raises(RuntimeError, match="lacks"):
        bench.gnu_time_value("", "User time")
