"""Build hook: ship ``metacompress_eval_evaluate.pth`` at the top of the wheel (all metadata is in pyproject.toml).

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


class BuildPyWithPth(build_py):
    """``build_py`` that also copies the start-up ``.pth`` file next to the package."""

    def run(self):
        super().run()
        self.copy_file(PTH, os.path.join(self.build_lib, PTH), preserve_mode=0)

    def get_outputs(self, include_bytecode=1):
        return super().get_outputs(include_bytecode) + [os.path.join(self.build_lib, PTH)]


setup(cmdclass={"build_py": BuildPyWithPth})
