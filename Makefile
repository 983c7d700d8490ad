# tollgate: one binary, build/tollgate. `make test` runs everything under
# AddressSanitizer and UBSan; `make demo` opens it on a synthetic history.

CC       ?= gcc
PREFIX   ?= /usr/local
DESTDIR  ?=
PKGS     := sqlite3 libcjson libzstd libcrypto libmicrohttpd libcurl ncursesw
DEB_PKGS := build-essential pkg-config libsqlite3-dev libcjson-dev libzstd-dev libssl-dev \
            libcurl4-openssl-dev libmicrohttpd-dev libncurses-dev libcmocka-dev sqlite3 python3 tmux bsdutils openssl

VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0-dev)
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wwrite-strings -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Icore -Itui \
             -DTOLLGATE_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsqlite3 -lcjson -lzstd -lcrypto -lmicrohttpd -lcurl -lncursesw) -lm -lpthread
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

CORE_SRC := $(wildcard core/*.c)
TUI_SRC  := $(wildcard tui/*.c)
ASM_SRC  := core/pricing_builtin.S
UNIT_SRC := $(wildcard tests/unit/test_*.c)

OBJ      := $(CORE_SRC:%.c=build/obj/%.o) $(TUI_SRC:%.c=build/obj/%.o) build/obj/core/pricing_builtin.o
SAN_CORE := $(CORE_SRC:%.c=build/asan/%.o) build/asan/core/pricing_builtin.o
SAN_OBJ  := $(SAN_CORE) $(TUI_SRC:%.c=build/asan/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)

.PHONY: all test unit demo bench fuzz install uninstall clean deps

all: build/tollgate

build/tollgate: $(OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $(OBJ) $(LDLIBS)

build/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

build/obj/core/pricing_builtin.o: core/pricing_builtin.S assets/pricing.json
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

# Sanitised build used by the tests.
build/asan/tollgate: $(SAN_OBJ)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $(SAN_OBJ) $(LDLIBS)

build/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -MMD -MP -c $< -o $@

build/asan/core/pricing_builtin.o: core/pricing_builtin.S assets/pricing.json
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

build/asan/tests/%: tests/unit/%.c $(SAN_CORE)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -o $@ $< $(SAN_CORE) $(LDLIBS) -lcmocka

unit: $(UNIT_BIN)

test: build/asan/tollgate $(UNIT_BIN)
	@bash tests/run.sh

# Opens the screens on a synthetic month of team traffic (the spend report
# when there is no terminal).
demo: build/tollgate
	@rm -f build/demo.db build/demo.db-wal build/demo.db-shm
	build/tollgate --db build/demo.db demo
	@if [ -t 0 ] && [ -t 1 ]; then build/tollgate --db build/demo.db; \
	 else build/tollgate --db build/demo.db report --by developer; fi

build/bench/baseline: bench/baseline.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LDLIBS)

build/bench/loadgen: bench/loadgen.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -lpthread

build/bench/storebench: bench/storebench.c $(CORE_SRC:%.c=build/obj/%.o) build/obj/core/pricing_builtin.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

bench: build/tollgate build/bench/baseline build/bench/loadgen build/bench/storebench
	bash bench/run.sh
	bash bench/collector.sh

# libFuzzer on the log parser, the array splitter, time arguments and the
# sanitiser (needs clang); FUZZ_SECONDS=60 by default. Not part of `make test`.
FUZZ_SECONDS ?= 60
FUZZ_SRC := tests/fuzz/fuzz_log.c core/logmodel.c core/jsonsplit.c core/sanitize.c core/timeutil.c \
            core/utf8.c core/strbuf.c core/money.c core/redact.c
fuzz:
	@mkdir -p build/fuzz/corpus
	clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Icore $(FUZZ_SRC) \
	    -lcjson -lcrypto -lm -o build/fuzz/fuzz_log
	cp tests/data/*.json* build/fuzz/corpus/
	build/fuzz/fuzz_log -max_total_time=$(FUZZ_SECONDS) -max_len=4096 build/fuzz/corpus

install: build/tollgate
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/tollgate
	install -m 0755 build/tollgate $(DESTDIR)$(PREFIX)/bin/tollgate
	install -m 0644 assets/pricing.json $(DESTDIR)$(PREFIX)/share/tollgate/pricing.json
	install -m 0644 assets/tollgate-collect.service $(DESTDIR)$(PREFIX)/share/tollgate/tollgate-collect.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/tollgate
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

-include $(OBJ:.o=.d) $(SAN_OBJ:.o=.d)
