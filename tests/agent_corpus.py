#!/usr/bin/env python3
"""A corpus shaped like coding-agent traffic, for measuring the store (not a
test suite: chunks_test.py and docs/storage.md use it).

Claude-Code-like requests: a fixed `tools` block of ~81 KB per client version
(24 tools), a system prompt of three text blocks (~27 KB; the first, a billing
header, carries a per-request hash), a first user message of ~7 KB of reminder
blocks, then a conversation that grows by a tool_use and a tool_result of 1-10
KB of code each turn and is resent whole on every request. With --form input
the messages go into `input` as a JSON string (the gateway's newer form).

usage: agent_corpus.py OUT.jsonl [--mb N] [--requests N] [--seed S] [--form messages|input]
"""
import argparse
import hashlib
import json
import random

WORDS = ("the a to of and in is for that with on as be this it by or file path tool run call "
         "user result error value return should must when then use not are from will any each "
         "read write edit search command output input line code test function class string "
         "number list object array true false null directory current working project repository "
         "change commit branch status message content block text type name description required "
         "properties parameters schema default optional maximum minimum pattern example").split()
IDENTS = ("self cfg data item items result value node ctx req resp buf path name count index "
          "offset size total parser writer reader client server handler config logger cache "
          "store entry key row col token stream chunk frame batch queue worker task job").split()


def prose(rng, n):
    out, size = [], 0
    while size < n:
        w = rng.choice(WORDS)
        if rng.random() < 0.08:
            w = w.capitalize() + "."
        out.append(w)
        size += len(w) + 1
    return " ".join(out)[:n]


def code(rng, n):
    lines, size, depth = [], 0, 0
    while size < n:
        kind = rng.random()
        ind = "    " * depth
        a, b, c = rng.choice(IDENTS), rng.choice(IDENTS), rng.choice(IDENTS)
        if kind < 0.15 and depth < 4:
            line = f"{ind}def {a}_{b}({c}, {rng.choice(IDENTS)}={rng.randint(0, 99)}):"
            depth += 1
        elif kind < 0.3 and depth < 4:
            line = f"{ind}if {a}.{b} is not None and len({c}) > {rng.randint(0, 512)}:"
            depth += 1
        elif kind < 0.45 and depth > 0:
            line = f"{ind}return {a}.{b}({c})"
            depth -= 1
        elif kind < 0.55:
            line = f"{ind}# {prose(rng, rng.randint(20, 70))}"
        else:
            line = f"{ind}{a}_{b} = {c}.{rng.choice(IDENTS)}({rng.choice(IDENTS)}, {rng.randint(0, 9999)})"
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)[:n]


def tools_block(rng, version):
    tools = []
    for i in range(24):
        props = {}
        for j in range(rng.randint(2, 6)):
            props[f"{rng.choice(IDENTS)}_{j}"] = {"type": rng.choice(["string", "number", "boolean"]),
                                                  "description": prose(rng, rng.randint(80, 400))}
        tools.append({"name": f"Tool{i}_{rng.choice(IDENTS)}",
                      "description": f"(v{version}) " + prose(rng, rng.randint(1400, 2800)),
                      "input_schema": {"type": "object", "properties": props,
                                       "required": list(props)[:1]}})
    return tools


def build(out, target_bytes, max_requests, seed, form):
    rng = random.Random(seed)
    versions = [tools_block(random.Random(seed * 100 + v), v) for v in range(3)]
    system_fixed = [prose(random.Random(seed + 7), 13000), prose(random.Random(seed + 8), 13500)]
    reminders = prose(random.Random(seed + 9), 7000)
    threads, written, n, t = [], 0, 0, 1_764_000_000
    with open(out, "w") as f:
        while written < target_bytes and n < max_requests:
            if not threads or (len(threads) < 12 and rng.random() < 0.08):
                threads.append({"id": f"sess-{rng.getrandbits(48):012x}", "dev": f"dev{rng.randint(1, 8)}",
                                "version": rng.randrange(3), "turns": min(40, int(rng.expovariate(1 / 4)) + 1), "conv": []})
            th = rng.choice(threads)
            turn = len(th["conv"]) // 2
            # the new turn: the model called a tool, here is its result
            call_id = f"toolu_{rng.getrandbits(64):016x}"
            th["conv"].append({"role": "assistant", "content": [
                {"type": "text", "text": prose(rng, rng.randint(60, 400))},
                {"type": "tool_use", "id": call_id, "name": "Read",
                 "input": {"file_path": f"/src/{rng.choice(IDENTS)}/{rng.choice(IDENTS)}.py"}}]})
            th["conv"].append({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": call_id,
                 "content": code(rng, rng.randint(1000, 10000))}]})
            billing = f"x-anthropic-billing-header: cc_version=2.1.{th['version']}; cch={rng.getrandbits(64):016x};"
            system = {"role": "system", "content": [{"type": "text", "text": billing}] +
                      [{"type": "text", "text": s} for s in system_fixed]}
            first = {"role": "user", "content": [{"type": "text", "text": "<system-reminder>" + reminders +
                                                  "</system-reminder>"}, {"type": "text", "text": "fix the tests"}]}
            messages = [system, first] + th["conv"]
            reply = {"role": "assistant", "content": prose(rng, rng.randint(100, 600))}
            t += rng.randint(1, 20)
            log = {"unique_id": hashlib.sha1(f"{seed}-{n}".encode()).hexdigest(),
                   "timestamp": f"2026-01-{1 + (t // 86400) % 28:02d}T{(t // 3600) % 24:02d}:{(t // 60) % 60:02d}:{t % 60:02d}Z",
                   "model": "claude-sonnet-4-5", "provider_id": "anthropic",
                   "customer_identifier": th["dev"], "organization_key_id": f"key-{th['dev']}",
                   "thread_identifier": th["id"], "prompt_tokens": 30000 + 900 * turn,
                   "completion_tokens": rng.randint(50, 900), "cost": round(rng.random() * 0.2, 6),
                   "latency": round(rng.random() * 20, 3), "status_code": 200, "stream": True,
                   "tools": versions[th["version"]]}
            if form == "input":
                log["input"] = json.dumps(messages)
                log["output"] = json.dumps(reply)
            else:
                log["prompt_messages"] = messages
                log["completion_message"] = reply
            line = json.dumps(log, separators=(",", ":")) + "\n"
            f.write(line)
            written += len(line)
            n += 1
            if len(th["conv"]) // 2 >= th["turns"]:
                threads.remove(th)
    return n, written


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--mb", type=float, default=200)
    ap.add_argument("--requests", type=int, default=10**9)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--form", choices=["messages", "input"], default="messages")
    a = ap.parse_args()
    n, size = build(a.out, int(a.mb * 1e6), a.requests, a.seed, a.form)
    print(f"{n} requests, {size} bytes, {size / n / 1000:.1f} KB a request")


if __name__ == "__main__":
    main()
