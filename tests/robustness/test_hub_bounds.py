"""Every request to the Hub is bounded by METACOMPRESS_HUB_TIMEOUT, whatever the library asks for.

Found by timing the corpus' failing-endpoint cases: a retry of a metadata request asked for 60 s
(each limit was only filled in when missing), and the check for an imported repository
(``models.registry``) ran before the client was configured at all, so in a fresh process an endpoint
that accepts and never answers held ``evaluate --teacher org/name`` indefinitely.
"""

from __future__ import annotations

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
