"""Fixtures for the transformation tests."""

import shutil

import pytest


@pytest.fixture
def need_gcc():
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")


@pytest.fixture
def need_javac():
    if shutil.which("javac") is None:
        pytest.skip("javac not installed")
