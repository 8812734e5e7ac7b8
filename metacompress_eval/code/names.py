"""Fresh identifier generation.

A new name is *fresh* for a snippet when it is not a keyword or well-known library name of the
language and does not occur as a word anywhere in the snippet (code, strings or comments). Since a
fresh name is mentioned nowhere, giving it to a variable can neither capture another reference nor
be shadowed by an existing declaration; no further scope reasoning is needed.
"""

from __future__ import annotations

import builtins
import keyword
import random
import string

from metacompress_eval.errors import MetaCompressError

NAME_STRATEGIES: tuple[str, ...] = ("natural", "placeholder", "random")

NATURAL_NAMES: tuple[str, ...] = (
    "count", "value", "buffer", "index", "result", "temp", "total", "item", "data", "size",
    "length", "offset", "current", "element", "entry", "number", "amount", "flag", "status",
    "counter", "output", "input", "source", "target", "position", "state", "limit", "start",
    "finish", "node", "key", "record", "text", "message", "line", "token", "width", "height",
    "level", "score", "answer", "accum", "cursor", "slot", "chunk", "piece", "block", "cell",
    "head", "tail", "left", "right", "prev", "step", "delta", "ratio", "weight", "label",
    "name", "path", "mode", "kind", "group", "batch", "pointer", "handle", "payload", "content",
)

_C_RESERVED = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum",
    "extern", "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict",
    "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef", "union",
    "unsigned", "void", "volatile", "while", "bool", "true", "false", "NULL", "asm", "typeof",
    # Library functions and macros that headers may define: a variable must not collide with them.
    "index", "rindex", "time", "clock", "signal", "abs", "labs", "div", "exit", "free", "malloc",
    "calloc", "realloc", "printf", "puts", "putchar", "getchar", "gets", "fgets", "read", "write",
    "open", "close", "min", "max", "errno", "stdin", "stdout", "stderr", "assert", "offsetof",
    "random", "rand", "srand", "select", "socket", "connect", "send", "recv", "listen", "accept",
    "bind", "link", "unlink", "remove", "rename", "wait", "kill", "sleep", "pipe", "dup", "log",
    "exp", "pow", "sqrt", "floor", "ceil", "round", "trunc", "y0", "y1", "j0", "j1", "gamma",
    "main", "system", "strlen", "memcpy", "memset", "strcpy", "strcmp", "va_list", "FILE", "EOF",
}
_JAVA_RESERVED = {
    "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const",
    "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally", "float",
    "for", "goto", "if", "implements", "import", "instanceof", "int", "interface", "long", "native",
    "new", "package", "private", "protected", "public", "return", "short", "static", "strictfp",
    "super", "switch", "synchronized", "this", "throw", "throws", "transient", "try", "void",
    "volatile", "while", "true", "false", "null", "var", "yield", "record", "sealed", "permits",
    "non", "when", "module", "open", "java", "javax", "org", "com",
}
_PYTHON_RESERVED = set(keyword.kwlist) | set(getattr(keyword, "softkwlist", [])) | set(dir(builtins)) | {
    "self", "cls", "__class__",
}

RESERVED: dict[str, frozenset[str]] = {
    "c": frozenset(_C_RESERVED),
    "java": frozenset(_JAVA_RESERVED),
    "python": frozenset(_PYTHON_RESERVED),
}


class FreshNames:
    """Seeded generator of names that are fresh for one snippet.

    Args:
        taken: words occurring in the snippet (see :func:`metacompress_eval.code.scopes.words_in`).
        language: language whose reserved words are excluded.
        strategy: ``"natural"``, ``"placeholder"`` or ``"random"``.
        rng: the transformation's seeded random generator.
    """

    def __init__(self, taken: set[str], language: str, strategy: str, rng: random.Random) -> None:
        if strategy not in NAME_STRATEGIES:
            raise MetaCompressError(
                f"unknown naming strategy {strategy!r}; choose one of: {', '.join(NAME_STRATEGIES)}"
            )
        self.taken = set(taken) | set(RESERVED.get(language, ()))
        self.strategy = strategy
        self.rng = rng
        self._natural = list(NATURAL_NAMES)
        rng.shuffle(self._natural)
        self._counter = 0

    def _candidate(self) -> str:
        if self.strategy == "placeholder":
            name = f"VAR_{self._counter}"
            self._counter += 1
            return name
        if self.strategy == "natural" and self._natural:
            return self._natural.pop()
        if self.strategy == "natural":
            # List exhausted: derive names from it so the style stays natural.
            self._counter += 1
            return f"{self.rng.choice(NATURAL_NAMES)}{self._counter}"
        length = self.rng.randint(3, 8)
        first = self.rng.choice(string.ascii_lowercase)
        rest = "".join(self.rng.choice(string.ascii_lowercase + string.digits) for _ in range(length - 1))
        return first + rest

    def new(self) -> str:
        """Return a name that is fresh and not returned before."""
        while True:
            name = self._candidate()
            if name not in self.taken:
                self.taken.add(name)
                return name
