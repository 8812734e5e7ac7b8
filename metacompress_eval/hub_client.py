"""Every call that reaches the Hugging Face Hub: bounded in time, one-line errors, no token shown.

Model downloads (``models``), Hub datasets (``data``), ``dataset --push`` and ``card --push`` all go
through ``huggingface_hub``'s shared HTTP client. :func:`configure` gives that client

* a timeout (``METACOMPRESS_HUB_TIMEOUT`` seconds, default 30, for connecting and for each read):
  ``huggingface_hub`` waits forever by default, so a server that accepts a connection and never
  answers would hang a command;
* a failure budget: once requests have failed (no connection, time-out, 429 or 5xx) for twice that
  long without one success, the next request is refused at once instead of retried again. The
  library's own back-off retries each request up to five times with growing pauses, and a command
  makes many requests; without the budget a dead endpoint costs minutes. A refused connection or an
  unknown host name is not a passing fault: its budget is :data:`REFUSED_BUDGET_S` (a first retry,
  then a one-line error within a few seconds), whatever the timeout.

:func:`hub_errors` turns any failure inside it into one :class:`MetaCompressError` line that says
what failed and why — never the server's echo of the request, never an exception's name, never a
token. An answer's HTTP status decides the line whatever its body (the Hub's JSON, a proxy's text, a
gateway's HTML page), even when the library failed on the body before looking at the status (the
transport records the last status it saw); without an answer the kind of failure decides it
(refused, unknown host, TLS, time-out, redirect loop, connection closed mid-answer). :func:`scrub`
removes the token in use, anything shaped like a Hub token and ``Authorization`` values from every message, and the CLI scrubs every error it prints.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from typing import Iterator

from .errors import MetaCompressError

DEFAULT_TIMEOUT_S = 30.0
# How long a refused connection or an unknown host is retried: the library's back-off would retry
# it for half a minute, and nothing listening rarely starts listening within seconds.
REFUSED_BUDGET_S = 2.0
_TOKEN_SHAPE = re.compile(r"\bhf_[A-Za-z0-9]{6,}")
# "Authorization: Bearer x", "authorization=x", "Bearer x", "Cookie: x", "token=x" (not "the token has").
_AUTH_VALUE = re.compile(r"(?i)\b(authorization|proxy-authorization|cookie|set-cookie|x-api-key|token|api[_-]?key)"
                         r"(\s*[:=]\s*)(bearer\s+|basic\s+)?[^\s'\",;|]+|\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{6,}")
# Credentials written into a URL ("https://user:password@host", HF_ENDPOINT or a proxy): user and password go.
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s]*@")
_STATUS_TEXT = {
    400: "the Hub rejected the request (400 Bad Request)",
    401: "the Hub refused the credentials (401 Unauthorized): check HF_TOKEN or `huggingface-cli login`",
    403: "the token has no access to this repository (403 Forbidden)",
    404: "no such repository or file on the Hub, or no access to it (404 Not Found)",
    408: "the Hub timed out (408)",
    409: "the repository is in a conflicting state (409 Conflict)",
    413: "the upload is too large for the Hub (413)",
    429: "too many requests to the Hub (429): wait and retry",
}

_lock = threading.Lock()
_configured: float | None = None
_library_hooks: dict | None = None  # the event hooks of huggingface_hub's own client (request headers, ...)


def timeout_seconds() -> float:
    """The per-request timeout from ``METACOMPRESS_HUB_TIMEOUT`` (default 30 s)."""
    try:
        value = float(os.environ.get("METACOMPRESS_HUB_TIMEOUT") or DEFAULT_TIMEOUT_S)
    except ValueError:
        value = DEFAULT_TIMEOUT_S
    return value if value > 0 else DEFAULT_TIMEOUT_S


def endpoint() -> str:
    """The Hub endpoint in use (``HF_ENDPOINT``), for messages."""
    try:
        from huggingface_hub import constants

        return str(constants.ENDPOINT)
    except Exception:  # noqa: BLE001 - only for a message
        return os.environ.get("HF_ENDPOINT") or "https://huggingface.co"


class HubUnavailable(Exception):
    """Raised by the transport when the endpoint has failed for longer than the budget.

    Deliberately not an ``httpx`` network or timeout error, so the library's back-off does not
    retry it.
    """


class _Budget:
    """How long requests have been failing without a success in between (shared by all threads)."""

    def __init__(self) -> None:
        self.failing_since: float | None = None
        self.last_failure = ""
        self.fail_fast = False  # the last failure was a refused connection or an unknown host
        self.last_status: int | None = None  # of the last answer, for a library that fails on its body

    def check(self, limit: float) -> None:
        with _lock:
            if self.fail_fast:
                limit = min(limit, REFUSED_BUDGET_S)
            if self.failing_since is not None and time.monotonic() - self.failing_since > limit:
                raise HubUnavailable(self.last_failure or "no answer")

    def failed(self, what: str, *, fail_fast: bool = False) -> None:
        with _lock:
            if self.failing_since is None:
                self.failing_since = time.monotonic()
            self.last_failure = what
            self.fail_fast = fail_fast

    def answered(self, status: int) -> None:
        with _lock:
            self.last_status = status
            if status == 429 or status >= 500:
                if self.failing_since is None:
                    self.failing_since = time.monotonic()
                self.last_failure = f"HTTP {status}"
                self.fail_fast = False
            else:
                self.failing_since = None
                self.last_failure = ""
                self.fail_fast = False

    def reset(self) -> None:
        with _lock:
            self.failing_since = None
            self.last_failure = ""
            self.fail_fast = False
            self.last_status = None


_budget = _Budget()


def _client_factory(timeout: float, event_hooks: dict):
    import httpx2

    class BoundedTransport(httpx2.HTTPTransport):
        def handle_request(self, request):
            _budget.check(2 * timeout)
            # Calls such as ``HfApi.model_info`` pass ``timeout=None`` per request, which would undo
            # the client's default, and the library's retries pass their own (60 s for a metadata
            # request): every limit is at most ours.
            limits = dict(request.extensions.get("timeout") or {})
            for key in ("connect", "read", "write", "pool"):
                limits[key] = timeout if limits.get(key) is None else min(limits[key], timeout)
            request.extensions["timeout"] = limits
            try:
                response = super().handle_request(request)
            except httpx2.TimeoutException:
                _budget.failed(f"no answer within {timeout:g} s")
                raise
            except httpx2.TransportError as exc:
                text = _transport_text(exc)
                _budget.failed(text, fail_fast=text in ("connection refused", "host name not found"))
                raise
            _budget.answered(response.status_code)
            return response

    def factory():
        return httpx2.Client(transport=BoundedTransport(), event_hooks=event_hooks, follow_redirects=True,
                             timeout=httpx2.Timeout(timeout))

    return factory


def configure() -> None:
    """Give ``huggingface_hub``'s HTTP client a timeout and a failure budget (idempotent)."""
    global _configured, _library_hooks
    timeout = timeout_seconds()
    if _configured == timeout:
        return
    try:
        from huggingface_hub import get_session, set_client_factory
    except ImportError:  # pragma: no cover - huggingface_hub < 1.0 (requests): keep its defaults
        return
    try:
        if _library_hooks is None:
            # The library's client adds its headers through event hooks; the bounded client keeps them.
            _library_hooks = {k: list(v) for k, v in get_session().event_hooks.items()}
        set_client_factory(_client_factory(timeout, _library_hooks))
    except Exception:  # noqa: BLE001 - an unexpected client library: keep the library's defaults
        return
    _budget.reset()
    _configured = timeout


def _token_values() -> list[str]:
    values = [os.environ.get(v) for v in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_API_TOKEN")]
    try:
        from huggingface_hub.utils import get_token

        values.append(get_token())
    except Exception:  # noqa: BLE001 - no token store is fine
        pass
    return [v for v in values if v and len(v) >= 4]


def scrub(text: str, secrets: tuple[str | None, ...] = ()) -> str:
    """``text`` without the token in use (or ``secrets``), anything shaped like a Hub token, or credential headers."""
    for token in [*(s for s in secrets if s and len(s) >= 4), *_token_values()]:
        text = text.replace(token, "***")
    text = _TOKEN_SHAPE.sub("hf_***", text)
    text = _URL_USERINFO.sub(r"\1***@", text)
    return _AUTH_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}***" if m.group(1) else f"{m.group(4)}{m.group(5)}***",
                           text)


def _offline() -> bool:
    try:
        from huggingface_hub import constants

        return bool(constants.HF_HUB_OFFLINE)
    except Exception:  # noqa: BLE001
        return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")


# Failures of an answer that started and then stopped (the connection closed mid-answer).
_CUT_OFF = ("RemoteProtocolError", "ReadError", "ProtocolError", "ChunkedEncodingError", "IncompleteRead",
            "RemoteDisconnected")


def _transport_text(exc: BaseException) -> str:
    """The kind of a failure without an answer, in words (never the exception's name)."""
    text = str(exc).lower()
    name = type(exc).__name__
    if "refused" in text:
        return "connection refused"
    if ("name or service" in text or "nodename" in text or "resolve" in text or "name resolution" in text
            or "getaddrinfo" in text):
        return "host name not found"
    if "ssl" in text or "certificate" in text or "tls" in text or "SSL" in name:
        return "TLS handshake failed: the certificate is not trusted or the server does not speak HTTPS"
    if name in _CUT_OFF or name == "ConnectionResetError" or "closed" in text or "incomplete" in text or "reset by peer" in text:
        return "the server closed the connection before the answer was complete"
    return "network error"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def describe(exc: BaseException) -> str:
    """A short, token-free reason for a failed Hub call (no server message, no URL query)."""
    status = None
    for link in _chain(exc):
        if isinstance(link, HubUnavailable):
            return f"{endpoint()} kept failing ({link}); giving up"
        response = getattr(link, "response", None)
        code = getattr(response, "status_code", None)
        if isinstance(code, int) and status is None:
            status = code
        name = type(link).__name__
        if name == "TooManyRedirects":
            return f"{endpoint()} redirects in a loop (too many redirects): check HF_ENDPOINT and any proxy"
        if name in _CUT_OFF:
            return f"cannot read the answer of {endpoint()}: {_transport_text(link)}"
        if name in ("ConnectError", "ConnectionError", "ConnectTimeout") or "refused" in str(link).lower():
            if "timeout" in name.lower():
                return f"no connection to {endpoint()} within {timeout_seconds():g} s"
            return f"cannot connect to {endpoint()} ({_transport_text(link)})"
        if "Timeout" in name or "timed out" in str(link).lower():
            return f"no answer from {endpoint()} within {timeout_seconds():g} s"
        if name == "OfflineModeIsEnabled":
            return "offline mode is on (HF_HUB_OFFLINE) and it is not in the local Hub cache"
        if name == "LocalTokenNotFoundError":
            return "no Hub token: set HF_TOKEN or run `huggingface-cli login`"
    unreadable_body = any(type(link).__name__ == "JSONDecodeError" for link in _chain(exc))
    if status is None and unreadable_body:
        # The library read the body before the status (``validate-yaml`` parses a 401's text as
        # JSON): the answer's status still decides, as the transport saw it last. Only then: another
        # failure after a 404 probe for an optional file is not that 404.
        with _lock:
            last = _budget.last_status
        if last is not None and last >= 400:
            status = last
    if status is not None:
        if status in _STATUS_TEXT:
            return _STATUS_TEXT[status]
        if status >= 500:
            return f"the Hub server failed ({status}); try again later"
        return f"the Hub answered {status}"
    for link in _chain(exc):
        name = type(link).__name__
        if name in ("RepositoryNotFoundError", "DatasetNotFoundError", "RemoteEntryNotFoundError",
                    "EntryNotFoundError", "RevisionNotFoundError"):
            return _STATUS_TEXT[404]
        if name == "GatedRepoError":
            return "the repository is gated: accept its conditions on the Hub first"
        if name == "LocalEntryNotFoundError":
            if _offline():
                return "offline mode is on (HF_HUB_OFFLINE) and it is not in the local Hub cache"
            return f"not in the local cache and {endpoint()} could not be reached"
    if unreadable_body:
        return f"the answer of {endpoint()} is not what the Hub sends (not JSON): check HF_ENDPOINT and any proxy"
    # Anything else (a library's own refusal, say) keeps its first line, never its exception's name.
    first = (str(exc).splitlines() or [""])[0][:200].strip()
    return scrub(first) if first else "an unexpected failure"


@contextlib.contextmanager
def hub_errors(what: str, *, secrets: tuple[str | None, ...] = ()) -> Iterator[None]:
    """Run a Hub call: bounded (:func:`configure`), and any failure becomes ``what: reason`` in one line.

    ``secrets``: a token passed explicitly (the environment's and the stored one are always scrubbed).
    """
    configure()
    _budget.reset()  # each operation gets the whole budget, whatever an earlier one met
    try:
        yield
    except MetaCompressError as exc:
        raise MetaCompressError(scrub(str(exc), secrets)) from None
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure of the HTTP stack becomes one line
        raise MetaCompressError(scrub(f"{what}: {describe(exc)}", secrets)) from None
