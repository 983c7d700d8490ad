#!/usr/bin/env python3
"""A fake Respan gateway for tests, on 127.0.0.1 only.

Serves the log-list API (POST /api/request-logs/list/) from a JSON Lines file,
oldest first, filtered by start_time / end_time and paged by page / page_size,
and the key APIs of both adapters over one set of keys:
  Respan:  GET /api/temporary-keys/ (two a page, following "next"),
           PATCH /api/temporary-keys/{id}/ (expiry_date), DELETE /api/temporary-keys/{id}/
  LiteLLM: GET /key/list, GET /key/info?key=ID (404 when it has none),
           POST /key/block {"key"}, POST /key/delete {"keys"}
Fails on demand (every API call takes the next scripted step) and records every call:

  POST /_control  {"script": [{"status": 429, "retry_after": "1"}, {"status": 500},
                              {"malformed": true}, {"drop": true}, {"delay": 2.0},
                              {"body": {...}}],                # a 200 with this JSON instead
                   "api_key": "expected key",          # each list call takes the next step
                   "lie": MODE, "lie_delay": 2.0}      # how every key write lies, until changed
     Lying key writes (Respan PATCH / DELETE of a key, LiteLLM /key/block, /key/delete),
     for the revoke tests; reads stay honest, so reading the key back tells the truth:
       "success_false"        200 {"success": false, "error": "permission denied"}, nothing changed
       "stays_active"         200 with the usual answer, nothing changed
       "timeout_after_write"  the change is made, the answer comes after lie_delay s (too late)
       "timeout_no_write"     nothing changed, the answer comes after lie_delay s
       null                   honest again
  POST /_logs     one log or an array: appended to the served logs
  POST /_keys     [{"id", "name", "prefix", "owner", "created", "last_used"}, ...]: the keys
  GET  /_keys     the keys, with "revoked" / "deleted" as the calls left them
  GET  /_calls    [{"method", "path", "headers", "body"}, ...] of the API calls
  POST /_paging   {"mode": "loop" | "endless" | "stuck_next" | null, "ignore_range": bool}: a
                  log list that never ends: the same page with a "next" link every time
                  (loop), a new page of made-up logs every time (endless), or the real pages
                  all giving one same "next" link and never none (stuck_next); ignore_range
                  serves every log whatever start_time / end_time say (a log dated 2099 too)

Usage: fake_gateway.py [--logs FILE] [--api-key KEY] [--tls-cert PEM --tls-key PEM];
prints "port N" when ready. With a certificate it speaks only HTTPS (for the
TLS tests: a test CA, an expired or untrusted certificate).
"""
import argparse
import json
import ssl
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LIST_PATH = "/api/request-logs/list/"
KEYS_PATH = "/api/temporary-keys/"
KEYS_PAGE = 2


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
        self.keys = []
        self.lie = None
        self.lie_delay = 2.0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):  # quiet
        pass

    def send_reply(self, status, doc=None, raw=None, headers=None):
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
        if self.path == "/_keys":
            with self.state.lock:
                return self.reply(200, self.state.keys)
        self.api(b"")

    def do_PATCH(self):
        self.api(self.read_body())

    def do_DELETE(self):
        self.api(self.read_body())

    def do_POST(self):
        body = self.read_body()
        if self.path == "/_control":
            doc = json.loads(body)
            with self.state.lock:
                self.state.script = list(doc.get("script", []))
                if "api_key" in doc:
                    self.state.api_key = doc["api_key"]
                if "lie" in doc:
                    self.state.lie = doc["lie"]
                    self.state.lie_delay = float(doc.get("lie_delay", 2.0))
            return self.reply(200, {"ok": True})
        if self.path == "/_paging":
            doc = json.loads(body)
            with self.state.lock:
                self.state.paging = doc
            return self.reply(200, {"ok": True})
        if self.path == "/_logs":
            doc = json.loads(body)
            with self.state.lock:
                self.state.logs.extend(doc if isinstance(doc, list) else [doc])
            return self.reply(200, {"ok": True})
        if self.path == "/_keys":
            with self.state.lock:
                self.state.keys = [dict(k, revoked=False, deleted=False, blocked=False) for k in json.loads(body)]
            return self.reply(200, {"ok": True})
        self.api(body)

    def api(self, body):
        """An API call: recorded, then the scripted step, then the real answer."""
        self.record(body)
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
        if "body" in step:
            return self.reply(200, step["body"])
        if step.get("malformed"):
            return self.reply(200, raw=b'{"results": [ {"unique_id": "trunc')
        path = self.path.split("?")[0]
        query = dict(p.split("=", 1) for p in self.path.split("?", 1)[1].split("&")) if "?" in self.path else {}
        if self.is_key_write(path) and self.lie_about_write():
            return
        if self.command == "GET" and path == "/key/info":
            return self.litellm_key_info(urllib.parse.unquote(query.get("key", "")))
        if self.command == "POST" and path == LIST_PATH:
            return self.list_logs(json.loads(body or b"{}"))
        if self.command == "GET" and path == KEYS_PATH:
            return self.respan_keys(int(query.get("page", 1)))
        if self.command in ("PATCH", "DELETE") and path.startswith(KEYS_PATH) and path.endswith("/"):
            return self.respan_key_change(path[len(KEYS_PATH):-1], body)
        if self.command == "GET" and path == "/key/list":
            return self.litellm_keys()
        if self.command == "POST" and path in ("/key/block", "/key/delete"):
            return self.litellm_change(path, json.loads(body or b"{}"))
        self.reply(404, {"detail": "Not found."})

    def is_key_write(self, path):
        respan = self.command in ("PATCH", "DELETE") and path.startswith(KEYS_PATH) and path != KEYS_PATH
        return respan or (self.command == "POST" and path in ("/key/block", "/key/delete"))

    def lie_about_write(self):
        """True when the lie answered the call (or left it unanswered)."""
        with self.state.lock:
            lie, delay = self.state.lie, self.state.lie_delay
        if lie == "success_false":
            self.reply(200, {"success": False, "error": "permission denied"})
        elif lie == "stays_active":
            self.reply(200, {"success": True, "detail": "ok"})
        elif lie == "timeout_no_write":
            time.sleep(delay)
            self.close_connection = True
        elif lie == "timeout_after_write":
            self.write_late = delay
            return False
        else:
            return False
        return True

    def reply(self, status, doc=None, raw=None, headers=None):
        delay = getattr(self, "write_late", 0)
        if delay:
            self.write_late = 0
            time.sleep(delay)  # the change is made; the answer comes too late
        self.send_reply(status, doc, raw, headers)

    def litellm_key_info(self, key_id):
        with self.state.lock:
            key = next((k for k in self.live_keys() if k["id"] == key_id), None)
        if key is None:
            return self.reply(404, {"error": {"message": "Key not found in database", "code": "404"}})
        self.reply(200, {"key": key_id, "info": {"key_alias": key["name"], "key_name": "sk-..." + key_id[-4:],
                                                 "user_id": key.get("owner"), "expires": key.get("expiry_date"),
                                                 "blocked": key["blocked"] or key["revoked"]}})

    def live_keys(self):
        return [k for k in self.state.keys if not k["deleted"]]

    def respan_keys(self, page):
        with self.state.lock:
            keys = self.live_keys()
        chunk = keys[(page - 1) * KEYS_PAGE: page * KEYS_PAGE]
        base = f"{self.server.scheme}://127.0.0.1:{self.server.server_port}{KEYS_PATH}"
        results = [{"id": k["id"], "name": k["name"], "prefix": k.get("prefix"), "created": k.get("created"),
                    "last_used": k.get("last_used"), "created_by_email": k.get("owner"),
                    "expiry_date": k.get("expiry_date"), "revoked": k["revoked"], "is_test": False}
                   for k in chunk]
        more = page * KEYS_PAGE < len(keys)
        self.reply(200, {"results": results, "count": len(keys), "current_filters": {},
                         "next": f"{base}?page={page + 1}" if more else None,
                         "previous": f"{base}?page={page - 1}" if page > 1 else None})

    def respan_key_change(self, key_id, body):
        with self.state.lock:
            key = next((k for k in self.live_keys() if k["id"] == key_id), None)
            if key is None:
                return self.reply(404, {"detail": "Not found."})
            if self.command == "DELETE":
                key["deleted"] = True
                return self.reply(204, raw=b"")
            doc = json.loads(body or b"{}")
            if "expiry_date" in doc:
                key["expiry_date"] = doc["expiry_date"]
                key["revoked"] = True
            return self.reply(200, {"id": key["id"], "name": key["name"], "expiry_date": key.get("expiry_date")})

    def litellm_keys(self):
        with self.state.lock:
            keys = self.live_keys()
        self.reply(200, {"keys": [{"token": k["id"], "key_alias": k["name"],
                                   "key_name": "sk-..." + k["id"][-4:], "user_id": k.get("owner"),
                                   "created_at": k.get("created"), "blocked": k["blocked"] or k["revoked"]}
                                  for k in keys],
                         "total_count": len(keys), "current_page": 1, "total_pages": 1})

    def litellm_change(self, path, doc):
        with self.state.lock:
            ids = doc.get("keys", []) if path == "/key/delete" else [doc.get("key")]
            found = [k for k in self.live_keys() if k["id"] in ids]
            if not found:
                return self.reply(404, {"error": {"message": "key not found"}})
            for k in found:
                if path == "/key/delete":
                    k["deleted"] = True
                else:
                    k["blocked"] = True
                    k["revoked"] = True
        self.reply(200, {"deleted_keys": ids} if path == "/key/delete" else {"token": ids[0], "blocked": True})

    def list_logs(self, req):
        paging = getattr(self.state, "paging", None) or {}
        start, end = parse_time(req.get("start_time")), parse_time(req.get("end_time"))
        if paging.get("ignore_range"):
            start = end = None
        page, size = int(req.get("page", 1)), min(int(req.get("page_size", 50)), 50)
        with self.state.lock:
            logs = [l for l in self.state.logs
                    if (start is None or parse_time(l["timestamp"]) >= start)
                    and (end is None or parse_time(l["timestamp"]) < end)]
        logs.sort(key=lambda l: parse_time(l["timestamp"]))
        chunk = logs[(page - 1) * size: page * size]
        more = page * size < len(logs)
        base = f"{self.server.scheme}://127.0.0.1:{self.server.server_port}{LIST_PATH}"
        nxt = f"{base}?page={page + 1}" if more else None
        mode = paging.get("mode")
        if mode == "loop":  # page 1 again and again, always with a next link
            chunk, nxt = logs[:size], f"{base}?page=2"
        elif mode == "endless":  # made-up logs, a new page every time
            chunk = [{"unique_id": f"endless-{page}-{i}", "timestamp": "2026-11-23T10:00:00Z", "model": "gpt-5.5",
                      "customer_identifier": "eve", "cost": 0.001} for i in range(size)]
            nxt = f"{base}?page={page + 1}"
        elif mode == "stuck_next":  # the real pages, but one same next link on each, to no end
            nxt = f"{base}?page=2"
        self.reply(200, {"results": chunk, "count": len(logs), "next": nxt,
                         "previous": f"{base}?page={page - 1}" if page > 1 else None})

    def record(self, body):
        with self.state.lock:
            self.state.calls.append({"method": self.command, "path": self.path,
                                     "headers": {k: v for k, v in self.headers.items()},
                                     "body": body.decode("utf-8", "replace")})


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client refusing the certificate, or hanging up, is what the tests do on purpose


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--logs")
    ap.add_argument("--api-key", default="test-admin-key-0123456789abcdef")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    logs = []
    if args.logs:
        with open(args.logs) as f:
            logs = [json.loads(line) for line in f if line.strip()]
    Handler.state = State(logs, args.api_key)
    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.scheme = "http"
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        # the handshake runs in the request's thread, so a client that refuses
        # the certificate costs that thread only
        server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        server.scheme = "https"
    print(f"port {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
