"""Model adapters: every kind of checkpoint behind one interface (docs/adapters.md).

* ``hf`` — ``AutoModelForSequenceClassification`` folders and Hub ids;
* ``codexglue-defect`` / ``codexglue-clone`` — state dicts saved by the CodeXGLUE fine-tuning scripts;
* ``compact-roberta`` — Compressor / AVATAR / MORPH students, relative position embeddings included;
* ``stored-outputs`` — a file of logits or probabilities per input id;
* plugins — ``python:MODULE:FACTORY`` or the ``metacompress_eval.adapters`` entry points (need
  ``trust_remote_code``).

:func:`load_model` detects the adapter when none is named.
"""

from .base import LoadedModel
from .labels import align_label_spaces, parse_label_map
from .options import Option, parse_option_pairs
from .registry import adapter_names, describe_adapters, detect, load_model

__all__ = ["LoadedModel", "Option", "adapter_names", "align_label_spaces", "describe_adapters", "detect", "load_model",
           "parse_label_map", "parse_option_pairs"]
