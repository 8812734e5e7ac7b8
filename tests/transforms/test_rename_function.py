"""rename_function and the corpus / synonym naming strategies."""

import re
import textwrap

import pytest

from metacompress_eval.code.names import FreshNames, identifier_frequencies, synonym_variants
from metacompress_eval.transforms import get_transformation


def rename_fn(code, language, seed=0, strategy="placeholder"):
    return get_transformation("rename_function", strategy=strategy).apply(code, language, seed)


def test_c_recursion_with_shadowing_local():
    code = "int fact(int n) {\n    if (n <= 1) return 1;\n    { int fact = 2; n += fact - 2; }\n    return n * fact(n - 1);\n}\n"
    result = rename_fn(code, "c")
    assert result.code == (
        "int FUNC_0(int n) {\n    if (n <= 1) return 1;\n    { int fact = 2; n += fact - 2; }\n    return n * FUNC_0(n - 1);\n}\n"
    )
    assert result.params["recursive_calls"] == 1


def test_java_field_and_local_with_the_same_name_are_kept():
    code = "int fib(int n) {\n    int fib = n;\n    if (n < 2) return fib;\n    return fib(n - 1) + this.fib(n - 2) + this.fib;\n}\n"
    result = rename_fn(code, "java")
    assert result.code == (
        "int FUNC_0(int n) {\n    int fib = n;\n    if (n < 2) return fib;\n    return FUNC_0(n - 1) + this.FUNC_0(n - 2) + this.fib;\n}\n"
    )


@pytest.mark.parametrize(
    "code,reason",
    [
        ("@Override\npublic String describe() { return \"x\"; }", "Override"),
        ("public String toString() { return \"x\"; }", "override"),
        ("public static void main(String[] args) { }", "main"),
        ("public Point(int x) { this.x = x; }", "constructor"),
        ("int f(int n) { return n == 0 ? 0 : f(n - 1, 2); }", "arguments"),
        ("int f(int n) { return other.f(n); }", "another object"),
    ],
)
def test_java_exclusions(code, reason):
    result = rename_fn(code, "java")
    assert result.status == "not_applicable" and reason in result.reason


def test_python_function_and_method():
    code = "def walk(node, depth=0):\n    if node is None:\n        return 0\n    walk = 1\n    return walk\n"
    # ``walk = 1`` makes walk a local of the function: the def is not referenced in the body.
    result = rename_fn(code, "python")
    assert result.code.startswith("def FUNC_0(node, depth=0):") and "walk = 1" in result.code
    rec = "def size(t):\n    return 0 if t is None else 1 + size(t.left) + size(t.right)\n"
    assert rename_fn(rec, "python").code == "def FUNC_0(t):\n    return 0 if t is None else 1 + FUNC_0(t.left) + FUNC_0(t.right)\n"
    method = "    def depth(self, n):\n        return 0 if not n else 1 + self.depth(n.child)\n"
    assert rename_fn(method, "python").code == "    def FUNC_0(self, n):\n        return 0 if not n else 1 + self.FUNC_0(n.child)\n"
    for bad in ("@cache\ndef f(n):\n    return f(n)\n", "def __len__(self):\n    return 0\n",
                "def f(n):\n    return getattr(n, 'f')\n"):
        assert rename_fn(bad, "python").status == "not_applicable"


def test_js_and_go_recursion():
    js = "function fact(n) {\n  return n <= 1 ? 1 : n * fact(n - 1);\n}\n"
    assert rename_fn(js, "javascript").code == "function FUNC_0(n) {\n  return n <= 1 ? 1 : n * FUNC_0(n - 1);\n}\n"
    # Stored in an object, the function's value escapes: ``table.fact.name`` would read the new name.
    escapes = "function fact(n) {\n  const table = {fact};\n  return n <= 1 ? 1 : n * fact(n - 1);\n}\n"
    result = rename_fn(escapes, "javascript")
    assert result.status == "not_applicable" and "used as a value" in result.reason
    go = "func Fact(n int) int {\n\tif n <= 1 {\n\t\treturn 1\n\t}\n\treturn n * Fact(n-1)\n}\n"
    out = rename_fn(go, "go", strategy="natural").code
    new = re.match(r"func (\w+)\(", out).group(1)
    assert new[0].isupper() and out.count(new) == 2  # stays exported
    assert rename_fn("func (s *S) Len() int { return 0 }", "go").status == "not_applicable"
    assert rename_fn("func main() { }", "go").status == "not_applicable"


def test_c_preprocessor_mention_blocks_rename():
    code = "#define CALL(x) helper(x)\nint helper(int x) { return x ? CALL(x - 1) : 0; }\n"
    assert rename_fn(code, "c").status == "not_applicable"


# ------------------------------------------------------------------------------ naming strategies


def test_synonym_variants():
    assert synonym_variants("count", "c")[:3] == ["cnt", "num", "total"]
    variants = synonym_variants("maxValue", "java")
    assert "max_value" in variants and "MaxValue" in variants and "maxVal" in variants
    assert "maxValue" not in variants


def test_synonym_strategy_renames_to_variants():
    code = "int f(int count, int maxValue) {\n    int index = count;\n    return index + maxValue;\n}\n"
    result = get_transformation("rename_variables", strategy="synonym").apply(code, "java", 1)
    new = dict((r["old"], r["new"]) for r in result.params["renames"])
    assert new["count"] in synonym_variants("count", "java")
    assert new["maxValue"] in synonym_variants("maxValue", "java")
    assert new["index"] in synonym_variants("index", "java")


def test_corpus_strategy_uses_the_given_statistics():
    corpus = ["int g(int alpha) { int beta = alpha; return beta; }",
              "int h(int alpha) { int gamma = alpha; return gamma; }"]
    table = identifier_frequencies(corpus, "c")
    assert table == {"alpha": 2, "beta": 1, "gamma": 1}
    code = "int f(int a, int b) { return a + b; }"
    for given in (corpus, table):
        result = get_transformation("rename_variables", strategy="corpus", corpus=given).apply(code, "c", 4)
        assert {r["new"] for r in result.params["renames"]} <= {"alpha", "beta", "gamma"}
        assert "corpus" in result.params and isinstance(result.params["corpus"], str)  # summary only
    # Default table: frequent short names of the language; fresh-name check still applies.
    fresh = FreshNames({"i", "n"}, "c", "corpus", __import__("random").Random(0))
    names = [fresh.new() for _ in range(30)]
    assert "i" not in names and "n" not in names and len(set(names)) == 30


@pytest.mark.parametrize("strategy", ["natural", "placeholder", "random", "corpus", "synonym"])
def test_rename_function_strategies_are_fresh_and_seeded(strategy):
    code = textwrap.dedent(
        """\
        int countItems(struct list *l) {
            if (!l) return 0;
            return 1 + countItems(l->next);
        }
        """
    )
    first = rename_fn(code, "c", 5, strategy)
    assert first.applied and first.code == rename_fn(code, "c", 5, strategy).code
    new = first.params["new"]
    assert new not in set(re.findall(r"\w+", code)) and first.code.count(new) == 2
