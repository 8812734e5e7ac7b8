"""What the two CodeXGLUE adapters share: the fine-tuning scripts' wrapper around a pretrained encoder.

CodeXGLUE's ``run.py`` scripts fine-tune a RoBERTa-family model (CodeBERT, GraphCodeBERT, …) inside a
small ``Model`` module and ``torch.save`` its state dict to ``checkpoint-best-*/model.bin``. The
architecture's sizes are in the weights; the attention head count, activation and LayerNorm epsilon come
from the pretrained model's ``config.json`` when one is at hand (beside the weights or in the tokenizer
folder), else from the options (default: 64-wide heads, gelu, 1e-5 — every CodeBERT-family base).
The tokenizer is the pretrained model's (``--…-tokenizer microsoft/codebert-base``, or files beside the
weights). Inputs are prepared as the scripts did (:mod:`~metacompress_eval.models.checkpoint`) with the
scripts' default block size of 400 tokens.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import MetaCompressError
from .checkpoint import (TextPreparation, build, locate_weights, load_state_dict, options_from_config, read_json,
                         read_shapes, transformers_ids)
from .files import TOKENIZER_FILES, hub_snapshot, looks_like_hub_id
from .options import Option, flag
from .roberta import EncoderSettings, key_patterns, read_layout
from .tokenizer import load_tokenizer, require_special_tokens

DEFAULT_BLOCK_SIZE = 400

OPTIONS = (
    Option("heads", "attention heads (default: the base config's, else hidden size / 64)", kind=int),
    Option("activation", "feed-forward activation (default: the base config's, else gelu)",
           choices=("gelu", "gelu_new", "silu", "relu")),
    Option("layer_norm_eps", "LayerNorm epsilon (default: the base config's, else 1e-5)", kind=float),
    Option("labels", "class names in output order, comma separated (default LABEL_0, LABEL_1)", kind=list),
)


def claims(shapes: dict, *, encoder_prefix: str, head_prefix: str, members: int, outputs: int) -> bool:
    """Whether the state dict has exactly this wrapper's layout (absolute positions)."""
    layout = read_layout(shapes, encoder_prefixes=(encoder_prefix,), head_prefixes=(head_prefix,))
    return (layout is not None and not layout.relative and layout.members == members
            and layout.num_outputs == outputs)


def _tokenizer_path(tokenizer: str | None, folder: Path, *, role: str, name: str) -> Path:
    """The tokenizer's folder, or its ``tokenizer.json`` file."""
    if tokenizer:
        path = Path(tokenizer).expanduser()
        if path.is_dir() or (path.is_file() and path.suffix == ".json"):
            return path
        if path.exists() or not looks_like_hub_id(tokenizer):
            raise MetaCompressError(f"{role} tokenizer {tokenizer!r} is not a tokenizer folder, tokenizer.json file "
                                    "or Hub id")
        return hub_snapshot(tokenizer, what=f"{role} tokenizer", patterns=["*.json", "*.txt", "*.model"])
    if any((folder / f).is_file() for f in TOKENIZER_FILES):
        return folder
    raise MetaCompressError(f"{role} {name}: no tokenizer beside the weights; pass {flag(role, 'tokenizer')} with the "
                            "pretrained model it was fine-tuned from (e.g. microsoft/codebert-base)")


def load_wrapper(name: str, *, adapter: str, encoder_prefix: str, head_prefix: str, members: int, outputs: int,
                 role: str, tokenizer: str | None, device: str, max_length: int | None, options: dict):
    """Load a CodeXGLUE wrapper whose state dict must have exactly the given layout."""
    weights, folder = locate_weights(name, role=role)
    state = load_state_dict(weights, what=f"{role} {weights}")
    where = f"{role} {weights}"
    layout = read_layout(read_shapes(state), encoder_prefixes=(encoder_prefix,), head_prefixes=(head_prefix,))
    expected = (f"{encoder_prefix}* and {head_prefix}dense/out_proj with {outputs} output(s)"
                f"{' on two first-token vectors' if members == 2 else ''}")
    if layout is None or layout.members != members or layout.num_outputs != outputs:
        raise MetaCompressError(f"{where}: not a {adapter} checkpoint (expected {expected}; keys: "
                                f"{key_patterns(state, 8)})")
    tok_path = _tokenizer_path(tokenizer, folder, role=role, name=name)
    tok_folder = tok_path if tok_path.is_dir() else tok_path.parent
    configs = [folder / "config.json", tok_folder / "config.json"]
    read, sources = options_from_config(OPTIONS, options, {"heads": None, "activation": "gelu",
                                                           "layer_norm_eps": 1e-5}, configs, role=role)
    config_path = next((p for p in configs if p.is_file()), None)
    config = read_json(config_path) if config_path else {}
    heads = read["heads"]
    if not heads:
        if layout.hidden_size % 64:
            raise MetaCompressError(f"{where}: cannot tell the number of attention heads (hidden size "
                                    f"{layout.hidden_size}); pass {flag(role, 'option')} heads=N")
        heads, sources["heads"] = layout.hidden_size // 64, "default (hidden size / 64)"
    tok = load_tokenizer(tok_path, what=f"{role} tokenizer")
    require_special_tokens(tok, ("cls_token", "sep_token", "pad_token"), what=f"{role} tokenizer {tok_path}")
    if len(tok) > layout.vocab_size:
        raise MetaCompressError(f"{role} tokenizer {tok_path} has {len(tok)} tokens but the embedding table has "
                                f"{layout.vocab_size} rows: not the tokenizer this model was fine-tuned with")
    limit = layout.positions - tok.pad_token_id - 1
    block = int(max_length) if max_length else min(DEFAULT_BLOCK_SIZE, limit)
    if block > limit:
        raise MetaCompressError(f"{where}: max length {block} exceeds the {limit} positions the model has")
    position = config.get("position_embedding_type") or ("relative_key" if layout.relative else "absolute")
    sources["attention"] = str(config_path) if config.get("position_embedding_type") else "weights"
    settings = EncoderSettings(num_heads=int(heads), position=position, activation=read["activation"],
                               layer_norm_eps=float(read["layer_norm_eps"]), pad_id=tok.pad_token_id)
    prepare = TextPreparation(transformers_ids(tok, block - 2), block_size=block, bos=tok.cls_token_id,
                              eos=tok.sep_token_id, pad=tok.pad_token_id)
    tok_files = [tok_path] if tok_path.is_file() else sorted(
        p for p in tok_folder.iterdir() if p.is_file() and (p.name in TOKENIZER_FILES or p.name == "config.json"))
    return build(adapter=adapter, name=name, role=role, weights=weights, state=state, layout=layout,
                 settings=settings, prepare=prepare, labels=options.get("labels"), device=device, extra_files=tok_files,
                 tokenizer=tok, sources=sources)
