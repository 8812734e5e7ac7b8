"""Shared hand-built evaluation outputs for the relation tests."""

import numpy as np
import pytest

from metacompress_eval.relations import EvaluationOutputs

# Binary hand case (label 1 = "pos"). Worked out by hand (see test_relations_analyze.py):
#   row  source  transformation  label  teacher      student      JSD
#   r0   s1      -               1      [.05,.95]    [.08,.92]    0.0027
#   r1   s1      rename          1      [.05,.95]    [.60,.40]    0.2811
#   r2   s2      -               0      [.70,.30]    [.75,.25]    0.0023
#   r3   s2      rename          0      [.70,.30]    [.25,.75]    0.1519
#   r4   s2      deadcode        0      [.95,.05]    [.88,.12]    0.0117
#   r5   s3      -               1      [.40,.60]    [.55,.45]    0.0163
#   r6   s3      deadcode        1      [.30,.70]    [.30,.70]    0
HAND_ROWS = [
    ("s1", None, 1, [0.05, 0.95], [0.08, 0.92]),
    ("s1", "rename", 1, [0.05, 0.95], [0.60, 0.40]),
    ("s2", None, 0, [0.70, 0.30], [0.75, 0.25]),
    ("s2", "rename", 0, [0.70, 0.30], [0.25, 0.75]),
    ("s2", "deadcode", 0, [0.95, 0.05], [0.88, 0.12]),
    ("s3", None, 1, [0.40, 0.60], [0.55, 0.45]),
    ("s3", "deadcode", 1, [0.30, 0.70], [0.30, 0.70]),
]
# Rows are handed over shuffled (follow-ups before their sources) to check that nothing relies
# on order; PERM[j] is the hand-table row stored at position j.
PERM = [3, 0, 6, 1, 4, 2, 5]


def build(rows, perm=None, labelled=True, names=("neg", "pos")):
    perm = list(range(len(rows))) if perm is None else perm
    rows = [rows[i] for i in perm]
    return EvaluationOutputs(
        source_ids=[r[0] for r in rows],
        transformations=[r[1] for r in rows],
        labels=np.array([r[2] for r in rows]) if labelled else None,
        teacher_probs=np.array([r[3] for r in rows], dtype=float),
        student_probs=np.array([r[4] for r in rows], dtype=float),
        label_names=list(names),
    )


@pytest.fixture
def hand_outputs():
    return build(HAND_ROWS, PERM)


def random_outputs(n_sources=60, transformations=("rename", "dead_code", "if_else_swap"),
                   n_classes=3, seed=0, labelled=True, skip=0.2):
    """Random but valid outputs; some transformations do not apply to some sources."""
    rng = np.random.default_rng(seed)
    sids, trs, labels = [], [], []
    for i in range(n_sources):
        y = int(rng.integers(0, n_classes))
        for t in (None, *transformations):
            if t is not None and rng.random() < skip:
                continue
            sids.append(f"s{i}")
            trs.append(t)
            labels.append(y)
    n = len(sids)
    pt = rng.dirichlet(np.full(n_classes, 0.5), n)
    ps = 0.8 * pt + 0.2 * rng.dirichlet(np.ones(n_classes), n)
    return EvaluationOutputs(sids, trs, np.array(labels) if labelled else None, pt, ps,
                             [f"class{c}" for c in range(n_classes)])


def without_attack_keys(value):
    """``value`` (part of an analysis) with every pooled ``attacks`` entry and every ``attack:<method>`` row
    removed, recursively: what the same run without attacks reports."""
    from metacompress_eval.relations import is_attack

    if isinstance(value, dict):
        return {k: without_attack_keys(v) for k, v in value.items() if k != "attacks" and not is_attack(k)}
    if isinstance(value, list):
        return [without_attack_keys(v) for v in value]
    return value
