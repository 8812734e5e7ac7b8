"""Progress messages on stderr, the same way for every command (rich, one prefixed line each)."""

from __future__ import annotations

import sys
from typing import Callable

Log = Callable[[str], None]


def say(message: str, *, prefix: str = "metacompress") -> None:
    """Print ``message`` on stderr after a bold ``prefix``."""
    from rich.console import Console

    Console(stderr=True).print(f"[bold cyan]{prefix}[/] {message}", highlight=False)


def logger(enabled: bool, prefix: str = "metacompress") -> Log:
    """A ``log(message)`` function that prints through :func:`say`, or does nothing when not ``enabled``."""
    def log(message: str) -> None:
        if enabled:
            say(message, prefix=prefix)

    return log


def warn(message: str) -> None:
    """Print ``metacompress: warning: message`` on stderr as one plain line (also with ``--quiet``).

    Plain ``print`` rather than rich: a warning must stay one line whatever the terminal width.
    """
    print(f"metacompress: warning: {message}", file=sys.stderr, flush=True)
