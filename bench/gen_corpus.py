#!/usr/bin/env python3
"""Writes gateway logs (Respan's shape, one JSON object a line) shaped like
coding-agent traffic, for bench/ and tests/bench_smoke_test.py.

  gen_corpus.py agents --mb 200 --seed 1 -o agents.jsonl
      Claude-Code-like requests (a fixed ~81 KB `tools` block of 24 tools per
      client version, three system blocks of ~27 KB whose first, a billing
      header, carries a per-request hash, a ~7 KB nearly fixed first user
      message of reminder blocks, the conversation resent whole every turn with
      tool_use / tool_result blocks of 1-10 KB of code, the cache_control mark
      moving to the last message), Codex-like requests (~40 KB: 18 KB of tools,
      17 KB of instructions, the messages in `input` as a JSON string with
      encrypted reasoning items, `output` a JSON string), a few small Haiku side
      requests, and 401 retry storms (a revoked key's agent retrying ~10 times
      over 3 minutes, each with its whole prompt).
  gen_corpus.py claude --logs 2000 ...    only the Claude-Code-like requests
  gen_corpus.py small --logs 50000 ...    ~1.7 KB chat logs, threads resent
      turn by turn, 30% in the `input`/`output` string form

Everything derives from --seed (Python's Random, no hash randomisation), except
what belongs to a client version (its tools, system prompt, reminders): those
derive from the version's name, so two corpora of different seeds share them as
two teams on the same Claude Code release would. Logs come out in time order,
sessions of several developers interleaved, over working days from --start.
Standard library only."""

import argparse
import base64
import datetime
import heapq
import json
import random
import sys

DUMP = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# ---------------------------------------------------------------- words and code

_COMMON = (
    "the of and to a in is it that for you was with on as are be this have from or one had by "
    "but not what all were we when your can said there use an each which she do how their if "
    "will up other about out many then them these so some her would make like him into time has "
    "look two more write go see number no way could people my than first water been call who "
    "its now find long down day did get come made may part file tool call when must never always "
    "should user command output path line code test function return value error result read edit "
    "search directory changes commit branch request response model message context note example"
).split()


def _syllable_words(rng, n):
    onsets = "b c d f g h j k l m n p r s t v w z br cr dr fl gr pl pr sh st th tr ch".split()
    vowels = "a e i o u ai ea ee io ou".split()
    codas = ["", "", "n", "r", "s", "t", "l", "nd", "st", "ng", "ck", "m"]
    words = set(_COMMON)
    out = list(_COMMON)
    while len(out) < n:
        w = "".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas)
                    for _ in range(rng.choice((1, 2, 2, 3))))
        if w not in words:
            words.add(w)
            out.append(w)
    return out


class Text:
    """Prose and code from a Zipf-weighted vocabulary (fixed: it is the language)."""

    def __init__(self):
        r = random.Random("tollgate-bench-vocabulary")
        self.words = _syllable_words(r, 6000)
        self.cum = []
        total = 0.0
        for i in range(len(self.words)):
            total += 1.0 / (i + 1) ** 1.05
            self.cum.append(total)
        self.idents = ["_".join(r.sample(self.words[40:1500], r.choice((1, 2, 2, 3)))) for _ in range(4000)]
        self.icum = []
        total = 0.0
        for i in range(len(self.idents)):
            total += 1.0 / (i + 1) ** 0.9
            self.icum.append(total)

    def prose(self, rng, nbytes):
        parts, size = [], 0
        while size < nbytes:
            n = rng.randint(6, 22)
            ws = rng.choices(self.words, cum_weights=self.cum, k=n)
            s = " ".join(ws)
            s = s[0].upper() + s[1:] + rng.choice((".", ".", ".", ",", ":", "?"))
            parts.append(s)
            size += len(s) + 1
            if rng.random() < 0.12:
                parts.append("\n\n")
        return " ".join(parts)[:nbytes]

    def code(self, rng, nbytes):
        """Python-looking source: defs, assignments, calls, branches, comments."""
        lines, size, depth = [], 0, 0
        idents, icum = self.idents, self.icum
        while size < nbytes:
            pick = rng.random()
            ind = "    " * depth
            a, b, c, d = rng.choices(idents, cum_weights=icum, k=4)
            if depth == 0 or pick < 0.08:
                depth = 1
                line = f"\ndef {a}({b}, {c}={rng.randint(0, 64)}):"
                if rng.random() < 0.5:
                    line += f'\n    """{self.prose(rng, rng.randint(30, 120))}"""'
            elif pick < 0.35:
                line = f"{ind}{a} = {b}.{c}({d}, {rng.randint(0, 4096)})"
            elif pick < 0.45:
                line = f"{ind}if {a} is None or {b} > {rng.randint(1, 100)}:"
                depth = min(depth + 1, 4)
            elif pick < 0.52:
                line = f"{ind}for {a} in {b}.{c}():"
                depth = min(depth + 1, 4)
            elif pick < 0.62:
                line = f"{ind}return {a}({b}, {c})"
                depth = max(depth - 1, 1)
            elif pick < 0.72:
                line = f"{ind}# {self.prose(rng, rng.randint(20, 70))}"
            elif pick < 0.82:
                line = f'{ind}{a}["{b}"] = "{c}-{rng.randint(0, 999)}"'
            else:
                line = f"{ind}{a}.{b}({c}, {d}=True)"
            lines.append(line)
            size += len(line) + 1
        return "\n".join(lines)[:nbytes]


# ---------------------------------------------------------------- client versions

CLAUDE_TOOLS = [  # name, share of the 81 KB in parts
    ("Task", 9), ("TaskOutput", 1.5), ("Bash", 11), ("Glob", 1.5), ("Grep", 3), ("ExitPlanMode", 2),
    ("Read", 3), ("Edit", 2.5), ("Write", 2), ("NotebookEdit", 1.5), ("WebFetch", 2.5), ("TodoWrite", 9.5),
    ("WebSearch", 2), ("KillShell", 1), ("AskUserQuestion", 3), ("Skill", 2), ("SlashCommand", 2.5),
    ("EnterPlanMode", 3), ("BashOutput", 1), ("ListMcpResourcesTool", 1), ("ReadMcpResourceTool", 1),
    ("mcp__ide__getDiagnostics", 1), ("mcp__ide__executeCode", 1.5), ("LSP", 2)]
CLAUDE_VERSIONS = ["2.1.3", "2.1.7", "2.1.12"]
CODEX_TOOLS = ["shell", "apply_patch", "update_plan", "view_image", "list_mcp_resources",
               "read_mcp_resource", "web_search", "exec_command"]
CODEX_VERSIONS = ["0.46.0", "0.50.0"]


def _schema(rng, text, nprops):
    props = {}
    for _ in range(nprops):
        name = rng.choice(text.idents[:300])
        kind = rng.choice(("string", "string", "number", "boolean", "array"))
        p = {"type": kind, "description": text.prose(rng, rng.randint(40, 220))}
        if kind == "array":
            p["items"] = {"type": "string"}
        props[name] = p
    return {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": props,
            "required": sorted(props)[: max(1, nprops // 2)], "additionalProperties": False}


def _edit_prose(rng, text, s, edits):
    """A release's edits: sentences inserted or replaced midway, the rest kept."""
    for _ in range(edits):
        at = rng.randrange(len(s))
        s = s[:at] + " " + text.prose(rng, rng.randint(60, 400)) + " " + s[at + rng.choice((0, 0, 80)):]
    return s


class ClaudeRelease:
    def __init__(self, text, index):
        self.version = CLAUDE_VERSIONS[index]
        self.build = "%03x" % (0x3a1 + 97 * index)
        r = random.Random("claude-base")
        tools, prompt = [], None
        total = sum(w for _, w in CLAUDE_TOOLS)
        for name, weight in CLAUDE_TOOLS:
            desc = text.prose(r, int(60500 * weight / total))
            tools.append({"name": name, "description": desc, "input_schema": _schema(r, text, r.randint(1, 5))})
        prompt = text.prose(r, 26200)
        reminders = text.prose(r, 1900)
        # each later release edits a few descriptions and the system prompt
        for k in range(1, index + 1):
            e = random.Random(f"claude-release-{k}")
            for t in e.sample(tools, 4):
                t["description"] = _edit_prose(e, text, t["description"], 2)
            prompt = _edit_prose(e, text, prompt, 3)
            reminders = _edit_prose(e, text, reminders, 1)
        self.tools_json = DUMP(tools)
        self.prompt = prompt
        self.reminders = reminders


class CodexRelease:
    def __init__(self, text, index):
        self.version = CODEX_VERSIONS[index]
        r = random.Random("codex-base")
        tools = []
        for name in CODEX_TOOLS:
            tools.append({"type": "function", "name": name, "description": text.prose(r, 1600), "strict": False,
                          "parameters": _schema(r, text, r.randint(1, 4))})
        instructions = text.prose(r, 17000)
        for k in range(1, index + 1):
            e = random.Random(f"codex-release-{k}")
            for t in e.sample(tools, 2):
                t["description"] = _edit_prose(e, text, t["description"], 1)
            instructions = _edit_prose(e, text, instructions, 2)
        self.tools_json = DUMP(tools)
        self.instructions = instructions


# ---------------------------------------------------------------- people, keys, time

FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "gina", "hugo", "ines", "jack", "kim", "liam",
         "maya", "nils", "olga", "paul", "quinn", "rosa", "sam", "tara", "uma", "vic", "wen", "xavi"]
LAST = ["Martin", "Okafor", "Silva", "Novak", "Larsen", "Kowalski", "Dubois", "Tanaka", "Haddad", "Moreau"]


def uuid(rng):
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"


class Developer:
    def __init__(self, rng, i, start):
        self.name = FIRST[i % len(FIRST)] + ("" if i < len(FIRST) else str(i // len(FIRST)))
        self.full = f"{self.name.capitalize()} {LAST[i % len(LAST)]}"
        self.email = f"{self.name}@example.com"
        self.keys = 0
        self.key_id = self.key_name = None
        self.new_key(rng)
        roll = rng.random()
        self.client = "claude" if roll < 0.6 else "codex" if roll < 0.85 else "both"
        self.upgrades = sorted(rng.uniform(0.2, 2.5) for _ in range(2))  # days to each Claude Code release
        self.repo = rng.choice(("api", "web", "billing", "infra", "mobile", "search", "ledger"))
        self.at = start + datetime.timedelta(hours=rng.uniform(0, 2))

    def new_key(self, rng):
        self.keys += 1
        self.key_id = uuid(rng)
        self.key_name = f"{self.name}-laptop" + (f"-{self.keys}" if self.keys > 1 else "")

    def head(self):
        return (f'"customer_identifier":"{self.name}","customer_name":"{self.full}",'
                f'"customer_email":"{self.email}","organization_key_id":"{self.key_id}",'
                f'"organization_key_name":"{self.key_name}"')


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def money(x):
    s = "%.9f" % x
    s = s.rstrip("0")
    return s + "0" if s.endswith(".") else s


def next_working_time(t, rng, gap_s):
    t = t + datetime.timedelta(seconds=gap_s)
    if t.hour >= 19 or t.hour < 8:
        day = t.date() + datetime.timedelta(days=1 if t.hour >= 8 else 0)
        while day.weekday() >= 5:
            day += datetime.timedelta(days=1)
        t = datetime.datetime(day.year, day.month, day.day, 8, 30) + datetime.timedelta(minutes=rng.uniform(0, 90))
    return t


# ---------------------------------------------------------------- sessions

PRICES = {  # $ per million: input, output, cache read, cache write
    "claude-sonnet-4-5": (3, 15, 0.3, 3.75), "claude-opus-4-6": (5, 25, 0.5, 6.25),
    "claude-haiku-4-5": (1, 5, 0.1, 1.25), "gpt-5-codex": (1.25, 10, 0.125, 0),
    "gpt-5.5": (1.25, 10, 0.125, 0), "gpt-5-mini": (0.25, 2, 0.025, 0)}


def priced(model, prompt, completion, hit, write):
    p = PRICES[model]
    fresh = max(prompt - hit - write, 0)
    return (fresh * p[0] + completion * p[1] + hit * p[2] + write * p[3]) / 1e6


class Corpus:
    def __init__(self, seed, kind, start):
        self.rng = random.Random(seed)
        self.kind = kind
        self.text = Text()
        self.claude = [ClaudeRelease(self.text, i) for i in range(len(CLAUDE_VERSIONS))] if kind != "small" else []
        self.codex = [CodexRelease(self.text, i) for i in range(len(CODEX_VERSIONS))] if kind == "agents" else []
        self.start = start
        ndev = 12 if kind != "small" else 40
        self.devs = [Developer(self.rng, i, start) for i in range(ndev)]
        self.files = {}
        self.small_systems = [self.text.prose(random.Random(f"system-{i}"), 120 + 30 * i) for i in range(6)]

    # a file of the developer's repository: the same bytes whenever it is read again
    def source(self, dev, path_no):
        key = (dev.repo, path_no)
        if key not in self.files:
            r = random.Random(f"{dev.repo}/{path_no}")
            self.files[key] = self.text.code(r, r.randint(1000, 10000))
        return self.files[key]

    def storm(self, dev, at, emit_head, body):
        """A revoked key's agent retrying with its whole prompt: ~10 tries over ~3 minutes."""
        rng, t = self.rng, at
        for k in range(rng.randint(8, 12)):
            t += datetime.timedelta(seconds=min(2 ** k, 40) * rng.uniform(0.8, 1.2))
            head = (f'{{"unique_id":"{uuid(rng)}","timestamp":"{iso(t)}","start_time":"{iso(t)}",'
                    f'{emit_head},{dev.head()},"prompt_tokens":0,"completion_tokens":0,"cost":0,'
                    f'"latency":{rng.uniform(0.02, 0.09):.3f},"status_code":401,'
                    f'"error_message":"Invalid API key: the key has been revoked",')
            yield t, head + body + "}"
        dev.new_key(rng)

    def claude_session(self, dev):
        rng, text = self.rng, self.text
        days = (dev.at - self.start).total_seconds() / 86400
        rel = self.claude[sum(1 for u in dev.upgrades if days >= u)]
        model = "claude-opus-4-6" if rng.random() < 0.2 else "claude-sonnet-4-5"
        session = uuid(rng)
        cwd = f"/home/{dev.name}/src/{dev.repo}"
        env = (f"\n<env>\nWorking directory: {cwd}\nIs directory a git repo: Yes\nPlatform: linux\n"
               f"OS Version: Linux 6.1.0-{rng.randint(18, 30)}-amd64\nToday's date: {dev.at.date()}\n</env>\n"
               f"You are powered by the model {model}.\n\ngitStatus: Current branch: {dev.name}/"
               f"{rng.choice(text.idents[:500])}\n\nMain branch: main\n\nStatus:\n M src/"
               f"{rng.choice(text.idents[:500])}.py\n\nRecent commits:\n"
               + "\n".join(f"{rng.getrandbits(28):07x} {text.prose(rng, rng.randint(30, 70))}" for _ in range(5)))
        system_tail = (',{"type":"text","text":"You are Claude Code, Anthropic\'s official CLI for Claude.",'
                       '"cache_control":{"type":"ephemeral"}},{"type":"text","text":'
                       + DUMP(rel.prompt + env) + ',"cache_control":{"type":"ephemeral"}}]}')
        claude_md = random.Random(f"claude-md/{dev.repo}")
        first_user = [
            {"type": "text", "text": "<system-reminder>\nAs you answer the user's questions, you can use the "
             "following context:\n# claudeMd\nCodebase and user instructions are shown below.\n\nContents of "
             f"{cwd}/CLAUDE.md (project instructions, checked into the codebase):\n\n"
             + text.prose(claude_md, 4800) + "\n</system-reminder>"},
            {"type": "text", "text": "<system-reminder>\n" + rel.reminders + "\n</system-reminder>"},
            {"type": "text", "text": text.prose(rng, rng.randint(80, 600))}]
        messages = [first_user]  # content arrays; roles alternate user, assistant
        serial = []  # messages[i] as JSON, without the cache mark
        at = dev.at
        turns = max(1, min(int(rng.expovariate(1 / 3)) + 1, 30))
        prev_prompt_tokens = 0
        emit = f'"model":"{model}","provider_id":"anthropic","log_type":"chat","stream":true,' \
               f'"thread_identifier":"{session}","metadata":{{"client":"claude-cli/{rel.version}","entrypoint":"cli"}}'
        for turn in range(turns):
            while len(serial) < len(messages) - 1:
                i = len(serial)
                serial.append(DUMP({"role": "user" if i % 2 == 0 else "assistant", "content": messages[i]}))
            last = [dict(b) for b in messages[-1]]
            last[-1]["cache_control"] = {"type": "ephemeral"}
            billing = (f"x-anthropic-billing-header: cc_version={rel.version}.{rel.build}; cc_entrypoint=cli; "
                       f"cch={rng.getrandbits(64):016x};")
            system = '{"role":"system","content":[{"type":"text","text":"' + billing + '"}' + system_tail
            prompt = ",".join([system] + serial + [DUMP({"role": "user", "content": last})])
            body = f'"tools":{rel.tools_json},"prompt_messages":[{prompt}]'
            # the answer: some text and a tool call (a file read, a grep, an edit), or a last word
            ended = turn == turns - 1
            answer = [{"type": "text", "text": text.prose(rng, rng.randint(60, 500))}]
            tool_id = "toolu_01" + base64.b32encode(rng.getrandbits(120).to_bytes(15, "big")).decode()[:22]
            path_no = rng.randint(0, 60)
            if not ended:
                tool = rng.choice(("Read", "Read", "Grep", "Edit", "Bash"))
                args = {"file_path": f"{cwd}/src/mod_{path_no}.py"} if tool in ("Read", "Edit") else \
                    {"pattern": rng.choice(text.idents[:800]), "path": cwd} if tool == "Grep" else \
                    {"command": f"pytest -q tests/test_{path_no}.py", "description": "Run the tests"}
                if tool == "Edit":
                    args["old_string"] = text.code(rng, rng.randint(80, 400))
                    args["new_string"] = text.code(rng, rng.randint(80, 400))
                answer.append({"type": "tool_use", "id": tool_id, "name": tool, "input": args})
            completion_tokens = len(DUMP(answer)) // 4 + rng.randint(20, 400)
            prompt_tokens = (len(body) + len(prompt)) // 4
            hit = prev_prompt_tokens if turn else int(prompt_tokens * 0.85)
            write = prompt_tokens - hit
            cost = priced(model, prompt_tokens, completion_tokens, hit, write)
            latency = rng.uniform(2, 25)
            start = at
            at = at + datetime.timedelta(seconds=latency)
            if rng.random() < 0.006:  # the key is revoked under this session: a retry storm, then a new key
                yield from self.storm(dev, at, emit, body)
                return
            head = (f'{{"unique_id":"{uuid(rng)}","timestamp":"{iso(at)}","start_time":"{iso(start)}",'
                    f'{emit},{dev.head()},"prompt_tokens":{prompt_tokens},"completion_tokens":{completion_tokens},'
                    f'"prompt_cache_hit_tokens":{hit},"prompt_cache_creation_tokens":{write},"cost":{money(cost)},'
                    f'"latency":{latency:.3f},"ttft":{rng.uniform(0.6, 3):.3f},"status_code":200,')
            completion = DUMP({"role": "assistant", "content": answer})
            yield at, head + body + ',"completion_message":' + completion + "}"
            if self.kind == "agents" and rng.random() < 0.1:  # a side request to a small model: a title, a summary
                yield self.haiku(dev, at, rel)
            prev_prompt_tokens = prompt_tokens
            messages.append(answer)
            if ended:
                break
            code = self.source(dev, path_no) if args.get("file_path") else text.code(rng, rng.randint(1000, 10000))
            messages.append([{"type": "tool_result", "tool_use_id": tool_id, "content": code}])
            at += datetime.timedelta(seconds=rng.uniform(1, 40))
        dev.at = at

    def haiku(self, dev, at, rel):
        rng, text = self.rng, self.text
        msgs = [{"role": "system", "content": [{"type": "text", "text": "You are Claude Code. " + text.prose(
            random.Random("haiku-system"), 900)}]}, {"role": "user", "content": text.prose(rng, rng.randint(200, 2500))}]
        out = {"role": "assistant", "content": [{"type": "text", "text": text.prose(rng, rng.randint(20, 90))}]}
        pt, ct = len(DUMP(msgs)) // 4, rng.randint(10, 40)
        t = at + datetime.timedelta(seconds=rng.uniform(0.3, 1.5))
        return t, (f'{{"unique_id":"{uuid(rng)}","timestamp":"{iso(t)}","start_time":"{iso(at)}",'
                f'"model":"claude-haiku-4-5","provider_id":"anthropic","log_type":"chat","stream":false,'
                f'"metadata":{{"client":"claude-cli/{rel.version}","entrypoint":"cli"}},{dev.head()},'
                f'"prompt_tokens":{pt},"completion_tokens":{ct},"cost":{money(priced("claude-haiku-4-5", pt, ct, 0, 0))},'
                f'"latency":{rng.uniform(0.3, 1.5):.3f},"status_code":200,"prompt_messages":{DUMP(msgs)},'
                f'"completion_message":{DUMP(out)}}}')

    def codex_session(self, dev):
        rng, text = self.rng, self.text
        days = (dev.at - self.start).total_seconds() / 86400
        rel = self.codex[1 if days >= dev.upgrades[1] else 0]
        model = "gpt-5-codex" if rng.random() < 0.7 else "gpt-5.5"
        session = uuid(rng)
        cwd = f"/home/{dev.name}/src/{dev.repo}"
        items = [
            {"role": "system", "content": rel.instructions},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text":
             f"<environment_context>\n  <cwd>{cwd}</cwd>\n  <approval_policy>on-request</approval_policy>\n"
             "  <sandbox_mode>workspace-write</sandbox_mode>\n  <network_access>restricted</network_access>\n"
             "  <shell>bash</shell>\n</environment_context>"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text",
                                                              "text": text.prose(rng, rng.randint(60, 500))}]}]
        emit = f'"model":"{model}","provider_id":"openai","log_type":"response","stream":true,' \
               f'"thread_identifier":"{session}","metadata":{{"client":"codex_cli_rs/{rel.version}"}}'
        at = dev.at
        turns = max(1, min(int(rng.expovariate(1 / 2.5)) + 1, 12))
        prev = 0
        for turn in range(turns):
            body = f'"tools":{rel.tools_json},"input":{DUMP(DUMP(items))}'
            ended = turn == turns - 1
            reasoning = {"type": "reasoning", "summary": [{"type": "summary_text", "text": text.prose(rng, 200)}],
                         "encrypted_content": "gAAAAA" + base64.b64encode(rng.randbytes(rng.randint(600, 1500))).decode()}
            call_id = "call_" + base64.b32encode(rng.randbytes(15)).decode()[:24]
            path_no = rng.randint(0, 60)
            if ended:
                out = [reasoning, {"type": "message", "role": "assistant",
                                   "content": [{"type": "output_text", "text": text.prose(rng, rng.randint(100, 800))}]}]
            else:
                out = [reasoning, {"type": "function_call", "name": "shell", "call_id": call_id, "arguments": DUMP(
                    {"command": ["bash", "-lc", f"sed -n '1,200p' src/mod_{path_no}.py"], "workdir": cwd})}]
            prompt_tokens = len(body) // 4
            completion_tokens = rng.randint(40, 900)
            hit = prev if turn else 0
            cost = priced(model, prompt_tokens, completion_tokens, hit, 0)
            latency = rng.uniform(1.5, 20)
            start, at = at, at + datetime.timedelta(seconds=latency)
            if rng.random() < 0.008:
                yield from self.storm(dev, at, emit, body)
                return
            head = (f'{{"unique_id":"{uuid(rng)}","timestamp":"{iso(at)}","start_time":"{iso(start)}",'
                    f'{emit},{dev.head()},"prompt_tokens":{prompt_tokens},"completion_tokens":{completion_tokens},'
                    f'"prompt_cache_hit_tokens":{hit},"cost":{money(cost)},"latency":{latency:.3f},'
                    f'"ttft":{rng.uniform(0.5, 2.5):.3f},"status_code":200,')
            yield at, head + body + ',"output":' + DUMP(DUMP(out)) + "}"
            prev = prompt_tokens
            items.extend(out)
            if ended:
                break
            source = self.source(dev, path_no)[: rng.randint(500, 3000)]
            items.append({"type": "function_call_output", "call_id": call_id, "output": DUMP(
                {"output": source, "metadata": {"exit_code": 0, "duration_seconds": round(rng.uniform(0, 0.3), 1)}})})
            at += datetime.timedelta(seconds=rng.uniform(1, 30))
        dev.at = at

    def small_thread(self, dev):
        """A chat app's thread: each log resends the thread so far; 30% in the input/output form."""
        rng, text = self.rng, self.text
        model = rng.choice(("gpt-5-mini", "gpt-5-mini", "claude-haiku-4-5", "gpt-5.5"))
        system = rng.choice(self.small_systems)
        thread = uuid(rng)
        string_form = rng.random() < 0.3
        msgs = [{"role": "system", "content": system}]
        at = dev.at
        for turn in range(max(1, min(int(rng.expovariate(1 / 2.5)) + 1, 10))):
            msgs.append({"role": "user", "content": text.prose(rng, rng.randint(30, 200))})
            answer = {"role": "assistant", "content": text.prose(rng, rng.randint(50, 320))}
            pt, ct = len(DUMP(msgs)) // 4, len(answer["content"]) // 4
            latency = rng.uniform(0.4, 6)
            at += datetime.timedelta(seconds=latency)
            if string_form:
                body = f'"input":{DUMP(DUMP(msgs))},"output":{DUMP(DUMP(answer))}'
            else:
                body = f'"prompt_messages":{DUMP(msgs)},"completion_message":{DUMP(answer)}'
            yield at, (f'{{"unique_id":"{uuid(rng)}","timestamp":"{iso(at)}","model":"{model}",'
                       f'"customer_identifier":"{dev.name}","organization_key_id":"{dev.key_id}",'
                       f'"organization_key_name":"{dev.key_name}","prompt_tokens":{pt},"completion_tokens":{ct},'
                       f'"cost":{money(priced(model, pt, ct, 0, 0))},"latency":{latency:.3f},"status_code":200,'
                       f'"thread_identifier":"{thread}",{body}}}')
            msgs.append(answer)
            at += datetime.timedelta(seconds=rng.uniform(5, 120))
        dev.at = at

    def session(self, dev):
        if self.kind == "small":
            return self.small_thread(dev)
        if self.kind == "claude" or dev.client == "claude":
            return self.claude_session(dev)
        if dev.client == "codex":
            return self.codex_session(dev)
        return self.claude_session(dev) if self.rng.random() < 0.5 else self.codex_session(dev)

    def logs(self):
        """Every developer's sessions interleaved in time order: one pending log a developer in a heap."""
        heap, sessions = [], [None] * len(self.devs)

        def advance(i):
            dev = self.devs[i]
            while True:
                if sessions[i] is None:
                    sessions[i] = self.session(dev)
                pending = next(sessions[i], None)
                if pending is not None:
                    dev.last = pending[0]
                    heapq.heappush(heap, (pending[0], i, pending[1]))
                    return
                sessions[i] = None
                gap = self.rng.expovariate(1 / (5400 if self.kind != "small" else 600))
                dev.at = next_working_time(dev.last, self.rng, gap)

        for i, dev in enumerate(self.devs):
            dev.last = dev.at
            advance(i)
        while True:
            _, i, line = heapq.heappop(heap)
            yield line
            advance(i)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=("agents", "claude", "small"))
    size = ap.add_mutually_exclusive_group(required=True)
    size.add_argument("--mb", type=float, help="stop after this many MB (10^6 bytes)")
    size.add_argument("--logs", type=int, help="stop after this many logs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", default="2026-11-02", help="first working day (default 2026-11-02)")
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args(argv)
    start = datetime.datetime.fromisoformat(a.start).replace(hour=8, minute=30)
    corpus = Corpus(a.seed, a.kind, start)
    limit_bytes = int(a.mb * 1e6) if a.mb else None
    out = sys.stdout if a.output == "-" else open(a.output, "w", encoding="utf-8")
    written = n = 0
    buf = []
    for line in corpus.logs():
        buf.append(line)
        written += len(line) + 1
        n += 1
        if len(buf) >= 256:
            out.write("\n".join(buf) + "\n")
            buf.clear()
        if (limit_bytes and written >= limit_bytes) or (a.logs and n >= a.logs):
            break
    if buf:
        out.write("\n".join(buf) + "\n")
    if out is not sys.stdout:
        out.close()
    print(f"gen_corpus: {n} logs, {written} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
