"""A man in the middle for the single sign-on tests: an HTTP proxy on loopback in front of
the tests' real provider, which passes everything through (noting each path asked) but,
when told, changes the ID
token in the token endpoint's answer — its signature, or a claim signed again with the
provider's own key (read from its database), so that each of the portal's checks is tried
on its own."""

import json
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from joserfc import jws, jwt
from joserfc.jwk import RSAKey

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host",
              "content-encoding"}


class TamperingProxy:
    def __init__(self, provider):
        self.provider = provider
        # A function of the ID token's (header, claims) giving the token to send instead.
        self.change = None
        # The paths asked through the proxy, in order.
        self.seen = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.issuer = f"{self.url}/openid"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def signing_key(self):
        with sqlite3.connect(self.provider.folder / "provider.db") as db:
            (pem,) = db.execute("SELECT key FROM oidc_provider_rsakey").fetchone()
        return RSAKey.import_key(pem)

    def signed(self, header, claims):
        """An ID token with these claims, signed with the provider's own key."""
        return jwt.encode(dict(header), claims, self.signing_key())

    def _tampered(self, body):
        answer = json.loads(body)
        if self.change is not None and "id_token" in answer:
            token = jws.extract_compact(answer["id_token"].encode())
            answer["id_token"] = self.change(self, dict(token.headers()),
                                             json.loads(token.payload))
        return json.dumps(answer).encode()

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _forward(self):
                proxy.seen.append(self.path.split("?")[0])
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                # The provider names itself after the Host it is asked at: the proxy's.
                headers["Host"] = self.headers["Host"]
                answer = requests.request(
                    self.command, proxy.provider.url + self.path, headers=headers, data=body,
                    allow_redirects=False, timeout=30,
                )
                content = answer.content
                if self.path.startswith("/openid/token") and answer.ok:
                    content = proxy._tampered(content)
                self.send_response(answer.status_code)
                for name, value in answer.raw.headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = _forward
            do_POST = _forward

        return Handler
