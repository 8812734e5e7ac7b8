"""Build hooks (all metadata is in pyproject.toml): ship ``metacompress_eval_evaluate.pth`` at the top of the
wheel, and the repository's ``cards/`` templates as package data in ``metacompress_eval/hub/cards/``.

``cards/`` stays the one source of truth in the repository (``metacompress_eval.hub.templates`` reads it
there in a checkout); the wheel carries a copy because an installed package cannot see the checkout.

The ``.pth`` line runs :mod:`metacompress_evaluate_hook` (and through it ``metacompress_eval/hub/_startup.py``,
loaded by path without importing the package) when Python starts, which registers the
``metacompress`` evaluate module in evaluate's modules cache, so ``evaluate.load("metacompress")``
works offline from any working directory right after ``pip install metacompress-eval``.
(setuptools' editable wheels do not carry extra ``.pth`` files; there, importing
``metacompress_eval.hub`` or ``metacompress evaluate-module --install`` does the same.)
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "metacompress_eval_evaluate.pth"
CARDS = "cards"
CARDS_IN_PACKAGE = os.path.join("metacompress_eval", "hub", "cards")


def _card_templates():
    return sorted(name for name in os.listdir(CARDS) if os.path.isfile(os.path.join(CARDS, name)))


class BuildPyWithPth(build_py):
    """``build_py`` that also copies the start-up ``.pth`` file and the card templates."""

    def run(self):
        super().run()
        self.copy_file(PTH, os.path.join(self.build_lib, PTH), preserve_mode=0)
        target = os.path.join(self.build_lib, CARDS_IN_PACKAGE)
        self.mkpath(target)
        for name in _card_templates():
            self.copy_file(os.path.join(CARDS, name), os.path.join(target, name), preserve_mode=0)

    def get_outputs(self, include_bytecode=1):
        cards = [os.path.join(self.build_lib, CARDS_IN_PACKAGE, name) for name in _card_templates()]
        return super().get_outputs(include_bytecode) + [os.path.join(self.build_lib, PTH)] + cards


setup(cmdclass={"build_py": BuildPyWithPth})
