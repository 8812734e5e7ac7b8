"""Human-readable Markdown rendering of ``report.json``.

The output is plain GitHub-flavoured Markdown (pipe tables, fenced code blocks, a ``diff`` block
per worst discrepancy) so it reads well both on GitHub and in a terminal pager.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from ..markup import markdown_code, markdown_literal, table_cell
from ..relations import FLIP_CATEGORIES, list_relations
from .read import attack_count, pools_attacks, representation_follow_ups
from .summary import accuracy_pair, attack_count_text, attack_list, overall_scope, transformation_count

_DASH = "–"


# --------------------------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------------------------


def _pct(x: float | None, digits: int = 1) -> str:
    return _DASH if x is None else f"{100.0 * x:.{digits}f}%"


def _num(x: float | None, digits: int = 3) -> str:
    return _DASH if x is None else f"{x:.{digits}f}"


def _ci_pct(ci: list[float] | None) -> str:
    return "" if ci is None else f" [{100.0 * ci[0]:.1f}, {100.0 * ci[1]:.1f}]"


def _ci_num(ci: list[float] | None, digits: int = 3) -> str:
    return _DASH if ci is None else f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"


def _pp(x: float | None) -> str:
    """A difference of two rates in signed percentage points."""
    return _DASH if x is None else f"{100 * x:+.1f}"


def _ci_pp(ci: list[float] | None) -> str:
    return _DASH if ci is None else f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]"


def _rate_cell(entry: Mapping[str, Any] | None, numerator: str, rate_key: str = "rate") -> str:
    """``12.5% [8.1, 18.9] (5/40)`` — rate, 95% CI in percent, numerator/denominator."""
    if not entry:
        return _DASH
    return f"{_pct(entry.get(rate_key))}{_ci_pct(entry.get('ci95'))} ({entry.get(numerator, 0)}/{entry.get('n', 0)})"


#: Title of the pooled scope of adversarial examples (``attacks``) in the tables of pooled scopes.
ATTACKS_TITLE = "Attack follow-ups"


def _attack_scope(section: Mapping[str, Any] | None) -> list[tuple[str, Any]]:
    """``[("Attack follow-ups", entry)]`` when ``section`` has the pooled ``attacks`` scope, else ``[]``.

    Adversarial examples are pooled apart from the other scopes (docs/relations.md, *Scopes*); reports
    of runs without attacks have no such scope and their tables are unchanged.
    """
    entry = (section or {}).get("attacks")
    return [(ATTACKS_TITLE, entry)] if entry is not None else []


def _esc(text: Any) -> str:
    """Make a value safe inside a pipe-table cell (values of report.json are whatever its author typed:
    no tag, link or image may start in them, see :func:`~metacompress_eval.markup.table_cell`)."""
    return table_cell(text)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(_esc(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_esc(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _fence(code: str, lang: str = "") -> list[str]:
    # A fence longer than any backtick run inside the code cannot be closed by the code itself.
    longest, run = 0, 0
    for ch in code:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return [fence + lang, code.rstrip("\n"), fence, ""]


def _scalar_items(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten a small envelope dict into ``(key, value)`` rows, one nesting level deep."""
    if isinstance(value, Mapping):
        items: list[tuple[str, str]] = []
        for k, v in value.items():
            key = f"{prefix}{k}"
            if isinstance(v, Mapping) and not prefix:
                items += _scalar_items(v, key + ".")
            elif isinstance(v, (list, Mapping)):
                text = json.dumps(v, ensure_ascii=False, default=str)
                items.append((key, text if len(text) <= 120 else text[:117] + "..."))
            else:
                items.append((key, str(v)))
        return items
    return [(prefix.rstrip(".") or "value", str(value))]


# --------------------------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------------------------


def _model_name(model: Any) -> str | None:
    if isinstance(model, Mapping):
        for key in ("name_or_path", "name", "path"):
            if model.get(key):
                return str(model[key])
        return None
    return None if model is None else str(model)


def _title(report: Mapping[str, Any]) -> list[str]:
    """Title plus one line saying what was compared (the full envelope goes to the end)."""
    lines = ["# MetaCompress Eval report", ""]
    facts = []
    task = report.get("task")
    if isinstance(task, Mapping) and task.get("name"):
        lang = f" ({markdown_literal(task['language'])})" if task.get("language") else ""
        facts.append(f"Task {markdown_code(task['name'])}{lang}")
    models = report.get("models")
    if isinstance(models, Mapping):
        for role in ("teacher", "student"):
            name = _model_name(models.get(role))
            if name:
                facts.append(f"{role.capitalize()} {markdown_code(name)}")
    if report.get("created"):
        facts.append(f"Created {markdown_literal(report['created'])}")
    if facts:
        lines += [" · ".join(facts), ""]
    return lines


def _run_details(report: Mapping[str, Any]) -> list[str]:
    lines = ["## Run details", ""]
    meta = [("schema_version", str(report["schema_version"]))] if "schema_version" in report else []
    for key in ("tool", "created"):
        if key in report:
            meta += _scalar_items(report[key], f"{key}." if isinstance(report[key], Mapping) else key)
    if meta:
        lines += _table(["Field", "Value"], [[k, v] for k, v in meta])
    for key, title in (("task", "Task"), ("data", "Data"), ("models", "Models"),
                       ("settings", "Settings"), ("inference", "Inference")):
        if report.get(key):
            lines += [f"**{title}**", ""]
            lines += _table(["Field", "Value"], [[k, v] for k, v in _scalar_items(report[key])])
    return lines


def _verification_lines(report: Mapping[str, Any]) -> list[str]:
    """Whether follow-ups were compiled against their sources, with what, and what that dropped."""
    fu = report.get("follow_ups")
    if not isinstance(fu, Mapping) or "verified" not in fu:
        return []  # reports from before the follow_ups section (schema < 2.2) do not say
    from ..follow_ups import verification_line

    verification = fu.get("verification")
    if fu.get("verified") and not verification:  # 2.2 reports of the first cut: no details
        return ["**Verification**: follow-ups were compiled against their sources (docs/verification.md).", ""]
    text = verification_line(verification if fu.get("verified") else None)
    return [f"**Verification**: {text[0].upper()}{text[1:]} (docs/verification.md).", ""]


def _transformations_envelope(report: Mapping[str, Any]) -> list[str]:
    tr = report.get("transformations")
    if not isinstance(tr, Mapping) or not tr:
        return []
    if all(isinstance(v, Mapping) for v in tr.values()):
        columns: list[str] = []
        for v in tr.values():
            columns += [k for k in v if k not in columns]
        def cell(x: Any) -> str:
            # e.g. the rejection reasons: {"reason": count, ...} → "reason (count); ..."
            if isinstance(x, Mapping):
                return "; ".join(f"{k} ({n})" for k, n in x.items()) or _DASH
            return _DASH if x is None else str(x)

        rows = [[name] + [cell(v.get(c)) for c in columns] for name, v in tr.items()]
        return ["## Transformations applied", ""] + _verification_lines(report) + _table(["Transformation"] + columns,
                                                                                            rows)
    rows = [[name, json.dumps(v, default=str)] for name, v in tr.items()]
    return ["## Transformations applied", ""] + _verification_lines(report) + _table(["Transformation", "Counts"], rows)


def _summary(a: Mapping[str, Any]) -> list[str]:
    counts = a.get("counts", {})
    pooled_in = pools_attacks(a)  # a report written before attack follow-ups were pooled apart
    if pooled_in:
        n_attacks = attack_count(a)
        follow_ups = (f"{counts.get('follow_ups', 0)} follow-ups: {counts.get('follow_ups', 0) - n_attacks} over "
                      f"{transformation_count(counts)} transformations and {n_attacks} attack follow-ups "
                      f"({attack_list(a)})")
    else:
        follow_ups = (f"{counts.get('follow_ups', 0)} follow-ups over {transformation_count(counts)} "
                      f"transformations{attack_count_text(a)}")
    lines = [
        "## Summary",
        "",
        f"{counts.get('inputs', 0)} inputs: {counts.get('sources', 0)} sources and {follow_ups}. "
        f"Labels: {'yes' if a.get('labelled') else 'no (accuracy, F1, ECE and flip breakdowns omitted)'}.",
        "",
    ]
    if pooled_in:
        lines += ["This report was written before attack follow-ups were pooled apart (docs/report-format.md, "
                  "*Versions*): every headline figure, and the *All inputs* and *Follow-ups* scopes below, include "
                  f"its {attack_count(a)} attack follow-ups "
                  "(adversarial examples, selected to flip the model they were found against). Rerun the evaluation "
                  "to get them pooled apart.", ""]
    if counts.get("attacks"):
        lines += ["Adversarial examples are selected to flip the model they were found against, so they are "
                  "pooled apart: every headline figure, and the *All inputs* and *Follow-ups* scopes below, "
                  "are over sources and transformation follow-ups; attack follow-ups have their own row "
                  f"(*{ATTACKS_TITLE}*, and one per `attack:<method>`).", ""]
    lines += [f"Violation rates over {overall_scope(a)} (95% CI, violations/N):", ""]
    overall = a["relations"]["overall"]
    for rel in list_relations():
        lines.append(f"- **{rel.title} ({rel.abbreviation})**: {_rate_cell(overall.get(rel.key), 'violations')}")
    fidelity = (a.get("fidelity") or {}).get("overall")
    if fidelity:
        kl = fidelity["kl_bits"]
        lines.append(f"- **Top-1 agreement**: {_rate_cell(fidelity['top1_agreement'], 'agreements')}; "
                     f"**mean KL(teacher ‖ student)**: {_num(kl.get('mean'), 4)} bits "
                     f"{_ci_num(kl.get('ci95'), 4)} ({_num(fidelity['kl_nats'].get('mean'), 4)} nats)"
                     + (f"; {fidelity['kl_floored']} inputs with a student probability floored at "
                        f"{a['fidelity']['kl_floor']:g}, on which the mean depends" if fidelity.get("kl_floored") else ""))
    flips = a.get("flips", {})
    for model in ("teacher", "student"):
        entry = flips.get(model, {}).get("overall")
        if entry and entry.get("n"):
            under = "under transformations and attacks" if pooled_in else "under transformations"
            lines.append(f"- **{model.capitalize()} flip rate** {under}: {_rate_cell(entry, 'flips')}")
    for model in ("teacher", "student"):
        entry = flips.get(model, {}).get("attacks")
        if entry and entry.get("n"):
            lines.append(f"- **{model.capitalize()} flip rate** on attack follow-ups (adversarial examples of "
                         f"either model, not a sample of transformations): {_rate_cell(entry, 'flips')}")
    fidelity = a.get("fidelity")
    if fidelity:
        lines.append(f"- **Mean |ΔP|** (½·Σ|p_T − p_S|; |ΔP(class 1)| for two classes): "
                     f"all inputs {_num(fidelity['overall'].get('mean_abs_prob_difference'))}, "
                     f"sources {_num(fidelity['sources'].get('mean_abs_prob_difference'))}")
    perf = a.get("performance")
    if perf:
        for scope, title in (("sources", "sources"), ("follow_ups", "follow-ups")):
            t = perf[scope]["teacher"]["accuracy"]
            s = perf[scope]["student"]["accuracy"]
            if t.get("n") or s.get("n"):
                lines.append(f"- **Accuracy on {title}**: {accuracy_pair(t, s, lambda e: _pct(e['accuracy']))}")
    return lines + [""]


_FIGURES = {"relations": "the relations", "fidelity": "fidelity (top-1 agreement, KL, mean |ΔP|)",
            "mcnemar": "McNemar's test",
            "calibration": "calibration (ECE)", "flips.difference": "the flip-rate difference",
            "worst": "the worst discrepancies", "flips.teacher": "the teacher's flip rates",
            "flips.student": "the student's flip rates", "performance.teacher": "the teacher's accuracy and F1",
            "performance.student": "the student's accuracy and F1"}


def _coverage_section(a: Mapping[str, Any]) -> list[str]:
    """Which figures were computed on fewer inputs because a model has no outputs for some (stored outputs)."""
    cov = a.get("coverage")
    if not cov:
        return []
    of = cov["of"]
    lines = ["## Partial outputs", ""]
    for model in ("teacher", "student"):
        have = cov[model]
        if have["inputs"] == of["inputs"] and have.get("attacks") == of.get("attacks"):
            continue
        why = f" — {have['reason']}" if have.get("reason") else ""
        attacks = f", {have['attacks']} of {of['attacks']} attack follow-ups" if "attacks" in of else ""
        lines.append(f"- The **{model}** has outputs for {have['inputs']} of {of['inputs']} inputs "
                     f"({have['sources']} of {of['sources']} sources, {have['follow_ups']} of {of['follow_ups']} "
                     f"follow-ups{attacks}){why}.")
    both = cov["both"]
    both_attacks = f", and {both['attacks']} attack follow-ups" if "attacks" in both else ""
    def words(keys):
        return ", ".join(_FIGURES.get(k, k) for k in keys)

    lines += ["", f"Computed only where the models they need have outputs, each with its own N (both models: "
                  f"{both['inputs']} inputs, {both['sources']} sources and {both['follow_ups']} follow-ups"
                  f"{both_attacks}): "
                  f"{words(cov['partial'])}. A flip counts only when the model answered the follow-up and its "
                  f"source. On every input: {words(cov['complete']) or 'nothing'}.", ""]
    return lines


class _ThresholdValues(dict):
    """The report's thresholds for filling a relation's text; a threshold the report lacks reads as a dash."""

    def __missing__(self, key: str) -> str:
        return _DASH


def _answered_by_both(a: Mapping[str, Any], rows: str = "inputs") -> bool:
    """Whether some ``rows`` (inputs / follow_ups), or some attack follow-ups, have outputs from both models
    (always, without ``coverage``)."""
    coverage = a.get("coverage")
    return not coverage or coverage["both"][rows] > 0 or coverage["both"].get("attacks", 0) > 0


def _relations_section(a: Mapping[str, Any]) -> list[str]:
    if not _answered_by_both(a):
        return ["## Metamorphic relations", "",
                "None computed: no input has outputs from both models (see *Partial outputs*).", ""]
    th = _ThresholdValues(a.get("thresholds", {}))
    rels = a["relations"]
    relations = list_relations()
    rules = "; ".join(text for text in (r.rule_text(th) for r in relations) if text)
    notes = "".join(f" {r.scope_note}" for r in relations if r.scope_note)
    lines = [
        "## Metamorphic relations",
        "",
        (f"Thresholds: {rules}. " if rules else "") + f"Cells: violation rate [95% CI] (violations/N).{notes}",
        "",
    ]
    pooled = [("overall", "All inputs"), ("sources", "Sources"), ("follow_ups", "Follow-ups")]
    pooled += [("attacks", title) for title, _ in _attack_scope(rels)]
    rows = []
    for rel in relations:
        rows.append([f"{rel.title} ({rel.abbreviation})"]
                    + [_rate_cell(rels[s].get(rel.key), "violations") for s, _ in pooled])
    lines += _table(["Relation"] + [title for _, title in pooled], rows)
    lines += _macro_table(rels, relations)

    by_t = rels.get("by_transformation", {})
    if by_t:
        lines += ["### Per transformation", ""]
        header = ["Transformation"] + [r.abbreviation for r in relations]
        rows = [[name] + [_rate_cell(entry.get(r.key), "violations") for r in relations]
                for name, entry in by_t.items()]
        lines += _table(header, rows)

    lines += ["### Jensen–Shannon divergence", ""]
    rows = []
    for scope, title in pooled:
        pds = rels[scope]["probability_distribution_similarity"]
        rows.append([title, _num(pds.get("mean_jsd"), 4), _num(pds.get("median_jsd"), 4)])
    for name, entry in by_t.items():
        pds = entry["probability_distribution_similarity"]
        rows.append([name, _num(pds.get("mean_jsd"), 4), _num(pds.get("median_jsd"), 4)])
    lines += _table(["Scope", "Mean JSD", "Median JSD"], rows)
    return lines


def _macro_cell(entry: Mapping[str, Any] | None, value_key: str = "rate") -> str:
    """``10.0% [4.1, 18.2] (20 sources)`` — a per-source (macro) average in percent."""
    macro = (entry or {}).get("macro")
    if not macro:
        return _DASH
    n = macro.get("n_sources", 0)
    return f"{_pct(macro.get(value_key))}{_ci_pct(macro.get('ci95'))} ({n} source{'' if n == 1 else 's'})"


def _macro_table(rels: Mapping[str, Any], relations) -> list[str]:
    """Per-source (macro) violation rates of the pooled scopes, where a source may have several rows."""
    if not any((rels["overall"].get(r.key) or {}).get("macro") for r in relations):
        return []  # a report written before macro averages existed
    lines = ["Per-source (macro) averages: each source counts once, however many follow-ups it has "
             "(pooled rates above count every input). Compare these across runs whose transformation "
             "sets differ.", ""]
    attacks = _attack_scope(rels)
    rows = [[f"{r.title} ({r.abbreviation})", _macro_cell(rels["overall"].get(r.key)),
             _macro_cell(rels["follow_ups"].get(r.key))] + [_macro_cell(e.get(r.key)) for _, e in attacks]
            for r in relations]
    return lines + _table(["Relation", "All inputs (macro)", "Follow-ups (macro)"]
                          + [f"{title} (macro)" for title, _ in attacks], rows)


def _fidelity_section(a: Mapping[str, Any]) -> list[str]:
    fid = a.get("fidelity")
    if not fid or not _answered_by_both(a):
        return []
    lines = [
        "## Fidelity (top-1 agreement and KL)",
        "",
        "The fidelity measures of the knowledge-distillation literature: top-1 agreement (the student "
        "predicts the teacher's class) and KL(teacher ‖ student), the mean over inputs in bits and nats. "
        f"Student probabilities below {fid.get('kl_floor')} count as {fid.get('kl_floor')} in KL. "
        "Macro: each source counts once. Mean |ΔP| = ½·Σ_c |p_T(c) − p_S(c)| (for two classes, the mean "
        "|ΔP(class 1)|).",
        "",
    ]
    scopes = [("All inputs", fid.get("overall")), ("Sources", fid.get("sources")),
              ("Follow-ups", fid.get("follow_ups"))] + _attack_scope(fid)
    scopes += list((fid.get("by_transformation") or {}).items())
    rows = []
    for title, e in scopes:
        if not e:
            continue
        kl, nats = e["kl_bits"], e["kl_nats"]
        rows.append([title, _rate_cell(e["top1_agreement"], "agreements"), _macro_cell(e["top1_agreement"]),
                     f"{_num(kl.get('mean'), 4)} {_ci_num(kl.get('ci95'), 4)}", _num(kl.get("median"), 4),
                     _num((kl.get("macro") or {}).get("mean"), 4), _num(nats.get("mean"), 4),
                     str(e.get("kl_floored", 0)), _num(e.get("mean_abs_prob_difference"), 4)])
    lines += _table(["Scope", "Top-1 agreement [95% CI] (k/N)", "Agreement (macro)", "Mean KL bits [95% CI]",
                     "Median KL bits", "Mean KL bits (macro)", "Mean KL nats", "Floored", "Mean |ΔP|"], rows)
    return lines


def _flips_section(a: Mapping[str, Any]) -> list[str]:
    flips = a.get("flips")
    if not flips:
        return []
    lines = [
        "## Metamorphic flips",
        "",
        "A flip is a follow-up whose prediction differs from the same model's prediction on its source.",
        "",
    ]
    attacked = "attacks" in (flips.get("difference") or {})
    if attacked:
        lines += ["Transformation follow-ups and attack follow-ups (adversarial examples, each found against "
                  "one model) are pooled apart.", ""]
    # Without attacks every follow-up is a transformation's: the label stays what it always was.
    all_fu = "all transformation follow-ups" if attacked else "all follow-ups"
    pooled = [("overall", all_fu)] + ([("attacks", "all attack follow-ups")] if attacked else [])
    labelled = bool(a.get("labelled"))
    header = ["Model", "Scope", "Flip rate"]
    if labelled:
        header += [c.replace("_to_", "→").replace("_", " ") for c in FLIP_CATEGORIES]
    rows = []
    coverage = a.get("coverage") or {}
    for model in ("teacher", "student"):
        if model in coverage and coverage[model]["follow_ups"] == 0 and not coverage[model].get("attacks"):
            continue  # no output on any follow-up (stored outputs of the sources, no teacher): nothing to show
        per_model = flips.get(model, {})
        scopes = [(title, per_model.get(key)) for key, title in pooled]
        scopes += list(per_model.get("by_transformation", {}).items())
        for scope, entry in scopes:
            if entry is None:
                continue
            row = [model, scope, _rate_cell(entry, "flips")]
            if labelled:
                bd = entry.get("breakdown") or {}
                row += [str(bd.get(c, _DASH)) for c in FLIP_CATEGORIES]
            rows.append(row)
    lines += _table(header, rows)

    diff = flips.get("difference")
    if diff and _answered_by_both(a, "follow_ups"):
        lines += ["Student minus teacher flip rate in percentage points "
                  "(paired bootstrap, or a Wilson bound where no pair differs; positive = student less stable):", ""]

        def pp(e: Mapping[str, Any]) -> list[str]:
            return [_pp(e.get("student_minus_teacher")), _ci_pp(e.get("ci95"))]

        rows = [[title] + pp(diff[key]) for key, title in pooled]
        rows += [[name] + pp(e) for name, e in diff.get("by_transformation", {}).items()]
        lines += _table(["Scope", "Difference (pp)", "95% CI (pp)"], rows)
    return lines


def _performance_section(a: Mapping[str, Any]) -> list[str]:
    perf = a.get("performance")
    if not perf:
        return []
    f1_name = "F1" if perf.get("f1_average") == "binary" else "Macro-F1"
    note = (f"F1 of the positive class `{perf.get('positive_label')}`."
            if perf.get("f1_average") == "binary" else "Macro-F1 over the classes present.")
    lines = ["## Accuracy and F1", "", note, ""]
    scopes = [("sources", "sources"), ("follow_ups", "follow-ups"), ("overall", "all inputs")]
    scopes += [("attacks", title.lower()) for title, _ in _attack_scope(perf)]
    pooled = [key for key, _ in scopes]
    scopes += [(name, name) for name in perf.get("by_transformation", {})]
    rows = []
    for key, title in scopes:
        block = perf[key] if key in pooled else perf["by_transformation"][key]
        for model in ("teacher", "student"):
            if model in (a.get("coverage") or {}) and a["coverage"][model]["inputs"] == 0:
                continue  # a model with no outputs at all (no teacher)
            acc, f1 = block[model]["accuracy"], block[model]["f1"]
            rows.append([title, model, _rate_cell(acc, "correct", "accuracy"),
                         _num(f1.get("value")), _ci_num(f1.get("ci95"))])
    lines += _table(["Scope", "Model", "Accuracy [95% CI] (correct/N)", f1_name, f"{f1_name} 95% CI"], rows)
    return lines


def _mcnemar_section(a: Mapping[str, Any]) -> list[str]:
    mc = a.get("mcnemar")
    if not mc or not _answered_by_both(a):
        return []
    lines = [
        "## McNemar test (teacher vs student correctness)",
        "",
        "b = teacher right & student wrong, c = teacher wrong & student right. Independent pairs: exact "
        "binomial test when b + c < 25, else chi-square with continuity correction (floored at 0). Pairs "
        "clustered by source (pooled follow-ups): exact sign test over the clusters when fewer than 25 "
        "of them have b_k ≠ c_k, else Obuchowski's clustered test. Accuracy difference = (b − c)/N, "
        "with a (cluster) bootstrap CI.",
        "",
    ]
    scopes = [("sources", mc.get("sources")), ("follow-ups", mc.get("follow_ups"))]
    scopes += [(title.lower(), e) for title, e in _attack_scope(mc)]
    scopes += list(mc.get("by_transformation", {}).items())
    rows = []
    for title, e in scopes:
        if e is None:
            continue
        p = e.get("p_value")
        diff = e.get("accuracy_difference") or {}
        rows.append([title, str(e["b"]), str(e["c"]), str(e["n"]),
                     _DASH if e.get("n_clusters") is None else str(e["n_clusters"]),
                     _num(e.get("statistic")), _DASH if p is None else f"{p:.4g}", e["method"],
                     _pp(diff.get("teacher_minus_student")), _ci_pp(diff.get("ci95"))])
    lines += _table(["Scope", "b", "c", "N", "Clusters", "χ²", "p-value", "Method",
                     "Accuracy T − S (pp)", "95% CI (pp)"], rows)
    return lines


def _calibration_section(a: Mapping[str, Any]) -> list[str]:
    cal = a.get("calibration")
    if not cal or not _answered_by_both(a):
        return []
    lines = [
        "## Calibration",
        "",
        f"Expected calibration error with {cal.get('n_bins')} equal-width bins. Verdict from the 95% CI of "
        f"ECE_S − ECE_T: aligned when it lies within ±{cal.get('tolerance')}, misaligned when it lies "
        "outside, inconclusive when it straddles the tolerance or there is none (a single source or input).",
        "",
    ]
    scopes = [("sources", "sources"), ("follow_ups", "follow-ups"), ("overall", "all inputs")]
    scopes += [("attacks", title.lower()) for title, _ in _attack_scope(cal)]
    pooled = [key for key, _ in scopes]
    rows = []
    for key, title in scopes + [(n, n) for n in cal.get("by_transformation", {})]:
        e = cal[key] if key in pooled else cal["by_transformation"][key]
        if "verdict" in e:
            verdict = e["verdict"] or _DASH
        else:  # schema 1.x: a yes/no from the point estimate
            verdict = _DASH if e.get("aligned") is None else ("aligned" if e["aligned"] else "misaligned")
        rows.append([title, str(e.get("n")), _num(e.get("teacher_ece")), _num(e.get("student_ece")),
                     _num(e.get("difference")), _ci_num(e.get("ci95")), verdict])
    lines += _table(["Scope", "N", "ECE teacher", "ECE student", "Difference", "95% CI", "Verdict"], rows)
    return lines


def _ci_cell(value: float | None, ci: list[float] | None, digits: int = 3) -> str:
    return _DASH if value is None else f"{value:.{digits}f} {_ci_num(ci, digits) if ci else ''}".rstrip()


def _final_pair(block: Mapping[str, Any], student_layers: int) -> Mapping[str, Any] | None:
    """The best-matching pair of the student's last layer (or of its deepest layer that has one)."""
    pairs = [p for p in block.get("best_pairs") or [] if p["student_layer"] <= student_layers]
    return max(pairs, key=lambda p: p["student_layer"]) if pairs else None


def _representations_section(report: Mapping[str, Any]) -> list[str]:
    """The optional ``representations`` section (docs/representations.md): CKA and representation shift."""
    rep = report.get("representations")
    if not isinstance(rep, Mapping) or not rep.get("cka"):
        return []
    st = rep.get("settings", {})
    t, s = rep["teacher"], rep["student"]
    sample = (f"a seeded sample of {rep['n_sources']} of the {rep['sources_total']} sources"
              if rep.get("subsampled") else f"all {rep['n_sources']} sources")
    n_follow_ups, n_attacks = representation_follow_ups(rep)
    attacks = f" (and {n_attacks} attack follow-ups, pooled apart)" if n_attacks else ""
    lines = ["## Internal representations", "",
             f"Teacher: {t['layers']} layer{'' if t['layers'] == 1 else 's'} of width {t['width']}; student: "
             f"{s['layers']} layer{'' if s['layers'] == 1 else 's'} of width {s['width']} (layer 0 = embeddings). Compared on {sample} and their {n_follow_ups} follow-ups{attacks}, "
             "with two sequence representations per layer: the first token's vector (`first`) and the mean over "
             "non-padding tokens (`mean`). Intervals: bootstrap over sources "
             f"({st.get('resamples')} resamples).", ""]
    for pooling in rep.get("poolings", []):
        block = rep["cka"].get(pooling) or {}
        matrix = block.get("matrix")
        if not matrix:
            continue
        best = {(p["teacher_layer"], p["student_layer"]) for p in block.get("best_pairs", [])}
        lines += [f"### Linear CKA on sources ({pooling})", "",
                  "Rows: teacher layers; columns: student layers; bold: each student layer's best-matching "
                  "teacher layer.", ""]
        rows = [[f"T{i}"] + [(_DASH if v is None else (f"**{v:.3f}**" if (i, j) in best else f"{v:.3f}"))
                             for j, v in enumerate(row)] for i, row in enumerate(matrix)]
        lines += _table(["Teacher \\ student"] + [f"S{j}" for j in range(len(matrix[0]))], rows)
        rows = [[f"S{p['student_layer']}", f"T{p['teacher_layer']}", _ci_cell(p.get("cka"), p.get("ci95"))]
                for p in block.get("best_pairs", [])]
        lines += _table(["Student layer", "Best teacher layer", "CKA [95% CI]"], rows)
    lines += ["### CKA under transformation", "",
              "For the student's last layer and its best-matching teacher layer: CKA on each transformation's "
              "follow-ups against CKA on the same follow-ups' sources; the difference (follow-ups − sources) with a "
              "paired bootstrap CI. A negative difference: the student's representation drifts from the teacher's "
              "when the input is transformed.", ""]
    names = sorted({name for p in rep.get("poolings", []) for name in (rep["cka"].get(p) or {}).get("by_transformation", {})})
    rows = []
    for name in names:
        for pooling in rep.get("poolings", []):
            block = rep["cka"].get(pooling) or {}
            entry = block.get("by_transformation", {}).get(name) or {}
            final = _final_pair(block, s["layers"])
            pair = next((e for e in entry.get("pairs", []) if final and e["student_layer"] == final["student_layer"]), None)
            if pair is None:
                rows.append([name, pooling, str(entry.get("n", 0)), _DASH, _DASH, _DASH, _DASH])
                continue
            rows.append([name, pooling, str(entry["n"]), f"T{pair['teacher_layer']} ↔ S{pair['student_layer']}",
                         _num(pair.get("sources")), _num(pair.get("follow_ups")),
                         _ci_cell(pair.get("difference"), pair.get("ci95"))])
    if rows:
        lines += _table(["Transformation", "Pooling", "N", "Pair", "CKA sources", "CKA follow-ups",
                         "Difference [95% CI]"], rows)
    elif (rep.get("n_sources") or 0) < (st.get("min_inputs") or 0):  # a header without rows would say nothing
        lines += [f"Not computed: CKA needs at least {st.get('min_inputs')} sources, and this run analysed "
                  f"{rep.get('n_sources')}.", ""]
    else:
        lines += ["No follow-ups.", ""]
    lines += ["### Representation shift", "",
              "Per follow-up, each model's final-layer shift 1 − cos(h(x), h(x′)), divided by the model's median shift "
              "between two different sources (its scale). ρ: Spearman rank correlation of the two models' shifts. "
              f"Teacher still, student moves: teacher's relative shift ≤ {st.get('still')} while the student's is "
              f"≥ {st.get('moves')}.", ""]
    rows = []
    for pooling in rep.get("poolings", []):
        block = rep["shift"].get(pooling) or {}
        scale = block.get("scale", {})
        attacked = "attacks" in block  # adversarial examples pooled apart (docs/relations.md, *Scopes*)
        scopes = [("all transformation follow-ups" if attacked else "all follow-ups", block.get("follow_ups") or {})]
        scopes += [("all attack follow-ups", block["attacks"])] if attacked else []
        scopes += list(block.get("by_transformation", {}).items())
        for title, e in scopes:
            rho = e.get("spearman") or {}
            share = e.get("teacher_still_student_moves")
            rows.append([title, pooling, str(e.get("n", 0)), _num(e.get("teacher_mean_relative")),
                         _num(e.get("student_mean_relative")), _ci_cell(rho.get("rho"), rho.get("ci95")),
                         _rate_cell(share, "events") if share else _DASH])
        scales = [_DASH if scale.get(m) is None else f"{scale[m]:.3g}" for m in ("teacher", "student")]
        lines += [f"Scale ({pooling}): teacher {scales[0]}, student {scales[1]}.", ""]
    lines += _table(["Scope", "Pooling", "N", "Mean relative shift T", "Mean relative shift S", "ρ [95% CI]",
                     "Teacher still, student moves"], rows)
    return lines


def _worst_section(a: Mapping[str, Any], examples: Mapping[int, Mapping[str, Any]], language: str) -> list[str]:
    worst = a.get("worst") or []
    lines = ["## Worst discrepancies", ""]
    flagged = [r for r in list_relations() if r.worst]
    if not worst:
        return lines + [f"No input violates {' or '.join(r.title for r in flagged)}.", ""]
    lines += [f"Top {len(worst)} inputs by JSD among those violating {' or '.join(r.abbreviation for r in flagged)}.",
              ""]
    abbreviations = {r.key: r.abbreviation for r in list_relations()}
    names = a.get("label_names", [])
    for rank, w in enumerate(worst, start=1):
        tr = w.get("transformation")
        where = "source" if tr is None else f"follow-up `{tr}`"
        violated = ", ".join(abbreviations.get(v, v) for v in w.get("violated", []))
        lines += [f"### {rank}. `{w.get('source_id')}` ({where}, row {w['index']}) — "
                  f"JSD {w['jsd']:.3f}, violates {violated}", ""]
        if w.get("label_name") is not None:
            lines += [f"Gold label: `{w['label_name']}`", ""]
        rows = []
        for c, name in enumerate(names):
            cells = []
            for model in ("teacher", "student"):
                m = w[model]
                text = f"{m['probs'][c]:.3f}"
                cells.append(f"**{text}**" if m["prediction"] == c else text)
            rows.append([name] + cells)
        lines += _table(["Class", "Teacher", "Student"], rows)

        ex = examples.get(w["index"])
        if ex is None:
            lines += ["_Code not available._", ""]
            continue
        source = ex.get("source_code") or ""
        follow = ex.get("follow_up_code")
        lines += ["Source:", ""] + _fence(source, language)
        if follow is not None:
            lines += [f"Follow-up ({ex.get('transformation') or tr}):", ""] + _fence(follow, language)
            diff = "\n".join(difflib.unified_diff(
                source.splitlines(), follow.splitlines(), "source", "follow-up", lineterm=""))
            lines += ["Diff:", ""] + (_fence(diff, "diff") if diff else ["_(identical text)_", ""])
    return lines


def _attacks_section(report: Mapping[str, Any]) -> list[str]:
    """The optional ``attacks`` section (docs/attacks.md): per-model measures, drop ratio, transfer."""
    section = report.get("attacks")
    if not isinstance(section, Mapping) or not section.get("by_attack"):
        return []
    settings = section.get("settings", {})
    lines = ["## Adversarial attacks", "",
             f"Searches for semantics-preserving variants (identifier renaming"
             f"{' + ' + ', '.join(settings.get('transforms') or []) if settings.get('transforms') else ''}) that change "
             f"a correct prediction; budget {settings.get('budget')} queries per input and model, "
             f"{section.get('n_sources')} sources, seed {settings.get('seed')}. Success rate = successful / attempted "
             "(skipped inputs excluded); accuracy under attack counts an input correct when it was classified "
             "correctly and no adversarial example was found. Adversarial examples are also follow-ups "
             "(`attack:<method>` in the relation tables).", ""]
    skipped_roles = section.get("not_attacked") or {}
    lines += [f"The {role} was not attacked: {why}." for role, why in skipped_roles.items()]
    lines += [""] if skipped_roles else []
    rows = []
    for method, entry in section["by_attack"].items():
        for role in ("teacher", "student"):
            if role in skipped_roles:
                continue
            m = entry.get(role) or {}
            succ = m.get("success") or {}
            rows.append([method, role, _pct(m.get("clean_accuracy")), _num(m.get("clean_f1")),
                         _pct(m.get("adversarial_accuracy")), _num(m.get("adversarial_f1")),
                         f"{_pct(succ.get('rate'))}{_ci_pct(succ.get('ci95'))} ({succ.get('k', 0)}/{succ.get('n', 0)})",
                         _num(m.get("avg_queries"), 1), _num(m.get("avg_edits"), 1), _num(m.get("seconds"), 1),
                         ", ".join(f"{k}: {v}" for k, v in (m.get("skipped") or {}).items()) or _DASH])
    lines += _table(["Attack", "Model", "Clean acc.", "Clean F1", "Acc. under attack", "F1 under attack",
                     "Success rate [95% CI]", "Avg queries", "Avg edits", "Time (s)", "Skipped"], rows)
    if skipped_roles:  # nothing to compare between models
        return lines
    lines += ["", "Between models: relative drop = drop_student / drop_teacher − 1 (drop = clean accuracy − "
              "accuracy under attack; paired bootstrap CI); transfer = share of the adversarial examples found "
              "against one model that the other misclassifies (sources it classified correctly).", ""]
    rows = []
    for method, entry in section["by_attack"].items():
        d = entry.get("drop_ratio") or {}
        tr = entry.get("transfer") or {}

        def rate(e):
            e = e or {}
            return f"{_pct(e.get('rate'))}{_ci_pct(e.get('ci95'))} ({e.get('k', 0)}/{e.get('n', 0)})"

        value = _DASH if d.get("value") is None else f"{d['value']:+.3f}"
        rows.append([method, _pct(d.get("drop_teacher")), _pct(d.get("drop_student")), value,
                     _ci_num(d.get("ci95")), rate(tr.get("teacher_to_student")), rate(tr.get("student_to_teacher"))])
    lines += _table(["Attack", "Drop teacher", "Drop student", "Relative drop", "95% CI", "Transfer T→S",
                     "Transfer S→T"], rows)
    lines.append("")
    return lines


def render_markdown(report: dict, examples: dict[int, dict]) -> str:
    """Render a report (envelope + ``analysis``) as GitHub-flavoured Markdown.

    Args:
        report: the full ``report.json`` dict; a bare analysis dict (from
            :func:`metacompress_eval.relations.analyze`) is accepted too.
        examples: for (some of) the indices in ``analysis["worst"]``, the code to show:
            ``{"source_code", "follow_up_code" (None for a source), "transformation", "source_id"}``.
            Indices without an entry are listed without code.

    Returns:
        The Markdown text, ending with a newline.
    """
    analysis = report.get("analysis", report)
    task = report.get("task")
    language = str(task.get("language", "")) if isinstance(task, Mapping) else ""
    lines: list[str] = _title(report)
    lines += _summary(analysis)
    lines += _coverage_section(analysis)
    lines += _transformations_envelope(report)
    lines += _relations_section(analysis)
    lines += _fidelity_section(analysis)
    lines += _flips_section(analysis)
    lines += _attacks_section(report)
    lines += _performance_section(analysis)
    lines += _mcnemar_section(analysis)
    lines += _calibration_section(analysis)
    lines += _representations_section(report)
    lines += _worst_section(analysis, examples or {}, language)
    if "analysis" in report:
        lines += _run_details(report)
    return "\n".join(lines).rstrip("\n") + "\n"
