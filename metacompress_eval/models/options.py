"""Adapter options: ``--student-option key=value`` parsed against what each adapter declares."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ..errors import MetaCompressError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
KINDS = (str, int, float, bool, list)


@dataclass(frozen=True)
class Option:
    """One setting an adapter accepts.

    Attributes:
        name: the key in ``key=value``.
        help: one line for ``--help`` and the docs.
        default: the value when not given (``None``: decided by the adapter, e.g. read from the weights).
        kind: ``str``, ``int``, ``float``, ``bool`` or ``list`` (comma-separated text).
        choices: allowed values of a ``str`` option.
        positive: a number (``int``/``float``) must be above zero; ``False``: any finite number.

    A declaration is checked when it is made (a wrong ``kind``, ``choices`` on a non-``str`` option, a
    default its own ``parse`` refuses are errors), and the default is stored parsed: a ``list``
    default given as ``"a,b"`` arrives as ``["a", "b"]``, as a value given on the command line would.
    """

    name: str
    help: str
    default: Any = None
    kind: type = str
    choices: tuple[str, ...] | None = None
    positive: bool = True

    def __post_init__(self) -> None:
        where = f"adapter option {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip() or "=" in self.name:
            raise MetaCompressError(f"{where}: a name is a non-empty text without '='")
        if self.kind not in KINDS:
            raise MetaCompressError(f"{where}: kind must be one of the types {', '.join(k.__name__ for k in KINDS)} "
                                    f"(got {self.kind!r})")
        if self.choices is not None:
            if self.kind is not str:
                raise MetaCompressError(f"{where}: choices apply to a str option only")
            if isinstance(self.choices, str) or not all(isinstance(c, str) for c in self.choices) or not self.choices:
                raise MetaCompressError(f"{where}: choices must be a non-empty tuple of texts")
            object.__setattr__(self, "choices", tuple(self.choices))
        if self.default is not None:
            object.__setattr__(self, "default", self.parse(self.default, f"{where}, its default"))

    def parse(self, value: Any, where: str) -> Any:
        """The typed value of ``value`` (text from the command line, or already typed)."""
        problem = f"{where}: option {self.name}={value!r}"
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in _TRUE | _FALSE:
                return text in _TRUE
            raise MetaCompressError(f"{problem} is not a boolean (true/false)")
        if self.kind is list:
            items = value if isinstance(value, (list, tuple)) else str(value).split(",")
            items = [str(v).strip() for v in items if str(v).strip()]
            if not items:
                raise MetaCompressError(f"{problem} is empty")
            repeated = sorted({v for v in items if items.count(v) > 1})
            if repeated:
                raise MetaCompressError(f"{problem} names {', '.join(repeated)} more than once")
            return items
        if self.kind in (int, float):
            try:
                number = self.kind(value)
            except (TypeError, ValueError, OverflowError):  # int(inf) overflows
                raise MetaCompressError(f"{problem} is not a{'n integer' if self.kind is int else ' number'}") from None
            if isinstance(value, bool) or (self.kind is int and isinstance(value, float) and not value.is_integer()):
                raise MetaCompressError(f"{problem} is not a{'n integer' if self.kind is int else ' number'}")
            if not math.isfinite(number) or (self.positive and number <= 0):
                raise MetaCompressError(f"{problem} must be a finite{' positive' if self.positive else ''} number")
            return number
        text = str(value).strip()
        if self.choices and text not in self.choices:
            raise MetaCompressError(f"{problem} is not one of: {', '.join(self.choices)}")
        return text


def flag(role: str, what: str) -> str:
    """The command-line flag that sets ``what`` (``tokenizer``, ``option``, ``adapter``) for a model in ``role``.

    ``evaluate`` names its models' flags by role (``--student-tokenizer``); ``attack`` and ``import``
    take one model, loaded in the role ``model``, and their flags carry no prefix (``--tokenizer``).
    """
    return f"--{what}" if role == "model" else f"--{role}-{what}"


def parse_option_pairs(pairs: Sequence[str] | None, flag: str = "--option") -> dict[str, str]:
    """``["a=1", "b=x"]`` → ``{"a": "1", "b": "x"}`` (the CLI's repeated ``--…-option key=value``)."""
    result: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise MetaCompressError(f"{flag} takes key=value, got {pair!r}")
        key = key.strip()
        if key in result:  # silently keeping one of two values would run a model the user did not ask for
            raise MetaCompressError(f"{flag} {key} given twice ({result[key]!r} and {value.strip()!r}); give it once")
        result[key] = value.strip()
    return result


def resolve_options(declared: Sequence[Option], given: Mapping[str, Any] | None, *, adapter: str,
                    role: str) -> dict[str, Any]:
    """Every declared option with its typed value (defaults filled in); unknown keys are an error."""
    given = dict(given or {})
    known = {o.name: o for o in declared}
    unknown = sorted(k for k in given if k not in known)
    if unknown:
        takes = f"it takes: {', '.join(known)}" if known else "it takes none"
        raise MetaCompressError(f"{role}: unknown option(s) {', '.join(unknown)} for the {adapter} adapter; {takes}")
    where = f"{role} ({adapter})"
    return {name: (opt.parse(given[name], where) if name in given and given[name] is not None else opt.default)
            for name, opt in known.items()}
