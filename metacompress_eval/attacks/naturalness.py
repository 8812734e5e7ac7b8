"""Candidate substitute names for identifier-renaming attacks.

Two sources, both returning names that are fresh for the snippet (see :class:`~.base.Subject`):

* **identifier statistics of a corpus** (:class:`CorpusRanker`) — names declared as locals or
  parameters in a corpus (counted with the scope analysis, like the ``corpus`` naming strategy of
  ``rename_variables``), most frequent first, after the synonym / case-style variants of the old
  name (``count`` → ``cnt``, ``num``, ...), which are the most natural substitutes of all. Without a
  corpus, the built-in per-language table and the natural-name list are used.
* **a masked language model** (:class:`MLMRanker`) — every occurrence of the identifier is
  replaced by the mask token and the MLM's log-probabilities at the masked positions are averaged;
  vocabulary entries that are identifiers, in order of that score, are the candidates (ALERT's
  naturalness criterion: what the MLM expects in that position). MLM forward passes do not query
  the attacked model and are not counted as queries.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import Iterable, Mapping

from metacompress_eval.code.names import BUILTIN_FREQUENCIES, NATURAL_NAMES, identifier_frequencies, synonym_variants
from metacompress_eval.errors import MetaCompressError

from .base import Subject, Variant

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def corpus_statistics(corpus: Mapping[str, int] | Iterable[str] | None, language: str) -> Counter:
    """``{name: count}`` from a frequency table, a list of snippets (scope analysis) or the built-ins."""
    if corpus is None:
        counts = Counter(BUILTIN_FREQUENCIES.get(language, BUILTIN_FREQUENCIES["c"]))
        for name in NATURAL_NAMES:  # natural names are plausible too, with the lowest weight
            counts[name] = counts.get(name, 0) or 1
        return counts
    if isinstance(corpus, Mapping):
        return Counter({str(k): int(v) for k, v in corpus.items() if int(v) > 0 and _IDENT.fullmatch(str(k))})
    counts = identifier_frequencies(list(corpus), language)
    if not counts:
        return corpus_statistics(None, language)
    return counts


class NameVocabulary:
    """Names the random and MHM searches draw from: corpus statistics, frequency-weighted."""

    def __init__(self, statistics: Counter) -> None:
        # Sorted so draws depend only on the seed, not on dict order.
        self.names = sorted(statistics)
        self.weights = [statistics[n] for n in self.names]

    def draw(self, rng: random.Random, subject: Subject, variant: Variant, index: int, tries: int = 30) -> str:
        """A fresh name for symbol ``index`` (frequency-weighted; random letters when none is free)."""
        for _ in range(tries):
            name = rng.choices(self.names, self.weights)[0] if self.names else ""
            if name and subject.is_fresh(name, variant, index) and name != subject.symbols[index].name:
                return name
        while True:  # vocabulary exhausted for this snippet: random identifiers, as rename_variables does
            length = rng.randint(3, 8)
            name = rng.choice("abcdefghijklmnopqrstuvwxyz") + "".join(
                rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(length - 1))
            if subject.is_fresh(name, variant, index):
                return name

    def sample(self, rng: random.Random, subject: Subject, variant: Variant, index: int, k: int) -> list[str]:
        """Up to ``k`` distinct fresh names for symbol ``index``."""
        out: list[str] = []
        for _ in range(3 * k):
            name = self.draw(rng, subject, variant, index)
            if name not in out:
                out.append(name)
            if len(out) == k:
                break
        return out


class CorpusRanker:
    """Substitutes ranked by naturalness from identifier statistics (no model needed)."""

    source = "corpus statistics"

    def __init__(self, statistics: Counter) -> None:
        self.ranked = [n for n, _ in sorted(statistics.items(), key=lambda item: (-item[1], item[0]))]

    def substitutes(self, subject: Subject, index: int, k: int) -> list[str]:
        symbol = subject.symbols[index]
        out: list[str] = []
        for name in synonym_variants(symbol.name, subject.language) + self.ranked:
            if len(out) == k:
                break
            if name not in out and name not in subject.taken:
                out.append(name)
        return out


class MLMRanker:
    """Substitutes ranked by a masked language model (``AutoModelForMaskedLM`` checkpoint).

    Falls back to ``fallback`` (corpus statistics) to fill up to ``k`` names when the MLM proposes
    fewer fresh identifiers.
    """

    source = "masked language model"

    def __init__(self, path: str, fallback: CorpusRanker, device: str = "cpu", max_length: int = 512) -> None:
        from transformers import AutoModelForMaskedLM, AutoTokenizer

        from ..hub_client import hub_errors

        # A folder without an MLM head, a missing tokenizer, a failing Hub, ...: bounded, one line.
        with hub_errors(f"--mlm {path!r} is not a masked-language-model checkpoint"):
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            self.model = AutoModelForMaskedLM.from_pretrained(path).to(device).eval()
        if self.tokenizer.mask_token is None:
            raise MetaCompressError(f"--mlm {path!r}: its tokenizer has no mask token")
        self.device = device
        self.max_length = min(max_length, getattr(self.tokenizer, "model_max_length", max_length) or max_length)
        self.fallback = fallback
        self.path = path
        vocab = self.tokenizer.convert_ids_to_tokens(list(range(len(self.tokenizer))))
        # Decoded form of every vocabulary entry that is a whole identifier (BPE "Ġname" -> "name").
        self._names = {}
        for token_id, token in enumerate(vocab):
            text = self.tokenizer.convert_tokens_to_string([token]).strip() if token else ""
            if _IDENT.fullmatch(text):
                self._names[token_id] = text

    def substitutes(self, subject: Subject, index: int, k: int) -> list[str]:
        import torch

        symbol = subject.symbols[index]
        text = masked_text(subject.parsed.data, symbol.occurrences(), self.tokenizer.mask_token)
        enc = self.tokenizer(text, truncation=True, max_length=self.max_length, return_tensors="pt")
        positions = (enc["input_ids"][0] == self.tokenizer.mask_token_id).nonzero().flatten()
        out: list[str] = []
        if positions.numel():
            with torch.inference_mode():
                logits = self.model(**{k2: v.to(self.device) for k2, v in enc.items()}).logits[0]
            scores = torch.log_softmax(logits[positions].float(), dim=-1).mean(0)
            for token_id in torch.argsort(scores, descending=True).tolist():
                name = self._names.get(token_id)
                if name and name not in out and name not in subject.taken:
                    out.append(name)
                    if len(out) == k:
                        break
        for name in self.fallback.substitutes(subject, index, k):
            if len(out) >= k:
                break
            if name not in out:
                out.append(name)
        return out


def masked_text(data: bytes, spans, mask: str) -> str:
    """``data`` with each ``(start, end)`` of ``spans`` (sorted byte spans) replaced by ``mask``.

    A mask that follows a non-space byte gets a leading space, which lets byte-level BPE produce the
    word-initial ("Ġ") form after it; after white space (a CR line break included) it needs none."""
    pieces, cursor = [], 0
    for start, end in spans:
        pieces.append(data[cursor:start].decode("utf-8", errors="replace"))
        pieces.append(" " + mask if start and data[start - 1:start] not in (b" ", b"\n", b"\t", b"\r") else mask)
        cursor = end
    pieces.append(data[cursor:].decode("utf-8", errors="replace"))
    return "".join(pieces)
