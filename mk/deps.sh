#!/bin/sh
# deps.sh — the libraries lmm builds on: found, or installed.
#   sh mk/deps.sh find            prints DEP_CFLAGS and DEP_LIBS as make variables (the Makefile keeps them
#                                 in build/config.mk); a library not found is named, with the package that
#                                 holds it on Debian/Ubuntu, Fedora and macOS (Homebrew), and the status is 1
#   sh mk/deps.sh install [PKG..] Debian/Ubuntu: the libraries' packages and the PKGs, those missing, with
#                                 apt-get (update first); elsewhere it names what is missing, as find does
# How a library is found: the first of these with which a call to it compiles and links: the compiler's own
# paths; pkg-config's flags; -I/-L for the usual prefixes (/usr/local, Homebrew's /opt/homebrew and the
# keg-only /opt/homebrew/opt/FORMULA, /usr/local/opt/FORMULA on Intel Macs, MacPorts' /opt/local); last,
# nothing more than the libraries already found (Homebrew's OpenBLAS holds LAPACKE).
# Environment: CC, CPPFLAGS, CFLAGS, LDFLAGS, PKG_CONFIG.
set -u
CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}

# One library a line, in link order reversed (each may need those above it):
# name|header|a call that must link (empty: the header alone)|-l|pkg-config module|Debian|Fedora|Homebrew
LIBRARIES='sqlite3|sqlite3ext.h|||sqlite3|libsqlite3-dev|sqlite-devel|sqlite
Rmath|Rmath.h|pchisq(1, 1, 1, 0)|-lRmath|libRmath|r-mathlib|libRmath-devel|r
NLopt|nlopt.h|nlopt_version(0, 0, 0)|-lnlopt|nlopt|libnlopt-dev|NLopt-devel|nlopt
OpenBLAS|cblas.h|cblas_ddot(0, 0, 1, 0, 1)|-lopenblas|openblas|libopenblas-dev|openblas-devel|openblas
LAPACKE|lapacke.h|LAPACKE_dpotrf(LAPACK_COL_MAJOR, 85, 0, 0, 1)|-llapacke|lapacke|liblapacke-dev|lapack-devel|openblas'

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lmm-deps.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# links HEADER CALL CFLAGS LIBS: a program including HEADER and making CALL compiles and links
links() {
  printf '#define MATHLIB_STANDALONE 1\n#include <%s>\nint main(void) { %s; return 0; }\n' "$1" "${2:-(void)0}" \
    >"$tmp/t.c"
  # shellcheck disable=SC2086  # flags are words
  $CC ${CPPFLAGS:-} ${CFLAGS:-} $3 -o "$tmp/t" "$tmp/t.c" ${LDFLAGS:-} $4 -lm -lpthread >/dev/null 2>&1
}

# candidates LIB PCMODULE FORMULA: the flag sets to try, one "CFLAGS|LIBS" a line
candidates() {
  echo "|$1"
  if command -v "$PKG_CONFIG" >/dev/null 2>&1 && "$PKG_CONFIG" --exists "$2" 2>/dev/null; then
    echo "$("$PKG_CONFIG" --cflags "$2")|$("$PKG_CONFIG" --libs "$2")"
  fi
  for p in /usr/local /opt/homebrew "/opt/homebrew/opt/$3" "/usr/local/opt/$3" /opt/local; do
    [ -d "$p/include" ] && echo "-I$p/include|-L$p/lib $1"
  done
  echo "|"
}

# find: sets CFLAGS_FOUND, LIBS_FOUND and MISSING (the table's lines not found)
find_all() {
  CFLAGS_FOUND='' LIBS_FOUND='' MISSING=''
  while IFS='|' read -r name header call lib module debian fedora brew; do
    found=
    while IFS='|' read -r c l; do
      if links "$header" "$call" "$CFLAGS_FOUND $c" "$l $LIBS_FOUND"; then found=1; break; fi
    done <<EOF
$(candidates "$lib" "$module" "$brew")
EOF
    if [ -n "$found" ]; then
      for f in $c; do case " $CFLAGS_FOUND " in *" $f "*) ;; *) CFLAGS_FOUND="$CFLAGS_FOUND $f";; esac; done
      [ -n "$l" ] && LIBS_FOUND="$l $LIBS_FOUND"
    else
      MISSING="$MISSING$name|$header|$lib|$debian|$fedora|$brew
"
    fi
  done <<EOF
$LIBRARIES
EOF
}

# column N of the missing lines, as one line of words, each once
missing_column() {
  printf '%s' "$MISSING" | cut -d'|' -f"$1" | awk 'NF && !seen[$0]++' | paste -sd' ' -
}

report_missing() {
  {
    echo "lmm needs these libraries, which were not found (with the compiler's paths, $PKG_CONFIG, /usr/local,"
    echo "/opt/homebrew, /opt/local):"
    printf '%s' "$MISSING" | awk -F'|' '{ printf "  %-9s %s, %s\n", $1, $2, $3 }'
    echo "Install them, then run make again:"
    echo "  Debian/Ubuntu:   sudo apt-get install $(missing_column 4)  (or: make deps)"
    echo "  Fedora:          sudo dnf install $(missing_column 5)"
    echo "  macOS:           brew install $(missing_column 6)"
    echo "Installed somewhere else: make CPPFLAGS=-I/that/include LDFLAGS=-L/that/lib"
  } >&2
  exit 1
}

case ${1:-} in
find)
  find_all
  [ -n "$MISSING" ] && report_missing
  echo "# written by mk/deps.sh find: the flags of the libraries lmm links (CC=$CC)"
  echo "DEP_CFLAGS =$CFLAGS_FOUND"
  echo "DEP_LIBS = $LIBS_FOUND"
  ;;
install)
  shift
  if [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then
    missing=
    for p in $(printf '%s\n' "$LIBRARIES" | cut -d'|' -f6) "$@"; do
      dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
    done
    [ -z "$missing" ] && exit 0
    echo "installing:$missing"
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    # shellcheck disable=SC2086
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
  else
    find_all
    [ -n "$MISSING" ] && report_missing
    echo "every library lmm needs is installed"
  fi
  ;;
*)
  echo "usage: sh mk/deps.sh find | install [PKG...]" >&2
  exit 2
  ;;
esac
