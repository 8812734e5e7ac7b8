"""The hf adapter's optional hidden states (its outputs are covered by tests/pipeline)."""

from __future__ import annotations

import numpy as np
import torch

from metacompress_eval.models import load_model

from ..conftest import C_SNIPPETS


def test_hidden_states_first_token_and_masked_mean(tiny_models):
    model = load_model(str(tiny_models["teacher"]))
    assert model.adapter == "hf" and model.supports_hidden_states
    inputs = [(C_SNIPPETS[0],), ("int f() { return 1; }",)]  # different lengths: the second is padded
    batch = model.collate(model.encode(inputs))
    states = model.hidden_states(batch)
    layers = model.model.config.num_hidden_layers + 1
    assert states["first"].shape == states["mean"].shape == (2, layers, model.model.config.hidden_size)
    for i, inp in enumerate(inputs):  # one input at a time, no padding: the ground truth
        enc = model.tokenizer(*inp, truncation=True, max_length=model.max_length, return_tensors="pt")
        with torch.inference_mode():
            alone = torch.stack(model.model(**enc, output_hidden_states=True).hidden_states)[:, 0]  # [layers, T, H]
        np.testing.assert_allclose(states["first"][i], alone[:, 0].numpy(), atol=1e-5)
        np.testing.assert_allclose(states["mean"][i], alone.mean(1).numpy(), atol=1e-5)
