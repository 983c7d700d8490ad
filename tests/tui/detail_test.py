#!/usr/bin/env python3
"""A request's detail as a pager, driven in tmux on a Claude-Code-shaped log of
about 120 KB: three system blocks (27 KB), 24 tools (81 KB), reminder blocks,
tool_use / tool_result; and the ? screen wrapped and scrolled."""
import json
import os
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # tests/: the shared harness
from harness import BIN, WAIT_S, expect, main, wait_screen  # noqa: E402

NOW = "2026-11-24T10:00:00Z"
TOOL_NAMES = ["Read", "Write", "Edit", "MultiEdit", "Bash", "BashOutput", "KillShell", "Glob", "Grep", "LS",
              "NotebookEdit", "WebFetch", "WebSearch", "TodoWrite", "Task", "ExitPlanMode", "SlashCommand",
              "ListMcpResources", "ReadMcpResource", "AskUser", "Skill", "Diagnostics", "Format", "Commit"]
LONG_SENTENCE = ("When the user asks for a change, read the files involved first, keep the change as small as the "
                 "task allows, run the tests that cover it, and report what you changed in plain words ENDOFLONGLINE")


def paragraph(seed, size):
    words = ("the agent reads files edits code runs tests and reports results to the developer who asked "
             "about the failing build in the payment service").split()
    out, i = [], seed
    while sum(len(w) + 1 for w in out) < size:
        out.append(words[i % len(words)])
        i += 7
        if i % 13 == 0:
            out.append("\n")
    return " ".join(out)


def system_blocks():
    first = "You are Claude Code, Anthropic's official CLI for Claude.\n" + LONG_SENTENCE + "\n" + paragraph(1, 2800)
    return [{"type": "text", "text": first},
            {"type": "text", "text": "# Tone and style\n" + paragraph(2, 12000)},
            {"type": "text", "text": "# Doing tasks\n" + paragraph(3, 12000), "cache_control": {"type": "ephemeral"}}]


def tools():
    out = []
    for i, name in enumerate(TOOL_NAMES):
        out.append({"name": name,
                    "description": f"TOOLDESC-{name}: " + paragraph(i, 2900),
                    "input_schema": {"type": "object", "properties": {
                        "file_path": {"type": "string", "description": "The absolute path " + paragraph(i, 120)},
                        "limit": {"type": "number", "description": "How many lines"}},
                        "required": ["file_path"]}})
    return out


def messages(turn):
    reminder = "<system-reminder>\n" + paragraph(9, 3500) + "\n</system-reminder>"
    msgs = [{"role": "system", "content": system_blocks()},
            {"role": "user", "content": [{"type": "text", "text": reminder},
                                         {"type": "text", "text": "the payment tests fail, please look"}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "I will read the app first."},
                {"type": "tool_use", "id": "toolu_01", "name": "Read", "input": {"file_path": "src/app.py"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_01",
                                          "content": "def pay(amount):\n\tif amount < 0:\n\t\traise ValueError()\n"
                                                     "\treturn charge(amount)\n"}]}]
    if turn >= 2:
        msgs += [{"role": "assistant", "content": [
                     {"type": "tool_use", "id": "toolu_02", "name": "Bash",
                      "input": {"command": "pytest -q tests/test_pay.py", "timeout": 120000}}]},
                 {"role": "user", "content": [
                     {"type": "tool_result", "tool_use_id": "toolu_02", "content": "1 failed, 4 passed"},
                     {"type": "text", "text": "<system-reminder>\n" + paragraph(4, 3500) + "\n</system-reminder>"},
                     {"type": "text", "text": "now fix the failing test NEEDLE-42 please"}]}]
    return msgs


def agent_log(turn):
    return {
        "unique_id": f"agent-turn-{turn}", "timestamp": f"2026-11-24T09:5{turn}:00Z", "model": "claude-sonnet-4-5",
        "customer_identifier": "agent-dev", "organization_key_name": "agent-key", "thread_identifier": "thread-agent",
        "prompt_tokens": 40000, "completion_tokens": 900, "prompt_cache_hit_tokens": 30000,
        "prompt_cache_creation_tokens": 2000, "cost": 0.0512, "latency": 8.5,
        "tools": tools(), "prompt_messages": messages(turn),
        "completion_message": {"role": "assistant", "content": [
            {"type": "text", "text": "The check for zero is missing; fixing it."},
            {"type": "tool_use", "id": "toolu_03", "name": "Edit",
             "input": {"file_path": "src/app.py", "old_string": "if amount < 0:", "new_string": "if amount <= 0:"}}]},
    }


class Tui:
    def __init__(self, d, width=80, height=24, env=None, record=None):
        self.dir = d
        self.db = os.path.join(d, "t.db")
        self.sock = f"tgd-{os.getpid()}-{time.monotonic_ns()}"
        if not os.path.exists(self.db):
            prepare(self.db)
        envs = " ".join(f"{k}={v}" for k, v in {"TOLLGATE_NOW": NOW, "LANG": "C.UTF-8", "TERM": "xterm-256color",
                                                  "TMPDIR": d, **(env or {})}.items())
        cmd = f"env {envs} {BIN} --db {self.db}"
        if record:  # every byte written to the terminal, into a file
            cmd = f"script -q -e -f -c '{cmd}' {record}"
        self.tmux("new-session", "-d", "-c", d, "-x", str(width), "-y", str(height), cmd)
        self.wait_for("help")

    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null", *args], capture_output=True, text=True,
                              timeout=30)

    def keys(self, *keys):
        self.tmux("send-keys", *keys)

    def screen(self, escapes=False):
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else [])).stdout

    def wait_until(self, predicate, what, timeout=WAIT_S, escapes=False):
        s = wait_screen(lambda: self.screen(escapes), predicate, timeout)
        if s is None:
            raise AssertionError(f"never {what}:\n{self.screen()}")
        return s

    def wait_for(self, text, timeout=WAIT_S):
        return self.wait_until(lambda s: text in s, f"showed {text!r}", timeout)

    def close(self):
        self.keys("Escape")
        self.keys("q")
        time.sleep(0.2)
        self.tmux("kill-server")

    def open_agent_request(self):
        """The newest request of the agent's thread, from Requests."""
        self.keys("5")
        self.wait_for("LATNCY")
        self.keys("/", "thread:thread-agent", "Enter")
        self.wait_for("/thread:thread-agent |")
        self.keys("Enter")
        return self.wait_for("now fix the failing test")


def prepare(db):
    env = dict(os.environ, TOLLGATE_NOW=NOW)
    subprocess.run([BIN, "--db", db, "demo", "--requests", "300"], check=True, env=env, capture_output=True)
    lines = "".join(json.dumps(agent_log(t)) + "\n" for t in (1, 2))
    expect(90_000 < len(json.dumps(agent_log(2))) < 150_000, len(json.dumps(agent_log(2))))
    p = subprocess.run([BIN, "--db", db, "import", "-"], input=lines.encode(), env=env, capture_output=True)
    expect(p.returncode == 0, p.stderr)


def tui_test(**kw):
    def wrap(fn):
        def run(d):
            t = Tui(d, **kw)
            try:
                fn(t)
            finally:
                t.close()
        run.__name__ = fn.__name__
        return run
    return wrap


def body(screen):
    return screen.splitlines()[1:-1]


def fits(screen, width):
    return all(len(line) <= width for line in screen.splitlines())


def read_system_prompt(t, width):
    s = t.open_agent_request()
    # the last user message and the response are in view; the rest is folded
    expect("▾ user" in s and "RESPONSE" in s or "now fix the failing test" in s, s)
    expect("\\t" not in s, s)
    t.keys("g")
    s = t.wait_for("system 1/3")
    expect("same as in the previous request" in s, s)  # the system prompt did not change this turn
    expect("tools · 24 offered" in s, s)
    expect("▸ Read" in s or width < 100, s)  # the tools, one folded line each
    # open the first system block: wrapped to the width, nothing cut
    t.keys("/", "system 1/3", "Enter")
    t.wait_for("hit 1 of")
    t.keys("Enter")
    t.wait_for("You are Claude Code")
    # the frame after it (a capture can catch the terminal mid-repaint under load); cut, it never shows
    s = t.wait_for("ENDOFLONGLINE")
    expect(fits(s, width), s)
    return s


@tui_test(width=80, height=24)
def test_system_prompt_wrapped_at_80x24(t):
    read_system_prompt(t, 80)


@tui_test(width=200, height=60)
def test_system_prompt_wrapped_at_200x60(t):
    s = read_system_prompt(t, 200)
    long_rows = [l for l in body(s) if len(l.rstrip()) > 150]
    expect(long_rows, "at 200 columns the text uses the width:\n" + s)


@tui_test(width=100, height=40)
def test_tools_folded_then_expanded(t):
    t.open_agent_request()
    t.keys("g")
    s = t.wait_for("tools · 24 offered")
    expect("TOOLDESC-Grep" not in s, s)
    t.keys("/", "Grep ·", "Enter")
    s = t.wait_for("hit 1 of")
    expect("▸ Grep" in s and "TOOLDESC-Grep" not in s, s)
    t.keys("Enter")
    s = t.wait_for("TOOLDESC-Grep")
    expect("▾ Grep" in s, s)
    t.keys("/", '"file_path": {', "Enter")  # the schema, pretty-printed with spaces
    s = t.wait_for('"type": "string"')
    expect("\\t" not in s, s)
    t.keys("z")  # everything folded: one line per section
    s = t.wait_until(lambda s: "TOOLDESC-Grep" not in s and "▸ PROMPT" in s, "folded everything")
    t.keys("z")
    t.wait_until(lambda s: "▾ PROMPT" in s, "opened everything")


@tui_test(width=100, height=40)
def test_tool_calls_read_as_calls_without_tabs(t):
    s = t.open_agent_request()
    t.keys("/", "Read(", "Enter")
    s = t.wait_for('Read(file_path="src/app.py")')
    expect("\\t" not in s and "\t" not in s, s)
    # the result sits under its call, its tabs shown as spaces
    lines = s.splitlines()
    call = next(i for i, l in enumerate(lines) if 'Read(file_path="src/app.py")' in l)
    expect(any("result:" in l for l in lines[call + 1:call + 3]), s)
    expect(any("    if amount < 0:" in l for l in lines[call + 1:call + 6]), s)
    t.keys("/", "Bash(", "Enter")
    s = t.wait_for('Bash(command="pytest -q tests/test_pay.py", timeout=120000)')
    expect("1 failed, 4 passed" in s, s)


@tui_test(width=80, height=24)
def test_search_hit_is_highlighted(t):
    t.open_agent_request()
    t.keys("/", "NEEDLE-42", "Enter")
    t.wait_for("hit 1 of 1")
    s = t.wait_until(lambda s: "NEEDLE-42" in s, "showed the hit", escapes=True)
    line = next(l for l in s.splitlines() if "NEEDLE-42" in l)
    before = line[:line.index("NEEDLE-42")]
    expect("\x1b[4m" in before or "\x1b[43m" in before or ";43m" in before or ";4m" in before,
           "the hit is not highlighted: " + repr(line))
    t.keys("/", "no such text anywhere", "Enter")
    t.wait_for("not found: /no such text")


@tui_test(width=80, height=24)
def test_wrap_off_scrolls_sideways(t):
    t.open_agent_request()
    t.keys("g")
    t.wait_for("system 1/3")
    t.keys("/", "system 1/3", "Enter")
    t.wait_for("hit 1 of")
    t.keys("Enter")
    t.wait_for("ENDOFLONGLINE")
    t.keys("W")
    s = t.wait_for("wrap off")
    expect("ENDOFLONGLINE" not in s and "When the user asks" in s, s)
    t.keys("Right", "Right", "Right", "Right", "Right")
    s = t.wait_until(lambda s: "When the user asks" not in s, "scrolled right")
    t.keys("$")
    s = t.wait_for("ENDOFLONGLINE")
    t.keys("0")
    t.wait_for("When the user asks")
    expect(fits(t.screen(), 80), t.screen())


def copies(d):
    return sorted((os.path.join(d, f) for f in os.listdir(d) if f.startswith("tollgate-copy-")), key=os.path.getmtime)


@tui_test(width=160, height=30, env={"TOLLGATE_NO_OSC52": "1"})
def test_copy_writes_a_0600_file_without_osc52(t):
    t.open_agent_request()
    t.keys("y")
    s = t.wait_for("copied to ")
    expect(len(copies(t.dir)) == 1, os.listdir(t.dir))
    path = copies(t.dir)[0]
    expect(path in s.splitlines()[-1], s)
    expect(stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode))
    text = open(path, encoding="utf-8").read()
    expect("now fix the failing test NEEDLE-42" in text and "\x1b" not in text, text[:500])
    t.keys("Y")
    t.wait_until(lambda s: len(copies(t.dir)) == 2, "copied the whole request")
    whole = copies(t.dir)[1]
    expect(stat.S_IMODE(os.stat(whole).st_mode) == 0o600, oct(os.stat(whole).st_mode))
    text = open(whole, encoding="utf-8").read()
    expect("TOOLDESC-Commit" in text and "You are Claude Code" in text, text[:300])


def test_copy_through_osc52_only_on_the_key_and_base64(d):
    import base64
    import re
    raw = os.path.join(d, "raw.out")
    t = Tui(d, width=100, height=30, record=raw)
    try:
        t.open_agent_request()
        # the status bar's indexing progress adds output before the copy,
        # which the recording may not have flushed when tmux is killed
        t.wait_until(lambda s: "| search " not in s.splitlines()[-1], "indexing shown no more", timeout=60)
        t.keys("y")
        t.wait_for("to the clipboard (OSC 52")
    finally:
        t.keys("Escape")
        t.keys("q")
        time.sleep(0.3)
        t.tmux("kill-server")
    out = open(raw, "rb").read()
    found = re.findall(rb"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07", out)
    expect(len(found) == 1, f"{len(found)} OSC 52 sequences")
    text = base64.b64decode(found[0]).decode()
    expect("now fix the failing test NEEDLE-42" in text and "\x1b" not in text, text[:300])
    expect(not any(f for f in os.listdir(d) if f.startswith("tollgate-copy-")), os.listdir(d))


@tui_test(width=80, height=24)
def test_cost_is_split_with_its_price(t):
    t.open_agent_request()
    t.keys("g")
    s = t.wait_for("cost $0.051200 (from the gateway)")
    for part in ("input", "cache read", "cache write", "output"):
        expect(any(l.strip().startswith(part) and "/ 1M" in l for l in s.splitlines()), part + "\n" + s)
    expect("price: the pricing table, for claude-sonnet-4-5" in s, s)


def test_pager_gets_a_read_only_copy_removed_after(d):
    seen = os.path.join(d, "seen.txt")
    pager = os.path.join(d, "pager.sh")
    with open(pager, "w") as f:
        f.write(f'#!/bin/sh\nstat -c %a "$1" > {seen}\nhead -c 200 "$1" >> {seen}\n')
    os.chmod(pager, 0o755)
    t = Tui(d, env={"PAGER": pager})
    try:
        t.open_agent_request()
        t.keys("o")
        deadline = time.time() + 10
        while time.time() < deadline and not (os.path.exists(seen) and os.path.getsize(seen) > 10):
            time.sleep(0.05)
        text = open(seen).read()
        expect(text.startswith("400\n") and '"unique_id"' in text, text)
        t.wait_for("now fix the failing test")
        # the copy goes once the pager has exited and tollgate reaped it: the
        # screen above may be painted before that, so wait for it to go
        deadline = time.time() + 10
        while True:
            leftovers = [f for f in os.listdir(d) if f.startswith("tollgate-log-")]
            if not leftovers or time.time() > deadline:
                break
            time.sleep(0.05)
        expect(not leftovers, leftovers)
    finally:
        t.close()


def search_index_complete(db):
    import sqlite3
    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT position FROM sync_state WHERE source = 'search index'").fetchone()
        top = con.execute("SELECT max(id) FROM requests").fetchone()[0]
        return row is not None and int(row[0]) >= top
    finally:
        con.close()


@tui_test(width=80, height=24)
def test_free_text_search_opens_at_its_first_hit(t):
    t.keys("5")
    t.wait_for("LATNCY")
    t.wait_until(lambda s: search_index_complete(t.db), "indexed everything", timeout=60)
    t.keys("/", "NEEDLE-42", "Enter")
    t.wait_for("/NEEDLE-42 |")
    t.keys("Enter")
    s = t.wait_until(lambda s: "hit 1 of" in s and "NEEDLE-42" in s, "opened at the hit", escapes=True)
    line = next(l for l in s.splitlines() if "NEEDLE-42" in l)
    expect("\x1b[4m" in line or "43m" in line, repr(line))


@tui_test(width=80, height=24)
def test_help_wraps_and_scrolls_at_80x24(t):
    t.open_agent_request()
    t.keys("?")
    s = t.wait_for("Keys: Request")
    expect(fits(s, 80), s)
    expect("copy the section under the cursor" in s, s)
    # the long descriptions go on, wrapped under themselves, not cut at the edge
    lines = body(s)
    i = next(i for i, l in enumerate(lines) if "copy the section under the cursor" in l)
    expect(lines[i + 1].startswith(" " * 25) and lines[i + 1].strip(), s)
    expect("Keys: this help" not in s, s)
    t.keys("NPage")
    s = t.wait_for("Keys: this help")
    t.keys("x")  # any other key closes it
    t.wait_for("now fix the failing test")


if __name__ == "__main__":
    main("detail", globals())
