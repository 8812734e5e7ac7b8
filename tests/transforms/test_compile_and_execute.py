"""Follow-ups still compile (gcc, javac, compile()) and Python follow-ups compute the same results."""

import textwrap

from .transform_helpers import gcc_syntax_errors, javac_errors
from metacompress_eval.transforms import DEFAULT_TRANSFORMS, get_transformation

SEEDS = range(4)
STRATEGIES = ("natural", "placeholder", "random")

C_PRELUDE = "#include <stdio.h>\n#include <string.h>\nstruct node { int count; struct node *next; };\n"
C_FUNCTIONS = [
    """\
int list_total(struct node *p, int limit) {
    int count = 0;
    while (p != NULL && count < limit) {
        count += p->count;   /* field and local share a name */
        p = p->next;
    }
    if (count > limit) {
        count = limit;
    } else if (count < 0) {
        count = 0;
    } else
        count++;
    return count;
}
""",
    """\
void fill(char *buf, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        int c = 'a' + (int)(i % 26);
        {
            int c = 0;   /* shadows */
            buf[i] = (char)c;
        }
        buf[i] = (char)c;
    }
    switch (n) {
    case 0:
        break;
    default:
        buf[n - 1] = '\\0';
    }
    memset(buf, 0, sizeof(buf));
}
""",
    """\
int classify(int x) {
    int result;
    if (x % 2) result = 1; else result = 2;
retry:
    if (x > 10) { x -= 10; goto retry; }
    printf("%d\\n", x);
    return result;
}
""",
]

JAVA_METHODS = [
    """\
    public static int total(int[] values, int count) {
        int sum = 0;
        for (int i = 0; i < values.length && i < count; i++) {
            if (values[i] > 0) {
                sum += values[i];
            } else if (values[i] < -100) {
                sum -= 1;
            } else {
                continue;
            }
        }
        final int base = sum;
        int bias;
        bias = 3;
        java.util.function.IntUnaryOperator twice = v -> v * 2 + base + bias;
        return twice.applyAsInt(count);
    }
""",
    """\
    public static String read(String path) {
        final StringBuilder out = new StringBuilder();
        try {
            java.util.List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Paths.get(path));
            for (String line : lines) out.append(line);
        } catch (java.io.IOException e) {
            return null;
        }
        switch (out.length()) {
            case 0:
                return "";
            default:
                break;
        }
        return out.toString();
    }
""",
]

PY_FUNCTIONS = [
    (
        """\
        def stats(values, *extra, scale=1):
            \"\"\"Mean and spread.\"\"\"
            total = 0
            count = 0
            for value in list(values) + list(extra):
                total += value
                count += 1
            mean = total / count if count else 0.0
            squares = [(v - mean) ** 2 for v in values]
            if squares:
                spread = max(squares)
            else:
                spread = 0
            return dict(mean=mean * scale, spread=spread)
        """,
        "stats",
        [((1, 2, 3), {}), ((5,), {"scale": 2}), (([],), {}), (([4, 4], 1, 2), {})],
    ),
    (
        """\
        def make_counter(start):
            count = start
            def bump(step=1):
                nonlocal count
                count += step
                return count
            seen = {k: k * 2 for k in range(3)}
            try:
                first = seen[start]
            except KeyError as exc:
                first = str(exc)
            return [bump(), bump(2), first]
        """,
        "make_counter",
        [((0,), {}), ((7,), {})],
    ),
    (
        """\
        def words(text):
            result = []
            for word in text.split():
                if not word.isalpha():
                    continue
                elif word.islower():
                    result.append(word)
                else:
                    result.append(word.lower())
            if len(result) > 2:
                tail = result[2:]
            else:
                tail = None
            return result, tail
        """,
        "words",
        [(("Hello big World again x1",), {}), (("",), {})],
    ),
]


def follow_ups(code, language):
    out = []
    for name in DEFAULT_TRANSFORMS:
        strategies = STRATEGIES if name == "rename_variables" else (None,)
        for strategy in strategies:
            params = {"strategy": strategy} if strategy else {}
            for seed in SEEDS:
                result = get_transformation(name, **params).apply(code, language, seed)
                if result.applied:
                    out.append((name, seed, result.code))
    return out


def test_c_follow_ups_compile(tmp_path, need_gcc):
    units = [C_PRELUDE + code for code in C_FUNCTIONS]
    applied = set()
    for code in C_FUNCTIONS:
        for name, _, follow_up in follow_ups(code, "c"):
            units.append(C_PRELUDE + follow_up)
            applied.add(name)
    assert applied == set(DEFAULT_TRANSFORMS)
    assert gcc_syntax_errors(tmp_path, units) == []


def test_java_follow_ups_compile(tmp_path, need_javac):
    classes = {}
    for i, code in enumerate(JAVA_METHODS):
        classes[f"Original{i}"] = f"class Original{i} {{\n{code}}}\n"
        for j, (_, _, follow_up) in enumerate(follow_ups(code, "java")):
            classes[f"FollowUp{i}_{j}"] = f"class FollowUp{i}_{j} {{\n{follow_up}}}\n"
    assert len(classes) > 10
    assert javac_errors(tmp_path, classes) == []


def run_function(source, name, calls):
    namespace = {}
    exec(compile(source, "<snippet>", "exec"), namespace)
    function = namespace[name]
    outputs = []
    for args, kwargs in calls:
        try:
            outputs.append(("ok", function(*args, **kwargs)))
        except Exception as exc:  # the exception type is part of the behaviour
            outputs.append(("raised", type(exc).__name__))
    return outputs


def test_python_follow_ups_compile_and_behave_the_same():
    checked = 0
    for source, name, calls in PY_FUNCTIONS:
        source = textwrap.dedent(source)
        expected = run_function(source, name, calls)
        for transformation, seed, follow_up in follow_ups(source, "python"):
            assert run_function(follow_up, name, calls) == expected, (transformation, seed, follow_up)
            checked += 1
    assert checked >= 20
