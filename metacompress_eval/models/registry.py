"""The adapter registry, detection of a checkpoint's adapter, and :func:`load_model`.

Detection (``adapter=None``), in order:

1. a folder written by ``metacompress import`` (``metacompress.json``), or a Hub repository holding one
   (fetched) → the adapter, options and input length it records;
2. a folder with ``config.json`` (and no lone state dict beside it) or a Hub id → ``hf``;
3. a table file (``.jsonl``, ``.csv``, ``.parquet`` …) → ``stored-outputs``;
4. a state dict (a ``.bin`` / ``.pt`` / ``.pth`` / ``.safetensors`` file, or a folder holding exactly
   one) → matched by its keys and shapes. ``compact-roberta`` is preferred where it claims the state
   dict (relative position embeddings, or a bare ``tokenizers`` file beside absolute ones), then the
   CodeXGLUE wrappers. When nothing matches, the message names the adapters and the keys seen.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any, Mapping

from ..errors import MetaCompressError
from .base import DTYPES, LoadedModel
from .files import STATE_DICT_SUFFIXES, load_state_dict, state_dict_files
from .options import flag, resolve_options

# name → module under metacompress_eval.models; each defines NAME, SUMMARY, OPTIONS and load(...).
ADAPTERS = {
    "hf": "hf",
    "codexglue-defect": "codexglue_defect",
    "codexglue-clone": "codexglue_clone",
    "compact-roberta": "compact_roberta",
    "stored-outputs": "stored_outputs",
}
# Order in which state-dict adapters are asked to claim a state dict (most specific first).
_STATE_DICT_ADAPTERS = ("compact-roberta", "codexglue-defect", "codexglue-clone")
SELF_DESCRIBING_FILE = "metacompress.json"
_HF_WEIGHTS = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
               "pytorch_model.bin.index.json", "tf_model.h5", "flax_model.msgpack")


def adapter_names() -> list[str]:
    """The built-in adapters (plugins come on top: ``python:module:factory``)."""
    return list(ADAPTERS)


def adapter_module(name: str):
    """The module implementing built-in adapter ``name``."""
    try:
        return importlib.import_module(f"{__package__}.{ADAPTERS[name]}")
    except KeyError:
        raise MetaCompressError(f"unknown adapter {name!r}; choose one of: {', '.join(ADAPTERS)}, or "
                                "python:MODULE:FACTORY (with --trust-remote-code)") from None


def describe_adapters() -> list[dict]:
    """Name, summary and options of every built-in adapter (for ``--help`` and the docs)."""
    result = []
    for name in ADAPTERS:
        module = adapter_module(name)
        result.append({"name": name, "summary": module.SUMMARY,
                       "options": {o.name: o.help for o in module.OPTIONS}})
    return result


def read_self_description(folder: Path) -> dict:
    """The ``metacompress.json`` of an imported folder: ``{"adapter": ..., "options": {...}, ...}``."""
    path = folder / SELF_DESCRIBING_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MetaCompressError(f"cannot read {path}: {exc}") from None
    if not isinstance(info, dict) or not isinstance(info.get("adapter"), str) or not isinstance(
            info.get("options", {}), dict):
        raise MetaCompressError(f"{path}: expected {{\"adapter\": NAME, \"options\": {{...}}}}")
    if info["adapter"] not in ADAPTERS and not info["adapter"].startswith("python:"):
        from . import plugin

        if info["adapter"] not in plugin.installed():
            raise MetaCompressError(f"{path}: unknown adapter {info['adapter']!r}; choose one of: "
                                    f"{', '.join(ADAPTERS)}, or python:MODULE:FACTORY")
    return info


def detect(name: str, *, role: str = "model") -> tuple[str, dict[str, Any]]:
    """The adapter for ``name`` and the options its folder records (see the module docstring)."""
    path = Path(name).expanduser()
    if path.is_dir():
        if (path / SELF_DESCRIBING_FILE).is_file():
            info = read_self_description(path)
            return info["adapter"], dict(info.get("options") or {})
        lone = state_dict_files(path)
        has_config = (path / "config.json").is_file()
        if has_config and (any((path / f).is_file() for f in _HF_WEIGHTS) or len(lone) != 1):
            return "hf", {}
        if not lone:
            raise MetaCompressError(
                f"{role} {name!r} is not a model folder: it has no config.json (a save_pretrained folder) and no "
                "state dict (model.bin, *.pt, *.pth, *.safetensors)")
        if len(lone) > 1:
            raise MetaCompressError(f"{role} {name!r} holds several state dicts ({', '.join(p.name for p in lone)}); "
                                    "name the file to load")
        return _match_state_dict(lone[0], role=role), {}
    if path.is_file():
        if adapter_module("stored-outputs").claims(path):
            return "stored-outputs", {}
        if path.suffix in STATE_DICT_SUFFIXES:
            return _match_state_dict(path, role=role), {}
        raise MetaCompressError(f"{role} {name!r}: not a model file (a state dict {', '.join(STATE_DICT_SUFFIXES)}, "
                                "or a table of stored outputs) nor a model folder")
    return "hf", {}  # a Hub id, or a path that does not exist (the hf adapter says which)


def _from_hub_if_imported(name: str) -> str:
    """The local snapshot of a Hub repository written by ``metacompress import``, else ``name`` unchanged.

    Only ``metacompress.json`` is fetched to decide; an ordinary ``transformers`` repository (or no
    network) leaves the name to the ``hf`` adapter, which fetches and reports as before.
    """
    from .files import looks_like_hub_id

    if Path(name).expanduser().exists() or not looks_like_hub_id(name) or "/" not in name:
        return name
    from ..hub_client import configure

    configure()  # bounded waits here too: an endpoint that never answers held this call forever
    try:
        from huggingface_hub import hf_hub_download, snapshot_download

        hf_hub_download(name, SELF_DESCRIBING_FILE)
        return snapshot_download(name)
    except Exception:  # not an imported repository, not reachable: the hf adapter decides and explains
        return name


def _match_state_dict(path: Path, *, role: str) -> str:
    from .roberta import key_patterns

    state = load_state_dict(path, what=f"{role} {path}")
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    for name in _STATE_DICT_ADAPTERS:
        if adapter_module(name).claims(shapes, path.parent):
            return name
    summaries = "; ".join(f"{n}: {adapter_module(n).SUMMARY}" for n in _STATE_DICT_ADAPTERS)
    raise MetaCompressError(
        f"{role} {path}: no adapter recognises this state dict ({len(state)} tensors; keys: {key_patterns(state, 10)}). "
        f"Adapters: {summaries}. Name one with {flag(role, 'adapter')} NAME, or write your own (python:MODULE:FACTORY)")


def load_model(name: str, *, role: str = "model", tokenizer: str | None = None, device: str = "cpu",
               max_length: int | None = None, trust_remote_code: bool = False, adapter: str | None = None,
               options: Mapping[str, Any] | None = None, dtype: str = "float32") -> LoadedModel:
    """Load a model through its adapter.

    Args:
        name: a ``save_pretrained`` folder or Hub id (``hf``), a state dict or a folder holding one, an
            imported folder, or a file of stored outputs.
        role: ``teacher`` / ``student`` (for messages and option flags).
        tokenizer: a tokenizer folder, file or Hub id when the model has none beside it.
        device: torch device.
        max_length: input length in tokens (per member of a pair for pair encoders); default: the
            model's own (``hf``: its limit, at most 512; CodeXGLUE: 400; compact students: their positions).
        trust_remote_code: allow custom modelling code (``hf``) and plugin adapters; off unless asked for.
        adapter: an adapter name, ``python:MODULE:FACTORY``, or ``None`` to detect it.
        options: adapter options (``key → value``; text values are parsed), on top of any the folder records.
        dtype: ``float32`` (default), ``bfloat16`` or ``float16``: the precision the model runs in
            (see :meth:`LoadedModel.cast`).
    """
    if dtype not in DTYPES:
        raise MetaCompressError(f"unknown --dtype {dtype!r}; choose one of: {', '.join(DTYPES)}")
    loaded = _load(name, role=role, tokenizer=tokenizer, device=device, max_length=max_length,
                   trust_remote_code=trust_remote_code, adapter=adapter, options=options)
    loaded.cast(dtype)
    return loaded


def _load(name: str, *, role: str, tokenizer: str | None, device: str, max_length: int | None,
          trust_remote_code: bool, adapter: str | None, options: Mapping[str, Any] | None) -> LoadedModel:
    recorded: dict[str, Any] = {}
    asked, name = name, _from_hub_if_imported(name)
    folder = Path(name).expanduser()
    if folder.is_dir() and (folder / SELF_DESCRIBING_FILE).is_file():
        info = read_self_description(folder)
        if adapter in (None, "", "auto", info["adapter"]):
            adapter, recorded = info["adapter"], dict(info.get("options") or {})
            if max_length is None and isinstance(info.get("max_length"), int):
                max_length = info["max_length"]
    elif adapter in (None, "", "auto"):
        adapter, recorded = detect(name, role=role)
    given = {**recorded, **dict(options or {})}
    if adapter not in ADAPTERS:
        from . import plugin

        if not adapter.startswith(plugin.PREFIX) and adapter not in plugin.installed():
            adapter_module(adapter)  # a typo: the message lists the adapters there are
        return check_label_names(plugin.load(adapter, name, role=role, tokenizer=tokenizer, device=device,
                                             max_length=max_length, trust_remote_code=trust_remote_code,
                                             options=given), role)
    module = adapter_module(adapter)
    resolved = resolve_options(module.OPTIONS, given, adapter=adapter, role=role)
    model = module.load(name, role=role, tokenizer=tokenizer, device=device, max_length=max_length,
                        trust_remote_code=trust_remote_code, options=resolved)
    model.name = asked  # the repository id, not the local snapshot it was read from
    return check_label_names(model, role)


def check_label_names(model: LoadedModel, role: str) -> LoadedModel:
    """Refuse a model whose class names repeat: labels are aligned and reported by name."""
    names = model.label_names
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise MetaCompressError(f"{role} {model.name}: class name(s) {', '.join(repeated)} appear more than once in "
                                f"its labels {names}; each class needs its own name")
    return model
