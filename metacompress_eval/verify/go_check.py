"""A real Go check: type-check snippets with the Go toolchain (``go build`` + ``go vet``).

``gofmt`` only parses. A Go follow-up can parse and still not compile — a dead-code copy of
``s = n * 2`` placed after ``s := fmt.Sprint(n)`` assigns an int to a string — so this module puts
every snippet into a package of its own inside one generated module, compiles all packages with
one ``go build -gcflags=-e ./...`` call (``-e``: every error, not the first ten) and runs
``go vet`` on the packages that compiled. Their messages are what :mod:`.compilers` compares.

How a snippet becomes a package (the *wrapping*, chosen from the source and reused for the
follow-up so both are judged alike):

* a snippet with its own ``package`` clause is a whole file: only the package name is replaced
  (``package main`` without ``func main`` would otherwise fail to link);
* anything else (bare functions and methods, the usual dataset row) gets a package clause and an
  ``import`` of every standard-library package the snippet refers to as ``name.X`` without
  declaring ``name`` itself (``fmt.Sprint`` → ``import "fmt"``). The wrapping records the import
  list, so a follow-up is compiled with exactly the source's imports.

Names the snippet uses but does not define (a sibling function, a type of the enclosing file)
give "undefined" errors in source and follow-up alike; only errors the follow-up adds count.

Nothing is downloaded: the module has no dependencies, ``GOPROXY=off``, ``GOFLAGS=-mod=mod`` and
``GOTOOLCHAIN=local`` keep the toolchain offline. The Go build cache (``$GOCACHE``, by default Go's
own) makes repeated checks of the same package cheap; the first check of a fresh machine compiles
the standard packages it needs once.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache

from metacompress_eval.verify.lifetime import run_tool, scratch_dir

# Package names that several standard packages share: the one a snippet most likely means.
_PREFERRED_PATHS = {
    "rand": "math/rand", "template": "text/template", "scanner": "text/scanner", "pprof": "runtime/pprof",
    "url": "net/url", "http": "net/http", "json": "encoding/json", "xml": "encoding/xml",
    "parser": "go/parser", "ast": "go/ast", "token": "go/token", "format": "go/format", "build": "go/build",
    "constant": "go/constant", "types": "go/types", "doc": "go/doc", "printer": "go/printer",
    "cookiejar": "net/http/cookiejar", "httptest": "net/http/httptest", "trace": "runtime/trace",
    "atomic": "sync/atomic", "utf8": "unicode/utf8", "utf16": "unicode/utf16", "heap": "container/heap",
    "list": "container/list", "ring": "container/ring", "fs": "io/fs", "ioutil": "io/ioutil",
    "filepath": "path/filepath", "exec": "os/exec", "signal": "os/signal", "user": "os/user",
    "big": "math/big", "bits": "math/bits", "cmplx": "math/cmplx", "pem": "encoding/pem",
    "hex": "encoding/hex", "base64": "encoding/base64", "binary": "encoding/binary", "csv": "encoding/csv",
    "gob": "encoding/gob", "tabwriter": "text/tabwriter", "debug": "runtime/debug", "syntax": "regexp/syntax",
    "quick": "testing/quick", "iotest": "testing/iotest", "fstest": "testing/fstest", "mail": "net/mail",
    "smtp": "net/smtp", "textproto": "net/textproto", "rpc": "net/rpc", "crc32": "hash/crc32",
    "fnv": "hash/fnv", "adler32": "hash/adler32", "crc64": "hash/crc64", "maphash": "hash/maphash",
    "md5": "crypto/md5", "sha1": "crypto/sha1", "sha256": "crypto/sha256", "sha512": "crypto/sha512",
    "hmac": "crypto/hmac", "tls": "crypto/tls", "x509": "crypto/x509", "aes": "crypto/aes",
    "cipher": "crypto/cipher", "subtle": "crypto/subtle", "elliptic": "crypto/elliptic", "rsa": "crypto/rsa",
    "ecdsa": "crypto/ecdsa", "ed25519": "crypto/ed25519", "zip": "archive/zip", "tar": "archive/tar",
    "gzip": "compress/gzip", "zlib": "compress/zlib", "flate": "compress/flate", "bzip2": "compress/bzip2",
    "sql": "database/sql", "driver": "database/sql/driver", "html": "html", "image": "image",
    "color": "image/color", "png": "image/png", "jpeg": "image/jpeg", "draw": "image/draw",
    "embed": "embed", "expvar": "expvar", "plugin": "plugin", "slog": "log/slog", "syslog": "log/syslog",
    "netip": "net/netip", "pe": "debug/pe", "elf": "debug/elf", "dwarf": "debug/dwarf",
}
_STD_FALLBACK = (
    "bufio bytes context errors flag fmt io log math os path reflect regexp runtime sort strconv strings "
    "sync syscall testing time unicode unsafe"
).split()

_PACKAGE_CLAUSE = re.compile(r"^(\s*(?://[^\n]*\n\s*|/\*.*?\*/\s*)*)package\s+([A-Za-z_][A-Za-z0-9_]*)", re.S)
# Lines of ``go build`` / ``go vet`` output that report a diagnostic in one of our files.
_GO_LINE = re.compile(r"^(?:vet: )?(?:\./)?(?P<dir>[A-Za-z0-9_]+)/(?P<file>[A-Za-z0-9_]+\.go):\d+(?::\d+)?: (?P<msg>.*)$")
_PACKAGE_HEADER = re.compile(r"^# (?P<pkg>\S+)")

MODULE = "mcverify"
FILE_NAME = "snippet.go"


@dataclass(frozen=True)
class GoUnit:
    """One snippet to check and the wrapping it is compiled with."""

    code: str
    wrapping: str


def go_tool() -> str | None:
    """Path of the ``go`` command, or ``None`` when no Go toolchain is installed."""
    return shutil.which("go")


@lru_cache(maxsize=1)
def go_version() -> str:
    """``go1.19.8`` or similar (``""`` when unknown)."""
    go = go_tool()
    if go is None:
        return ""
    try:
        out = run_tool([go, "env", "GOVERSION"], capture_output=True, timeout=30, env=go_env()).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.decode("utf-8", "replace").strip()


def go_env() -> dict[str, str]:
    """The environment for every ``go`` call: offline, no cgo, module mode, a writable build cache."""
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "GOPROXY": "off", "GOFLAGS": "-mod=mod",
           "GOTOOLCHAIN": "local", "GO111MODULE": "on", "GOWORK": "off", "CGO_ENABLED": "0",
           "GONOSUMDB": "*", "GONOSUMCHECK": "1", "GOSUMDB": "off", "GOTELEMETRY": "off"}
    if not env.get("GOCACHE"):
        home_cache = os.path.join(os.path.expanduser("~"), ".cache")
        if not os.access(home_cache if os.path.isdir(home_cache) else os.path.expanduser("~"), os.W_OK):
            env["GOCACHE"] = os.path.join(tempfile.gettempdir(), "metacompress-go-build")
    if not env.get("GOPATH") and not os.access(os.path.expanduser("~"), os.W_OK):
        env["GOPATH"] = os.path.join(tempfile.gettempdir(), "metacompress-gopath")
    return env


@lru_cache(maxsize=1)
def standard_packages() -> dict[str, str]:
    """Package name → import path of the standard library (``go list std``; a short built-in list
    when that fails). Names several packages share resolve to the most common one."""
    go = go_tool()
    paths: list[str] = []
    if go is not None:
        try:
            proc = run_tool([go, "list", "std"], capture_output=True, timeout=60, env=go_env())
            paths = proc.stdout.decode("utf-8", "replace").split()
        except (OSError, subprocess.SubprocessError):
            paths = []
    table: dict[str, str] = {}
    for path in sorted(paths or _STD_FALLBACK, key=lambda p: (p.count("/"), p)):
        if "internal" in path.split("/") or path.startswith(("vendor/", "cmd/")):
            continue
        table.setdefault(path.rsplit("/", 1)[-1], path)
    for name, path in _PREFERRED_PATHS.items():
        if not paths or path in paths:
            table[name] = path
    return table


def _declared_and_qualifiers(code: str) -> tuple[set[str], set[str]]:
    """Names the snippet declares, and the ``X`` of every ``X.Y`` (selector operand or type
    qualifier) it writes."""
    from metacompress_eval.code.languages import nodes_of_types, parse

    parsed = parse(code, "go")
    declared: set[str] = set()
    qualifiers: set[str] = set()
    declaring = frozenset({"parameter_declaration", "variadic_parameter_declaration", "short_var_declaration",
                           "var_spec", "const_spec", "range_clause", "function_declaration", "method_declaration",
                           "type_spec", "type_alias", "import_spec", "labeled_statement", "receive_statement"})
    for node in nodes_of_types(parsed.root, "go", declaring | {"selector_expression", "qualified_type"}):
        if node.type == "selector_expression":
            operand = node.child_by_field_name("operand")
            if operand is not None and operand.type == "identifier":
                qualifiers.add(parsed.text(operand))
        elif node.type == "qualified_type":
            package = node.child_by_field_name("package")
            if package is not None:
                qualifiers.add(parsed.text(package))
        elif node.type in ("short_var_declaration", "range_clause", "receive_statement"):
            left = node.child_by_field_name("left")
            if left is not None:
                declared.update(parsed.text(n) for n in left.named_children if n.type == "identifier")
        else:
            for field in ("name", "alias"):
                for child in node.children_by_field_name(field):
                    declared.add(parsed.text(child))
    return declared, qualifiers


def wrapping_for(code: str) -> str:
    """The wrapping of a Go snippet: ``"file"`` when it has its own package clause, else
    ``"imports:" + comma-separated import paths`` of the standard packages it refers to."""
    if _PACKAGE_CLAUSE.match(code):
        return "file"
    declared, qualifiers = _declared_and_qualifiers(code)
    std = standard_packages()
    imports = sorted({std[name] for name in qualifiers - declared if name in std})
    return "imports:" + ",".join(imports)


def package_text(code: str, wrapping: str, package: str) -> str:
    """The Go file compiled for ``code`` with ``wrapping``, as package ``package``."""
    if wrapping == "file":
        match = _PACKAGE_CLAUSE.match(code)
        if match is not None:
            return code[: match.start(2)] + package + code[match.end(2):]
        return f"package {package}\n" + code
    imports = [p for p in wrapping.partition(":")[2].split(",") if p]
    header = f"package {package}\n"
    if imports:
        header += "import (\n" + "".join(f'\t"{p}"\n' for p in imports) + ")\n"
    return header + code + "\n"


def _package_name(unit: GoUnit) -> str:
    digest = hashlib.sha256(f"{unit.wrapping}\0{unit.code}".encode("utf-8", "surrogatepass")).hexdigest()
    return "mc" + digest[:16]


def _parse_output(text: str, names: set[str]) -> dict[str, list[str]]:
    """Messages per package directory from ``go build``/``go vet`` output (continuation lines,
    indented by a tab, are joined to their message)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = _GO_LINE.match(line)
        if match is not None and match.group("dir") in names:
            current = found.setdefault(match.group("dir"), [])
            current.append(match.group("msg").strip())
            continue
        if line.startswith("\t") and current is not None and current:
            current[-1] += " " + line.strip()
            continue
        current = None
    return found


def check_units(units: list[GoUnit], timeout: float | None = None) -> list[tuple[list[str], str | None]]:
    """Compile and vet every unit; per unit ``(messages, note)``. ``note`` is set when no check
    could run (no toolchain, timeout), and then ``messages`` is empty.

    Every unit is its own package of one generated module, so all are compiled by ONE
    ``go build`` call (Go schedules the packages over the available CPUs) and vetted by one
    ``go vet`` call over the packages that compiled without errors.
    """
    go = go_tool()
    if go is None:
        return [([], "unverified: no Go toolchain")] * len(units)
    if not units:
        return []
    names = [_package_name(u) for u in units]
    distinct = sorted(set(names))
    limit = timeout if timeout is not None else 180 + 2 * len(distinct)
    env = go_env()
    with tempfile.TemporaryDirectory(prefix="metacompress-go-", dir=scratch_dir()) as tmp:
        with open(os.path.join(tmp, "go.mod"), "w", encoding="utf-8") as fh:
            fh.write(f"module {MODULE}\n\ngo 1.18\n")
        for unit, name in zip(units, names):
            folder = os.path.join(tmp, name)
            if os.path.isdir(folder):
                continue
            os.mkdir(folder)
            with open(os.path.join(folder, FILE_NAME), "w", encoding="utf-8", errors="surrogatepass") as fh:
                fh.write(package_text(unit.code, unit.wrapping, name))
        try:
            build = run_tool([go, "build", "-gcflags=-e", *(f"./{n}" for n in distinct)], cwd=tmp,
                             capture_output=True, timeout=limit, env=env)
        except subprocess.TimeoutExpired:
            return [([], "unverified: go build timed out")] * len(units)
        errors = _parse_output(build.stderr.decode("utf-8", "replace"), set(distinct))
        failed_without_message = build.returncode != 0 and not errors
        clean = [n for n in distinct if n not in errors]
        vetted: dict[str, list[str]] = {}
        if clean and not failed_without_message:
            try:
                vet = run_tool([go, "vet", *(f"./{n}" for n in clean)], cwd=tmp, capture_output=True,
                               timeout=limit, env=env)
                vetted = _parse_output(vet.stderr.decode("utf-8", "replace"), set(clean))
            except subprocess.TimeoutExpired:
                return [(errors.get(n, []), "unverified: go vet timed out") for n in names]
    if failed_without_message:
        # The toolchain itself failed (no writable cache, broken install): say so, claim nothing.
        detail = build.stderr.decode("utf-8", "replace").strip().splitlines()
        return [([], "unverified: go build failed: " + (detail[-1] if detail else f"exit {build.returncode}"))] * len(units)
    return [(errors.get(n, []) + [f"vet: {m}" for m in vetted.get(n, [])], None) for n in names]


__all__ = ["FILE_NAME", "GoUnit", "check_units", "go_env", "go_tool", "go_version", "package_text",
           "standard_packages", "wrapping_for"]
