"""Credentials written into a URL (an ``HF_ENDPOINT`` or proxy such as ``https://user:password@host``) never
reach a message: ``dataset --push`` printed ``cannot connect to http://bob:<password>@127.0.0.1:9``."""

from __future__ import annotations

import random
import string

from metacompress_eval.hub_client import scrub


def test_userinfo_in_any_url_is_scrubbed():
    rng = random.Random(13)
    alphabet = string.ascii_letters + string.digits + "-._~%!$&'()*+,;=:@"
    for _ in range(300):
        user = "".join(rng.choice(string.ascii_letters + string.digits + "%-._") for _ in range(rng.randint(1, 12)))
        password = "".join(rng.choice(alphabet) for _ in range(rng.randint(8, 30))) + "Zq9"
        scheme = rng.choice(["http", "https", "HTTPS", "socks5h", "git+https"])
        host = rng.choice(["127.0.0.1:9", "hub.example.org", "[::1]:8080"])
        url = f"{scheme}://{user}:{password}@{host}/api/models"
        text = rng.choice(["cannot connect to {} (connection refused)", "proxy {} failed", "{}"]).format(url)
        clean = scrub(text)
        assert password not in clean and f"//{user}:" not in clean, (text, clean)
        assert host in clean  # the host stays: it says where the run tried to go


def test_urls_without_credentials_are_kept():
    for text in ("https://huggingface.co/alice/model", "see https://hub.example.org/x@y", "mail a@b.c"):
        assert scrub(text) == text
