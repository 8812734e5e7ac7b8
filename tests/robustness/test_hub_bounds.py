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
