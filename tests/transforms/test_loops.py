"""for_to_while, while_to_for, loop_guard_negation (plus helpers shared by the new transformation tests)."""

import re
import shutil
import subprocess
import textwrap

import pytest

from .transform_helpers import gcc_syntax_errors, javac_errors
from metacompress_eval.transforms import get_transformation


def apply(name, code, language, seed=0):
    return get_transformation(name).apply(code, language, seed)


def follow_ups(name, code, language, seeds=range(12)):
    """Distinct applied follow-ups over several seeds."""
    found = []
    for seed in seeds:
        result = apply(name, code, language, seed)
        if result.applied and result.code not in found:
            found.append(result.code)
    return found


# ----- batched compiler / runtime helpers (also used by the other new test modules) -----------


def node_check_errors(tmp_path, sources):
    """``node --check`` on each source, one file each (a single node process)."""
    files = []
    for i, source in enumerate(sources):
        path = tmp_path / f"check_{i}.js"
        path.write_text(source)
        files.append(str(path))
    script = (
        "const vm=require('vm'),fs=require('fs');let bad=[];for(const f of process.argv.slice(1)){"
        "try{new vm.Script(fs.readFileSync(f,'utf8'),{filename:f})}catch(e){bad.push(f+': '+e.message)}}"
        "console.log(bad.join('\\n'));process.exit(bad.length?1:0)"
    )
    proc = subprocess.run(["node", "-e", script, *files], capture_output=True, text=True, timeout=60)
    return [] if proc.returncode == 0 else [proc.stdout + proc.stderr]


def java_class(name, methods, imports=""):
    return f"{imports}\npublic class {name} {{\n" + "\n".join(methods) + "\n}\n"


def run_c_variants(tmp_path, function_name, variants, calls, prelude="#include <stdio.h>\n#include <string.h>\n"):
    """Compile every variant of a C function (renamed) into one program; return output per variant."""
    pattern = re.compile(rf"\b{function_name}\b")
    parts = [prelude]
    for k, code in enumerate(variants):
        parts.append(pattern.sub(f"{function_name}_{k}", code))
    body = []
    for k in range(len(variants)):
        body.append(f'    printf("variant {k}\\n");')
        for call in calls:
            body.append(f'    printf("%ld\\n", (long){function_name}_{k}({call}));')
    parts.append("int main(void) {\n" + "\n".join(body) + "\n    return 0;\n}\n")
    source = tmp_path / f"{function_name}_run.c"
    source.write_text("\n".join(parts))
    binary = tmp_path / f"{function_name}_run"
    subprocess.run(["gcc", "-std=gnu11", "-w", "-o", str(binary), str(source)], check=True, timeout=60)
    out = subprocess.run([str(binary)], capture_output=True, text=True, timeout=30, check=True).stdout
    chunks = out.split("variant ")[1:]
    return [chunk.split("\n", 1)[1] for chunk in chunks]


def run_js_variants(function_name, variants, calls):
    """Evaluate every variant of a JS function in one ``node -e``; return output per variant."""
    pattern = re.compile(rf"\b{function_name}\b")
    script = []
    for k, code in enumerate(variants):
        script.append(pattern.sub(f"{function_name}_{k}", code))
        script.append(f"console.log('variant'); for (const a of [{', '.join(calls)}]) "
                      f"console.log(JSON.stringify({function_name}_{k}(...a)));")
    out = subprocess.run(["node", "-e", "\n".join(script)], capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.split("variant\n")[1:]


def run_python_variants(function_name, variants, calls):
    outputs = []
    for code in variants:
        namespace = {}
        exec(compile(code, "<variant>", "exec"), namespace)
        outputs.append([repr(namespace[function_name](*args)) for args in calls])
    return outputs


need_node = pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")


# ----- for_to_while ---------------------------------------------------------------------------

C_CONTINUE = """\
int f(int *a, int n) {
    int s = 0, i, j;
    for (i = 0; i < n; i++) {
        if (a[i] < 0) continue; /* skip negatives */
        for (j = 0; j < 2; j++) { if (j) continue; s++; }
        s += a[i];
    }
    return s;
}
"""


def test_c_for_to_while_rewrites_only_its_own_continue():
    outputs = follow_ups("for_to_while", C_CONTINUE, "c")
    assert (
        "int f(int *a, int n) {\n    int s = 0, i, j;\n"
        "    { i = 0; while (i < n) {\n"
        "        if (a[i] < 0) { i++; continue; } /* skip negatives */\n"
        "        for (j = 0; j < 2; j++) { if (j) continue; s++; }\n"
        "        s += a[i];\n"
        "        i++;\n"
        "    } }\n    return s;\n}\n"
    ) in outputs
    # The inner loop converted: its continue gets j++, the outer loop's continue is untouched.
    assert (
        "        { j = 0; while (j < 2) { if (j) { j++; continue; } s++; j++; } }\n"
    ) in "".join(outputs)
    assert len(outputs) == 2


def test_java_labelled_continue_and_label_moves():
    code = textwrap.dedent(
        """\
        int f(int[] a) {
            int s = 0;
            outer: for (int i = 0, k = 1; i < a.length; i++, k--) {
                for (int j = 0; j < 3; j++) { if (j == i) continue outer; }
                s += a[i] * k;
            }
            return s;
        }
        """
    )
    outputs = follow_ups("for_to_while", code, "java")
    assert (
        "    { int i = 0, k = 1; outer: while (i < a.length) {\n"
        "        for (int j = 0; j < 3; j++) { if (j == i) { i++; k--; continue outer; } }\n"
        "        s += a[i] * k;\n"
        "        i++; k--;\n"
        "    } }\n"
    ) in "".join(outputs)


def test_missing_condition_and_final_return():
    code = "int f(int n) { for (int i = 0; ; i++) { if (i * i > n) return i; } }"
    assert apply("for_to_while", code, "c").code == (
        "int f(int n) { { int i = 0; while (1) { if (i * i > n) return i; i++; } } }"
    )
    java = "int f(int n) { for (int i = 0; ; i++) { if (i > n) break; n--; return n; } }"
    assert apply("for_to_while", java, "java").code == (
        "int f(int n) { { int i = 0; while (true) { if (i > n) break; n--; return n; } } }"
    )


def test_javascript_and_go():
    js = "function f(a) {\n  let s = 0;\n  for (let i = 0; i < a.length; i++) {\n    if (a[i]) continue;\n    s += i;\n  }\n  return s;\n}\n"
    assert apply("for_to_while", js, "javascript").code == (
        "function f(a) {\n  let s = 0;\n  { let i = 0; while (i < a.length) {\n    if (a[i]) { i++; continue; }\n"
        "    s += i;\n    i++;\n  } }\n  return s;\n}\n"
    )
    go = "func f(n int) int {\n\ts := 0\n\tfor i := 0; i < n; i++ {\n\t\tif i%2 == 0 {\n\t\t\tcontinue\n\t\t}\n\t\ts += i\n\t}\n\treturn s\n}\n"
    assert apply("for_to_while", go, "go").code == (
        "func f(n int) int {\n\ts := 0\n\t{ i := 0; for i < n {\n\t\tif i%2 == 0 {\n\t\t\t{ i++; continue }\n"
        "\t\t}\n\t\ts += i\n\t\ti++\n\t} }\n\treturn s\n}\n"
    )


@pytest.mark.parametrize(
    "code,language,why",
    [
        ("function f(a) { const fs = []; for (let i = 0; i < 3; i++) { fs.push(() => i); } return fs; }",
         "javascript", "closure"),
        ("int f(int n) { int s = 0; for (int i = 0; i < n; i++) { int i = 3; s += i; } return s; }", "c", "declares"),
        ("def f(n):\n    for i in range(n):\n        pass\n", "python", "language"),
        ("int f(int n) { while (n) n--; return n; }", "c", "no for loop"),
    ],
)
def test_for_to_while_not_applicable(code, language, why):
    result = apply("for_to_while", code, language)
    assert result.status == "not_applicable", why
    assert result.reason


# ----- while_to_for ---------------------------------------------------------------------------


def test_while_to_for():
    assert apply("while_to_for", "int f(int n) { while (n > 0 /* pos */) n--; return n; }", "c").code == (
        "int f(int n) { for (; n > 0 /* pos */; ) n--; return n; }"
    )
    assert apply("while_to_for", "void f() { L: while (true) { break L; } }", "java").code == (
        "void f() { L: for (; true; ) { break L; } }"
    )
    assert apply("while_to_for", "function f() { do { x(); } while (y); }", "javascript").status == "not_applicable"


# ----- loop_guard_negation --------------------------------------------------------------------


def test_loop_guard_negation_integers_only():
    code = "int f(int n) { int i = 0; while (i < n) i++; double d = 0; while (d < 1.0) d += 0.5; return i; }"
    assert follow_ups("loop_guard_negation", code, "c") == [
        "int f(int n) { int i = 0; while (!(i >= n)) i++; double d = 0; while (d < 1.0) d += 0.5; return i; }"
    ]
    py = "def f(xs):\n    i = 0\n    n = len(xs)\n    while i <= n - 1:\n        i += 1\n    return i\n"
    assert apply("loop_guard_negation", py, "python").code == py.replace("i <= n - 1", "not (i > n - 1)")
    java = "int f(int[] a) { int s = 0; for (int i = 0; i < a.length; i++) s += a[i]; return s; }"
    assert apply("loop_guard_negation", java, "java").code == java.replace("i < a.length", "!(i >= a.length)")
    go = "func f(n int) int { s := 0; for s < n { s++ }; return s }"
    assert apply("loop_guard_negation", go, "go").code == go.replace("s < n", "!(s >= n)")


@pytest.mark.parametrize(
    "code,language",
    [
        ("double f(double x, double y) { while (x < y) x += 1; return x; }", "c"),
        ("def f(n):\n    i = 0\n    while i < n:\n        i += 1\n", "python"),  # n is a parameter
        ("function f(a) { let i = 0; while (i < a.length) i++; return i; }", "javascript"),  # a.length may be undefined
        ("void f(float x) { for (int i = 0; i < x; i++) g(); }", "java"),
    ],
)
def test_loop_guard_negation_not_applicable(code, language):
    result = apply("loop_guard_negation", code, language)
    assert result.status == "not_applicable" and "integer" in result.reason


# ----- compile and execution checks -----------------------------------------------------------

C_LOOP_FUNCTIONS = [
    ("sum_pos", C_CONTINUE.replace("int f(", "int sum_pos("), ["arr, 6", "arr, 0", "arr + 2, 3"]),
    ("collatz", """\
int collatz(int n) {
    int steps = 0;
    while (n != 1 && steps < 1000) {
        n = (n % 2) ? 3 * n + 1 : n / 2;
        steps++;
    }
    for (int k = 0, m = 10; k < m; k++, m--) {
        if (k % 3 == 0) continue;
        steps += k;
    }
    return steps;
}
""", ["1", "7", "27"]),
]
LOOP_TRANSFORMS = ("for_to_while", "while_to_for", "loop_guard_negation")


def test_c_follow_ups_compile_and_behave_the_same(tmp_path, need_gcc):
    units = []
    for name, code, calls in C_LOOP_FUNCTIONS:
        variants = [code]
        for transform in LOOP_TRANSFORMS:
            variants += follow_ups(transform, code, "c", range(6))
        assert len(variants) >= 3, name
        units.extend(variants)
        prelude = "#include <stdio.h>\nstatic int arr[] = {3, -1, 4, -1, 5, 9};\n"
        outputs = run_c_variants(tmp_path, name, variants, calls, prelude)
        assert all(out == outputs[0] for out in outputs), (name, outputs)
    assert gcc_syntax_errors(tmp_path, units) == []


JAVA_LOOP_METHOD = """\
    static int f(int[] a, int limit) {
        int s = 0;
        outer: for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < i; j++) {
                if (a[j] == a[i]) continue outer;
            }
            int k = 0;
            while (k < limit) { k++; if (k % 2 == 0) continue; s += k; }
            if (s > 1000) break;
            s += a[i];
        }
        for (;;) { s--; if (s < 50) return s; }
    }
"""


def test_java_follow_ups_compile(tmp_path, need_javac):
    classes = {}
    for transform in LOOP_TRANSFORMS:
        for i, variant in enumerate(follow_ups(transform, JAVA_LOOP_METHOD, "java")):
            classes[f"Loop_{transform}_{i}"] = java_class(f"Loop_{transform}_{i}", [variant])
    assert len(classes) >= 5
    assert javac_errors(tmp_path, classes) == []


JS_LOOP = """\
function f(a, limit) {
  let s = 0;
  outer: for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < i; j++) {
      if (a[j] === a[i]) continue outer;
    }
    let k = 0;
    while (k < limit) { k++; if (k % 2 === 0) continue; s += k; }
    s += a[i];
  }
  return s;
}
"""


@need_node
def test_javascript_follow_ups_check_and_behave_the_same(tmp_path):
    variants = [JS_LOOP]
    for transform in LOOP_TRANSFORMS:
        variants += follow_ups(transform, JS_LOOP, "javascript", range(6))
    assert len(variants) >= 4
    assert node_check_errors(tmp_path, variants) == []
    outputs = run_js_variants("f", variants, ["[[1, 2, 2, 3], 5]", "[[], 3]", "[[4, 4, 4], 0]"])
    assert all(out == outputs[0] for out in outputs)


def test_python_while_guard_behaves_the_same():
    code = "def f(xs):\n    i = 0\n    total = 0\n    n = len(xs)\n    while i < n:\n        total += xs[i]\n        i += 1\n    return total\n"
    variants = [code] + follow_ups("loop_guard_negation", code, "python")
    assert len(variants) == 2
    outputs = run_python_variants("f", variants, [([1, 2, 3],), ([],)])
    assert outputs[0] == outputs[1]
