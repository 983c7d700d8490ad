"""What the Python suites share: the sanitised binary, sanitizer checks, and a
runner that gives each test a fresh directory and ends with
"NAME: N passed, N failed" for tests/run.sh. TOLLGATE_BIN picks another binary
(tests/run.sh runs some tests against build/tsan/tollgate)."""
import os
import shutil
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("TOLLGATE_BIN", os.path.join(ROOT, "build/asan/tollgate"))
# How long a screen test waits for what it expects: generous, since ASan
# and the other suites share 2 cores, and a passing test never waits it out.
WAIT_S = 30


def wait_screen(capture, predicate, timeout=WAIT_S):
    """The first screen capture() gives that predicate accepts and that the
    capture 0.1 s before matched too, the status line aside: tmux may be
    caught mid-repaint, the line a test waits for drawn and the rest still
    the last screen's. None when none came in time."""
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        s = capture()
        if predicate(s):
            if last is not None and s.splitlines()[:-1] == last.splitlines()[:-1]:
                return s
            last = s
            time.sleep(0.1)
            continue
        last = None
        time.sleep(0.05)
    return None


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer")


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def check_sanitizers(text, what="the program"):
    for mark in SANITIZER_MARKS:
        if mark in text:
            raise AssertionError(f"sanitizer report from {what}:\n{text}")


def run_suite(name, namespace, argv):
    """Runs every test_* function in namespace (a module's globals()), each with
    a new temporary directory; argv filters by substring, and --shard=K/N runs
    only every Nth of those, from the Kth (tests/run.sh runs a long suite as
    N jobs side by side)."""
    shard = next((a for a in argv if a.startswith("--shard=")), None)
    argv = [a for a in argv if a != shard]
    tests = [(n, f) for n, f in sorted(namespace.items()) if n.startswith("test_") and callable(f)]
    tests = [(n, f) for n, f in tests if not argv or any(a in n for a in argv)]
    if shard:
        k, n = (int(x) for x in shard[len("--shard="):].split("/"))
        tests = tests[k - 1::n]
    passed = failed = 0
    for test_name, fn in tests:
        d = tempfile.mkdtemp(prefix=f"tg-{name}-")
        try:
            fn(d)
            passed += 1
            print(f"ok   {test_name}")
        except Exception:  # noqa: BLE001 - a failing test must not stop the others
            failed += 1
            print(f"FAIL {test_name}")
            traceback.print_exc(limit=4)
        finally:
            shutil.rmtree(d, ignore_errors=True)
    print(f"{name}: {passed} passed, {failed} failed")
    return 1 if failed else 0


def main(name, namespace):
    sys.exit(run_suite(name, namespace, sys.argv[1:]))
