"""The analysis code as one self-contained file, for the ``metacompress`` evaluate module's Space.

A Space ``<user>/metacompress`` (and ``evaluate.load("<user>/metacompress")`` on any machine)
gets the module script, the files it imports relatively (single files, not packages) and what
``requirements.txt`` names. metacompress-eval is not served by a package index, so the Space
folder carries the analysis itself: :func:`bundle_source` collects the package modules that
``metacompress_eval.relations`` needs, following their imports inside the package (at module level
and inside functions), and writes them into one Python file that serves them to the import system
under a private package name. The code is the package's, byte for byte (nothing is re-implemented),
so the Space computes exactly the ``analysis`` that ``metacompress evaluate`` writes into
``report.json``; :func:`requirements` lists the third-party packages those modules import.

Hand-written rather than a packaging tool (zipapp, PyInstaller, ...): evaluate downloads a module's
relative imports as ``.py`` files only, so an archive would not reach the Space's importer, and the
file stays readable — every module appears as its own source text.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import importlib.util
import re
import sys
from pathlib import Path

from .. import __version__
from ..errors import MetaCompressError

ROOT = "metacompress_eval"
#: The modules the comparison imports (``EvaluationOutputs``, ``Thresholds``, ``analyze``).
ENTRY = f"{ROOT}.relations"
#: Name of the generated file (the module script imports it relatively).
FILE_NAME = "metacompress_core.py"


def _spec(name: str):
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None or not spec.origin.endswith(".py"):
        raise MetaCompressError(f"cannot bundle {name}: no Python source found")
    return spec


def _resolve(name: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` inside module ``name`` refers to."""
    if not node.level:
        return node.module or ""
    parts = name.split(".") if is_package else name.split(".")[:-1]
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str) -> tuple[set[str], set[str]]:
    """(modules of the package, third-party top-level names) that module ``name`` imports anywhere."""
    spec = _spec(name)
    is_package = spec.submodule_search_locations is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"), spec.origin)
    inside: set[str] = set()
    outside: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(name, is_package, node)
            targets = [(module, [alias.name for alias in node.names])]
            if not node.level and module.split(".")[0] == ROOT:
                raise MetaCompressError(f"cannot bundle {name}: it imports {module} absolutely; bundled modules "
                                        "import the package relatively (from .x import y)")
        else:
            continue
        for module, names in targets:
            top = module.split(".")[0]
            if top == ROOT:
                if not node.level and isinstance(node, ast.Import):
                    raise MetaCompressError(f"cannot bundle {name}: 'import {module}' (use a relative import)")
                inside.add(module)
                if names and _is_package(module):  # "from .. import stats": stats may be a module itself
                    inside.update(f"{module}.{alias}" for alias in names
                                  if importlib.util.find_spec(f"{module}.{alias}") is not None)
            elif top and top != "__future__" and top not in sys.stdlib_module_names:
                outside.add(top)
    return inside, outside


def _is_package(name: str) -> bool:
    spec = importlib.util.find_spec(name)
    return spec is not None and spec.submodule_search_locations is not None


def modules(entry: str = ENTRY) -> tuple[list[str], set[str]]:
    """The package modules ``entry`` needs (with their parent packages), sorted, and their third-party imports."""
    todo, seen, third_party = [entry], set(), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # importing a.b.c runs a and a.b first
        inside, outside = _imports(name)
        todo += sorted(inside - seen)
        third_party |= outside
    return sorted(seen), third_party


def _literal(text: str) -> str:
    """``text`` as a readable triple-quoted Python literal (checked to evaluate back to ``text``)."""
    body = text.replace("\\", "\\\\").replace("'''", "\\'\\'\\'")
    if body.endswith("'"):
        body = body[:-1] + "\\'"
    literal = f"'''{body}'''"
    if ast.literal_eval(literal) != text:  # e.g. a carriage return inside the source
        literal = repr(text)
    return literal


_LOADER = '''
class _BundleImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the modules of _SOURCES as the package _PACKAGE (a meta path finder and loader)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != _PACKAGE and not fullname.startswith(_PACKAGE + "."):
            return None
        key = fullname[len(_PACKAGE) + 1:]
        if key not in _SOURCES:
            return None
        origin = f"{_ORIGIN}/{key or '__init__'}.py"
        return importlib.util.spec_from_loader(fullname, self, origin=origin, is_package=_SOURCES[key][1])

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        key = module.__name__[len(_PACKAGE) + 1:]
        source = _SOURCES[key][0]
        origin = module.__spec__.origin
        module.__file__ = origin
        # Tracebacks show the bundled lines like those of any file.
        linecache.cache[origin] = (len(source), None, source.splitlines(True), origin)
        exec(compile(source, origin, "exec"), module.__dict__)


if not any(getattr(finder, "package", None) == _PACKAGE for finder in sys.meta_path):
    _importer = _BundleImporter()
    _importer.package = _PACKAGE
    sys.meta_path.append(_importer)

_relations = importlib.import_module(_PACKAGE + ".relations")
EvaluationOutputs = _relations.EvaluationOutputs
Thresholds = _relations.Thresholds
analyze = _relations.analyze
check_comparison_inputs = _relations.check_comparison_inputs
list_relations = _relations.list_relations
list_thresholds = _relations.list_thresholds
probability_rows = _relations.probability_rows
MetaCompressError = importlib.import_module(_PACKAGE + ".errors").MetaCompressError
'''


def bundle_source(entry: str = ENTRY) -> str:
    """The text of :data:`FILE_NAME`: the modules ``entry`` needs and the importer that serves them."""
    names, _ = modules(entry)
    sources = {name: (Path(_spec(name).origin).read_text(encoding="utf-8"), _is_package(name)) for name in names}
    digest = hashlib.sha256("\0".join(f"{n}\0{s}" for n, (s, _) in sorted(sources.items())).encode()).hexdigest()[:12]
    entries = []
    for name, (source, is_package) in sources.items():
        key = name[len(ROOT) + 1:]
        entries.append(f"    {key!r}: (\n{_literal(source)}, {is_package}),\n")
    header = (f"# Generated by `metacompress evaluate-module` from metacompress-eval {__version__}: the package's\n"
              f"# analysis modules ({len(names)} files, as they are in the package), served to Python's import\n"
              "# system under a private package name, so this folder needs no metacompress-eval install.\n"
              "# Do not edit: regenerate it with `metacompress evaluate-module --out DIR`.\n")
    return (header + '"""metacompress-eval analysis code, bundled for the metacompress evaluate module."""\n\n'
            "import importlib.abc\nimport importlib.util\nimport linecache\nimport sys\n\n"
            f"_PACKAGE = {('_metacompress_eval_' + digest)!r}\n"
            f"_ORIGIN = {f'<metacompress-eval {__version__} bundle>'!r}\n"
            "# Module name (relative to the package) -> (source, is a package).\n"
            "_SOURCES = {\n" + "".join(entries) + "}\n" + _LOADER)


def requirements(entry: str = ENTRY) -> list[str]:
    """``requirements.txt`` lines for the bundle and the module script: its third-party imports as pip requirements.

    Version bounds are those metacompress-eval declares (its installed metadata), so the Space gets
    what the package is tested with.
    """
    _, third_party = modules(entry)
    wanted = third_party | {"datasets", "evaluate"}  # imported by the module script itself
    declared: dict[str, str] = {}
    try:
        for req in importlib.metadata.requires("metacompress-eval") or []:
            if "extra ==" in req:
                continue
            name = re.split(r"[<>=!~; \[]", req, maxsplit=1)[0]
            declared[_normal(name)] = req.split(";")[0].strip()
    except importlib.metadata.PackageNotFoundError:  # a bare checkout: bounds unknown, names only
        pass
    distributions = importlib.metadata.packages_distributions()
    out = []
    for module in sorted(wanted):
        dist = (distributions.get(module) or [module])[0]
        out.append(declared.get(_normal(dist), dist))
    return sorted(set(out), key=str.lower)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
