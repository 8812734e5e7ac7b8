"""A local Hub endpoint that fails in one chosen way, for the "a token is never printed" tests.

Modes:

``refused``   nothing listens on the port (connection refused);
``401`` ``403`` ``404`` ``500``   every request is answered with that status and a Hub-style error
              body and ``X-Error-Message`` header;
``echo``      every request is answered 400 with the request line and *all request headers* in the
              body and in ``X-Error-Message`` (a misconfigured proxy or debugging server), so an
              error message that quotes the server's answer would carry ``authorization: Bearer …``;
``timeout``   the connection is accepted and the request read, but no answer comes until the
              server is closed (the client must give up by itself);
``401-text``  401 with a ``text/plain`` body (a proxy or gateway, not the Hub, refusing);
``403-html`` ``404-html`` ``500-html``   that status with an HTML error page as body;
``redirect``  every request is redirected to itself (a redirect loop);
``cut``       a 200 answer whose connection closes after a few bytes of the announced body.

Every request is recorded (method, path, headers) so a test can check the token was sent and
still never shown.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODES = ("refused", "401", "403", "404", "500", "echo", "timeout",
         "401-text", "403-html", "404-html", "500-html", "redirect", "cut")

_REASONS = {401: "Invalid credentials in Authorization header", 403: "You don't have the rights to this repository",
            404: "Repository not found", 500: "Internal Error - We're working hard to fix this as soon as possible!"}


class FailingHub:
    """``with FailingHub("401") as hub: ... hub.url ...`` — see the module docstring for the modes."""

    def __init__(self, mode: str):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose from {MODES}")
        self.mode = mode
        self.requests: list[dict] = []
        self._stop = threading.Event()
        self.server = None
        self.thread = None
        if mode == "refused":
            # Bind and close: the port is free and (for the test's few seconds) nothing listens on it.
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            self.url = f"http://127.0.0.1:{port}"
            return
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                hub.requests.append({"method": self.command, "path": self.path,
                                     "headers": {k.lower(): v for k, v in self.headers.items()}})
                if hub.mode == "timeout":
                    hub._stop.wait(120)
                    return
                if hub.mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", self.path)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if hub.mode == "cut":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "4096")
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(b'{"id": "al')
                        self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if "-" in hub.mode:  # a status with a body that is not the Hub's JSON
                    code, kind = hub.mode.split("-")
                    status = int(code)
                    if kind == "text":
                        body, content_type = b"Unauthorized", "text/plain"
                    else:
                        body = (f"<!DOCTYPE html><html><head><title>{status}</title></head>"
                                f"<body><h1>{_REASONS[status]}</h1></body></html>").encode()
                        content_type = "text/html; charset=utf-8"
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(body)
                    return
                if hub.mode == "echo":
                    status = 400
                    lines = [self.requestline] + [f"{k}: {v}" for k, v in self.headers.items()]
                    message = "bad request; you sent: " + " | ".join(lines)
                else:
                    status = int(hub.mode)
                    message = _REASONS[status]
                body = json.dumps({"error": message}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Error-Message", message.encode("latin-1", "replace").decode("latin-1"))
                self.send_header("X-Request-Id", "req-0123")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "FailingHub":
        if self.thread is not None:
            self.thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=10)
