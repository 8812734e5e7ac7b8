""""No new compiler diagnostics": compile a source snippet and its follow-up and compare errors.

A follow-up passes when its compiler ERRORS (warnings are ignored) are a sub-multiset of the
source's. Snippets from code-model datasets rarely compile on their own (a Juliet function calls
``printLine``, a BigCloneBench method uses fields of a class we do not have), so the question is
never "does it compile" but "does the transformation add an error the source did not have".

Per language:

========== ============================================================ =========================
language   checker                                                      wrapping
========== ============================================================ =========================
c          ``gcc`` (or ``clang``) ``-fsyntax-only -std=gnu11 -w``         common headers + Juliet
                                                                        support declarations
java       ``javac`` (attribution and flow analysis, no class files)      a class + common imports
                                                                        for bare methods
python     ``compile()`` (in process: compiling never runs the code)      ``if True:`` for indented
                                                                        methods
javascript ``node`` (``vm.compileFunction`` / ``SourceTextModule``:      script, module or class
           compiled, never run)                                         body, chosen per source
go         ``go build -gcflags=-e`` + ``go vet`` on a generated package   a package clause + imports
           (:mod:`.go_check`); ``gofmt -e`` (syntax only) without        of the standard packages
           ``go``, else tree-sitter (``unverified: no Go toolchain``)     the snippet refers to
========== ============================================================ =========================

The wrapping is chosen from the SOURCE and reused for the follow-up, so both are judged alike.

Error messages are normalised before comparing: file names, line and column numbers are dropped,
the names of our wrapper classes are replaced, and every identifier that occurs in only ONE of the
two snippets (a renamed variable's old and new name) is replaced by ``ID``; identifiers common to
both stay as they are. A follow-up error is *new* when its normalised message is not among the
source's. Renaming ``count`` to ``value`` therefore keeps ``'count' undeclared`` equal to
``'value' undeclared``, while a rename that leaves one use of ``count`` behind gives
``'count' undeclared`` — a message the source does not have. A dead-code copy of a statement that
already fails in the source (an unknown Windows type in a Juliet function, say) repeats a message
the source has, and is not counted as new: the comparison is on error messages, not on how often
they occur (the counts are reported as ``source_errors`` / ``follow_up_errors``).

Compiler calls are batched (one ``gcc`` call compiles many translation units, one ``javac`` call
many classes, one ``node`` process many snippets) and results are cached by content hash for the
life of the process.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import threading
import warnings
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional, Sequence

from metacompress_eval.errors import MetaCompressError
from metacompress_eval.verify import go_check
from metacompress_eval.verify.lifetime import check_scratch_kept, run_tool, scratch_dir

# ----------------------------------------------------------------------------------------------
# Results
# ----------------------------------------------------------------------------------------------


@dataclass
class VerificationResult:
    """Outcome of comparing a follow-up's compiler errors with its source's.

    Attributes:
        ok: ``True`` when the follow-up adds no error the source lacks (also ``True`` when no
            check could run: see ``verified``).
        new_errors: normalised error messages of the follow-up that the source does not have.
        checker: what checked it (``"gcc"``, ``"javac"``, ``"python-compile"``, ``"node"``,
            ``"gofmt"``, ``"tree-sitter-go"``, ...).
        verified: ``False`` when no real compiler was available (then ``note`` says why and the
            result only reflects a tree-sitter re-parse).
        note: e.g. ``"unverified: no Go toolchain"``.
        source_errors: number of errors of the source.
        follow_up_errors: number of errors of the follow-up.
    """

    ok: bool
    new_errors: list[str] = field(default_factory=list)
    checker: str = ""
    verified: bool = True
    note: str | None = None
    source_errors: int = 0
    follow_up_errors: int = 0

    def as_dict(self) -> dict:
        """JSON-serialisable form."""
        return {"ok": self.ok, "new_errors": list(self.new_errors), "checker": self.checker,
                "verified": self.verified, "note": self.note, "source_errors": self.source_errors,
                "follow_up_errors": self.follow_up_errors}


@dataclass
class _Raw:
    """Errors of one compiled unit before identifier normalisation."""

    messages: list[str]
    checker: str
    verified: bool = True
    note: str | None = None


# ----------------------------------------------------------------------------------------------
# Shared helpers
# ----------------------------------------------------------------------------------------------

_IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_WRAPPER_NAME = re.compile(r"__MCV[0-9a-f]*__")
# C locale: ASCII quotes in gcc messages and English javac messages whatever the user's locale.
_ENV = {**os.environ, "LC_ALL": "C", "LANG": "C", "LANGUAGE": "C"}
_CACHE: dict[str, tuple[str, _Raw]] = {}  # key → (wrapping used, errors)
_CACHE_LOCK = threading.Lock()
_CACHE_LIMIT = 200_000


def _key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def _cache_get(key: str) -> tuple[str, _Raw] | None:
    with _CACHE_LOCK:
        return _CACHE.get(key)


def _cache_put(key: str, raw: tuple[str, _Raw]) -> None:
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()  # crude, but bounded memory matters more than hit rate on huge runs
        _CACHE[key] = raw


def clear_cache() -> None:
    """Forget every cached compiler result (tests, benchmarks)."""
    with _CACHE_LOCK:
        _CACHE.clear()


def identifiers(*codes: str) -> frozenset[str]:
    """Every identifier-like word of the given snippets."""
    out: set[str] = set()
    for code in codes:
        out.update(_IDENT.findall(code))
    return frozenset(out)


def normalise(messages: Iterable[str], idents: frozenset[str]) -> Counter:
    """Multiset of messages with wrapper names and the identifiers in ``idents`` replaced by ``ID``."""
    counter: Counter = Counter()
    for message in messages:
        message = _WRAPPER_NAME.sub("__WRAPPER__", message)
        message = _IDENT.sub(lambda m: "ID" if m.group(0) in idents else m.group(0), message)
        counter[" ".join(message.split())] += 1
    return counter



def _run_batches(run, batches: list, tick: Tick = None) -> None:
    """Call ``run`` on every batch: in this thread for one batch, else on a pool of compiler processes.

    ``tick(n)`` is called with each batch's size as it finishes (progress bars)."""
    def run_one(batch) -> None:
        run(batch)
        if tick is not None:
            tick(len(batch))

    if len(batches) == 1:
        run_one(batches[0])
    elif batches:
        with ThreadPoolExecutor(max_workers=min(len(batches), _workers())) as pool:
            list(pool.map(run_one, batches))

#: Progress callback: called with how many units were just checked (``None``: no progress shown).
Tick = Optional[Callable[[int], None]]


def _ticked(results: list, tick: Tick) -> list:
    if tick is not None and results:
        tick(len(results))
    return results


def _chunks(items: list, parts: int, max_size: int) -> list[list]:
    if not items:
        return []
    size = max(1, min(max_size, math.ceil(len(items) / max(1, parts))))
    return [items[i : i + size] for i in range(0, len(items), size)]


def _workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _tree_sitter_raw(code: str, language: str, checker: str, note: str | None) -> _Raw:
    from metacompress_eval.code.languages import parse

    errors = parse(code, language).error_count()
    return _Raw(["syntax error"] * errors, checker, verified=False, note=note)


# ----------------------------------------------------------------------------------------------
# C
# ----------------------------------------------------------------------------------------------

_C_HEADERS = ("stdio.h stdlib.h string.h strings.h stdint.h stddef.h stdarg.h stdbool.h wchar.h wctype.h "
              "ctype.h limits.h float.h math.h time.h errno.h assert.h signal.h setjmp.h locale.h alloca.h "
              "unistd.h fcntl.h pthread.h sys/types.h sys/stat.h sys/socket.h sys/time.h netinet/in.h "
              "arpa/inet.h").split()

# Declarations of Juliet's support code (std_testcase.h / std_testcase_io.h): with them, Juliet
# functions compile without a flood of errors that could hide the ones a follow-up adds.
C_SUPPORT = """\
typedef struct _charVoid { char charFirst[16]; void *voidSecond; void *voidThird; } charVoid;
typedef struct _wcharVoid { wchar_t charFirst[16]; void *voidSecond; void *voidThird; } wcharVoid;
typedef struct _twoIntsStruct { int intOne; int intTwo; } twoIntsStruct;
void printLine(const char *line);
void printWLine(const wchar_t *line);
void printIntLine(int intNumber);
void printShortLine(short shortNumber);
void printFloatLine(float floatNumber);
void printLongLine(long longNumber);
void printLongLongLine(int64_t longLongIntNumber);
void printSizeTLine(size_t sizeTNumber);
void printHexCharLine(char charHex);
void printWcharLine(wchar_t wideChar);
void printUnsignedLine(unsigned unsignedNumber);
void printHexUnsignedCharLine(unsigned char unsignedCharacter);
void printDoubleLine(double doubleNumber);
void printStructLine(const twoIntsStruct *structTwoIntsStruct);
void printBytesLine(const unsigned char *bytes, size_t numBytes);
size_t decodeHexChars(unsigned char *bytes, size_t numBytes, const char *hex);
size_t decodeHexWChars(unsigned char *bytes, size_t numBytes, const wchar_t *hex);
int globalReturnsTrue(void);
int globalReturnsFalse(void);
int globalReturnsTrueOrFalse(void);
extern const int GLOBAL_CONST_TRUE;
extern const int GLOBAL_CONST_FALSE;
extern const int GLOBAL_CONST_FIVE;
extern int globalTrue;
extern int globalFalse;
extern int globalFive;
#ifndef ALLOCA
#define ALLOCA alloca
#endif
"""

C_PRELUDE = "".join(f"#include <{h}>\n" for h in _C_HEADERS) + C_SUPPORT
# -w: warnings (implicit declarations, unused values, ...) are not what we compare; gnu11 keeps
# implicit function declarations a warning, as Juliet snippets rely on them.
C_FLAGS = ("-fsyntax-only", "-std=gnu11", "-w", "-fdiagnostics-plain-output", "-fno-diagnostics-color")


def c_compiler() -> str | None:
    """Path of the C compiler used (``$METACOMPRESS_CC``, else gcc, else clang), or ``None``."""
    return shutil.which(os.environ.get("METACOMPRESS_CC", "")) if os.environ.get("METACOMPRESS_CC") else (
        shutil.which("gcc") or shutil.which("clang"))


_PCH_LOCK = threading.Lock()
_PCH_DIR: dict[str, str] = {}


def _c_prelude_dir(cc: str) -> str:
    """A folder holding ``mc_prelude.h`` and, when the compiler supports it, its precompiled form.

    The precompiled header halves the cost of each translation unit (the headers are most of it);
    if building it fails, ``#include "mc_prelude.h"`` still works from the plain header.
    """
    with _PCH_LOCK:
        folder = _PCH_DIR.get(cc)
        if folder and os.path.isdir(folder):
            return folder
        folder = tempfile.mkdtemp(prefix="metacompress-cc-", dir=scratch_dir())
        atexit.register(shutil.rmtree, folder, True)
        header = os.path.join(folder, "mc_prelude.h")
        with open(header, "w", encoding="utf-8") as fh:
            fh.write(C_PRELUDE)
        if os.path.basename(cc).startswith("gcc") or os.path.basename(cc) == "cc":
            try:
                run_tool([cc, *C_FLAGS[1:], "-x", "c-header", header, "-o", header + ".gch"],
                         capture_output=True, timeout=120, env=_ENV, check=False)
            except (OSError, subprocess.SubprocessError):
                pass
        _PCH_DIR[cc] = folder
        return folder


_GCC_LINE = re.compile(r"^(?P<file>[^:\n]+\.c):(?:\d+:)?(?:\d+:)? (?P<kind>fatal error|error): (?P<msg>.*)$")


def _c_batch(codes: list[str], tick: Tick = None) -> list[_Raw]:
    cc = c_compiler()
    if cc is None:
        return _ticked([_tree_sitter_raw(c, "c", "tree-sitter-c", "unverified: no C compiler") for c in codes], tick)
    name = os.path.basename(cc)
    prelude_dir = _c_prelude_dir(cc)
    results: list[_Raw | None] = [None] * len(codes)

    def run(indices: list[int]) -> None:
        with tempfile.TemporaryDirectory(prefix="metacompress-c-", dir=scratch_dir()) as tmp:
            files = {}
            for i in indices:
                path = os.path.join(tmp, f"u{i}.c")
                with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
                    # "#line 1" so the snippet's own line numbers start at 1 (only matters to people
                    # reading raw output; numbers are stripped before comparing).
                    fh.write('#include "mc_prelude.h"\n#line 1\n' + codes[i] + "\n")
                files[os.path.basename(path)] = i
            try:
                proc = run_tool([cc, *C_FLAGS, "-I", prelude_dir, *files], cwd=tmp, capture_output=True,
                                timeout=60 + 2 * len(indices), env=_ENV)
            except subprocess.TimeoutExpired:
                for i in indices:
                    results[i] = _Raw([], name, verified=False, note=f"unverified: {name} timed out")
                return
            found: dict[int, list[str]] = {i: [] for i in indices}
            for line in proc.stderr.decode("utf-8", "replace").splitlines():
                m = _GCC_LINE.match(line)
                if m and os.path.basename(m.group("file")) in files:
                    found[files[os.path.basename(m.group("file"))]].append(f"{m.group('kind')}: {m.group('msg')}")
            for i in indices:
                results[i] = _Raw(found[i], name)

    _run_batches(run, _chunks(list(range(len(codes))), _workers(), 200), tick)
    return [r for r in results if r is not None]


# ----------------------------------------------------------------------------------------------
# Java
# ----------------------------------------------------------------------------------------------

JAVA_IMPORTS = "".join(
    f"import {p}.*;"
    for p in ("java.util", "java.io", "java.net", "java.nio", "java.nio.file", "java.nio.charset",
              "java.nio.channels", "java.util.regex", "java.util.zip", "java.util.concurrent", "java.math",
              "java.text", "java.security")
) + "\n"
# should-stop.ifError=FLOW: keep attributing after a syntax error (javac's default stops, which
# would hide every other file's errors in a batch); ifNoError=FLOW: never write class files.
JAVAC_FLAGS = ("-J-Duser.language=en", "-J-Duser.country=US", "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC",
               "-XDshould-stop.ifError=FLOW", "-XDshould-stop.ifNoError=FLOW", "-Xmaxerrs", "1000000",
               "-nowarn", "-Xlint:none", "-proc:none", "-implicit:none", "-encoding", "UTF-8")
_JAVA_TYPES = frozenset({"class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
                         "annotation_type_declaration"})
_JAVAC_LINE = re.compile(r"^(?P<file>.+\.java):\d+: error: (?P<msg>.*)$")


def _java_wrapping(code: str) -> str:
    """``"class"`` for bare members (BigCloneBench methods), ``"none"`` for compilation units.

    Decided from the top-level nodes: tree-sitter-java accepts a bare method at the top level, javac
    does not, so a clean parse alone does not tell us a class is unnecessary.
    """
    from metacompress_eval.code.languages import parse

    parsed = parse(code, "java")
    if parsed.wrapping != "none":
        return "class"
    allowed = _JAVA_TYPES | {"package_declaration", "import_declaration", "line_comment", "block_comment",
                             "module_declaration", ";"}
    kinds = {child.type for child in parsed.root.children}
    return "none" if kinds and kinds <= allowed and kinds & (_JAVA_TYPES | {"module_declaration"}) else "class"


def _java_unit(code: str, wrapping: str) -> tuple[str, str, frozenset[str]]:
    """(file stem, text, top-level type names) of one compilation unit."""
    if wrapping == "class":
        name = f"__MCV{_key('java', code)[:16]}__"
        return name, f"{JAVA_IMPORTS}class {name} {{\n{code}\n}}\n", frozenset({name})
    from metacompress_eval.code.languages import parse

    parsed = parse(code, "java")
    names, public, has_package = [], None, False
    for child in parsed.root.children:
        if child.type == "package_declaration":
            has_package = True
        if child.type in _JAVA_TYPES:
            ident = child.child_by_field_name("name")
            if ident is not None:
                names.append(parsed.text(ident))
                mods = next((c for c in child.children if c.type == "modifiers"), None)
                if mods is not None and "public" in parsed.text(mods).split():
                    public = public or parsed.text(ident)
    stem = public or (names[0] if names else f"__MCV{_key('java', code)[:16]}__")
    # Imports may only precede a unit that has no package clause (which must come first).
    text = code if has_package else JAVA_IMPORTS + code
    return stem, text + "\n", frozenset(names or [stem])


def _java_batch(units: list[tuple[str, str]], tick: Tick = None) -> list[_Raw]:
    javac = shutil.which("javac")
    if javac is None:
        return _ticked([_tree_sitter_raw(c, "java", "tree-sitter-java", "unverified: javac not found")
                        for c, _ in units], tick)
    prepared = [_java_unit(code, wrapping) for code, wrapping in units]
    # Units that declare the same top-level type cannot share a javac call: group them greedily.
    groups: list[tuple[set[str], list[int]]] = []
    for i, (_, _, names) in enumerate(prepared):
        for taken, members in groups:
            if not taken & names and len(members) < 400:
                taken.update(names)
                members.append(i)
                break
        else:
            groups.append((set(names), [i]))
    results: list[_Raw | None] = [None] * len(units)

    def run(members: list[int]) -> None:
        with tempfile.TemporaryDirectory(prefix="metacompress-java-", dir=scratch_dir()) as tmp:
            files = {}
            for i in members:
                stem, text, _ = prepared[i]
                folder = os.path.join(tmp, f"u{i}")
                os.mkdir(folder)
                path = os.path.join(folder, f"{stem}.java")
                with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
                    fh.write(text)
                files[path] = i
            try:
                proc = run_tool([javac, *JAVAC_FLAGS, "-d", os.path.join(tmp, "out"), *files], cwd=tmp,
                                capture_output=True, timeout=120 + len(members), env=_ENV)
            except subprocess.TimeoutExpired:
                for i in members:
                    results[i] = _Raw([], "javac", verified=False, note="unverified: javac timed out")
                return
            found: dict[int, list[str]] = {i: [] for i in members}
            current: list[str] | None = None
            for line in proc.stdout.decode("utf-8", "replace").splitlines() + \
                    proc.stderr.decode("utf-8", "replace").splitlines():
                m = _JAVAC_LINE.match(line)
                if m:
                    i = files.get(os.path.join(tmp, m.group("file")) if not os.path.isabs(m.group("file"))
                                  else m.group("file"))
                    current = None
                    if i is not None:
                        found[i].append("error: " + m.group("msg"))
                        current = found[i]
                elif current is not None and line.strip().startswith("symbol:"):
                    # "symbol: variable x" says what kind of name is missing: part of the error kind.
                    # For methods javac lists the argument types, or the argument EXPRESSIONS
                    # (abbreviated "a.b(x[...]y)") when a type is itself unresolved: that text
                    # changes with any edit inside the arguments, so only the method name is kept.
                    symbol = " ".join(line.split())
                    symbol = re.sub(r"^(symbol: (?:method|constructor) [^(]*)\(.*\)$", r"\1(...)", symbol)
                    current[-1] += " [" + symbol + "]"
            for i in members:
                results[i] = _Raw(found[i], "javac")

    _run_batches(run, [members for _, members in groups], tick)
    return [r for r in results if r is not None]


# ----------------------------------------------------------------------------------------------
# Python
# ----------------------------------------------------------------------------------------------


def _python_wrapped(code: str, wrapping: str) -> str:
    return "if True:\n" + code + "\n" if wrapping == "indented" else code


def _python_errors(code: str) -> list[str]:
    # compile() only parses and builds bytecode; nothing of the snippet is executed.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(code, "<snippet>", "exec", dont_inherit=True)
    except SyntaxError as exc:  # includes IndentationError / TabError
        return [f"{type(exc).__name__}: {exc.msg}"]
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        return [f"{type(exc).__name__}: {exc}"]
    return []


def _python_wrapping(code: str) -> str:
    if not _python_errors(code):
        return "none"
    return "indented" if not _python_errors(_python_wrapped(code, "indented")) else "none"


# ----------------------------------------------------------------------------------------------
# JavaScript
# ----------------------------------------------------------------------------------------------

# Compiles (never runs) each snippet as a CommonJS body (what `node --check` does), as an ES module,
# or as the body of a class (bare methods); with mode null the first clean mode is reported.
_NODE_CHECK = r"""
const vm = require('vm');
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', d => input += d);
process.stdin.on('end', () => {
  const out = [];
  for (const item of JSON.parse(input)) {
    const modes = item.mode ? [item.mode] : ['script', 'module', 'class'];
    let first = null;
    for (const mode of modes) {
      let errors = [];
      try {
        if (mode === 'script') {
          vm.compileFunction(item.code, ['exports', 'require', 'module', '__filename', '__dirname']);
        } else if (mode === 'module') {
          if (typeof vm.SourceTextModule !== 'function') throw new Error('modules unsupported');
          new vm.SourceTextModule(item.code);
        } else {
          new vm.Script('class __MCV__ {\n' + item.code + '\n}');
        }
      } catch (e) {
        errors = [(e && e.name ? e.name : 'Error') + ': ' + (e && e.message ? e.message : String(e))];
      }
      if (first === null) first = {mode, errors};
      if (errors.length === 0) { first = {mode, errors}; break; }
    }
    out.push(first);
  }
  process.stdout.write(JSON.stringify(out));
});
"""


def _node_batch(items: list[tuple[str, str | None]], tick: Tick = None) -> list[tuple[str, _Raw]]:
    # One node process per 200 snippets (its start-up is cheap): progress moves as each returns.
    out: list[tuple[str, _Raw]] = []
    for start in range(0, len(items), 200):
        out += _ticked(_node_call(items[start:start + 200]), tick)
    return out


def _node_call(items: list[tuple[str, str | None]]) -> list[tuple[str, _Raw]]:
    node = shutil.which("node")
    if node is None:
        return [("script", _tree_sitter_raw(c, "javascript", "tree-sitter-javascript", "unverified: node not found"))
                for c, _ in items]
    payload = json.dumps([{"code": c, "mode": m} for c, m in items])
    try:
        proc = run_tool([node, "--experimental-vm-modules", "--no-warnings", "-e", _NODE_CHECK],
                        input=payload.encode("utf-8", "surrogatepass"), capture_output=True,
                        timeout=60 + len(items), env=_ENV)
        rows = json.loads(proc.stdout.decode("utf-8"))
    except (subprocess.TimeoutExpired, ValueError):
        return [("script", _Raw([], "node", verified=False, note="unverified: node check failed")) for _ in items]
    return [(r["mode"], _Raw(r["errors"], "node")) for r in rows]


# ----------------------------------------------------------------------------------------------
# Go
# ----------------------------------------------------------------------------------------------


def _go_raw(code: str) -> _Raw:
    """Syntax-only fallback when ``go`` is missing: ``gofmt -e``, else a tree-sitter re-parse."""
    gofmt = shutil.which("gofmt")
    if gofmt is None:
        return _tree_sitter_raw(code, "go", "tree-sitter-go", "unverified: no Go toolchain")
    text = code if re.search(r"^\s*package\s+\w+", code, re.M) else "package main\n" + code
    try:
        proc = run_tool([gofmt, "-e"], input=text.encode("utf-8", "surrogatepass"), capture_output=True,
                        timeout=30, env=_ENV)
    except subprocess.TimeoutExpired:
        return _Raw([], "gofmt", verified=False, note="unverified: gofmt timed out")
    msgs = [re.sub(r"^[^:]*:\d+:\d+:\s*", "", line) for line in proc.stderr.decode("utf-8", "replace").splitlines()
            if line.strip()]
    # gofmt is a parser, not a type checker: syntax is verified, types and names are not.
    return _Raw(msgs, "gofmt", verified=True, note="gofmt: syntax only (go not installed)")


def _go_batch(units: list[tuple[str, str]]) -> list[_Raw]:
    """Type-check with ``go build`` + ``go vet`` (see :mod:`.go_check`); syntax only without ``go``."""
    if go_check.go_tool() is None:
        return [_go_raw(code) for code, _ in units]
    out = []
    for messages, note in go_check.check_units([go_check.GoUnit(c, w) for c, w in units]):
        out.append(_Raw(messages, "go", verified=note is None, note=note))
    return out


# ----------------------------------------------------------------------------------------------
# Dispatch
# ----------------------------------------------------------------------------------------------

VERIFIABLE_LANGUAGES = ("c", "java", "python", "javascript", "go")


def _check_language(language: str) -> None:
    if language not in VERIFIABLE_LANGUAGES:
        raise MetaCompressError(f"no compiler check for language {language!r}; supported: "
                                f"{', '.join(VERIFIABLE_LANGUAGES)}")


def _wrapping_of(code: str, language: str) -> str:
    if language == "java":
        return _java_wrapping(code)
    if language == "python":
        return _python_wrapping(code)
    if language == "go" and go_check.go_tool() is not None:
        return go_check.wrapping_for(code)
    return "none"


def _raw_many(units: Sequence[tuple[str, str | None]], language: str,
              tick: Tick = None) -> list[tuple[str, _Raw]]:
    """Compile ``(code, wrapping)`` units (wrapping ``None`` = choose); return (wrapping, raw) each.

    Cached by (language, wrapping, code); only the misses reach the compiler, in one batch.
    ``tick(n)`` reports units as they are done (cache hits and repeats at once).
    """
    out: list[tuple[str, _Raw] | None] = [None] * len(units)
    chosen: list[str | None] = []
    for code, wrapping in units:
        if wrapping is None and language != "javascript":
            wrapping = _wrapping_of(code, language)
        chosen.append(wrapping)
    misses: dict[str, list[int]] = {}
    for i, ((code, _), wrapping) in enumerate(zip(units, chosen)):
        key = _key(language, wrapping or "?", code)
        hit = _cache_get(key)
        if hit is not None:
            out[i] = hit
        else:
            misses.setdefault(key, []).append(i)
    if tick is not None:
        tick(len(units) - len(misses))
    if misses:
        first = [idx[0] for idx in misses.values()]
        if language == "c":
            raws = [("none", r) for r in _c_batch([units[i][0] for i in first], tick)]
        elif language == "java":
            raws = list(zip([chosen[i] for i in first],
                            _java_batch([(units[i][0], chosen[i] or "class") for i in first], tick)))
        elif language == "python":
            raws = [(chosen[i], _ticked([_Raw(_python_errors(_python_wrapped(units[i][0], chosen[i] or "none")),
                                               "python-compile")], tick)[0]) for i in first]
        elif language == "javascript":
            raws = _node_batch([(units[i][0], chosen[i]) for i in first], tick)
        else:  # one go build + go vet for all (go schedules the packages itself): progress at the end
            raws = _ticked(list(zip([chosen[i] or "none" for i in first],
                                    _go_batch([(units[i][0], chosen[i] or "none") for i in first]))), tick)
        for (key, indices), entry in zip(misses.items(), raws):
            _cache_put(key, entry)
            for i in indices:
                out[i] = entry
    return [o for o in out if o is not None]


def diagnostics(code: str, language: str) -> set[str]:
    """Normalised compiler ERRORS of ``code`` (warnings are not included).

    Locations and wrapper names are stripped; identifiers are kept (only :func:`compare` abstracts
    the identifiers a transformation changed).

    Raises:
        MetaCompressError: for a language without a checker.
    """
    _check_language(language)
    (_, raw), = _raw_many([(code, None)], language)
    return set(normalise(raw.messages, frozenset()))


def compare_many(pairs: Sequence[tuple[str, str]], language: str, *, progress: bool = False) -> list[VerificationResult]:
    """Compare many ``(source, follow_up)`` pairs with batched compiler calls.

    Each follow-up is compiled with the wrapping chosen for its source. Results are in input order.
    ``progress`` shows a bar on stderr (one step per source or follow-up compiled, cache hits included).
    """
    _check_language(language)
    pairs = list(pairs)
    from tqdm.auto import tqdm

    # Two passes (sources, then follow-ups in the sources' wrapping): one bar over both.
    with tqdm(total=2 * len(pairs), desc=f"compiler check ({checker_name(language)})", unit="input",
              disable=not progress or not pairs, leave=False) as bar:
        sources = _raw_many([(s, None) for s, _ in pairs], language, bar.update)
        follow_ups = _raw_many([(f, wrapping) for (_, f), (wrapping, _) in zip(pairs, sources)], language,
                               bar.update)
    check_scratch_kept()  # failures from a vanished temp folder are not the code's compiler errors
    results = []
    for (source, follow_up), (_, raw_s), (_, raw_f) in zip(pairs, sources, follow_ups):
        changed = identifiers(source) ^ identifiers(follow_up)
        before = normalise(raw_s.messages, changed)
        after = normalise(raw_f.messages, changed)
        new = sorted(set(after) - set(before))
        verified = raw_s.verified and raw_f.verified
        results.append(VerificationResult(
            ok=not new, new_errors=new, checker=raw_f.checker or raw_s.checker, verified=verified,
            note=raw_f.note or raw_s.note, source_errors=sum(before.values()),
            follow_up_errors=sum(after.values())))
    return results


def compare(original: str, follow_up: str, language: str) -> VerificationResult:
    """Does ``follow_up`` add a compiler error that ``original`` does not have?"""
    return compare_many([(original, follow_up)], language)[0]


def checker_name(language: str) -> str:
    """Which checker :func:`compare` would use for ``language`` on this machine."""
    _check_language(language)
    if language == "c":
        cc = c_compiler()
        return os.path.basename(cc) if cc else "tree-sitter-c (unverified: no C compiler)"
    if language == "java":
        return "javac" if shutil.which("javac") else "tree-sitter-java (unverified: javac not found)"
    if language == "javascript":
        return "node" if shutil.which("node") else "tree-sitter-javascript (unverified: node not found)"
    if language == "go":
        if go_check.go_tool() is not None:
            return "go"
        return "gofmt (syntax only)" if shutil.which("gofmt") else "tree-sitter-go (unverified: no Go toolchain)"
    return "python-compile"


__all__ = ["C_PRELUDE", "JAVA_IMPORTS", "VERIFIABLE_LANGUAGES", "VerificationResult", "checker_name",
           "clear_cache", "compare", "compare_many", "diagnostics", "identifiers", "normalise"]
