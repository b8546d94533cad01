"""Latency of the web API: warm scalar `POST /api/check` against `barprop serve` over HTTP.

    .venv/bin/python bench/web.py [--requests 300] [--warm 30]      (also section 7 of bench/run.py)

Starts the server on a free local port, warms it (the worker's truth and symbolic caches for the
spec), then sends claims one at a time and prints the latency percentiles. Goal: p99 <= 150 ms.
Not a test: nothing here asserts a time.
"""
import argparse
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 150.0
CLAIMS = [  # ∂L_reg/∂w of CSC321 lecture 6: right, and the usual mistakes
    "(sigma(w*x + b) - t)*sigma'(w*x + b)*x + lambda*w",
    "(sigma(w*x + b) - t)*sigma'(w*x + b) + lambda*w",
    "-(sigma(w*x + b) - t)*sigma'(w*x + b)*x - lambda*w",
    "(sigma(w*x + b) - t)*sigma(w*x + b)*x + lambda*w",
    "(y - t)*y*(1 - y)*x + lambda*w",
    "(sigma(w*x + b) - t)*sigma'(w*x + b)*x + 2*lambda*w",
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, json.loads(r.read())


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def measure(requests=300, warm=30):
    """Latencies (ms) of `requests` warm checks, and the verdict each claim got while warming."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "check", "serve", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/api/exercises", timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        url = base + "/api/check"
        bodies = [{"exercise": "csc321-reg-logistic", "part": "grad_w", "text": c} for c in CLAIMS]
        verdicts = {}
        for i in range(warm):
            status, doc = post(url, bodies[i % len(bodies)])
            verdicts[CLAIMS[i % len(CLAIMS)]] = (doc.get("verdict"), (doc.get("diagnosis") or {}).get("kind"))
        ms = []
        for i in range(requests):
            t = time.perf_counter()
            post(url, bodies[i % len(bodies)])
            ms.append((time.perf_counter() - t) * 1000)
    finally:
        proc.terminate()
        proc.wait(10)
    return ms, verdicts


def section(ctx, requests=300, warm=30):
    ms, verdicts = measure(requests, warm)
    p99 = percentile(ms, 99)
    out = ["## 7. Web API: warm scalar `POST /api/check`", "",
           "| requests | p50 ms | p90 ms | p99 ms | max ms | goal p99 ≤ 150 ms |", "|---|--:|--:|--:|--:|---|",
           f"| {requests} | {percentile(ms, 50):.1f} | {percentile(ms, 90):.1f} | {p99:.1f} | {max(ms):.1f} | "
           f"{'PASS' if p99 <= GOAL_MS else 'MISS'} |", "",
           "| claim (∂L_reg/∂w, CSC321 lecture 6) | verdict | diagnosis |", "|---|---|---|"]
    out += [f"| `{c}` | {v} | {k or ''} |" for c, (v, k) in verdicts.items()]
    out += ["", f"Method: `barprop serve` on a free local port (two worker lanes); {warm} warm-up requests "
            f"(the worker's truth and symbolic caches for the spec), then {requests} requests one at a time over "
            "HTTP (urllib), the exercise part `csc321-reg-logistic`/`grad_w`, rotating the claims above; "
            "latency is the client's wall time per request.", ""]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--warm", type=int, default=30)
    a = ap.parse_args()
    print("\n".join(section({}, a.requests, a.warm)))


if __name__ == "__main__":
    main()
