"""A real `sim serve` app on uvicorn, for the tests that need a browser or raw sockets."""

from __future__ import annotations

import threading
import time


def start_server(app, **config):
    """uvicorn on a free port of 127.0.0.1 in a thread (``config``: more ``uvicorn.Config``
    options); returns (base URL, server, thread)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0,
                                           **dict(dict(log_level="warning"), **config)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(300):
        if server.started:
            break
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}", server, thread
