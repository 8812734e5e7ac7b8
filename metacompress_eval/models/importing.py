"""``metacompress import``: turn a published checkpoint into a self-describing folder.

The folder holds everything needed to load the model with no flags — by ``evaluate``, ``attack``,
``card``, the Space, or from the Hub after a push:

* ``model.safetensors`` — the state dict, with the checkpoint's own key names;
* the tokenizer (``tokenizer.json``; plus ``tokenizer_config.json`` … for a ``transformers`` tokenizer);
* ``metacompress.json`` — the adapter, every option resolved (what the weights could not tell, and
  what came from the pretrained model's config), the input length and the label names;
* ``README.md`` — a model card: what the model is, its architecture and input format, how to evaluate it.

The folder is written beside its destination and renamed into place, so a failed import leaves
nothing half-written; before that, it is loaded back and must give the source's outputs.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .. import __version__
from ..errors import MetaCompressError
from .base import LoadedModel
from .registry import SELF_DESCRIBING_FILE, load_model

IMPORTABLE = ("codexglue-defect", "codexglue-clone", "compact-roberta")
_PROBES = ["int add(int a, int b) { return a + b; }",
           "public static void main(String[] args) {\n    for (int i = 0; i < 3; i++) { System.out.println(i); }\n}",
           "def f(x):\n    return [y * 2 for y in x if y]"]


@dataclass
class ImportResult:
    """What was written."""

    folder: Path
    adapter: str
    files: list[str]
    model: LoadedModel


def recorded_options(model: LoadedModel) -> dict[str, Any]:
    """The options that reproduce ``model`` exactly, every one resolved (for ``metacompress.json``)."""
    arch = model.describe()["architecture"]
    options: dict[str, Any] = {"heads": arch["num_heads"], "activation": arch["activation"],
                               "layer_norm_eps": arch["layer_norm_eps"], "labels": list(model.label_names)}
    if model.adapter == "compact-roberta":
        options.update(attention=arch["position"], normalise=arch["whitespace_normalised"],
                       special_tokens=arch["special_tokens"])
    return options


def model_card(model: LoadedModel, *, source: str, name: str) -> str:
    """The README.md of an imported folder (YAML front matter for the Hub, then the card)."""
    arch = model.describe()["architecture"]
    head = "a pair of functions (each encoded on its own, first-token vectors side by side)" if arch["members"] == 2 \
        else "one function"
    outputs = ("one sigmoid output, reported as two classes [1 − σ, σ]" if arch["num_outputs"] == 1
               else f"{arch['num_outputs']} class logits")
    position = {"absolute": "absolute", "relative_key": "relative (relative_key)",
                "relative_key_query": "relative (relative_key_query)"}[arch["position"]]
    rows = [("adapter", f"`{model.adapter}`"), ("vocabulary", arch["vocab_size"]), ("hidden size", arch["hidden_size"]),
            ("layers", arch["num_layers"]), ("attention heads", arch["num_heads"]),
            ("intermediate size", arch["intermediate_size"]), ("positions", f"{arch['positions']}, {position}"),
            ("activation", arch["activation"]), ("input", head), ("head", outputs),
            ("labels", ", ".join(model.label_names)), ("parameters", f"{model.num_parameters():,}")]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    wrap = "`<s>` + the first {0} token ids + `</s>`".format(arch["block_size"] - 2) if arch["special_tokens"] \
        else f"the first {arch['block_size']} token ids"
    normalise = "whitespace-normalised (`\" \".join(code.split())`), " if arch["whitespace_normalised"] else ""
    task = "clone" if arch["members"] == 2 else "defect"
    return f"""---
library_name: metacompress-eval
pipeline_tag: text-classification
tags:
- metacompress-eval
- code
- knowledge-distillation
- {model.adapter}
---

# {name}

A `{model.adapter}` checkpoint imported with `metacompress import` from `{source}`
(metacompress-eval {__version__}). The weights are the original state dict, unchanged, in
`model.safetensors`; `metacompress.json` records how to run them, so MetaCompress Eval loads this folder
(or its Hub repository) with no flags.

| | |
|---|---|
{table}

**Input format.** Each code input is {normalise}tokenised with `tokenizer.json`, and encoded as {wrap}
(block size {arch['block_size']}), with `<pad>` positions masked — exactly as the checkpoint was trained.

**Evaluate it** against its teacher (docs: `docs/adapters.md` of metacompress-eval):

```bash
metacompress evaluate --task {task} --teacher TEACHER --student PATH_OR_REPO_ID --data DATA.jsonl --out report/
metacompress card --report report/ --card README.md   # adds the behavioural-fidelity section here
```

Source fingerprint (weights, tokenizer, settings): `{model.fingerprint}`.
"""


def import_checkpoint(source: str, dest: str | os.PathLike, *, adapter: str | None = None,
                      options: Mapping[str, Any] | None = None, tokenizer: str | None = None,
                      max_length: int | None = None, name: str | None = None) -> ImportResult:
    """Load ``source`` through its adapter and write the self-describing folder ``dest`` (see the module docstring).

    Raises:
        MetaCompressError: when ``dest`` exists and is not empty, the adapter cannot be imported
            (``hf`` folders are self-describing already; stored outputs are not a model), or the
            checkpoint does not load.
    """
    import numpy as np

    from .checkpoint import locate_weights
    from .files import load_state_dict

    from ..fileio import temp_folder_beside
    from ..outputs import lock_output, output_path

    out = output_path(dest, "import folder")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise MetaCompressError(f"{out} exists and is not empty; choose a new folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_output(out, "import folder")  # before the (long) load: a second import into it stops now
    model = load_model(source, role="model", tokenizer=tokenizer, max_length=max_length, adapter=adapter,
                       options=options)
    if model.adapter not in IMPORTABLE:
        why = ("a save_pretrained folder is self-describing already" if model.adapter == "hf"
               else "only state-dict checkpoints are imported")
        raise MetaCompressError(f"{source}: the {model.adapter} adapter cannot be imported ({why}); importable: "
                                f"{', '.join(IMPORTABLE)}")
    weights, _ = locate_weights(source, role="model")
    state = load_state_dict(weights, what=f"model {weights}")
    work = temp_folder_beside(out)  # .NAME.tmp-<pid>-<namespace>-<random>: a killed import's is swept by the next run
    from ..public_names import loaded_model_name

    # The card and metacompress.json travel: they name the source by its folder, never by a machine path.
    public = loaded_model_name(str(Path(source).parent if Path(source).is_file() else source))
    try:
        _write(work, model, state, source=public, name=name or public)
        again = load_model(str(work), role="model")
        probes = [tuple(_PROBES[(i + j) % len(_PROBES)] for j in range(model.members)) for i in range(len(_PROBES))]
        first, second = (m.forward(m.collate(m.encode(probes))) for m in (model, again))
        if again.adapter != model.adapter or not np.allclose(first, second, atol=1e-5):
            raise MetaCompressError(f"{source}: the imported folder does not reproduce the checkpoint's outputs")
        umask = os.umask(0)
        os.umask(umask)
        for path in work.iterdir():  # mkdtemp's folder is private; the import is an ordinary folder
            path.chmod(0o666 & ~umask)
        work.chmod(0o777 & ~umask)
        if out.exists():
            out.rmdir()
        os.replace(work, out)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return ImportResult(folder=out, adapter=model.adapter, files=sorted(p.name for p in out.iterdir()), model=model)


def _write(folder: Path, model: LoadedModel, state: dict, *, source: str, name: str) -> None:
    from safetensors.torch import save_file

    from .roberta import DROPPED_SUFFIXES

    tensors = {k: v.detach().contiguous().clone() for k, v in state.items() if not k.endswith(DROPPED_SUFFIXES)}
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})
    if model.adapter == "compact-roberta":
        shutil.copyfile(model.tokenizer_path, folder / "tokenizer.json")  # the student's own file, byte for byte
    else:
        model.tokenizer.save_pretrained(str(folder))
    info = {"format": 1, "adapter": model.adapter, "options": recorded_options(model),
            "max_length": model.max_length, "labels": list(model.label_names),
            "source": {"path": source, "fingerprint": model.fingerprint}, "tool": f"metacompress-eval {__version__}"}
    (folder / SELF_DESCRIBING_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(model_card(model, source=source, name=name), encoding="utf-8")
