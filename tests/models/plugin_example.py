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


class FaultyModel(ConstantModel):
    """Misbehaves as ``fault`` says: rows off by ``rows``, a ``values`` row of the wrong width or NaN, or
    raising in ``raise_in``."""

    def _maybe_raise(self, method):
        if self.raise_in == method:
            raise KeyError(f"plugin bug in {method}")

    def encode(self, inputs, ids=None):
        self._maybe_raise("encode")
        return super().encode(inputs, ids)

    def length(self, encoded):
        self._maybe_raise("length")
        return encoded

    def collate(self, rows):
        self._maybe_raise("collate")
        return rows

    def forward(self, batch):
        self._maybe_raise("forward")
        rows = max(0, len(batch) + self.extra_rows)
        return np.tile(np.asarray(self.values, dtype=np.float32), (rows, 1))


def make_faulty(source, *, role, tokenizer, device, max_length, options):
    model = FaultyModel(name=source, label_names=["a", "b"], fingerprint="faulty-" + source, max_length=10)
    model.values = [float(v) for v in options.get("logits", "0,1").split(",")]
    model.extra_rows = int(options.get("extra_rows", "0"))
    model.raise_in = options.get("raise_in")
    return model


def make_named(source, *, role, tokenizer, device, max_length, options):
    """A constant model whose class names are ``options["names"]``."""
    model = ConstantModel(name=source, label_names=options["names"].split(","), fingerprint="named-" + source,
                          max_length=10)
    model.values = [0.0] * len(model.label_names)
    return model
