"""The layout is the design: each folder of core/ is a layer that includes only
the layers below it, and tui/ reaches SQL, the network and the terminal's
neighbours only through core/. These read the sources, so a change that
breaks the plan fails here, not in review."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, expect, main  # noqa: E402

# What each layer may include besides itself. gateway/ sits beside the store:
# it talks to the network and knows nothing of the db.
ALLOWED = {
    "base": set(),
    "log": {"base"},
    "store": {"base", "log"},
    "gateway": {"base"},
    "ingest": {"base", "log", "store"},
    "query": {"base", "log", "store"},
    "ops": {"base", "log", "store", "gateway", "ingest", "query"},
}
LAYERS = set(ALLOWED)
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# Long files say why in their opening comment, with this phrase.
LONG_FILE_LINES = 700
LONG_FILE_REASON = "Long on purpose:"


def sources(top, exts=(".c", ".h")):
    for folder, _, names in os.walk(os.path.join(ROOT, top)):
        for name in sorted(names):
            if name.endswith(exts):
                path = os.path.join(folder, name)
                yield os.path.relpath(path, ROOT), open(path, encoding="utf-8").read()


def test_core_has_only_layer_folders(d):
    entries = sorted(os.listdir(os.path.join(ROOT, "core")))
    expect(set(entries) == LAYERS, f"core/ holds {entries}, expected exactly the layers {sorted(LAYERS)}")


def test_each_layer_includes_only_layers_below(d):
    offenders, checked = [], 0
    for rel, text in sources("core"):
        layer = rel.split(os.sep)[1]
        for target in INCLUDE.findall(text):
            checked += 1
            parts = target.split("/")
            if len(parts) == 1:  # a sibling in the same folder: only a private header
                if not os.path.exists(os.path.join(ROOT, "core", layer, target)):
                    offenders.append(f"{rel}: #include \"{target}\" names no layer")
                continue
            if parts[0] not in LAYERS:
                offenders.append(f"{rel}: #include \"{target}\" is not under core/")
            elif parts[0] != layer and parts[0] not in ALLOWED[layer]:
                offenders.append(f"{rel}: {layer}/ includes {parts[0]}/ (\"{target}\"), a layer above or beside it")
    expect(checked > 100, f"only {checked} includes seen: the check is not reading the tree")
    expect(not offenders, "\n".join(offenders))


def test_core_never_includes_the_terminal(d):
    offenders = [rel for rel, text in sources("core") if re.search(r"#\s*include\s*<n?curses", text)]
    expect(not offenders, f"core/ includes ncurses: {offenders}")


def test_tui_never_talks_sql_or_network(d):
    offenders = []
    for rel, text in sources("tui"):
        for m in re.finditer(r"\b(sqlite3_\w+|curl_\w+|MHD_\w+)\s*\(", text):
            offenders.append(f"{rel}: {m.group(1)}")
        for m in re.finditer(r"#\s*include\s*<(sqlite3|curl/curl|microhttpd)\.h>", text):
            offenders.append(f"{rel}: includes <{m.group(1)}.h>")
    expect(not offenders, "\n".join(offenders))


def test_long_files_say_why(d):
    offenders = []
    for top in ("core", "tui"):
        for rel, text in sources(top):
            lines = text.count("\n")
            if lines > LONG_FILE_LINES and LONG_FILE_REASON not in text[:3000]:
                offenders.append(f"{rel}: {lines} lines")
    expect(not offenders, f"over {LONG_FILE_LINES} lines with no '{LONG_FILE_REASON}' in the header: {offenders}")


def test_every_c_file_has_its_header(d):
    missing = []
    for top in ("core", "tui"):
        for rel, _ in sources(top, (".c",)):
            if rel.endswith("main.c"):
                continue
            if not os.path.exists(os.path.join(ROOT, rel[:-2] + ".h")):
                missing.append(rel)
    expect(not missing, f"modules without a header of the same name: {missing}")


# The store's public headers; the rest of core/store (store_int.h and one
# header per subsystem) is private to it, as SQLite's sqliteInt.h is.
STORE_PUBLIC = {"store/store.h", "store/dbfault.h", "store/sqlbind.h", "store/chunkread.h"}


def test_only_the_store_sees_its_insides(d):
    offenders, seen = [], 0
    for top in ("core", "tui", "tests", "bench"):
        for rel, text in sources(top):
            if rel.startswith(os.path.join("core", "store") + os.sep):
                continue
            for target in INCLUDE.findall(text):
                if target.startswith("store/"):
                    seen += 1
                    if target not in STORE_PUBLIC:
                        offenders.append(f"{rel}: #include \"{target}\"")
    expect(seen > 10, f"only {seen} includes of store/ seen outside it: the check is not reading the tree")
    private = [name for name in os.listdir(os.path.join(ROOT, "core", "store"))
               if name.endswith(".h") and f"store/{name}" not in STORE_PUBLIC]
    expect("store_int.h" in private, f"core/store has no private header: {private}")
    expect(not offenders, "private store headers included outside core/store:\n" + "\n".join(offenders))


def test_every_header_opens_with_what_the_module_is_for(d):
    bare = [rel for top in ("core", "tui") for rel, text in sources(top, (".h",)) if not text.lstrip().startswith("/*")]
    expect(not bare, f"headers without an opening comment: {bare}")


if __name__ == "__main__":
    main("layers", globals())
