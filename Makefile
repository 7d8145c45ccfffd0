# lmm — linear mixed models inside SQLite.
#   make            build/lmm.so (build/lmm.dylib on macOS, build/lmm.dll on Windows): `.load build/lmm`
#   make deps       install the libraries and tools lmm needs (Debian/Ubuntu: apt-get; elsewhere it names
#                   the packages missing, for Fedora's dnf and Homebrew)
#   make test       make deps (on Debian), build, run every test: unit, NIST, SQL (on Debian it first installs
#                   the hosts of the README's "Loading it": tests/loading/install.sh), the build's products
#                   (tests/build), the report in headless Chromium (check-report), then sanitize, alloc-fail,
#                   threads and fuzz-short (see below)
#   make demo       make deps (on Debian), then the Arabidopsis tutorial in the sqlite3 shell, and the same as one
#                   page with its figures: build/arabidopsis.html (sql/arabidopsis_report.sql)
#   make figures    the README's figures, docs/figures/*.svg (sql/readme_figures.sql)
#   make install    $(DESTDIR)$(PREFIX)/lib/sqlite3/lmm.so, PREFIX /usr/local: load it with
#                   `.load /usr/local/lib/sqlite3/lmm`; it needs the libraries make found (make uninstall)
#   make dist       build/dist/: lmm.so with OpenBLAS, LAPACKE and Rmath linked in, libnlopt.so.0 beside it;
#                   copy the folder into an application (Linux)
#   make bench      speed against a bare scan (and lme4 when R is installed)
#   make bench-compare OLD=dir/lmm.so   this build against an older one, fits alternating
#   make clean
# make runs no package manager: mk/deps.sh finds OpenBLAS, LAPACKE, NLopt, Rmath and SQLite's headers (the
# compiler's paths, pkg-config, /usr/local, Homebrew, MacPorts), and names a missing one with its package.
# CC, CFLAGS, CPPFLAGS, LDFLAGS, LDLIBS, PREFIX and DESTDIR are honoured; the flags lmm needs (-std=c11,
# -fPIC, the libraries' -I and -l) are added whatever they say.

CC         ?= cc
CFLAGS     ?= -O2 -g
PREFIX     ?= /usr/local
PKG_CONFIG ?= pkg-config
BUILD       = build

# the library's suffix, and how the linker exports sqlite3_lmm_init alone
ifeq ($(OS),Windows_NT)
  SO      = dll
  PIC     =
  # ext/lmm.c marks sqlite3_lmm_init dllexport, and then nothing else is exported
  EXPORTS =
else ifeq ($(shell uname -s),Darwin)
  SO      = dylib
  PIC     = -fPIC
  EXPORTS = -Wl,-exported_symbol,_sqlite3_lmm_init
else
  SO      = so
  PIC     = -fPIC
  EXPORTS = -Wl,--version-script=mk/lmm.map
endif
LMM = $(BUILD)/lmm.$(SO)

# build/config.mk: DEP_CFLAGS and DEP_LIBS, the libraries' flags (mk/deps.sh find); deps, clean and
# uninstall do without, so they run where a library is missing
CONFIG = $(BUILD)/config.mk
ifneq ($(filter-out deps clean uninstall,$(or $(MAKECMDGOALS),all)),)
include $(CONFIG)
endif
LMM_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror=vla $(PIC) $(DEP_CFLAGS)
LMM_LIBS   = $(DEP_LIBS) $(LDLIBS) -lm -lpthread

CORE_SRC = $(wildcard core/*.c)
EXT_SRC  = $(wildcard ext/*.c)
CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/%.o)
EXT_OBJ  = $(EXT_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC = $(wildcard tests/unit/*.c)

# what make deps installs on Debian besides the libraries: the tools the tests and the demo run;
# make test and make demo run it first there (once per build folder)
DEBIAN_TOOLS = sqlite3 python3
DEPS_STAMP   = $(BUILD)/.deps
AUTO_DEPS    = $(if $(wildcard /etc/debian_version),$(if $(filter test demo,$(MAKECMDGOALS)),$(DEPS_STAMP)))

all: $(LMM)

$(CONFIG): mk/deps.sh | $(AUTO_DEPS)
	@mkdir -p $(dir $@)
	@CC="$(CC)" CPPFLAGS="$(CPPFLAGS)" CFLAGS="$(CFLAGS)" LDFLAGS="$(LDFLAGS)" PKG_CONFIG="$(PKG_CONFIG)" \
	  sh mk/deps.sh find >$@.tmp || { rm -f $@.tmp; exit 1; }
	@mv $@.tmp $@

deps:
	@sh mk/deps.sh install $(DEBIAN_TOOLS)

$(DEPS_STAMP):
	@mkdir -p $(dir $@)
	@sh mk/deps.sh install $(DEBIAN_TOOLS)
	@touch $@

$(BUILD)/%.o: %.c $(CONFIG)
	@mkdir -p $(dir $@)
	$(CC) $(LMM_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

-include $(CORE_OBJ:.o=.d) $(EXT_OBJ:.o=.d)

$(LMM): $(CORE_OBJ) $(EXT_OBJ) mk/lmm.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -o $@ $(CORE_OBJ) $(EXT_OBJ) $(EXPORTS) $(LMM_LIBS)

$(BUILD)/unit_tests: $(UNIT_SRC) $(CORE_OBJ)
	$(CC) $(LMM_CFLAGS) $(CPPFLAGS) $(CFLAGS) -Icore $(LDFLAGS) -o $@ $(UNIT_SRC) $(CORE_OBJ) $(LMM_LIBS)

$(BUILD)/test_nist: tests/nist/test_nist.c $(CORE_OBJ)
	$(CC) $(LMM_CFLAGS) $(CPPFLAGS) $(CFLAGS) -Icore $(LDFLAGS) -o $@ $< $(CORE_OBJ) $(LMM_LIBS)

test: $(LMM) $(BUILD)/unit_tests $(BUILD)/test_nist
	$(BUILD)/unit_tests
	$(BUILD)/test_nist tests/nist
	$(if $(wildcard /etc/debian_version),sh tests/loading/install.sh)
	/usr/bin/python3 tests/sql/run_tests.py $(BUILD)/lmm
	$(MAKE) --no-print-directory check-report
	$(MAKE) --no-print-directory clickhouse-test
	$(MAKE) --no-print-directory check-build
	$(MAKE) --no-print-directory sanitize
	$(MAKE) --no-print-directory alloc-fail
	$(MAKE) --no-print-directory threads
	$(MAKE) --no-print-directory fuzz-short

# The distributed pass (issue 19, README "Past one machine"): a two-shard ClickHouse cluster on 127.0.0.1 that
# the test starts and stops itself; ch-start/ch-load/ch-fit/ch-stop for the bench data (ROWS=, 10,000 schools
# x 50 raters).  clickhouse-test installs Debian's clickhouse-server first where it is missing.
CH_DIR = $(BUILD)/ch
ROWS ?= 1000000
clickhouse-test: $(LMM)
	@command -v clickhouse-server >/dev/null || test -x /usr/sbin/clickhouse-server || \
	  $(if $(wildcard /etc/debian_version),apt-get install -y clickhouse-server,{ echo "needs clickhouse-server"; exit 1; })
	/usr/bin/python3 tests/clickhouse/test_clickhouse.py $(BUILD)/lmm
ch-start:
	sh tests/clickhouse/cluster.sh start $(CH_DIR)
ch-load:
	/usr/bin/python3 tools/ch_bench.py load $(ROWS)
ch-fit: $(LMM)
	/usr/bin/python3 tools/ch_bench.py fit
ch-stop:
	sh tests/clickhouse/cluster.sh stop $(CH_DIR)
.PHONY: clickhouse-test ch-start ch-load ch-fit ch-stop

demo: $(LMM)
	@rm -f $(BUILD)/demo.db
	sqlite3 $(BUILD)/demo.db < tests/data/load.sql
	sqlite3 -box $(BUILD)/demo.db < sql/arabidopsis.sql
	$(MAKE) --no-print-directory $(BUILD)/arabidopsis.html

# the report in headless Chromium (tests/browser/check_report.py): no console error, every figure drawn on
# the screenshot, which stays as build/arabidopsis.png.  On Debian the chromium package is installed first.
BROWSER_STAMP = $(BUILD)/.chromium
$(BROWSER_STAMP):
	@mkdir -p $(dir $@)
	@$(if $(wildcard /etc/debian_version),sh mk/deps.sh install chromium,command -v chromium >/dev/null || \
	  { echo "check-report needs Chromium (Debian: chromium)"; exit 1; })
	@touch $@

check-report: $(BUILD)/arabidopsis.html $(BROWSER_STAMP)
	/usr/bin/python3 tests/browser/check_report.py $(BUILD)/arabidopsis.html

.PHONY: check-report

# the tutorial as one page: each step's SQL, its table, its figure (sql/arabidopsis_report.sql)
$(BUILD)/arabidopsis.html: sql/arabidopsis_report.sql $(LMM) tests/data/load.sql tests/data/arabidopsis.csv
	@rm -f $(BUILD)/report.db
	sqlite3 $(BUILD)/report.db < tests/data/load.sql
	sqlite3 -bail $(BUILD)/report.db < sql/arabidopsis_report.sql

# the README's figures, committed under docs/figures/ (sql/readme_figures.sql)
figures: $(LMM)
	@rm -f $(BUILD)/figures.db
	sqlite3 $(BUILD)/figures.db < tests/data/load.sql >/dev/null
	sqlite3 -bail $(BUILD)/figures.db < sql/readme_figures.sql >/dev/null

.PHONY: figures

bench: $(LMM)
	CC="$(CC)" /usr/bin/python3 bench/bench.py --ext $(BUILD)/lmm $(if $(SIZES),--sizes "$(SIZES)") \
	  $(if $(ONLY),--only "$(ONLY)") $(if $(filter-out undefined,$(origin FIXED)),--fixed-sizes "$(FIXED)")

.PHONY: bench

bench-compare: $(LMM)
	@test -n "$(OLD)" || { echo "make bench-compare OLD=path/to/old/lmm.so"; exit 2; }
	CC="$(CC)" /usr/bin/python3 bench/compare.py "$(OLD)" $(BUILD)/lmm $(if $(SIZES),--sizes "$(SIZES)") \
	  $(if $(ONLY),--only "$(ONLY)")

.PHONY: bench-compare

LIBDIR = $(PREFIX)/lib/sqlite3

install: $(LMM)
	install -d "$(DESTDIR)$(LIBDIR)"
	install -m 755 $(LMM) "$(DESTDIR)$(LIBDIR)/lmm.$(SO)"

uninstall:
	rm -f "$(DESTDIR)$(LIBDIR)/lmm.$(SO)"

clean:
	rm -rf $(BUILD)

.PHONY: all deps test demo install uninstall clean

# ---- make dist: one library to copy into an application (Linux) ----
# build/dist/lmm.so holds OpenBLAS (with its LAPACK), LAPACKE and Rmath, from their static archives, and
# needs at run time libc, libm and the loader, and libnlopt.so.0, which is copied beside it and found
# through $ORIGIN (Debian ships no static NLopt).  mk/gfortran_concat.c stands in for the gfortran runtime.
# -z defs fails the link on a symbol left for run time; -u pulls in openblas_{get,set}_num_threads and
# openblas_get_config, to which core/blas_threads.c and ext/lmm_version.c refer weakly (a weak reference
# pulls nothing out of an archive), so that lmm holds this OpenBLAS, not another in the process, at one
# thread, and lmm_version() names it.
DIST = $(BUILD)/dist
DIST_OBJ = $(CORE_OBJ) $(EXT_OBJ) $(BUILD)/mk/gfortran_concat.o

ifeq ($(SO),so)
dist: $(DIST)/lmm.so

$(DIST)/lmm.so: $(DIST_OBJ) mk/lmm.map
	@mkdir -p $(DIST) && rm -f $(DIST)/libnlopt.so*
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -o $@ $(DIST_OBJ) $(EXPORTS) -static-libgcc -Wl,-z,defs \
	  -Wl,-rpath,'$$ORIGIN' -Wl,-u,openblas_get_num_threads -Wl,-u,openblas_set_num_threads \
	  -Wl,-u,openblas_get_config \
	  -Wl,-Bstatic $(filter-out -lnlopt,$(DEP_LIBS)) -Wl,-Bdynamic -lnlopt $(LDLIBS) -lm -lpthread
	@ldd $@ | awk '$$1 ~ /^libnlopt/ { print $$1, $$3 }' | while read -r name path; do \
	  cp -L "$$path" $(DIST)/$$name && echo "$(DIST)/$$name: from $$path"; done
else
dist:
	@echo "make dist links statically with GNU ld's -Bstatic and finds NLopt through \$$ORIGIN: Linux only"; exit 1
endif

# the build's products: one exported symbol, make CFLAGS=-O3, make install, make dist (tests/build)
check-build: $(LMM)
	+@MAKE="$(MAKE)" BUILD="$(BUILD)" sh tests/build/check_build.sh

.PHONY: dist check-build

# ---- fuzzing: libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer ----
#   make fuzz              each target in tests/fuzz for FUZZ_SECONDS (default 600) s
#   make fuzz-short        each target for 10,000 inputs (fuzz_design 120) from a fixed seed (the bounded
#                          pass CI runs: the same inputs on every run, so CI fails only on what a change broke)
# Every target runs each input on a thread with a 512 KB stack (tests/fuzz/fuzz_common.h), so that
# recursion the input controls overflows as it would in an application's thread.
#   make fuzz-merge        fold what the runs found (build/fuzz/corpus) into the seed corpus
# New inputs go to build/fuzz/corpus/<target>; tests/fuzz/corpus/<target> is read only.
# A crash, leak or UBSan report stops that target and leaves the input in build/fuzz/artifacts/.
FUZZ_CC        = /usr/bin/clang
FUZZ_SECONDS  ?= 600
FUZZ_TARGETS   = fuzz_formula fuzz_options fuzz_plot_options fuzz_model fuzz_design fuzz_store
FUZZ_BUILD     = $(BUILD)/fuzz
# Sizes that wrap are what the sanitizers must see: `undefined` holds signed-integer-overflow, and
# unsigned-integer-overflow (not UB, so not in `undefined`) catches a size_t product that wraps.
# Hashes wrap on purpose: tests/fuzz/ubsan_ignore.txt names them (and an empty table's nslot - 1).
FUZZ_IGNORE    = tests/fuzz/ubsan_ignore.txt
FUZZ_SAN       = -fsanitize=address,undefined,unsigned-integer-overflow -fsanitize-ignorelist=$(FUZZ_IGNORE) \
                 -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS    = -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra $(DEP_CFLAGS) -Icore $(FUZZ_SAN)
FUZZ_CORE_OBJ  = $(CORE_SRC:%.c=$(FUZZ_BUILD)/%.o)
# fuzz_store links ext/ too, built with -DSQLITE_CORE: sqlite3ext.h then maps to direct calls
FUZZ_EXT_OBJ   = $(EXT_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BINS      = $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
FUZZ_ENV       = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 OPENBLAS_NUM_THREADS=1
FUZZ_FLAGS     = -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
# inputs are texts of at most 512 bytes, except fuzz_store's, which hold a saved fit's JSON
fuzz_max_len   = $$(case $(1) in fuzz_store) echo 8192;; *) echo 512;; esac)
# fuzz-short's inputs per target: fuzz_design's take up to a few seconds each (big designs)
fuzz_short_runs = $$(case $(1) in fuzz_design) echo 120;; *) echo 10000;; esac)
# clang and its libFuzzer/sanitizer runtime (Debian: clang-14 + libclang-rt-14-dev), for the fuzz targets only
FUZZ_DEPS_PKGS = clang libclang-rt-14-dev
FUZZ_DEPS_STAMP = $(FUZZ_BUILD)/.deps
# keep the instrumented objects between builds
.SECONDARY: $(FUZZ_CORE_OBJ) $(FUZZ_EXT_OBJ)

$(FUZZ_DEPS_STAMP):
	@mkdir -p $(FUZZ_BUILD)
	@sh mk/deps.sh install $(FUZZ_DEPS_PKGS)
	@touch $@

$(FUZZ_BUILD)/core/%.o: core/%.c $(FUZZ_IGNORE) $(CONFIG) | $(FUZZ_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/ext/%.o: ext/%.c $(FUZZ_IGNORE) $(CONFIG) | $(FUZZ_DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DSQLITE_CORE -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

-include $(FUZZ_CORE_OBJ:.o=.d) $(FUZZ_EXT_OBJ:.o=.d)

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(FUZZ_CORE_OBJ) $(wildcard core/*.h)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_CORE_OBJ) $(LMM_LIBS)

$(FUZZ_BUILD)/fuzz_store: tests/fuzz/fuzz_store.c $(wildcard tests/fuzz/*.h) $(FUZZ_CORE_OBJ) $(FUZZ_EXT_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_CORE_OBJ) $(FUZZ_EXT_OBJ) $(LMM_LIBS) -lsqlite3

# $(call fuzz_run,SECONDS,FLAGS): every target in turn; fails if any target found something
fuzz_run = fail=0; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts tests/fuzz/corpus/$$t; \
	  echo "== $$t: $(1) s $(2)"; \
	  $(FUZZ_ENV) $(FUZZ_BUILD)/$$t $(FUZZ_FLAGS) -max_len=$(call fuzz_max_len,$$t) -max_total_time=$(1) $(2) \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t \
	    >$(FUZZ_BUILD)/$$t.log 2>&1; \
	  if [ $$? = 0 ]; then grep -E '^(stat::|Done)' $(FUZZ_BUILD)/$$t.log || true; \
	  else fail=1; echo "$$t FAILED (log: $(FUZZ_BUILD)/$$t.log):"; \
	    grep -E -A40 '^==[0-9]+==|runtime error|ERROR: libFuzzer' $(FUZZ_BUILD)/$$t.log | head -80; fi; \
	done; exit $$fail

fuzz: $(FUZZ_BINS)
	@$(call fuzz_run,$(FUZZ_SECONDS))

fuzz-short: $(FUZZ_BINS)
	@$(call fuzz_run,120,-seed=1 -runs=$(call fuzz_short_runs,$$t))

fuzz-merge: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t; \
	  $(FUZZ_ENV) $(FUZZ_BUILD)/$$t -merge=1 -max_len=$(call fuzz_max_len,$$t) tests/fuzz/corpus/$$t $(FUZZ_BUILD)/corpus/$$t \
	    >$(FUZZ_BUILD)/$$t.merge.log 2>&1 || { echo "$$t merge failed: $(FUZZ_BUILD)/$$t.merge.log"; exit 1; }; \
	  echo "$$t: $$(ls tests/fuzz/corpus/$$t | wc -l) seeds"; \
	done

.PHONY: fuzz fuzz-short fuzz-merge

# ---- robustness: sanitizers, allocation failure, threads (tests/robust) ----
#   make sanitize      the extension and the unit tests built with gcc's ASan+UBSan (build/asan/),
#                      then build/asan/unit_tests and the SQL suite through build/asan/lmm.so with
#                      LeakSanitizer on; any sanitizer report fails the run
#   make alloc-fail    every allocation of each statement fails in turn (ASan build of the extension)
#   make threads       two connections fitting at once match their lone runs bit for bit (and under TSan)
ROBUST_CC      = gcc
ASAN_BUILD     = $(BUILD)/asan
ASAN_SAN       = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_CFLAGS    = -O1 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -fPIC $(DEP_CFLAGS) $(ASAN_SAN)
ASAN_CORE_OBJ  = $(CORE_SRC:%.c=$(ASAN_BUILD)/%.o)
ASAN_EXT_OBJ   = $(EXT_SRC:%.c=$(ASAN_BUILD)/%.o)
# the sanitizer runtimes go first into an uninstrumented host (python3, the sqlite3 shell)
ASAN_PRELOAD   = $(shell $(ROBUST_CC) -print-file-name=libasan.so) $(shell $(ROBUST_CC) -print-file-name=libubsan.so)
# (OpenBLAS's own threads are not instrumented; one thread keeps the run fast on 2 cores)
ASAN_ENV       = ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
                 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/robust/lsan.supp:print_suppressions=0 \
                 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 OPENBLAS_NUM_THREADS=1
.SECONDARY: $(ASAN_CORE_OBJ) $(ASAN_EXT_OBJ)

$(ASAN_BUILD)/%.o: %.c $(CONFIG)
	@mkdir -p $(dir $@)
	$(ROBUST_CC) $(ASAN_CFLAGS) -MMD -MP -c $< -o $@

-include $(ASAN_CORE_OBJ:.o=.d) $(ASAN_EXT_OBJ:.o=.d)

$(ASAN_BUILD)/lmm.so: $(ASAN_CORE_OBJ) $(ASAN_EXT_OBJ)
	$(ROBUST_CC) $(ASAN_SAN) -shared -o $@ $^ $(LMM_LIBS)

$(ASAN_BUILD)/unit_tests: $(UNIT_SRC) $(ASAN_CORE_OBJ)
	$(ROBUST_CC) $(ASAN_CFLAGS) -Icore -o $@ $(UNIT_SRC) $(ASAN_CORE_OBJ) $(LMM_LIBS)

$(ASAN_BUILD)/leak_canary.so: tests/robust/leak_canary.c
	@mkdir -p $(dir $@)
	$(ROBUST_CC) $(ASAN_CFLAGS) -shared -o $@ $<

sanitize: $(ASAN_BUILD)/lmm.so $(ASAN_BUILD)/unit_tests $(ASAN_BUILD)/leak_canary.so
	@$(ASAN_ENV) ASAN_PRELOAD="$(ASAN_PRELOAD)" tests/robust/sanitize.sh $(ASAN_BUILD)

.PHONY: sanitize

# the test data sets in one database file, for the drivers in tests/robust
$(BUILD)/data.db: tests/data/load.sql $(wildcard tests/data/*.csv)
	@rm -f $@.tmp
	sqlite3 $@.tmp < tests/data/load.sql && mv $@.tmp $@

ROBUST_DRIVER_SRC = tests/robust/testdb.c tests/robust/testdb.h

$(ASAN_BUILD)/alloc_fail: tests/robust/alloc_fail.c $(ROBUST_DRIVER_SRC)
	@mkdir -p $(dir $@)
	$(ROBUST_CC) $(ASAN_CFLAGS) -o $@ tests/robust/alloc_fail.c tests/robust/testdb.c -lsqlite3

alloc-fail: $(ASAN_BUILD)/alloc_fail $(ASAN_BUILD)/lmm.so $(BUILD)/data.db
	@$(ASAN_ENV) $(ASAN_BUILD)/alloc_fail $(ASAN_BUILD)/lmm.so $(BUILD)/data.db

.PHONY: alloc-fail

# two connections in two threads (50 rounds of their lists, about a second); then the extension built
# with ThreadSanitizer (10 rounds).  OpenBLAS is not instrumented and its worker threads hand results back
# by spinning, which TSan cannot see: under TSan it runs on the calling thread (OPENBLAS_NUM_THREADS=1).
TSAN_BUILD     = $(BUILD)/tsan
TSAN_CFLAGS    = -O1 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -fPIC $(DEP_CFLAGS) -fsanitize=thread
TSAN_CORE_OBJ  = $(CORE_SRC:%.c=$(TSAN_BUILD)/%.o)
TSAN_EXT_OBJ   = $(EXT_SRC:%.c=$(TSAN_BUILD)/%.o)
.SECONDARY: $(TSAN_CORE_OBJ) $(TSAN_EXT_OBJ)

$(TSAN_BUILD)/%.o: %.c $(CONFIG)
	@mkdir -p $(dir $@)
	$(ROBUST_CC) $(TSAN_CFLAGS) -MMD -MP -c $< -o $@

-include $(TSAN_CORE_OBJ:.o=.d) $(TSAN_EXT_OBJ:.o=.d)

$(TSAN_BUILD)/lmm.so: $(TSAN_CORE_OBJ) $(TSAN_EXT_OBJ)
	$(ROBUST_CC) -fsanitize=thread -shared -o $@ $^ $(LMM_LIBS)

$(TSAN_BUILD)/threads: tests/robust/threads.c $(ROBUST_DRIVER_SRC)
	@mkdir -p $(dir $@)
	$(ROBUST_CC) $(TSAN_CFLAGS) -o $@ tests/robust/threads.c tests/robust/testdb.c -lsqlite3 -lpthread

$(BUILD)/threads: tests/robust/threads.c $(ROBUST_DRIVER_SRC)
	$(CC) $(LMM_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ tests/robust/threads.c tests/robust/testdb.c -lsqlite3 -lpthread

threads: $(BUILD)/threads $(LMM) $(TSAN_BUILD)/threads $(TSAN_BUILD)/lmm.so $(BUILD)/data.db
	@$(BUILD)/threads $(LMM) $(BUILD)/data.db 50
	@TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 OPENBLAS_NUM_THREADS=1 \
	  $(TSAN_BUILD)/threads $(TSAN_BUILD)/lmm.so $(BUILD)/data.db 10

.PHONY: threads
