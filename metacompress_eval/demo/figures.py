"""The demo's figures as README.md and BENCHMARKS.md quote them: taken from a run, written into marked blocks.

Nothing about the demo is typed into the documentation by hand. :func:`figures_of_run` reads a demo run's
``report.json`` and ``predictions.jsonl`` (through :mod:`metacompress_eval.demo.claims`) and returns the
quoted figures with their 95% intervals; ``scripts/demo_figures.py record`` stores them, together with the
settings that produced them and, from ``benchmarks/bench_demo.py``, the run's wall time and memory, in
``benchmarks/demo_figures.json`` (the *recorded source*). :func:`render_file` rewrites every block between

    <!-- BEGIN GENERATED demo:NAME (scripts/demo_figures.py; do not edit) -->
    <!-- END GENERATED demo:NAME -->

from that file. ``tests/demo/test_figures.py`` fails when a block differs from what the recorded source
renders to, or when the recorded settings are not the code's (the figures would then describe another
demo); a ``slow`` test runs the demo afresh and fails when its figures disagree with the recorded ones
beyond their intervals.
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

__all__ = ["FIGURES_FILE", "DOCUMENTS", "figures_of_run", "current_settings", "render_block", "render_file",
           "block_names", "stale_blocks", "disagreements", "compare_runs"]

#: The recorded source, relative to the repository root.
FIGURES_FILE = "benchmarks/demo_figures.json"
#: Documents with generated demo blocks, relative to the repository root.
DOCUMENTS = ("README.md", "BENCHMARKS.md")

_WIDTH = 110  # the documents' line width
HCP_MIN_N = 100  # the bar for a meaningful High Confidence Preservation denominator (test sources)
_BLOCK = re.compile(r"(<!-- BEGIN GENERATED demo:(?P<name>[\w-]+) [^\n]*-->\n)(?P<body>.*?)(<!-- END GENERATED demo:(?P=name) -->)",
                    re.S)


def current_settings(size: str = "demo", seed: int = 0) -> dict[str, Any]:
    """What shapes the demo's results: size, seed and the preset (corpus, models, attack section)."""
    from .run import VERIFY_FOLLOW_UPS
    from .training import PRESETS

    return {"size": size, "seed": seed, "preset": json.loads(json.dumps(asdict(PRESETS[size]))),
            "verify_follow_ups": VERIFY_FOLLOW_UPS}


def _interval(value, ci) -> dict[str, Any]:
    return {"value": value, "ci95": list(ci) if ci is not None else None}


def figures_of_run(report_dir: str | Path) -> dict[str, Any]:
    """The quoted figures of one demo run's report folder (values are fractions; intervals are 95%)."""
    from ..relations import is_attack
    from .claims import claims_of_report_folder

    report_dir = Path(report_dir)
    raw = (report_dir / "report.json").read_bytes()
    report = json.loads(raw)
    claims = claims_of_report_folder(report_dir)
    analysis = report["analysis"]
    perf = analysis["performance"]["sources"]
    relations = analysis["relations"]
    flips = claims["flip_rate_difference"]
    pa = claims["pa_follow_ups_minus_sources"]
    counts = analysis["counts"]
    attacks = {}
    for method, entry in (report.get("attacks") or {}).get("by_attack", {}).items():
        attacks[method] = {
            "teacher_success": _interval(entry["teacher"]["success"]["rate"], entry["teacher"]["success"]["ci95"]),
            "student_success": _interval(entry["student"]["success"]["rate"], entry["student"]["success"]["ci95"]),
            "teacher_drop": entry["drop_ratio"]["drop_teacher"],
            "student_drop": entry["drop_ratio"]["drop_student"],
            "relative_drop": _interval(entry["drop_ratio"]["value"], entry["drop_ratio"]["ci95"]),
        }
    fu_counts = {t: n for t, n in counts["by_transformation"].items() if not is_attack(t)}
    # What the compiler check (on by default, as in `evaluate`) dropped: follow-ups adding an error.
    dropped = sum(n for entry in report.get("transformations", {}).values()
                  for reason, n in entry.get("reasons", {}).items() if reason.startswith("new compiler diagnostics"))
    return {
        "report_sha256": hashlib.sha256(raw).hexdigest(),
        "n_sources": counts["sources"],
        "n_follow_ups": sum(fu_counts.values()),
        "follow_ups_by_transformation": fu_counts,
        "follow_ups_verified": bool((report.get("follow_ups") or {}).get("verified")),
        "follow_ups_dropped_by_compiler": dropped,
        "teacher_parameters": report["models"]["teacher"].get("num_parameters"),
        "student_parameters": report["models"]["student"].get("num_parameters"),
        "teacher_accuracy": _interval(perf["teacher"]["accuracy"]["accuracy"], perf["teacher"]["accuracy"]["ci95"]),
        "student_accuracy": _interval(perf["student"]["accuracy"]["accuracy"], perf["student"]["accuracy"]["ci95"]),
        "hcp_sources_n": relations["sources"]["high_confidence_preservation"]["n"],
        "hcp_sources": _interval(relations["sources"]["high_confidence_preservation"]["rate"],
                                 relations["sources"]["high_confidence_preservation"]["ci95"]),
        "pa_sources": _interval(relations["sources"]["prediction_agreement"]["rate"],
                                relations["sources"]["prediction_agreement"]["ci95"]),
        "pa_follow_ups": pa["follow_ups"],
        "pa_difference": _interval(pa["value"], pa["ci95"]),
        "teacher_flip_rate": flips["teacher"],
        "student_flip_rate": flips["student"],
        "flip_difference": _interval(flips["value"], flips["ci95"]),
        "attack": {"settings": (report.get("attacks") or {}).get("settings"),
                   "n_sources": (report.get("attacks") or {}).get("n_sources"), "by_method": attacks},
        "claims_hold": {"flip_rate_difference": flips["holds"], "pa_follow_ups_minus_sources": pa["holds"],
                        "attack_relative_drop": {m: a["holds"] for m, a in claims["attack_relative_drop"].items()}},
    }


def compare_runs(run_a: str | Path, run_b: str | Path) -> dict[str, Any]:
    """How two demo runs (output folders) of the same settings differ: the reproducibility check.

    Same machine and torch build: ``predictions.jsonl`` should be byte-identical for any thread count.
    Across machines (another vector width or MKL code path) the probabilities may differ in the last
    bits; then what matters is how many predictions that moves and whether the figures still agree
    within their intervals (:func:`disagreements`).
    """
    import numpy as np

    from ..fileio import iter_jsonl
    from ..relations import is_attack

    run_a, run_b = Path(run_a), Path(run_b)

    def rows(run: Path) -> dict[tuple, dict]:
        # The attack's adversarial examples are searched against each run's own models, so two runs
        # may hold different ones: only sources and the transformations' follow-ups are compared.
        return {(r["index"], r["source_id"], r["transformation"]): r
                for _, r, problem in iter_jsonl(run / "report" / "predictions.jsonl")
                if problem is None and not is_attack(r["transformation"])}

    a, b = rows(run_a), rows(run_b)
    common = sorted(set(a) & set(b), key=repr)
    max_diff, changed = 0.0, 0
    for key in common:
        for role in ("teacher_probs", "student_probs"):
            pa, pb = np.asarray(a[key][role], dtype=float), np.asarray(b[key][role], dtype=float)
            max_diff = max(max_diff, float(np.abs(pa - pb).max()))
            changed += int(pa.argmax() != pb.argmax())
    same = {name: (run_a / "report" / name).read_bytes() == (run_b / "report" / name).read_bytes()
            for name in ("predictions.jsonl", "follow_ups.jsonl")}
    return {"predictions_identical": same["predictions.jsonl"], "follow_ups_identical": same["follow_ups.jsonl"],
            "rows": len(common), "rows_only_in_one": len(set(a) ^ set(b)),
            "max_probability_difference": max_diff, "changed_predictions": changed,
            "disagreements": disagreements(figures_of_run(run_a / "report"), figures_of_run(run_b / "report"))}


# --------------------------------------------------------------------------------------------
# Rendering


def _pct(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


def _ci(entry: dict, signed: bool = False, digits: int = 1) -> str:
    ci = entry.get("ci95")
    if not ci:
        return ""
    fmt = (lambda v: f"{100 * v:+.{digits}f}") if signed else (lambda v: f"{100 * v:.{digits}f}")
    return f" [{fmt(ci[0])}, {fmt(ci[1])}]"


def _signed_pp(entry: dict) -> str:
    return f"{100 * entry['value']:+.1f} points{_ci(entry, signed=True)}"


def _holds(flag: bool) -> str:
    return "" if flag else " — **not shown**: the interval includes zero"


def _wrap(text: str, bullet: bool = False) -> str:
    return textwrap.fill(text, width=_WIDTH, subsequent_indent="  " if bullet else "", break_on_hyphens=False,
                         break_long_words=False)


def _readme_results(data: dict) -> str:
    f = data["figures"]
    a_method, a = next(iter(f["attack"]["by_method"].items()), (None, None))
    holds = f["claims_hold"]
    # the gap between the two percentages as printed, so the sentence agrees with its own numbers
    gap = abs(round(100 * f["teacher_accuracy"]["value"], 1) - round(100 * f["student_accuracy"]["value"], 1)) / 100
    paragraphs = [_wrap(
        f"On the {f['n_sources']:,} test functions the teacher reaches {_pct(f['teacher_accuracy']['value'])} "
        f"accuracy{_ci(f['teacher_accuracy'])} and the student {_pct(f['student_accuracy']['value'])}"
        f"{_ci(f['student_accuracy'])}, {100 * gap:.1f} points apart (with {f['teacher_parameters']:,} and "
        f"{f['student_parameters']:,} parameters), and the teacher is confident (≥ 0.9) on "
        f"{f['hcp_sources_n']:,} of them"
        + (", so every relation has a real denominator" if f["hcp_sources_n"] >= HCP_MIN_N else
           f" — **fewer than {HCP_MIN_N}**, so High Confidence Preservation rests on few inputs")
        + f". Yet on the {f['n_follow_ups']:,} follow-ups:"), ""]
    bullets = [
        f"* the student flips its prediction under {_pct(f['student_flip_rate'])} of them, the teacher under "
        f"{_pct(f['teacher_flip_rate'])} (difference {_signed_pp(f['flip_difference'])}"
        f"{_holds(holds['flip_rate_difference'])});",
        f"* the two disagree on {_pct(f['pa_follow_ups'])} of the follow-ups against {_pct(f['pa_sources']['value'])} "
        f"of the sources (difference {_signed_pp(f['pa_difference'])}{_holds(holds['pa_follow_ups_minus_sources'])});",
    ]
    if a is not None:
        rel = a["relative_drop"]
        rel_text = "undefined" if rel["value"] is None else f"{100 * rel['value']:+.0f}%" + _ci(rel, signed=True, digits=0)
        bullets.append(
            f"* under the `{a_method}` renaming attack ({f['attack']['settings']['budget']} queries per input, first "
            f"{f['attack']['n_sources']:,} test functions) the student's accuracy falls by "
            f"{100 * a['student_drop']:.1f} points and the teacher's by {100 * a['teacher_drop']:.1f}: the student's drop is "
            f"{rel_text} relative to the teacher's (drop_S / drop_T − 1)"
            f"{_holds(holds['attack_relative_drop'].get(a_method, False))}.")
    paragraphs += [_wrap(b, bullet=True) for b in bullets]
    paragraphs += ["", _wrap(
        "(95% intervals in brackets. The follow-ups here are the transformations' only, as in the terminal "
        "summary and `report.md`, which give the attack's adversarial examples rows of their own. "
        f"{_verification_note(f)}{_source_note(data)}.)")]
    return "\n".join(paragraphs)


def _verification_note(f: dict) -> str:
    if not f.get("follow_ups_verified"):
        return "Follow-ups were not compiler-checked. "
    n = f.get("follow_ups_dropped_by_compiler", 0)
    return (f"Follow-ups were checked with the compiler, as `evaluate` does by default; {n:,} were dropped for "
            f"adding a compiler error. ")


def _source_note(data: dict) -> str:
    s = data["source"]
    return (f"Recorded {s['date']} with `{s['command']}` on {s['machine']}, torch {s['torch']}, "
            f"by `scripts/demo_figures.py` from the run's `report.json`")


def _benchmarks_results(data: dict) -> str:
    f = data["figures"]
    rows = [
        ("parameters: teacher / student", f"{f['teacher_parameters']:,} / {f['student_parameters']:,}"),
        ("teacher accuracy on the test sources", _pct(f["teacher_accuracy"]["value"]) + _ci(f["teacher_accuracy"])),
        ("student accuracy on the test sources", _pct(f["student_accuracy"]["value"]) + _ci(f["student_accuracy"])),
        ("follow-ups (transformations only) / dropped by the compiler check",
         f"{f['n_follow_ups']:,} / " + (f"{f.get('follow_ups_dropped_by_compiler', 0):,}"
                                        if f.get("follow_ups_verified") else "not checked")),
        (f"test sources where the teacher is confident (HCP n; ≥ {HCP_MIN_N} wanted)", str(f["hcp_sources_n"])),
        ("HCP violations on those sources", _pct(f["hcp_sources"]["value"]) + _ci(f["hcp_sources"])),
        ("teacher / student flip rate on the follow-ups",
         f"{_pct(f['teacher_flip_rate'])} / {_pct(f['student_flip_rate'])}"),
        ("student − teacher flip rate", _signed_pp(f["flip_difference"])),
        ("PA violations: sources / follow-ups", f"{_pct(f['pa_sources']['value'])} / {_pct(f['pa_follow_ups'])}"),
        ("PA violations: follow-ups − sources", _signed_pp(f["pa_difference"])),
    ]
    for method, a in f["attack"]["by_method"].items():
        rel = a["relative_drop"]
        rows += [
            (f"`{method}` attack success: teacher / student",
             f"{_pct(a['teacher_success']['value'])} / {_pct(a['student_success']['value'])}"),
            (f"`{method}` accuracy drop: teacher / student", f"{_pct(a['teacher_drop'])} / {_pct(a['student_drop'])}"),
            (f"`{method}` relative drop of the student (drop_S / drop_T − 1)",
             "undefined" if rel["value"] is None else f"{100 * rel['value']:+.0f}%{_ci(rel, signed=True, digits=0)}"),
        ]
    out = ["| figure | value [95% CI] |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in rows]
    hold = f["claims_hold"]
    missing = [name for name, ok in (("student flips more than the teacher", hold["flip_rate_difference"]),
                                     ("PA violations rise on follow-ups", hold["pa_follow_ups_minus_sources"]),
                                     *((f"larger relative drop under `{m}`", ok)
                                       for m, ok in hold["attack_relative_drop"].items()))
               if not ok]
    out += ["", ("All three intended effects are shown: each interval excludes zero." if not missing else
                 "Not shown (interval includes zero): " + "; ".join(missing) + ".")]
    out += ["", _wrap(f"{_source_note(data)}; report sha256 `{f['report_sha256'][:16]}…`.")]
    return "\n".join(out)


def _mmss(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m} min {s:02d} s"


def _benchmarks_timing(data: dict) -> str:
    t = data.get("timings")
    if not t:
        return "No timing recorded yet: run `benchmarks/bench_demo.py`."
    names = {"alone": "alone", "one_competitor": "with 1 CPU-bound competitor", "two_competitors":
             "with 2 CPU-bound competitors"}
    out = ["| run (from scratch) | wall time | CPU time (user + sys) | peak RSS | threads chosen | load average at start |",
           "|---|---:|---:|---:|---:|---:|"]
    for key, label in names.items():
        r = t["runs"].get(key)
        if r:
            cpu = _mmss(r["cpu_seconds"]) if r.get("cpu_seconds") is not None else "–"
            out.append(f"| {label} | **{_mmss(r['wall_seconds'])}** | {cpu} | {r['max_rss_kb'] / 1e6:.2f} GB | "
                       f"{r.get('threads', '?')} | {r['load_at_start']:.2f} |")
    missing = [label for key, label in names.items() if key not in t["runs"]]
    if missing:
        out += ["", _wrap("Not measured in this recording: " + "; ".join(missing) + ".")]
    out += ["", _wrap(f"Command: `{t['command']}`; a competitor is `{t['competitor']}`. Machine: {t['machine']}. "
                      f"Date: {t['date']}.")]
    v = t.get("verification")
    if v:
        out += ["", _wrap(
            f"The compiler check of the follow-ups (on in the demo, as in `evaluate`; `VERIFY_FOLLOW_UPS` in "
            f"`metacompress_eval/demo/run.py`), timed on its own after the competitor-free run: "
            f"{v['verify_seconds']:.1f} s for {v['follow_ups']:,} follow-ups ({v['kept']:,} kept), "
            f"{100 * v['fraction_of_demo']:.1f}% of that run's wall time; building them unchecked took "
            f"{v['build_seconds']:.1f} s.")]
    if t.get("note"):
        out += ["", _wrap(t["note"])]
    return "\n".join(out)


def _benchmarks_reproducibility(data: dict) -> str:
    entries = data.get("reproducibility") or {}
    if not entries:
        return "No comparison recorded yet: run `scripts/demo_figures.py compare`."
    out = ["| runs compared | `predictions.jsonl` | largest probability difference | predictions changed | "
           "figures beyond their intervals |", "|---|---|---:|---:|---|"]
    for label, e in entries.items():
        out.append(f"| {label} ({e['date']}) | {'byte-identical' if e['predictions_identical'] else 'differs'} | "
                   f"{e['max_probability_difference']:.1e} | {e['changed_predictions']} of {2 * e['rows']:,} | "
                   f"{'; '.join(e['disagreements']) or 'none'} |")
    return "\n".join(out)


RENDERERS: dict[str, Callable[[dict], str]] = {
    "reproducibility": _benchmarks_reproducibility,
    "readme-results": _readme_results,
    "results": _benchmarks_results,
    "timing": _benchmarks_timing,
}


def render_block(name: str, data: dict) -> str:
    """The Markdown of block ``name`` from the recorded source ``data``."""
    try:
        return RENDERERS[name](data).rstrip("\n") + "\n"
    except KeyError:
        raise ValueError(f"unknown generated block demo:{name}") from None


def render_file(text: str, data: dict) -> str:
    """``text`` with every generated demo block re-rendered from ``data``."""
    return _BLOCK.sub(lambda m: m.group(1) + render_block(m.group("name"), data) + m.group(4), text)


def block_names(text: str) -> list[str]:
    """Names of the generated demo blocks in ``text``, in order."""
    return [m.group("name") for m in _BLOCK.finditer(text)]


def stale_blocks(text: str, data: dict) -> list[str]:
    """Names of the blocks of ``text`` whose content differs from what ``data`` renders to."""
    return [m.group("name") for m in _BLOCK.finditer(text) if m.group("body") != render_block(m.group("name"), data)]


_FOLLOW_UP_RATES = ("pa_follow_ups", "teacher_flip_rate", "student_flip_rate")  # shares of n_follow_ups


def disagreements(recorded: dict, fresh: dict) -> list[str]:
    """Figures of a fresh run that disagree with the recorded ones beyond their intervals.

    Two estimates agree when their difference is within the larger of their 95% half-widths; rates
    over the follow-ups quoted without an interval get the normal-approximation one of a proportion
    over the follow-ups, counts must agree within 5% relative; the claims must hold alike.
    """
    import math

    problems = []
    n_fu = max(1, min(recorded["n_follow_ups"], fresh["n_follow_ups"]))

    def close(name, a, b):
        if name in _FOLLOW_UP_RATES:
            half = max(1.96 * math.sqrt(max(p * (1 - p), 0.0) / n_fu) for p in (a, b))
            if abs(a - b) > half + 1e-12:
                problems.append(f"{name}: recorded {a:.4f}, fresh {b:.4f} (95% half-width {half:.4f})")
        elif isinstance(a, dict):
            va, vb = a["value"], b["value"]
            if va is None or vb is None:
                if va != vb:
                    problems.append(f"{name}: {va} vs {vb}")
                return
            half = max((ci[1] - ci[0]) / 2 for ci in (a["ci95"], b["ci95"]) if ci) if (a["ci95"] or b["ci95"]) else 0
            if abs(va - vb) > half + 1e-12:
                problems.append(f"{name}: recorded {va:.4f} {a['ci95']}, fresh {vb:.4f} {b['ci95']}")
        elif abs(a - b) > 0.05 * max(abs(a), abs(b)) + 1e-12:
            problems.append(f"{name}: recorded {a}, fresh {b}")

    for key in ("teacher_accuracy", "student_accuracy", "hcp_sources", "pa_sources", "pa_difference",
                "flip_difference", "hcp_sources_n", "n_follow_ups", "pa_follow_ups", "teacher_flip_rate", "student_flip_rate"):
        close(key, recorded[key], fresh[key])
    for method, a in recorded["attack"]["by_method"].items():
        b = fresh["attack"]["by_method"].get(method)
        if b is None:
            problems.append(f"attack {method}: missing in the fresh run")
            continue
        for key in ("teacher_success", "student_success", "relative_drop"):
            close(f"attack {method} {key}", a[key], b[key])
    if recorded["claims_hold"] != fresh["claims_hold"]:
        problems.append(f"claims: recorded {recorded['claims_hold']}, fresh {fresh['claims_hold']}")
    return problems
