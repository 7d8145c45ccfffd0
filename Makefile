# lmm — linear mixed models inside SQLite.
#   make            build/lmm.so (load it with `.load build/lmm`)
#   make test       install what is missing, build, run every test
#   make demo       the Arabidopsis tutorial in the sqlite3 shell
#   make bench      speed against a bare scan (and lme4 when R is installed)
#   make clean

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -fPIC -I/usr/include/x86_64-linux-gnu
LDLIBS  = -llapacke -lopenblas -lnlopt -lRmath -lm -lpthread
BUILD   = build

CORE_SRC = $(wildcard core/*.c)
EXT_SRC  = $(wildcard ext/*.c)
CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/%.o)
EXT_OBJ  = $(EXT_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC = $(wildcard tests/unit/*.c)

# Debian packages the build and the tests need
DEPS_PKGS = libsqlite3-dev sqlite3 liblapacke-dev libopenblas-dev libnlopt-dev r-mathlib python3
DEPS_STAMP = $(BUILD)/.deps

all: $(BUILD)/lmm.so

$(DEPS_STAMP):
	@mkdir -p $(BUILD)
	@missing=""; for p in $(DEPS_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi
	@touch $@

deps: $(DEPS_STAMP)

$(BUILD)/%.o: %.c $(wildcard core/*.h ext/*.h) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/lmm.so: $(CORE_OBJ) $(EXT_OBJ)
	$(CC) -shared -o $@ $^ $(LDLIBS)

$(BUILD)/unit_tests: $(UNIT_SRC) $(CORE_OBJ)
	$(CC) $(CFLAGS) -Icore -o $@ $(UNIT_SRC) $(CORE_OBJ) $(LDLIBS)

test: $(BUILD)/lmm.so $(BUILD)/unit_tests
	$(BUILD)/unit_tests
	/usr/bin/python3 tests/sql/run_tests.py $(BUILD)/lmm

demo: $(BUILD)/lmm.so
	@rm -f $(BUILD)/demo.db
	sqlite3 $(BUILD)/demo.db < tests/data/load.sql
	sqlite3 -box $(BUILD)/demo.db < sql/arabidopsis.sql

clean:
	rm -rf $(BUILD)

.PHONY: all deps test demo clean
