"""A short plain-text summary of a finished evaluation, for the terminal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TextIO

from ..relations import is_attack, list_relations
from .read import attack_count, attack_rows, pools_attacks


def _rate(entry: dict[str, Any] | None, numerator: str = "violations", key: str = "rate") -> str:
    if not entry or entry.get(key) is None:
        return "n/a"
    ci = entry.get("ci95")
    ci_text = f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]" if ci else ""
    return f"{100 * entry[key]:5.1f}%{ci_text} ({entry.get(numerator, 0)}/{entry.get('n', 0)})"


def overall_scope(analysis: dict, apart: str = "in their own row") -> str:
    """What the headline ("overall") rates are computed over: all inputs, or — when a model has outputs
    for only some inputs (stored outputs) — the inputs both models answered, with their number; for a
    run with attacks, said to be the sources and transformation follow-ups, the attack follow-ups being
    ``apart`` (docs/relations.md, *Scopes*); for a report written before they were pooled apart
    (:func:`~metacompress_eval.report.read.pools_attacks`), said to include them."""
    if pools_attacks(analysis):
        attacks = f", its {attack_count(analysis)} attack follow-ups (adversarial examples) included"
    else:
        attacks = f"; attack follow-ups {apart}" if (analysis.get("counts") or {}).get("attacks") else ""
    both = (analysis.get("coverage") or {}).get("both")
    if not both:
        if pools_attacks(analysis):
            return "all inputs" + attacks
        return "sources and transformation follow-ups" + attacks if attacks else "all inputs"
    only = " (sources only)" if both.get("follow_ups") == 0 else ""
    return f"the {both.get('inputs', 0)} inputs both models have outputs for{only}{attacks}"


#: How a report whose pooled figures include its adversarial examples (:func:`pools_attacks`) is described.
POOLED_ATTACKS_NOTE = ("a report written before attack follow-ups were pooled apart, so every pooled figure "
                       "includes them")


def transformation_count(counts: dict) -> int:
    """How many transformations made the follow-ups of ``counts`` (the analysis' ``counts``), attacks not counted."""
    return sum(1 for name in counts.get("by_transformation", {}) if not is_attack(name))


def attack_list(analysis: dict) -> str:
    """``attack:mhm: 8, attack:random: 4``: the attack follow-ups of ``analysis`` per method."""
    return ", ".join(f"{k}: {v}" for k, v in attack_rows(analysis).items())


def attack_count_text(analysis: dict) -> str:
    """``", and 12 attack follow-ups (attack:mhm: 8, ...)"``, or ``""`` for a run without attacks or a
    report whose follow-ups include them (:func:`follow_up_text` says so there)."""
    counts = analysis.get("counts") or {}
    if not counts.get("attacks"):
        return ""
    return f", and {counts['attacks']} attack follow-ups ({attack_list(analysis)})"


def follow_up_text(analysis: dict) -> str:
    """``"38 follow-ups (dead_code: 10, ...)"`` with the attack follow-ups said apart: after them for a run
    that pools them apart, and as part of them for a report that does not (:func:`pools_attacks`)."""
    counts = analysis.get("counts") or {}
    by_t = ", ".join(f"{k}: {v}" for k, v in counts.get("by_transformation", {}).items() if not is_attack(k))
    n = counts.get("follow_ups", 0)
    if pools_attacks(analysis):
        attacks = attack_count(analysis)
        return (f"{n} follow-ups: {n - attacks} by transformations ({by_t or 'none'}) and {attacks} attack "
                f"follow-ups ({attack_list(analysis)}), pooled together ({POOLED_ATTACKS_NOTE})")
    return f"{n} follow-ups ({by_t or 'none'}){attack_count_text(analysis)}"


def accuracy_pair(teacher: dict, student: dict, rate) -> str:
    """``teacher X, student Y`` for two accuracy entries; each with its N when the two Ns differ, so
    figures over different inputs are not read as comparable."""
    if teacher.get("n") == student.get("n"):
        return f"teacher {rate(teacher)}, student {rate(student)}"
    return f"teacher {rate(teacher)} (N = {teacher.get('n', 0)}), student {rate(student)} (N = {student.get('n', 0)})"


def summary_lines(report: dict) -> list[str]:
    """The summary as lines of text (headline rates per relation, flips, accuracy)."""
    a = report.get("analysis", report)
    counts = a.get("counts", {})
    # Without a teacher there is nothing to relate the student to: its own flips and accuracy only.
    no_teacher = ((report.get("models") or {}).get("teacher") or {}).get("adapter") == "none"
    lines = [
        f"{counts.get('sources', 0)} sources, {follow_up_text(a)}",
        "no teacher: relations and agreement not computed; the student's own figures [95% CI] (k/n):" if no_teacher
        else f"violation rates over {overall_scope(a, 'after them')} [95% CI] (k/n):",
    ]
    processes = max([(stats or {}).get("processes", 1) for key, stats in (report.get("inference") or {}).items()
                     if isinstance(stats, dict)] or [1])
    if processes > 1:
        lines.insert(1, f"inference sharded across {processes} processes (torchrun / accelerate launch)")
    overall = a.get("relations", {}).get("overall", {})
    for rel in [] if no_teacher else list_relations():
        lines.append(f"  {rel.abbreviation:<4}{_rate(overall.get(rel.key))}")
    attacks = a.get("relations", {}).get("attacks")
    if attacks is not None and not no_teacher:  # the attack scope, pooled apart (docs/relations.md, *Scopes*)
        if any((attacks.get(rel.key) or {}).get("n") for rel in list_relations()):
            lines.append(f"  on the {counts.get('attacks', 0)} attack follow-ups (adversarial examples):")
            lines += [f"    {rel.abbreviation:<4}{_rate(attacks.get(rel.key))}" for rel in list_relations()]
        else:
            lines.append(f"  on the {counts.get('attacks', 0)} attack follow-ups: none has outputs from both models")
    fidelity = (a.get("fidelity") or {}).get("overall")
    if fidelity and not no_teacher:
        kl = fidelity["kl_bits"].get("mean")
        floored = fidelity.get("kl_floored") or 0
        lines.append(f"  top-1 agreement: {_rate(fidelity['top1_agreement'], 'agreements')}; mean KL(T‖S): "
                     + ("n/a" if kl is None else f"{kl:.4f} bits ({fidelity['kl_nats']['mean']:.4f} nats)")
                     # a student probability of 0 makes KL infinite: the mean then depends on the floor
                     + (f", {floored} inputs with a student probability floored at {a['fidelity']['kl_floor']:g}"
                        if floored else ""))
        sources = a["fidelity"].get("sources") or {}
        if sources.get("mean_abs_prob_difference") is not None:
            lines.append(f"  mean |ΔP| on sources: {sources['mean_abs_prob_difference']:.3f} (n = {sources['n']})")
    coverage = a.get("coverage")
    if coverage and not no_teacher:
        lines.append(f"  partial outputs: both models answered {coverage['both']['inputs']} of "
                     f"{coverage['of']['inputs']} inputs (see report.md, Partial outputs)")
    flips = a.get("flips", {})
    for model in ("teacher", "student"):
        entry = (flips.get(model) or {}).get("overall")
        if entry and entry.get("n"):
            lines.append(f"  {model} flip rate: {_rate(entry, 'flips')}")
    for model in ("teacher", "student"):
        entry = (flips.get(model) or {}).get("attacks")
        if entry and entry.get("n"):
            lines.append(f"  {model} flip rate on attack follow-ups: {_rate(entry, 'flips')}")
    perf = a.get("performance")
    if perf:
        for scope in ("sources", "follow_ups"):
            t = perf[scope]["teacher"]["accuracy"]
            s = perf[scope]["student"]["accuracy"]
            if no_teacher and s.get("n"):
                lines.append(f"  accuracy on {scope.replace('_', '-')}: student {_rate(s, 'correct', 'accuracy')}")
            elif not no_teacher and (t.get("n") or s.get("n")):
                lines.append(f"  accuracy on {scope.replace('_', '-')}: teacher "
                             f"{_rate(t, 'correct', 'accuracy')}, student {_rate(s, 'correct', 'accuracy')}")
    return lines


def print_summary(report: dict, out_dir: Path | str, file: TextIO | None = None) -> None:
    """Print :func:`summary_lines` and the location of ``report.md`` / ``report.json``."""
    out = Path(out_dir)
    stream = file if file is not None else sys.stdout
    from ..data import skip_lines

    for line in summary_lines(report):
        print(line, file=stream)
    data = report.get("data") or {}
    for line in skip_lines(data.get("skipped") or {}, data.get("skipped_examples") or []):
        print(line, file=stream)
    print(f"report: {out / 'report.md'} (machine-readable: {out / 'report.json'})", file=stream)
