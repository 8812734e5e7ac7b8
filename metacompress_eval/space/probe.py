"""The *Probe a snippet* tab: every follow-up of one snippet, both models, each relation's verdict per input.

The probe takes the path of ``metacompress evaluate`` — follow-ups (:mod:`metacompress_eval.follow_ups`)
→ model outputs (:mod:`metacompress_eval.model_outputs`) → per-input relation checks
(:func:`metacompress_eval.relations.per_input_checks`) — on one source, without an output cache.
"""

from __future__ import annotations

import difflib
import html
from typing import Any, Sequence

import numpy as np

from ..errors import MetaCompressError
from .models import ModelStore
from .settings import Progress, no_progress


def check_snippet(code: str | None, language: str, max_chars: int, what: str = "snippet") -> str:
    """Validate one snippet: non-empty, within the size limit, parseable as ``language``."""
    from ..code.languages import SUPPORTED_LANGUAGES, parse
    from ..fileio import unencodable_text

    if not isinstance(code, (str, type(None))):
        raise MetaCompressError(f"the {what} must be text")
    if language not in SUPPORTED_LANGUAGES:
        raise MetaCompressError(f"unknown language {language!r}; supported: {', '.join(SUPPORTED_LANGUAGES)}")
    if code is None or not code.strip():
        raise MetaCompressError(f"the {what} is empty: paste a function or pick an example")
    if len(code) > max_chars:
        raise MetaCompressError(f"the {what} has {len(code):,} characters; the limit here is {max_chars:,}")
    if "\x00" in code:
        raise MetaCompressError(f"the {what} contains NUL characters; paste source code as text")
    bad = unencodable_text(code)
    if bad:
        raise MetaCompressError(f"the {what} holds text that is not encodable as UTF-8 ({bad}); paste it again")
    errors = parse(code, language).error_count()
    if errors:
        raise MetaCompressError(f"the {what} does not parse as {language} ({errors} syntax error(s)); "
                                "follow-ups can only be derived from code that parses")
    return code


def unified_diff(before: str, after: str, name: str) -> str:
    """A unified diff of one follow-up against its source (2 lines of context)."""
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), "source", name, lineterm="", n=2)
    return "\n".join(lines)


def snippet_representations(t_model, s_model, inputs: Sequence[tuple[str, ...]]) -> dict | None:
    """Both models' final-layer representations of the snippet and its follow-ups, compared.

    ``shift``: per input (the source first, 0), each model's ``1 − cos`` to the source, per pooling;
    ``cka``: final-layer linear CKA across these inputs, per pooling (``None`` below 5 inputs);
    ``spearman``: rank correlation of the two models' shifts over the follow-ups (``None`` below 5).
    ``None`` when an adapter exposes no hidden states. Kept in memory only, like the outputs.
    """
    from scipy import stats as sps

    from ..representations import POOLINGS, collect, cosine_shift, linear_cka

    if not (t_model.supports_hidden_states and s_model.supports_hidden_states):
        return None
    store = collect({"teacher": t_model, "student": s_model}, inputs, range(len(inputs)), None, batch_size=16)
    rows = list(range(len(inputs)))
    out: dict[str, Any] = {"shift": [{} for _ in rows], "cka": {}, "spearman": {}}
    for pooling in POOLINGS:
        final = {role: store.get(role, rows, pooling, [store.shapes[role][0] - 1])[:, 0] for role in ("teacher", "student")}
        shift = {role: cosine_shift(np.repeat(h[:1], len(rows), axis=0), h) for role, h in final.items()}
        for i in rows:
            out["shift"][i][pooling] = {role: round(float(shift[role][i]), 6) for role in shift}
        enough = len(rows) >= 5
        cka = linear_cka(final["teacher"], final["student"]) if enough else float("nan")
        out["cka"][pooling] = None if not np.isfinite(cka) else round(cka, 6)
        fu_t, fu_s = shift["teacher"][1:], shift["student"][1:]
        rho = (sps.spearmanr(fu_t, fu_s).statistic if fu_t.size >= 5 and np.ptp(fu_t) > 0 and np.ptp(fu_s) > 0
               else float("nan"))
        out["spearman"][pooling] = None if not np.isfinite(rho) else round(float(rho), 6)
    return out


def probe_snippet(store: ModelStore, code: str, language: str, task: str = "defect", teacher: str | None = None,
                  student: str | None = None, *, code2: str | None = None, seed: int = 0,
                  thresholds=None, transforms: Sequence[str] | None = None,
                  progress: Progress = no_progress) -> dict:
    """Derive every applicable follow-up of a snippet, run both models, check each relation per input.

    Returns a JSON-serialisable dict: ``label_names``, ``inputs`` (the source first, then one entry
    per follow-up: ``transformation``, ``code``, ``diff``, ``teacher``/``student`` probabilities and
    prediction, ``kl_bits`` (KL(teacher ‖ student)), ``shift`` (each model's final-layer representation
    shift from the source, per pooling; ``None`` without hidden states), ``verdicts`` per relation with ``violated``
    (``None`` where a relation does not apply) and its measured value, ``flips`` for follow-ups),
    ``skipped`` (transformations that did not apply, with the reason), ``summary`` (violation
    counts per relation), ``fidelity`` (top-1 agreements of ``n`` inputs, mean KL in bits) and
    ``representations`` (final-layer CKA across the inputs and the rank correlation of the two models'
    shifts, per pooling; see :func:`snippet_representations`).
    """
    from ..data import SourceInput
    from ..follow_ups import FollowUpSet, build_follow_ups
    from ..model_outputs import EvaluationRows, run_models
    from ..relations import Thresholds, list_relations, per_input_checks
    from ..tasks import get_task, task_names
    from ..transforms import list_transformations

    from .limits import Deadline

    settings = store.settings
    deadline = Deadline(settings.max_probe_seconds, "probe", "try a smaller or less deeply nested snippet")
    if task not in task_names():
        raise MetaCompressError(f"unknown task {task!r}; choose one of {', '.join(task_names())}")
    th = thresholds or Thresholds()
    sources = (check_snippet(code, language, settings.max_snippet_chars, "snippet"),)
    if task == "clone":
        sources += (check_snippet(code2, language, settings.max_snippet_chars, "second function"),)
    names = list(transforms) if transforms else [t.name for t in list_transformations(language)]
    progress(0.05, "deriving follow-ups")
    # The same path as `metacompress evaluate`: follow-ups -> model outputs -> per-input relation checks.
    source = SourceInput("snippet", sources)
    follow = FollowUpSet()
    for done, name in enumerate(names):
        # One transformation at a time, so the time budget is checked between them: a hostile snippet
        # cannot hold the (only) worker while other visitors wait.
        deadline.check(f"deriving follow-ups: {done} of {len(names)} transformations done")
        part = build_follow_ups([source], language, [name], seed=int(seed))
        follow.items += part.items
        follow.counts.update(part.counts)
        follow.reasons.update(part.reasons)
    deadline.check("deriving follow-ups")
    t_model, s_model = store.pair(teacher, student, progress, task=get_task(task))
    deadline.check("loading the models")
    rows = EvaluationRows([source], list(follow.items))
    inputs = rows.inputs
    progress(0.6, "running teacher and student")
    # No output cache: one snippet is cheap, and submitted code should not linger on disk.
    deadline.check("deriving follow-ups")
    predictions = run_models({"teacher": t_model, "student": s_model}, inputs, None, batch_size=16)
    label_names = list(t_model.label_names)
    outputs = rows.outputs({role: p.probs for role, p in predictions.items()}, label_names, labelled=False)
    pi = per_input_checks(outputs, th)
    progress(0.85, "comparing internal representations")
    representations = snippet_representations(t_model, s_model, inputs)

    def model_view(p, y, conf) -> dict:
        return {"probs": [round(float(v), 6) for v in p], "prediction": int(y),
                "prediction_name": label_names[int(y)], "confidence": round(float(conf), 6)}

    relations = list_relations()
    rows = []
    for i, item in enumerate([None] + follow.items):
        # "violated" is None where a relation does not apply (e.g. HCP where the teacher is not confident).
        verdicts = {r.key: {"violated": pi.verdict(r.key, i),
                            "value": round(float(pi.measures[r.key][i]), 6) if r.key in pi.measures else None}
                    for r in relations}
        entry = {
            "transformation": None if item is None else item.transformation,
            "code": list(inputs[i]),
            "diff": None if item is None else [unified_diff(a, b, item.transformation)
                                               for a, b in zip(sources, item.inputs) if a != b],
            "provenance": None if item is None else item.provenance,
            "teacher": model_view(pi.teacher_probs[i], pi.y_t[i], pi.conf_t[i]),
            "student": model_view(pi.student_probs[i], pi.y_s[i], pi.conf_s[i]),
            # The KD literature's per-input fidelity measure, next to the relations' verdicts.
            "kl_bits": round(float(pi.kl[i]), 6),
            "shift": None if representations is None else representations["shift"][i],
            "verdicts": verdicts,
            "flips": None if item is None else {"teacher": bool(pi.y_t[i] != pi.y_t[0]),
                                                "student": bool(pi.y_s[i] != pi.y_s[0])},
        }
        entry["violations"] = [r.key for r in relations if verdicts[r.key]["violated"]]
        rows.append(entry)
    skipped = []
    for name, counts in follow.summary().items():
        if not counts["applied"]:
            reason = next(iter(counts["reasons"]), "not applicable")
            skipped.append({"transformation": name,
                            "status": "rejected" if counts["rejected"] else "not_applicable",
                            "reason": reason})
    summary = {rel.key: {"violations": sum(1 for r in rows if r["verdicts"][rel.key]["violated"]),
                         "checked": sum(1 for r in rows if r["verdicts"][rel.key]["violated"] is not None)}
               for rel in relations}
    fidelity = {"top1_agreement": sum(1 for r in rows if r["teacher"]["prediction"] == r["student"]["prediction"]),
                "n": len(rows), "mean_kl_bits": round(float(pi.kl.mean()), 6)}
    progress(1.0, "done")
    return {"language": language, "task": task, "label_names": label_names,
            "teacher": t_model.name, "student": s_model.name, "seed": int(seed),
            "thresholds": {t.name: getattr(th, t.name) for r in relations for t in r.thresholds},
            "inputs": rows, "skipped": skipped, "summary": summary, "fidelity": fidelity,
            "representations": None if representations is None else {k: representations[k] for k in ("cka", "spearman")},
            "n_follow_ups": len(follow.items), "n_violating_inputs": sum(1 for r in rows if r["violations"])}


# HTML rendering: all user text is escaped, the page must not run anything a visitor pasted.


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _prob_cell(view: dict, label_names: Sequence[str]) -> str:
    parts = []
    for name, p in zip(label_names, view["probs"]):
        strong = " mc-top" if name == label_names[view["prediction"]] else ""
        parts.append(f'<div class="mc-prob{strong}"><span class="mc-pname">{_esc(name)}</span>'
                     f'<span class="mc-bar"><span style="width:{100 * p:.1f}%"></span></span>'
                     f'<span class="mc-pval">{p:.3f}</span></div>')
    return "".join(parts)


def _verdict_cell(rel, verdict: dict) -> str:
    value = verdict.get("value")
    # data-label: the line's label in the narrow (card) layout
    attrs = f'data-relation="{rel.key}" data-label="{_esc(rel.abbreviation)}"'
    detail = f'<span class="mc-val">{_esc(rel.measure_label)} {value:.3f}</span>' if value is not None else ""
    if verdict["violated"] is None:
        return (f'<td class="mc-na" {attrs} data-verdict="n/a" title="{_esc(rel.not_applicable)}">'
                "— n/a</td>")
    if verdict["violated"]:
        return f'<td class="mc-viol" {attrs} data-verdict="violated">✗ violated{detail}</td>'
    return f'<td class="mc-ok" {attrs} data-verdict="holds">✓ holds{detail}</td>'


def render_verdicts(result: dict) -> str:
    """The verdict table: one row per input, both models' probabilities, each relation's verdict."""
    from ..relations import list_relations

    names = result["label_names"]
    # The relations the result holds verdicts for (all registered ones when it was made here).
    relations = [r for r in list_relations() if r.key in result["summary"]]
    head = "".join(f'<th title="{_esc(r.title)}">{_esc(r.abbreviation)}</th>' for r in relations)
    out = ['<div class="mc-wrap"><table class="mc-table" id="mc-verdicts">',
           f"<thead><tr><th>input</th><th>teacher</th><th>student</th>{head}"
           '<th title="KL(teacher ‖ student) in bits">KL</th>'
           '<th title="final-layer representation shift from the source, 1 − cos, first token: teacher (T) and '
           'student (S)">shift</th>'
           '<th title="whether the teacher (T) and the student (S) predict another class than on the source">'
           "flips</th></tr></thead><tbody>"]
    for entry in result["inputs"]:
        name = entry["transformation"] or "source"
        row_class = "mc-row-viol" if entry["violations"] else "mc-row-ok"
        flips = entry["flips"]
        if flips is None:
            flip_cell = '<td class="mc-na" data-label="flips">—</td>'
        else:
            # "T"/"S" (the header says which is which): the column stays narrow enough for 1400 px
            bits = [f'{m[0].upper()} {"flipped" if flips[m] else "stable"}' for m in ("teacher", "student")]
            cls = "mc-viol" if flips["student"] and not flips["teacher"] else ("mc-warn" if any(flips.values())
                                                                              else "mc-ok")
            flip_cell = f'<td class="{cls} mc-flips" data-label="flips">{"<br>".join(bits)}</td>'
        cells = "".join(_verdict_cell(r, entry["verdicts"][r.key]) for r in relations)
        kl = entry.get("kl_bits")
        kl_cell = ('<td class="mc-na" data-label="KL (bits)">—</td>' if kl is None else
                   f'<td class="mc-kl" data-label="KL (bits)" data-kl="{kl}">{kl:.3f}</td>')
        shift = (entry.get("shift") or {}).get("first")
        shift_cell = ('<td class="mc-na" data-label="shift">—</td>' if shift is None or entry["flips"] is None else
                      f'<td class="mc-shift" data-label="shift" data-teacher="{shift["teacher"]}" data-student="{shift["student"]}">'
                      f'T {shift["teacher"]:.2g}<br>S {shift["student"]:.2g}</td>')
        out.append(f'<tr class="{row_class}" data-input="{_esc(name)}"><th class="mc-input">{_esc(name)}</th>'
                   f'<td data-label="teacher">{_prob_cell(entry["teacher"], names)}</td>'
                   f'<td data-label="student">{_prob_cell(entry["student"], names)}</td>'
                   f"{cells}{kl_cell}{shift_cell}{flip_cell}</tr>")
    out.append("</tbody></table></div>")
    th = result["thresholds"]
    legend = " · ".join(f"{_esc(r.abbreviation)}: {_esc(r.describe(th))}" for r in relations)
    out.append(f'<p class="mc-legend">{legend}. KL: KL(teacher ‖ student) in bits. Shift: how far each model\'s '
               "final-layer first-token representation moved from the source's (1 − cos). Flips compare each model "
               "on the follow-up with itself on the source; red: only the student flipped.</p>")
    return "".join(out)


def render_diffs(result: dict) -> str:
    """Every follow-up as a coloured unified diff against the source, plus transformations that did not apply."""
    from ..relations import list_relations

    abbreviations = {r.key: r.abbreviation for r in list_relations()}
    out = ['<div class="mc-diffs">']
    for n, entry in enumerate(result["inputs"][1:]):
        bad = ", ".join(abbreviations.get(r, r) for r in entry["violations"]) or "none"
        flag = "mc-viol" if entry["violations"] else "mc-ok"
        # The first few diffs open, the rest one click away: a long page hides the verdicts.
        opened = " open" if n < 3 else ""
        out.append(f'<details{opened} class="mc-diff"><summary><b>{_esc(entry["transformation"])}</b> '
                   f'<span class="{flag}">violations: {_esc(bad)}</span></summary>')
        for diff in entry["diff"] or []:
            lines = []
            for line in diff.splitlines():
                cls = ("mc-add" if line.startswith("+") and not line.startswith("+++") else
                       "mc-del" if line.startswith("-") and not line.startswith("---") else
                       "mc-hunk" if line.startswith("@@") else "")
                lines.append(f'<span class="mc-line {cls}">{_esc(line) or " "}</span>')
            # Each line is a block-level span, so no newline between them (that would double the spacing).
            out.append('<pre class="mc-pre">' + "".join(lines) + "</pre>")
        out.append("</details>")
    if result["skipped"]:
        out.append('<p class="mc-skipped"><b>Not applied:</b> ' + "; ".join(
            f'{_esc(s["transformation"])} ({_esc(s["status"].replace("_", " "))}: {_esc(s["reason"])})'
            for s in result["skipped"]) + "</p>")
    if not result["inputs"][1:]:
        out.append("<p>No transformation applies to this snippet: only the source was checked.</p>")
    out.append("</div>")
    return "".join(out)


def probe_status(result: dict) -> str:
    """One-paragraph Markdown summary of a probe."""
    from ..relations import list_relations

    counts = ", ".join(f"{r.abbreviation} {result['summary'][r.key]['violations']}/"
                       f"{result['summary'][r.key]['checked']}" for r in list_relations() if r.key in result["summary"])
    n_bad = result["n_violating_inputs"]
    verdict = ("**✓ every relation holds on every input.**" if n_bad == 0 else
               f"**✗ {n_bad} of {len(result['inputs'])} inputs violate at least one relation.**")
    fid = result.get("fidelity")
    fidelity = (f" Top-1 agreement {fid['top1_agreement']}/{fid['n']}, mean KL(teacher ‖ student) "
                f"{fid['mean_kl_bits']:.3f} bits." if fid else "")
    rep = result.get("representations")
    if rep and rep["cka"].get("first") is not None:
        rho = rep["spearman"].get("first")
        fidelity += (f" Final-layer CKA across these inputs {rep['cka']['first']:.3f}"
                     + ("" if rho is None else f", rank correlation of the two models' shifts {rho:.2f}") + ".")
    return (f"{verdict} {result['n_follow_ups']} follow-up(s) from {result['n_follow_ups'] + len(result['skipped'])} "
            f"transformation(s) for {result['language']}; violations per relation: {counts}.{fidelity} "
            f"Teacher `{result['teacher']}`, student `{result['student']}`.")


def add_tab(app) -> None:
    """The tab's components and its ``probe`` API event (``app`` is the :class:`~.app.AppContext`)."""
    import gradio as gr

    from ..code.languages import SUPPORTED_LANGUAGES
    from ..tasks import task_names
    from .app import code_language, failure_status
    from .examples import EXAMPLES

    settings = app.settings
    examples = {**EXAMPLES, **settings.examples}
    first = next(iter(examples))

    @app.guard
    def do_probe(code, code2, language, task, teacher, student, seed, *threshold_values, progress=gr.Progress()):
        result = probe_snippet(app.store, code, language, task, teacher, student, code2=code2,
                               seed=int(seed or 0), thresholds=app.thresholds(threshold_values),
                               progress=app.progress(progress))
        return probe_status(result), render_verdicts(result), render_diffs(result), result

    def pick_example(name):
        if name not in examples:
            return gr.update(), gr.update(), gr.update()
        language, task, code = examples[name]
        return gr.update(value=code, language=code_language(language)), language, task

    with gr.Tab("Probe a snippet", id="probe"):
        with gr.Row():
            example_box = gr.Dropdown(list(examples), value=first, label="Example")
            language_box = gr.Dropdown(list(SUPPORTED_LANGUAGES), value=examples[first][0], label="Language")
            task_box = gr.Radio(task_names(), value=examples[first][1], label="Task")
            seed_box = gr.Number(value=settings.seed, precision=0, label="Seed", minimum=0)
        code_box = gr.Code(value=examples[first][2], language=code_language(examples[first][0]),
                           label=f"Code (up to {settings.max_snippet_chars:,} characters)", lines=14,
                           elem_id="mc-code")
        code2_box = gr.Code(value="", label="Second function (clone task)", lines=8, visible=False,
                            elem_id="mc-code2")
        probe_btn = gr.Button("Probe", variant="primary", elem_id="mc-probe")
        status_box = gr.Markdown(elem_id="mc-probe-status")
        verdicts_box = gr.HTML(elem_id="mc-verdicts-html")
        with gr.Accordion("Follow-ups as diffs against the source", open=True):
            diffs_box = gr.HTML(elem_id="mc-diffs-html")
        with gr.Accordion("Raw result (JSON)", open=False):
            raw_box = gr.JSON()

    outputs = [status_box, verdicts_box, diffs_box, raw_box]
    # The button first clears the previous results, so that an error message is never shown next to
    # stale verdicts that look like the answer to the new input.
    probe_btn.click(lambda: ("*Probing…*", "", "", None), None, outputs, queue=False, api_name=False).then(
        do_probe, [code_box, code2_box, language_box, task_box, *app.model_inputs, seed_box, *app.threshold_inputs],
        outputs, api_name="probe", concurrency_id="models").failure(
        lambda: failure_status("Probe"), None, status_box, api_name=False, queue=False)
    example_box.change(pick_example, example_box, [code_box, language_box, task_box], api_name=False)
    language_box.change(lambda language: gr.update(language=code_language(language)), language_box, code_box,
                        api_name=False)
    task_box.change(lambda task: gr.update(visible=task == "clone"), task_box, code2_box, api_name=False)
