"""Every reader of a report tells how its adversarial examples were pooled, by one rule (report.read.pools_attacks).

A report written before attack follow-ups were pooled apart has ``attack:<method>`` rows in
``counts.by_transformation`` and no ``counts.attacks``; its ``overall``/``follow_ups`` figures include
the attack rows. Such reports are made here as the old code made them: the same outputs analysed with
the attack rows under a name the pooling rule does not recognise, renamed back afterwards. For generated
outputs of several shapes, the terminal summary, report.md, the model card and the Space's Compare tab
say of such a report that its pooled figures include the attack follow-ups (with their number) and never
that they are pooled apart; of a current report, the reverse; a run without attacks reads as before.
"""

import json

import pytest

from metacompress_eval.hub.cards import attack_results, badges, render_section
from metacompress_eval.relations import EvaluationOutputs, Thresholds, analyze
from metacompress_eval.report.markdown import render_markdown
from metacompress_eval.report.read import attack_count, pools_attacks, representation_follow_ups
from metacompress_eval.report.summary import summary_lines
from metacompress_eval.space.compare import LoadedReport, not_comparable_reason, status_text

from .conftest import random_outputs
from .test_attack_scopes import _teacher_on_sources, _with_attacks

TH = Thresholds(bootstrap_resamples=100)
DISGUISE = "zz-old-attack-"  # a name the pooling rule does not take for an attack


def _renamed(value, old: str, new: str):
    """``value`` (JSON-like) with every string and key ``old...`` spelled ``new...``."""
    if isinstance(value, dict):
        return {(k.replace(old, new, 1) if isinstance(k, str) and k.startswith(old) else k): _renamed(v, old, new)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, old, new) for v in value]
    if isinstance(value, str) and value.startswith(old):
        return value.replace(old, new, 1)
    return value


def _disguised(outputs: EvaluationOutputs) -> EvaluationOutputs:
    trs = [t.replace("attack:", DISGUISE, 1) if t and t.startswith("attack:") else t for t in outputs.transformations]
    return EvaluationOutputs(list(outputs.source_ids), trs, outputs.labels, outputs.teacher_probs,
                             outputs.student_probs, list(outputs.label_names),
                             teacher_available=outputs.teacher_available, student_available=outputs.student_available)


def _report(analysis: dict, methods=(), not_attacked=()) -> dict:
    by_attack = {m: {"teacher": None if "teacher" in not_attacked else {"success_rate": 0.2},
                     "student": {"success_rate": 0.5 + 0.1 * i},
                     "gap": None if not_attacked else 0.3 + 0.1 * i} for i, m in enumerate(methods)}
    report = {"schema_version": "2.3", "analysis": analysis, "task": {"name": "defect", "language": "c"},
              "models": {"teacher": {"name": "teacher-model"}, "student": {"name": "student-model"}},
              "data": {"path": "data.jsonl", "format": "jsonl", "n_sources": analysis["counts"]["sources"]},
              "settings": {"transforms": ["rename", "dead_code"], "seed": 0}}
    if methods:
        report["attacks"] = {"by_attack": by_attack, **({"not_attacked": {r: "stored outputs" for r in not_attacked}}
                                                       if not_attacked else {})}
    return report


SHAPES = {  # clean outputs, attack methods, models attacked
    "both_models": (lambda s: random_outputs(30, seed=s), ("mhm", "random"), ("teacher", "student")),
    "student_only": (lambda s: random_outputs(30, seed=s, n_classes=2), ("alert",), ("student",)),
    "unlabelled": (lambda s: random_outputs(30, seed=s, labelled=False), ("mhm",), ("teacher", "student")),
    "partial_teacher": (lambda s: _teacher_on_sources(random_outputs(30, seed=s)), ("mhm",), ("student",)),
}


def _both_reports(shape: str, seed: int) -> tuple[dict, dict, int]:
    make, methods, attacked = SHAPES[shape]
    mixed = _with_attacks(make(seed), methods, seed, attacked)
    new = analyze(mixed, TH, seed=seed)
    old = _renamed(analyze(_disguised(mixed), TH, seed=seed), DISGUISE, "attack:")
    not_attacked = () if "teacher" in attacked else ("teacher",)
    return _report(old, methods, not_attacked), _report(new, methods, not_attacked), new["counts"]["attacks"]


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("seed", [0, 1])
def test_readers_say_truthfully_how_the_attack_follow_ups_are_pooled(shape, seed):
    old, new, n_attacks = _both_reports(shape, seed)
    a_old, a_new = old["analysis"], new["analysis"]
    # The made-up old report is what the old code wrote: attack rows counted among the follow-ups.
    assert "attacks" not in a_old["counts"] and "attacks" not in a_old["relations"]
    assert a_old["counts"]["follow_ups"] == a_new["counts"]["follow_ups"] + n_attacks
    assert pools_attacks(a_old) and not pools_attacks(a_new)
    assert attack_count(a_old) == attack_count(a_new) == n_attacks

    summary = "\n".join(summary_lines(old))
    assert f"and {n_attacks} attack follow-ups" in summary and "pooled together" in summary
    assert f"its {n_attacks} attack follow-ups (adversarial examples) included" in summary
    assert "in their own row" not in summary and "after them" not in summary
    md = render_markdown(old, {})
    assert f"include its {n_attacks} attack follow-ups" in md and "under transformations and attacks" in md
    assert "are pooled apart:" not in md and "Attack follow-ups |" not in md
    card = render_section(old, report_link="report.md")
    transformation_follow_ups = a_old["counts"]["follow_ups"] - n_attacks
    assert f"\n{transformation_follow_ups} follow-up inputs made by semantics-preserving transformations" in card
    assert f"and {n_attacks} attack follow-ups (adversarial examples: " in card
    assert "not\npooled into the figures above" not in card and "include them" in card

    summary = "\n".join(summary_lines(new))
    assert "pooled together" not in summary and "included" not in summary
    assert f", and {n_attacks} attack follow-ups (" in summary
    md = render_markdown(new, {})
    assert "written before" not in md and "pooled apart" in md
    card = render_section(new, report_link="report.md")
    assert "written before" not in card and "not\npooled into the figures above" in card

    # The Space: an old report beside current ones is marked, as schema 1.x reports are; alone it is not.
    loaded = [LoadedReport(f"r{i}.json", f"r{i}.json", r) for i, r in enumerate((old, new))]
    marked = status_text(loaded, "overall").split("Not directly comparable: ")[1]
    assert "pool their adversarial examples" in marked and "r0.json" in marked and "r1.json" not in marked
    assert "Not directly comparable" not in status_text(loaded[:1], "overall")
    assert not_comparable_reason(new) is None and not_comparable_reason(old)


def test_the_summary_prints_the_attack_scope_it_announces():
    _, new, n_attacks = _both_reports("both_models", 0)
    lines = summary_lines(new)
    assert "attack follow-ups after them" in lines[1]
    at = lines.index(f"  on the {n_attacks} attack follow-ups (adversarial examples):")
    rel = new["analysis"]["relations"]["attacks"]["prediction_agreement"]
    assert lines[at + 1].startswith("    PA") and f"({rel['violations']}/{rel['n']})" in lines[at + 1]
    # Without outputs of both models on them (a teacher given as stored outputs), it says so.
    _, partial, n_attacks = _both_reports("partial_teacher", 0)
    assert f"  on the {n_attacks} attack follow-ups: none has outputs from both models" in summary_lines(partial)


def test_reports_without_attacks_and_malformed_counts_are_not_taken_for_old_pooling():
    a = analyze(random_outputs(20, seed=0), TH)
    assert not pools_attacks(a) and attack_count(a) == 0
    assert "attack" not in "\n".join(summary_lines({"analysis": a}))
    for counts in (None, [], {"by_transformation": []}, {"by_transformation": {"attack:mhm": "6"}},
                   {"by_transformation": {"attack:mhm": 0, "rename": 3}}, {"attacks": 6, "by_transformation": {"attack:mhm": 6}}):
        assert not pools_attacks({"counts": counts})
    assert not pools_attacks(None) and not pools_attacks("x")


def test_the_card_shows_the_attacks_of_a_model_not_attacked_and_names_the_largest_gap():
    _, partial, _ = _both_reports("partial_teacher", 1)
    card = render_section(partial, report_link="report.md")
    assert "| mhm | not attacked | 50.0% | n/a |" in card
    assert "attack-gap.svg" not in badges(partial)  # no gap without the teacher's rate
    alone = json.loads(json.dumps(partial))
    alone["models"]["teacher"] = {"adapter": "none"}
    opening = next(line for line in render_section(alone, report_link="r.md").splitlines() if "without a teacher" in line)
    assert "(flip rates, attack success rates)" in opening and "accuracy" not in opening
    del alone["attacks"]
    opening = next(line for line in render_section(alone, report_link="r.md").splitlines() if "without a teacher" in line)
    assert "(flip rates)" in opening and "attack" not in opening

    _, both, _ = _both_reports("both_models", 1)
    gaps = {r["attack"]: r["gap"] for r in attack_results(both)}
    worst = max(gaps, key=lambda k: abs(gaps[k]))
    label, value, _ = badges(both)["attack-gap.svg"]
    assert label == f"{worst} attack gap" and value == f"{100 * gaps[worst]:+.1f} pt"


@pytest.mark.parametrize("section,expected", [
    ({"n_follow_ups": 20, "n_attacks": 6}, (20, 6)),
    ({"n_follow_ups": 20}, (20, 0)),
    # written before n_attacks: n_follow_ups counted the attack follow-ups, the shift block's attack scope says how many
    ({"n_follow_ups": 26, "shift": {"first": {"attacks": {"n": 6}}, "mean": {"attacks": {"n": 6}}}}, (20, 6)),
    (None, (0, 0)),
])
def test_representation_follow_ups_are_counted_as_the_scopes_count_them(section, expected):
    assert representation_follow_ups(section) == expected

