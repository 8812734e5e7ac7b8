"""Torch and tokenizer helpers shared by the demo trainers and the distillation recipes.

These were first written for :mod:`metacompress_eval.demo.training` and moved here so that the
recipes in :mod:`metacompress_eval.distill` reuse them instead of keeping a second copy; the demo
module imports them back under its old private names. Everything here is deliberately small and
framework-free (a plain torch loop): the models are tiny and trained on CPU, where a trainer
framework would cost more than it saves.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Mapping, Sequence

import torch
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast, RobertaConfig, RobertaForSequenceClassification

__all__ = [
    "SPECIAL_TOKENS",
    "train_tokenizer",
    "seed_everything",
    "encode",
    "encode_inputs",
    "length_batches",
    "collate",
    "logits_of",
    "make_optimiser",
    "roberta_classifier",
    "count_parameters",
]

# RoBERTa's special-token order, so that <pad> gets id 1 as RobertaConfig assumes.
SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def train_tokenizer(texts: Sequence[str], vocab_size: int, out_dir: str | Path, *,
                    max_length: int = 512, normalize_whitespace: bool = False,
                    phrases: bool = False) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE tokenizer with RoBERTa special tokens and save it to ``out_dir``.

    The post-processor wraps single texts as ``<s> A </s>`` and pairs as
    ``<s> A </s></s> B </s>``, like RoBERTa. ``max_length`` becomes ``model_max_length`` so that
    ``truncation=True`` cuts at the model's context size. With ``normalize_whitespace`` every run
    of whitespace is collapsed to one space before tokenizing, so indentation and line breaks cost
    no tokens (and the model cannot see formatting at all). With ``phrases`` BPE also merges across
    spaces and punctuation (no pre-tokenization; pieces of at most 16 characters), so frequent
    phrases such as ``<= n)`` or ``free(p);`` become single tokens: sequences get 2-3 times shorter and
    a small model sees, token by token, the local patterns it would otherwise have to learn to compose.

    Returns the tokenizer as a :class:`~transformers.PreTrainedTokenizerFast`; the saved folder
    loads with ``AutoTokenizer.from_pretrained(out_dir)``. BPE stops merging when no pair occurs
    twice, so on a small corpus the vocabulary can end up smaller than ``vocab_size``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    if normalize_whitespace:
        tok.normalizer = normalizers.Replace(Regex(r"\s+"), " ")
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=not phrases)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
        **({"max_token_length": 16} if phrases else {}),
    )
    tok.train_from_iterator(list(texts), trainer=trainer)
    # Positional: the keyword for the CLS pair changed name across tokenizers releases.
    tok.post_processor = processors.RobertaProcessing(
        ("</s>", tok.token_to_id("</s>")), ("<s>", tok.token_to_id("<s>")), True, False
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>", eos_token="</s>", cls_token="<s>", sep_token="</s>",
        unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
        model_max_length=max_length,
    )
    fast.save_pretrained(str(out_dir))
    return fast


def seed_everything(seed: int) -> None:
    """Seed Python's and torch's generators."""
    random.seed(seed)
    torch.manual_seed(seed)


def encode(tokenizer, texts: Sequence[str], max_length: int) -> list[list[int]]:
    """Token ids of single texts, truncated to ``max_length``."""
    return tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]


def encode_inputs(tokenizer, inputs: Sequence[Sequence[str]], max_length: int) -> list[list[int]]:
    """Token ids of model inputs: one text, or a pair encoded as the tokenizer's text pair.

    Pairs go through ``tokenizer(first, second)`` exactly as :class:`metacompress_eval.inference.
    InferenceEngine` feeds them at evaluation time, so a student is trained on the input format it
    is evaluated on (``<s> A </s></s> B </s>``, truncated longest-first).
    """
    if not inputs:
        return []
    if len(inputs[0]) == 2:
        return tokenizer([i[0] for i in inputs], [i[1] for i in inputs], truncation=True,
                         max_length=max_length)["input_ids"]
    return encode(tokenizer, [i[0] for i in inputs], max_length)


def length_batches(lengths: Sequence[int], batch_size: int, rng: random.Random | None) -> list[list[int]]:
    """Index batches of similar length (less padding); shuffled when ``rng`` is given."""
    order = list(range(len(lengths)))
    if rng is None:
        order.sort(key=lambda k: lengths[k])
        return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(order)
    chunk = batch_size * 8
    batches = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c:c + chunk], key=lambda k: lengths[k])
        batches += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(ids: Sequence[Sequence[int]], idx: Sequence[int], pad_id: int,
            device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded ``input_ids`` and ``attention_mask`` for rows ``idx`` of ``ids``."""
    width = max(len(ids[k]) for k in idx)
    input_ids = torch.full((len(idx), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    for row, k in enumerate(idx):
        input_ids[row, :len(ids[k])] = torch.tensor(ids[k])
        mask[row, :len(ids[k])] = 1
    return input_ids.to(device), mask.to(device)


def logits_of(model, ids: Sequence[Sequence[int]], pad_id: int, batch_size: int = 64,
              device: str | torch.device = "cpu") -> torch.Tensor:
    """Logits (on CPU) for pre-tokenized inputs, in input order; leaves the model in eval mode."""
    model.eval()
    out = torch.empty((len(ids), model.config.num_labels))
    with torch.inference_mode():
        for idx in length_batches([len(x) for x in ids], batch_size, None):
            input_ids, mask = collate(ids, idx, pad_id, device)
            out[idx] = model(input_ids=input_ids, attention_mask=mask).logits.float().cpu()
    return out


def make_optimiser(model, learning_rate: float, total_steps: int, *, weight_decay: float = 0.01):
    """AdamW (no decay on embeddings, biases, layer norms) with linear warm-up then cosine decay."""
    decay = [w for n, w in model.named_parameters() if w.ndim >= 2 and "embeddings" not in n]
    no_decay = [w for n, w in model.named_parameters() if not (w.ndim >= 2 and "embeddings" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=learning_rate)
    warmup = max(1, total_steps // 10)

    # Linear warm-up then cosine decay: from-scratch transformers are unstable without warm-up.
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return opt, torch.optim.lr_scheduler.LambdaLR(opt, factor)


def roberta_classifier(tokenizer, *, hidden_size: int, num_layers: int, num_heads: int, intermediate_size: int,
                       max_length: int, id2label: Mapping[int, str], dropout: float = 0.1,
                       vocab_size: int | None = None) -> RobertaForSequenceClassification:
    """A freshly initialised ``RobertaForSequenceClassification`` sized for ``tokenizer``.

    ``vocab_size`` defaults to ``len(tokenizer)`` (the vocabulary the tokenizer really has, which
    may be smaller than the one asked of BPE).
    """
    config = RobertaConfig(
        vocab_size=len(tokenizer) if vocab_size is None else vocab_size,
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=intermediate_size,
        # RoBERTa offsets positions by padding_idx + 1.
        max_position_embeddings=max_length + 2,
        type_vocab_size=1,
        hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        num_labels=len(id2label),
        id2label={int(k): str(v) for k, v in id2label.items()},
        label2id={str(v): int(k) for k, v in id2label.items()},
    )
    return RobertaForSequenceClassification(config)


def count_parameters(model) -> int:
    """Number of parameters of a model."""
    return sum(p.numel() for p in model.parameters())
