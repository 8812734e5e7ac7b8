"""Fixtures of the adapter tests: the students' kind of tokenizer, trained on the shared snippets."""

from __future__ import annotations

import pytest

from .tiny import train_bare_tokenizer


@pytest.fixture(scope="session")
def tokenizer_file(tmp_path_factory, corpus_texts):
    return train_bare_tokenizer(corpus_texts, 260, tmp_path_factory.mktemp("tok") / "tokenizer.json")
