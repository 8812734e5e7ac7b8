"""A plugin adapter for the tests: a model that answers every input with fixed logits."""

from __future__ import annotations

import numpy as np

from metacompress_eval.models import LoadedModel


class ConstantModel(LoadedModel):
    def encode(self, inputs, ids=None):
        return [len(i[0]) for i in inputs]

    def length(self, encoded):
        return encoded

    def collate(self, rows):
        return rows

    def forward(self, batch):
        return np.tile(np.asarray(self.values, dtype=np.float32), (len(batch), 1))


def make(source, *, role, tokenizer, device, max_length, options):
    model = ConstantModel(name=source, label_names=["a", "b"], fingerprint="constant-" + source, max_length=10)
    model.values = [float(v) for v in options.get("logits", "0,1").split(",")]
    return model


def not_a_model(source, **kwargs):
    return "nope"
