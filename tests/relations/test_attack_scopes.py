"""Adversarial examples (follow-ups named ``attack:<method>``) are pooled apart from the headline scopes.

For runs with attacks, ``overall`` and ``follow_ups`` (and every pooled figure computed on them, in every
section) are exactly those of the same run without the attack rows; the attack rows get the pooled scope
``attacks`` and keep their per-``attack:<method>`` rows. Checked on generated outputs of several shapes:
attacks found against the teacher only, the student only, both; partial outputs (a teacher given as
stored outputs of the sources, never attacked); no transformations at all; no attacks; unlabelled data.
"""

import numpy as np
import pytest

from metacompress_eval.relations import EvaluationOutputs, Thresholds, analyze, per_input_checks
from metacompress_eval.relations.scopes import attack_mask, is_attack, scopes

from .conftest import random_outputs, without_attack_keys

POOLED_SECTIONS = ("relations", "fidelity", "performance", "mcnemar", "calibration")
TH = Thresholds(bootstrap_resamples=200)


def _with_attacks(clean: EvaluationOutputs, methods, seed: int, attacked=("teacher", "student")) -> EvaluationOutputs:
    """``clean`` with adversarial rows inserted at random places (the clean rows keep their order).

    Each attacked model gets, per method, an adversarial example for a random subset of the sources;
    with both models attacked a source may have two rows of one ``attack:<method>``. Where ``clean``
    lacks a model's outputs on follow-ups, that model has none on the adversarial rows either.
    """
    rng = np.random.default_rng(seed)
    n_classes = clean.teacher_probs.shape[1]
    labels = clean.labels
    source_rows = [i for i, t in enumerate(clean.transformations) if t is None]
    extra = []  # (source row, method)
    for _model in attacked:
        for method in methods:
            extra += [(i, method) for i in source_rows if rng.random() < 0.5]
    rows = [("clean", i) for i in range(len(clean.source_ids))] + [("attack", e) for e in extra]
    order = rng.permutation(len(rows))
    # Keep the clean rows in their original order: only where the adversarial rows fall is random.
    clean_slots = sorted(j for j, k in enumerate(order) if rows[k][0] == "clean")
    placed: list = [None] * len(rows)
    for slot, i in zip(clean_slots, range(len(clean.source_ids))):
        placed[slot] = ("clean", i)
    attack_items = iter(extra)
    for j in range(len(rows)):
        if placed[j] is None:
            placed[j] = ("attack", next(attack_items))
    adv_t = rng.dirichlet(np.full(n_classes, 0.5), len(extra))
    adv_s = rng.dirichlet(np.full(n_classes, 0.5), len(extra))
    follow_up_t = clean.available("teacher")[[i for i, t in enumerate(clean.transformations) if t is not None]]
    follow_up_s = clean.available("student")[[i for i, t in enumerate(clean.transformations) if t is not None]]
    has_t = bool(follow_up_t.all()) if follow_up_t.size else clean.teacher_available is None
    has_s = bool(follow_up_s.all()) if follow_up_s.size else clean.student_available is None
    sids, trs, lab, pt, ps, av_t, av_s = [], [], [], [], [], [], []
    k = 0
    for kind, item in placed:
        if kind == "clean":
            i = item
            sids.append(clean.source_ids[i]); trs.append(clean.transformations[i])
            pt.append(clean.teacher_probs[i]); ps.append(clean.student_probs[i])
            av_t.append(clean.available("teacher")[i]); av_s.append(clean.available("student")[i])
            if labels is not None:
                lab.append(labels[i])
        else:
            i, method = item
            sids.append(clean.source_ids[i]); trs.append(f"attack:{method}")
            pt.append(adv_t[k] if has_t else np.full(n_classes, np.nan)); ps.append(adv_s[k])
            av_t.append(has_t); av_s.append(has_s)
            if labels is not None:
                lab.append(labels[i])
            k += 1
    partial = clean.teacher_available is not None or clean.student_available is not None
    return EvaluationOutputs(sids, trs, None if labels is None else np.array(lab), np.array(pt), np.array(ps),
                             list(clean.label_names),
                             teacher_available=np.array(av_t) if partial else None,
                             student_available=np.array(av_s) if partial else None)


def _teacher_on_sources(outputs: EvaluationOutputs) -> EvaluationOutputs:
    outputs.teacher_available = np.array([t is None for t in outputs.transformations])
    outputs.teacher_probs = outputs.teacher_probs.copy()
    outputs.teacher_probs[~outputs.teacher_available] = np.nan
    return outputs


SHAPES = {
    # name: (clean outputs, methods, attacked models)
    "both_models": (lambda s: random_outputs(40, seed=s), ("mhm", "random"), ("teacher", "student")),
    "teacher_only": (lambda s: random_outputs(40, seed=s), ("mhm",), ("teacher",)),
    "student_only": (lambda s: random_outputs(40, seed=s, n_classes=2), ("alert",), ("student",)),
    "unlabelled": (lambda s: random_outputs(40, seed=s, labelled=False), ("mhm",), ("teacher", "student")),
    "no_transformations": (lambda s: random_outputs(30, transformations=(), seed=s), ("mhm",), ("teacher", "student")),
    # A teacher given as stored outputs of the sources: it is not attacked, and has no output on any follow-up.
    "partial_teacher": (lambda s: _teacher_on_sources(random_outputs(40, seed=s)), ("mhm",), ("student",)),
    "partial_no_transformations": (lambda s: _teacher_on_sources(random_outputs(30, transformations=(), seed=s)),
                                   ("mhm",), ("student",)),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("seed", [0, 1])
def test_pooled_figures_are_those_of_the_run_without_attacks(shape, seed):
    make, methods, attacked = SHAPES[shape]
    clean = make(seed)
    mixed = _with_attacks(make(seed), methods, seed, attacked)
    n_attack = int(attack_mask(mixed.transformations).sum())
    assert n_attack > 0
    a_clean = analyze(clean, TH, seed=seed)
    a_mixed = analyze(mixed, TH, seed=seed)

    for section in POOLED_SECTIONS + ("flips",):
        assert without_attack_keys(a_mixed.get(section)) == a_clean.get(section), section
    if "coverage" in a_clean:
        assert without_attack_keys(a_mixed["coverage"]) == a_clean["coverage"]
    elif "coverage" in a_mixed:  # only the adversarial rows lack a model's output (an unattacked teacher)
        cov = without_attack_keys(a_mixed["coverage"])
        assert cov["teacher"] == cov["student"] == cov["both"] == cov["of"]
        assert a_mixed["coverage"]["teacher"]["attacks"] == 0
    assert a_mixed["counts"]["follow_ups"] == a_clean["counts"]["follow_ups"]
    assert a_mixed["counts"]["attacks"] == n_attack and "attacks" not in a_clean["counts"]
    assert a_mixed["counts"]["inputs"] == a_clean["counts"]["inputs"] == len(clean.source_ids)

    # The adversarial rows have their own pooled scope in every section, and their per-method rows.
    for section in POOLED_SECTIONS:
        if a_mixed[section] is None:
            continue
        assert "attacks" in a_mixed[section] and "attacks" not in a_clean[section]
        assert {f"attack:{m}" for m in methods} <= set(a_mixed[section]["by_transformation"])
    for model in ("teacher", "student", "difference"):
        assert "attacks" in a_mixed["flips"][model]
    assert a_mixed["relations"]["attacks"]["prediction_agreement"]["n"] == (
        n_attack if mixed.teacher_available is None else 0)
    student_flips = a_mixed["flips"]["student"]["attacks"]
    assert student_flips["n"] == n_attack
    if "coverage" in a_mixed:
        assert a_mixed["coverage"]["of"]["attacks"] == n_attack


def test_attacks_scope_counts_the_adversarial_rows_by_hand():
    """The ``attacks`` scope's flips are the adversarial rows whose prediction differs from their source's."""
    clean = random_outputs(30, seed=3)
    mixed = _with_attacks(clean, ("mhm", "random"), 3)
    pi = per_input_checks(mixed, TH)
    pooled, per_t = scopes(pi)
    attack = attack_mask(mixed.transformations)
    assert not attack[pooled["overall"].rows].any() and not attack[pooled["follow_ups"].rows].any()
    assert np.array_equal(pooled["attacks"].rows, np.flatnonzero(attack))
    assert set(per_t) == set(t for t in mixed.transformations if t is not None)
    a = analyze(mixed, TH)
    expected = int((pi.y_s[attack] != pi.y_s[pi.source_index[attack]]).sum())
    assert a["flips"]["student"]["attacks"]["flips"] == expected
    by_method = a["flips"]["student"]["by_transformation"]
    assert by_method["attack:mhm"]["flips"] + by_method["attack:random"]["flips"] == expected
    # Both models' examples of one method on one source share a cluster: the scope is clustered.
    assert a["relations"]["attacks"]["prediction_agreement"]["ci_method"] in ("cluster_bootstrap", "wilson_clusters")


def test_a_run_without_attacks_has_no_attacks_scope():
    a = analyze(random_outputs(20, seed=0), TH)
    assert "attacks" not in a["counts"]
    for section in POOLED_SECTIONS:
        assert "attacks" not in a[section]
    assert all("attacks" not in a["flips"][k] for k in ("teacher", "student", "difference"))
    assert not is_attack(None) and not is_attack("rename") and is_attack("attack:mhm")
