"""One label space for teacher and student: label maps and the permutation that aligns them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from ..errors import MetaCompressError

if TYPE_CHECKING:  # pragma: no cover
    from .base import LoadedModel

_GENERIC_LABEL = re.compile(r"^LABEL_\d+$")


def parse_label_map(text: str | None) -> dict[str, str]:
    """Parse ``"a=x,b=y"`` (student label → teacher label, by name or index)."""
    if not text:
        return {}
    mapping = {}
    for part in text.split(","):
        if "=" not in part:
            raise MetaCompressError(f"--label-map entries look like STUDENT_LABEL=TEACHER_LABEL; got {part!r}")
        left, right = (s.strip() for s in part.split("=", 1))
        mapping[left] = right
    return mapping


def _index_of(label: str, names: Sequence[str], role: str) -> int:
    if label in names:
        return list(names).index(label)
    if label.isdigit() and int(label) < len(names):
        return int(label)
    raise MetaCompressError(f"label {label!r} is not a {role} label; {role} labels: {list(names)}")


def align_label_spaces(teacher: "LoadedModel", student: "LoadedModel", label_map: dict[str, str] | None = None) -> None:
    """Check that teacher and student share one label space; set ``student.label_permutation``.

    Label names must match index by index, unless either side uses the generic ``LABEL_i`` names
    (which carry no meaning) or an explicit ``label_map`` (student label → teacher label) says how
    they correspond. Anything else is an error: comparing outputs over different label sets would
    produce meaningless relations.
    """
    t_names, s_names = teacher.label_names, student.label_names
    if len(t_names) != len(s_names):
        raise MetaCompressError(
            f"teacher and student have different label sets: teacher {t_names} ({len(t_names)} labels, "
            f"{teacher.name}), student {s_names} ({len(s_names)} labels, {student.name})")
    if label_map:
        perm = [-1] * len(t_names)
        for s_label, t_label in label_map.items():
            perm[_index_of(t_label, t_names, "teacher")] = _index_of(s_label, s_names, "student")
        if sorted(perm) != list(range(len(t_names))):
            raise MetaCompressError(f"--label-map must map every student label to a distinct teacher label; got {label_map}")
        student.label_permutation = perm
        return
    generic = all(_GENERIC_LABEL.match(n) for n in t_names) or all(_GENERIC_LABEL.match(n) for n in s_names)
    if not generic and [n.lower() for n in t_names] != [n.lower() for n in s_names]:
        raise MetaCompressError(
            f"teacher labels {t_names} and student labels {s_names} differ; if they mean the same classes, "
            "pass --label-map with STUDENT=TEACHER pairs, e.g. --label-map "
            + ",".join(f"{s}={t}" for s, t in zip(s_names, t_names)))
    student.label_permutation = None
