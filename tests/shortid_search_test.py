"""A search for a short piece of a log's own id (3 to 7 hex characters)
finds the request whose stored body no longer holds that id (schema 14
leaves a small log's UUIDs out of its bytes), as a piece of 8 or more
always did; a word or a number made of hex characters ("cafe", "5555") is
searched in the text only, not matched against every id."""
import json
import os
import subprocess

from harness import BIN, check_sanitizers, expect, main

NOW = "2026-11-24T12:00:00Z"
TARGET = "7c41d09e-5b3a-4e2f-9a6b-0d1c2e3f4a5b"
CAFE = "0000cafe-1111-4222-8333-444455556666"


def run(d, *args):
    env = dict(os.environ, HOME=d, XDG_CONFIG_HOME=os.path.join(d, "cfg"), TOLLGATE_NOW=NOW, USER="lead")
    p = subprocess.run([BIN, "--db", os.path.join(d, "s.db"), *args], capture_output=True, env=env, timeout=120)
    err = p.stderr.decode(errors="replace")
    check_sanitizers(err, " ".join(args))
    return p.returncode, p.stdout.decode(errors="replace"), err


def log(unique_id, minute, text):
    return json.dumps({"unique_id": unique_id, "timestamp": "2026-11-02T08:%02d:00Z" % minute, "model": "m",
                       "customer_identifier": "dev", "prompt_tokens": 1, "completion_tokens": 1, "cost": 0.001,
                       "prompt_messages": [{"role": "user", "content": text}]}, separators=(",", ":"))


def imported(d):
    lines = [log(TARGET, 1, "the deploy script fails on arm64"),
             log(CAFE, 2, "which port does the staging proxy use"),
             log("8f2e6a10-3b4c-4d5e-8f60-718293a4b5c6", 3, "the cafe menu lists 5555 dishes, a new decade theme")]
    path = os.path.join(d, "logs.jsonl")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    rc, out, err = run(d, "import", path)
    expect(rc == 0, f"import failed: {err}")


def search(d, text):
    rc, out, err = run(d, "index", "--search", text)
    expect(rc == 0, f"search {text!r} failed: {err}")
    return out


def test_short_pieces_of_an_id_left_out_find_its_request(d):
    imported(d)
    for piece in ["d09e", "7c41d", "5B3A", "4e2f-9a", "9a6"]:
        out = search(d, piece)
        expect(TARGET in out, f"{piece!r} does not find the request whose id holds it:\n{out}")
        expect(CAFE not in out, f"{piece!r} lists another request:\n{out}")


def test_words_and_numbers_are_searched_in_the_text_only(d):
    imported(d)
    for word in ["cafe", "5555", "decade"]:
        out = search(d, word)
        expect("8f2e6a10" in out, f"{word!r} does not find the text that holds it:\n{out}")
        expect(CAFE not in out and TARGET not in out, f"{word!r} was matched against the ids:\n{out}")


if __name__ == "__main__":
    main("shortidsearch", globals())
