"""JavaScript and Go: scope analysis, rename_variables and dead_code (with node --check / node runs)."""

import json
import shutil
import subprocess
import textwrap

import pytest

from metacompress_eval.code.languages import parse
from metacompress_eval.code.scopes import analyze
from metacompress_eval.transforms import get_transformation


def rename(code, language, seed=0, **params):
    params.setdefault("strategy", "placeholder")
    return get_transformation("rename_variables", **params).apply(code, language, seed)


def mapping(result):
    return [(r["old"], r["new"]) for r in result.params["renames"]]


# ------------------------------------------------------------------------------------ JavaScript

JS = """\
function summarize(items, {scale = 1, label}, ...rest) {
  var total = 0;
  for (let i = 0; i < items.length; i++) {
    total += items[i] * scale;
  }
  if (items.length) {
    var late = total;       // var is hoisted to the function
  }
  const out = {total, label, count: items.length, late};
  const add = (x) => x + total;   // closure
  return [out, add(rest.length), arguments.length, this === undefined];
}
"""


def test_js_shorthand_properties_hoisting_and_closures():
    result = rename(JS, "javascript")
    assert result.status == "applied"
    assert result.code == """\
function summarize(VAR_0, {scale: VAR_1 = 1, label: VAR_2}, ...VAR_3) {
  var VAR_4 = 0;
  for (let VAR_5 = 0; VAR_5 < VAR_0.length; VAR_5++) {
    VAR_4 += VAR_0[VAR_5] * VAR_1;
  }
  if (VAR_0.length) {
    var VAR_6 = VAR_4;       // var is hoisted to the function
  }
  const VAR_7 = {total: VAR_4, label: VAR_2, count: VAR_0.length, late: VAR_6};
  const VAR_8 = (VAR_9) => VAR_9 + VAR_4;   // closure
  return [VAR_7, VAR_8(VAR_3.length), arguments.length, this === undefined];
}
"""


def test_js_let_shadowing_and_use_before_var():
    code = "function f(a) {\n  b = a;\n  { let a = 2; g(a); }\n  var b;\n  return b + a;\n}\n"
    result = rename(code, "javascript")
    assert result.code == (
        "function f(VAR_0) {\n  VAR_2 = VAR_0;\n  { let VAR_1 = 2; g(VAR_1); }\n  var VAR_2;\n  return VAR_2 + VAR_0;\n}\n"
    )


def test_js_default_parameter_does_not_see_body_var_and_redeclared_param():
    code = "function f(a = x, p) {\n  var x = 1;\n  var p;\n  return a + x + p;\n}\n"
    result = rename(code, "javascript")
    # default ``x`` is the global x; the body's x is a different variable; ``var p`` is the param.
    assert ("x", "VAR_1") in mapping(result)
    assert result.code.startswith("function f(VAR_0 = x, p) {")
    assert "p" not in [old for old, _ in mapping(result)]


def test_js_eval_and_with_block_renaming():
    assert rename("function f(a) { return eval('a'); }", "javascript").status == "not_applicable"
    assert rename("function f(o) { with (o) { return x; } }", "javascript").status == "not_applicable"


def test_js_members_keys_labels_are_untouched():
    code = "function f(o) {\n  const x = o.x;\n  outer: for (const k in o) { if (k) break outer; }\n  return {x: x, [x]: o['x'], m() { return this.x; }};\n}\n"
    result = rename(code, "javascript")
    assert result.code == (
        "function f(VAR_0) {\n  const VAR_1 = VAR_0.x;\n  outer: for (const VAR_2 in VAR_0) { if (VAR_2) break outer; }\n"
        "  return {x: VAR_1, [VAR_1]: VAR_0['x'], m() { return this.x; }};\n}\n"
    )


def test_js_destructuring_assignment_shorthand():
    code = "function f(o) {\n  let a, b;\n  ({a, b = 2} = o);\n  return a + b;\n}\n"
    result = rename(code, "javascript")
    assert "({a: VAR_1, b: VAR_2 = 2} = VAR_0);" in result.code


# -------------------------------------------------------------------------------------------- Go

GO = """\
func (s *Server) load(path string, limit int) (n int, err error) {
	data, err := read(path)
	if err != nil {
		return 0, err
	}
	n, extra := len(data), 0
	cfg := Config{path: path, limit: limit}
	for i, b := range data {
		if i > limit {
			break
		}
		n += int(b) + extra
	}
	fn := func(x int) int { return x + n }
	s.count = fn(cfg.limit)
retry:
	if n < 0 {
		goto retry
	}
	return
}
"""


def test_go_short_redeclaration_named_results_struct_keys_and_selectors():
    result = rename(GO, "go")
    assert result.status == "applied"
    assert result.code == """\
func (VAR_0 *Server) load(path string, limit int) (VAR_1 int, VAR_2 error) {
	VAR_3, VAR_2 := read(path)
	if VAR_2 != nil {
		return 0, VAR_2
	}
	VAR_1, VAR_4 := len(VAR_3), 0
	VAR_5 := Config{path: path, limit: limit}
	for VAR_6, VAR_7 := range VAR_3 {
		if VAR_6 > limit {
			break
		}
		VAR_1 += int(VAR_7) + VAR_4
	}
	VAR_8 := func(VAR_9 int) int { return VAR_9 + VAR_1 }
	VAR_0.count = VAR_8(VAR_5.limit)
retry:
	if VAR_1 < 0 {
		goto retry
	}
	return
}
"""
    # ``path`` and ``limit`` are spelled like struct-literal keys: kept (could be fields).
    assert {"path", "limit"}.isdisjoint(old for old, _ in mapping(result))


def test_go_inner_redeclaration_is_a_new_variable():
    code = "func f(x int) int {\n\tif x := x + 1; x > 2 {\n\t\treturn x\n\t}\n\treturn x\n}\n"
    result = rename(code, "go")
    assert result.code == "func f(VAR_0 int) int {\n\tif VAR_1 := VAR_0 + 1; VAR_1 > 2 {\n\t\treturn VAR_1\n\t}\n\treturn VAR_0\n}\n"


def test_go_map_literal_keys_are_expressions():
    code = 'func f(k string) map[string]int {\n\treturn map[string]int{k: 1}\n}\n'
    assert rename(code, "go").code == 'func f(VAR_0 string) map[string]int {\n\treturn map[string]int{VAR_0: 1}\n}\n'


@pytest.mark.parametrize("language,code", [("javascript", JS), ("go", GO)])
def test_renamed_follow_ups_keep_scope_shape(language, code):
    for strategy in ("natural", "random", "synonym", "corpus"):
        result = rename(code, language, seed=3, strategy=strategy)
        assert result.applied and parse(result.code, language).error_count() == 0
        before = analyze(parse(code, language)).renamable_symbols()
        after = analyze(parse(result.code, language)).renamable_symbols()
        assert len(before) == len(after)


# ------------------------------------------------------------------------------------- dead code

def test_js_dead_code_respects_directives():
    code = 'function f(a) {\n  "use strict";\n  let b = a * 2;\n  return b;\n}\n'
    for seed in range(20):
        out = get_transformation("dead_code").apply(code, "javascript", seed).code
        assert out.startswith('function f(a) {\n  "use strict";\n')
        assert "if (false) {\n    " in out  # the block's own indentation unit (2 spaces)


def test_go_dead_code_never_copies_declarations():
    code = "func f(a int) int {\n\tb := a * 2\n\tc, err := g(b)\n\t_ = err\n\tb++\n\treturn b + c\n}\n"
    seen = set()
    for seed in range(40):
        result = get_transformation("dead_code").apply(code, "go", seed)
        inserted = result.params["inserted"]
        assert ":= a * 2" not in inserted and "err :=" not in inserted
        if result.params["body_kind"] == "neutral":
            name = inserted.split(" := 0")[0].split()[-1]
            assert f"_ = {name}" in inserted  # Go rejects unused variables
        assert parse(result.code, "go").error_count() == 0
        seen.add(result.params["body_kind"])
    assert seen == {"copy", "neutral"}


def test_go_single_line_block_gets_a_semicolon():
    code = "func f(a int) int {\n\tif a > 1 { a-- }\n\treturn a\n}\n"
    outs = {get_transformation("dead_code").apply(code, "go", s).code for s in range(30)}
    single = [o for o in outs if "{ if false {" in o]
    assert single and all("}; a-- }" in o for o in single)


# ---------------------------------------------------------------------- node --check and node runs

JS_FUNCTIONS = [
    (JS, "summarize", [[[1, 2, 3], {"label": "a"}, 7], [[], {"scale": 2, "label": "b"}]]),
    (
        textwrap.dedent(
            """\
            function walk(tree, depth = 0) {
              if (!tree) return [];
              const out = [];
              let {value, children = []} = tree;
              out.push({value, depth});
              for (const child of children) {
                for (const item of walk(child, depth + 1)) out.push(item);
              }
              var total = out.length;
              return out.concat([{total}]);
            }
            """
        ),
        "walk",
        [[{"value": 1, "children": [{"value": 2}, {"value": 3, "children": [{"value": 4}]}]}], [None]],
    ),
]


def js_follow_ups(code):
    outs = []
    for name, params in [("rename_variables", {"strategy": s}) for s in ("natural", "placeholder", "random", "synonym")] + [
        ("dead_code", {}), ("rename_function", {}), ("unused_declaration", {}), ("brace_style", {}),
        ("reindent", {}), ("comment_remove", {}), ("comment_insert", {}), ("blank_lines", {})
    ]:
        for seed in range(3):
            result = get_transformation(name, **params).apply(code, "javascript", seed)
            if result.applied:
                outs.append((name, result.code))
    return outs


@pytest.fixture
def need_node():
    if shutil.which("node") is None:
        pytest.skip("node not installed")


def test_js_follow_ups_check_and_behave_the_same(tmp_path, need_node):
    # One node process runs every original and follow-up on the same inputs and prints the results.
    programs = []
    for code, name, calls in JS_FUNCTIONS:
        variants = [("original", code)] + js_follow_ups(code)
        for label, variant in variants:
            programs.append((label, name, variant, calls))
    script = ["'use strict';", "const results = [];"]
    for index, (label, name, variant, calls) in enumerate(programs):
        # Each variant is defined in its own function scope and called by the name it defines.
        fname = name
        if label == "rename_function":
            fname = None
        script.append(f"results.push((function() {{\n{variant}\nconst fn = {fname or 'FUNC'};\n"
                      f"return {json.dumps(calls)}.map(args => JSON.stringify(fn(...args)));\n}})());")
    # rename_function changes the name: look it up from the source text instead.
    text = "\n".join(script) + "\nconsole.log(JSON.stringify(results));\n"
    fixed = []
    for line in text.split("\n"):
        fixed.append(line)
    source = "\n".join(fixed)
    for label, name, variant, _ in programs:
        if label == "rename_function":
            new = variant.split("function ", 1)[1].split("(", 1)[0].strip()
            source = source.replace(f"{variant}\nconst fn = FUNC;", f"{variant}\nconst fn = {new};", 1)
    path = tmp_path / "all.js"
    path.write_text(source)
    check = subprocess.run(["node", "--check", str(path)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    run = subprocess.run(["node", str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)
    position = 0
    for code, name, calls in JS_FUNCTIONS:
        count = 1 + len(js_follow_ups(code))
        group = results[position : position + count]
        position += count
        assert all(r == group[0] for r in group), group
        assert count > 15
