"""A real HTTP receiver on loopback for the webhook tests: each POST is kept (headers and
body) and answered as the next scripted behaviour says, then as `then` says."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self):
        self.requests = []
        self.script = []
        self.then = "200"
        self.arrived = threading.Condition()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.arrived:
                    behaviour = receiver.script.pop(0) if receiver.script else receiver.then
                    receiver.requests.append(
                        {"headers": {k.lower(): v for k, v in self.headers.items()},
                         "body": body, "behaviour": behaviour}
                    )
                    receiver.arrived.notify_all()
                if behaviour == "hang":
                    # Longer than any delivery timeout of the tests, until the test ends.
                    receiver.release.wait(60)
                    return
                self.send_response(int(behaviour))
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count, timeout=10):
        """Waits until `count` POSTs arrived; returns whether they did."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
