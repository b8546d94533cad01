"""The Flask app: the page, its static files (KaTeX included: the page works offline), and the
JSON API. Status 200 for any verdict, 400 for unreadable input, 413 for a body over the limit,
503 when a check overruns its deadline."""
import os

from flask import Flask, jsonify, request, send_from_directory

from . import service
from .runner import REQUEST_SECONDS, Overrun, Runner

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
MAX_BODY = 2_000_000


def _error(message, status, field=None):
    body = {"error": {"message": message, "line": 0, "col": 0}}
    if field is not None:
        body["error"]["field"] = field
    return jsonify(body), status


def create_app(lanes=2, seconds=REQUEST_SECONDS, runner=None):
    """The web app; checks run in `lanes` worker processes, `seconds` each at most."""
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    box = {"runner": runner}

    def runner_():
        if box["runner"] is None:
            box["runner"] = Runner(lanes, seconds)
        return box["runner"]
    app.extensions["barprop_runner"] = runner_

    def body(need_text=True):
        doc = request.get_json(silent=True, force=True)
        if doc is None:
            raise service.RequestError("the body must be a JSON object")
        return service.parse_request(doc, need_text)

    def dispatch(action, need_text=True):
        try:
            req = body(need_text)
        except service.RequestError as e:
            return jsonify(e.to_dict()), 400
        try:
            out = runner_().run(action, req)
        except Overrun as e:
            return _error(str(e), 503)
        return jsonify(out["body"]), out["status"]

    @app.get("/")
    def page():
        return send_from_directory(STATIC, "index.html")

    @app.get("/static/<path:name>")
    def static_file(name):
        return send_from_directory(STATIC, name, max_age=3600)

    @app.get("/api/exercises")
    def exercises():
        return jsonify(service.exercise_list())

    @app.post("/api/check")
    def check():
        return dispatch("check")

    @app.post("/api/read")
    def read():
        return dispatch("read")

    @app.post("/api/graph")
    def graph():
        return dispatch("picture", need_text=False)

    @app.post("/api/hint")
    def hint():
        return dispatch("hint")

    @app.errorhandler(413)
    def too_large(e):
        return _error(f"the request body is larger than {MAX_BODY} bytes", 413)

    @app.errorhandler(404)
    def not_found(e):
        return _error("not found", 404)

    @app.errorhandler(405)
    def not_allowed(e):
        return _error("method not allowed", 405)

    @app.after_request
    def headers(resp):
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "font-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'")
        return resp

    return app


def serve(host="127.0.0.1", port=8000):
    """Run the page on host:port until interrupted or terminated (Werkzeug's threaded server: local use)."""
    import signal
    import socket
    from werkzeug.serving import make_server

    def stop(signum, frame):
        raise SystemExit(0)
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.create_server((host, port), family=family)   # OSError (taken, no such address): ours to report
    app = create_app()
    server = make_server(host, port, app, threaded=True, fd=sock.fileno())
    old = signal.signal(signal.SIGTERM, stop)
    print(f"barprop: serving on http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    finally:
        signal.signal(signal.SIGTERM, old)
        server.server_close()
        sock.close()
        app.extensions["barprop_runner"]().close()
