import numpy as np
import torch

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
