"""Which inputs share a forward pass: length-sorted batches within a token budget, split to save padding.

A forward pass over a batch computes every position of its padded ``count × longest`` block, so the
inputs of a batch should have similar lengths; fewer, larger batches save the fixed cost of a pass
(Python dispatch, kernel launches, thread synchronisation). :func:`plan_batches` balances the two
exactly: over inputs sorted longest first it picks the contiguous batches that minimise

    padded tokens + pass_tokens × number of batches

subject to each batch's padded size staying within ``budget`` tokens (one input always fits).
``pass_tokens`` is what one pass costs beyond its tokens, in tokens. On a CPU it is small — a pass
of the benchmarks' 6-layer model costs ~15–50 tokens' worth of work beyond its tokens on one thread
(``benchmarks/bench_inference.py``) — so batches end where lengths drop and a plan pads less than
fixed-size batches; on an accelerator a pass's launch overhead is worth thousands of tokens, so
batches fill the budget (:func:`default_pass_tokens`).

Written by hand because no library we use plans batches with a cost: ``datasets``/``transformers``
samplers group by length with fixed counts or a greedy budget, which pads more (up to ~5 % of all
tokens on BigCloneBench methods with the default budget). The dynamic programme is the classic
optimal partition of a sorted sequence into segments; each input relaxes the batches it can start,
as one numpy operation.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["CPU_PASS_TOKENS", "MAX_BATCH_INPUTS", "default_pass_tokens", "plan_batches"]

# A CPU forward pass's own cost, in tokens (see the module docstring): set above the ~15–50 measured
# on one thread, because with several intra-op threads each pass also synchronises them.
CPU_PASS_TOKENS = 128

# Inputs a batch holds at most, whatever the budget: each input relaxes at most this many batch ends,
# so planning stays linear in the number of inputs (a budget of 10**9 tokens over a million one-token
# inputs would otherwise take minutes to plan), and a thousand inputs a pass is beyond what any device
# needs to be busy.
MAX_BATCH_INPUTS = 1024


def default_pass_tokens(device: str, budget: int) -> int:
    """What one forward pass costs beyond its tokens on ``device``, in tokens: :data:`CPU_PASS_TOKENS`
    on a CPU; a quarter of the ``budget`` on an accelerator (CUDA, MPS, ...), where a pass of a
    CodeBERT-size model takes milliseconds of launches and a batch should fill the budget."""
    return CPU_PASS_TOKENS if str(device).split(":")[0] == "cpu" else max(1, budget // 4)


def plan_batches(lengths: Sequence[int], budget: int, pass_tokens: int, *, full_length: int | None = None,
                 full_count: int | None = None) -> list[list[int]]:
    """Indices into ``lengths`` grouped into batches, longest inputs first.

    Args:
        lengths: each input's length in tokens (values below 1 count as 1).
        budget: padded tokens a batch may hold (``count × its longest``), and at most
            :data:`MAX_BATCH_INPUTS` inputs; a single longer input is a batch of its own.
        pass_tokens: the fixed cost of one forward pass, in tokens (0: pad as little as possible).
        full_length, full_count: when every length is at most ``full_length``, the inputs of exactly
            that length go first, ``full_count`` to a batch, as many whole batches as they fill; the
            rest is planned after them. A caller that runs full-length inputs while later inputs are
            still being encoded (the engine's ``encodes_in_background``) can so fix those batches
            early and still run exactly this plan.

    Ties go to the plan found first, so the plan depends only on ``lengths`` and the arguments.
    """
    if budget < 1:
        raise ValueError("budget must be at least 1")
    if pass_tokens < 0:
        raise ValueError("pass_tokens must be at least 0")
    if full_count is not None and full_count < 1:
        raise ValueError("full_count must be at least 1")
    raw = np.asarray(lengths)
    if raw.ndim != 1 or not (raw.size == 0 or np.issubdtype(raw.dtype, np.integer)):
        raise ValueError("lengths must be a flat sequence of whole numbers")
    sizes = np.maximum(raw.astype(np.int64), 1)
    if sizes.size:
        # Beyond these every value acts alike (a budget holding all inputs; a pass dearer than any padding),
        # and the costs stay exact integers in float64.
        top = int(sizes.max())
        budget = min(int(budget), top * int(sizes.size))
        pass_tokens = min(int(pass_tokens), top * int(sizes.size) + 1)
    # Stable, longest first: equal lengths keep their input order.
    order = np.argsort(-sizes, kind="stable")
    plan: list[list[int]] = []
    head = 0
    if full_length is not None and full_count is not None and sizes.size and int(sizes.max()) <= full_length:
        full_count = min(full_count, MAX_BATCH_INPUTS)
        full = int(np.count_nonzero(sizes == full_length))
        head = full - full % full_count
        plan = [order[s:s + full_count].tolist() for s in range(0, head, full_count)]
    rest = sizes[order[head:]]
    plan.extend(order[head + a:head + b].tolist() for a, b in _segments(rest, budget, pass_tokens))
    return plan


def _segments(sorted_lengths: np.ndarray, budget: int, pass_tokens: int) -> list[tuple[int, int]]:
    """The optimal ``[start, end)`` batches of ``sorted_lengths`` (longest first): a batch starting at
    ``i`` pads to ``sorted_lengths[i]`` and holds at most ``budget // sorted_lengths[i]`` inputs."""
    n = int(sorted_lengths.size)
    # best[j]: the least cost of batching the first j inputs; start[j]: where that plan's last batch starts.
    # float64 holds every cost exactly (plan_batches bounds them far below 2**53) and cannot overflow.
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    start = np.zeros(n + 1, dtype=np.int64)
    steps = np.arange(1, min(n, MAX_BATCH_INPUTS) + 1, dtype=np.float64)
    for i in range(n):
        width = int(sorted_lengths[i])
        count = min(max(1, budget // width), n - i, MAX_BATCH_INPUTS)
        cost = best[i] + pass_tokens + width * steps[:count]
        reach = best[i + 1:i + 1 + count]
        better = cost < reach
        reach[better] = cost[better]
        start[i + 1:i + 1 + count][better] = i
    segments = []
    end = n
    while end > 0:
        segments.append((int(start[end]), end))
        end = int(start[end])
    return segments[::-1]
