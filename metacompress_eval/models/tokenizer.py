"""A ``transformers`` tokenizer from a tokenizer folder or a bare ``tokenizer.json``, special tokens found.

A ``tokenizers`` file saved on its own (``tokenizer.json`` with no ``tokenizer_config.json``; how the
compact students' scripts save their BPE) carries no record of which tokens are ``<s>``, ``</s>`` and
``<pad>``. ``transformers`` then leaves ``cls_token`` and friends unset, although the tokens are in the
vocabulary. They are looked up there by their RoBERTa and BERT spellings, as the ``compact-roberta``
adapter does, so such a file or folder serves every adapter.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import MetaCompressError
from .files import TOKENIZER_FILES

# Attribute → spellings in the vocabulary (RoBERTa-style first, then BERT-style).
SPECIAL_SPELLINGS = {"cls_token": ("<s>", "[CLS]"), "sep_token": ("</s>", "[SEP]"), "pad_token": ("<pad>", "[PAD]"),
                     "bos_token": ("<s>", "[CLS]"), "eos_token": ("</s>", "[SEP]"), "unk_token": ("<unk>", "[UNK]"),
                     "mask_token": ("<mask>", "[MASK]")}


def load_tokenizer(path: Path, *, what: str, trust_remote_code: bool = False):
    """The tokenizer at ``path`` (a folder, or a ``tokenizer.json`` file) with its special tokens named."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    path = Path(path)
    bare = path / "tokenizer.json" if path.is_dir() else path
    try:
        if path.is_file():
            if path.suffix != ".json":
                raise MetaCompressError(f"{what} {path}: expected a tokenizer folder or a tokenizer.json file")
            tok = PreTrainedTokenizerFast(tokenizer_file=str(path))
        else:
            try:
                tok = AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
            except Exception:  # noqa: BLE001 - no tokenizer_config: read the tokenizers file on its own
                if not bare.is_file() or (path / "tokenizer_config.json").is_file():
                    raise
                tok = PreTrainedTokenizerFast(tokenizer_file=str(bare))
    except MetaCompressError:
        raise
    except Exception as exc:  # noqa: BLE001 - damaged files raise many kinds of errors
        files = [f for f in TOKENIZER_FILES if path.is_dir() and (path / f).is_file()]
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        raise MetaCompressError(f"{what} {path}: cannot load it ({', '.join(files) or path.name}): "
                                f"{type(exc).__name__}: {first}") from None
    vocab = tok.get_vocab()
    for attr, spellings in SPECIAL_SPELLINGS.items():
        if getattr(tok, attr, None) is None:
            found = next((s for s in spellings if s in vocab), None)
            if found is not None:
                setattr(tok, attr, found)
    return tok


def require_special_tokens(tok, attrs: tuple[str, ...], *, what: str) -> None:
    """Refuse a tokenizer that lacks any of ``attrs`` (``cls_token`` …), naming each missing one."""
    missing = [f"{attr.removesuffix('_token')} ({' or '.join(SPECIAL_SPELLINGS[attr])})"
               for attr in attrs if getattr(tok, f"{attr}_id", None) is None]
    if missing:
        raise MetaCompressError(f"{what} lacks the {', '.join(missing)} token{'s' if len(missing) > 1 else ''}: "
                                "neither set in its config nor found in its vocabulary")


def tokenizer_files(path: Path) -> list[Path]:
    """The files that make up the tokenizer at ``path`` (for the fingerprint)."""
    path = Path(path)
    if path.is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.is_file() and p.name in TOKENIZER_FILES)
