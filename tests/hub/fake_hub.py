"""A minimal Hub API on 127.0.0.1 that records what ``huggingface_hub`` sends (for push tests).

Implements the endpoints ``HfApi.create_commit`` / ``upload_file`` call for small files:
``POST /api/validate-yaml`` (README metadata check, answered "valid"),
``POST /api/{type}s/{repo}/preupload/{rev}`` (answers: upload every file as a regular git blob) and
``POST /api/{type}s/{repo}/commit/{rev}`` (parses the NDJSON commit, answers a commit URL) and
``POST /api/repos/create`` (``create_repo``; answers the repository URL). Anything else gets a 404 and
is recorded too.
"""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeHub:
    def __init__(self):
        self.requests: list[dict] = []
        self.commits: list[dict] = []
        self.validated: list[str] = []
        self.created: list[str] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _reply(self, status: int, payload: dict):
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self, method: str):
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                hub.requests.append({"method": method, "path": url.path, "query": parse_qs(url.query),
                                     "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                parts = url.path.strip("/").split("/")
                if method == "POST" and url.path == "/api/repos/create":
                    info = json.loads(body)
                    repo = "/".join(p for p in (info.get("organization"), info.get("name")) if p)
                    hub.created.append(repo)
                    return self._reply(200, {"url": f"http://{self.headers['Host']}/{repo}"})
                if method == "POST" and url.path == "/api/validate-yaml":  # create_commit checks README.md metadata
                    hub.validated.append(json.loads(body)["content"])
                    return self._reply(200, {"errors": [], "warnings": []})
                if method == "POST" and len(parts) >= 6 and parts[0] == "api" and parts[-2] == "preupload":
                    files = json.loads(body)["files"]
                    return self._reply(200, {"files": [{"path": f["path"], "uploadMode": "regular",
                                                        "shouldIgnore": False, "oid": None} for f in files]})
                if method == "POST" and len(parts) >= 6 and parts[0] == "api" and parts[-2] == "commit":
                    lines = [json.loads(x) for x in body.decode().splitlines() if x.strip()]
                    files = {ln["value"]["path"]: base64.b64decode(ln["value"]["content"])
                             for ln in lines if ln["key"] == "file"}
                    header = next(ln["value"] for ln in lines if ln["key"] == "header")
                    repo = "/".join(parts[2:-2])
                    pr = "create_pr" in url.query
                    hub.commits.append({"repo": repo, "header": header, "files": files, "create_pr": pr})
                    base = f"http://{self.headers['Host']}"
                    return self._reply(200, {"commitUrl": f"{base}/{repo}/commit/{'a' * 40}", "commitOid": "a" * 40,
                                             "pullRequestUrl": f"{base}/{repo}/discussions/1" if pr else None})
                return self._reply(404, {"error": "not implemented in the fake hub"})

            def do_POST(self):
                self._handle("POST")

            def do_GET(self):
                self._handle("GET")

            def do_HEAD(self):
                self._handle("HEAD")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.timeout = 5
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def __enter__(self) -> "FakeHub":
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
