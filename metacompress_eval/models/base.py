"""The interface every model adapter implements, and what the inference engine relies on.

A :class:`LoadedModel` is one model behind an adapter. The engine
(:class:`~metacompress_eval.inference.InferenceEngine`) never looks inside it; it only

1. keys each input for the output cache (:meth:`LoadedModel.input_key`),
2. asks the adapter to prepare the inputs it must compute (:meth:`LoadedModel.encode`: tokenise,
   normalise, truncate exactly as the model was trained — the *encoded* form, one per input, unpadded),
3. sorts them by :meth:`LoadedModel.length` into batches, pads each batch (:meth:`LoadedModel.collate`)
   and runs it (:meth:`LoadedModel.forward` → one row of class logits per input).

Keeping ``encode`` apart from ``forward`` lets the engine (or a later one) key the cache by the encoded
form, plan batches by a token budget, or shard them across processes without knowing the model.
Adapters that can expose their per-layer sequence representations implement
:meth:`LoadedModel.hidden_states`.
"""

from __future__ import annotations

import hashlib
from array import array
from typing import Any, Sequence

import numpy as np

from ..errors import MetaCompressError

Inputs = tuple[str, ...]


def input_key(inputs: Inputs) -> str:
    """Stable hash of one model input (a text or a text pair)."""
    digest = hashlib.sha256(str(len(inputs)).encode())
    for text in inputs:
        data = text.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


_INT_ONLY = frozenset({int})


def encoded_bytes(encoded: Any) -> bytes:
    """A canonical byte string of an encoded input (token ids, a pair of them, a row number, ...):
    equal encoded inputs give equal bytes, different ones different bytes."""
    if isinstance(encoded, (list, tuple)):
        # ``set(map(type, …))`` runs in C; a Python-level check per token cost several per cent of a
        # small model's whole inference (benchmarks/bench_adapters.py). Same test as ``all(type(v) is int …)``.
        if set(map(type, encoded)) <= _INT_ONLY:
            return b"i" + array("q", encoded).tobytes()
        parts = [encoded_bytes(v) for v in encoded]
        return b"s" + b"".join(len(part).to_bytes(8, "little") + part for part in parts)
    if isinstance(encoded, (int, np.integer)):
        return b"n" + int(encoded).to_bytes(8, "little", signed=True)
    if isinstance(encoded, np.ndarray):
        return b"a" + str(encoded.dtype).encode() + str(encoded.shape).encode() + encoded.tobytes()
    return b"r" + repr(encoded).encode("utf-8", "surrogatepass")


def to_device(array_: np.ndarray, device: str):
    """``array_`` as a tensor on ``device``; on CUDA through pinned memory with a non-blocking copy, so
    the copy overlaps the GPU's work (the forward pass that reads the tensor is queued after it)."""
    import torch

    tensor = torch.from_numpy(array_)
    if str(device).startswith("cuda"):
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)


DTYPES = ("float32", "bfloat16", "float16")


def generic_labels(n: int) -> list[str]:
    """``LABEL_0 … LABEL_{n-1}``: names that carry no meaning, so they align with any label set of size n."""
    return [f"LABEL_{i}" for i in range(n)]


def binary_logits(z: np.ndarray) -> np.ndarray:
    """Two class logits ``[0, z]`` for a one-logit sigmoid head.

    ``softmax([0, z]) = [1 − σ(z), σ(z)]`` exactly, so the rest of the tool can treat a sigmoid
    classifier (CodeXGLUE defect detection) like any two-class model.
    """
    z = np.asarray(z, dtype=np.float32).reshape(-1, 1)
    return np.concatenate([np.zeros_like(z), z], axis=1)


def pooled_states(states: list, mask, *, first_index: int | None = 0) -> dict[str, np.ndarray]:
    """``{"first", "mean"}`` of shape ``[batch, layers, hidden]`` from per-layer ``[batch, T, hidden]`` tensors.

    ``first_index=None`` takes each row's first non-padding token (left padding).
    """
    import torch

    stacked = torch.stack([s.float() for s in states], dim=1)  # [B, layers, T, H]
    m = mask.to(stacked.dtype)[:, None, :, None]
    mean = (stacked * m).sum(2) / m.sum(2).clamp(min=1)
    if first_index is None:
        start = (mask == 0).sum(1)  # left padding: the first real token follows the pads
        first = stacked[torch.arange(stacked.shape[0]), :, start]
    else:
        first = stacked[:, :, first_index]
    return {"first": first.cpu().numpy(), "mean": mean.cpu().numpy()}


class LoadedModel:
    """A model behind an adapter: inputs in, class logits out, a fingerprint for the cache.

    Attributes:
        adapter: the adapter's registry name (``hf``, ``compact-roberta``, …).
        name: what the user passed (folder, file or Hub id).
        label_names: class names in output order.
        max_length: the longest encoded input in tokens (per member of a pair for pair encoders).
        fingerprint: identifies the weights, tokenizer and every setting that changes outputs; cached
            outputs are keyed by it.
        device: torch device string.
        label_permutation: for each teacher label index, the index of the same label in this model's
            output (identity when ``None``; set by :func:`~metacompress_eval.models.align_label_spaces`).
        model: the underlying ``torch.nn.Module`` (``None`` for stored outputs).
        tokenizer: the adapter's tokenizer object (``None`` when it has none).
        files: the files the fingerprint covers.
        uses_cache: ``False`` when outputs are read, not computed (nothing to cache).
        supports_hidden_states: whether :meth:`hidden_states` is implemented.
        key_columns: for a model that looks its outputs up by id (stored outputs), the data columns
            that identify an input; empty for a model that computes its outputs.
        members: how many code texts one input must have when the model's head fixes it (1 for a
            single-input head, 2 for a pair head); ``None`` when the model takes either.
        encodes_in_background: see the attribute's comment (``InferenceEngine`` overlaps encoding
            and inference for such models).
    """

    adapter: str = "?"
    uses_cache: bool = True
    supports_hidden_states: bool = False
    key_columns: tuple[str, ...] = ()
    members: int | None = None
    #: Whether :meth:`encode` may run in a worker thread while :meth:`forward` runs, and every encoded
    #: input is at most :attr:`max_length` long. The engine then starts the full-length batches of its
    #: plan while later inputs are still being tokenised (the plan, hence every output, is unchanged).
    encodes_in_background: bool = False
    #: The plugin spec (``python:module:factory`` or an entry-point name) for a model a plugin made, so
    #: that messages blame the plugin for its faults; ``None`` for the built-in adapters.
    plugin: str | None = None
    #: Why the model has no output for some inputs (stored outputs, no model at all), for the report.
    coverage_note: str | None = None

    @property
    def answers_any_input(self) -> bool:
        """Whether the model can score an input it has never seen (a follow-up, an attack's variant)."""
        return not self.key_columns and self.coverage_note is None

    def check_task(self, role: str, *, pair: bool, task: str) -> None:
        """Refuse, before any inference, a task whose inputs this model's head cannot take."""
        if self.members is not None and self.members != (2 if pair else 1):
            head = "a pair of functions (a pair head)" if self.members == 2 else "one function (a single-input head)"
            gives = "pairs of functions" if pair else "one function per input"
            raise MetaCompressError(f"{role} {self.name}: its head takes {head}, but --task {task} gives {gives}; "
                                    "choose the task the model was trained for")

    def __init__(self, *, name: str, label_names: Sequence[str], fingerprint: str, max_length: int,
                 device: str = "cpu", model: Any = None, tokenizer: Any = None, files: Sequence[str] = ()):
        self.name = name
        self.label_names = list(label_names)
        self.fingerprint = fingerprint
        self.max_length = int(max_length)
        self.device = device
        self.model = model
        self.tokenizer = tokenizer
        self.files = list(files)
        self.label_permutation: list[int] | None = None
        self.dtype = "float32"

    # -- what the engine calls ------------------------------------------------------------------
    def input_key(self, inputs: Inputs, source_id: Any = None) -> str:
        """The cache key of one input. ``source_id`` matters only to adapters that look inputs up by id."""
        return input_key(inputs)

    def encode(self, inputs: Sequence[Inputs], ids: Sequence[Any] | None = None) -> list[Any]:
        """Each input prepared for the model, unpadded; ``None`` for an input the model cannot answer."""
        raise NotImplementedError

    def encode_beside(self, inputs: Sequence[Inputs], ids: Sequence[Any] | None = None) -> list[Any]:
        """:meth:`encode`, called on the engine's worker thread while :meth:`forward` runs (only for
        adapters that set :attr:`encodes_in_background`): the same result, but an adapter whose
        tokenizer spreads a batch over every core keeps to one here, leaving the other to the forward
        passes. Default: :meth:`encode`."""
        return self.encode(inputs, ids)

    def encoded_key(self, encoded: Any) -> str:
        """The cache key of an encoded input: a hash of what the model reads after its own preprocessing.

        Two inputs that encode alike (a follow-up that only changed whitespace, for a tokenizer that
        drops it) share one key, so the engine runs them once and reports them as shared.
        """
        return "enc:" + hashlib.blake2b(encoded_bytes(encoded), digest_size=20).hexdigest()

    def length(self, encoded: Any) -> int:
        """Tokens the encoded input occupies in a padded batch (the sort key of the batch plan)."""
        return len(encoded)

    def truncated(self, encoded: Any) -> bool:
        """Whether encoding cut the input at :attr:`max_length`."""
        return self.length(encoded) >= self.max_length

    def collate(self, rows: list[Any]) -> Any:
        """Pad a batch of encoded inputs into whatever :meth:`forward` takes."""
        raise NotImplementedError

    def forward(self, batch: Any) -> np.ndarray:
        """Class logits, one float32 row per input of the batch, in this model's own label order."""
        raise NotImplementedError

    def hidden_states(self, batch: Any) -> dict[str, np.ndarray]:
        """Per-layer sequence representations of a batch (optional; see :attr:`supports_hidden_states`).

        Returns ``{"first": ..., "mean": ...}``, each float32 of shape ``[batch, layers + 1, width]``:
        the first token's vector and the mean over non-padding tokens, for the embedding output and
        every layer. For a pair encoded as two sequences, ``width`` is twice the hidden size: the two
        members' vectors side by side, as the pair head sees them.
        """
        raise NotImplementedError(f"the {self.adapter} adapter does not expose hidden states")

    def cast(self, dtype: str) -> None:
        """Run the model in ``dtype`` (one of :data:`DTYPES`): its weights are converted and the
        fingerprint changes with it, so outputs of different precisions never share cache entries
        (``float32``, the default, keeps the fingerprint as loaded). No-op for stored outputs."""
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
        self.dtype = dtype
        if dtype == "float32" or self.model is None:
            return
        import torch

        self.model.to(getattr(torch, dtype))
        self.fingerprint = hashlib.sha256(f"{self.fingerprint}|{dtype}".encode()).hexdigest()[:32]

    def attention(self) -> str | None:
        """The attention implementation the model runs (``sdpa``, ``eager``, ...) when it says."""
        config = getattr(self.model, "config", None)
        return getattr(config, "_attn_implementation", None)

    # -- description ----------------------------------------------------------------------------
    def num_parameters(self) -> int:
        if self.model is None:
            return 0
        return int(sum(p.numel() for p in self.model.parameters()))

    def describe(self) -> dict:
        """What the report records about the model."""
        return {"name_or_path": self.name, "adapter": self.adapter, "fingerprint": self.fingerprint,
                "num_parameters": self.num_parameters(), "labels": self.label_names,
                "max_length": self.max_length, "label_permutation": self.label_permutation, "dtype": self.dtype,
                "attention": self.attention()}


class AbsentModel(LoadedModel):
    """No model: every input is unavailable. ``evaluate`` without a teacher uses it, so that the student's
    own figures (accuracy, flips, attacks) are computed and every teacher-side figure is empty."""

    adapter = "none"
    uses_cache = False

    def __init__(self, label_names: Sequence[str], *, note: str):
        super().__init__(name="(none)", label_names=label_names, fingerprint="none", max_length=0)
        self.coverage_note = note

    def input_key(self, inputs: Inputs, source_id: Any = None) -> str:
        return input_key(inputs)

    def encode(self, inputs: Sequence[Inputs], ids: Sequence[Any] | None = None) -> list[None]:
        return [None] * len(inputs)

    def describe(self) -> dict:
        return {"name_or_path": None, "adapter": self.adapter, "labels": self.label_names, "note": self.coverage_note}
