"""Fixtures of the verification tests: ``need_gcc`` takes gcc or clang (the checker uses whichever is
installed). The other tools and the shared corpora come from tests/conftest.py."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture
def need_gcc():
    if shutil.which("gcc") is None and shutil.which("clang") is None:
        pytest.skip("no C compiler installed")
