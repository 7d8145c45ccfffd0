#!/bin/sh
# sanitize.sh BUILD — runs BUILD/unit_tests and the SQL suite through BUILD/lmm.so, both
# built with ASan+UBSan (make sanitize sets ASAN_OPTIONS, LSAN_OPTIONS, UBSAN_OPTIONS and
# ASAN_PRELOAD, the sanitizer runtimes to preload into python3 and the sqlite3 shell).
# A suite passes only if its own summary says 0 failed AND it exits 0: a sanitizer report
# (ASan, UBSan with -fno-sanitize-recover, LSan at exit) turns the exit code non-zero even
# after the summary line was printed.  Prints 'N passed, N failed' over both suites.
build=${1:-build/asan}
cd "$(dirname "$0")/../.." || exit 2
log=$(mktemp -d "${TMPDIR:-/tmp}/lmm-sanitize.XXXXXX") || exit 2
trap 'rm -rf "$log"' EXIT
passed=0
failed=0

# run NAME CMD...: the suite's output goes to the terminal and to $log/NAME
run() {
  name=$1; shift
  start=$(date +%s)
  "$@" >"$log/$name" 2>&1
  rc=$?
  cat "$log/$name"
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log/$name" | tail -n 1)
  p=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
  f=$(echo "$summary" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
  p=${p:-0}; f=${f:-0}
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi   # a sanitizer report after a clean summary
  if grep -qE '^==[0-9]+==ERROR|runtime error:|^SUMMARY: (Address|Undefined|Leak)Sanitizer' "$log/$name"; then
    [ "$f" = 0 ] && f=1
    echo "sanitize: $name: a sanitizer report (above)"
  fi
  echo "sanitize: $name exit $rc, $p passed, $f failed, $(( $(date +%s) - start )) s"
  passed=$((passed + p)); failed=$((failed + f))
}

# The canary: under the same options and suppressions, an extension's leaks must be reported.
canary() {
  env LD_PRELOAD="$ASAN_PRELOAD" /usr/bin/python3 -c "
import sqlite3, sys
db = sqlite3.connect(':memory:')
db.enable_load_extension(True)
db.load_extension(sys.argv[1])
print('lmm_leak_canary() leaked', db.execute('SELECT lmm_leak_canary()').fetchone()[0], 'blocks')" "$build/leak_canary" >"$log/canary" 2>&1
  rc=$?
  if [ "$rc" != 0 ] && grep -q 'leaked in 2 allocation(s)' "$log/canary" && grep -q 'Direct leak of 1234 byte(s)' "$log/canary"; then
    echo "sanitize: leak canary: LSan reports the extension's 2 leaked blocks, CPython's own leaks suppressed"
    passed=$((passed + 1))
  else
    cat "$log/canary"
    echo "sanitize: leak canary FAILED (exit $rc): LSan must report exactly the canary's 2 blocks;" \
         "tests/robust/lsan.supp hides an extension's leaks or no longer covers CPython's"
    failed=$((failed + 1))
  fi
}

canary
run unit_tests "$build/unit_tests"
run sql env LD_PRELOAD="$ASAN_PRELOAD" /usr/bin/python3 tests/sql/run_tests.py "$build/lmm"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
