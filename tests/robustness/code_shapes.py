"""Generated code of a chosen size or nesting depth, in every supported language.

Used by the complexity tests (operation counts and memory against size and depth) and by
``benchmarks/bench_scaling.py``. Four shapes:

* :func:`long_function` — one function whose body repeats a block of ordinary statements
  (declarations, assignments, if/else-if chains, for and while loops, switch, ternaries, boolean
  literals, increments, compound assignments, calls, comments) until it reaches a size in bytes;
  every repetition declares fresh variables, so scope analysis sees many symbols.
* :func:`nested_blocks` — statements nested ``depth`` levels deep (if/else, while, for and plain
  blocks in turn), each level declaring a variable that uses the one above. Brace languages use no
  indentation so the size stays linear in the depth; Python needs one column per level.
* :func:`nested_expression` — one expression nested ``depth`` levels deep (parentheses, calls and
  a long flat sum in turn);
* :func:`long_literals` — one function of a chosen size made mostly of long string literals and
  comments.

Every snippet parses without errors (checked by the tests that use them).
"""

from __future__ import annotations

LANGUAGES = ("c", "java", "python", "javascript", "go")


def _block(language: str, i: int) -> str:
    v, j, b = f"v{i}", f"j{i}", f"b{i}"
    if language in ("c", "java"):
        bool_decl = f"  boolean {b} = true;\n" if language == "java" else f"  int {b} = 1;\n"
        return (f"  int {v} = a + {i};\n  {v} += n;\n"
                f"  if ({v} > n) {{\n    {v} = {v} - 1;\n  }} else if ({v} < 0) {{\n    {v}++;\n  }} else {{\n"
                f"    {v} = {v} * 2;\n  }}\n"
                f"  for (int {j} = 0; {j} < n; {j}++) {{\n    a = a + {j};\n  }}\n"
                f"  while ({v} > 10) {{\n    {v} = {v} / 2;\n  }}\n"
                f"  switch ({v}) {{\n  case 1:\n    a = 2;\n    break;\n  default:\n    a = 3;\n  }}\n"
                f"  a = {v} > 3 ? a : {v};\n{bool_decl}"
                f"  // step {i}\n  g({v}, a);\n")
    if language == "javascript":
        return (f"  let {v} = a + {i};\n  {v} += n;\n"
                f"  if ({v} > n) {{\n    {v} = {v} - 1;\n  }} else if ({v} < 0) {{\n    {v}++;\n  }} else {{\n"
                f"    {v} = {v} * 2;\n  }}\n"
                f"  for (let {j} = 0; {j} < n; {j}++) {{\n    a = a + {j};\n  }}\n"
                f"  while ({v} > 10) {{\n    {v} = {v} / 2;\n  }}\n"
                f"  a = {v} > 3 ? a : {v};\n  const {b} = true;\n"
                f"  // step {i}\n  g({v}, a, {b});\n")
    if language == "go":
        return (f"\t{v} := a + {i}\n\t{v} += n\n"
                f"\tif {v} > n {{\n\t\t{v} = {v} - 1\n\t}} else if {v} < 0 {{\n\t\t{v}++\n\t}} else {{\n"
                f"\t\t{v} = {v} * 2\n\t}}\n"
                f"\tfor {j} := 0; {j} < n; {j}++ {{\n\t\ta = a + {j}\n\t}}\n"
                f"\tfor {v} > 10 {{\n\t\t{v} = {v} / 2\n\t}}\n"
                f"\t{b} := true\n"
                f"\t// step {i}\n\tg({v}, a, {b})\n")
    if language == "python":
        return (f"    {v} = a + {i}\n    {v} += n\n"
                f"    if {v} > n:\n        {v} = {v} - 1\n    elif {v} < 0:\n        {v} += 1\n    else:\n"
                f"        {v} = {v} * 2\n"
                f"    for {j} in range(n):\n        a = a + {j}\n"
                f"    while {v} > 10:\n        {v} = {v} // 2\n"
                f"    a = a if {v} > 3 else {v}\n    {b} = True\n"
                f"    # step {i}\n    g({v}, a, {b})\n")
    raise ValueError(f"unknown language {language!r}")


def _header(language: str) -> tuple[str, str]:
    return {
        "c": ("int f(int a, int n) {\n", "  return a;\n}\n"),
        "java": ("int f(int a, int n) {\n", "  return a;\n}\n"),
        "javascript": ("function f(a, n) {\n", "  return a;\n}\n"),
        "go": ("func f(a int, n int) int {\n", "\treturn a\n}\n"),
        "python": ("def f(a, n):\n", "    return a\n"),
    }[language]


def _repeated(language: str, size: int, block) -> str:
    """One function of about ``size`` bytes: ``block(language, i)`` for i = 0, 1, ... (at least one)."""
    head, tail = _header(language)
    parts, total, i = [head], len(head) + len(tail), 0
    while True:
        text = block(language, i)
        parts.append(text)
        total += len(text)
        i += 1
        if total >= size:
            break
    parts.append(tail)
    return "".join(parts)


def long_function(language: str, size: int) -> str:
    """One function of about ``size`` bytes (at least one block) made of repeated ordinary statements."""
    return _repeated(language, size, _block)


def nested_blocks(language: str, depth: int) -> str:
    """A function whose statements nest ``depth`` levels deep."""
    head, tail = _header(language)
    if language == "python":
        lines = [head]
        for level in range(depth):
            pad = "    " + " " * level
            prev = "a" if level == 0 else f"x{level - 1}"
            kind = level % 3
            lines.append(f"{pad}x{level} = {prev} + 1\n")
            lines.append(f"{pad}if x{level} > {level}:\n" if kind == 0 else
                         f"{pad}while x{level} > {level}:\n" if kind == 1 else
                         f"{pad}for i{level} in range(x{level}):\n")
        lines.append("    " + " " * depth + "g(a)\n")
        lines.append(tail)
        return "".join(lines)
    decl = {"c": "int {n} = {e};", "java": "int {n} = {e};", "javascript": "let {n} = {e};", "go": "{n} := {e}"}[language]
    cond = (lambda c: c) if language == "go" else (lambda c: f"({c})")
    opens, closes = [], []
    for level in range(depth):
        prev = "a" if level == 0 else f"x{level - 1}"
        opens.append(decl.format(n=f"x{level}", e=f"{prev} + 1") + "\n")
        kind = level % 4
        if kind == 0:
            opens.append(f"if {cond(f'x{level} > {level}')} {{\n")
            closes.append(f"}} else {{\ng(x{level});\n}}\n")
        elif kind == 1:
            opens.append(f"{'for' if language == 'go' else 'while'} {cond(f'x{level} > {level}')} {{\n")
            closes.append(f"x{level}--\n}}\n" if language == "go" else f"x{level}--;\n}}\n")
        elif kind == 2:
            if language == "go":
                opens.append(f"for i{level} := 0; i{level} < x{level}; i{level}++ {{\n")
            else:
                init = "let" if language == "javascript" else "int"
                opens.append(f"for ({init} i{level} = 0; i{level} < x{level}; i{level}++) {{\n")
            closes.append("}\n")
        else:
            opens.append("{\n")
            closes.append("}\n")
    end = "g(a)\n" if language == "go" else "g(a);\n"
    return head + "".join(opens) + end + "".join(reversed(closes)) + tail


def nested_expression(language: str, depth: int) -> str:
    """A function with expressions nested ``depth`` levels: parentheses, calls, and a flat sum."""
    head, tail = _header(language)
    parens = "(" * depth + "a" + "".join(f" + {k % 10})" for k in range(depth))
    calls = "h(" * depth + "a" + ")" * depth
    flat = " + ".join(f"a * {k % 10}" for k in range(depth))
    if language == "python":
        body = f"    p = {parens}\n    q = {calls}\n    r = {flat}\n    g(p, q, r)\n"
    elif language == "go":
        body = f"\tp := {parens}\n\tq := {calls}\n\tr := {flat}\n\tg(p, q, r)\n"
    else:
        decl = {"c": "int", "java": "int", "javascript": "let"}[language]
        body = f"  {decl} p = {parens};\n  {decl} q = {calls};\n  {decl} r = {flat};\n  g(p, q, r);\n"
    return head + body + tail


def _literal_block(language: str, i: int) -> str:
    text = f"entry {i}: " + "lorem ipsum dolor sit amet, " * 4 + "\\t end"
    note = f"note {i}: " + "the quick brown fox jumps over the lazy dog " * 3
    if language == "python":
        return (f'    s{i} = "{text}"\n    # {note}\n    t{i} = """{note}\n{text}"""\n'
                f"    g(s{i}, t{i}, '{{' + s{i} + '}}')\n")
    decl = {"c": "const char *", "java": "String ", "javascript": "const ", "go": ""}[language]
    assign = ":=" if language == "go" else "="
    end = "" if language == "go" else ";"
    tab = "\t" if language == "go" else "  "
    return (f'{tab}{decl}s{i} {assign} "{text}"{end}\n{tab}// {note}\n{tab}/* {note}\n{tab}   {text} */\n'
            f'{tab}g(s{i}, "{{" , "}}"){end}\n')


def long_literals(language: str, size: int) -> str:
    """One function of about ``size`` bytes made mostly of long string literals and comments
    (line and block comments, braces inside strings, escapes; Python triple-quoted strings)."""
    return _repeated(language, size, _literal_block)


SHAPES = {"size": long_function, "blocks": nested_blocks, "expression": nested_expression, "literals": long_literals}
