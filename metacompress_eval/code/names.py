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
import re
import string
from collections import Counter
from typing import Iterable, Mapping

from metacompress_eval.errors import MetaCompressError

NAME_STRATEGIES: tuple[str, ...] = ("natural", "placeholder", "random", "corpus", "synonym")

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

_JS_RESERVED = {
    "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do",
    "else", "export", "extends", "finally", "for", "function", "if", "import", "in", "instanceof",
    "new", "return", "super", "switch", "this", "throw", "try", "typeof", "var", "void", "while",
    "with", "yield", "let", "static", "enum", "await", "async", "implements", "package",
    "protected", "interface", "private", "public", "null", "true", "false", "undefined", "NaN",
    "Infinity", "arguments", "eval", "of", "get", "set", "constructor", "prototype",
    # Globals a snippet may rely on without mentioning them in a way we can see (host objects).
    "Object", "Array", "String", "Number", "Boolean", "Symbol", "Math", "JSON", "Date", "RegExp",
    "Error", "Map", "Set", "WeakMap", "Promise", "Reflect", "Proxy", "console", "window",
    "document", "globalThis", "self", "require", "module", "exports", "process", "Buffer",
    "setTimeout", "setInterval", "parseInt", "parseFloat", "isNaN", "isFinite", "name", "length",
    "status", "event", "top", "parent", "location", "history", "navigator", "print", "open", "close",
}
_GO_RESERVED = {
    "break", "case", "chan", "const", "continue", "default", "defer", "else", "fallthrough", "for",
    "func", "go", "goto", "if", "import", "interface", "map", "package", "range", "return",
    "select", "struct", "switch", "type", "var",
    # Predeclared identifiers: shadowing them is legal but a later use would then break.
    "bool", "byte", "complex64", "complex128", "error", "float32", "float64", "int", "int8",
    "int16", "int32", "int64", "rune", "string", "uint", "uint8", "uint16", "uint32", "uint64",
    "uintptr", "any", "comparable", "true", "false", "iota", "nil", "append", "cap", "clear",
    "close", "complex", "copy", "delete", "imag", "len", "make", "max", "min", "new", "panic",
    "print", "println", "real", "recover", "main", "init",
    # Common package names.
    "fmt", "os", "io", "strings", "strconv", "errors", "sync", "time", "math", "sort", "bytes",
    "bufio", "http", "json", "log", "context", "filepath", "path", "regexp", "reflect", "unsafe",
}

RESERVED: dict[str, frozenset[str]] = {
    "c": frozenset(_C_RESERVED),
    "java": frozenset(_JAVA_RESERVED),
    "python": frozenset(_PYTHON_RESERVED),
    "javascript": frozenset(_JS_RESERVED),
    "go": frozenset(_GO_RESERVED),
}

FUNCTION_NAMES: tuple[str, ...] = (
    "process", "compute", "handle", "evaluate", "transform", "execute", "perform", "calculate",
    "resolve", "prepare", "update", "convert", "collect", "build", "render", "check", "apply",
    "run task", "do work", "get result", "make value", "load data", "find item", "parse input",
    "count items", "merge parts", "fill buffer", "scan list", "walk nodes", "sum values",
)

# Identifier statistics of typical code (local variable names and their relative frequency), used by
# the ``corpus`` strategy when no corpus is given. Small on purpose: the point is a realistic
# distribution (frequent short names, occasional long ones), not coverage.
BUILTIN_FREQUENCIES: dict[str, dict[str, int]] = {
    "c": {"i": 40, "j": 18, "k": 8, "n": 20, "len": 12, "buf": 14, "ret": 16, "rc": 6, "p": 12,
          "ptr": 8, "tmp": 9, "s": 10, "c": 9, "fd": 5, "res": 7, "err": 6, "cnt": 5, "idx": 6,
          "val": 8, "str": 7, "src": 5, "dst": 5, "size": 8, "data": 9, "flags": 4, "pos": 5},
    "java": {"i": 30, "result": 14, "value": 12, "list": 10, "map": 6, "sb": 7, "e": 6,
             "line": 8, "reader": 6, "writer": 5, "count": 9, "index": 8, "builder": 5, "item": 6,
             "key": 7, "entry": 5, "name": 7, "file": 6, "input": 5, "output": 5, "buffer": 6,
             "len": 5, "conn": 4, "stream": 5, "query": 4, "url": 4},
    "python": {"i": 25, "x": 14, "result": 12, "value": 10, "item": 9, "line": 9, "key": 8,
               "data": 9, "path": 7, "name": 6, "res": 5, "out": 6, "lines": 6, "idx": 5,
               "obj": 5, "text": 6, "items": 6, "count": 5, "node": 5, "parts": 5, "tmp": 4,
               "val": 5, "args": 3, "buf": 3, "word": 4},
    "javascript": {"i": 30, "result": 10, "value": 10, "el": 8, "item": 8, "data": 10, "res": 8,
                   "obj": 7, "key": 8, "arr": 7, "str": 6, "cb": 5, "fn": 5, "node": 6, "idx": 5,
                   "len": 5, "tmp": 4, "out": 5, "list": 5, "opts": 4, "val": 6, "count": 5},
    "go": {"i": 30, "n": 12, "v": 12, "buf": 8, "b": 8, "s": 9, "res": 6, "ok": 10, "k": 7,
           "idx": 5, "val": 6, "out": 6, "data": 7, "resp": 5, "req": 5, "msg": 5, "ch": 4,
           "ctx2": 2, "item": 5, "key": 6, "cnt": 4, "total": 4, "sum": 4, "size": 5},
}

# Synonyms and common abbreviations of identifier words (both directions are listed where useful).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "count": ("cnt", "num", "total", "tally", "counter"), "cnt": ("count", "num", "tally"),
    "num": ("number", "count", "cnt"), "number": ("num", "count"), "total": ("sum", "amount", "count"),
    "sum": ("total", "acc", "accum"), "index": ("idx", "pos", "position"), "idx": ("index", "pos", "ix"),
    "i": ("idx", "ix", "ii"), "j": ("jj", "jdx"), "k": ("kk", "kdx"), "n": ("num", "cnt", "size"),
    "value": ("val", "v", "item"), "val": ("value", "v"), "max": ("maximum", "largest", "upper"),
    "min": ("minimum", "smallest", "lower"), "maximum": ("max",), "minimum": ("min",),
    "length": ("len", "size", "count"), "len": ("length", "size"), "size": ("length", "len", "count"),
    "buffer": ("buf", "data"), "buf": ("buffer", "data"), "result": ("res", "ret", "out", "output"),
    "res": ("result", "ret"), "ret": ("result", "res"), "temp": ("tmp", "scratch"),
    "tmp": ("temp", "scratch"), "string": ("str", "text"), "str": ("string", "text", "s"),
    "text": ("str", "txt", "content"), "message": ("msg",), "msg": ("message",),
    "error": ("err",), "err": ("error",), "pointer": ("ptr",), "ptr": ("pointer", "p"),
    "current": ("cur", "curr"), "cur": ("current", "curr"), "previous": ("prev",),
    "prev": ("previous", "last"), "next": ("following", "nxt"), "start": ("begin", "first", "from"),
    "begin": ("start", "first"), "end": ("stop", "finish", "last"), "first": ("head", "start"),
    "last": ("tail", "end"), "list": ("items", "lst", "seq"), "items": ("elements", "entries", "list"),
    "item": ("elem", "element", "entry"), "element": ("elem", "item"), "elem": ("element", "item"),
    "key": ("k", "name"), "name": ("label", "title", "key"), "data": ("payload", "content", "buf"),
    "input": ("inp", "source", "src"), "output": ("out", "result", "dest"), "source": ("src",),
    "src": ("source",), "destination": ("dst", "dest"), "dst": ("dest", "destination"),
    "flag": ("flg", "marker"), "file": ("fh", "handle"), "line": ("row", "ln"), "row": ("line", "record"),
    "col": ("column",), "column": ("col",), "node": ("vertex", "nd"), "offset": ("off", "shift"),
    "position": ("pos", "index"), "pos": ("position", "index"), "array": ("arr", "values"),
    "arr": ("array", "values"), "map": ("mapping", "table"), "char": ("ch", "c"),
    "ch": ("char", "c"), "new": ("fresh",), "old": ("prior",), "args": ("arguments", "params"),
    "config": ("cfg", "conf", "settings"), "response": ("resp", "reply"), "request": ("req",),
    "context": ("ctx",), "builder": ("sb", "acc"), "reader": ("rd", "input"), "writer": ("wr", "out"),
    "counter": ("count", "cnt"), "sb": ("builder", "buf"), "e": ("ex", "exc"), "ex": ("exc", "error"),
    "x": ("xv", "val"), "y": ("yv",), "s": ("str", "text"), "c": ("ch", "chr"), "p": ("ptr", "pt"),
    "compute": ("calculate", "calc", "evaluate"), "get": ("fetch", "obtain", "read"),
    "set": ("assign", "put", "store"), "find": ("search", "lookup", "locate"),
    "check": ("verify", "validate", "test"), "is": ("has", "check"), "make": ("build", "create"),
    "create": ("make", "build", "new"), "process": ("handle", "run"), "read": ("load", "fetch"),
    "write": ("store", "save", "emit"), "print": ("show", "display", "dump"), "add": ("append", "push"),
    "remove": ("delete", "drop", "erase"), "update": ("refresh", "modify"), "parse": ("decode", "read"),
    "calc": ("compute", "calculate"), "init": ("setup", "initialize"), "load": ("read", "fetch"),
}


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def split_words(name: str) -> list[str]:
    """Split an identifier into lower-case words: ``maxValue``/``max_value``/``MaxValue`` -> [max, value]."""
    words: list[str] = []
    for part in name.split("_"):
        words.extend(w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", part))
    return [w for w in words if w]


def case_style(name: str) -> str:
    """``"snake"``, ``"camel"``, ``"pascal"``, ``"upper"`` (``MAX_SIZE``) or ``"lower"`` (one word)."""
    core = name.strip("_")
    if "_" in core:
        return "upper" if core.isupper() else "snake"
    if core[:1].isupper():
        return "upper" if core.isupper() and len(core) > 1 else "pascal"
    if any(ch.isupper() for ch in core):
        return "camel"
    return "lower"


def render(words: list[str], style: str) -> str:
    """Join ``words`` in a case style (``lower`` joins like ``snake``)."""
    if not words:
        return ""
    if style == "camel":
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if style == "pascal":
        return "".join(w.capitalize() for w in words)
    if style == "upper":
        return "_".join(w.upper() for w in words)
    return "_".join(words)


def _language_style(language: str, role: str) -> str:
    if language in ("java", "javascript", "go"):
        return "camel"
    return "snake"


def synonym_variants(name: str, language: str, role: str = "variable") -> list[str]:
    """Synonyms and case-style variants of ``name`` (the name itself excluded), most natural first.

    ``count`` -> ``cnt``, ``num``, ``total``, ...; ``maxValue`` -> ``max_value``, ``MaxValue``,
    ``maximumValue``, ``maxVal``, ... Variants keep Go's exported/unexported initial for functions.
    """
    words = split_words(name)
    if not words:
        return []
    style = case_style(name)
    styles = [style] + [s for s in ("camel", "snake", "pascal") if s != style]
    synonyms: list[list[str]] = []
    # Replace one word at a time by a synonym (keeps the name recognisable).
    for position, word in enumerate(words):
        for synonym in SYNONYMS.get(word, ()):
            synonyms.append(words[:position] + split_words(synonym) + words[position + 1 :])
    own = "snake" if style == "lower" else style
    # Closest first: synonyms in the original style interleaved with case-style variants of the
    # name itself, then synonyms in other styles.
    first = [(w, own) for w in synonyms]
    cases = [(words, s) for s in styles[1:]]
    ranked = []
    for index in range(max(len(first), len(cases))):
        ranked += first[index : index + 1] + cases[index : index + 1]
    ranked += [(w, s) for w in synonyms for s in styles[1:]]
    variants: list[str] = []
    for words_variant, s in ranked:
        if style == "lower" and s == "pascal":
            continue  # ``count`` -> ``Count`` looks like a type, not a variant
        candidate = render(words_variant, s)
        if name.startswith("_") and not candidate.startswith("_"):
            candidate = "_" + candidate
        if language == "go" and role == "function" and candidate[:1].isupper() != name[:1].isupper():
            continue
        if candidate != name and _IDENT.fullmatch(candidate) and candidate not in variants:
            variants.append(candidate)
    return variants


def identifier_frequencies(snippets: Iterable[str], language: str) -> Counter:
    """Local-variable name statistics of a corpus: how often each name is declared.

    Uses the scope analysis, so only declared locals and parameters count (not types, fields,
    calls or keywords); snippets that fail to parse contribute nothing.
    """
    from metacompress_eval.code.languages import parse
    from metacompress_eval.code.scopes import analyze, has_scope_analysis

    counts: Counter = Counter()
    if not has_scope_analysis(language):
        return counts
    for snippet in snippets:
        try:
            parsed = parse(snippet, language)
            if parsed.error_count():
                continue
            analysis = analyze(parsed)
        except Exception:  # a broken corpus row must not stop the statistics
            continue
        for symbol in analysis.symbols:
            if symbol.kind in ("local", "parameter", "varargs", "result") and symbol.declarations:
                counts[symbol.name] += 1
    return counts


_BIT_LENGTHS = [n.bit_length() for n in range(257)]


def _inline_shuffle(rng: random.Random, items: list) -> None:
    """``random.Random.shuffle`` with ``_randbelow_with_getrandbits`` inlined: the same
    ``getrandbits`` calls and swaps, without two Python calls per element."""
    getrandbits = rng.getrandbits
    bits = _BIT_LENGTHS if len(items) < len(_BIT_LENGTHS) else [n.bit_length() for n in range(len(items) + 1)]
    for i in reversed(range(1, len(items))):
        n = i + 1
        k = bits[n]
        j = getrandbits(k)
        while j >= n:
            j = getrandbits(k)
        items[i], items[j] = items[j], items[i]


def _inline_shuffle_matches() -> bool:
    """Whether :func:`_inline_shuffle` reproduces ``Random.shuffle`` of this Python (checked once)."""
    if getattr(random.Random, "_randbelow", None) is not getattr(random.Random, "_randbelow_with_getrandbits", 0):
        return False
    for seed in (0, 1, 12345):
        a, b = list(range(97)), list(range(97))
        random.Random(seed).shuffle(a)
        _inline_shuffle(random.Random(seed), b)
        if a != b:
            return False
    return True


_INLINE_SHUFFLE_OK = _inline_shuffle_matches()


class _LazyShuffle:
    """The Fisher-Yates steps of :func:`_inline_shuffle`, done one at a time as items are popped from
    the end: step ``i`` fixes ``items[i]`` and touches no later index, so the popped items and the
    ``getrandbits`` calls up to then are those of the whole shuffle; once every item is popped, so
    is the generator's state."""

    __slots__ = ("items", "rng", "next_step")

    def __init__(self, rng: random.Random, items: list) -> None:
        self.items = items
        self.rng = rng
        self.next_step = len(items) - 1

    def pop(self) -> object:
        items = self.items
        i = self.next_step
        if i >= 1 and i == len(items) - 1:
            n = i + 1
            k = n.bit_length()
            j = self.rng.getrandbits(k)
            while j >= n:
                j = self.rng.getrandbits(k)
            items[i], items[j] = items[j], items[i]
            self.next_step = i - 1
        return items.pop()


def _shuffle(rng: random.Random, items: list) -> None:
    """``rng.shuffle(items)``, faster for a plain :class:`random.Random` (same result)."""
    if _INLINE_SHUFFLE_OK and type(rng) is random.Random:
        _inline_shuffle(rng, items)
    else:
        rng.shuffle(items)


class FreshNames:
    """Seeded generator of names that are fresh for one snippet.

    Args:
        taken: words occurring in the snippet (see :func:`metacompress_eval.code.scopes.words_in`).
        language: language whose reserved words are excluded.
        strategy: ``"natural"``, ``"placeholder"``, ``"random"``, ``"corpus"`` or ``"synonym"``.
        rng: the transformation's seeded random generator.
        role: ``"variable"`` or ``"function"`` (natural and placeholder names differ).
        corpus: for ``"corpus"``: a frequency table ``{name: count}`` or a list of code snippets
            (statistics are computed with :func:`identifier_frequencies`); ``None`` uses
            :data:`BUILTIN_FREQUENCIES` of the language.
        style: case style of natural names (``"camel"``, ``"snake"``, ``"pascal"``); default:
            the language's usual style.
        last_draws: the caller draws nothing more from ``rng`` after this generator: the shuffle of
            natural names is then done a step per name taken (same names, less work when few are
            taken; ``rng`` is left part-way).
    """

    def __init__(
        self,
        taken: set[str],
        language: str,
        strategy: str,
        rng: random.Random,
        role: str = "variable",
        corpus: Mapping[str, int] | Iterable[str] | None = None,
        style: str | None = None,
        last_draws: bool = False,
    ) -> None:
        if strategy not in NAME_STRATEGIES:
            raise MetaCompressError(
                f"unknown naming strategy {strategy!r}; choose one of: {', '.join(NAME_STRATEGIES)}"
            )
        self.taken = set(taken)
        self.taken.update(RESERVED.get(language, ()))
        self.language = language
        self.strategy = strategy
        self.rng = rng
        self.role = role
        self.style = style or _language_style(language, role)
        if role == "function":
            self._natural = [render(n.split(), self.style) for n in FUNCTION_NAMES]
        else:
            self._natural = list(NATURAL_NAMES)
        self._lazy: _LazyShuffle | None = None
        if last_draws and strategy == "natural" and _INLINE_SHUFFLE_OK and type(rng) is random.Random:
            # Natural names draw from ``rng`` only once the list is exhausted, when every step is done.
            self._lazy = _LazyShuffle(rng, self._natural)
        else:
            _shuffle(rng, self._natural)
        self._counter = 0
        self._frequencies: list[tuple[str, int]] = []
        if strategy == "corpus":
            if corpus is None:
                table: Mapping[str, int] = BUILTIN_FREQUENCIES.get(language, BUILTIN_FREQUENCIES["c"])
            elif isinstance(corpus, Mapping):
                table = corpus
            else:
                table = identifier_frequencies(list(corpus), language)
            # Sorted so the draw depends only on the seed, not on dict order.
            self._frequencies = sorted(
                (str(k), int(v)) for k, v in table.items() if int(v) > 0 and _IDENT.fullmatch(str(k))
            )

    def _draw_corpus(self) -> str | None:
        """Frequency-weighted draw without replacement of a corpus name that is still free."""
        pool = [(name, weight) for name, weight in self._frequencies if name not in self.taken]
        if not pool:
            return None
        total = sum(weight for _, weight in pool)
        point = self.rng.uniform(0, total)
        for name, weight in pool:
            point -= weight
            if point <= 0:
                return name
        return pool[-1][0]

    def _candidate(self) -> str:
        if self.strategy == "placeholder":
            name = f"{'FUNC' if self.role == 'function' else 'VAR'}_{self._counter}"
            self._counter += 1
            return name
        if self.strategy == "corpus":
            drawn = self._draw_corpus()
            if drawn is not None:
                return drawn
            # Corpus exhausted for this snippet: continue with natural names.
        if self.strategy in ("natural", "corpus", "synonym") and self._natural:
            return self._natural.pop() if self._lazy is None else self._lazy.pop()
        if self.strategy in ("natural", "corpus", "synonym"):
            # List exhausted: derive names from it so the style stays natural.
            self._counter += 1
            base = NATURAL_NAMES if self.role != "function" else FUNCTION_NAMES
            return f"{render(self.rng.choice(base).split(), self.style)}{self._counter}"
        length = self.rng.randint(3, 8)
        first = self.rng.choice(string.ascii_lowercase)
        rest = "".join(self.rng.choice(string.ascii_lowercase + string.digits) for _ in range(length - 1))
        return first + rest

    def new(self, original: str | None = None) -> str:
        """Return a name that is fresh and not returned before.

        ``original`` (the name being replaced) is used by the ``"synonym"`` strategy: a seeded pick
        among its synonyms / case-style variants that is still fresh, falling back to natural
        names when none is.
        """
        if self.strategy == "synonym" and original:
            variants = [v for v in synonym_variants(original, self.language, self.role) if v not in self.taken]
            if variants:
                # Prefer the closest variants, but let the seed choose among them.
                name = self.rng.choice(variants[:6])
                self.taken.add(name)
                return name
        while True:
            name = self._candidate()
            if name not in self.taken:
                self.taken.add(name)
                return name


def corpus_summary(corpus: Mapping[str, int] | Iterable[str] | None) -> dict[str, str]:
    """How provenance records a ``corpus`` given to the ``"corpus"`` strategy: its size, never its
    content (provenance must stay small and JSON-serialisable). Empty when there is no corpus."""
    if corpus is None:
        return {}
    if isinstance(corpus, dict):
        return {"corpus": f"frequency table of {len(corpus)} names"}
    return {"corpus": f"{len(list(corpus))} snippets"}
