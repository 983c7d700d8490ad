#!/usr/bin/env python3
"""A stand-in LiteLLM proxy for tests, on 127.0.0.1 only (standard library).

Two jobs, as a real proxy has:

  serve [--api-key KEY]        the admin API a master key reaches; prints "port N" when ready
    GET  /spend/logs/v2?start_date=&end_date=&page=&page_size=   SpendLogs rows whose startTime
         lies in [start_date, end_date] ("YYYY-MM-DD HH:MM:SS", UTC), oldest first, as
         {"data":[...],"total":N,"page":P,"page_size":S,"total_pages":T}
    GET  /key/list?return_full_object=true&page=&size=   {"keys":[...],"total_pages":T}
    GET  /key/info?key=K       {"key":K,"info":{...}}
    POST /key/block {"key"}, POST /key/unblock {"key"}, POST /key/delete {"keys":[...]}
    POST /_control {"script":[{"status":500},{"delay":2.0},{"malformed":true},
                              {"same_page":true}, {"total_pages":1000000}]}
                   each admin call takes the next step; {"repeat": true} keeps the last one
    POST /_spend_logs  one row or an array: appended;  POST /_keys [...]: the keys
    GET  /_keys, GET /_calls

  post URL --format json_array|ndjson|single [--token T] FILE
    sends the StandardLoggingPayloads in FILE (a JSON array) the way LiteLLM's
    generic_api logger does: Content-Type application/json whatever the format, a
    JSON array, newline-joined objects, or one request per payload. Prints each
    answer's status and body, one a line; exit 1 when one was not 2xx.
"""
import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def parse_time(text):
    t = text.replace("Z", "+00:00").replace(" ", "T")
    dt = datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


class State:
    def __init__(self, api_key):
        self.lock = threading.Lock()
        self.api_key = api_key
        self.rows = []
        self.keys = []
        self.script = []
        self.repeat = False
        self.calls = []
        self.ignore_block = False  # answer /key/block 200 and leave the key working (a lying proxy)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, doc=None, raw=None):
        body = raw if raw is not None else json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(n) or b"null") if n else None

    def step(self):
        st = self.server.state
        with st.lock:
            if not st.script:
                return {}
            return st.script[0] if st.repeat and len(st.script) == 1 else st.script.pop(0)

    def admin(self, method):
        st = self.server.state
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        body = self.body() if method == "POST" else None
        with st.lock:
            st.calls.append({"method": method, "path": url.path, "query": q, "body": body,
                             "headers": dict(self.headers)})
        if self.headers.get("Authorization") != f"Bearer {st.api_key}":
            return self.send(401, {"error": {"message": "Authentication Error, invalid master key"}})
        step = self.step()
        if "delay" in step:
            time.sleep(step["delay"])
        if "status" in step:
            return self.send(step["status"], {"error": {"message": "scripted failure"}})
        if step.get("malformed"):
            return self.send(200, raw=b'{"data": [ {"request_id": "cut')
        if url.path == "/spend/logs/v2":
            return self.spend_logs(q, step)
        if url.path == "/key/list":
            return self.key_list(q)
        if url.path == "/key/info":
            key = next((k for k in st.keys if k["token"] == q.get("key")), None)
            return self.send(200, {"key": q.get("key"), "info": key}) if key else self.send(404, {"error": "no key"})
        if url.path in ("/key/block", "/key/unblock"):
            key = next((k for k in st.keys if k["token"] == (body or {}).get("key")), None)
            if not key:
                return self.send(404, {"error": "no key"})
            if not (st.ignore_block and url.path == "/key/block"):
                key["blocked"] = url.path == "/key/block"
            return self.send(200, key)
        if url.path == "/key/delete":
            tokens = set((body or {}).get("keys") or [])
            st.keys = [k for k in st.keys if k["token"] not in tokens]
            return self.send(200, {"deleted_keys": sorted(tokens)})
        return self.send(404, {"detail": "Not Found"})

    def spend_logs(self, q, step):
        st = self.server.state
        start, end = parse_time(q["start_date"]), parse_time(q["end_date"])
        page, size = int(q.get("page", 1)), int(q.get("page_size", 50))
        with st.lock:
            rows = [r for r in st.rows if start <= parse_time(r["startTime"]) <= end]
        rows.sort(key=lambda r: parse_time(r["startTime"]))
        pages = max(1, -(-len(rows) // size))
        if step.get("same_page"):
            page = 1  # a proxy ignoring `page`
        data = rows[(page - 1) * size: page * size]
        total_pages = step.get("total_pages", pages)
        self.send(200, {"data": data, "total": len(rows), "page": page, "page_size": size,
                        "total_pages": total_pages})

    def key_list(self, q):
        st = self.server.state
        page, size = int(q.get("page", 1)), int(q.get("size", 100))
        keys = st.keys[(page - 1) * size: page * size]
        self.send(200, {"keys": keys, "total_count": len(st.keys), "current_page": page,
                        "total_pages": max(1, -(-len(st.keys) // size))})

    def do_GET(self):
        st = self.server.state
        if self.path == "/_calls":
            with st.lock:
                return self.send(200, st.calls)
        if self.path == "/_keys":
            with st.lock:
                return self.send(200, st.keys)
        self.admin("GET")

    def do_POST(self):
        st = self.server.state
        if self.path == "/_control":
            doc = self.body()
            with st.lock:
                st.script = list(doc.get("script", []))
                st.repeat = bool(doc.get("repeat"))
                st.ignore_block = bool(doc.get("ignore_block"))
            return self.send(200, {})
        if self.path == "/_spend_logs":
            doc = self.body()
            with st.lock:
                st.rows.extend(doc if isinstance(doc, list) else [doc])
            return self.send(200, {})
        if self.path == "/_keys":
            doc = self.body()
            with st.lock:
                st.keys = doc
            return self.send(200, {})
        self.admin("POST")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that timed out and hung up is part of the tests


def serve(args):
    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(args.api_key)
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


def post(args):
    """What LiteLLM's GenericAPILogger sends for each log_format."""
    with open(args.file) as f:
        payloads = json.load(f)
    headers = {"Content-Type": "application/json"}
    if args.token:
        headers["Authorization"] = f"Bearer {args.token}"
    if args.format == "json_array":
        bodies = [json.dumps(payloads)]
    elif args.format == "ndjson":
        bodies = ["\n".join(json.dumps(p) for p in payloads)]
    else:
        bodies = [json.dumps(p) for p in payloads]
    ok = True
    for body in bodies:
        req = urllib.request.Request(args.url, data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, text = resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode()
        ok = ok and 200 <= status < 300
        print(status, text, flush=True)
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--api-key", default="sk-master-test")
    p = sub.add_parser("post")
    p.add_argument("url")
    p.add_argument("--format", choices=["json_array", "ndjson", "single"], default="json_array")
    p.add_argument("--token")
    p.add_argument("file")
    args = ap.parse_args()
    if args.cmd == "serve":
        serve(args)
    else:
        sys.exit(post(args))


if __name__ == "__main__":
    main()
