"""The plugin route: adapters from your own code, off unless asked for (like ``trust_remote_code``).

``--student-adapter python:my_package.my_module:make_model`` imports ``my_package.my_module`` and calls
``make_model(source, role=..., tokenizer=..., device=..., max_length=..., options={...})``, which must
return a :class:`~metacompress_eval.models.base.LoadedModel`. Installed packages can also register a
factory under a plain name in the ``metacompress_eval.adapters`` entry-point group. Both import and run
code the user named, so both need ``--trust-remote-code``.

Options (``--student-option key=value``) are checked before the factory runs, as for the built-in
adapters: the factory declares the ones it takes as ``factory.OPTIONS`` (a sequence of
:class:`~metacompress_eval.models.options.Option`; it then receives each, typed, defaults filled in),
and an option it does not declare is a one-line error. A factory that sets
``factory.ACCEPTS_ANY_OPTIONS = True`` receives whatever was given, as text, and checks it itself.
"""

from __future__ import annotations

import functools
import importlib
from importlib.metadata import entry_points
from typing import Callable

from ..errors import MetaCompressError
from .base import LoadedModel
from .options import Option, resolve_options

ENTRY_POINT_GROUP = "metacompress_eval.adapters"
PREFIX = "python:"


def installed() -> dict[str, object]:
    """Plugin adapters registered by installed packages: name → entry point."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def factory(name: str, *, role: str, trust_remote_code: bool) -> Callable[..., LoadedModel]:
    """The factory named by ``python:module:function`` or an entry point, if code may run."""
    if not trust_remote_code:
        raise MetaCompressError(f"{role} adapter {name!r} runs code from outside metacompress-eval; pass "
                                "--trust-remote-code to allow it")
    if name.startswith(PREFIX):
        module_name, sep, attr = name[len(PREFIX):].rpartition(":")
        if not sep or not module_name or not attr:
            raise MetaCompressError(f"{role} adapter {name!r}: write python:MODULE:FACTORY")
        try:
            module = importlib.import_module(module_name)
        except (Exception, SystemExit) as exc:  # whatever the module raises while importing is the plugin's failure
            raise MetaCompressError(f"{role} adapter {name!r}: cannot import {module_name} ({exc})") from None
        made = getattr(module, attr, None)
    else:
        ep = installed().get(name)
        if ep is None:
            raise MetaCompressError(f"no adapter {name!r}")
        try:
            made = ep.load()
        except Exception as exc:
            raise MetaCompressError(f"{role} adapter {name!r}: its entry point fails to load ({exc})") from None
    if not callable(made):
        raise MetaCompressError(f"{role} adapter {name!r}: no callable factory there")
    return made


def load(name: str, source: str, *, role: str, tokenizer: str | None, device: str, max_length: int | None,
         trust_remote_code: bool, options: dict) -> LoadedModel:
    """Call the plugin factory and check that it returned a model the engine can run."""
    make = factory(name, role=role, trust_remote_code=trust_remote_code)
    options = factory_options(make, name, options, role=role)
    try:
        model = make(source, role=role, tokenizer=tokenizer, device=device, max_length=max_length, options=dict(options))
    except MetaCompressError:
        raise
    except SystemExit as exc:  # sys.exit() in a plugin must not end the run as if it had succeeded
        raise MetaCompressError(f"{role} adapter {name!r} exited while loading {source} (SystemExit({exc.code!r})); "
                                "this is a fault of the plugin's code") from None
    except Exception as exc:  # the plugin's own failure (bad option, unreadable file): not a bug of this tool
        first = (str(exc).splitlines() or [""])[0][:300]
        raise MetaCompressError(f"{role} adapter {name!r} could not load {source} ({type(exc).__name__}: {first})") from None
    if not isinstance(model, LoadedModel):
        raise MetaCompressError(f"{role} adapter {name!r} returned {type(model).__name__}, not a LoadedModel")
    if not model.label_names or not model.fingerprint:
        raise MetaCompressError(f"{role} adapter {name!r}: the model it returned has no label names or fingerprint")
    if model.adapter == LoadedModel.adapter:
        model.adapter = name
    model.plugin = name
    for method in _GUARDED:
        setattr(model, method, _guarded(getattr(model, method), spec=name, role=role, method=method))
    return model


def factory_options(make: Callable, name: str, given: dict, *, role: str) -> dict:
    """``given`` checked against what the factory declares (see the module docstring)."""
    if getattr(make, "ACCEPTS_ANY_OPTIONS", False) is True:
        return dict(given)
    declared = getattr(make, "OPTIONS", ())
    if isinstance(declared, Option) or not isinstance(declared, (list, tuple)) or not all(
            isinstance(o, Option) for o in declared):
        raise MetaCompressError(f"{role} adapter {name!r}: its factory's OPTIONS must be a list of "
                                "metacompress_eval.models.Option")
    try:
        return resolve_options(declared, given, adapter=repr(name), role=role)
    except MetaCompressError as exc:
        if declared:
            raise
        raise MetaCompressError(f"{exc} (a plugin factory declares what it takes as its OPTIONS, or sets "
                                "ACCEPTS_ANY_OPTIONS = True)") from None


# Every LoadedModel method the tool calls: what these raise comes from the plugin's code.
_GUARDED = ("input_key", "encode", "encode_beside", "encoded_key", "length", "truncated", "collate", "forward",
            "hidden_states", "cast", "attention", "num_parameters", "describe", "check_task")


def _guarded(bound: Callable, *, spec: str, role: str, method: str) -> Callable:
    """``bound`` with any exception it raises (other than a :class:`MetaCompressError`) reported as the
    plugin's fault, in one line naming the plugin, rather than as an internal error of this tool."""
    @functools.wraps(bound)
    def call(*args, **kwargs):
        try:
            return bound(*args, **kwargs)
        except (MetaCompressError, MemoryError):
            raise
        except SystemExit as exc:
            raise MetaCompressError(f"{role} adapter {spec!r} exited in its {method}() (SystemExit({exc.code!r})); "
                                    "this is a fault of the plugin's code") from None
        except Exception as exc:
            first = (str(exc).splitlines() or [""])[0][:300]
            raise MetaCompressError(f"{role} adapter {spec!r} failed in its {method}() ({type(exc).__name__}: "
                                    f"{first}); this is a fault of the plugin's code") from None
    return call
