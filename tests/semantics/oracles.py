"""Oracles that tell whether a follow-up kept its source's meaning, run in batches.

Each oracle takes many cases at once and runs them with one compiler call / one interpreter
process, so a property test over hundreds of follow-ups stays within seconds:

* :func:`c_differences` compiles every source and follow-up into ONE C program (each function under
  a name of its own, each case's macros ``#undef``-ed after it) and runs it once per case and side;
* :func:`python_differences` / :func:`javascript_differences` execute every pair in one
  interpreter process, each call in fresh globals, recording return value, exception type, printed
  output and a shared ``LOG`` that user-defined operators write to;
* compile checks come from :func:`metacompress_eval.verify.compare_many` (gcc, javac, go).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from metacompress_eval.transforms import list_transformations

SEEDS = (0, 1, 2)


@dataclass
class Case:
    """A source, one of its follow-ups and how to run them.

    ``context`` is text the check puts before BOTH snippets (a ``#define`` that the transformed
    function did not see, Python classes, ...); ``calls`` are argument lists (C: ints; Python and
    JavaScript: expressions evaluated after ``context``).
    """

    source: str
    follow_up: str
    transformation: str = ""
    context: str = ""
    calls: list = field(default_factory=list)
    function: str = "f"
    renamed: tuple[str, str] | None = None  # the follow-up renamed the called function

    @classmethod
    def of(cls, source: str, name: str, result, context: str = "", calls=None) -> "Case":
        """The case of one transformation result (a renamed function is called under its new name)."""
        params = result.params or {}
        renamed = (params["old"], params["new"]) if name == "rename_function" and "old" in params else None
        return cls(source, result.code, name, context, list(calls or []), renamed=renamed)

    def runnable_follow_up(self, language: str) -> str:
        """The follow-up with an alias from the old function name to the new one, if renamed."""
        if self.renamed is None:
            return self.follow_up
        old, new = self.renamed
        alias = {"python": f"\n{old} = {new}\n", "javascript": f"\nvar {old} = {new};\n"}[language]
        return self.follow_up.rstrip("\n") + alias

    def label(self) -> str:
        return f"{self.transformation}:\n--- source\n{self.source}\n--- follow-up\n{self.follow_up}"


def follow_ups(code: str, language: str, seeds=SEEDS, context: str | None = None, only=None):
    """Every distinct applied follow-up of ``code`` under all transformations of ``language``."""
    seen = set()
    for transformation in list_transformations(language):
        if only is not None and transformation.name not in only:
            continue
        for seed in seeds:
            kwargs = {"context": context} if context is not None else {}
            result = transformation.apply(code, language, seed=seed, **kwargs)
            if result.applied and result.code not in seen:
                seen.add(result.code)
                yield transformation.name, result


# ---------------------------------------------------------------------------------------------- C

_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)
_FUNCTION_NAME = re.compile(r"^[A-Za-z_][\w \t\*]*?\b([A-Za-z_]\w*)\s*\([^;{]*\)\s*(?:[^;{(]*;\s*)*\{", re.M)


def _c_function_name(code: str) -> str:
    match = _FUNCTION_NAME.search(code)
    assert match is not None, f"no function definition in\n{code}"
    return match.group(1)


_STRUCT_LINE = re.compile(r"^struct \w+ \{[^\n]*\};\n", re.M)


def _c_unit(code: str, context: str, unique: str) -> str:
    # One-line struct definitions are hoisted into the program's prelude (C cannot redefine them).
    code, context = _STRUCT_LINE.sub("", code), _STRUCT_LINE.sub("", context)
    name = _c_function_name(code)
    macros = set(_DEFINE.findall(code)) | set(_DEFINE.findall(context))
    undefs = "".join(f"#undef {m}\n" for m in sorted(macros))
    return f"{context}\n#define {name} {unique}\n{code}\n#undef {name}\n{undefs}"


def c_differences(cases: list[Case], tmp: Path) -> list[str]:
    """Cases whose follow-up behaves differently (return values and printed output per call), or
    does not compile where the source does. Functions take and return ``int``s."""
    gcc = shutil.which("gcc")
    assert gcc is not None
    parts = ["#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\n"]
    structs = sorted({m for case in cases for text in (case.source, case.follow_up, case.context)
                      for m in _STRUCT_LINE.findall(text)})
    parts.extend(structs)
    for i, case in enumerate(cases):
        parts.append(_c_unit(case.source, case.context, f"mc_s{i}"))
        parts.append(_c_unit(case.follow_up, case.context, f"mc_f{i}"))
    parts.append("int main(int argc, char **argv) {\n  int which = atoi(argv[2]);\n  int side = argv[1][0] == 's';\n")
    parts.append("  switch (which) {\n")
    for i, case in enumerate(cases):
        parts.append(f"  case {i}:\n")
        for args in case.calls:
            arglist = ", ".join(str(a) for a in args)
            parts.append(f'    printf("=%d\\n", side ? mc_s{i}({arglist}) : mc_f{i}({arglist})); fflush(stdout);\n')
        parts.append("    break;\n")
    parts.append("  }\n  return 0;\n}\n")
    src = tmp / "oracle.c"
    src.write_text("".join(parts))
    binary = tmp / "oracle"
    proc = subprocess.run([gcc, "-std=gnu11", "-w", "-O0", str(src), "-o", str(binary)], capture_output=True,
                          text=True, timeout=300)
    if proc.returncode != 0:
        # Find the cases that do not compile: compile each follow-up alone against its source.
        return _c_compile_failures(cases, tmp, proc.stderr)
    differing = []
    for i, case in enumerate(cases):
        outs = []
        for side in "sf":
            try:
                run = subprocess.run([str(binary), side, str(i)], capture_output=True, text=True, timeout=10)
                outs.append((run.returncode, run.stdout))
            except subprocess.TimeoutExpired:
                outs.append(("timeout", ""))
        if outs[0] != outs[1]:
            differing.append(f"{case.label()}\n--- outputs\n{outs[0]}\n{outs[1]}")
    return differing


def _c_compile_failures(cases: list[Case], tmp: Path, stderr: str) -> list[str]:
    failures = []
    for i, case in enumerate(cases):
        ok = []
        for side, code in (("s", case.source), ("f", case.follow_up)):
            unit = tmp / f"single_{i}_{side}.c"
            structs = "".join(sorted(set(_STRUCT_LINE.findall(code + case.context))))
            unit.write_text("#include <stdio.h>\n#include <string.h>\n" + structs + _c_unit(code, case.context, f"g_{side}"))
            run = subprocess.run(["gcc", "-std=gnu11", "-w", "-fsyntax-only", str(unit)], capture_output=True,
                                 text=True, timeout=60)
            ok.append((run.returncode == 0, run.stderr))
        if ok[0][0] and not ok[1][0]:
            failures.append(f"{case.label()}\n--- compiler\n{ok[1][1]}")
    return failures or [f"oracle program does not compile:\n{stderr[:3000]}"]


# ----------------------------------------------------------------------------------------- Python

_PY_RUNNER = r"""
import contextlib, io, json, sys, textwrap
cases = json.load(sys.stdin)
out = []
for case in cases:
    results = []
    for code in (case["source"], case["follow_up"]):
        per_call = []
        for call in case["calls"]:
            env = {"__name__": "__mc__"}
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed):
                    exec(case["context"], env)
                    exec(textwrap.dedent(code), env)
                    value = eval(call, env)
                outcome = ["ok", repr(value)]
            except BaseException as exc:
                outcome = ["raised", type(exc).__name__]
            per_call.append([outcome, printed.getvalue(), repr(env.get("LOG"))])
        results.append(per_call)
    out.append(results)
print(json.dumps(out))
"""


def python_differences(cases: list[Case]) -> list[str]:
    """Cases whose follow-up returns, raises, prints or logs differently for some call."""
    payload = json.dumps([{"source": c.source, "follow_up": c.runnable_follow_up("python"), "context": c.context,
                           "calls": c.calls} for c in cases])
    proc = subprocess.run([sys.executable, "-I", "-c", _PY_RUNNER], input=payload, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout)
    return [f"{case.label()}\n--- outputs\n{a}\n{b}" for case, (a, b) in zip(cases, results) if a != b]


# ------------------------------------------------------------------------------------- JavaScript

_JS_RUNNER = r"""
const vm = require('vm');
let input = '';
process.stdin.on('data', d => input += d);
process.stdin.on('end', () => {
  const out = [];
  for (const c of JSON.parse(input)) {
    const results = [];
    for (const code of [c.source, c.follow_up]) {
      const perCall = [];
      for (const call of c.calls) {
        const printed = [];
        const ctx = vm.createContext({console: {log: (...a) => printed.push(a.join(' '))}});
        let outcome;
        try {
          vm.runInContext(c.context + '\n' + code, ctx);
          const value = vm.runInContext(call, ctx);
          outcome = ['ok', JSON.stringify(value)];
        } catch (e) {
          outcome = ['raised', (e && e.constructor && e.constructor.name) || typeof e];
        }
        let log;
        try { log = JSON.stringify(vm.runInContext('typeof LOG === "undefined" ? null : LOG', ctx)); } catch (e) { log = null; }
        perCall.push([outcome, printed.join('\n'), log]);
      }
      results.push(perCall);
    }
    out.push(results);
  }
  process.stdout.write(JSON.stringify(out));
});
"""


def javascript_differences(cases: list[Case]) -> list[str]:
    """As :func:`python_differences`, with node."""
    node = shutil.which("node")
    assert node is not None
    payload = json.dumps([{"source": c.source, "follow_up": c.runnable_follow_up("javascript"),
                           "context": c.context, "calls": c.calls} for c in cases])
    proc = subprocess.run([node, "-e", _JS_RUNNER], input=payload, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout)
    return [f"{case.label()}\n--- outputs\n{a}\n{b}" for case, (a, b) in zip(cases, results) if a != b]


# ---------------------------------------------------------------------------------- compile checks


def compile_differences(cases: list[Case], language: str) -> list[str]:
    """Cases whose follow-up has compiler errors its source does not have (gcc, javac, go)."""
    from metacompress_eval.verify import compare_many

    results = compare_many([(c.context + c.source, c.context + c.follow_up) for c in cases], language)
    return [f"{case.label()}\n--- new errors\n{r.new_errors}" for case, r in zip(cases, results)
            if not r.ok or not r.verified]
