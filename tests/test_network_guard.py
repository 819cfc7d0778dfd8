import http.server
import socket
import threading
import urllib.request

import pytest
from network_guard import NetworkBlocked


def test_tests_cannot_reach_beyond_this_machine():
    with pytest.raises(NetworkBlocked, match="93.184.216.34"):
        socket.create_connection(("93.184.216.34", 80), timeout=1)
    with pytest.raises(NetworkBlocked, match="zenodo.org"):
        urllib.request.urlopen("https://zenodo.org/record/3987831", timeout=1)


def test_loopback_stays_open():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/", timeout=5) as response:
            assert response.status == 200
    finally:
        server.shutdown()
