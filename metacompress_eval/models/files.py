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
import warnings
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
    """Read a state dict (name → tensor) without executing pickled code; ``what`` starts every message.

    A file that cannot be read gets one line saying what it is instead (empty, cut short, a Git LFS
    pointer, a web page, a TorchScript archive: :func:`weight_file_problem`) and what to do about it.
    Keys saved through ``torch.nn.DataParallel`` (``module.…``) or ``torch.compile`` (``_orig_mod.…``)
    are read without that prefix (:func:`strip_wrapper_prefixes`).
    """
    import torch

    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            tensors = load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as exc:
            problem = weight_file_problem(path)
            raise MetaCompressError(f"{what} {problem}" if problem else
                                    f"{what} is not a readable safetensors file ({_short(exc)}); {_FETCH_AGAIN}") from None
    else:
        try:
            with warnings.catch_warnings():
                # torch.load warns before refusing a TorchScript archive; the refusal says it in one line.
                warnings.filterwarnings("ignore", message=".*TorchScript archive.*")
                tensors = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # UnpicklingError for code or damage, RuntimeError/EOFError/OSError for truncated files
            text = str(exc)
            if "Unsupported global" in text:
                raise MetaCompressError(
                    f"{what} needs full unpickling (it stores Python objects, not only tensors); refusing to run "
                    "its code — re-save it with torch.save(model.state_dict(), ...)") from None
            problem = weight_file_problem(path)
            if problem:
                raise MetaCompressError(f"{what} {problem}") from None
            raise MetaCompressError(f"{what} is not a readable torch state dict ({_short(exc)}); re-save it with "
                                    f"{_RESAVE} or {_FETCH_AGAIN}") from None
    state, removed = strip_wrapper_prefixes(_parameters(tensors, what=what))
    if removed and (path.resolve(), removed) not in _announced:
        # Detection and loading both read the file: one note per file is enough.
        _announced.add((path.resolve(), removed))
        from ..console import warn

        warn(f"{what}: every key starts with {removed!r} (saved through torch.nn.DataParallel, "
             "DistributedDataParallel or torch.compile); reading the keys without it")
    return state


_FETCH_AGAIN = "download or copy it again"
_RESAVE = "torch.save(model.state_dict(), 'model.bin')"


def _bytes(n: int) -> str:
    return "1 byte" if n == 1 else f"{n:,} bytes"


def _short(exc: BaseException, limit: int = 120) -> str:
    """The first sentence of an exception's message, on one line and at most ``limit`` characters."""
    text = str(exc).split("WeightsUnpickler error:")[-1].strip()
    text = " ".join(text.split()) or type(exc).__name__
    text = text.split(". ")[0].rstrip(".")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def weight_file_problem(path: Path) -> str | None:
    """What is wrong with a weight file that failed to load, as the middle of a one-line message, or
    ``None`` when its structure looks whole (then the loader's own error is the best description).

    Recognised: an empty file; a Git LFS pointer or a web page saved in place of the weights; a
    safetensors file shorter than its header declares or with a damaged header; a ``torch.save`` zip
    archive whose end is missing (truncated) or whose contents fail their checksums; a TorchScript
    archive (``torch.jit.save``: a program, not a state dict); a legacy pickled ``torch.save`` file cut short.
    """
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if size == 0:
        return f"is an empty file (0 bytes): the download or copy did not finish; {_FETCH_AGAIN}"
    if head.startswith(b"version https://git-lfs"):
        return (f"is a Git LFS pointer ({_bytes(size)}), not the weights: run `git lfs pull` in its repository or "
                "download the file itself")
    if head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return f"is a web page ({_bytes(size)}), not weights (a failed download?); {_FETCH_AGAIN}"
    if head.startswith(b"PK\x03\x04") or (size < 4 and b"PK\x03\x04".startswith(head)):
        return _zip_problem(path, size)
    if path.suffix == ".safetensors" or (len(head) > 8 and head[8:9] == b"{"):
        return _safetensors_problem(path, size, head)
    if head[:1] == b"\x80":  # a pickle protocol marker: torch.save's legacy (non-zip) format
        return (f"is a damaged or incomplete torch.save file ({_bytes(size)}; it ends early or holds corrupted "
                f"bytes); {_FETCH_AGAIN}")
    return (f"is not a torch.save file nor safetensors (it starts with {head[:8]!r}); pass the state dict saved "
            f"with {_RESAVE}")


def _zip_problem(path: Path, size: int) -> str | None:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if any(n.endswith("/constants.pkl") or "/code/" in n for n in names):
                return (f"is a TorchScript archive (torch.jit.save: a compiled program), not a state dict; save the "
                        f"weights with {_RESAVE}")
            damaged = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return (f"is an incomplete torch.save archive ({_bytes(size)}; its end is missing — a truncated download or "
                f"copy); {_FETCH_AGAIN}")
    if damaged is not None:
        return f"is a damaged torch.save archive ({damaged} fails its checksum); {_FETCH_AGAIN}"
    return None


def _safetensors_problem(path: Path, size: int, head: bytes) -> str | None:
    if size < 8:
        return f"is too short ({_bytes(size)}) to be a safetensors file: truncated; {_FETCH_AGAIN}"
    header_size = int.from_bytes(head[:8], "little")
    if 8 + header_size > size:
        return (f"is incomplete: its header alone declares {_bytes(8 + header_size)}, the file has {_bytes(size)} (a truncated "
                f"download or copy, or not a safetensors file); {_FETCH_AGAIN}")
    try:
        with open(path, "rb") as fh:
            fh.seek(8)
            header = json.loads(fh.read(header_size))
        end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return f"is a damaged safetensors file (its header is not valid); {_FETCH_AGAIN}"
    expected = 8 + header_size + end
    if size < expected:
        return (f"is incomplete: {size:,} of the {expected:,} bytes its header declares (a truncated download or "
                f"copy); {_FETCH_AGAIN}")
    return None


#: Prefixes that wrappers put before every key of the module they wrap: ``torch.nn.DataParallel`` and
#: ``DistributedDataParallel`` (``module.``), a ``torch.compile``d module (``_orig_mod.``).
WRAPPER_PREFIXES = ("module.", "_orig_mod.")
_announced: set[tuple[Path, str]] = set()


def strip_wrapper_prefixes(state: dict) -> tuple[dict, str]:
    """``state`` with a wrapper's prefix removed from every key, when every key has it (repeatedly:
    ``module._orig_mod.…``), and the prefix removed (``""`` for none)."""
    removed = ""
    while state:
        prefix = next((p for p in WRAPPER_PREFIXES if all(k.startswith(p) for k in state)), None)
        if prefix is None:
            break
        state = {k[len(prefix):]: v for k, v in state.items()}
        removed += prefix
    return state, removed


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
