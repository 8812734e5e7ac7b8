"""The real Go check: ``go build`` + ``go vet`` on a generated package per snippet."""

from __future__ import annotations

from metacompress_eval.verify import checker_name, compare, compare_many, diagnostics
from metacompress_eval.verify.go_check import package_text, wrapping_for

STRINGS = 'func f(n int) string {\n\ts := fmt.Sprint(n)\n\tif n > 0 {\n\t\ts = s + "!"\n\t}\n\treturn s\n}\n'


def test_wrapping_imports_the_standard_packages_a_snippet_refers_to(need_go):
    assert wrapping_for(STRINGS) == "imports:fmt"
    code = "func g(p string, r *rand.Rand) []string {\n\tsort.Strings(nil)\n\treturn strings.Split(filepath.Base(p), \"/\")\n}\n"
    assert wrapping_for(code) == "imports:math/rand,path/filepath,sort,strings"
    # A local named like a package is not an import; a file with a package clause is kept whole.
    assert wrapping_for("func h(strings []string) int {\n\treturn len(strings)\n}\n") == "imports:"
    assert wrapping_for("package main\n\nfunc main() {}\n") == "file"
    assert package_text("package main\n\nfunc main() {}\n", "file", "mcx").startswith("package mcx\n")


def test_type_error_of_a_dead_code_copy_is_a_new_error(need_go):
    # The example: ``s = n * 2`` copied after ``s := fmt.Sprint(n)`` parses but does not compile.
    follow_up = STRINGS.replace("\treturn s", "\tif false {\n\t\ts = n * 2\n\t}\n\treturn s")
    result = compare(STRINGS, follow_up, "go")
    assert result.checker == "go" and result.verified
    assert not result.ok
    assert any("cannot use n * 2" in e for e in result.new_errors)


def test_faithful_rename_passes_and_unused_variable_is_caught(need_go):
    renamed = STRINGS.replace("s :=", "text :=").replace("s = s", "text = text").replace("return s", "return text")
    assert compare(STRINGS, renamed, "go").ok
    unused = STRINGS.replace("\treturn s", "\tcount := 0\n\treturn s")
    result = compare(STRINGS, unused, "go")
    assert not result.ok and any("declared" in e and "not used" in e for e in result.new_errors)


def test_undefined_names_of_the_enclosing_file_are_shared_not_new(need_go):
    method = ("func (s *Server) Handle(w http.ResponseWriter, r *http.Request) {\n"
              "\tfmt.Fprintf(w, \"%d\", s.count)\n\thelper(r)\n}\n")
    assert "undefined: Server" in diagnostics(method, "go")
    renamed = method.replace("(w ", "(out ").replace("(w,", "(out,")
    assert compare(method, renamed, "go").ok


def test_vet_findings_count_as_diagnostics(need_go):
    code = 'func f(n int) {\n\tfmt.Printf("%d\\n", n)\n}\n'
    assert diagnostics(code, "go") == set()
    result = compare(code, code.replace('"%d\\n", n', '"%d\\n", "x"'), "go")
    assert not result.ok and any(e.startswith("vet: ") for e in result.new_errors)


def test_batch_of_many_packages_matches_single_checks(need_go):
    pairs = [(STRINGS, STRINGS.replace('"!"', f'"{i}"')) for i in range(12)]
    pairs.append((STRINGS, STRINGS.replace("return s", "return n")))
    results = compare_many(pairs, "go")
    assert [r.ok for r in results] == [True] * 12 + [False]
    assert checker_name("go") == "go"
