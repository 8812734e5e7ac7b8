"""A small, self-made corpus of labelled C functions for the offline demo.

Every row is one complete C function that either contains a memory-safety defect (label 1) or is
a safe twin of it (label 0). Both twins come from the *same* template with the same random choices
for names, filler code and formatting; only the defect itself (a ``<=`` instead of ``<``, a
missing length or NULL check, a ``free`` in the wrong place, ...) differs. Several templates also
have "decoy" variants (a check on the wrong variable, a legitimate ``<=`` loop, two different
pointers freed) so that a model cannot get the label from the mere presence of a token like
``NULL`` or ``<=``.

The functions only use ``<stdlib.h>``, ``<string.h>`` and ``<stdio.h>`` and are syntactically
valid C99 (checked with ``gcc -fsyntax-only`` in the tests).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

__all__ = ["DEFECT_KINDS", "generate_corpus", "C_PRELUDE"]

#: Defect kinds produced by :func:`generate_corpus` (``"none"`` is used for safe rows).
DEFECT_KINDS = (
    "off_by_one",
    "unchecked_copy",
    "missing_null_check",
    "use_after_free",
    "double_free",
    "unchecked_index",
)

#: Headers a function needs to compile on its own.
C_PRELUDE = "#include <stdlib.h>\n#include <string.h>\n#include <stdio.h>\n"

_MIN_LINES, _MAX_LINES = 8, 40
_FILLER_MAX = 3  # filler statements per function, at most (short functions keep training fast)
# How often a template uses a variant whose defect only shows through which *variable* is used
# (two pointers, a check on the wrong variable): hard for small models, so kept rare.
_DECOY_P = 0.05

# --------------------------------------------------------------------------------------------
# A tiny statement tree, so that one function can be rendered in many brace/indent styles.


@dataclass
class _If:
    cond: str
    then: list
    else_: list | None = None


@dataclass
class _Loop:
    # ("for", init, cond, step) or ("while", cond)
    header: tuple
    body: list


class _Slot:
    """Where filler statements may be inserted."""


SLOT = _Slot()

_DECL_RE = re.compile(r"^(const |static |unsigned |signed )*(int|char|long|size_t|short)\b")


@dataclass
class _Style:
    indent: str
    brace: str  # "kr" or "allman"
    fn_brace_own_line: bool
    cuddle_else: bool
    kw_space: bool
    tight_for: bool
    braceless_p: float
    oneline_p: float
    ret_own_line: bool
    static: bool


def _random_style(rng: random.Random) -> _Style:
    brace = rng.choice(["kr", "kr", "allman"])
    return _Style(
        indent=rng.choice(["  ", "    ", "    ", "\t"]),
        brace=brace,
        fn_brace_own_line=brace == "allman" or rng.random() < 0.6,
        cuddle_else=rng.random() < 0.75,
        kw_space=rng.random() < 0.8,
        tight_for=rng.random() < 0.2,
        braceless_p=rng.choice([0.0, 0.3, 0.7]),
        oneline_p=rng.choice([0.0, 0.5]),
        ret_own_line=rng.random() < 0.15,
        static=rng.random() < 0.25,
    )


class _Renderer:
    def __init__(self, style: _Style, rng: random.Random):
        self.s = style
        self.rng = rng
        self.out: list[str] = []

    def _kw(self, kw: str) -> str:
        return kw + (" (" if self.s.kw_space else "(")

    def _header(self, h: tuple) -> str:
        if h[0] == "while":
            return f"{self._kw('while')}{h[1]})"
        _, init, cond, step = h
        if self.s.tight_for:
            tight = lambda x: re.sub(r" ?(<=|>=|<|>|=|\+=|-=) ?", r"\1", x)  # noqa: E731
            return f"{self._kw('for')}{tight(init)};{tight(cond)};{tight(step)})"
        return f"{self._kw('for')}{init}; {cond}; {step})"

    def _can_drop_braces(self, body: list) -> bool:
        return (
            len(body) == 1
            and isinstance(body[0], str)
            and body[0] != ""
            and not body[0].startswith(("/", "#"))
            and not _DECL_RE.match(body[0])
        )

    def _block(self, header: str, body: list, depth: int, *, allow_oneline: bool = True) -> None:
        ind = self.s.indent * depth
        if self._can_drop_braces(body) and self.rng.random() < self.s.braceless_p:
            if allow_oneline and self.rng.random() < self.s.oneline_p and len(header) + len(body[0]) < 70:
                self.out.append(f"{ind}{header} {body[0]}")
            else:
                self.out.append(ind + header)
                self.out.append(ind + self.s.indent + body[0])
            return
        if self.s.brace == "kr":
            self.out.append(f"{ind}{header} {{")
        else:
            self.out.append(ind + header)
            self.out.append(ind + "{")
        self.stmts(body, depth + 1)
        self.out.append(ind + "}")

    def _if(self, node: _If, depth: int) -> None:
        ind = self.s.indent * depth
        header = f"{self._kw('if')}{node.cond})"
        if node.else_ is None:
            self._block(header, node.then, depth)
            return
        # With an else branch braces are kept on both sides unless both are simple statements
        # (a braceless then-branch holding another if would change meaning: dangling else).
        braceless = (
            self._can_drop_braces(node.then)
            and (self._can_drop_braces(node.else_))
            and self.rng.random() < self.s.braceless_p
        )
        if braceless:
            self.out.append(ind + header)
            self.out.append(ind + self.s.indent + node.then[0])
            self.out.append(ind + "else")
            self.out.append(ind + self.s.indent + node.else_[0])
            return
        if self.s.brace == "kr":
            self.out.append(f"{ind}{header} {{")
        else:
            self.out.append(ind + header)
            self.out.append(ind + "{")
        self.stmts(node.then, depth + 1)
        if self.s.brace == "kr":
            if self.s.cuddle_else:
                self.out.append(ind + "} else {")
            else:
                self.out.append(ind + "}")
                self.out.append(ind + "else {")
        else:
            self.out.append(ind + "}")
            self.out.append(ind + "else")
            self.out.append(ind + "{")
        self.stmts(node.else_, depth + 1)
        self.out.append(ind + "}")

    def stmts(self, body: list, depth: int) -> None:
        ind = self.s.indent * depth
        for st in body:
            if isinstance(st, _Slot):
                continue
            if isinstance(st, str):
                self.out.append(ind + st if st else "")
            elif isinstance(st, _If):
                self._if(st, depth)
            elif isinstance(st, _Loop):
                self._block(self._header(st.header), st.body, depth)
            else:  # pragma: no cover - template bug
                raise TypeError(st)

    def function(self, ret: str, name: str, params: str, body: list) -> str:
        ret = ("static " if self.s.static else "") + ret
        sep = "" if ret.endswith("*") else " "
        if self.s.ret_own_line:
            self.out.append(ret)
            self.out.append(f"{name}({params})")
        else:
            self.out.append(f"{ret}{sep}{name}({params})")
        if self.s.fn_brace_own_line:
            self.out.append("{")
        else:
            self.out[-1] += " {"
        self.stmts(body, 1)
        self.out.append("}")
        return "\n".join(self.out) + "\n"


# --------------------------------------------------------------------------------------------
# Identifier pools. Several naming conventions, none of them hinting at the label.

_POOLS: dict[str, dict[str, list[str]]] = {
    "short": {
        "buf": ["buf", "dst", "out", "arr", "tab", "blk", "vec", "cells"],
        "len": ["n", "len", "sz", "cnt", "num", "lim"],
        "idx": ["i", "j", "k", "ix", "ii"],
        "ptr": ["p", "q", "mem", "ptr", "cell", "blkp"],
        "src": ["src", "s", "in", "str", "txt"],
        "acc": ["sum", "acc", "tot", "r", "res"],
        "tmp": ["t", "x", "y", "z", "u", "v", "w", "a", "b", "c", "d", "e", "h", "m"],
        "flag": ["mode", "flag", "opt", "sel", "lvl"],
        "val": ["val", "v0", "seed", "base", "init", "key"],
    },
    "descriptive": {
        "buf": ["buffer", "output", "storage", "values", "records", "samples", "scratch", "entries"],
        "len": ["length", "count", "size", "capacity", "num_items", "limit", "total_len"],
        "idx": ["idx", "pos", "cursor", "slot_no", "offset", "row"],
        "ptr": ["region", "chunk", "data", "payload", "node_data", "block"],
        "src": ["source", "input", "name", "text", "label_text", "message"],
        "acc": ["total", "result", "checksum", "accum", "score", "running"],
        "tmp": ["delta", "step", "factor", "temp", "extra", "carry", "weight", "bias", "shift",
                "scale", "margin", "stride", "span"],
        "flag": ["mode", "option", "selector", "level", "variant"],
        "val": ["value", "base_value", "start", "init_val", "fill_value", "threshold"],
    },
    "camel": {
        "buf": ["outBuf", "dataArr", "itemBuf", "valueTable", "tmpBuf", "rowData"],
        "len": ["bufLen", "itemCount", "maxSize", "numItems", "rowLen"],
        "idx": ["curIdx", "pos", "iter", "k", "slotNo"],
        "ptr": ["memBlock", "dataPtr", "rawMem", "cellPtr", "heapBuf"],
        "src": ["srcStr", "inputName", "rawText", "srcText"],
        "acc": ["totalSum", "runningTotal", "outVal", "resultVal"],
        "tmp": ["stepVal", "deltaX", "tmpVal", "factorA", "scaleB", "carryOver", "biasVal",
                "spanLen", "hashVal"],
        "flag": ["modeSel", "optFlag", "levelNo", "kindId"],
        "val": ["baseVal", "startVal", "seedVal", "fillVal", "keyVal"],
    },
    "hungarian": {
        "buf": ["aBuf", "arrData", "aValues", "aItems", "abData"],
        "len": ["nLen", "nCount", "cbSize", "nItems", "cItems"],
        "idx": ["iPos", "nIdx", "i", "j", "iItem"],
        "ptr": ["pMem", "pData", "pBlock", "pCell", "pItems"],
        "src": ["szSrc", "pszName", "szInput", "pszText"],
        "acc": ["nTotal", "nSum", "nResult", "nAcc"],
        "tmp": ["nTmp", "nStep", "nDelta", "nScale", "nBias", "nWidth", "nShift", "nSpan"],
        "flag": ["nMode", "bFlag", "nLevel", "nKind"],
        "val": ["nVal", "nBase", "nSeed", "nFill", "nKey"],
    },
}

_VERBS = ["process", "handle", "update", "compute", "fill", "load", "store", "copy", "build",
          "parse", "scan", "read", "emit", "pack", "unpack", "merge", "collect", "prepare",
          "init", "reset", "apply", "record", "format", "encode", "decode", "sum", "count",
          "render", "push", "fetch", "stage", "tally", "transform", "normalize", "gather",
          "reduce", "mix", "shuffle", "probe", "sample"]
_NOUNS = ["records", "buffer", "table", "entry", "items", "packet", "header", "name", "values",
          "block", "frame", "cells", "row", "path", "token", "message", "list", "samples", "slots",
          "queue", "chunk", "field", "payload", "config", "stats", "histogram", "matrix", "string",
          "labels", "segment", "window", "digest", "cache", "ring", "scores", "weights"]
_MODULES = ["net", "io", "ui", "db", "gfx", "snd", "cfg", "core", "proto", "fs", "img", "txt"]
_MESSAGES = ["value", "step", "total", "state", "pos", "count", "mark", "level", "size", "tick",
             "round", "item"]
_COMMENTS = ["/* update running state */", "// accumulate", "/* main loop */", "// prepare",
             "/* copy input */", "// report", "/* compute result */", "// bookkeeping",
             "/* initialise */", "// cleanup", "/* walk the items */", "// TODO: tune"]


def _function_name(rng: random.Random) -> str:
    verb, noun = rng.choice(_VERBS), rng.choice(_NOUNS)
    form = rng.random()
    if form < 0.45:
        name = f"{verb}_{noun}"
    elif form < 0.7:
        name = verb + noun[0].upper() + noun[1:]
    elif form < 0.9:
        name = f"{rng.choice(_MODULES)}_{verb}_{noun}"
    else:
        name = verb.capitalize() + noun.capitalize()
    if rng.random() < 0.15:
        name += str(rng.randint(2, 9))
    return name


class _Names:
    """Hands out distinct identifiers for the roles a template needs."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.style = rng.choice(list(_POOLS))
        self.used: set[str] = set()

    def get(self, role: str) -> str:
        style = self.style if self.rng.random() < 0.8 else self.rng.choice(list(_POOLS))
        pool = [n for n in _POOLS[style][role] if n not in self.used]
        if not pool:
            pool = [n for s in _POOLS.values() for n in s[role] if n not in self.used]
        if pool:
            name = self.rng.choice(pool)
        else:
            base = self.rng.choice(_POOLS[style][role])
            k = 2
            while f"{base}{k}" in self.used:
                k += 1
            name = f"{base}{k}"
        self.used.add(name)
        return name


@dataclass
class _Ctx:
    rng: random.Random
    names: _Names
    ints: list[str] = field(default_factory=list)  # int locals/params filler may read and write
    index_vars: list[str] = field(default_factory=list)  # free loop counters filler may reuse

    def pick(self, seq):
        return self.rng.choice(seq)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def size(self) -> int:
        return self.pick([4, 8, 10, 12, 16, 20, 24, 32, 48, 64, 100, 128, 256])


# --------------------------------------------------------------------------------------------
# Filler code: arithmetic, printf, small loops and if/else on integer locals. It is sampled the
# same way for both labels, and deliberately contains harmless "<=" loops and comparisons.


def _two_ints(ctx: _Ctx) -> tuple[str, str]:
    """Two distinct int locals (or literals), avoiding self-comparisons like ``x < x``."""
    a = ctx.pick(ctx.ints) if ctx.ints else str(ctx.rng.randint(1, 9))
    others = [v for v in ctx.ints if v != a]
    b = ctx.pick(others) if others else str(ctx.rng.randint(1, 9))
    return a, b


def _expr(ctx: _Ctx) -> str:
    a, b = _two_ints(ctx)
    k = ctx.rng.randint(1, 31)
    return ctx.pick([
        f"{a} + {k}", f"{a} * {k}", f"{a} - {b}", f"({a} + {b}) % {k + 1}", f"{a} << 1",
        f"{a} ^ {k}", f"{a} * 2 + {b}", f"{a} / {k + 1}", f"{a} & 0x{k:x}", str(k),
    ])


def _filler_stmt(ctx: _Ctx, depth: int = 0) -> list:
    r = ctx.rng.random()
    if r < 0.25 or not ctx.ints:
        name = ctx.names.get("tmp")
        stmt = f"int {name} = {_expr(ctx)};"
        ctx.ints.append(name)
        return [stmt]
    a, b = _two_ints(ctx)
    if r < 0.45:
        op = ctx.pick(["=", "+=", "-=", "^=", "|="])
        return [f"{a} {op} {_expr(ctx)};"]
    if r < 0.58:
        msg = ctx.pick(_MESSAGES)
        return [ctx.pick([f'printf("%d\\n", {a});', f'printf("{msg}: %d\\n", {a});',
                          f'printf("{msg}=%d\\n", {a});'])]
    if r < 0.82 and depth == 0:
        cond = ctx.pick([f"{a} > {ctx.rng.randint(0, 50)}", f"{a} < {b}", f"{a} % 2 == 0",
                         f"{a} >= {b}", f"{a} <= {ctx.rng.randint(1, 64)}", f"{a} != {b}"])
        then = [f"{a} = {_expr(ctx)};"]
        if ctx.chance(0.4):
            then.append(f'printf("%d\\n", {a});')
        else_ = None
        if ctx.chance(0.75):
            tgt = b if b in ctx.ints else a
            else_ = [f"{tgt} {ctx.pick(['+=', '-=', '='])} {_expr(ctx)};"]
        return [_If(cond, then, else_)]
    if depth == 0:
        j = ctx.names.get("idx")
        lo, hi = ctx.pick([(0, "<"), (1, "<="), (0, "<=")]), ctx.rng.randint(2, 8)
        body = [f"{a} += {j};"] if ctx.chance(0.6) else [f"{a} = {a} * 3 + {j};"]
        init = f"int {j} = {lo[0]}" if ctx.chance(0.5) else f"{j} = {lo[0]}"
        pre = [] if init.startswith("int") else [f"int {j};"]
        step = ctx.pick([f"{j}++", f"++{j}", f"{j} += 1"])
        if ctx.chance(0.7):
            return pre + [_Loop(("for", init, f"{j} {lo[1]} {hi}", step), body)]
        return pre + [f"{j} = {lo[0]};" if pre else f"int {j} = {lo[0]};",
                      _Loop(("while", f"{j} {lo[1]} {hi}"), body + [f"{j}++;"])]
    return [f"{a} += {ctx.rng.randint(1, 9)};"]


def _fill_slots(ctx: _Ctx, body: list, budget: int) -> list:
    """Replace SLOT markers (top level only) by 0..n filler statements, ``budget`` in total."""
    slots = [k for k, st in enumerate(body) if isinstance(st, _Slot)]
    counts = [0] * len(slots)
    for _ in range(budget):
        if slots:
            counts[ctx.rng.randrange(len(slots))] += 1
    out: list = []
    ci = 0
    for st in body:
        if isinstance(st, _Slot):
            n = counts[ci]
            ci += 1
            if n and ctx.chance(0.12):
                out.append(ctx.pick(_COMMENTS))
            for _ in range(n):
                out.extend(_filler_stmt(ctx))
            if n and ctx.chance(0.3):
                out.append("")
        else:
            out.append(st)
    return out


# --------------------------------------------------------------------------------------------
# Templates. Each returns (return type, params, body, defect kind) and draws the same random
# numbers for both labels up to the point where the defect is placed, so twins stay similar.


def _loop(ctx: _Ctx, i: str, start: str, cond: str, body: list, *, decl_in_for: bool) -> list:
    if ctx.chance(0.7):
        init = f"int {i} = {start}" if decl_in_for else f"{i} = {start}"
        return [_Loop(("for", init, cond, ctx.pick([f"{i}++", f"++{i}", f"{i} += 1"])), body)]
    pre = [f"int {i} = {start};"] if decl_in_for else [f"{i} = {start};"]
    return pre + [_Loop(("while", cond), body + [f"{i}++;"])]


def _t_off_by_one_array(ctx: _Ctx, bad: bool):
    n = ctx.names
    arr, i, acc = n.get("buf"), n.get("idx"), n.get("acc")
    p1, p2 = n.get("val"), n.get("tmp")
    ctx.ints += [p1, p2, acc]
    size = ctx.size()
    body: list = [f"int {arr}[{size}];"]
    bound = str(size)
    if ctx.chance(0.35):
        lv = n.get("len")
        body.append(f"int {lv} = {size};")
        bound = lv
    elif ctx.chance(0.2):
        bound = f"(int)(sizeof({arr}) / sizeof({arr}[0]))"
    body += [f"int {i};", f"int {acc} = 0;", SLOT]
    good_cond = f"{i} < {bound}" if ctx.chance(0.9) else f"{i} <= {bound} - 1"
    bad_cond = f"{i} <= {bound}"
    defect_in_write = ctx.chance(0.6)
    wcond = bad_cond if (bad and defect_in_write) else good_cond
    rcond = bad_cond if (bad and not defect_in_write) else good_cond
    write = [f"{arr}[{i}] = {ctx.pick([f'{p1} * {i} + {p2}', f'{p1} + {i}', f'{i} ^ {p2}'])};"]
    body += _loop(ctx, i, "0", wcond, write, decl_in_for=False)
    body.append(SLOT)
    read = [f"{acc} += {arr}[{i}];"] if ctx.chance(0.6) else [
        _If(f"{arr}[{i}] > {p2}", [f"{acc} += {arr}[{i}];"], [f"{acc} -= 1;"])]
    body += _loop(ctx, i, "0", rcond, read, decl_in_for=False)
    body += [SLOT, f"return {acc};"]
    return "int", f"int {p1}, int {p2}", body, "off_by_one"


def _t_off_by_one_param(ctx: _Ctx, bad: bool):
    n = ctx.names
    buf, ln, i, val = n.get("buf"), n.get("len"), n.get("idx"), n.get("val")
    ctx.ints += [ln, val]
    body: list = [SLOT]
    if ctx.chance(0.4):
        body.append(_If(f"{ln} <= 0", ["return -1;"]))
    in_for = ctx.chance(0.5)
    if not in_for:
        body.insert(0, f"int {i};")
    if ctx.chance(0.3):
        # A legitimate "<=" loop: 1..n writing buf[i - 1]; the defect writes buf[i].
        target = f"{buf}[{i}]" if bad else f"{buf}[{i} - 1]"
        body += _loop(ctx, i, "1", f"{i} <= {ln}", [f"{target} = {val} + {i};"],
                      decl_in_for=in_for)
    else:
        cond = f"{i} <= {ln}" if bad else f"{i} < {ln}"
        stmt = ctx.pick([f"{buf}[{i}] = {val} + {i};", f"{buf}[{i}] = {val};",
                         f"{buf}[{i}] = {buf}[{i}] * {val};"])
        body += _loop(ctx, i, "0", cond, [stmt], decl_in_for=in_for)
    body += [SLOT, f"return {ln};"]
    return "int", f"int *{buf}, int {ln}, int {val}", body, "off_by_one"


def _t_off_by_one_string(ctx: _Ctx, bad: bool):
    n = ctx.names
    dst, src, i = n.get("buf"), n.get("src"), n.get("idx")
    size = ctx.pick([8, 16, 20, 32, 64, 80])
    body: list = [f"char {dst}[{size}];", f"int {i};", SLOT]
    ctx.ints.append(i)
    if ctx.chance(0.5):
        lim = str(size) if bad else f"{size} - 1"
        body += _loop(ctx, i, "0", f"{i} < {lim} && {src}[{i}] != '\\0'",
                      [f"{dst}[{i}] = {src}[{i}];"], decl_in_for=False)
        body.append(f"{dst}[{i}] = '\\0';")
    else:
        body.append(f"strncpy({dst}, {src}, sizeof({dst}));")
        body.append(f"{dst}[{size}] = '\\0';" if bad else f"{dst}[{size} - 1] = '\\0';")
        body.append(f"{i} = (int)strlen({dst});")
    body += [SLOT, f'printf("%s\\n", {dst});', f"return {i};"]
    return "int", f"const char *{src}", body, "off_by_one"


def _t_unchecked_strcpy(ctx: _Ctx, bad: bool):
    n = ctx.names
    dst, src, extra = n.get("buf"), n.get("src"), n.get("val")
    ctx.ints.append(extra)
    size = ctx.pick([8, 16, 24, 32, 64, 128])
    body: list = [f"char {dst}[{size}];", SLOT]
    if ctx.chance(0.4):
        body.append(_If(f"{src} == NULL", ["return -1;"]))
    form = ctx.rng.randrange(4)
    if bad:
        if form == 0:
            body.append(f"strcpy({dst}, {src});")
        elif form == 1:  # an if/else that checks something, just not the length
            body.append(_If(f"{src}[0] != '\\0'", [f"strcpy({dst}, {src});"], [f"{dst}[0] = '\\0';"]))
        elif form == 2:
            body.append(f'sprintf({dst}, "%s", {src});')
        else:
            body.append(f"strcat(strcpy({dst}, \"\"), {src});")
    else:
        if form == 0:
            body += [_If(f"strlen({src}) >= sizeof({dst})", ["return -1;"]), f"strcpy({dst}, {src});"]
        elif form == 1:
            body.append(_If(f"strlen({src}) < sizeof({dst})", [f"strcpy({dst}, {src});"],
                            [f"{dst}[0] = '\\0';"]))
        elif form == 2:
            body.append(f'snprintf({dst}, sizeof({dst}), "%s", {src});')
        else:
            body += [f"strncpy({dst}, {src}, sizeof({dst}) - 1);", f"{dst}[sizeof({dst}) - 1] = '\\0';"]
    body += [SLOT, f'printf("%s\\n", {dst});', f"return (int)strlen({dst}) + {extra};"]
    return "int", f"const char *{src}, int {extra}", body, "unchecked_copy"


def _t_unchecked_memcpy(ctx: _Ctx, bad: bool):
    n = ctx.names
    buf, data, ln, key, i, acc = (n.get("buf"), n.get("src"), n.get("len"), n.get("val"),
                                  n.get("idx"), n.get("acc"))
    ctx.ints += [key, acc]
    size = ctx.size()
    body: list = [f"unsigned char {buf}[{size}];", f"int {i};", f"int {acc} = 0;", SLOT]
    form = ctx.rng.randrange(3)
    if form == 0:
        check = (_If(f"{ln} < 0", ["return -1;"]) if ctx.chance(0.5) else None) if bad else \
            _If(f"{ln} < 0 || {ln} > (int)sizeof({buf})", ["return -1;"])
        if check is not None:
            body.append(check)
        body.append(f"memcpy({buf}, {data}, {ln});")
    elif form == 1:
        if not bad:
            body.append(_If(f"{ln} > {size}", [f"{ln} = {size};"]))
        elif ctx.chance(0.5):
            body.append(_If(f"{ln} < 0", [f"{ln} = 0;"]))
        body.append(f"memcpy({buf}, {data}, {ln});")
    else:
        cond = f"{key} > 0" if bad else f"{ln} <= (int)sizeof({buf})"
        body.append(_If(cond, [f"memcpy({buf}, {data}, {ln});"],
                        [f"memset({buf}, 0, sizeof({buf}));", f"{ln} = 0;"]))
    body.append(SLOT)
    body += _loop(ctx, i, "0", f"{i} < {ln}", [f"{acc} += {buf}[{i}] ^ {key};"], decl_in_for=False)
    body += [SLOT, f"return {acc};"]
    return "int", f"const unsigned char *{data}, int {ln}, int {key}", body, "unchecked_copy"


def _alloc(ctx: _Ctx, ptr: str, count: str, typ: str = "int") -> str:
    return ctx.pick([
        f"{ptr} = malloc({count} * sizeof({typ}));",
        f"{ptr} = ({typ} *)malloc(sizeof({typ}) * {count});",
        f"{ptr} = calloc({count}, sizeof({typ}));",
        f"{ptr} = malloc(sizeof(*{ptr}) * {count});",
    ])


def _null_check(ctx: _Ctx, ptr: str, ret: str) -> list:
    cond = ctx.pick([f"{ptr} == NULL", f"!{ptr}", f"NULL == {ptr}"])
    then = [f"return {ret};"]
    if ctx.chance(0.3):
        then.insert(0, ctx.pick(['printf("out of memory\\n");', 'fprintf(stderr, "alloc\\n");']))
    return [_If(cond, then)]


def _t_null_fill(ctx: _Ctx, bad: bool):
    n = ctx.names
    p, cnt, init, i = n.get("ptr"), n.get("len"), n.get("val"), n.get("idx")
    ctx.ints += [cnt, init]
    returns_ptr = ctx.chance(0.5)
    ret_type, fail = ("int *", "NULL") if returns_ptr else ("int", "-1")
    body: list = [f"int *{p};", SLOT]
    if ctx.chance(0.4):
        body.append(_If(f"{cnt} <= 0", [f"return {fail};"]))
    body.append(_alloc(ctx, p, cnt))
    fill = _loop(ctx, i, "0", f"{i} < {cnt}", [f"{p}[{i}] = {init} + {i};"], decl_in_for=True)
    if ctx.chance(0.35):
        # Same if/else shape for both labels; only the condition guards the pointer or not.
        cond = f"{cnt} > 0" if bad else ctx.pick([f"{p} != NULL", f"{p}"])
        body.append(_If(cond, fill, ['printf("nothing to do\\n");', f"return {fail};"]))
    else:
        if not bad:
            body += _null_check(ctx, p, fail)
        body += fill
    body.append(SLOT)
    if returns_ptr:
        body.append(f"return {p};")
    else:
        acc = n.get("acc")
        body += [f"int {acc} = {p}[0];", f"free({p});", f"return {acc};"]
    return ret_type, f"int {cnt}, int {init}", body, "missing_null_check"


def _t_null_strdup(ctx: _Ctx, bad: bool):
    n = ctx.names
    src, copy, ln = n.get("src"), n.get("ptr"), n.get("len")
    body: list = [f"size_t {ln} = strlen({src});", f"char *{copy};", SLOT,
                  ctx.pick([f"{copy} = malloc({ln} + 1);", f"{copy} = (char *)malloc({ln} + 1);"])]
    if not bad:
        body += _null_check(ctx, copy, "NULL")
    elif ctx.chance(0.4):
        body.append(_If(f"{ln} == 0", ['printf("empty\\n");']))
    body += [f"memcpy({copy}, {src}, {ln});", f"{copy}[{ln}] = '\\0';", SLOT, f"return {copy};"]
    return "char *", f"const char *{src}", body, "missing_null_check"


def _heap_prologue(ctx: _Ctx, p: str, cnt: str, fail: str) -> list:
    body: list = [f"int *{p};"]
    body.append(_alloc(ctx, p, cnt))
    body += _null_check(ctx, p, fail)
    return body


def _t_use_after_free(ctx: _Ctx, bad: bool):
    n = ctx.names
    p, cnt, seed, i, res = n.get("ptr"), n.get("len"), n.get("val"), n.get("idx"), n.get("acc")
    ctx.ints += [seed, res]
    body: list = [_If(f"{cnt} < 1", ["return -1;"])] + _heap_prologue(ctx, p, cnt, "-1")
    body.append(f"int {res} = 0;")
    body += _loop(ctx, i, "0", f"{i} < {cnt}", [f"{p}[{i}] = {seed} * {i};"], decl_in_for=True)
    body.append(SLOT)
    form = 1 if ctx.chance(_DECOY_P) else ctx.pick([0, 0, 2])
    use = ctx.pick([f"{res} += {p}[0] + {p}[{cnt} - 1];", f"{res} = {p}[{cnt} / 2];",
                    f"{res} ^= {p}[0];"])
    if form == 0:
        body += [f"free({p});", use] if bad else [use, f"free({p});"]
    elif form == 1:
        # Two allocations: freeing the other one before the use is fine.
        q = n.get("ptr")
        body[-1:-1] = [f"int *{q} = malloc(sizeof(int));", _If(f"{q} == NULL", [f"free({p});", "return -1;"])]
        body += [f"free({p if bad else q});", use, f"free({q if bad else p});"]
    else:
        printed = f'printf("%d\\n", {p}[0]);'
        body += [_If(f"{seed} > {ctx.rng.randint(1, 40)}", [f"free({p});", f"{p} = NULL;", "return 0;"])
                 if not bad else
                 _If(f"{seed} > {ctx.rng.randint(1, 40)}", [f"{res} = {cnt};", f"free({p});"]),
                 printed]
        if not bad:
            body.append(f"free({p});")
    body += [SLOT, f"return {res};"]
    return "int", f"int {cnt}, int {seed}", body, "use_after_free"


def _t_double_free(ctx: _Ctx, bad: bool):
    n = ctx.names
    p, cnt, mode, res = n.get("ptr"), n.get("len"), n.get("flag"), n.get("acc")
    ctx.ints += [mode, res]
    body: list = [f"int {res} = 0;"] + _heap_prologue(ctx, p, cnt, "-1")
    body += [f"memset({p}, 0, {cnt} * sizeof(int));", SLOT]
    form = 1 if ctx.chance(_DECOY_P) else ctx.pick([0, 2])
    if form == 0:
        then = [f"{res} = {p}[0] + {mode};", f"free({p});"]
        if not bad:
            then.append(f"{p} = NULL;")  # free(NULL) below is then a no-op
        body += [_If(f"{mode} > {ctx.rng.randint(0, 9)}", then, [f"{res} = -{mode};"]), SLOT,
                 f"free({p});"]
    elif form == 1:
        q = n.get("ptr")
        body[1:1] = [f"int *{q} = malloc(sizeof(int));"]
        body += [_If(f"{q} == NULL", [f"free({p});", "return -1;"]), f"*{q} = {mode};",
                 f"{res} = *{q};", f"free({p});", SLOT, f"free({q if not bad else p});"]
        if bad:
            body.append(f"free({q});")
    else:
        err = [f"free({p});"] + ([] if bad else [f"return {res};"])
        body += [f"{res} = {p}[0] - {mode};", _If(f"{res} < 0", err), SLOT, f"free({p});"]
    body += [f"return {res};"]
    return "int", f"int {cnt}, int {mode}", body, "double_free"


def _t_unchecked_index(ctx: _Ctx, bad: bool):
    n = ctx.names
    idx, val, res = n.get("idx"), n.get("val"), n.get("acc")
    ctx.ints += [val, res]
    static_table = ctx.chance(0.4)
    if static_table:
        tab = n.get("buf")
        size = ctx.rng.randint(4, 12)
        items = ", ".join(str(ctx.rng.randint(0, 99)) for _ in range(size))
        body: list = [f"static const int {tab}[] = {{{items}}};"]
        bound = f"(int)(sizeof({tab}) / sizeof({tab}[0]))" if ctx.chance(0.5) else str(size)
        access = [f"{res} = {tab}[{idx}] + {val};"]
    else:
        tab = n.get("buf")
        size = ctx.size()
        body = [f"int {tab}[{size}];", f"memset({tab}, 0, sizeof({tab}));"]
        bound = str(size)
        access = [f"{tab}[{idx}] = {val};", f"{res} = {tab}[{idx}] * 2;"]
    body += [f"int {res} = 0;", SLOT]
    form = ctx.rng.randrange(3)
    if form == 0:
        if bad:
            weak = ctx.pick([None, f"{idx} < 0", f"{idx} > {bound}"])
            if weak:
                body.append(_If(weak, ["return -1;"]))
        else:
            body.append(_If(ctx.pick([f"{idx} < 0 || {idx} >= {bound}", f"{idx} >= {bound} || {idx} < 0"]),
                            ["return -1;"]))
        body += access
    elif form == 1:
        wrong_var = ctx.chance(_DECOY_P)
        cond = ((f"{val} >= 0 && {val} < {bound}" if wrong_var else f"{idx} >= 0 && {idx} <= {bound}")
                if bad else f"{idx} >= 0 && {idx} < {bound}")
        body.append(_If(cond, access, ['printf("ignored\\n");', f"{res} = -1;"]))
    else:
        body += access if bad else [_If(f"(unsigned){idx} < (unsigned){bound}", access, [f"{res} = -1;"])]
    body += [SLOT, f"return {res};"]
    return "int", f"int {idx}, int {val}", body, "unchecked_index"


_TEMPLATES = [
    _t_off_by_one_array, _t_off_by_one_param, _t_off_by_one_string,
    _t_unchecked_strcpy, _t_unchecked_memcpy,
    _t_null_fill, _t_null_strdup,
    _t_use_after_free, _t_double_free,
    _t_unchecked_index,
]


def _make_function(seed_rng: random.Random, bad: bool, template) -> tuple[str, str]:
    base_seed = seed_rng.getrandbits(64)
    for attempt in range(12):
        rng = random.Random(base_seed + attempt)
        ctx = _Ctx(rng=rng, names=_Names(rng))
        ret, params, body, kind = template(ctx, bad)
        budget = rng.randint(0, max(0, _FILLER_MAX - attempt))
        body = _fill_slots(ctx, body, budget)
        style = _random_style(rng)
        code = _Renderer(style, rng).function(ret, _function_name(rng), params, body)
        if _MIN_LINES <= code.count("\n") <= _MAX_LINES:
            return code, kind
        if code.count("\n") < _MIN_LINES:
            base_seed += 1000  # too short: re-draw with a fresh budget
    raise RuntimeError("could not render a function within the line limits")  # pragma: no cover


def generate_corpus(n_functions: int = 1200, seed: int = 0, *, n_unlabelled: int = 0) -> list[dict]:
    """Generate a deterministic, label-balanced corpus of C functions.

    Args:
        n_functions: number of labelled rows (rounded down to an even number so labels balance exactly).
        seed: random seed; the same seed always gives the same corpus.
        n_unlabelled: extra rows with ``split == "unlabelled"``, drawn after the labelled ones (so
            they never change them) and distinct from them: code for distillation, which uses no
            labels (their ``label`` is kept only so that the file can be analysed).

    Returns:
        A list of dicts ``{"id", "code", "label", "defect", "split"}``: ``label`` is 1 for a
        function with a memory-safety defect and 0 for a safe one, ``defect`` is one of
        :data:`DEFECT_KINDS` or ``"none"``, and ``split`` is ``"train"``, ``"valid"`` or
        ``"test"`` (about 70/10/20, stratified by label) or ``"unlabelled"``. Each ``code`` is one
        complete C function that compiles with :data:`C_PRELUDE` prepended.
    """
    if n_functions < 2:
        raise ValueError("n_functions must be at least 2")
    if n_unlabelled < 0:
        raise ValueError("n_unlabelled must not be negative")
    rng = random.Random(seed)
    seen: set[str] = set()

    def draw(n: int) -> list[dict]:
        rows: list[dict] = []
        while len(rows) < n:
            # Label alternates, templates rotate, so every template contributes both labels equally.
            bad = len(rows) % 2 == 1
            template = _TEMPLATES[(len(rows) // 2) % len(_TEMPLATES)]
            code, kind = _make_function(rng, bad, template)
            if code in seen:
                continue
            seen.add(code)
            rows.append({"id": "", "code": code, "label": int(bad), "defect": kind if bad else "none",
                         "split": ""})
        return rows

    rows = draw(2 * (n_functions // 2))
    order = list(range(len(rows)))
    rng.shuffle(order)
    rows = [rows[j] for j in order]
    for label in (0, 1):
        members = [r for r in rows if r["label"] == label]
        n = len(members)
        n_train, n_valid = round(n * 0.7), round(n * 0.1)
        for pos, row in enumerate(members):
            row["split"] = "train" if pos < n_train else ("valid" if pos < n_train + n_valid else "test")
    extra = draw(n_unlabelled)
    for row in extra:
        row["split"] = "unlabelled"
    rows += extra
    for j, row in enumerate(rows):
        row["id"] = f"demo-{j:05d}"
    return rows
