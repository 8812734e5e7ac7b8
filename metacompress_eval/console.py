"""Progress messages on stderr, the same way for every command (rich, one prefixed line each)."""

from __future__ import annotations

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
