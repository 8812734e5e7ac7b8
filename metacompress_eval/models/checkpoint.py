"""What the state-dict adapters share: finding the weights, preparing text as published, running the encoder.

The CodeXGLUE scripts and the compact students prepare every code input the same way, and this is
the input format the weights were trained on, so it is reproduced exactly:

1. whitespace-normalise: ``" ".join(code.split())``;
2. tokenise without special tokens and keep the first ``L − 2`` ids;
3. wrap as ``<s>`` + ids + ``</s>``; pad with ``<pad>`` to ``L``; attention mask = id ≠ ``<pad>``.

A pair is two such sequences, encoded separately by the same encoder. Batches here are padded to their
longest sequence rather than to ``L``: with right padding and the key mask, a real token's
representation is the same whatever the amount of padding (absolute positions number real tokens from
the left; relative ones depend on ``l − r`` only), so the outputs equal the published fixed-length ones
and short inputs cost less.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import MetaCompressError
from .base import Inputs, LoadedModel, binary_logits, generic_labels, pooled_states, to_device
from .files import STATE_DICT_SUFFIXES, fingerprint_paths, hub_snapshot, load_state_dict, looks_like_hub_id
from .options import flag

TokenIds = Callable[[list[str]], list[list[int]]]


def locate_weights(source: str, *, role: str) -> tuple[Path, Path]:
    """The state-dict file of ``source`` (a file, a folder holding one, or a Hub id) and its folder."""
    path = Path(source).expanduser()
    if not path.exists():
        if not looks_like_hub_id(source):
            raise MetaCompressError(f"{role} {source!r} does not exist")
        path = hub_snapshot(source, what=role, patterns=["*.bin", "*.pt", "*.pth", "*.safetensors", "*.json",
                                                         "*.txt", "*.model"])
    if path.is_file():
        if path.suffix not in STATE_DICT_SUFFIXES:
            raise MetaCompressError(f"{role} {source}: expected a state dict ({', '.join(STATE_DICT_SUFFIXES)}), "
                                    f"got a {path.suffix or 'suffix-less'} file")
        return path, path.parent
    candidates = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in STATE_DICT_SUFFIXES)
    if not candidates:
        raise MetaCompressError(f"{role} {source}: no state dict in the folder (model.bin, *.pt, *.pth, *.safetensors)")
    if len(candidates) > 1:
        raise MetaCompressError(f"{role} {source}: several state dicts ({', '.join(p.name for p in candidates)}); "
                                "name the file to load")
    return candidates[0], path


_MEMO_TEXTS = 10_000  # prepared texts remembered per model (texts and ids: tens of MB at most)


class TextPreparation:
    """Code → token ids as the published scripts built them (see the module docstring).

    Args:
        token_ids: the tokenizer, as texts → ids without special tokens.
        block_size: ``L``, the length of a wrapped sequence.
        bos, eos, pad: the ids of ``<s>``, ``</s>`` and ``<pad>``.
        normalise: apply the whitespace normalisation.
        special_tokens: wrap in ``<s> … </s>`` (otherwise keep the first ``L`` ids).
    """

    def __init__(self, token_ids: TokenIds, *, block_size: int, bos: int, eos: int, pad: int,
                 normalise: bool = True, special_tokens: bool = True):
        if block_size < (3 if special_tokens else 1):
            raise MetaCompressError(f"block size {block_size} leaves no room for code tokens")
        self.token_ids = token_ids
        self.block_size = block_size
        self.bos, self.eos, self.pad = bos, eos, pad
        self.normalise = normalise
        self.special_tokens = special_tokens
        self._memo: dict[str, tuple[int, ...]] = {}  # text → prepared ids, across calls (bounded)

    def __call__(self, texts: list[str], *, one_core: bool = False) -> list[tuple[int, ...]]:
        """The prepared ids of each text. ``one_core``: tokenise one text per call, which keeps a
        ``tokenizers`` batch (spread over every core by its thread pool) to one core: the same ids."""
        # Pairs share functions (the 4,000 BigCloneBench test pairs have 859 distinct ones), a follow-up
        # keeps one function of its pair, and the engine encodes in chunks: each text is normalised and
        # tokenised once, and texts that normalise alike share one tokenisation too.
        memo = self._memo
        raw = list(dict.fromkeys(texts))
        got = {t: memo[t] for t in raw if t in memo}
        new = [t for t in raw if t not in got]
        if new:
            normalised = [" ".join(t.split()) for t in new] if self.normalise else new
            distinct = list(dict.fromkeys(normalised))
            ids = [r for text in distinct for r in self.token_ids([text])] if one_core else self.token_ids(distinct)
            if self.special_tokens:
                keep = self.block_size - 2
                prepared = [(self.bos, *r[:keep], self.eos) for r in ids]
            else:
                prepared = [tuple(r[:self.block_size]) for r in ids]
            of = dict(zip(distinct, prepared))
            fresh = {t: of[n] for t, n in zip(new, normalised)}
            if len(memo) + len(fresh) > _MEMO_TEXTS:
                memo.clear()
            memo.update(fresh)
            got.update(fresh)
        return [got[t] for t in texts]

    def describe(self) -> dict:
        return {"block_size": self.block_size, "whitespace_normalised": self.normalise,
                "special_tokens": self.special_tokens, "bos_eos_pad": [self.bos, self.eos, self.pad]}


def tokenizers_file_ids(tokenizer) -> TokenIds:
    """Texts → ids with a ``tokenizers.Tokenizer`` (its post-processor's special tokens left out)."""
    # ``encode_batch_fast`` (tokenizers ≥ 0.21) skips the character offsets, which are not used here:
    # the same ids, about a quarter less time.
    encode = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)

    def ids(texts: list[str]) -> list[list[int]]:
        return [e.ids for e in encode(texts, add_special_tokens=False)]
    return ids


def transformers_ids(tokenizer, limit: int) -> TokenIds:
    """Texts → ids with a ``transformers`` tokenizer; truncating at ``limit`` equals slicing the full list."""
    def ids(texts: list[str]) -> list[list[int]]:
        return tokenizer(texts, add_special_tokens=False, truncation=True, max_length=limit,
                         return_attention_mask=False)["input_ids"]
    return ids


_REMEMBERED_FLOATS = 32_000_000  # at most ~128 MB of remembered first-token vectors per model


def _sequence_key(seq: tuple[int, ...]) -> bytes:
    return hashlib.blake2b(array("l", seq).tobytes(), digest_size=16).digest()


class RobertaCheckpoint(LoadedModel):
    """A state-dict RoBERTa classifier (:class:`~metacompress_eval.models.roberta.EncoderClassifier`)."""

    supports_hidden_states = True
    # encode() only tokenises (its own tokenizer and memo); every sequence is cut at the block size.
    encodes_in_background = True

    def __init__(self, *, adapter: str, prepare: TextPreparation, settings: dict, tokenizer_path: Path | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.adapter = adapter
        self.tokenizer_path = tokenizer_path
        self.prepare = prepare
        self.settings = settings
        self.members = self.model.layout.members
        self.setting_sources: dict[str, str] = {}  # setting → option / config.json path / default / weights
        self._vectors: dict[bytes, Any] = {}  # sequence key → first-token vector of the last layer

    def encode(self, inputs: Sequence[Inputs], ids: Sequence[Any] | None = None) -> list[tuple[tuple[int, ...], ...]]:
        """Each input as one id sequence per member (one for single inputs, two for a pair)."""
        return self._prepared(inputs)

    def encode_beside(self, inputs: Sequence[Inputs], ids: Sequence[Any] | None = None) -> list:
        # With OMP_NUM_THREADS=1 on two cores, a tokenizers batch on both cores took a third of a core
        # from the forward passes while it ran; one text per call leaves them theirs.
        return self._prepared(inputs, one_core=True)

    def _prepared(self, inputs: Sequence[Inputs], *, one_core: bool = False) -> list[tuple[tuple[int, ...], ...]]:
        if not inputs:
            return []
        m = self.members
        if any(len(i) != m for i in inputs):
            kind = "pairs of code inputs (a clone task)" if m == 2 else "single code inputs"
            raise MetaCompressError(f"{self.name}: this model's head takes {kind}; got inputs of "
                                    f"{len(next(i for i in inputs if len(i) != m))} text(s)")
        flat = self.prepare([text for inp in inputs for text in inp], one_core=one_core)
        return [tuple(flat[i * m:(i + 1) * m]) for i in range(len(inputs))]

    def encoded_key(self, encoded) -> str:
        """The key :meth:`LoadedModel.encoded_key` gives (the same bytes hashed), without its per-value type
        checks: the ids are this adapter's own ints. It runs for every input the engine is asked about."""
        digest = hashlib.blake2b(b"s", digest_size=20)
        for seq in encoded:
            data = array("q", seq).tobytes()
            digest.update((len(data) + 1).to_bytes(8, "little") + b"i")
            digest.update(data)
        return "enc:" + digest.hexdigest()

    def length(self, encoded) -> int:
        return max(len(seq) for seq in encoded)

    def truncated(self, encoded) -> bool:
        return any(len(seq) >= self.max_length for seq in encoded)

    def collate(self, rows: list) -> list[tuple[int, ...]]:
        """The batch's sequences, member by member (pair i is sequences 2i and 2i + 1)."""
        return [seq for row in rows for seq in row]

    def pad(self, seqs: list[tuple[int, ...]]) -> tuple:
        """``input_ids`` and the published mask (id ≠ ``<pad>``), ``[len(seqs), longest]``, right-padded."""
        import torch

        width = max(len(s) for s in seqs)
        pad = self.prepare.pad
        ids = np.full((len(seqs), width), pad, dtype=np.int64)
        for i, s in enumerate(seqs):
            ids[i, :len(s)] = s
        tensor = to_device(ids, self.device)
        return tensor, tensor != pad

    def forward(self, batch: list[tuple[int, ...]]) -> np.ndarray:
        """Logits of a batch; each distinct sequence goes through the encoder once per model.

        The head reads one vector per sequence (its first token's, last layer), and a sequence's vector
        does not depend on what else is in the batch, so vectors are remembered by the sequence's token
        ids: a function that recurs across pairs (or a follow-up that tokenises like its source) is
        encoded once.
        """
        import torch

        keys = [_sequence_key(s) for s in batch]
        todo = list({k: s for k, s in zip(keys, batch) if k not in self._vectors}.items())
        with torch.inference_mode():
            if todo:
                states = self.model.encoder(*self.pad([s for _, s in todo]))
                if (len(self._vectors) + len(todo)) * self.model.layout.hidden_size > _REMEMBERED_FLOATS:
                    self._vectors.clear()
                self._vectors.update(zip((k for k, _ in todo), states[-1][:, 0].float()))
            first = torch.stack([self._vectors[k] for k in keys])
            head = next(self.model.classifier.parameters())
            logits = self.model.classifier(first.to(head.dtype)).float().cpu().numpy()
        return binary_logits(logits[:, 0]) if logits.shape[1] == 1 else logits

    def attention(self) -> str:
        return "sdpa"  # the encoder calls torch's scaled_dot_product_attention (roberta.py)

    def hidden_states(self, batch: list[tuple[int, ...]]) -> dict[str, np.ndarray]:
        import torch

        ids, mask = self.pad(batch)
        with torch.inference_mode():
            states = self.model.encoder(ids, mask)
        pooled = pooled_states(states, mask)
        m = self.members
        # [rows × members, layers, H] → [rows, layers, members × H]: a pair's vectors side by side.
        return {k: v.reshape(-1, m, *v.shape[1:]).transpose(0, 2, 1, 3).reshape(v.shape[0] // m, v.shape[1], -1)
                for k, v in pooled.items()}

    def describe(self) -> dict:
        info = super().describe()
        info["architecture"] = {**self.model.layout.__dict__, **self.settings, **self.prepare.describe()}
        if self.setting_sources:
            info["architecture"]["setting_sources"] = dict(self.setting_sources)
        return info


def build(*, adapter: str, name: str, role: str, weights: Path, state: dict, layout, settings, prepare: TextPreparation,
          labels: list[str] | None, device: str, extra_files: Sequence[Path] = (), describe: dict | None = None,
          tokenizer: Any = None, tokenizer_path: Path | None = None,
          sources: dict[str, str] | None = None) -> RobertaCheckpoint:
    """Instantiate, load (refusing ignored, missing or mis-shaped keys) and wrap a checkpoint.

    ``sources``: where each option the weights cannot tell came from (:func:`options_from_config`),
    recorded in the report beside the settings (not in the fingerprint: the values are).
    """
    from .roberta import EncoderClassifier

    outputs = 2 if layout.num_outputs == 1 else layout.num_outputs
    if labels is not None and len(labels) != outputs:
        raise MetaCompressError(f"{role} {name}: labels={','.join(labels)} names {len(labels)} classes, the head has "
                                f"{outputs}")
    if layout.hidden_size % settings.num_heads:
        raise MetaCompressError(f"{role} {weights}: {settings.num_heads} attention heads do not divide the hidden size "
                                f"{layout.hidden_size} the weights have; pass {flag(role, 'option')} heads=N with N dividing "
                                f"{layout.hidden_size}")
    net = EncoderClassifier(layout, settings)
    net.load_checked(state, what=f"{role} {weights}")
    try:
        net.to(device)
    except Exception as exc:
        raise MetaCompressError(f"cannot move {role} to device {device!r}: {exc}") from None
    net.eval()
    resolved = {"position": settings.position, "activation": settings.activation, "num_heads": settings.num_heads,
                "layer_norm_eps": settings.layer_norm_eps, **(describe or {})}
    files = [weights, *extra_files]
    fingerprint = fingerprint_paths(files, {"adapter": adapter, **resolved, **prepare.describe(), "dtype": "float32"})
    renamed = {"attention": "position", "heads": "num_heads"}
    model = RobertaCheckpoint(adapter=adapter, prepare=prepare, settings=resolved, name=name,
                             label_names=labels or generic_labels(outputs), fingerprint=fingerprint,
                             max_length=prepare.block_size, device=device, model=net, files=[p.name for p in files],
                             tokenizer=tokenizer, tokenizer_path=tokenizer_path)
    model.setting_sources = {renamed.get(k, k): v for k, v in (sources or {}).items()}
    return model


def read_shapes(state: dict) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in state.items()}


def special_id(vocab_lookup: Callable[[str], int | None], names: Sequence[str], what: str, where: str) -> int:
    """The id of the first of ``names`` the tokenizer knows."""
    for token in names:
        found = vocab_lookup(token)
        if found is not None:
            return int(found)
    raise MetaCompressError(f"{where}: the tokenizer has no {what} token ({' or '.join(names)})")


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MetaCompressError(f"cannot read {path}: {exc}") from None



# Options the weights cannot tell, and the config.json key a published config gives each under.
CONFIG_KEYS = {"heads": "num_attention_heads", "activation": "hidden_act", "layer_norm_eps": "layer_norm_eps",
               "attention": "position_embedding_type"}


def options_from_config(declared: Sequence, given: dict, defaults: dict, configs: Sequence[Path], *,
                        role: str) -> tuple[dict, dict[str, str]]:
    """The value and the source of every option in ``defaults`` that a ``config.json`` can give.

    ``given`` holds the options set explicitly (``None`` when not set). Order of precedence: an explicit
    option, then the first of ``configs`` that exists (beside the weights, then the tokenizer's folder),
    then ``defaults``. A config value is checked like the option it stands for (choices, finite and
    positive). An explicit option that disagrees with the config wins, with a warning on stderr, since
    a config beside a state dict is not always the one the weights were trained with.
    Returns ``(values, sources)``; a source is ``option``, the config file's path, or ``default``.
    """
    from ..console import warn

    config_path = next((p for p in configs if p.is_file()), None)
    config = read_json(config_path) if config_path else {}
    if not isinstance(config, dict):
        raise MetaCompressError(f"{config_path}: expected a JSON object")
    known = {o.name: o for o in declared}
    values, sources = {}, {}
    for name, default in defaults.items():
        key = CONFIG_KEYS[name]
        from_config = (known[name].parse(config[key], f"{role} {config_path} ({key})")
                       if config.get(key) is not None else None)
        if given.get(name) is not None:
            values[name], sources[name] = given[name], "option"
            if from_config is not None and from_config != given[name]:
                warn(f"{role}: {flag(role, 'option')} {name}={given[name]} overrides {key}={config[key]!r} of "
                     f"{config_path}")
        elif from_config is not None:
            values[name], sources[name] = from_config, str(config_path)
        else:
            values[name], sources[name] = default, "default"
    return values, sources
