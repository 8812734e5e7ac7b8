"""A RoBERTa encoder with a classification head, sized from a state dict's shapes.

The published students (Compressor, AVATAR, MORPH) and the CodeXGLUE fine-tuning scripts save a
``torch.save``d state dict of a small wrapper around ``transformers``' ``RobertaModel``. Current
``transformers`` releases dropped the relative position embeddings (``distance_embedding``) those
students use, and silently ignore the weights, so this module implements the encoder itself:

* embeddings: word + token type 0 (+ absolute positions, for ``position="absolute"``), then LayerNorm;
* each layer: self-attention with optional relative-position scores, residual + LayerNorm, a feed-forward
  block with the chosen activation, residual + LayerNorm;
* a head: the first token's vector (of each member of a pair, side by side) → dense → tanh → out_proj.

Relative positions (Shaw et al. 2018, as ``transformers`` implemented them up to v4): with
``E[l − r]`` a learned vector per distance, ``relative_key`` adds ``q_l · E[l − r]`` to the score of
query ``l`` and key ``r``, ``relative_key_query`` adds ``k_r · E[l − r]`` as well; scores are divided by
√head_size after the addition. The parameter names follow ``RobertaModel`` so state dicts load as saved.

Hand-written rather than taken from ``transformers`` because no current release implements it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import MetaCompressError

POSITION_TYPES = ("absolute", "relative_key", "relative_key_query")
ACTIVATIONS = {"gelu": F.gelu, "gelu_new": lambda x: F.gelu(x, approximate="tanh"), "silu": F.silu, "relu": F.relu}

# Where wrappers put the encoder and the head (the state-dict key prefixes), most specific first:
# CodeXGLUE defect (``encoder`` = RobertaForSequenceClassification), CodeXGLUE clone and the compact
# students (``encoder`` = RobertaModel, ``classifier`` beside it), a bare RobertaForSequenceClassification.
ENCODER_PREFIXES = ("encoder.roberta.", "encoder.", "roberta.")
HEAD_PREFIXES = ("encoder.classifier.", "classifier.")
# A buffer, not a parameter: older transformers saved it, newer ones recompute it.
DROPPED_SUFFIXES = ("embeddings.position_ids",)


@dataclass(frozen=True)
class Layout:
    """What a state dict holds, read from its key names and tensor shapes.

    Attributes:
        encoder_prefix / head_prefix: key prefixes of the encoder and the classification head.
        vocab_size, hidden_size, num_layers, intermediate_size: the encoder's sizes.
        positions: rows of the position table (``max_position_embeddings``).
        type_vocab_size: rows of the token-type table.
        relative_head_size: columns of ``distance_embedding`` (the attention head size) when the
            encoder has relative position embeddings, else ``None``.
        pooler: whether the state dict holds ``RobertaModel``'s pooler (saved, never used by the heads).
        members: 1 for a single-input head, 2 for a pair head (its dense layer takes two vectors).
        num_outputs: the head's output size (1: a sigmoid classifier).
    """

    encoder_prefix: str
    head_prefix: str
    vocab_size: int
    hidden_size: int
    num_layers: int
    intermediate_size: int
    positions: int
    type_vocab_size: int
    relative_head_size: int | None
    pooler: bool
    members: int
    num_outputs: int

    @property
    def relative(self) -> bool:
        return self.relative_head_size is not None

    def summary(self) -> str:
        kind = "relative" if self.relative else "absolute"
        head = "pair" if self.members == 2 else "single-input"
        return (f"vocabulary {self.vocab_size}, hidden {self.hidden_size}, {self.num_layers} layer(s), intermediate "
                f"{self.intermediate_size}, {self.positions} positions ({kind}), {head} head with "
                f"{self.num_outputs} output(s)")


def key_patterns(keys, limit: int = 14) -> str:
    """Key names with layer numbers folded (``encoder.layer.*.…``), for messages."""
    seen: list[str] = []
    for key in keys:
        pattern = re.sub(r"\.\d+\.", ".*.", key)
        if pattern not in seen:
            seen.append(pattern)
    shown = ", ".join(seen[:limit])
    return shown + (f", … ({len(seen) - limit} more)" if len(seen) > limit else "")


def read_layout(shapes: dict[str, tuple[int, ...]], *, encoder_prefixes=ENCODER_PREFIXES,
                head_prefixes=HEAD_PREFIXES) -> Layout | None:
    """The layout of a RoBERTa-encoder classifier state dict, or ``None`` when it is not one.

    Only the key names and shapes are read; whether every key is accounted for is checked when the
    weights are loaded (:meth:`EncoderClassifier.load_checked`).
    """
    enc = next((p for p in encoder_prefixes if f"{p}embeddings.word_embeddings.weight" in shapes), None)
    head = next((p for p in head_prefixes if f"{p}dense.weight" in shapes and f"{p}out_proj.weight" in shapes), None)
    if enc is None or head is None:
        return None
    vocab, hidden = (shapes[f"{enc}embeddings.word_embeddings.weight"] + (0, 0))[:2]
    layer_ids = {int(m.group(1)) for k in shapes for m in [re.match(re.escape(enc) + r"encoder\.layer\.(\d+)\.", k)] if m}
    if not layer_ids or layer_ids != set(range(len(layer_ids))):
        return None
    first = f"{enc}encoder.layer.0."
    try:
        intermediate = shapes[f"{first}intermediate.dense.weight"][0]
        positions = shapes[f"{enc}embeddings.position_embeddings.weight"][0]
        types = shapes[f"{enc}embeddings.token_type_embeddings.weight"][0]
        dense_in = shapes[f"{head}dense.weight"][1]
        outputs = shapes[f"{head}out_proj.weight"][0]
    except (KeyError, IndexError):
        return None
    distance = shapes.get(f"{first}attention.self.distance_embedding.weight")
    if dense_in % hidden or dense_in // hidden not in (1, 2):
        return None
    return Layout(encoder_prefix=enc, head_prefix=head, vocab_size=vocab, hidden_size=hidden,
                  num_layers=len(layer_ids), intermediate_size=intermediate, positions=positions,
                  type_vocab_size=types, relative_head_size=distance[1] if distance else None,
                  pooler=f"{enc}pooler.dense.weight" in shapes, members=dense_in // hidden, num_outputs=outputs)


@dataclass(frozen=True)
class EncoderSettings:
    """What the weights cannot tell: attention variant, activation, head count, LayerNorm epsilon."""

    num_heads: int
    position: str = "relative_key"
    activation: str = "gelu"
    layer_norm_eps: float = 1e-5
    pad_id: int = 1


def _linear(n_in: int, n_out: int) -> nn.Linear:
    return nn.Linear(n_in, n_out)


class RobertaEncoder(nn.Module):
    """The encoder; parameter names match ``transformers``' ``RobertaModel``."""

    def __init__(self, layout: Layout, settings: EncoderSettings):
        super().__init__()
        h, eps = layout.hidden_size, settings.layer_norm_eps
        if h % settings.num_heads:
            raise MetaCompressError(f"hidden size {h} is not divisible by {settings.num_heads} attention heads")
        self.num_heads = settings.num_heads
        self.head_size = h // settings.num_heads
        self.position = settings.position
        self.activation = ACTIVATIONS[settings.activation]
        self.pad_id = settings.pad_id
        self.max_positions = layout.positions
        self.embeddings = nn.ModuleDict({
            "word_embeddings": nn.Embedding(layout.vocab_size, h),
            "position_embeddings": nn.Embedding(layout.positions, h),
            "token_type_embeddings": nn.Embedding(layout.type_vocab_size, h),
            "LayerNorm": nn.LayerNorm(h, eps=eps)})
        layers = []
        for _ in range(layout.num_layers):
            attention_self = nn.ModuleDict({"query": _linear(h, h), "key": _linear(h, h), "value": _linear(h, h)})
            if settings.position != "absolute":
                attention_self["distance_embedding"] = nn.Embedding(2 * layout.positions - 1, self.head_size)
            layers.append(nn.ModuleDict({
                "attention": nn.ModuleDict({
                    "self": attention_self,
                    "output": nn.ModuleDict({"dense": _linear(h, h), "LayerNorm": nn.LayerNorm(h, eps=eps)})}),
                "intermediate": nn.ModuleDict({"dense": _linear(h, layout.intermediate_size)}),
                "output": nn.ModuleDict({"dense": _linear(layout.intermediate_size, h),
                                         "LayerNorm": nn.LayerNorm(h, eps=eps)})}))
        self.encoder = nn.ModuleDict({"layer": nn.ModuleList(layers)})
        if layout.pooler:
            # Saved by RobertaModel and loaded so that no key of the state dict goes unaccounted for;
            # the published heads read the first token's vector, never the pooler's output.
            self.pooler = nn.ModuleDict({"dense": _linear(h, h)})
        self._distance_cache: dict[tuple[int, str], torch.Tensor] = {}

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> list[torch.Tensor]:
        """Hidden states ``[batch, T, hidden]``: the embedding output, then each layer's output."""
        emb = self.embeddings
        x = emb["word_embeddings"](input_ids) + emb["token_type_embeddings"].weight[0]
        if self.position == "absolute":
            # RoBERTa numbers real tokens from pad_id + 1 and gives padding the pad_id position.
            keep = (input_ids != self.pad_id).long()
            x = x + emb["position_embeddings"](torch.cumsum(keep, dim=1) * keep + self.pad_id)
        x = emb["LayerNorm"](x)
        bias = torch.zeros(attention_mask.shape, dtype=x.dtype, device=x.device)
        bias = bias.masked_fill(attention_mask == 0, torch.finfo(x.dtype).min)[:, None, None, :]
        states = [x]
        for layer in self.encoder["layer"]:
            attn = layer["attention"]
            context = self._attend(attn["self"], x, bias)
            x = attn["output"]["LayerNorm"](attn["output"]["dense"](context) + x)
            inner = self.activation(layer["intermediate"]["dense"](x))
            x = layer["output"]["LayerNorm"](layer["output"]["dense"](inner) + x)
            states.append(x)
        return states

    def _attend(self, sa: nn.ModuleDict, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, width = x.shape
        q, k, v = (sa[name](x).view(b, t, self.num_heads, self.head_size).transpose(1, 2)
                   for name in ("query", "key", "value"))
        if self.position != "absolute":
            table = sa["distance_embedding"].weight[self._distances(t, x.device)]  # [T, T, head_size]
            # Scaling q (and k) by 1/√d before the products, and adding the mask in place, keeps the
            # [batch, heads, T, T] tensors to one; that is where the time of a small model goes.
            scale = 1 / math.sqrt(self.head_size)
            relative = torch.einsum("bhld,lrd->bhlr", q * scale, table)
            if self.position == "relative_key_query":
                relative.add_(torch.einsum("bhrd,lrd->bhlr", k * scale, table))
            bias = relative.add_(bias)
        # softmax(q·kᵀ/√d + bias)·v, fused where the backend can.
        context = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return context.transpose(1, 2).reshape(b, t, width)

    def _distances(self, t: int, device) -> torch.Tensor:
        """Row ``l``, column ``r``: the index of distance ``l − r`` in ``distance_embedding``."""
        key = (t, str(device))
        if key not in self._distance_cache:
            pos = torch.arange(t, device=device)
            self._distance_cache[key] = pos[:, None] - pos[None, :] + self.max_positions - 1
        return self._distance_cache[key]


class ClassificationHead(nn.Module):
    """First-token vector(s) → dense → tanh → out_proj (dropout is a no-op at inference)."""

    def __init__(self, layout: Layout):
        super().__init__()
        self.members = layout.members
        self.dense = _linear(layout.members * layout.hidden_size, layout.hidden_size)
        self.out_proj = _linear(layout.hidden_size, layout.num_outputs)

    def forward(self, first_tokens: torch.Tensor) -> torch.Tensor:
        # Rows come member by member (pair i is rows 2i, 2i + 1), so this puts each pair's vectors side by side.
        x = first_tokens.reshape(-1, self.members * first_tokens.shape[-1])
        return self.out_proj(torch.tanh(self.dense(x)))


class EncoderClassifier(nn.Module):
    """Encoder + head with canonical key names ``encoder.*`` / ``classifier.*``."""

    def __init__(self, layout: Layout, settings: EncoderSettings):
        super().__init__()
        self.layout = layout
        self.encoder = RobertaEncoder(layout, settings)
        self.classifier = ClassificationHead(layout)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits ``[rows / members, outputs]`` and the hidden states of every row."""
        states = self.encoder(input_ids, attention_mask)
        return self.classifier(states[-1][:, 0]), states

    def canonical(self, key: str) -> str | None:
        """The module's name for a state-dict key, or ``None`` for a key outside encoder and head."""
        lay = self.layout
        if key.startswith(lay.head_prefix):
            return "classifier." + key[len(lay.head_prefix):]
        if key.startswith(lay.encoder_prefix):
            return "encoder." + key[len(lay.encoder_prefix):]
        return None

    def original(self, name: str) -> str:
        """The state-dict key of a module name (inverse of :meth:`canonical`)."""
        lay = self.layout
        if name.startswith("classifier."):
            return lay.head_prefix + name[len("classifier."):]
        return lay.encoder_prefix + name[len("encoder."):]

    def load_checked(self, state: dict, *, what: str) -> None:
        """Load ``state``, refusing any key the model would ignore, any missing key and any shape mismatch."""
        expected = {k: tuple(v.shape) for k, v in self.state_dict().items()}
        renamed: dict[str, torch.Tensor] = {}
        origin: dict[str, str] = {}
        unexpected = []
        for key, tensor in state.items():
            if key.endswith(DROPPED_SUFFIXES):
                continue
            name = self.canonical(key)
            if name is None or name not in expected:
                unexpected.append(key)
            else:
                renamed[name], origin[name] = tensor, key
        if unexpected:
            raise MetaCompressError(
                f"{what}: {len(unexpected)} key(s) the model would ignore: {key_patterns(unexpected, 6)} — refusing to "
                "load it with weights left out (wrong adapter, or options that do not match the checkpoint)")
        missing = [self.original(k) for k in expected if k not in renamed]
        if missing:
            raise MetaCompressError(f"{what}: {len(missing)} key(s) missing: {key_patterns(missing, 6)}")
        for name, tensor in renamed.items():
            if tuple(tensor.shape) != expected[name]:
                raise MetaCompressError(f"{what}: {origin[name]} has shape {list(tensor.shape)}, the options imply "
                                        f"{list(expected[name])}")
        # Casting integer, boolean or complex weights to float "works" and gives meaningless outputs
        # (quantised weights need their scales, complex ones lose a part): refuse them instead.
        odd = [f"{origin[k]} ({str(v.dtype).removeprefix('torch.')})" for k, v in renamed.items()
               if not v.is_floating_point() or v.is_complex()]
        if odd:
            raise MetaCompressError(f"{what}: {len(odd)} weight tensor(s) are not real floating point: "
                                    f"{', '.join(odd[:3])}{', …' if len(odd) > 3 else ''}; save the float weights")
        self.load_state_dict({k: v.float() for k, v in renamed.items()}, strict=True)
