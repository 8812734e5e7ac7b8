import numpy as np
import pytest
import torch

from metacompress_eval.batch_plan import CPU_PASS_TOKENS, plan_batches
from metacompress_eval.inference import InferenceEngine, OutputCache, input_key
from metacompress_eval.models import load_model

from ..conftest import C_SNIPPETS


def _reference_probs(loaded, inputs):
    """One input at a time, no padding: the ground truth the batched engine must reproduce."""
    probs = []
    for inp in inputs:
        enc = loaded.tokenizer(*inp, truncation=True, max_length=loaded.max_length, return_tensors="pt")
        with torch.inference_mode():
            probs.append(torch.softmax(loaded.model(**enc).logits.double(), -1)[0].numpy())
    return np.stack(probs)


def test_batched_matches_unbatched_and_cache_reuses(tiny_models, tmp_path):
    loaded = load_model(str(tiny_models["teacher"]))
    inputs = [(s,) for s in C_SNIPPETS] + [(C_SNIPPETS[0],), (C_SNIPPETS[2] * 8,)]  # a duplicate, a truncated one
    cache = OutputCache(tmp_path / "c.sqlite")
    engine = InferenceEngine(loaded, cache, batch_size=3, progress=False)
    first = engine.predict(inputs)
    np.testing.assert_allclose(first.probs, _reference_probs(loaded, inputs), atol=1e-5)
    assert first.stats.unique == 5 and first.stats.computed == 5 and first.stats.cached == 0
    assert first.stats.forward_passes == 2
    assert first.stats.truncated == 1
    assert cache.count(loaded.fingerprint) == 5

    again = InferenceEngine(loaded, OutputCache(tmp_path / "c.sqlite"), batch_size=2, progress=False).predict(inputs)
    assert again.stats.computed == 0 and again.stats.forward_passes == 0 and again.stats.cached == 5
    np.testing.assert_allclose(again.probs, first.probs)


def test_truncated_is_the_same_whatever_the_cache_holds(tiny_models, tmp_path):
    """Every requested input is counted, cached or not: a fresh run, a run resumed after any prefix was
    cached, and a fully cached one report the same figure (duplicates of a long input count each time)."""
    loaded = load_model(str(tiny_models["teacher"]))
    long = [s * 8 for s in C_SNIPPETS[:3]]
    inputs = [(s,) for s in [long[0], *C_SNIPPETS, *long, long[0], C_SNIPPETS[1]]]
    cut = [len(loaded.tokenizer(*inp, truncation=True, max_length=loaded.max_length)["input_ids"])
           >= loaded.max_length for inp in inputs]
    assert 0 < sum(cut) < len(inputs)
    for cached in range(len(inputs) + 1):  # how many inputs an earlier, interrupted run finished
        cache = OutputCache(tmp_path / f"c{cached}.sqlite")
        if cached:
            InferenceEngine(loaded, cache, batch_size=2, progress=False).predict(inputs[:cached])
        for _ in range(2):  # resumed, then fully cached
            stats = InferenceEngine(loaded, cache, batch_size=2, progress=False).predict(inputs).stats
            assert stats.truncated == sum(cut), (cached, stats)
        assert stats.computed == 0


def test_pairs_and_label_permutation(tiny_models):
    loaded = load_model(str(tiny_models["student"]))
    pairs = [(C_SNIPPETS[0], C_SNIPPETS[1]), (C_SNIPPETS[2], C_SNIPPETS[3])]
    plain = InferenceEngine(loaded, None, progress=False).predict(pairs)
    np.testing.assert_allclose(plain.probs, _reference_probs(loaded, pairs), atol=1e-5)
    loaded.label_permutation = [1, 0]
    swapped = InferenceEngine(loaded, None, progress=False).predict(pairs)
    np.testing.assert_allclose(swapped.probs, plain.probs[:, ::-1])


def test_input_key_distinguishes_pairs_from_concatenation():
    assert input_key(("ab", "c")) != input_key(("a", "bc"))
    assert input_key(("abc",)) != input_key(("ab", "c"))
    assert input_key(("x",)) == input_key(("x",))


def test_empty_input_list(tiny_models):
    loaded = load_model(str(tiny_models["student"]))
    out = InferenceEngine(loaded, None, progress=False).predict([])
    assert out.probs.shape == (0, 2)


def _relaid(code: str) -> str:
    """The same code with other whitespace: one more space of indentation, a blank line."""
    return code.replace("\n    ", "\n     ").replace("{\n", "{\n\n", 1)


def test_inputs_that_encode_alike_run_once(tmp_path, corpus_texts):
    """Keys are the model's own token ids: for a tokenizer that drops whitespace, re-laid-out code is
    the same input and runs once (counted as shared); for one that keeps it, it is not."""
    from ..conftest import make_tiny_model

    dropping = load_model(str(make_tiny_model(tmp_path / "ws", layers=1, hidden=32, vocab=300, texts=corpus_texts,
                                              drop_whitespace=True)))
    inputs = [(s,) for s in C_SNIPPETS] + [(_relaid(s),) for s in C_SNIPPETS]
    assert all(_relaid(s) != s for s in C_SNIPPETS)
    cache = OutputCache(tmp_path / "c.sqlite")
    out = InferenceEngine(dropping, cache, progress=False).predict(inputs)
    n = len(C_SNIPPETS)
    assert out.stats.unique == n and out.stats.shared == n and out.stats.computed == n
    assert cache.count(dropping.fingerprint) == n
    np.testing.assert_array_equal(out.probs[:n], out.probs[n:])
    np.testing.assert_allclose(out.probs, _reference_probs(dropping, inputs), atol=1e-5)

    keeping = load_model(str(make_tiny_model(tmp_path / "bl", layers=1, hidden=32, vocab=300, texts=corpus_texts)))
    kept = InferenceEngine(keeping, None, progress=False).predict(inputs)
    assert kept.stats.shared == 0 and kept.stats.computed == 2 * n


def test_batches_fill_a_token_budget(tiny_models):
    loaded = load_model(str(tiny_models["teacher"]))
    encoded = [[0] * n for n in (5, 40, 3, 17, 17, 60, 9, 1, 33)]
    for budget in (1, 40, 64, 100, 1000):
        # Passes dearer than any padding: the fewest batches within the budget.
        engine = InferenceEngine(loaded, None, batch_tokens=budget, pass_tokens=10 ** 6, progress=False)
        plan = engine.batches(encoded)
        assert sorted(i for b in plan for i in b) == list(range(len(encoded)))
        widths = [max(len(encoded[i]) for i in b) for b in plan]
        assert widths == sorted(widths, reverse=True)  # longest first
        for batch, width in zip(plan, widths):
            assert len(batch) == 1 or len(batch) * width <= budget
        # as few batches as filling each one while the next input fits
        widths, greedy, start = sorted((len(e) for e in encoded), reverse=True), 0, 0
        while start < len(widths):
            start += max(1, budget // widths[start])
            greedy += 1
        assert len(plan) == greedy
    assert len(InferenceEngine(loaded, None, batch_tokens=1000, pass_tokens=10 ** 6,
                               progress=False).batches(encoded)) == 1
    # On a CPU a pass is cheap: the default plan splits where padding would cost more than a pass.
    cpu = InferenceEngine(loaded, None, batch_tokens=1000, progress=False)
    assert cpu.pass_tokens == CPU_PASS_TOKENS and len(cpu.batches(encoded)) > 1
    assert cpu.batches(encoded) == plan_batches([len(e) for e in encoded], 1000, CPU_PASS_TOKENS,
                                                full_length=loaded.max_length,
                                                full_count=max(1, 1000 // loaded.max_length))
    # The default budget: batch_size inputs of the model's full length.
    assert InferenceEngine(loaded, None, batch_size=8, progress=False).batch_tokens == 8 * loaded.max_length
    with pytest.raises(ValueError):
        InferenceEngine(loaded, None, pass_tokens=-1)


def test_float32_is_the_default_and_reproduces_cached_outputs(tiny_models, tmp_path):
    loaded = load_model(str(tiny_models["teacher"]))
    assert loaded.dtype == "float32" and next(loaded.model.parameters()).dtype == torch.float32
    assert loaded.describe()["dtype"] == "float32" and loaded.describe()["attention"] == "sdpa"
    inputs = [(s,) for s in C_SNIPPETS]
    cache = OutputCache(tmp_path / "c.sqlite")
    first = InferenceEngine(loaded, cache, batch_size=2, progress=False).predict(inputs)
    # A fresh load keys the same cache rows: everything comes from the cache, and recomputing
    # (one input at a time) gives the cached outputs.
    again = InferenceEngine(load_model(str(tiny_models["teacher"])), cache, progress=False).predict(inputs)
    assert again.stats.cached == len(inputs) and again.stats.forward_passes == 0
    np.testing.assert_array_equal(again.probs, first.probs)
    np.testing.assert_allclose(first.probs, _reference_probs(loaded, inputs), atol=1e-5)

    half = load_model(str(tiny_models["teacher"]), dtype="bfloat16")
    assert half.fingerprint != loaded.fingerprint and next(half.model.parameters()).dtype == torch.bfloat16
    low = InferenceEngine(half, cache, progress=False).predict(inputs)
    assert low.stats.cached == 0 and low.stats.computed == len(inputs)  # other precision, other cache rows
    np.testing.assert_allclose(low.probs, first.probs, atol=0.05)


def test_outputs_do_not_depend_on_the_thread_count_for_any_batch_size(tiny_models):
    """torch's CPU GEMM gives other last bits on 1 and 2 threads for 5–11 rows (a classifier head over a
    batch of 5–11 inputs): the engine runs such batches on one thread (threads.one_thread_for_small_batches)."""
    from metacompress_eval.threads import SMALL_BATCH

    loaded = load_model(str(tiny_models["teacher"]))
    engine = InferenceEngine(loaded, None, progress=False)
    encoded = engine.encode([(snippet,) for snippet in C_SNIPPETS * 4])
    before = torch.get_num_threads()
    try:
        for count in range(1, SMALL_BATCH + 4):
            rows = encoded[:count]
            out = {}
            for threads in (1, 2, 3):
                torch.set_num_threads(threads)
                out[threads] = engine.logits(rows).tobytes()
                assert torch.get_num_threads() == threads  # restored after a small batch
            assert out[1] == out[2] == out[3], count
    finally:
        torch.set_num_threads(before)


def test_row_counts_from_small_batch_up_give_the_same_bits_on_any_thread_count():
    """The assumption behind SMALL_BATCH, checked on this machine's torch: a linear layer over 12 rows or
    more gives the same bits on 1–4 threads (if a torch update breaks it, SMALL_BATCH must grow)."""
    from metacompress_eval.threads import SMALL_BATCH

    gen = torch.Generator().manual_seed(0)
    weight, bias = torch.randn(64, 96, generator=gen), torch.randn(64, generator=gen)
    before = torch.get_num_threads()
    try:
        for rows in list(range(SMALL_BATCH, 70)) + [96, 128, 513, 1000]:
            x = torch.randn(rows, 96, generator=gen)
            results = []
            for threads in (1, 2, 3, 4):
                torch.set_num_threads(threads)
                results.append(torch.nn.functional.linear(x, weight, bias))
            assert all(torch.equal(results[0], r) for r in results[1:]), rows
    finally:
        torch.set_num_threads(before)
