"""Generators of inputs of each hard kind (issue 12): many shapes per kind, not one example.

Every generator returns ``(code, context, calls)`` triples (or richer tuples where said): ``code`` is
the input the transformations see, ``context`` what the oracle adds around both snippets when it
runs them (a ``#define`` the function alone does not see, classes whose operators log), and
``calls`` the inputs to run them on.
"""

from __future__ import annotations

import random

INT_CALLS = [(0, 0), (1, 2), (5, 3), (7, 7), (-4, 9), (12, -6), (3, 100)]

# ----------------------------------------------------------------------------- 1. C macro bodies

# Object-like macros whose body is NOT parenthesised: each binds looser than some operator a
# transformation may put next to it.
BARE_OBJECT_MACROS = ["6 & 3", "1 + 2", "10 - 4", "2 | 1", "3 ^ 1", "1 << 3", "16 >> 2", "8 / 2", "1 && 0",
                      "0 || 1", "5 == 5", "-1", "4 % 3", "2 * 3"]
# Function-like macros with bare bodies (name, parameters, body).
BARE_FUNCTION_MACROS = [
    ("SQ", "v", "v * v"), ("ADD", "p, q", "p + q"), ("MAXI", "p, q", "p > q ? p : q"), ("NEG", "v", "-v"),
    ("LT", "p, q", "p < q"), ("LOWBIT", "v", "v & 1"), ("DIFF", "p, q", "p - q"),
]
PAREN_OBJECT_MACROS = ["(6 & 3)", "(1 + 2)", "7", "(-1)"]

# Statement templates using a macro ``M`` (object-like) in a position where a transformation
# reorders, regroups or negates around it. ``a``, ``b`` are the int parameters.
MACRO_SITES = [
    "    if (a > M) {{\n        r = 1;\n    }}\n",
    "    if (M < b) {{\n        r = r + 2;\n    }}\n",
    "    if (a == M) {{\n        r = 3;\n    }} else {{\n        r = 4;\n    }}\n",
    "    while (i < M && i < 8) {{\n        i++;\n    }}\n",
    "    for (i = 0; i < M && i < 8; i++) {{\n        r += 1;\n    }}\n",
    "    r += M;\n",
    "    r = a + M;\n",
    "    r = (a != M) ? 5 : 6;\n",
    "    if (a >= M || b <= M) {{\n        r -= 1;\n    }}\n",
    "    switch (a) {{\n    case M:\n        r = 9;\n        break;\n    default:\n        r = 8;\n    }}\n",
]
# Macros whose body holds a comma (only in statement positions where C allows one) or is an
# lvalue with a unary operator.
COMMA_MACROS = ["7, 2", "a = 3, b"]
COMMA_SITES = [
    "    r += M;\n", "    r = (a > b) ? M : 6;\n", "    if (M) {{\n        r = 1;\n    }}\n",
    "    while (i < 3) {{\n        r -= M;\n        i++;\n    }}\n",
]
FUNCTION_MACRO_SITES = [
    "    if (a > CALL) {{\n        r = 1;\n    }}\n",
    "    if (CALL < b) {{\n        r = 2;\n    }}\n",
    "    r = CALL;\n",
    "    r += CALL;\n",
    "    return CALL == r;\n",
]


def _macro_function(body: str) -> str:
    return f"int f(int a, int b) {{\n    int r = 0;\n    int i = 0;\n{body}    return r * 10 + i;\n}}\n"


def macro_inputs(seed: int = 0, count: int = 24) -> list[tuple[str, str, list]]:
    """C functions using macros with bare bodies: defined in the input, or only in the context
    (the function alone cannot see them), object-like and function-like; plus parenthesised
    macros (which transformations may keep treating as values)."""
    rng = random.Random(seed)
    out = []
    for k in range(count):
        site = rng.choice(MACRO_SITES)
        if k % 4 == 3:
            name, params, body = rng.choice(BARE_FUNCTION_MACROS)
            args = ", ".join(rng.choice(["a", "b", "2", "a + 1"]) for _ in params.split(","))
            use = rng.choice(FUNCTION_MACRO_SITES).replace("CALL", f"{name}({args})")
            define = f"#define {name}({params}) {body}\n"
            code_body = use.format()
        else:
            name = rng.choice(["LOW", "LIMIT", "MASK", "N_MAX", "BOUND"])
            body = rng.choice(BARE_OBJECT_MACROS if k % 5 else PAREN_OBJECT_MACROS)
            define = f"#define {name} {body}\n"
            code_body = site.replace("M", name).format()
        if k % 6 == 5:
            name = "MC_PAIR"
            define = f"#define {name} {rng.choice(COMMA_MACROS)}\n"
            code_body = rng.choice(COMMA_SITES).replace("M", name).format()
        function = _macro_function(code_body)
        if k % 2 == 0:
            out.append((define + function, "", INT_CALLS))  # the input defines the macro
        else:
            out.append((function, define, INT_CALLS))  # only the enclosing file does
    return out


# ------------------------------------------------------------------------ 2. names that are data

PY_DATA_NAME_BODIES = [
    'print(f"{total=}")', 'print(f"{total = }")', 'print(f"{total=!r}")', 'print(f"{total=:>6}")',
    'print(f"{total + step=}")', 'print(f"{total=} and {step=}")',
    'print("%(total)s" % locals())', 'print("{total}".format(**locals()))',
    'print("{total}/{step}".format_map(vars()))',
    'print(string.Template("$total").substitute(locals()))',
    'print(sorted(locals()))', 'print(eval("total + step"))',
]


def python_data_name_inputs() -> list[tuple[str, str, list]]:
    """Python functions whose locals' NAMES reach the output (f-string ``=``, ``%(name)s`` with
    ``locals()``, ``format(**locals())``, ``Template``, ``eval``)."""
    out = []
    for body in PY_DATA_NAME_BODIES:
        code = (f"def f(a, b):\n    total = a + b\n    step = a - b\n    {body}\n"
                f"    if total > step:\n        total = total + 1\n    return total\n")
        out.append((code, "import string\n", ["f(1, 2)", "f(5, 3)"]))
    nested = ('def f(a, b):\n    total = a * b\n    def show():\n        print(f"{total=}")\n'
              '    show()\n    return total\n')
    out.append((nested, "", ["f(2, 3)"]))
    return out


# Python class bodies: the ORDER of their statements is data too (dataclass fields and __init__
# parameters, Enum values, vars()).
PY_CLASS_BODY_INPUTS = [
    ("def f(a, b):\n    from dataclasses import dataclass\n    @dataclass\n    class P:\n        total: int\n"
     "        step: int = 0\n        rest: int = 1\n    return repr(P(a + b, a)).split('.')[-1]\n"),
    ("def f(a, b):\n    class K:\n        low = a\n        high = b\n        mid = 3\n"
     "    return [k for k in vars(K) if not k.startswith('_')]\n"),
    ("def f(a, b):\n    import enum\n    class E(enum.Enum):\n        LOW = 1\n        HIGH = 2\n"
     "    return [e.name for e in E][a % 2]\n"),
]


def python_class_body_inputs() -> list[tuple[str, str, list]]:
    return [(code, "", ["f(1, 2)", "f(4, 0)"]) for code in PY_CLASS_BODY_INPUTS]


# JavaScript: a binding names the anonymous function or class it holds (``.name``, what printing
# it shows); shorthand properties spell a name that is both a key and a variable.
JS_DATA_NAME_BODIES = [
    "const handler = function () { return a; };\n  return handler.name + handler();",
    "let total = () => a + b;\n  return [total].map((g) => g.name).join() + total();",
    "var Shape = class { area() { return a * b; } };\n  return Shape.name + new Shape().area();",
    "let cb;\n  cb = function () { return b; };\n  return String([cb.name, cb()]);",
    "const total = a + b;\n  const o = {total, a};\n  return JSON.stringify(o);",
    "const step = a - b;\n  const total = a + b;\n  const {total: t2, step: s2} = {total, step};\n  return t2 * 10 + s2;",
    "const total = a * b;\n  const copy = {...{total}};\n  return Object.keys(copy).join() + copy.total;",
]


def javascript_data_name_inputs() -> list[tuple[str, str, list]]:
    return [(f"function f(a, b) {{\n  {body}\n}}\n", "", ["f(1, 2)", "f(4, 0)"]) for body in JS_DATA_NAME_BODIES]


# The snippet's own function whose NAME the code reads (rename_function must refuse).
FUNCTION_NAME_DATA = {
    "python": [
        "def f(a, b):\n    return f.__name__ + str(a)\n",
        "def f(a, b):\n    return sys._getframe().f_code.co_name\n",
        "def f(a, b):\n    class P:\n        pass\n    return P.__qualname__\n",
        "def f(a, b):\n    g = f\n    return g.__name__\n",
        "def f(a, b):\n    return inspect.stack()[0].function\n",
        "def f(a, b):\n    return [h.__name__ for h in (f,)]\n",
    ],
    "javascript": [
        "function f(a, b) {\n  return f.name;\n}\n",
        "function f(a, b) {\n  const g = f;\n  return g.name + a;\n}\n",
        "function f(a, b) {\n  return [f].map((h) => h.name).join();\n}\n",
        "function f(a, b) {\n  return arguments.callee.name + a;\n}\n",
    ],
}


C_DATA_NAME_INPUTS = [
    # (macro definitions, body using them): stringification, token pasting, member names.
    ('#define SHOW(v) printf(#v "=%d\\n", v)\n', "    SHOW(total);\n"),
    ('#define STR(v) #v\n', '    printf("%s %d\\n", STR(total), total);\n'),
    ('#define XSTR(v) STR(v)\n#define STR(v) #v\n', '    printf("%s %d\\n", XSTR(total), total);\n'),
    ('#define SHOW2(p, q) printf("%s %s %d\\n", #p, #q, p + q)\n', "    SHOW2(total, b);\n"),
    ('#define CAT(p, q) p##q\n', "    CAT(tot, al) = CAT(tot, al) + 1;\n"),
    ('#define GET(s, m) s.m\n', "    pt.total = 4;\n    total = total + GET(pt, total);\n"),
    ('#define PGET(s, m) (s)->m\n', "    pp->total = 2;\n    total = total + PGET(pp, total);\n"),
    ('#define DECLARE(n) int n = 3\n', "    {\n        DECLARE(total);\n        printf(\"%d\\n\", total);\n    }\n"),
]


def c_data_name_inputs() -> list[tuple[str, str, list]]:
    """C functions whose locals' names are data of a macro: stringified (``#``), pasted (``##``),
    used as member names or declared by the macro. Each once with the ``#define`` in the input and
    once with it only in the context (an ALL-CAPS macro the function alone cannot resolve)."""
    out = []
    for defines, body in C_DATA_NAME_INPUTS:
        struct = "struct pair { int total; int other; };\n" if "pt" in body or "pp" in body else ""
        function = (
            "int f(int a, int b) {\n    int total = a + b;\n"
            + ("    struct pair pt;\n" if "pt" in body else "")
            + ("    struct pair q;\n    struct pair *pp = &q;\n" if "pp" in body else "")
            + body + "    return total * 2 + a;\n}\n")
        out.append((defines + function, struct, INT_CALLS))
        out.append((function, struct + defines, INT_CALLS))
    return out


# ---------------------------------------------------------------------------------------- 3. Go

GO_COPY_CONFLICTS = [
    # An earlier statement refers to an outer variable; a later ``:=`` in the same block shadows
    # it with another type; a copy of the earlier statement placed after it would not compile.
    ("func f(n int) string {\n\ts := 0\n\tif n > 0 {\n\t\ts = n * 2\n\t\ts := fmt.Sprint(n)\n"
     "\t\tfmt.Println(s)\n\t\tfmt.Println(len(s))\n\t}\n\treturn fmt.Sprint(s)\n}\n"),
    ("func f(xs []int) float64 {\n\ttotal := 0\n\tfor _, x := range xs {\n\t\ttotal += x\n\t\ttotal := 1.5\n"
     "\t\ttotal *= 2\n\t\tfmt.Println(total)\n\t}\n\treturn float64(total)\n}\n"),
    ("func f(name string, n int) int {\n\tcount := n\n\t{\n\t\tcount++\n\t\tcount := name + \"!\"\n"
     "\t\tfmt.Println(count)\n\t\tfmt.Println(count)\n\t}\n\treturn count\n}\n"),
    ("func f(v []byte) int {\n\tsize := len(v)\n\tif size > 2 {\n\t\tsize = size - 1\n\t\tvar size string = \"x\"\n"
     "\t\tfmt.Println(size)\n\t\tfmt.Println(size + \"y\")\n\t}\n\treturn size\n}\n"),
    ("func f(n int) error {\n\terr := error(nil)\n\tif n > 1 {\n\t\terr = fmt.Errorf(\"bad %d\", n)\n"
     "\t\terr := n * 3\n\t\tfmt.Println(err)\n\t\tfmt.Println(err + 1)\n\t}\n\treturn err\n}\n"),
]

# Loops whose variable is per-iteration in Go 1.22+ and shared before: address taken, closures,
# goroutines, deferred calls, method values. A for -> while rewrite moves the variable out of the
# loop and changes the 1.22 meaning.
GO_LOOP_VARIABLE_CAPTURES = [
    "func f(n int) []*int {\n\tvar ptrs []*int\n\tfor i := 0; i < n; i++ {\n\t\tptrs = append(ptrs, &i)\n\t}\n\treturn ptrs\n}\n",
    "func f(n int) []func() int {\n\tvar fs []func() int\n\tfor i := 0; i < n; i++ {\n\t\tfs = append(fs, func() int { return i })\n\t}\n\treturn fs\n}\n",
    "func f(n int) int {\n\ttotal := 0\n\tfor i := 0; i < n; i++ {\n\t\tp := &i\n\t\ttotal += *p\n\t}\n\treturn total\n}\n",
    "func f(n int, out chan int) {\n\tfor i := 0; i < n; i++ {\n\t\tgo func() { out <- i }()\n\t}\n}\n",
    "func f(n int) {\n\tfor i := 0; i < n; i++ {\n\t\tdefer func() { fmt.Println(i) }()\n\t}\n}\n",
    "func f(pts []point) []*point {\n\tvar out []*point\n\tfor p, k := (point{}), 0; k < len(pts); k++ {\n\t\tp = pts[k]\n\t\tout = append(out, &p)\n\t}\n\treturn out\n}\n",
    "func f(n int) []*int {\n\tvar ptrs []*int\n\tfor i, j := 0, n; i < j; i, j = i+1, j-1 {\n\t\tptrs = append(ptrs, &j)\n\t}\n\treturn ptrs\n}\n",
]


# -------------------------------------------------------------------- 4. functions reading locals

PY_NAMESPACE_READERS = [
    "return sorted(locals())", "return sorted(vars())", "return dir()", "return len(locals())",
    "return sorted(k for k in locals())", 'return eval("sorted(locals())")',
    'exec("print(sorted(locals()))")\n    return 0', "return sorted(sys._getframe().f_locals)",
    "return sorted(inspect.currentframe().f_locals)", "return sys._getframe().f_code.co_varnames",
    "return f.__code__.co_nlocals", "return sorted(locals().keys())",
    # The reader reached other than by a plain call: as a value, through builtins, imported bare.
    "getter = locals\n    return sorted(getter())", "return sorted(builtins.locals())",
    "return helper(vars)", "return sorted(_getframe(0).f_locals)", "return [sorted(g()) for g in (dir, locals)][0]",
]
NAMESPACE_CONTEXT = ("import sys, inspect, builtins\nfrom sys import _getframe\n"
                     "def helper(reader):\n    return sorted(reader())\n")


def python_namespace_inputs() -> list[tuple[str, str, list]]:
    out = []
    for reader in PY_NAMESPACE_READERS:
        code = (f"def f(a, b):\n    c = a + b\n    if c > 2:\n        c = c - 1\n    d = c * 2\n    {reader}\n")
        out.append((code, NAMESPACE_CONTEXT, ["f(1, 2)", "f(4, 0)"]))
    return out


# ------------------------------------------------------------- 5. copies that break scoping

JAVA_COPY_CONFLICTS = [
    # (method text): an earlier statement declares a name that a later local then also declares.
    "int f(java.util.List<Integer> xs) {\n    xs.forEach(v -> System.out.println(v));\n    int s = 0;\n    int v = 3;\n    s += v;\n    return s;\n}\n",
    "int f(java.util.List<Integer> xs) {\n    xs.removeIf((Integer v) -> v > 3);\n    int v = xs.size();\n    v = v + 1;\n    return v;\n}\n",
    "int f(int n) {\n    for (int i = 0; i < n; i++) {\n        System.out.println(i);\n    }\n    int i = n * 2;\n    i += 1;\n    return i;\n}\n",
    "int f(String s) {\n    try {\n        Integer.parseInt(s);\n    } catch (NumberFormatException e) {\n        System.out.println(e);\n    }\n    RuntimeException e = new RuntimeException();\n    System.out.println(e);\n    return s.length();\n}\n",
    "int f(Object o) {\n    if (o instanceof String str) {\n        System.out.println(str);\n    }\n    String str = \"x\";\n    System.out.println(str);\n    return str.length();\n}\n",
    "int f(int[] xs) {\n    for (int x : xs) {\n        System.out.println(x);\n    }\n    int x = xs.length;\n    x = x * 2;\n    return x;\n}\n",
    "int f(int n) {\n    {\n        int k = n + 1;\n        System.out.println(k);\n    }\n    int k = 2;\n    k = k + n;\n    return k;\n}\n",
    "int f(int n) {\n    Runnable r = () -> { int m = n; System.out.println(m); };\n    r.run();\n    int m = 4;\n    m = m + n;\n    return m;\n}\n",
    # A field read early, then a local of the same name: a later copy would read the (blank) local.
    "int f(int n) {\n    System.out.println(total);\n    int total;\n    total = n;\n    System.out.println(n);\n    return total;\n}\n",
]

C_SHADOW_CONFLICTS = [
    ("struct pt { int x; int y; };\nint f(struct pt *p, int a) {\n    int r = 0;\n    {\n        r += p->x;\n        int p = a * 2;\n        r += p;\n        r = r + 1;\n    }\n    return r;\n}\n"),
    ("int f(int a, int b) {\n    double d = 0.5;\n    int r = 0;\n    {\n        r = r + (int)(d * 4);\n        int d = a;\n        r = r + d;\n        r = r * 2;\n    }\n    return r + b;\n}\n"),
    ("typedef int T;\nint f(int a) {\n    int r = 0;\n    {\n        r += sizeof(T);\n        char T = 'x';\n        r += T;\n        r = r - 1;\n    }\n    return r + a;\n}\n"),
    ("int g(int v) { return v + 1; }\nint f(int a) {\n    int r = 0;\n    {\n        r = g(a);\n        int g = 7;\n        r = r + g;\n        r = r * 3;\n    }\n    return r;\n}\n"),
]


# -------------------------------------------------------------------------------- 6. K&R C

KNR_INPUTS = [
    "int area(w, h) int w; int h; { return w * h; }\n",
    "int area(w, h)\nint w;\nint h;\n{\n    int r = w * h;\n    if (r > 10) {\n        r = r - 1;\n    }\n    return r;\n}\n",
    "int scale(a, b) int b; int a; {\n    int t = a + b;\n    return t * a;\n}\n",
    "int sum(a, b) int a, b; {\n    return a + b;\n}\n",
    "long mix(a, b) register int a; long b; {\n    long s = a;\n    while (s < b) {\n        s = s + 2;\n    }\n    return s;\n}\n",
    "int first(s, n) char *s; int n; {\n    int i = 0;\n    if (n > 0) {\n        i = s[0];\n    }\n    return i + n;\n}\n",
    "int pick(a, b) int a; {\n    return a > b ? a : b;\n}\n",
]


# ----------------------------------------------------- 7. comparisons that run user code

PY_LOGGING_CLASSES = """\
LOG = []
class Loud:
    def __init__(self, name, v):
        self.name, self.v = name, v
    def __lt__(self, o):
        LOG.append(self.name + '<'); return self.v < getattr(o, 'v', o)
    def __gt__(self, o):
        LOG.append(self.name + '>'); return self.v > getattr(o, 'v', o)
    def __le__(self, o):
        LOG.append(self.name + '<='); return self.v <= getattr(o, 'v', o)
    def __ge__(self, o):
        LOG.append(self.name + '>='); return self.v >= getattr(o, 'v', o)
    def __eq__(self, o):
        LOG.append(self.name + '=='); return self.v == getattr(o, 'v', o)
    def __ne__(self, o):
        LOG.append(self.name + '!='); return self.v != getattr(o, 'v', o)
    __hash__ = None
class Holder:
    def __init__(self, v):
        self._v = v
    @property
    def v(self):
        LOG.append('get'); return self._v
class IntLoud(int):
    def __lt__(self, o):
        LOG.append('int<'); return int(self) < o
    def __ge__(self, o):
        LOG.append('int>='); return int(self) >= o
"""
PY_COMPARISONS = ["a < b", "a > b", "a <= b", "a >= b", "a == b", "a != b", "a.v < b.v", "a < 2.5",
                  "a < True", "a.v == b", "a < b.v"]


def python_user_operator_inputs() -> list[tuple[str, str, list]]:
    out = []
    for comparison in PY_COMPARISONS:
        code = f"def f(a, b):\n    if {comparison}:\n        return 1\n    return 0\n"
        calls = ["(f(Loud('a', 1), Loud('b', 2)), LOG)", "(f(Loud('a', 3), Loud('b', 2)), LOG)",
                 "(f(Holder(Loud('a', 1)), Holder(Loud('b', 5))), LOG)", "(f(IntLoud(3), IntLoud(2)), LOG)"]
        out.append((code, PY_LOGGING_CLASSES, calls))
    loop = "def f(a, b):\n    n = 0\n    while a < b:\n        n += 1\n        b = b - 1\n    return n\n"
    out.append((loop, PY_LOGGING_CLASSES, ["(f(IntLoud(1), 4), LOG)", "(f(Loud('a', 1), 3), LOG)"]))
    return out


JS_LOGGING_CONTEXT = """\
var LOG = [];
function loud(name, v) { return { valueOf() { LOG.push(name); return v; }, toString() { LOG.push(name + 's'); return String(v); } }; }
function holder(x) { return { get v() { LOG.push('get'); return x; } }; }
"""
JS_COMPARISONS = ["a < b", "a > b", "a <= b", "a >= b", "a == b", "a != b", "a.v < b.v", "a == b.v"]


def javascript_user_operator_inputs() -> list[tuple[str, str, list]]:
    out = []
    for comparison in JS_COMPARISONS:
        code = f"function f(a, b) {{\n  if ({comparison}) {{\n    return 1;\n  }}\n  return 0;\n}}\n"
        calls = ["[f(loud('a', 1), loud('b', 2)), LOG]", "[f(loud('a', 3), loud('b', 2)), LOG]",
                 "[f(holder(loud('a', 1)), holder(loud('b', 5))), LOG]"]
        out.append((code, JS_LOGGING_CONTEXT, calls))
    return out
