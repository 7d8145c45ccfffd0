#!/bin/sh
# check_build.sh — the build's products as a user gets them (make check-build, part of make test):
#   1. build/lmm.so exports sqlite3_lmm_init and nothing else
#   2. make CFLAGS=-O3 LDFLAGS=... builds, in a scratch folder, a library that links, carries LDFLAGS, fits
#   3. make install puts lmm.so in $(DESTDIR)$(PREFIX)/lib/sqlite3, as the Makefile's header says, and it
#      loads from there; make uninstall takes it away
#   4. make dist: ldd lists only libc, libm, libpthread, the loader and the libnlopt.so.0 beside it; one
#      export; its stand-in for the gfortran runtime does what the runtime does; its fit gives build/lmm.so's
#      digits; two connections fitting at once get their lone runs' digits (tests/robust/threads.c: the
#      OpenBLAS held at one thread is the copy linked in); the whole SQL suite passes through it
# Each fit is sleepstudy's Reaction ~ Days + (Days|Subject) against lme4's 251.405104848485 and the whole
# tidy output of build/lmm.so.  Prints 'N passed, N failed'; MAKE is the make to run, BUILD its
# build folder (build).
cd "$(dirname "$0")/../.." || exit 2
MAKE=${MAKE:-make}
b=${BUILD:-build}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lmm-build.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

check() {  # check STATUS WHAT: passed when STATUS is 0 (first, so that WHAT's $(...) cannot change $?)
  if [ "$1" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $2"; fi
}

# fit LIBRARY: the tidy rows of the reference fit, through the sqlite3 shell
fit() {
  sqlite3 :memory: 'CREATE TABLE s(Reaction REAL, Days REAL, Subject TEXT)' \
    '.import --csv --skip 1 tests/data/sleepstudy.csv s' ".load $1" \
    "SELECT * FROM lmm_fit('s', 'Reaction ~ Days + (Days|Subject)')" 2>&1
}
want=$(fit "$b/lmm")
case $want in "fixed||(Intercept)|251.405104848"*) r=0;; *) r=1;; esac
check $r "$b/lmm fits sleepstudy as lme4 does (251.405104848...): $(echo "$want" | head -1)"

# exports LIBRARY: the dynamic symbols it defines
exports() { nm -D --defined-only "$1" | awk '{ print $3 }'; }
got=$(exports "$b/lmm.so")
[ "$got" = sqlite3_lmm_init ]
check $? "$b/lmm.so exports only sqlite3_lmm_init, not: $(echo $got | head -c 300)"

# -- 2. CFLAGS and LDFLAGS of the user's -----------------------------------------------------------------
o3=$tmp/o3
$MAKE --no-print-directory BUILD="$o3" CFLAGS=-O3 LDFLAGS=-Wl,-soname,lmm-o3.so "$o3/lmm.so" \
  >"$tmp/o3.log" 2>&1
check $? "make CFLAGS=-O3 builds and links (log: $(tail -3 "$tmp/o3.log"))"
grep -qE -- '-fPIC.* -O3 .*-c |-O3 .*-fPIC.*-c ' "$tmp/o3.log"
check $? "make CFLAGS=-O3 compiles with -O3 and still -fPIC"
readelf -d "$o3/lmm.so" 2>/dev/null | grep -q 'SONAME.*lmm-o3.so'
check $? "make LDFLAGS=... reaches the link (the soname it sets)"
[ "$(fit "$o3/lmm" | head -1 | cut -c1-35)" = "$(echo "$want" | head -1 | cut -c1-35)" ]
check $? "the -O3 library fits sleepstudy: $(fit "$o3/lmm" | head -1)"

# -- 3. make install -------------------------------------------------------------------------------------
prefix=$tmp/prefix
$MAKE --no-print-directory install PREFIX="$prefix" >"$tmp/install.log" 2>&1
check $? "make install PREFIX=... (log: $(tail -3 "$tmp/install.log"))"
[ "$(fit "$prefix/lib/sqlite3/lmm")" = "$want" ]
check $? "the library installed in PREFIX/lib/sqlite3/lmm.so loads and fits"
$MAKE --no-print-directory install DESTDIR="$tmp/stage" PREFIX=/usr >>"$tmp/install.log" 2>&1 &&
  [ -x "$tmp/stage/usr/lib/sqlite3/lmm.so" ]
check $? "make install DESTDIR=STAGE PREFIX=/usr writes STAGE/usr/lib/sqlite3/lmm.so"
$MAKE --no-print-directory uninstall PREFIX="$prefix" >>"$tmp/install.log" 2>&1 &&
  [ ! -e "$prefix/lib/sqlite3/lmm.so" ]
check $? "make uninstall removes it"

# -- 4. make dist ----------------------------------------------------------------------------------------
dist=$b/dist
$MAKE --no-print-directory dist "$b/threads" "$b/data.db" >"$tmp/dist.log" 2>&1
check $? "make dist (log: $(tail -3 "$tmp/dist.log"))"
allowed='^(linux-vdso\.so|libc\.so|libm\.so|libpthread\.so|libnlopt\.so|/.*/ld-linux)'
others=$(ldd $dist/lmm.so | awk -v ok="$allowed" '$1 !~ ok')
[ -f $dist/lmm.so ] && [ -z "$others" ]
check $? "ldd $dist/lmm.so lists only libc, libm, libpthread, the loader and libnlopt: $others"
nlopt=$(ldd $dist/lmm.so | awk '$1 ~ /^libnlopt/ { print $3 }')
[ -n "$nlopt" ] && [ "$(realpath "$nlopt")" = "$(realpath $dist)/$(basename "$nlopt")" ]
check $? "libnlopt is the copy beside lmm.so ($nlopt)"
got=$(exports $dist/lmm.so)
[ "$got" = sqlite3_lmm_init ]
check $? "$dist/lmm.so exports only sqlite3_lmm_init, not: $(echo $got | head -c 300)"
[ "$(fit $dist/lmm)" = "$want" ]; check $? "$dist/lmm fits sleepstudy to $b/lmm's last digit"
${CC:-cc} -o "$tmp/concat" tests/build/gfortran_concat.c mk/gfortran_concat.c -ldl &&
  "$tmp/concat" >"$tmp/concat.log" 2>&1
check $? "mk/gfortran_concat.c cuts and pads as libgfortran does ($(cat "$tmp/concat.log"))"
"$b/threads" $dist/lmm.so "$b/data.db" 10 >"$tmp/threads.log" 2>&1
check $? "two connections fitting at once through $dist/lmm.so match their lone runs:
  $(tail -1 "$tmp/threads.log")"
/usr/bin/python3 tests/sql/run_tests.py $dist/lmm >"$tmp/sql.log" 2>&1
check $? "the SQL suite through $dist/lmm ($(grep FAIL "$tmp/sql.log" | head -5) $(tail -1 "$tmp/sql.log"))"

echo "check_build: $passed passed, $failed failed"
[ "$failed" = 0 ]
