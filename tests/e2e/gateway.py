#!/usr/bin/env python3
"""A stand-in AI gateway for the end-to-end test, on 127.0.0.1 only.

A fake model behind the APIs the real coding agents speak:
  Anthropic Messages   POST /v1/messages (streaming SSE and not), /v1/messages/count_tokens
  OpenAI Responses     POST /v1/responses (streaming SSE, what Codex reads)
  OpenAI Chat          POST /v1/chat/completions (streaming and not, OpenAI-compatible clients)
  Gemini               POST /v1beta/models/M:generateContent, :streamGenerateContent, :countTokens
Every model call needs one developer's gateway key (x-api-key, Authorization: Bearer,
x-goog-api-key or ?key=); a key revoked or deleted through the key API gets 401 with
`x-should-retry: false` (the header the Anthropic and OpenAI SDKs obey) and an
authentication error body. The key API tollgate's `keys`, `keys revoke` and `offboard`
call is tests/fake_gateway.py's (imported, not copied), over the same keys.

Every model call, refused ones included, becomes one gateway log in the Respan shape
(prompt_messages / completion_message for Anthropic, Chat and Gemini; the newer
`input` / `output` JSON strings for the Responses API), priced from PRICES below,
POSTed to tollgate's collector (--collector URL) before the client gets its answer,
and appended to --log-file (JSON Lines), so a test can compare what tollgate stored
with what the gateway logged.

The fake model is scripted by the prompt's text:
  "E2E-READ PATH"  asks the client to run its file-reading tool on PATH, then answers
                   "E2E-FILE-SAYS: <first line>" once the tool result comes back;
  "E2E-RECALL"     answers "E2E-RECALLED: <first line>" from a tool result earlier in
                   the conversation (a resumed session has it; a fresh one does not);
  anything else    "E2E-PONG <n>".

Usage: gateway.py --collector URL --log-file FILE [--admin-key KEY]; prints "port N".
The test loads keys through POST /_keys (fake_gateway.py's control API), each with a
"secret": the developer's gateway key.
"""
import argparse
import json
import os
import re
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import fake_gateway  # noqa: E402  (tests/fake_gateway.py: the key API and its control endpoints)

# USD per million tokens: input, output, cache read, cache write. Unknown models pay
# the fallback. Prices are the gateway's, not tollgate's: the test checks that
# tollgate keeps the gateway's cost to the cent.
PRICES = {
    "claude-sonnet-4-5": ("3", "15", "0.30", "3.75"),
    "claude-haiku-4-5": ("1", "5", "0.10", "1.25"),
    "gpt-5-codex": ("1.25", "10", "0.125", "0"),
    "gpt-5.5": ("1.25", "10", "0.125", "0"),
    "gemini-2.5-pro": ("1.25", "10", "0.31", "0"),
    "gemini-2.5-flash": ("0.30", "2.50", "0.075", "0"),
}
FALLBACK_PRICE = ("2", "8", "0.5", "0")
MICRO = Decimal("0.000001")


def price(model, fresh_in, cache_read, cache_write, out):
    p_in, p_out, p_read, p_write = (Decimal(x) for x in PRICES.get(model, FALLBACK_PRICE))
    cost = (fresh_in * p_in + out * p_out + cache_read * p_read + cache_write * p_write) / Decimal(1_000_000)
    return cost.quantize(MICRO)


def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def tokens_of(obj):
    """A stand-in tokenizer: a token per 4 bytes of the JSON."""
    return max(1, len(json.dumps(obj, ensure_ascii=False).encode()) // 4)


# --- the scripted model: text in, a reply or a tool call out ------------------------------

READ = re.compile(r"E2E-READ ([^\s\"'<>]+)")
PATH_PARAMS = ("file_path", "filePath", "absolute_path", "path")


def plain_text(value):
    """Every string in a message tree, joined: what the model 'reads'."""
    out = []

    def walk(v):
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
    walk(value)
    return "\n".join(out)


def first_line_after_marker(text):
    """The fixture file's line the model reports back (it starts with MARK-)."""
    m = re.search(r"(MARK-[A-Za-z0-9-]+)", text)
    return m.group(1) if m else "?"


def decide(user_text, tool_results, history_text, tools, counter):
    """(text, tool) where tool is None or (name, arguments dict)."""
    if tool_results:
        return f"E2E-FILE-SAYS: {first_line_after_marker(tool_results)}", None
    if "E2E-RECALL" in user_text:
        return f"E2E-RECALLED: {first_line_after_marker(history_text)}", None
    m = READ.search(user_text)
    if m:
        tool = pick_read_tool(tools, m.group(1))
        if tool:
            return "Reading the file.", tool
        return "E2E-NO-READ-TOOL", None
    return f"E2E-PONG {counter}", None


def pick_read_tool(tools, path):
    """The client's own file-reading tool (Claude Code's Read, Gemini's read_file,
    OpenCode's read), else its shell (Codex) running cat."""
    by_name = {}
    for t in tools or []:
        fn = t.get("function", t) if isinstance(t, dict) else {}
        name = fn.get("name")
        params = fn.get("input_schema") or fn.get("parameters") or fn.get("parametersJsonSchema") or {}
        if name:
            by_name[name] = params.get("properties", {}) if isinstance(params, dict) else {}
    for name in ("Read", "read_file", "read"):
        if name in by_name:
            param = next((p for p in PATH_PARAMS if p in by_name[name]), "file_path")
            return name, {param: path}
    if "shell" in by_name:
        return "shell", {"command": ["cat", path]}
    if "shell_command" in by_name:
        return "shell_command", {"command": f"cat {path}"}
    if "exec_command" in by_name:
        return "exec_command", {"cmd": f"cat {path}"}
    return None


# --- the handler -------------------------------------------------------------------------

class Gateway:
    def __init__(self, collector, log_file):
        self.collector = collector.rstrip("/")
        self.log_file = log_file
        self.lock = threading.Lock()
        self.counter = 0
        self.seen_threads = set()
        self.unexpected = []
        self.post_failures = []

    def next_count(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def cached(self, thread):
        """Later turns of a conversation read most of their prompt from the cache."""
        if not thread:
            return False
        with self.lock:
            hit = thread in self.seen_threads
            self.seen_threads.add(thread)
            return hit

    def emit(self, log):
        """Posts the log to tollgate's collector, then records it: a log that tollgate
        refused is a failure the test reports."""
        data = json.dumps(log, ensure_ascii=False).encode()
        req = urllib.request.Request(self.collector + "/api/request-logs/create/", data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                answer = r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            answer = e.code, e.read().decode()
        except OSError as e:
            answer = 0, str(e)
        with self.lock:
            if answer[0] != 201:
                self.post_failures.append({"id": log["unique_id"], "answer": answer})
            with open(self.log_file, "ab") as f:
                f.write(data + b"\n")


class Handler(fake_gateway.Handler):
    gateway = None

    def do_GET(self):
        if self.path == "/_e2e":
            g = self.gateway
            with g.lock:
                return self.reply(200, {"unexpected": g.unexpected, "post_failures": g.post_failures})
        if self.path.split("?")[0].startswith(("/v1/", "/v1beta/")):
            return self.unknown(b"")
        super().do_GET()

    def do_POST(self):
        path = self.path.split("?")[0]
        if path == "/v1/messages" or path == "/v1/messages/count_tokens":
            return self.model_call(self.anthropic)
        if path == "/v1/responses":
            return self.model_call(self.openai_responses)
        if path == "/v1/chat/completions":
            return self.model_call(self.chat)
        if path.startswith("/v1beta/models/"):
            return self.model_call(self.gemini)
        if path.startswith(("/v1/", "/v1beta/")):
            return self.unknown(self.read_body())
        super().do_POST()

    def unknown(self, body):
        with self.gateway.lock:
            self.gateway.unexpected.append(f"{self.command} {self.path}")
        self.reply(404, {"error": {"type": "not_found_error", "message": "not served by the stand-in"}})

    # -- keys

    def presented_key(self):
        h = self.headers
        auth = h.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[len("Bearer "):]
        if h.get("x-api-key"):
            return h["x-api-key"]
        if h.get("x-goog-api-key"):
            return h["x-goog-api-key"]
        m = re.search(r"[?&]key=([^&]+)", self.path)
        return m.group(1) if m else None

    def key_entry(self):
        secret = self.presented_key()
        with self.state.lock:
            return next((k for k in self.state.keys if secret and k.get("secret") == secret), None)

    @staticmethod
    def usable(key):
        return key is not None and not (key["revoked"] or key["deleted"] or key["blocked"])

    def model_call(self, api):
        started = time.time()
        raw = self.read_body()
        body = json.loads(raw or b"{}")
        key = self.key_entry()
        api(body, key, started)

    def refuse(self, key, log, body_shape):
        """401 for a missing, unknown or revoked key: told not to retry, and logged
        (the gateway logs the prompt of a refused request too)."""
        message = "API key revoked" if key else "invalid API key"
        doc = {"anthropic": {"type": "error", "error": {"type": "authentication_error", "message": message}},
               "openai": {"error": {"message": message, "type": "invalid_request_error", "code": "invalid_api_key"}},
               "gemini": {"error": {"code": 401, "message": message, "status": "UNAUTHENTICATED"}}}[body_shape]
        log.update(status_code=401, error_message=message, prompt_tokens=0, completion_tokens=0, cost=0.0)
        self.gateway.emit(log)
        self.reply(401, doc, headers={"x-should-retry": "false"})

    def base_log(self, key, model, provider, started, stream, thread):
        log = {"unique_id": str(uuid.uuid4()), "start_time": datetime.fromtimestamp(started, timezone.utc)
               .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
               "timestamp": now_iso(), "model": model or "(none)", "provider_id": provider,
               "log_type": "chat", "log_method": "inference", "stream": bool(stream)}
        if key:
            log.update(customer_identifier=key["owner_dev"], organization_key_id=key["id"],
                       organization_key_name=key["name"])
        if thread:
            log["thread_identifier"] = thread
        return log

    def finish_log(self, log, model, prompt_tokens, cached, completion_tokens, started):
        cache_read = prompt_tokens * 3 // 4 if cached else 0
        cost = price(model, prompt_tokens - cache_read, cache_read, 0, completion_tokens)
        log.update(status_code=200, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                   total_request_tokens=prompt_tokens + completion_tokens, prompt_cache_hit_tokens=cache_read,
                   cost=float(cost), latency=round(time.time() - started, 3), timestamp=now_iso())
        return cache_read

    def sse(self, events):
        """A whole event stream in one body (Content-Length set): every client
        reads it as it would a live stream."""
        chunks = []
        for name, doc in events:
            if name:
                chunks.append(f"event: {name}\n")
            chunks.append(f"data: {doc if isinstance(doc, str) else json.dumps(doc)}\n\n")
        data = "".join(chunks).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # -- Anthropic Messages

    def anthropic(self, body, key, started):
        if self.path.split("?")[0].endswith("/count_tokens"):
            if not self.usable(key):
                return self.reply(401, {"type": "error", "error": {"type": "authentication_error",
                                                                   "message": "invalid API key"}},
                                  headers={"x-should-retry": "false"})
            return self.reply(200, {"input_tokens": tokens_of(body)})
        model = body.get("model")
        messages = body.get("messages", [])
        user_id = (body.get("metadata") or {}).get("user_id", "")
        m = re.search(r"session_([0-9a-f-]{36})", user_id) or re.search(r'"session_id":\s*"([^"]+)"', user_id)
        thread = m.group(1) if m else self.headers.get("x-claude-code-session-id")
        log = self.base_log(key, model, "anthropic", started, body.get("stream"), thread)
        system = body.get("system")
        log["prompt_messages"] = ([{"role": "system", "content": system}] if system else []) + messages
        if body.get("tools"):
            log["tools"] = body["tools"]
        if not self.usable(key):
            return self.refuse(key, log, "anthropic")
        last = messages[-1] if messages else {}
        content = last.get("content")
        results = ""
        if isinstance(content, list):
            results = plain_text([c for c in content if isinstance(c, dict) and c.get("type") == "tool_result"])
        text, tool = decide(plain_text(last), results, plain_text(messages[:-1]), body.get("tools"),
                            self.gateway.next_count())
        blocks = [{"type": "text", "text": text}]
        if tool:
            blocks.append({"type": "tool_use", "id": "toolu_" + uuid.uuid4().hex[:24], "name": tool[0],
                           "input": tool[1]})
        stop = "tool_use" if tool else "end_turn"
        prompt_tokens = tokens_of([system, messages, body.get("tools")])
        completion_tokens = tokens_of(blocks)
        cache_read = self.finish_log(log, model, prompt_tokens, self.gateway.cached(thread), completion_tokens,
                                     started)
        log["completion_message"] = {"role": "assistant", "content": blocks}
        usage = {"input_tokens": prompt_tokens - cache_read, "output_tokens": completion_tokens,
                 "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": 0}
        msg = {"id": "msg_" + uuid.uuid4().hex[:24], "type": "message", "role": "assistant", "model": model,
               "content": blocks, "stop_reason": stop, "stop_sequence": None, "usage": usage}
        self.gateway.emit(log)
        if not body.get("stream"):
            return self.reply(200, msg)
        events = [("message_start", {"type": "message_start",
                                     "message": dict(msg, content=[], stop_reason=None,
                                                     usage=dict(usage, output_tokens=1))})]
        for i, b in enumerate(blocks):
            if b["type"] == "text":
                events.append(("content_block_start", {"type": "content_block_start", "index": i,
                                                       "content_block": {"type": "text", "text": ""}}))
                events.append(("content_block_delta", {"type": "content_block_delta", "index": i,
                                                       "delta": {"type": "text_delta", "text": b["text"]}}))
            else:
                events.append(("content_block_start", {"type": "content_block_start", "index": i,
                                                       "content_block": dict(b, input={})}))
                events.append(("content_block_delta", {"type": "content_block_delta", "index": i,
                                                       "delta": {"type": "input_json_delta",
                                                                 "partial_json": json.dumps(b["input"])}}))
            events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
        events.append(("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop,
                                                                            "stop_sequence": None},
                                         "usage": {"output_tokens": completion_tokens}}))
        events.append(("message_stop", {"type": "message_stop"}))
        self.sse(events)

    # -- OpenAI Responses (Codex)

    def openai_responses(self, body, key, started):
        model = body.get("model")
        items = body.get("input", [])
        if isinstance(items, str):
            items = [{"role": "user", "content": items}]
        thread = self.headers.get("session_id") or self.headers.get("conversation_id") or body.get("prompt_cache_key")
        log = self.base_log(key, model, "openai", started, body.get("stream"), thread)
        log["log_type"] = "response"
        instructions = body.get("instructions")
        log["input"] = json.dumps(([{"role": "system", "content": instructions}] if instructions else []) + items,
                                  ensure_ascii=False)
        if body.get("tools"):
            log["tools"] = body["tools"]
        if not self.usable(key):
            return self.refuse(key, log, "openai")
        # the turn's new input: everything after the model's last output
        last_out = max((i for i, it in enumerate(items)
                        if it.get("role") == "assistant" or it.get("type") in ("function_call", "reasoning")),
                       default=-1)
        new = items[last_out + 1:]
        results = plain_text([it.get("output") for it in new if it.get("type") == "function_call_output"])
        user_text = plain_text([it for it in new if it.get("role") == "user"])
        text, tool = decide(user_text, results, plain_text(items[:last_out + 1]) + plain_text(items),
                            body.get("tools"), self.gateway.next_count())
        resp_id = "resp_" + uuid.uuid4().hex
        out = []
        if tool:
            out.append({"type": "function_call", "id": "fc_" + uuid.uuid4().hex[:20], "status": "completed",
                        "call_id": "call_" + uuid.uuid4().hex[:20], "name": tool[0],
                        "arguments": json.dumps(tool[1])})
        else:
            out.append({"type": "message", "id": "msg_" + uuid.uuid4().hex[:20], "status": "completed",
                        "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": []}]})
        prompt_tokens = tokens_of([instructions, items, body.get("tools")])
        completion_tokens = tokens_of(out)
        cache_read = self.finish_log(log, model, prompt_tokens, self.gateway.cached(thread), completion_tokens,
                                     started)
        log["output"] = json.dumps(out, ensure_ascii=False)
        usage = {"input_tokens": prompt_tokens, "input_tokens_details": {"cached_tokens": cache_read},
                 "output_tokens": completion_tokens, "output_tokens_details": {"reasoning_tokens": 0},
                 "total_tokens": prompt_tokens + completion_tokens}
        response = {"id": resp_id, "object": "response", "created_at": int(started), "status": "completed",
                    "model": model, "output": out, "usage": usage}
        self.gateway.emit(log)
        if not body.get("stream"):
            return self.reply(200, response)
        events = [("response.created", {"type": "response.created", "sequence_number": 0,
                                        "response": dict(response, status="in_progress", output=[], usage=None)})]
        for i, item in enumerate(out):
            events.append(("response.output_item.added", {"type": "response.output_item.added",
                                                          "output_index": i, "item": item}))
            if item["type"] == "message":
                events.append(("response.output_text.delta", {"type": "response.output_text.delta",
                                                              "item_id": item["id"], "output_index": i,
                                                              "content_index": 0, "delta": text}))
            events.append(("response.output_item.done", {"type": "response.output_item.done",
                                                         "output_index": i, "item": item}))
        events.append(("response.completed", {"type": "response.completed", "response": response}))
        for n, (_, doc) in enumerate(events):
            doc["sequence_number"] = n
        self.sse(events)

    # -- OpenAI Chat Completions (OpenAI-compatible clients)

    def chat(self, body, key, started):
        model = body.get("model")
        messages = body.get("messages", [])
        log = self.base_log(key, model, "openai", started, body.get("stream"), self.headers.get("x-session-id"))
        log["prompt_messages"] = messages
        if body.get("tools"):
            log["tools"] = body["tools"]
        if not self.usable(key):
            return self.refuse(key, log, "openai")
        last_assistant = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=-1)
        new = messages[last_assistant + 1:]
        results = plain_text([m.get("content") for m in new if m.get("role") == "tool"])
        user_text = plain_text([m.get("content") for m in new if m.get("role") == "user"])
        text, tool = decide(user_text, results, plain_text(messages), body.get("tools"), self.gateway.next_count())
        msg = {"role": "assistant", "content": text}
        if tool:
            msg["tool_calls"] = [{"id": "call_" + uuid.uuid4().hex[:20], "type": "function",
                                  "function": {"name": tool[0], "arguments": json.dumps(tool[1])}}]
        prompt_tokens = tokens_of([messages, body.get("tools")])
        completion_tokens = tokens_of(msg)
        cache_read = self.finish_log(log, model, prompt_tokens, False, completion_tokens, started)
        log["completion_message"] = msg
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens,
                 "prompt_tokens_details": {"cached_tokens": cache_read}}
        finish = "tool_calls" if tool else "stop"
        cid = "chatcmpl-" + uuid.uuid4().hex[:20]
        self.gateway.emit(log)
        if not body.get("stream"):
            return self.reply(200, {"id": cid, "object": "chat.completion", "created": int(started), "model": model,
                                    "choices": [{"index": 0, "message": msg, "finish_reason": finish}],
                                    "usage": usage})
        delta = {"role": "assistant", "content": text}
        if tool:
            delta["tool_calls"] = [dict(msg["tool_calls"][0], index=0)]
        base = {"id": cid, "object": "chat.completion.chunk", "created": int(started), "model": model}
        self.sse([(None, dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": None}])),
                  (None, dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": finish}])),
                  (None, dict(base, choices=[], usage=usage)),
                  (None, "[DONE]")])

    # -- Gemini

    def gemini(self, body, key, started):
        path = self.path.split("?")[0]
        model, _, method = path[len("/v1beta/models/"):].partition(":")
        if method == "countTokens":
            if not self.usable(key):
                return self.refuse_plain_gemini()
            return self.reply(200, {"totalTokens": tokens_of(body)})
        contents = body.get("contents", [])
        stream = method == "streamGenerateContent"
        log = self.base_log(key, model, "google_gemini_ai", started, stream, None)
        system = body.get("systemInstruction")
        log["prompt_messages"] = ([{"role": "system", "content": plain_text(system)}] if system else []) + [
            {"role": "assistant" if c.get("role") == "model" else "user", "content": c.get("parts", [])}
            for c in contents]
        tools = [d for t in body.get("tools", []) for d in t.get("functionDeclarations", [])]
        if tools:
            log["tools"] = body["tools"]
        if not self.usable(key):
            return self.refuse(key, log, "gemini")
        last = contents[-1] if contents else {}
        results = plain_text([p.get("functionResponse") for p in last.get("parts", []) if "functionResponse" in p])
        text, tool = decide(plain_text(last), results, plain_text(contents[:-1]), tools, self.gateway.next_count())
        parts = [{"text": text}]
        if tool:
            parts.append({"functionCall": {"name": tool[0], "args": tool[1]}})
        prompt_tokens = tokens_of([system, contents, body.get("tools")])
        completion_tokens = tokens_of(parts)
        self.finish_log(log, model, prompt_tokens, False, completion_tokens, started)
        log["completion_message"] = {"role": "assistant", "content": parts}
        doc = {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}],
               "usageMetadata": {"promptTokenCount": prompt_tokens, "candidatesTokenCount": completion_tokens,
                                 "totalTokenCount": prompt_tokens + completion_tokens},
               "modelVersion": model}
        self.gateway.emit(log)
        if stream:
            return self.sse([(None, doc)])
        self.reply(200, doc)

    def refuse_plain_gemini(self):
        self.reply(401, {"error": {"code": 401, "message": "invalid API key", "status": "UNAUTHENTICATED"}},
                   headers={"x-should-retry": "false"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--collector", required=True)
    ap.add_argument("--log-file", required=True)
    ap.add_argument("--admin-key", default="e2e-admin-key-0123456789abcdef")
    args = ap.parse_args()
    Handler.state = fake_gateway.State([], args.admin_key)
    Handler.gateway = Gateway(args.collector, args.log_file)
    server = fake_gateway.Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.scheme = "http"
    print(f"port {server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
