"""The relation registry and the threshold values it implies.

Relations are registered once (the built-in four in :mod:`metacompress_eval.relations`); every
consumer asks the registry at call time, so a relation registered later — by a plug-in or a test —
appears in the analysis, the reports, the card, the Space, the CLI and the ``evaluate`` module
alike. :class:`Thresholds` holds a value for every threshold the registered relations read, plus
the analysis' own settings (:data:`ANALYSIS_SETTINGS`).
"""

from __future__ import annotations

from typing import Any, Iterator

from ..errors import MetaCompressError
from .base import Relation, Threshold

_RELATIONS: dict[str, Relation] = {}

#: Settings of the analysis itself (not of one relation), listed after the relations' thresholds.
ANALYSIS_SETTINGS: tuple[Threshold, ...] = (
    Threshold("ece_bins", 10, "equal-width confidence bins of the expected calibration error (set-level CA)",
              "a positive integer", lambda v: int(v) == v and v >= 1),
    Threshold("ece_tolerance", 0.05, "the two models are calibration-aligned when |ECE_S − ECE_T| ≤ this"),
    Threshold("bootstrap_resamples", 2000, "resamples of every bootstrap interval", "an integer >= 100",
              lambda v: int(v) == v and v >= 100),
)


def register_relation(relation: Relation) -> Relation:
    """Add ``relation`` to the registry (after the ones already there) and return it.

    Raises:
        MetaCompressError: when its key or abbreviation is taken, or it redefines a threshold
            another relation already declares under the same name.
    """
    for other in _RELATIONS.values():
        if relation.key == other.key or relation.abbreviation == other.abbreviation:
            raise MetaCompressError(f"relation {relation.key!r} ({relation.abbreviation}) is already registered")
    known = {t.name: t for t in list_thresholds()}
    for t in relation.thresholds:
        if t.name in known and known[t.name] != t:
            raise MetaCompressError(f"relation {relation.key!r} redefines threshold {t.name!r}; "
                                    "share the existing Threshold record instead")
    _RELATIONS[relation.key] = relation
    return relation


def unregister_relation(key: str) -> Relation:
    """Remove the relation ``key`` from the registry and return it (for plug-ins and tests)."""
    try:
        return _RELATIONS.pop(key)
    except KeyError:
        raise MetaCompressError(f"no relation {key!r} is registered") from None


def list_relations() -> tuple[Relation, ...]:
    """Every registered relation, in report order."""
    return tuple(_RELATIONS.values())


def relation_keys() -> tuple[str, ...]:
    """The keys of :func:`list_relations`, in report order."""
    return tuple(_RELATIONS)


def get_relation(key: str) -> Relation:
    """The relation registered under ``key``."""
    try:
        return _RELATIONS[key]
    except KeyError:
        raise MetaCompressError(f"unknown relation {key!r}; registered: {', '.join(_RELATIONS)}") from None


def list_thresholds() -> tuple[Threshold, ...]:
    """Every threshold: those of the registered relations in registry order, then the analysis settings."""
    seen: dict[str, Threshold] = {}
    for relation in _RELATIONS.values():
        for t in relation.thresholds:
            seen.setdefault(t.name, t)
    for t in ANALYSIS_SETTINGS:
        seen.setdefault(t.name, t)
    return tuple(seen.values())


def _threshold(name: str) -> Threshold | None:
    return next((t for t in list_thresholds() if t.name == name), None)


class Thresholds:
    """Values of the relations' thresholds and the analysis settings; immutable.

    ``Thresholds(jsd_max=0.02)`` takes any registered threshold by name, fills the others with
    their defaults and checks every value (:class:`MetaCompressError` names the first bad one).
    Values read as attributes (``th.jsd_max``); :meth:`as_dict` gives all of them in registry order.
    Defaults and their reasons are in ``docs/relations.md``.
    """

    __slots__ = ("_values",)

    def __init__(self, **values: Any) -> None:
        known = list_thresholds()
        names = {t.name for t in known}
        unknown = [k for k in values if k not in names]
        if unknown:
            raise MetaCompressError(f"unknown threshold(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        full = {t.name: values.get(t.name, t.default) for t in known}
        for t in known:
            try:
                ok = bool(t.valid(full[t.name]))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise MetaCompressError(f"invalid threshold: {t.name} must be {t.requirement}")
        object.__setattr__(self, "_values", full)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        t = _threshold(name)
        if t is not None:  # registered after this object was made: its default applies
            return t.default
        raise AttributeError(f"no threshold {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Thresholds are immutable; use replace()")

    def as_dict(self) -> dict[str, Any]:
        """``{name: value}`` for every registered threshold, in registry order."""
        return {t.name: getattr(self, t.name) for t in list_thresholds()}

    def replace(self, **changes: Any) -> "Thresholds":
        """A copy with ``changes`` applied (and checked)."""
        return Thresholds(**{**self.as_dict(), **changes})

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.as_dict().items())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Thresholds) and self.as_dict() == other.as_dict()

    def __hash__(self) -> int:
        return hash(tuple(self.as_dict().items()))

    def __repr__(self) -> str:
        return "Thresholds(" + ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items()) + ")"
