"""Task specifications: what one example is made of and how it is fed to a model.

* ``defect`` — defect / vulnerability detection: one function → label.
* ``clone`` — clone detection: a pair of functions → label; encoded as the tokenizer's text pair.
* ``classification`` — generic single-input sequence classification (code or any text).

A task fixes the number of code inputs per example, the default column names and the default
language used by the follow-up transformations. All of them can be overridden from the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .errors import MetaCompressError


@dataclass(frozen=True)
class TaskSpec:
    """How to read examples of one task from a table.

    Attributes:
        name: ``defect``, ``clone`` or ``classification``.
        code_columns: one column (single input) or two (pair input).
        label_column: column with gold labels, or ``None`` for unlabelled data.
        id_column: column with a unique example id; the row number is used when absent.
        language: programming language of the code (``c``, ``java``, ``python`` …); ``None``
            means no follow-up transformations can be built (plain text classification).
        num_classes: how many classes the task has, when the task fixes it (defect and clone are
            binary); a model with another number of outputs is refused for it.
    """

    name: str
    code_columns: tuple[str, ...]
    label_column: str | None = "label"
    id_column: str | None = "id"
    language: str | None = None
    description: str = field(default="", compare=False)
    num_classes: int | None = None

    @property
    def is_pair(self) -> bool:
        return len(self.code_columns) == 2


_TASKS = {
    "defect": TaskSpec("defect", ("code",), language="c",
                       description="defect / vulnerability detection: one function → label", num_classes=2),
    "clone": TaskSpec("clone", ("code1", "code2"), language="java",
                      description="clone detection: a pair of functions → label (1 = clone)", num_classes=2),
    "classification": TaskSpec("classification", ("text",), language=None,
                               description="generic single-input sequence classification"),
}


def task_names() -> list[str]:
    return sorted(_TASKS)


def get_task(name: str, *, code_columns: tuple[str, ...] | None = None, label_column: str | None = "",
             id_column: str | None = "", language: str | None = "") -> TaskSpec:
    """Return the task ``name`` with optional overrides.

    An override left at its sentinel (``""`` / ``None`` for columns) keeps the task default; pass
    ``label_column=None`` for unlabelled data and ``language=None`` to disable transformations.
    """
    try:
        spec = _TASKS[name]
    except KeyError:
        raise MetaCompressError(f"unknown task {name!r}; choose one of: {', '.join(task_names())}") from None
    changes: dict = {}
    if code_columns:
        expected = len(spec.code_columns)
        if len(code_columns) != expected:
            raise MetaCompressError(
                f"task {name!r} takes {expected} code column(s), got {len(code_columns)}: {', '.join(code_columns)}")
        changes["code_columns"] = tuple(code_columns)
    if label_column != "":
        changes["label_column"] = label_column
    if id_column != "":
        changes["id_column"] = id_column
    if language != "":
        changes["language"] = language.lower() if language else None
    return replace(spec, **changes)
