"""The batch planner: a partition of the length-sorted inputs within the token budget that minimises
padded tokens plus a cost per forward pass (checked against brute force), deterministic."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metacompress_eval.batch_plan import CPU_PASS_TOKENS, default_pass_tokens, plan_batches


def _cost(lengths, plan, pass_tokens):
    return sum(pass_tokens + len(b) * max(max(1, lengths[i]) for i in b) for b in plan)


def _brute_force(lengths, budget, pass_tokens):
    """The least cost over every partition of the sorted inputs into contiguous batches within the budget."""
    widths = sorted((max(1, x) for x in lengths), reverse=True)
    n, best = len(widths), None
    for cuts in itertools.product((False, True), repeat=max(0, n - 1)):
        bounds = [0] + [k + 1 for k, cut in enumerate(cuts) if cut] + [n]
        batches = [widths[a:b] for a, b in zip(bounds, bounds[1:])]
        if any(len(b) > 1 and len(b) * b[0] > budget for b in batches):
            continue
        cost = sum(pass_tokens + len(b) * b[0] for b in batches)
        best = cost if best is None else min(best, cost)
    return best


def _check_shape(lengths, plan, budget):
    assert sorted(i for b in plan for i in b) == list(range(len(lengths)))
    flat = [max(1, lengths[i]) for b in plan for i in b]
    assert flat == sorted(flat, reverse=True)  # longest first, batches contiguous in that order
    for batch in plan:
        assert len(batch) == 1 or len(batch) * max(max(1, lengths[i]) for i in batch) <= budget


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=0, max_size=10), st.integers(1, 200), st.integers(0, 300))
def test_the_plan_is_optimal_and_within_the_budget(lengths, budget, pass_tokens):
    plan = plan_batches(lengths, budget, pass_tokens)
    _check_shape(lengths, plan, budget)
    if lengths:
        assert _cost(lengths, plan, pass_tokens) == _brute_force(lengths, budget, pass_tokens)
    assert plan_batches(lengths, budget, pass_tokens) == plan  # deterministic


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 512), min_size=1, max_size=300), st.sampled_from([512, 4096, 16384]))
def test_limits_of_the_pass_cost(lengths, budget):
    # Free passes: nothing is padded. Passes dearer than any padding: as few batches as the budget allows,
    # which the greedy fill (each batch takes inputs while they fit) attains.
    free = plan_batches(lengths, budget, 0)
    _check_shape(lengths, free, budget)
    assert _cost(lengths, free, 0) == sum(lengths)
    dear = plan_batches(lengths, budget, 10 ** 9)
    _check_shape(lengths, dear, budget)
    widths, greedy, start = sorted(lengths, reverse=True), 0, 0
    while start < len(widths):
        start += max(1, budget // widths[start])
        greedy += 1
    assert len(dear) == greedy


def test_full_length_inputs_go_first_in_whole_batches():
    lengths = [7, 16, 3, 16, 16, 9, 16, 16, 16, 16, 2]  # seven at the full length 16
    plan = plan_batches(lengths, 48, 10, full_length=16, full_count=3)
    assert plan[:2] == [[1, 3, 4], [6, 7, 8]]  # in input order, whole batches of three
    # The rest (one full-length input and the shorter ones) is planned as on its own.
    rest = [9, 5, 0, 10, 2]
    assert [[rest[i] for i in b] for b in plan_batches([lengths[i] for i in rest], 48, 10)] == plan[2:]
    # An input longer than full_length (an adapter that does not truncate): no special first batches.
    assert plan_batches(lengths + [40], 48, 10, full_length=16, full_count=3) == plan_batches(lengths + [40], 48, 10)


def test_a_cpu_plan_pads_less_than_fixed_batches_of_real_methods():
    """On lengths spread like those of BigCloneBench methods, the CPU plan pads less than fixed batches of 32
    sorted inputs, and filling the budget greedily pads more than both (why the planner exists)."""
    rng = np.random.default_rng(0)
    lengths = np.minimum(512, rng.lognormal(5.3, 0.7, 512).astype(int) + 10).tolist()
    budget = 32 * 512
    padded = lambda plan: sum(len(b) * max(lengths[i] for i in b) for b in plan)  # noqa: E731
    widths = sorted(lengths, reverse=True)
    fixed = sum(max(widths[s:s + 32]) * len(widths[s:s + 32]) for s in range(0, len(widths), 32))
    cpu = plan_batches(lengths, budget, CPU_PASS_TOKENS)
    greedy = plan_batches(lengths, budget, 10 ** 9)
    assert padded(cpu) < fixed < padded(greedy)


def test_device_defaults_and_bad_arguments():
    assert default_pass_tokens("cpu", 16384) == CPU_PASS_TOKENS
    assert default_pass_tokens("cuda:1", 16384) == 4096 and default_pass_tokens("mps", 2) == 1
    with pytest.raises(ValueError):
        plan_batches([1, 2], 0, 1)
    with pytest.raises(ValueError):
        plan_batches([1, 2], 10, -1)
    assert plan_batches([], 10, 1) == []


@pytest.mark.parametrize("lengths,budget,pass_tokens", [
    (list(range(1, 30)), 60, 10 ** 18), ([1] * 8, 2, 2 ** 62), ([3, 4, 5, 5, 2, 2, 1], 10, 2 ** 63 - 1),
    ([5, 1, 7], 10 ** 30, 10 ** 30), ([2] * 5, 2 ** 70, 0), ([10 ** 15, 3], 10 ** 19, 10 ** 19 // 4),
])
def test_huge_budgets_and_pass_costs_neither_overflow_nor_lose_optimality(lengths, budget, pass_tokens):
    plan = plan_batches(lengths, budget, pass_tokens)
    _check_shape(lengths, plan, budget)
    if len(lengths) <= 12:
        assert _cost(lengths, plan, pass_tokens) == _brute_force(lengths, budget, pass_tokens)


def test_a_batch_holds_at_most_max_batch_inputs_and_planning_stays_linear():
    from metacompress_eval.batch_plan import MAX_BATCH_INPUTS

    plan = plan_batches([1] * 3000, 10 ** 9, 10 ** 9)
    assert sorted(len(b) for b in plan) == [3000 - 2 * MAX_BATCH_INPUTS, MAX_BATCH_INPUTS, MAX_BATCH_INPUTS]
    head = plan_batches([4] * 3000, 10 ** 9, 0, full_length=4, full_count=10 ** 6)
    assert max(len(b) for b in head) <= MAX_BATCH_INPUTS


@pytest.mark.parametrize("lengths", [[[1, 2], [3, 4]], [1.5, 2], ["20"], [float("nan")], [None]])
def test_lengths_must_be_whole_numbers(lengths):
    with pytest.raises(ValueError, match="lengths must be a flat sequence of whole numbers"):
        plan_batches(lengths, 10, 0)
    with pytest.raises(ValueError, match="full_count must be at least 1"):
        plan_batches([5, 5], 10, 0, full_length=5, full_count=0)
