"""The ``compact-roberta`` adapter: Compressor, AVATAR and MORPH students.

A ``torch.save``d state dict of a small RoBERTa encoder in the CodeXGLUE wrapper (``encoder.*`` with
``classifier.*`` beside it; ``encoder.roberta.*`` / ``roberta.*`` layouts load too) and the student's own
``tokenizers`` file (``tokenizer.json``, byte-level BPE, WordPiece, Unigram or word level). Everything
the weights say is read from them — vocabulary, hidden size, layers, intermediate size, positions,
relative position embeddings and, with those, the head size — and what they cannot say is an option
with the published default (docs/adapters.md):

* ``attention``: ``relative_key`` (score q·E[l−r]) or ``relative_key_query`` (q·E[l−r] + k·E[l−r]);
* ``activation``: ``gelu`` (exact), ``gelu_new`` (tanh approximation), ``silu`` or ``relu``;
* ``heads``: needed only for absolute-position students (relative ones reveal it).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import MetaCompressError
from .checkpoint import (TextPreparation, build, locate_weights, load_state_dict, options_from_config, read_shapes,
                         special_id, tokenizers_file_ids)
from .files import hub_snapshot, looks_like_hub_id
from .options import Option, flag
from .roberta import EncoderSettings, read_layout

NAME = "compact-roberta"
SUMMARY = ("Compressor / AVATAR / MORPH students: a torch.save'd small RoBERTa (encoder.* + classifier.*) with its "
           "own tokenizer.json; sizes read from the weights, relative position embeddings supported")
OPTIONS = (
    Option("attention", "scores with relative positions when the weights hold distance_embedding: relative_key "
                        "(published default) or relative_key_query; absolute for students without them",
           default=None, choices=("absolute", "relative_key", "relative_key_query")),
    Option("activation", "feed-forward activation (the weights cannot tell; default: a config.json beside the "
                         "weights, else gelu)", choices=("gelu", "gelu_new", "silu", "relu")),
    Option("heads", "attention heads (read from distance_embedding when present; else from a config.json beside "
                    "the weights; required otherwise)", kind=int),
    Option("layer_norm_eps", "LayerNorm epsilon (default: a config.json beside the weights, else 1e-5)", kind=float),
    Option("labels", "class names in output order, comma separated (default LABEL_0, LABEL_1, …)", kind=list),
    Option("normalise", "whitespace-normalise code before tokenising, as published", default=True, kind=bool),
    Option("special_tokens", "wrap each input as <s> … </s>, as published", default=True, kind=bool),
)


def claims(shapes: dict, folder: Path | None) -> str | None:
    """Why this state dict is a compact student, or ``None``.

    Relative position embeddings mark a compact student (the CodeXGLUE fine-tunes of CodeBERT-family
    models use absolute ones); an absolute-position encoder is one when its folder holds a bare
    ``tokenizers`` file, the way the students' scripts save their own BPE.
    """
    layout = read_layout(shapes)
    if layout is None:
        return None
    if layout.relative:
        return "relative position embeddings (distance_embedding)"
    if folder is not None and (folder / "tokenizer.json").is_file() and not any(
            (folder / f).is_file() for f in ("tokenizer_config.json", "vocab.json", "config.json")):
        return "its own tokenizers file (tokenizer.json without a transformers tokenizer config)"
    return None


def _tokenizer(tokenizer: str | None, folder: Path, *, role: str, name: str):
    from tokenizers import Tokenizer

    if tokenizer:
        path = Path(tokenizer).expanduser()
        if not path.exists() and looks_like_hub_id(tokenizer):
            path = hub_snapshot(tokenizer, what=f"{role} tokenizer", patterns=["tokenizer.json"])
        if path.is_dir():
            path = path / "tokenizer.json"
    else:
        path = folder / "tokenizer.json"
    if not path.is_file():
        raise MetaCompressError(f"{role} {name}: no tokenizer.json {'at ' + str(path) if tokenizer else 'beside the weights'}; "
                                f"pass {flag(role, 'tokenizer')} FILE (the student's own tokenizers file)")
    try:
        return Tokenizer.from_file(str(path)), path
    except Exception as exc:
        raise MetaCompressError(f"{role} tokenizer {path}: not a tokenizers file ({str(exc).splitlines()[0]})") from None


def load(name: str, *, role: str = "model", tokenizer: str | None = None, device: str = "cpu",
         max_length: int | None = None, trust_remote_code: bool = False, options: dict | None = None):
    """Load a compact student (see the module docstring); ``options`` as resolved by the registry."""
    opts = options or {}
    weights, folder = locate_weights(name, role=role)
    state = load_state_dict(weights, what=f"{role} {weights}")
    layout = read_layout(read_shapes(state))
    if layout is None:
        from .roberta import key_patterns

        raise MetaCompressError(f"{role} {weights}: not a RoBERTa encoder with a classification head "
                                f"(keys: {key_patterns(state)})")
    where = f"{role} {weights}"
    # What the weights cannot tell: explicit options, else a config.json beside the weights (or the
    # tokenizer), else the published defaults; ``sources`` says which, for the report.
    tok, tok_path = _tokenizer(tokenizer, folder, role=role, name=name)
    read, sources = options_from_config(OPTIONS, opts, {"attention": None, "activation": "gelu", "heads": None,
                                                        "layer_norm_eps": 1e-5},
                                        [folder / "config.json", tok_path.parent / "config.json"], role=role)
    attention = read["attention"]
    if layout.relative and attention == "absolute":
        raise MetaCompressError(f"{where}: attention=absolute but the weights hold distance_embedding (relative "
                                f"positions; attention from {sources['attention']}); use relative_key or relative_key_query")
    if layout.relative:
        head_size = layout.relative_head_size
        heads = layout.hidden_size // head_size if head_size and layout.hidden_size % head_size == 0 else None
        if heads is None:
            raise MetaCompressError(f"{where}: distance_embedding head size {head_size} does not divide hidden size "
                                    f"{layout.hidden_size}")
        if read["heads"] and read["heads"] != heads:
            raise MetaCompressError(f"{where}: heads={read['heads']} disagrees with the weights (distance_embedding "
                                    f"head size {head_size} → {heads} heads; heads from {sources['heads']})")
        position = attention or "relative_key"
    else:
        if attention and attention != "absolute":
            raise MetaCompressError(f"{where}: attention={attention} needs distance_embedding weights, which this "
                                    f"checkpoint lacks (it uses absolute positions; attention from {sources['attention']})")
        heads = read["heads"]
        if not heads:
            raise MetaCompressError(f"{where}: an absolute-position encoder does not reveal its number of attention "
                                    f"heads; pass {flag(role, 'option')} heads=N")
        position = "absolute"
    if tok.get_vocab_size() > layout.vocab_size:
        raise MetaCompressError(f"{role} tokenizer {tok_path} has {tok.get_vocab_size()} tokens but the embedding "
                                f"table has {layout.vocab_size} rows: not this model's tokenizer")
    lookup = tok.token_to_id
    pad = special_id(lookup, ("<pad>", "[PAD]"), "padding", str(tok_path))
    limit = layout.positions - pad - 1  # RoBERTa numbers positions from pad + 1
    block = int(max_length) if max_length else limit
    if block > limit:
        raise MetaCompressError(f"{where}: max length {block} exceeds the {limit} positions the model has")
    prepare = TextPreparation(tokenizers_file_ids(tok), block_size=block,
                              bos=special_id(lookup, ("<s>", "[CLS]"), "start", str(tok_path)),
                              eos=special_id(lookup, ("</s>", "[SEP]"), "end", str(tok_path)), pad=pad,
                              normalise=opts.get("normalise", True), special_tokens=opts.get("special_tokens", True))
    settings = EncoderSettings(num_heads=heads, position=position, activation=read["activation"],
                               layer_norm_eps=read["layer_norm_eps"], pad_id=pad)
    if layout.relative:
        sources["heads"] = "weights (distance_embedding)"
    if not attention:
        sources["attention"] = "weights" if not layout.relative else "default"
    return build(adapter=NAME, name=name, role=role, weights=weights, state=state, layout=layout, settings=settings,
                 prepare=prepare, labels=opts.get("labels"), device=device, extra_files=[tok_path], tokenizer=tok,
                 tokenizer_path=tok_path, sources=sources)
