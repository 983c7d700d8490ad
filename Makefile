# tollgate: one binary, build/tollgate. `make test` runs everything under
# AddressSanitizer and UBSan, and the threaded tests again under
# ThreadSanitizer (`make tsan`); `make demo` opens it on a synthetic history.

CC       ?= gcc
PREFIX   ?= /usr/local
DESTDIR  ?=
PKGS     := sqlite3 libcjson libzstd libcrypto libmicrohttpd libcurl ncursesw
DEB_PKGS := build-essential pkg-config libsqlite3-dev libcjson-dev libzstd-dev libssl-dev \
            libcurl4-openssl-dev libmicrohttpd-dev libncurses-dev libcmocka-dev sqlite3 python3 tmux bsdutils openssl \
            clang libclang-rt-14-dev libtsan2

VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0-dev)
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wwrite-strings -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Icore -Itui \
             -DTOLLGATE_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsqlite3 -lcjson -lzstd -lcrypto -lmicrohttpd -lcurl -lncursesw) -lm -lpthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TSAN     := -fsanitize=thread -fno-omit-frame-pointer

CORE_SRC := $(wildcard core/*/*.c)
TUI_SRC  := $(wildcard tui/*.c tui/*/*.c)
ASM_SRC  := core/log/pricing_builtin.S
UNIT_SRC := $(wildcard tests/unit/test_*.c)

OBJ      := $(CORE_SRC:%.c=build/obj/%.o) $(TUI_SRC:%.c=build/obj/%.o) build/obj/core/log/pricing_builtin.o
SAN_CORE := $(CORE_SRC:%.c=build/asan/%.o) build/asan/core/log/pricing_builtin.o
SAN_OBJ  := $(SAN_CORE) $(TUI_SRC:%.c=build/asan/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
TSAN_CORE := $(CORE_SRC:%.c=build/tsan/%.o) build/tsan/core/log/pricing_builtin.o
TSAN_OBJ := $(TSAN_CORE) $(TUI_SRC:%.c=build/tsan/%.o)
# the unit tests whose code runs threads: the parsing threads of import, the
# connection sweeper, the JSON arena shared between threads
TSAN_UNIT := build/tsan/tests/test_ingest build/tsan/tests/test_conntrack build/tsan/tests/test_jsonarena build/tsan/tests/test_abuse_limits

.PHONY: all test unit tsan demo bench bench-agents bench-agents-build bench-latency fuzz fuzz-build fuzz-smoke install uninstall clean deps e2e e2e-clients

# The man page and the shell completion, written by the binary from its own
# command table (the one --help prints), so they never drift from it.
DOCS     := build/share/tollgate.1 build/share/tollgate.bash build/share/_tollgate

all: build/tollgate $(DOCS)

build/share/tollgate.1: build/tollgate
	@mkdir -p $(dir $@)
	build/tollgate --help-man > $@.tmp && mv $@.tmp $@

build/share/tollgate.bash: build/tollgate
	@mkdir -p $(dir $@)
	build/tollgate completion bash > $@.tmp && mv $@.tmp $@

build/share/_tollgate: build/tollgate
	@mkdir -p $(dir $@)
	build/tollgate completion zsh > $@.tmp && mv $@.tmp $@

build/tollgate: $(OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJ) $(LDLIBS)

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

build/obj/core/log/pricing_builtin.o: core/log/pricing_builtin.S assets/pricing.json
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

# Sanitised build used by the tests.
build/asan/tollgate: $(SAN_OBJ)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $(SAN_OBJ) $(LDLIBS)

build/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -MMD -MP -c $< -o $@

build/asan/core/log/pricing_builtin.o: core/log/pricing_builtin.S assets/pricing.json
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

build/asan/tests/%: tests/unit/%.c $(SAN_CORE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -o $@ $< $(SAN_CORE) $(LDLIBS) -lcmocka

unit: $(UNIT_BIN)

# ThreadSanitizer build: tests/run.sh runs the threaded tests against it (the
# collector and its writer, the checkpointer, import, the screens' indexer and
# revoke job).
build/tsan/tollgate: $(TSAN_OBJ)
	$(CC) $(ALL_CFLAGS) $(TSAN) -o $@ $(TSAN_OBJ) $(LDLIBS)

build/tsan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TSAN) -O1 -MMD -MP -c $< -o $@

build/tsan/core/log/pricing_builtin.o: core/log/pricing_builtin.S assets/pricing.json
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

build/tsan/tests/%: tests/unit/%.c $(TSAN_CORE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TSAN) -O1 -o $@ $< $(TSAN_CORE) $(LDLIBS) -lcmocka

tsan: build/tsan/tollgate $(TSAN_UNIT)

test: build/asan/tollgate $(UNIT_BIN) build/tsan/tollgate $(TSAN_UNIT)
	@bash tests/run.sh

# The end-to-end test with the real coding agents (tests/e2e, docs/e2e.md): the
# clients come from npm at the versions in tests/e2e/package-lock.json, installed
# once into tests/e2e/node_modules (git-ignored, kept between runs) and again
# only when the lock file changes. `npm install` with the lock, not `npm ci`:
# npm 11's ci refuses this lock for want of the other platforms' optional
# opencode binaries, which install never needs. `make test` runs it too when npm is here.
E2E_STAMP := tests/e2e/node_modules/.package-lock.json

$(E2E_STAMP): tests/e2e/package.json tests/e2e/package-lock.json
	@echo "e2e: npm install in tests/e2e (the pinned clients, ~1 GB the first time)"
	@cd tests/e2e && npm install --no-save --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

e2e-clients: $(E2E_STAMP)

e2e: build/asan/tollgate $(E2E_STAMP)
	@python3 tests/e2e/e2e_test.py

ifneq ($(shell command -v npm 2>/dev/null),)
test: $(E2E_STAMP)
endif

# Opens the screens on a synthetic month of team traffic (the spend report
# when there is no terminal).
demo: build/tollgate
	@rm -f build/demo.db build/demo.db-wal build/demo.db-shm
	build/tollgate --db build/demo.db demo
	@if [ -t 0 ] && [ -t 1 ]; then build/tollgate --db build/demo.db; \
	 else build/tollgate --db build/demo.db report --by developer; fi

build/bench/floor: bench/floor.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS)

build/bench/nullserver: bench/nullserver.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS)

# DuckDB, the peer bench/agents.py measures against (pinned in bench/package-lock.json)
bench/node_modules/.package-lock.json: bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund

build/bench/loadgen: bench/loadgen.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -lpthread

build/bench/storebench: bench/storebench.c $(CORE_SRC:%.c=build/obj/%.o) build/obj/core/log/pricing_builtin.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

build/bench/rebuildbench: bench/rebuildbench.c $(CORE_SRC:%.c=build/obj/%.o) build/obj/core/log/pricing_builtin.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# every stored body, in request order, to compare byte for byte with the imported file
build/bench/bodycheck: bench/bodycheck.c $(CORE_SRC:%.c=build/obj/%.o) build/obj/core/log/pricing_builtin.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

build/bench/redactbench: bench/redactbench.c $(CORE_SRC:%.c=build/obj/%.o) build/obj/core/log/pricing_builtin.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

build/bench/threadsbench: bench/threadsbench.c $(CORE_SRC:%.c=build/obj/%.o) build/obj/core/log/pricing_builtin.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

bench: build/tollgate build/bench/floor build/bench/loadgen build/bench/storebench build/bench/redactbench build/bench/threadsbench build/bench/rebuildbench build/bench/bodycheck
	bash bench/run.sh
	bash bench/collector.sh

# Agent-shaped traffic against floors and peers, side by side in one run on the
# same file (bench/agents.py; docs/benchmarks.md has the figures). Not part of
# `make test`: minutes, and it wants a machine not running the test suite.
BENCH_MB    ?= 200
BENCH_SMALL ?= 1000000
bench-agents-build: build/tollgate build/bench/floor build/bench/loadgen build/bench/nullserver \
                    build/bench/storebench build/bench/rebuildbench \
                    bench/node_modules/.package-lock.json

bench-agents: bench-agents-build
	python3 bench/agents.py agents --mb $(BENCH_MB)
	python3 bench/agents.py small --logs 50000
	python3 bench/agents.py small --logs $(BENCH_SMALL) --no-index
	python3 bench/agents.py collector --mb $(BENCH_MB)
	python3 bench/agents.py collector --logs $(BENCH_SMALL) --batch 100

# The rest of issue 14's "done when": rebuild latency of agent-sized requests at
# 1M requests, and report and screen latencies at 10M (dbs built once, niced,
# and kept in bench/out/; docs/benchmarks.md says how long that takes).
bench-latency: build/tollgate build/bench/rebuildbench build/bench/storebench
	python3 bench/rebuild.py
	bash bench/scale.sh latency 10000000

# libFuzzer harnesses (tests/fuzz/fuzz_*.c, needs clang): `make fuzz` runs each
# in turn for FUZZ_SECONDS on a copy of its seed corpus under build/fuzz/work, so the
# repo is never written; `make fuzz-smoke` runs each briefly and replays
# tests/fuzz/regressions/. Core is built with the fuzzer's coverage and ASan/UBSan.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# the migrations are SQL split over string literals on purpose: clang alone warns
FUZZ_CFLAGS   = -std=c17 -D_GNU_SOURCE $(WARN) -Wno-string-concatenation -g -O1 $(FUZZ_SAN) -Icore \
                $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_NAMES   := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN     := $(FUZZ_NAMES:%=build/fuzz/%)
FUZZ_CORE    := $(CORE_SRC:%.c=build/fuzz/obj/%.o) build/fuzz/obj/core/log/pricing_builtin.o
# objects, not intermediates: make would delete and rebuild them on every run
.SECONDARY: $(FUZZ_CORE)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

build/fuzz/obj/core/log/pricing_builtin.o: core/log/pricing_builtin.S assets/pricing.json
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -c $< -o $@

build/fuzz/%: tests/fuzz/%.c $(FUZZ_CORE)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_CORE) $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

# `make test` replays the regression inputs and fuzzes briefly when clang is here.
ifneq ($(shell command -v $(FUZZ_CC) 2>/dev/null),)
test: $(FUZZ_BIN)
endif

# FUZZ=fuzz_gateway picks harnesses; FUZZ_RUNS=N stops each after N inputs.
FUZZ_RUNS ?= -1
# an input that takes this long is a finding (a hang), not a slow input
FUZZ_TIMEOUT ?= 60
FUZZ      ?= $(FUZZ_NAMES)
fuzz: $(FUZZ:%=build/fuzz/%)
	@for f in $(FUZZ); do \
	  rm -rf build/fuzz/work/$$f; mkdir -p build/fuzz/work/$$f build/fuzz/artifacts; \
	  cp tests/fuzz/corpus/$$f/* build/fuzz/work/$$f/; \
	  echo "== $$f: $(FUZZ_SECONDS) s"; \
	  nice -n 19 build/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -runs=$(FUZZ_RUNS) -timeout=$(FUZZ_TIMEOUT) -dict=tests/fuzz/$$f.dict \
	      -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/$$f- build/fuzz/work/$$f || exit 1; \
	done

fuzz-smoke: $(FUZZ_BIN)
	@bash tests/fuzz/smoke.sh

install: build/tollgate $(DOCS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/tollgate $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	install -m 0755 build/tollgate $(DESTDIR)$(PREFIX)/bin/tollgate
	install -m 0644 build/share/tollgate.1 $(DESTDIR)$(PREFIX)/share/man/man1/tollgate.1
	install -m 0644 build/share/tollgate.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/tollgate
	install -m 0644 build/share/_tollgate $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_tollgate
	install -m 0644 assets/pricing.json $(DESTDIR)$(PREFIX)/share/tollgate/pricing.json
	install -m 0644 assets/tollgate-collect.service $(DESTDIR)$(PREFIX)/share/tollgate/tollgate-collect.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tollgate $(DESTDIR)$(PREFIX)/share/man/man1/tollgate.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/tollgate $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_tollgate
	rm -rf $(DESTDIR)$(PREFIX)/share/tollgate

clean:
	rm -rf build

# Installs the Debian packages the build and tests need, with sudo when not root.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all installed"; exit 0; fi; \
	sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	echo "deps: installing$$missing"; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing

-include $(OBJ:.o=.d) $(SAN_OBJ:.o=.d) $(TSAN_OBJ:.o=.d) $(FUZZ_CORE:.o=.d)
