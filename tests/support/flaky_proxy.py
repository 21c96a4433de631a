"""An HTTPS reverse proxy in front of the test registry that answers chosen requests with 5xx, to test retries."""

from __future__ import annotations

import http.client
import re
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.registry import Registry
from tests.support.tls import Certificates

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"}


class FlakyProxy:
    def __init__(self, registry: Registry, certs: Certificates) -> None:
        self.failures: list[tuple[str, re.Pattern[str], int]] = []
        self.log: list[tuple[str, str, int]] = []
        self.lock = threading.Lock()
        proxy = self
        upstream_context = ssl.create_default_context(cafile=str(certs.ca))

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _handle(self) -> None:
                body = self._body()
                with proxy.lock:
                    rule = next(
                        (f for f in proxy.failures if f[0] == self.command and f[1].search(self.path) and f[2] > 0),
                        None,
                    )
                    if rule is not None:
                        proxy.failures[proxy.failures.index(rule)] = (rule[0], rule[1], rule[2] - 1)
                if rule is not None:
                    proxy.log.append((self.command, self.path, 503))
                    message = b'{"errors":[{"code":"UNAVAILABLE","message":"injected"}]}'
                    self.send_response(503)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(message)))
                    self.end_headers()
                    self.wfile.write(message)
                    return
                connection = http.client.HTTPSConnection(registry.host, context=upstream_context, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "host"}
                headers["Host"] = registry.host
                if body or self.command in ("PUT", "PATCH", "POST"):
                    headers["Content-Length"] = str(len(body))
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
                data = response.read()
                proxy.log.append((self.command, self.path, response.status))
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                connection.close()

            do_GET = do_HEAD = do_PUT = do_PATCH = do_POST = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certs.cert, certs.key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fail(self, method: str, path: str, times: int) -> None:
        with self.lock:
            self.failures.append((method, re.compile(path), times))

    def stop(self) -> None:
        self.server.shutdown()
