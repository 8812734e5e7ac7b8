"""Finding and reading model files: Hub snapshots, fingerprints, state dicts.

State dicts are read without unpickling code: ``.safetensors`` with ``safetensors``, ``torch.save``d
files (``model.bin``, ``*.pt``, ``*.pth``) with ``torch.load(..., weights_only=True)``, which only
rebuilds tensors and plain containers. A file that needs full unpickling is refused: running its
pickled code is exactly what a downloaded checkpoint must not be allowed to do.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..errors import MetaCompressError

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".h5", ".msgpack")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "vocab.txt",
                   "special_tokens_map.json", "spiece.model", "sentencepiece.bpe.model", "tokenizer.model")
STATE_DICT_SUFFIXES = (".bin", ".pt", ".pth", ".safetensors")


def looks_like_hub_id(name: str) -> bool:
    """``org/name`` or ``name``: not a path-looking string."""
    return not name.startswith((".", "/", "~")) and name.count("/") <= 1


def hub_snapshot(name: str, *, what: str, patterns: list[str] | None = None) -> Path:
    """A local snapshot of Hub repository ``name`` (downloaded unless offline).

    Bounded in time and reported in one token-free line (:func:`metacompress_eval.hub_client.hub_errors`).
    """
    from huggingface_hub import snapshot_download

    from ..hub_client import hub_errors

    with hub_errors(f"{what} {name!r} is not a local folder, and it could not be fetched from the Hub"):
        return Path(snapshot_download(name, allow_patterns=patterns or ["*.json", "*.safetensors", "*.txt",
                                                                          "*.model", "*.bin"]))


def fingerprint_files(folder: Path, extra: dict) -> tuple[str, list[str]]:
    """Hash the model's config, weights and tokenizer files with ``extra`` settings."""
    digest = hashlib.sha256()
    names = []
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        if path.name == "config.json" or path.name in TOKENIZER_FILES or path.suffix in WEIGHT_SUFFIXES:
            names.append(path.name)
            digest.update(path.name.encode() + b"\0")
            _hash_file(digest, path)
    digest.update(json.dumps(extra, sort_keys=True).encode())
    return digest.hexdigest()[:32], names


def fingerprint_paths(paths: list[Path], extra: dict) -> str:
    """Hash the named files (name and bytes) with ``extra`` settings."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        _hash_file(digest, path)
    digest.update(json.dumps(extra, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:32]


def _hash_file(digest, path: Path) -> None:
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)


def state_dict_files(folder: Path) -> list[Path]:
    """The state-dict files in a folder (``model.bin``, ``*.pt``, ``*.safetensors`` …)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in STATE_DICT_SUFFIXES)


def load_state_dict(path: Path, *, what: str) -> dict:
    """Read a state dict (name → tensor) without executing pickled code; ``what`` starts every message."""
    import torch

    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            tensors = load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as exc:
            raise MetaCompressError(f"{what}: not a readable safetensors file ({exc})") from None
    else:
        try:
            tensors = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # UnpicklingError for code or damage, RuntimeError/EOFError for truncated files
            text = str(exc)
            if "Unsupported global" in text:
                raise MetaCompressError(
                    f"{what} needs full unpickling (it stores Python objects, not only tensors); refusing to run "
                    "its code — re-save it with torch.save(model.state_dict(), ...)") from None
            detail = text.split("WeightsUnpickler error:")[-1].strip().splitlines()
            detail = detail[0] if detail and detail[0] else type(exc).__name__
            raise MetaCompressError(f"{what}: not a readable torch state dict ({detail})") from None
    return _parameters(tensors, what=what)


def _is_parameters(value) -> bool:
    import torch

    return isinstance(value, dict) and bool(value) and all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in value.items())


def _finite(state: dict, *, what: str) -> dict:
    """``state`` unchanged, or an error naming the tensors with NaN or infinite values.

    Such weights run without complaint and turn every output they touch into NaN, which would
    surface only after inference, far from its cause.
    """
    import torch

    bad = [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        more = f", … ({len(bad) - 3} more)" if len(bad) > 3 else ""
        raise MetaCompressError(f"{what}: {len(bad)} tensor(s) hold NaN or infinite values: {', '.join(bad[:3])}{more}")
    return state


def _parameters(loaded, *, what: str) -> dict:
    """The name → tensor mapping in what ``torch.load`` returned.

    Training scripts often save a checkpoint around the state dict (``{"model": ..., "epoch": 3}``,
    ``{"state_dict": ...}``, ``{"model_state_dict": ..., "optimizer": ...}``): when exactly one entry
    is a mapping of names to tensors, that is the state dict, whatever its key. Anything else is refused
    with a message that says what the file holds.
    """
    if _is_parameters(loaded):
        return _finite(dict(loaded), what=what)
    if not isinstance(loaded, dict):
        raise MetaCompressError(f"{what} is not a state dict: it holds a {type(loaded).__name__}, not a mapping "
                                "of parameter names to tensors")
    if not loaded:
        raise MetaCompressError(f"{what} is an empty state dict")
    nested = [k for k, v in loaded.items() if _is_parameters(v)]
    if len(nested) == 1:
        return _finite(dict(loaded[nested[0]]), what=what)
    if nested:
        raise MetaCompressError(f"{what} holds several state dicts ({', '.join(map(str, nested))}); re-save the one "
                                "to evaluate with torch.save(checkpoint[KEY], 'model.bin')")
    import torch

    odd = [f"{k} ({type(v).__name__})" for k, v in loaded.items() if not isinstance(v, torch.Tensor)]
    more = f", … ({len(odd) - 4} more)" if len(odd) > 4 else ""
    raise MetaCompressError(f"{what} is not a state dict: {len(odd)} of its {len(loaded)} entries are not tensors: "
                            f"{', '.join(map(str, odd[:4]))}{more}")
