"""Starting the playground: bind the socket, print the URL, open the browser, run uvicorn."""

import secrets
import socket
import sys
import threading
import webbrowser


def _missing_extra(e):
    return ImportError(f"chainrule playground needs the playground extra ({e.name} is missing): "
                       "pip install 'chainrule[playground]'")


def serve(host=None, port=8765, open_browser=True, max_sessions=20):
    """Run the playground until Ctrl-C. ``host`` None: 127.0.0.1 only, no token; any other
    address (a classroom) requires the access token printed in the URL."""
    try:
        import uvicorn

        from .server import LOOPBACK_NAMES, create_app
    except ImportError as e:
        raise _missing_extra(e) from None
    token = None if host is None else secrets.token_urlsafe(18)
    address = host or "127.0.0.1"
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
        sock.listen(128)  # connections made as soon as the URL is printed wait for uvicorn
    except OSError as e:
        sock.close()
        raise OSError(f"cannot listen on {address}:{port} ({e.strerror}); choose another "
                      "--port (0 picks a free one)") from None
    port = sock.getsockname()[1]
    app = create_app(token=token, max_sessions=max_sessions,
                     allowed_hosts=LOOPBACK_NAMES if token is None else None)
    shown = f"[{address}]" if family == socket.AF_INET6 else address
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    print(f"chainrule playground: {url}  (Ctrl-C stops it)", flush=True)
    if token and address in ("0.0.0.0", "::"):
        print("  students: replace the address by this machine's address on your network "
              f"({socket.gethostname()}), keep the token", flush=True)
    config = uvicorn.Config(app, log_level="warning", ws_per_message_deflate=False,
                            ws_max_size=4 * 4 * 1024 * 1024, lifespan="off")
    server = uvicorn.Server(config)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        print("chainrule playground: stopped", file=sys.stderr)
    return 0
