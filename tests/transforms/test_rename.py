"""rename_variables: scope-aware renaming for C, Java and Python."""

import random
import re
import textwrap

import pytest

from metacompress_eval.code.languages import parse
from metacompress_eval.code.scopes import analyze
from metacompress_eval.errors import MetaCompressError
from metacompress_eval.transforms import get_transformation


def rename(code, language, seed=0, **params):
    params.setdefault("strategy", "placeholder")
    return get_transformation("rename_variables", **params).apply(code, language, seed)


def mapping(result):
    return [(r["old"], r["new"]) for r in result.params["renames"]]


# ------------------------------------------------------------------------------------------- C

C_SHADOW = """\
int total(struct acc *p, int n) {
    int count = 0;
    p->count = n;           /* field with the same name as the local */
    {
        count = count + 1;  /* still the outer count */
        int count = 5;      /* shadows from here on */
        count++;
        n = count;
    }
    for (int i = 0; i < n; i++) count += sizeof(count);
    log_value(count);
again:
    if (count > 100) goto again;
    return count;
}
"""


def test_c_shadowing_fields_labels_and_calls():
    result = rename(C_SHADOW, "c")
    assert result.status == "applied"
    assert result.code == """\
int total(struct acc *VAR_0, int VAR_1) {
    int VAR_2 = 0;
    VAR_0->count = VAR_1;           /* field with the same name as the local */
    {
        VAR_2 = VAR_2 + 1;  /* still the outer count */
        int VAR_3 = 5;      /* shadows from here on */
        VAR_3++;
        VAR_1 = VAR_3;
    }
    for (int VAR_4 = 0; VAR_4 < VAR_1; VAR_4++) VAR_2 += sizeof(VAR_2);
    log_value(VAR_2);
again:
    if (VAR_2 > 100) goto again;
    return VAR_2;
}
"""
    assert mapping(result) == [("p", "VAR_0"), ("n", "VAR_1"), ("count", "VAR_2"), ("count", "VAR_3"), ("i", "VAR_4")]


def test_c_macros_types_and_preprocessor_are_untouched():
    code = """\
void f(void) {
    size_t len = strlen(BUF);
    struct point pt = { .x = 1, .y = 2 };
    MY_MACRO(len, pt.x);
#ifdef USE_LEN
    use(len);
#endif
    printf("%d", pt.y);
}
"""
    # Alone, BUF and MY_MACRO may be macros that mention or stringify ``len`` and ``pt``: nothing
    # is renamed, for lack of context (issue 12).
    alone = rename(code, "c")
    assert alone.status == "not_applicable" and alone.lacks_context
    context = '#define BUF "abc"\n#define MY_MACRO(a, b) use2((a), (b))\n'
    result = get_transformation("rename_variables", strategy="placeholder").apply(code, "c", 0, context=context)
    assert result.status == "applied"
    # Only USE_LEN appears in the directive itself; ``len`` inside the #ifdef branch is an ordinary use.
    assert "size_t VAR_0 = strlen(BUF);" in result.code
    assert "struct point VAR_1 = { .x = 1, .y = 2 };" in result.code
    assert "MY_MACRO(VAR_0, VAR_1.x);" in result.code
    assert 'printf("%d", VAR_1.y);' in result.code


def test_c_names_in_macro_bodies_are_not_renamed():
    code = "void f(void) {\n    int hidden = 1;\n#define READ_HIDDEN() (hidden + 1)\n    g(READ_HIDDEN());\n}\n"
    result = rename(code, "c")
    assert result.status == "not_applicable" and "preprocessor" in result.reason


def test_c_sizeof_of_variable_parsed_as_type():
    code = "void f(void) {\n    long data = 0;\n    memset(&data, 0, sizeof(data));\n}\n"
    result = rename(code, "c")
    assert result.code == "void f(void) {\n    long VAR_0 = 0;\n    memset(&VAR_0, 0, sizeof(VAR_0));\n}\n"


def test_globals_are_not_renamed():
    code = "int g(void) { counter = counter + 1; return counter; }"
    result = rename(code, "c")
    assert result.status == "not_applicable" and result.code is None and result.reason


# ---------------------------------------------------------------------------------------- Java

JAVA = """\
public int sum(int[] values, int count) {
    this.count = count;             // field vs parameter
    int total = 0;
    for (int i = 0; i < values.length; i++) {
        total += values[i];
    }
    for (int v : values) total += v;
    try {
        helper.run(x -> x + total);
    } catch (IllegalStateException e) {
        log(e.getMessage());
    }
    return total + Math.abs(count);
}
"""


def test_java_fields_lambdas_catch_and_for():
    result = rename(JAVA, "java")
    assert result.status == "applied"
    assert result.code == """\
public int sum(int[] VAR_0, int VAR_1) {
    this.count = VAR_1;             // field vs parameter
    int VAR_2 = 0;
    for (int VAR_3 = 0; VAR_3 < VAR_0.length; VAR_3++) {
        VAR_2 += VAR_0[VAR_3];
    }
    for (int VAR_4 : VAR_0) VAR_2 += VAR_4;
    try {
        helper.run(VAR_5 -> VAR_5 + VAR_2);
    } catch (IllegalStateException VAR_6) {
        log(VAR_6.getMessage());
    }
    return VAR_2 + Math.abs(VAR_1);
}
"""


def test_java_local_used_in_anonymous_class_is_kept():
    code = """\
void start(final int delay) {
    final String label = "x";
    new Thread() {
        public void run() { System.out.println(label + delay); }
    }.start();
    int other = 1;
    use(other);
}
"""
    result = rename(code, "java")
    assert mapping(result) == [("other", "VAR_0")]


def test_java_constructor_snippet_is_wrapped():
    result = rename("public Point(int x, int y) { this.x = x; this.y = y; }", "java")
    assert result.code == "public Point(int VAR_0, int VAR_1) { this.x = VAR_0; this.y = VAR_1; }"


# -------------------------------------------------------------------------------------- Python

PY = textwrap.dedent(
    '''\
    def summarize(items, *args, **options):
        """Sum things."""
        total = 0
        squares = [total * total for total in items]   # comprehension has its own scope
        for index, item in enumerate(items):
            total += item
        report(total=total, items=squares)            # keyword names must stay
        options.update(scale=len(args))
        return total, obj.total
    '''
)


def test_python_comprehension_keywords_attributes_and_parameters():
    result = rename(PY, "python")
    assert result.status == "applied"
    assert result.code == textwrap.dedent(
        '''\
        def summarize(items, *VAR_0, **VAR_1):
            """Sum things."""
            VAR_2 = 0
            VAR_3 = [VAR_4 * VAR_4 for VAR_4 in items]   # comprehension has its own scope
            for VAR_5, VAR_6 in enumerate(items):
                VAR_2 += VAR_6
            report(total=VAR_2, items=VAR_3)            # keyword names must stay
            VAR_1.update(scale=len(VAR_0))
            return VAR_2, obj.total
        '''
    )


def test_python_global_nonlocal_and_locals_are_respected():
    code = textwrap.dedent(
        """\
        def outer():
            global seen
            counter = 0
            seen = 1
            def bump():
                nonlocal counter
                counter += 1
            bump()
            extra = 2
            return counter + extra
        """
    )
    result = rename(code, "python")
    assert mapping(result) == [("extra", "VAR_0")]
    dynamic = "def f():\n    a = 1\n    return locals()\n"
    result = rename(dynamic, "python")
    assert result.status == "not_applicable" and "locals" in result.reason


def test_python_closure_is_renamed_consistently():
    code = "def make(n):\n    step = n * 2\n    def add(v):\n        return v + step\n    return add\n"
    result = rename(code, "python")
    assert result.code == "def make(n):\n    VAR_0 = n * 2\n    def add(v):\n        return v + VAR_0\n    return add\n"


def test_python_indented_method():
    code = "    def area(self):\n        w = self.width\n        return w * self.height\n"
    result = rename(code, "python")
    assert result.code == "    def area(self):\n        VAR_0 = self.width\n        return VAR_0 * self.height\n"


# --------------------------------------------------------------------------- strategies / seeds


@pytest.mark.parametrize("language,code", [("c", C_SHADOW), ("java", JAVA), ("python", PY)])
@pytest.mark.parametrize("strategy", ["natural", "placeholder", "random"])
def test_new_names_are_fresh_and_deterministic(language, code, strategy):
    first = rename(code, language, seed=5, strategy=strategy)
    again = rename(code, language, seed=5, strategy=strategy)
    assert first.code == again.code and first.provenance() == again.provenance()
    words = set(re.findall(r"[A-Za-z_]\w*", code))
    new_names = [new for _, new in mapping(first)]
    assert len(set(new_names)) == len(new_names)
    assert not set(new_names) & words
    if strategy == "random":
        assert all(re.fullmatch(r"[a-z][a-z0-9]*", n) for n in new_names)
    if strategy == "natural":
        assert all(re.fullmatch(r"[a-z]+\d*", n) for n in new_names)
    # The follow-up has the same shape of scopes: same number of renamable symbols.
    before = analyze(parse(code, language)).renamable_symbols()
    after = analyze(parse(first.code, language)).renamable_symbols()
    assert len(before) == len(after)


def test_different_seeds_can_differ_and_max_renames():
    outputs = {rename(JAVA, "java", seed=s, strategy="natural").code for s in range(5)}
    assert len(outputs) > 1
    one = rename(JAVA, "java", seed=1, max_renames=1)
    assert one.status == "applied" and len(one.params["renames"]) == 1
    assert one.params["max_renames"] == 1


def test_unknown_strategy_is_a_user_error():
    with pytest.raises(MetaCompressError, match="naming strategy"):
        rename(JAVA, "java", strategy="emoji")


def test_sites_cover_every_occurrence():
    result = rename(C_SHADOW, "c")
    assert len(result.sites) == sum(r["occurrences"] for r in result.params["renames"])
    for site in result.sites:
        assert C_SHADOW.encode()[site["start"] : site["end"]].decode() == site["original"]


@pytest.mark.parametrize("language", ["java", "c", "python"])
def test_fresh_names_taken_step_by_step_match_the_whole_shuffle(language):
    """``FreshNames(last_draws=True)`` shuffles natural names a step per name taken: the names are
    the same as after the whole shuffle, up to and past the end of the list."""
    from metacompress_eval.code.names import NATURAL_NAMES, FreshNames

    for seed in range(25):
        for count in (1, 3, len(NATURAL_NAMES) - 1, len(NATURAL_NAMES) + 4):
            taken = {"i", "n", "value"}
            whole = FreshNames(taken, language, "natural", random.Random(seed))
            steps = FreshNames(taken, language, "natural", random.Random(seed), last_draws=True)
            assert [whole.new() for _ in range(count)] == [steps.new() for _ in range(count)]
