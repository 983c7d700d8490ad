#!/usr/bin/env python3
"""A fake Respan gateway for tests, on 127.0.0.1 only.

Serves the log-list API (POST /api/request-logs/list/) from a JSON Lines file,
oldest first, filtered by start_time / end_time and paged by page / page_size.
Fails on demand and records every call:

  POST /_control  {"script": [{"status": 429, "retry_after": "1"}, {"status": 500},
                              {"malformed": true}, {"drop": true}, {"delay": 2.0}],
                   "api_key": "expected key"}          # each list call takes the next step
  POST /_logs     one log or an array: appended to the served logs
  GET  /_calls    [{"method", "path", "headers", "body"}, ...] of the API calls

Usage: fake_gateway.py [--logs FILE] [--api-key KEY]; prints "port N" when ready.
"""
import argparse
import json
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LIST_PATH = "/api/request-logs/list/"


def parse_time(text):
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return float(text)
    t = text.replace("Z", "+00:00")
    if "T" not in t and " " not in t:
        t += "T00:00:00+00:00"
    dt = datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


class State:
    def __init__(self, logs, api_key):
        self.lock = threading.Lock()
        self.logs = logs
        self.api_key = api_key
        self.script = []
        self.calls = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):  # quiet
        pass

    def reply(self, status, doc=None, raw=None, headers=None):
        body = raw if raw is not None else json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path == "/_calls":
            with self.state.lock:
                return self.reply(200, self.state.calls)
        self.record(b"")
        self.reply(404, {"detail": "Not found."})

    def do_POST(self):
        body = self.read_body()
        if self.path == "/_control":
            doc = json.loads(body)
            with self.state.lock:
                self.state.script = list(doc.get("script", []))
                if "api_key" in doc:
                    self.state.api_key = doc["api_key"]
            return self.reply(200, {"ok": True})
        if self.path == "/_logs":
            doc = json.loads(body)
            with self.state.lock:
                self.state.logs.extend(doc if isinstance(doc, list) else [doc])
            return self.reply(200, {"ok": True})
        self.record(body)
        if self.path != LIST_PATH:
            return self.reply(404, {"detail": "Not found."})
        step = {}
        with self.state.lock:
            if self.state.script:
                step = self.state.script.pop(0)
        if step.get("delay"):
            time.sleep(step["delay"])
        if step.get("drop"):
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if self.headers.get("Authorization") != f"Bearer {self.state.api_key}":
            return self.reply(401, {"detail": "Invalid API key."})
        if step.get("status"):
            headers = {"Retry-After": step["retry_after"]} if "retry_after" in step else {}
            return self.reply(step["status"], {"detail": "scripted failure"}, headers=headers)
        if step.get("malformed"):
            return self.reply(200, raw=b'{"results": [ {"unique_id": "trunc')
        self.list_logs(json.loads(body or b"{}"))

    def list_logs(self, req):
        start, end = parse_time(req.get("start_time")), parse_time(req.get("end_time"))
        page, size = int(req.get("page", 1)), min(int(req.get("page_size", 50)), 50)
        with self.state.lock:
            logs = [l for l in self.state.logs
                    if (start is None or parse_time(l["timestamp"]) >= start)
                    and (end is None or parse_time(l["timestamp"]) < end)]
        logs.sort(key=lambda l: parse_time(l["timestamp"]))
        chunk = logs[(page - 1) * size: page * size]
        more = page * size < len(logs)
        base = f"http://127.0.0.1:{self.server.server_port}{LIST_PATH}"
        self.reply(200, {"results": chunk, "count": len(logs),
                         "next": f"{base}?page={page + 1}" if more else None,
                         "previous": f"{base}?page={page - 1}" if page > 1 else None})

    def record(self, body):
        with self.state.lock:
            self.state.calls.append({"method": self.command, "path": self.path,
                                     "headers": {k: v for k, v in self.headers.items()},
                                     "body": body.decode("utf-8", "replace")})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--logs")
    ap.add_argument("--api-key", default="test-admin-key-0123456789abcdef")
    args = ap.parse_args()
    logs = []
    if args.logs:
        with open(args.logs) as f:
            logs = [json.loads(line) for line in f if line.strip()]
    Handler.state = State(logs, args.api_key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"port {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
