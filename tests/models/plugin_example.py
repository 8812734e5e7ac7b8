"""A plugin adapter for the tests: a model that answers every input with fixed logits."""

from __future__ import annotations

import numpy as np

from metacompress_eval.models import LoadedModel, Option


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


make.OPTIONS = (Option("logits", "the logits every input gets, comma separated", default="0,1"),)


def not_a_model(source, **kwargs):
    return "nope"


class FaultyModel(ConstantModel):
    """Misbehaves as ``fault`` says: rows off by ``rows``, a ``values`` row of the wrong width or NaN, or
    raising in ``raise_in``."""

    exit_in = None

    def _maybe_raise(self, method):
        if self.raise_in == method:
            raise KeyError(f"plugin bug in {method}")
        if self.exit_in == method:
            raise SystemExit(0)  # what sys.exit(0) raises

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
    model.extra_rows = options["extra_rows"]
    model.raise_in = options.get("raise_in")
    model.exit_in = options.get("exit_in")
    if model.exit_in == "load":
        raise SystemExit(0)
    return model


make_faulty.OPTIONS = (*make.OPTIONS, Option("extra_rows", "rows forward returns beyond the batch's", default="0",
                                             kind=int, positive=False),
                       Option("raise_in", "the method that raises"),
                       Option("exit_in", "the method that calls sys.exit(0), or load"))


class SilentModel(ConstantModel):
    """Marks every input unavailable (encode gives None), as a stored-outputs adapter does for inputs it lacks."""

    def encode(self, inputs, ids=None):
        return [None] * len(inputs)


def make_silent(source, *, role, tokenizer, device, max_length, options):
    model = SilentModel(name=source, label_names=["a", "b"], fingerprint="silent-" + source, max_length=10)
    model.values = [0.0, 1.0]
    return model


def make_named(source, *, role, tokenizer, device, max_length, options):
    """A constant model whose class names are ``options["names"]``."""
    model = ConstantModel(name=source, label_names=options["names"].split(","), fingerprint="named-" + source,
                          max_length=10)
    model.values = [0.0] * len(model.label_names)
    return model


make_named.ACCEPTS_ANY_OPTIONS = True  # checks its options itself


def make_undeclared(source, *, role, tokenizer, device, max_length, options):
    """A factory that declares no options (so it may be given none)."""
    return make(source, role=role, tokenizer=tokenizer, device=device, max_length=max_length, options={})


def make_misdeclared(source, **kwargs):
    return make(source, **kwargs)


make_misdeclared.OPTIONS = ("logits",)  # names, not Option objects


class LengthModel(ConstantModel):
    """Logits that differ by input (from its length), each forward pass taking ``delay`` seconds: a model
    for runs that are interrupted or killed part-way, without torch."""

    delay = 0.0

    def forward(self, batch):
        import time

        time.sleep(self.delay)
        return np.array([[n / 7.0, -n / 3.0] for n in batch], dtype=np.float32)


def make_length(source, *, role, tokenizer, device, max_length, options):
    model = LengthModel(name=source, label_names=["a", "b"], fingerprint="length-" + source, max_length=10_000)
    model.delay = float(options["delay"])
    return model


make_length.OPTIONS = (Option("delay", "seconds each forward pass sleeps", default="0"),)


class PartlyWrongModel(ConstantModel):
    """Answers ``values``, except ``bad`` for inputs that contain ``bad_when``: a model wrong on some inputs."""

    def encode(self, inputs, ids=None):
        return [i[0] for i in inputs]

    def length(self, encoded):
        return min(len(encoded), self.max_length)

    def forward(self, batch):
        return np.asarray([self.bad if self.bad_when and self.bad_when in text else self.values for text in batch],
                          dtype=np.float32)


def make_partly_wrong(source, *, role, tokenizer, device, max_length, options):
    """The same fingerprint whatever the options: a fixed model and a broken one share cached outputs."""
    model = PartlyWrongModel(name=source, label_names=["a", "b"], fingerprint="partly-" + source, max_length=10)
    model.values = [float(v) for v in options.get("logits", "0,1").split(",")]
    model.bad = [float(v) for v in options.get("bad", "inf,inf").split(",")]
    model.bad_when = options.get("bad_when")
    return model


make_partly_wrong.OPTIONS = (*make.OPTIONS, Option("bad", "the logits of the inputs bad_when picks", default="inf,inf"),
                             Option("bad_when", "a text that picks the inputs answered with bad"))
