"""Execution check: run a source and its follow-up on the same inputs and compare what they do.

Harnesses exist for Python (a function and a list of argument tuples), C (a function and a ``main``
driver, given by the caller or generated for int / floating / ``char *`` parameters) and
JavaScript (a function and a list of JSON argument lists).

Nothing of the snippets is ever executed in the calling process. Each side runs in its own
subprocess, in a fresh temporary folder, in its own session (so a timeout kills the whole process
group), with ``resource`` limits on CPU time, address space (not for node, whose V8 heap reserves
far more virtual memory than it uses; ``--max-old-space-size`` bounds it instead), output file size
and core dumps, stdin from ``/dev/null``, and a minimal environment. This is a *sandbox-ish*
guard against runaway snippets, not a security boundary: do not run hostile code with it.

Results (:class:`ExecutionResult`): ``status`` is

* ``"same"`` — identical observable behaviour on every input (``ok`` is ``True``);
* ``"different"`` — some input gives a different return value, raised exception type, printed
  output, argument mutation or (C) exit status; ``mismatches`` lists them;
* ``"timeout"`` — the follow-up ran past the timeout while the source did not (also not ok);
* ``"inconclusive"`` — the source itself could not be run (syntax error, missing function,
  timeout, failed compilation), so nothing can be said about the follow-up (``ok`` is ``None``).
"""

from __future__ import annotations

import json
import os
import resource  # imported here, not in the fork child (see _limits)
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Sequence

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.verify.lifetime import die_with_parent, run_tool, scratch_dir

_MARKER = "__MC_RESULT__"
_OUTPUT_LIMIT = 16 * 1024 * 1024


@dataclass
class RunOutcome:
    """What one side did: ``status`` ``"ok"``, ``"timeout"`` or ``"error"`` (could not run)."""

    status: str
    calls: list[Any] = field(default_factory=list)
    stdout: str = ""
    exit_code: int | None = None
    detail: str | None = None

    def as_dict(self) -> dict:
        """JSON-serialisable form."""
        return {"status": self.status, "calls": self.calls, "stdout": self.stdout, "exit_code": self.exit_code,
                "detail": self.detail}


@dataclass
class ExecutionResult:
    """Outcome of running source and follow-up on the same inputs (see the module docstring)."""

    ok: bool | None
    status: str
    harness: str
    mismatches: list[dict] = field(default_factory=list)
    source: RunOutcome | None = None
    follow_up: RunOutcome | None = None
    detail: str | None = None

    def as_dict(self) -> dict:
        """JSON-serialisable form."""
        return {"ok": self.ok, "status": self.status, "harness": self.harness, "mismatches": self.mismatches,
                "detail": self.detail, "source": self.source.as_dict() if self.source else None,
                "follow_up": self.follow_up.as_dict() if self.follow_up else None}


# ----------------------------------------------------------------------------------------------
# The sandbox
# ----------------------------------------------------------------------------------------------


def _limits(cpu_seconds: int, memory_mb: int | None):
    tied = die_with_parent()  # a snippet must not outlive the worker running it either

    def apply() -> None:  # runs in the child between fork and exec: no imports, no locks here
        tied()
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (_OUTPUT_LIMIT, _OUTPUT_LIMIT))
        if memory_mb:
            size = memory_mb * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (size, size))

    return apply


def run_sandboxed(argv: Sequence[str], *, cwd: str, timeout: float, stdin_data: bytes | None = None,
                  memory_mb: int | None = 1024, env: dict | None = None) -> tuple[int | None, str, str]:
    """Run ``argv`` in ``cwd`` with limits; return ``(exit status or None on timeout, stdout, stderr)``.

    A negative exit status is the signal that killed the process. stdout/stderr go to files in
    ``cwd`` so a snippet printing in a loop is capped by ``RLIMIT_FSIZE`` instead of filling memory.
    """
    base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8",
                "PYTHONHASHSEED": "0", "HOME": cwd, "TMPDIR": cwd}
    out_path, err_path = os.path.join(cwd, ".stdout"), os.path.join(cwd, ".stderr")
    stdin_path = os.path.join(cwd, ".stdin")
    with open(stdin_path, "wb") as fh:
        fh.write(stdin_data or b"")
    with open(stdin_path, "rb") as fin, open(out_path, "wb") as fout, open(err_path, "wb") as ferr:
        proc = subprocess.Popen(list(argv), cwd=cwd, stdin=fin, stdout=fout, stderr=ferr,
                                env={**base_env, **(env or {})}, start_new_session=True,
                                preexec_fn=_limits(int(timeout) + 1, memory_mb))
        try:
            code: int | None = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            # The whole session: a snippet that forked must not outlive its check.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
    with open(out_path, "rb") as fh:
        stdout = fh.read(_OUTPUT_LIMIT).decode("utf-8", "replace")
    with open(err_path, "rb") as fh:
        stderr = fh.read(65536).decode("utf-8", "replace")
    return code, stdout, stderr


def _parse_marked(stdout: str) -> Any:
    for line in reversed(stdout.splitlines()):
        if line.startswith(_MARKER):
            return json.loads(line[len(_MARKER):])
    return None


def _compare_calls(source: RunOutcome, follow_up: RunOutcome, harness: str, inputs: Sequence[Any],
                   compare_exit: bool = False) -> ExecutionResult:
    if source.status != "ok":
        return ExecutionResult(None, "inconclusive", harness, source=source, follow_up=follow_up,
                               detail=f"source could not be run ({source.status}: {source.detail})")
    if follow_up.status == "timeout":
        return ExecutionResult(False, "timeout", harness, source=source, follow_up=follow_up,
                               detail="follow-up timed out; the source did not")
    if follow_up.status != "ok":
        return ExecutionResult(False, "different", harness, source=source, follow_up=follow_up,
                               detail=f"follow-up could not be run: {follow_up.detail}")
    mismatches = []
    for i in range(max(len(source.calls), len(follow_up.calls))):
        a = source.calls[i] if i < len(source.calls) else None
        b = follow_up.calls[i] if i < len(follow_up.calls) else None
        if a != b:
            mismatches.append({"input": (inputs[i] if isinstance(inputs[i], str) else repr(inputs[i]))
                               if i < len(inputs) else i, "source": a, "follow_up": b})
    if source.stdout != follow_up.stdout:
        mismatches.append({"input": "stdout", "source": source.stdout[-2000:], "follow_up": follow_up.stdout[-2000:]})
    if compare_exit and source.exit_code != follow_up.exit_code:
        mismatches.append({"input": "exit status", "source": source.exit_code, "follow_up": follow_up.exit_code})
    status = "different" if mismatches else "same"
    return ExecutionResult(not mismatches, status, harness, mismatches, source, follow_up)


def _both(run_one, source: str, follow_up: str) -> tuple[RunOutcome, RunOutcome]:
    # Two sides in parallel: halves the wall time of a check dominated by compilers and timeouts.
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.submit(run_one, source), pool.submit(run_one, follow_up)
        return a.result(), b.result()


# ----------------------------------------------------------------------------------------------
# Python
# ----------------------------------------------------------------------------------------------

_PY_HARNESS = r'''
import ast, copy, io, json, re, sys, types, itertools
_real_stdout = sys.stdout
spec = json.loads(open(".spec.json", encoding="utf-8").read())

def canon(v, depth=0):
    if depth > 40:
        return "<deep>"
    if v is None or isinstance(v, (bool, int, str, bytes, complex)):
        return repr(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return type(v).__name__ + "[" + ", ".join(canon(x, depth + 1) for x in v) + "]"
    if isinstance(v, dict):
        return "dict{" + ", ".join(sorted(canon(k, depth + 1) + ": " + canon(x, depth + 1) for k, x in v.items())) + "}"
    if isinstance(v, (set, frozenset)):
        return type(v).__name__ + "{" + ", ".join(sorted(canon(x, depth + 1) for x in v)) + "}"
    if isinstance(v, (types.GeneratorType, map, filter, zip, range, enumerate, reversed)):
        return "iter[" + ", ".join(canon(x, depth + 1) for x in itertools.islice(v, 10000)) + "]"
    if isinstance(v, BaseException):
        return "exc:" + type(v).__name__
    if hasattr(v, "__dict__") and not isinstance(v, type) and not callable(v):
        return type(v).__name__ + canon(dict(vars(v)), depth + 1)
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(v))

namespace = {"__name__": "__mc_snippet__"}
try:
    exec(compile(spec["code"], "<snippet>", "exec"), namespace)
except BaseException as exc:
    print("__MC_RESULT__" + json.dumps({"error": "defining the snippet raised " + type(exc).__name__}), file=_real_stdout)
    sys.exit(0)
fn = namespace.get(spec["function"])
if not callable(fn):
    print("__MC_RESULT__" + json.dumps({"error": "no function " + repr(spec["function"])}), file=_real_stdout)
    sys.exit(0)
calls = []
for text in spec["calls"]:
    args, kwargs = ast.literal_eval(text)
    args, kwargs = copy.deepcopy(tuple(args)), copy.deepcopy(dict(kwargs))
    buffer = io.StringIO()
    sys.stdout = buffer
    try:
        value = ("returned", canon(fn(*args, **kwargs)))
    except BaseException as exc:  # the exception TYPE is behaviour; its message may name renamed locals
        value = ("raised", type(exc).__name__)
    finally:
        sys.stdout = _real_stdout
    calls.append([value[0], value[1], canon(args), canon(kwargs), buffer.getvalue()])
print("__MC_RESULT__" + json.dumps({"calls": calls}), file=_real_stdout)
'''


def _first_function(code: str) -> str | None:
    import ast

    try:
        tree = ast.parse(textwrap.dedent(code))
    except (SyntaxError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return node.name
    return None


def run_python(source: str, follow_up: str, calls: Sequence[Any], *, function: str | None = None,
               timeout: float = 5.0, memory_mb: int = 1024) -> ExecutionResult:
    """Call ``function`` of ``source`` and of ``follow_up`` with each of ``calls`` and compare.

    Args:
        calls: argument tuples, or ``(args_tuple, kwargs_dict)`` pairs when the second item is a
            dict; values must be Python literals (they are passed as ``repr`` text and read back
            with :func:`ast.literal_eval`, never pickled).
        function: the function to call (default: the first top-level ``def`` of the source).
        timeout: seconds per side (all calls together).

    Compared per call: returned value (canonical text form), raised exception type, the arguments
    after the call (in-place mutation), and what the call printed.
    """
    function = function or _first_function(source)
    if function is None:
        raise MetaCompressError("no function to call: give function= or a source with a top-level def")
    texts = []
    for call in calls:
        if isinstance(call, tuple) and len(call) == 2 and isinstance(call[0], (tuple, list)) and isinstance(call[1], dict):
            args, kwargs = tuple(call[0]), call[1]
        else:
            args, kwargs = (tuple(call) if isinstance(call, (tuple, list)) else (call,)), {}
        text = repr((args, kwargs))
        try:
            import ast

            ast.literal_eval(text)
        except (ValueError, SyntaxError) as exc:
            raise MetaCompressError(f"call arguments must be Python literals: {text[:80]} ({exc})") from None
        texts.append(text)

    def run_one(code: str) -> RunOutcome:
        with tempfile.TemporaryDirectory(prefix="metacompress-py-", dir=scratch_dir()) as tmp:
            with open(os.path.join(tmp, ".spec.json"), "w", encoding="utf-8") as fh:
                json.dump({"code": textwrap.dedent(code), "function": function, "calls": texts}, fh)
            with open(os.path.join(tmp, "harness.py"), "w", encoding="utf-8") as fh:
                fh.write(_PY_HARNESS)
            code_, out, err = run_sandboxed([sys.executable, "-I", "harness.py"], cwd=tmp, timeout=timeout,
                                            memory_mb=memory_mb)
        if code_ is None:
            return RunOutcome("timeout", detail=f"ran past {timeout} s")
        result = _parse_marked(out)
        if result is None:
            return RunOutcome("error", exit_code=code_, detail=(err.strip().splitlines() or ["no result"])[-1])
        if "error" in result:
            return RunOutcome("error", exit_code=code_, detail=result["error"])
        return RunOutcome("ok", calls=result["calls"], exit_code=code_)

    a, b = _both(run_one, source, follow_up)
    return _compare_calls(a, b, "python", [t for t in texts])


# ----------------------------------------------------------------------------------------------
# C
# ----------------------------------------------------------------------------------------------

# Weak definitions of Juliet's support routines so that Juliet functions link and run; a snippet
# that defines one itself wins over the weak one.
C_SUPPORT_IMPL = r"""
#define MC_WEAK __attribute__((weak))
MC_WEAK void printLine(const char *line) { if (line) puts(line); }
MC_WEAK void printWLine(const wchar_t *line) { if (line) printf("%ls\n", line); }
MC_WEAK void printIntLine(int v) { printf("%d\n", v); }
MC_WEAK void printShortLine(short v) { printf("%hd\n", v); }
MC_WEAK void printFloatLine(float v) { printf("%f\n", v); }
MC_WEAK void printLongLine(long v) { printf("%ld\n", v); }
MC_WEAK void printLongLongLine(int64_t v) { printf("%lld\n", (long long)v); }
MC_WEAK void printSizeTLine(size_t v) { printf("%zu\n", v); }
MC_WEAK void printHexCharLine(char v) { printf("%02x\n", v); }
MC_WEAK void printWcharLine(wchar_t v) { printf("%lc\n", (wint_t)v); }
MC_WEAK void printUnsignedLine(unsigned v) { printf("%u\n", v); }
MC_WEAK void printHexUnsignedCharLine(unsigned char v) { printf("%02x\n", v); }
MC_WEAK void printDoubleLine(double v) { printf("%g\n", v); }
MC_WEAK void printStructLine(const twoIntsStruct *s) { printf("%d -- %d\n", s->intOne, s->intTwo); }
MC_WEAK void printBytesLine(const unsigned char *b, size_t n) { size_t i; for (i = 0; i < n; i++) printf("%02x", b[i]); puts(""); }
MC_WEAK size_t decodeHexChars(unsigned char *b, size_t n, const char *h) { size_t i = 0; while (i < n && h[2*i] && h[2*i+1]) { unsigned v; if (sscanf(h + 2*i, "%02x", &v) != 1) break; b[i++] = (unsigned char)v; } return i; }
MC_WEAK size_t decodeHexWChars(unsigned char *b, size_t n, const wchar_t *h) { (void)b; (void)n; (void)h; return 0; }
MC_WEAK int globalReturnsTrue(void) { return 1; }
MC_WEAK int globalReturnsFalse(void) { return 0; }
MC_WEAK int globalReturnsTrueOrFalse(void) { return rand() % 2; }
MC_WEAK const int GLOBAL_CONST_TRUE = 1;
MC_WEAK const int GLOBAL_CONST_FALSE = 0;
MC_WEAK const int GLOBAL_CONST_FIVE = 5;
MC_WEAK int globalTrue = 1;
MC_WEAK int globalFalse = 0;
MC_WEAK int globalFive = 5;
"""

_C_INT_TYPES = {"int", "long", "short", "char", "unsigned", "signed", "size_t", "ssize_t", "int8_t", "int16_t",
                "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "long long", "bool", "_Bool"}
_C_FLOAT_TYPES = {"float", "double", "long double"}


def _c_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return f"{value}LL" if abs(value) > 2**31 - 1 else str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (str, bytes)):
        data = value.encode("utf-8") if isinstance(value, str) else value
        return '"' + "".join(f"\\{b:03o}" for b in data) + '"'
    raise MetaCompressError(f"generic C driver: unsupported argument {value!r} (ints, floats and strings only)")


def c_signature(code: str, function: str | None = None) -> tuple[str, str, list[tuple[str, str]]]:
    """``(name, return type, [(param type, kind)])`` of a C function; kind ∈ int/float/string.

    Raises:
        MetaCompressError: when the function is not found or a parameter type is not supported by
            the generic driver.
    """
    from metacompress_eval.code.languages import parse

    parsed = parse(code, "c")
    for node in parsed.root.children:
        if node.type != "function_definition":
            continue
        decl = node.child_by_field_name("declarator")
        pointer_return = False
        while decl is not None and decl.type in ("pointer_declarator", "parenthesized_declarator"):
            pointer_return = pointer_return or decl.type == "pointer_declarator"
            decl = decl.child_by_field_name("declarator") or (decl.named_children[0] if decl.named_children else None)
        if decl is None or decl.type != "function_declarator":
            continue
        name_node = decl.child_by_field_name("declarator")
        name = parsed.text(name_node) if name_node is not None else ""
        if function and name != function:
            continue
        rtype = " ".join(parsed.text(node.child_by_field_name("type")).split())
        rtype = rtype + " *" if pointer_return else rtype
        params = []
        plist = decl.child_by_field_name("parameters")
        for p in plist.named_children if plist is not None else []:
            if p.type != "parameter_declaration":
                raise MetaCompressError(f"generic C driver: unsupported parameter {parsed.text(p)!r}")
            ptype = " ".join(parsed.text(p.child_by_field_name("type")).split())
            d = p.child_by_field_name("declarator")
            pointer = d is not None and d.type == "pointer_declarator"
            if ptype == "void" and d is None:
                continue
            base = " ".join(w for w in ptype.split() if w not in ("const", "volatile", "unsigned", "signed")) or "int"
            if pointer and base == "char":
                params.append((ptype + " *", "string"))
            elif not pointer and (base in _C_INT_TYPES or ptype in _C_INT_TYPES or base in ("long long", "long int")):
                params.append((ptype, "int"))
            elif not pointer and base in _C_FLOAT_TYPES:
                params.append((ptype, "float"))
            else:
                raise MetaCompressError(f"generic C driver: unsupported parameter type {parsed.text(p)!r} "
                                        "(give a driver)")
        return name, rtype, params
    raise MetaCompressError(f"no C function {function or ''} found in the source".replace("  ", " "))


def generic_c_driver(code: str, inputs: Sequence[Sequence[Any]], function: str | None = None) -> str:
    """A ``main`` that calls the function with each input tuple and prints the results.

    String arguments are passed as writable arrays, and printed again after the call so that
    in-place changes are compared too.
    """
    name, rtype, params = c_signature(code, function)
    lines = ["int main(void) {"]
    for k, args in enumerate(inputs):
        args = tuple(args)
        if len(args) != len(params):
            raise MetaCompressError(f"input {k} has {len(args)} argument(s); {name} takes {len(params)}")
        lines.append("    {")
        actual = []
        for j, ((ptype, kind), value) in enumerate(zip(params, args)):
            if kind == "string":
                lines.append(f"        char a{j}[] = {_c_literal(value)};")
                actual.append(f"a{j}")
            else:
                actual.append(_c_literal(value))
        call = f"{name}({', '.join(actual)})"
        base = rtype.replace("static", "").replace("inline", "").replace("const", "").strip()
        lines.append(f'        printf("call {k}\\n"); fflush(stdout);')
        if base == "void":
            lines.append(f"        {call};")
        elif base.endswith("*") and base.replace("*", "").strip() == "char":
            lines.append(f"        const char *r = {call}; printf(\"%s\\n\", r ? r : \"(null)\");")
        elif base.endswith("*"):
            lines.append(f"        {call};")
        elif base in _C_FLOAT_TYPES:
            lines.append(f'        printf("%.17g\\n", (double){call});')
        else:
            lines.append(f'        printf("%lld\\n", (long long){call});')
        for j, (_, kind) in enumerate(params):
            if kind == "string":
                lines.append(f'        printf("a{j}=%s\\n", a{j});')
        lines.append("        fflush(stdout);")
        lines.append("    }")
    lines.append("    return 0;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def run_c(source: str, follow_up: str, *, driver: str | None = None, inputs: Sequence[Sequence[Any]] | None = None,
          function: str | None = None, timeout: float = 5.0, memory_mb: int = 512) -> ExecutionResult:
    """Compile ``source`` and ``follow_up`` each with a ``main`` driver, run both, compare.

    Args:
        driver: C text defining ``main`` (appended after the snippet). Default: the generic driver
            for ``inputs`` (see :func:`generic_c_driver`); with neither, the function is called once
            without arguments (Juliet's ``void func()``).
        inputs: argument tuples for the generic driver.
        function: name of the function to call (default: the first one defined).

    Compared: standard output and exit status (a crash is its negative signal number).
    """
    from metacompress_eval.verify.compilers import C_PRELUDE, c_compiler

    cc = c_compiler()
    if cc is None:
        raise MetaCompressError("the C execution check needs gcc or clang")
    if driver is None:
        driver = generic_c_driver(source, inputs if inputs is not None else [()], function)

    def run_one(code: str) -> RunOutcome:
        with tempfile.TemporaryDirectory(prefix="metacompress-c-run-", dir=scratch_dir()) as tmp:
            path = os.path.join(tmp, "prog.c")
            with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
                fh.write(C_PRELUDE + C_SUPPORT_IMPL + "#line 1 \"snippet.c\"\n" + code + "\n#line 1 \"driver.c\"\n"
                         + driver)
            build = run_tool([cc, "-std=gnu11", "-w", "-O0", "-o", "prog", "prog.c", "-lm"], cwd=tmp,
                             capture_output=True, timeout=120, env={**os.environ, "LC_ALL": "C"})
            if build.returncode != 0:
                errors = [l for l in build.stderr.decode("utf-8", "replace").splitlines() if "error" in l]
                return RunOutcome("error", detail="compilation failed: " + (errors[0] if errors else "unknown"))
            status, out, _ = run_sandboxed(["./prog"], cwd=tmp, timeout=timeout, memory_mb=memory_mb)
        if status is None:
            return RunOutcome("timeout", stdout=out, detail=f"ran past {timeout} s")
        return RunOutcome("ok", stdout=out, exit_code=status)

    a, b = _both(run_one, source, follow_up)
    return _compare_calls(a, b, "c", [], compare_exit=True)


# ----------------------------------------------------------------------------------------------
# JavaScript
# ----------------------------------------------------------------------------------------------

_JS_HARNESS = r"""
const fs = require('fs');
const vm = require('vm');
const spec = JSON.parse(fs.readFileSync('.spec.json', 'utf8'));
let printed = [];
const sandboxConsole = { log: (...a) => printed.push(a.map(String).join(' ')) };
sandboxConsole.error = sandboxConsole.log; sandboxConsole.info = sandboxConsole.log; sandboxConsole.warn = sandboxConsole.log;
const context = vm.createContext({ console: sandboxConsole });
function canon(v, depth) {
  depth = depth || 0;
  if (depth > 40) return '<deep>';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return v.toString() + 'n';
  if (typeof v === 'function') return 'function';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map(x => canon(x, depth + 1)).join(',') + ']';
  if (v instanceof Map) return 'Map{' + [...v.entries()].map(([k, x]) => canon(k, depth + 1) + ':' + canon(x, depth + 1)).join(',') + '}';
  if (v instanceof Set) return 'Set{' + [...v].map(x => canon(x, depth + 1)).join(',') + '}';
  return '{' + Object.keys(v).sort().map(k => JSON.stringify(k) + ':' + canon(v[k], depth + 1)).join(',') + '}';
}
function done(obj) { process.stdout.write('\n__MC_RESULT__' + JSON.stringify(obj) + '\n'); }
let fn;
try {
  fn = vm.runInContext(spec.code + '\n;(typeof ' + spec.function + " === 'function' ? " + spec.function + ' : undefined)', context);
} catch (e) { done({ error: 'defining the snippet raised ' + (e && e.name) }); process.exit(0); }
if (typeof fn !== 'function') { done({ error: 'no function ' + spec.function }); process.exit(0); }
const calls = [];
for (const args of spec.calls) {
  printed = [];
  const copy = JSON.parse(JSON.stringify(args));
  let value;
  try { value = ['returned', canon(fn(...copy))]; }
  catch (e) { value = ['raised', (e && e.constructor && e.constructor.name) || typeof e]; }
  calls.push([value[0], value[1], canon(copy), printed.join('\n')]);
}
done({ calls });
"""


def run_javascript(source: str, follow_up: str, calls: Sequence[Sequence[Any]], *, function: str,
                   timeout: float = 5.0) -> ExecutionResult:
    """Call ``function`` of both snippets with each JSON argument list of ``calls`` (node) and compare.

    Compared per call: the canonical form of the returned value, the thrown error's constructor
    name, the arguments after the call, and what ``console.log`` printed.
    """
    node = shutil.which("node")
    if node is None:
        raise MetaCompressError("the JavaScript execution check needs node")
    if not function.replace("_", "a").replace("$", "a").isalnum():
        raise MetaCompressError(f"not a JavaScript function name: {function!r}")
    payload = [list(c) for c in calls]
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise MetaCompressError(f"JavaScript call arguments must be JSON values: {exc}") from None

    def run_one(code: str) -> RunOutcome:
        with tempfile.TemporaryDirectory(prefix="metacompress-js-", dir=scratch_dir()) as tmp:
            with open(os.path.join(tmp, ".spec.json"), "w", encoding="utf-8") as fh:
                json.dump({"code": code, "function": function, "calls": payload}, fh)
            with open(os.path.join(tmp, "harness.js"), "w", encoding="utf-8") as fh:
                fh.write(_JS_HARNESS)
            status, out, err = run_sandboxed([node, "--max-old-space-size=512", "harness.js"], cwd=tmp,
                                             timeout=timeout, memory_mb=None)
        if status is None:
            return RunOutcome("timeout", detail=f"ran past {timeout} s")
        result = _parse_marked(out)
        if result is None:
            return RunOutcome("error", exit_code=status, detail=(err.strip().splitlines() or ["no result"])[-1])
        if "error" in result:
            return RunOutcome("error", exit_code=status, detail=result["error"])
        return RunOutcome("ok", calls=result["calls"], exit_code=status)

    a, b = _both(run_one, source, follow_up)
    return _compare_calls(a, b, "javascript", payload)


__all__ = ["C_SUPPORT_IMPL", "ExecutionResult", "RunOutcome", "c_signature", "generic_c_driver", "run_c",
           "run_javascript", "run_python", "run_sandboxed"]
