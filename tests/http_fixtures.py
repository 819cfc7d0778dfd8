"""A local HTTP server for download tests: serves files from a folder, honours Range requests, and can cut
the first transfer of a file halfway, as a dropped connection would."""

from __future__ import annotations

import http.server
import threading
import time
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def serving(folder: Path, cut_first_transfer: bool = False, stall_seconds: float = 0.0):
    """Yields (base URL, list of the Range headers received, None where absent). With ``stall_seconds`` every
    transfer sends half its body, then waits that long before the rest: time for a test to kill its client."""
    ranges, cut = [], {"pending": cut_first_transfer}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            ranges.append(self.headers.get("Range"))
            path = folder / self.path.lstrip("/")
            if not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            start = int(self.headers["Range"].split("=")[1].rstrip("-")) if self.headers.get("Range") else 0
            if start >= len(data) > 0:
                self.send_error(416)
                return
            self.send_response(206 if start else 200)
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            body = data[start:]
            if cut["pending"]:
                cut["pending"] = False
                body = body[: len(body) // 2]  # then the connection closes: the client sees a short body
            if stall_seconds:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                time.sleep(stall_seconds)
                body = body[len(body) // 2:]
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the client went away (a killed download)
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", ranges
    finally:
        server.shutdown()
        server.server_close()
