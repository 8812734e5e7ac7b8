"""Model adapters. Today: Hugging Face ``AutoModelForSequenceClassification`` checkpoints."""

from .hf import LoadedModel, align_label_spaces, load_model, parse_label_map

__all__ = ["LoadedModel", "align_label_spaces", "load_model", "parse_label_map"]
