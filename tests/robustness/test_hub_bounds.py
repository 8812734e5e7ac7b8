"""Every request to the Hub is bounded by METACOMPRESS_HUB_TIMEOUT, whatever the library asks for.

Found by timing the corpus' failing-endpoint cases: a retry of a metadata request asked for 60 s
(each limit was only filled in when missing), and the check for an imported repository
(``models.registry``) ran before the client was configured at all, so in a fresh process an endpoint
that accepts and never answers held ``evaluate --teacher org/name`` indefinitely.
"""

from __future__ import annotations

import json
import re

import httpx2
import pytest

from metacompress_eval import hub_client


def test_a_request_asking_for_a_longer_timeout_gets_ours(monkeypatch):
    seen = []

    def answer(self, request):  # the network, replaced: record what the bounded transport sends
        seen.append(dict(request.extensions["timeout"]))
        return httpx2.Response(200, request=request)

    import huggingface_hub.constants as hc

    monkeypatch.setenv("METACOMPRESS_HUB_TIMEOUT", "3")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(httpx2.HTTPTransport, "handle_request", answer)
    hub_client.configure()
    from huggingface_hub import get_session

    get_session().head("http://127.0.0.1:9/x", timeout=60)
    get_session().head("http://127.0.0.1:9/x", timeout=None)
    get_session().head("http://127.0.0.1:9/x", timeout=0.5)
    assert [s["read"] for s in seen] == [3, 3, 0.5]
    assert all(s["connect"] <= 3 for s in seen)


@pytest.mark.parametrize("call", ["imported-check", "label-names"])
def test_hub_calls_outside_hub_errors_configure_the_client_first(monkeypatch, call):
    from metacompress_eval.hub import dataset
    from metacompress_eval.models import registry

    configured = []
    monkeypatch.setattr(hub_client, "configure", lambda: configured.append(True))
    if call == "imported-check":
        registry._from_hub_if_imported("alice/teacher")  # offline in tests: fails at once, name kept
    else:
        with pytest.raises(Exception):
            dataset.model_label_names("alice/teacher")
    assert configured


class _Clock:
    """Time as the budget and the library's back-off see it: sleeping advances it, nothing waits."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def _backoff_against(failure, monkeypatch, timeout: str) -> tuple[_Clock, int, str]:
    """``http_backoff`` (the library's retrying call) inside ``hub_errors``, every request failing with ``failure``."""
    import types

    import huggingface_hub.constants as hc
    from huggingface_hub.utils import _http

    clock = _Clock()
    attempts = []

    def network(self, request):
        attempts.append(clock.now)
        if isinstance(failure, int):
            return httpx2.Response(failure, request=request, text="<html>down</html>")
        raise failure

    monkeypatch.setenv("METACOMPRESS_HUB_TIMEOUT", timeout)
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(hub_client, "time", types.SimpleNamespace(monotonic=clock.monotonic))
    monkeypatch.setattr(_http, "time", types.SimpleNamespace(sleep=clock.sleep))
    monkeypatch.setattr(httpx2.HTTPTransport, "handle_request", network)
    with pytest.raises(hub_client.MetaCompressError) as err:
        with hub_client.hub_errors("fetch failed"):
            _http.http_backoff("GET", "http://127.0.0.1:9/api/models/alice/m").raise_for_status()
    return clock, len(attempts), str(err.value)


@pytest.mark.parametrize("timeout", ["1", "30", "300"])
@pytest.mark.parametrize("failure", [httpx2.ConnectError("[Errno 111] Connection refused"),
                                     httpx2.ConnectError("[Errno -2] Name or service not known")],
                         ids=["refused", "unknown-host"])
def test_a_refused_connection_fails_within_seconds_whatever_the_timeout(monkeypatch, timeout, failure):
    # Was: the library's back-off (1+2+4+8+8 s) ran in full under the 2 x timeout budget: 31 s for
    # `evaluate --teacher org/name` against a port nothing listens on.
    clock, attempts, message = _backoff_against(failure, monkeypatch, timeout)
    assert sum(clock.slept) <= hub_client.REFUSED_BUDGET_S + 2, clock.slept
    assert attempts <= 3
    assert "Error" not in message and ("refused" in message or "host name" in message), message


@pytest.mark.parametrize("timeout", ["1", "4"])
def test_a_failing_server_keeps_the_timeout_budget(monkeypatch, timeout):
    # 5xx answers may pass: they are retried for twice METACOMPRESS_HUB_TIMEOUT, then given up.
    clock, attempts, message = _backoff_against(503, monkeypatch, timeout)
    assert attempts >= 2
    assert sum(clock.slept[:-1]) <= 2 * float(timeout) <= sum(clock.slept) + 8, clock.slept
    assert "503" in message or "kept failing" in message, message


def _status_error(status: int, body: bytes, content_type: str):
    from huggingface_hub.utils import hf_raise_for_status

    request = httpx2.Request("POST", "http://127.0.0.1:9/api/validate-yaml")
    response = httpx2.Response(status, headers={"Content-Type": content_type}, content=body, request=request)
    try:
        hf_raise_for_status(response)
    except Exception as exc:  # noqa: BLE001
        return exc
    raise AssertionError("no error raised")


BODIES = {"json": (b'{"error": "nope"}', "application/json"), "text": (b"Unauthorized", "text/plain"),
          "html": (b"<html><body><h1>Error</h1></body></html>", "text/html"), "empty": (b"", "text/plain")}
_REQ = httpx2.Request("GET", "http://127.0.0.1:9/api/models/a/b")
# Failures without an answer: (the exception, words the line must hold).
KINDS = {
    "refused": (httpx2.ConnectError("[Errno 111] Connection refused"), "connection refused"),
    "unknown host": (httpx2.ConnectError("[Errno -3] Temporary failure in name resolution"), "host name not found"),
    "tls": (httpx2.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "TLS"),
    "connect timeout": (httpx2.ConnectTimeout("timed out"), "within"),
    "read timeout": (httpx2.ReadTimeout("timed out"), "no answer"),
    "redirect loop": (httpx2.TooManyRedirects("Exceeded maximum allowed redirects.", request=_REQ), "redirects in a loop"),
    "cut mid-answer": (httpx2.RemoteProtocolError("peer closed connection without sending complete message body"),
                       "closed the connection"),
    "not json": (json.JSONDecodeError("Expecting value", "<html>", 0), "not JSON"),
}


@pytest.mark.parametrize("body", sorted(BODIES))
@pytest.mark.parametrize("status, says", [(401, "refused the credentials"), (403, "403"), (404, "404"),
                                          (500, "server failed"), (502, "server failed"), (418, "418")])
def test_an_answer_is_described_by_its_status_whatever_its_body(status, says, body):
    message = hub_client.describe(_status_error(status, *BODIES[body]))
    assert says in message and not re.search(r"[A-Z][a-z]+(Error|Exception)\b", message), message


def test_a_library_failing_on_the_body_is_described_by_the_last_status(monkeypatch):
    # huggingface_hub's validate-yaml parses a 401's body as JSON before looking at its status.
    monkeypatch.setattr(hub_client._budget, "last_status", 401)
    message = hub_client.describe(json.JSONDecodeError("Expecting value", "Unauthorized", 0))
    assert "refused the credentials (401" in message, message


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_failure_without_answer_is_described_by_its_kind(monkeypatch, kind):
    monkeypatch.setattr(hub_client._budget, "last_status", None)
    exc, says = KINDS[kind]
    message = hub_client.describe(exc)
    assert says in message and not re.search(r"[A-Z][a-z]+(Error|Exception|Redirects)\b", message), message
