"""No new compiler diagnostics: gcc, javac, compile(), node, Go fallback."""

import pytest

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.verify import checker_name, compare, compare_many, diagnostics

JULIET_STYLE = """\
void func()
{
    int data;
    data = -1;
    if (globalReturnsTrue())
    {
        data = RAND32();
    }
    printIntLine(data);
    printLine("done");
    CWE_helper_badSink(data);
}
"""


def test_c_bad_rename_is_flagged(need_gcc):
    broken = JULIET_STYLE.replace("int data;", "int value;")  # uses of `data` left behind
    result = compare(JULIET_STYLE, broken, "c")
    assert not result.ok
    assert result.checker in ("gcc", "clang")
    assert any("'data' undeclared" in e or "undeclared identifier 'data'" in e for e in result.new_errors)


def test_c_missing_semicolon_is_flagged(need_gcc):
    result = compare(JULIET_STYLE, JULIET_STYLE.replace("data = -1;", "data = -1"), "c")
    assert not result.ok and result.new_errors


def test_c_juliet_follow_up_with_undeclared_support_routines_passes(need_gcc):
    # RAND32 and the sink are undeclared in the source too: implicit declarations are not errors,
    # and a faithful rename adds nothing.
    renamed = JULIET_STYLE.replace("data", "count")
    result = compare(JULIET_STYLE, renamed, "c")
    assert result.ok, result.new_errors
    assert result.verified and result.note is None
    # the Juliet support declarations are in the prelude: the source itself is clean
    assert diagnostics(JULIET_STYLE, "c") == set()


def test_c_existing_errors_are_not_new(need_gcc):
    source = "void func()\n{\n    HCRYPTPROV prov;\n    int data = 0;\n    use(prov, data);\n}\n"
    assert diagnostics(source, "c")  # unknown Windows type: the source does not compile here
    assert compare(source, source.replace("data", "VAR_0"), "c").ok
    assert not compare(source, source.replace("use(prov, data)", "use(prov, dta)"), "c").ok


JAVA_METHOD = """\
    public static String readAll(String path) throws IOException {
        List<String> lines = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new FileReader(path));
        String line;
        while ((line = reader.readLine()) != null) lines.add(line);
        reader.close();
        logger.info("read " + lines.size());
        return String.join("\\n", lines);
    }
"""


def test_java_bare_method_is_wrapped(need_javac):
    # Only the unresolved field `logger` remains: imports and the class wrapper make the rest compile.
    errors = diagnostics(JAVA_METHOD, "java")
    assert len(errors) == 1 and "cannot find symbol" in next(iter(errors))
    renamed = JAVA_METHOD.replace("lines", "items").replace("reader", "input")
    assert compare(JAVA_METHOD, renamed, "java").ok


def test_java_new_errors_are_flagged(need_javac):
    bad_rename = JAVA_METHOD.replace("String line;", "String text;")
    missing_semicolon = JAVA_METHOD.replace("reader.close();", "reader.close()")
    type_error = JAVA_METHOD.replace("return String.join", "return 1 + lines.size(); //")
    results = compare_many([(JAVA_METHOD, bad_rename), (JAVA_METHOD, missing_semicolon),
                            (JAVA_METHOD, type_error), (JAVA_METHOD, JAVA_METHOD)], "java")
    assert [r.ok for r in results] == [False, False, False, True]
    assert any("cannot find symbol" in e for e in results[0].new_errors)


def test_java_compilation_unit_is_not_wrapped(need_javac):
    unit = "import java.util.*;\npublic class Counter {\n    int total(List<Integer> xs) { int s = 0; for (int x : xs) s += x; return s; }\n}\n"
    assert diagnostics(unit, "java") == set()
    assert compare(unit, unit.replace("s +=", "s -=").replace("int s", "int s"), "java").ok
    assert not compare(unit, unit.replace("return s;", "return q;"), "java").ok


def test_python_compile():
    source = "def f(values):\n    total = 0\n    for v in values:\n        total += v\n    return total\n"
    assert compare(source, source.replace("total", "acc"), "python").ok
    result = compare(source, source.replace("return total", "return (total"), "python")
    assert not result.ok and result.checker == "python-compile"
    method = "    def f(self, x):\n        y = x\n        return y\n"
    assert diagnostics(method, "python") == set()  # indented method: wrapped
    assert not compare(method, method.replace("        return y", "      return y"), "python").ok


def test_javascript(need_node):
    source = "function f(a) {\n  let total = 0;\n  for (const x of a) total += x;\n  return total;\n}\n"
    assert compare(source, source.replace("total", "acc"), "javascript").ok
    assert not compare(source, source.replace("let total = 0;", "let total = ;"), "javascript").ok
    method = "sum(a) {\n  return a.reduce((s, x) => s + x, 0);\n}\n"
    assert diagnostics(method, "javascript") == set()  # bare class method: wrapped in a class
    assert compare(method, method.replace("s + x", "x + s"), "javascript").ok
    module = "import fs from 'fs';\nexport function g(p) { return fs.readFileSync(p); }\n"
    assert compare(module, module.replace("(p)", "(q)").replace("Sync(p)", "Sync(q)"), "javascript").ok


def test_go_without_toolchain_is_recorded_as_unverified(monkeypatch):
    import shutil as _shutil

    real = _shutil.which
    monkeypatch.setattr("metacompress_eval.verify.compilers.shutil.which",
                        lambda name, *a, **k: None if name in ("gofmt", "go") else real(name, *a, **k))
    source = "func f(a int) int {\n\treturn a + 1\n}\n"
    result = compare(source, source.replace("a", "b"), "go")
    assert result.ok and not result.verified and result.note == "unverified: no Go toolchain"
    assert not compare(source, source.replace("a + 1", "a + "), "go").ok
    assert "unverified" in checker_name("go")


def test_unknown_language():
    with pytest.raises(MetaCompressError):
        compare("x", "y", "cobol")


def test_batch_matches_single_and_is_cached(need_gcc):
    from metacompress_eval.verify import clear_cache

    clear_cache()
    pairs = [(JULIET_STYLE, JULIET_STYLE.replace("data", f"v{i}")) for i in range(30)]
    pairs.append((JULIET_STYLE, JULIET_STYLE.replace("int data;", "int nope;")))
    results = compare_many(pairs, "c")
    assert [r.ok for r in results] == [True] * 30 + [False]
    assert compare(*pairs[-1], "c").new_errors == results[-1].new_errors


def test_java_method_symbol_arguments_do_not_count(need_javac):
    # javac prints the argument *expressions* of an unresolved method when their types are unknown;
    # an operand swap inside them must not look like a new error.
    source = "    void f(String s) {\n        setChannel(s != null, new Missing(s).x);\n    }\n"
    assert compare(source, source.replace("s != null, new", "null != s, new"), "java").ok
    assert not compare(source, source.replace("setChannel(s", "setChannel(t"), "java").ok
