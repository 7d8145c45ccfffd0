"""The README's "Loading it" snippets, each run by its own host as a user runs it: from a folder holding
build/lmm (a link to the extension under test) and build/demo.db (the test data sets). Each prints
sleepstudy's fixed effects, checked against lme4's (tests/reference/sleepstudy_reml.json).
The snippets are read from README.md itself, the fenced block after each `<!-- test_loading NAME -->`,
so the README is what runs; a block NAME-output is what NAME prints: its numbers are checked the same
way, and what NAME prints must look like it (the same table, whatever the digits).
A host that is not installed is named with what installs it (tests/loading/install.sh, on Debian) and
not run; under the sanitizers (LD_PRELOAD holds libasan) none is run, since R and Node report
leaks of their own there, and the uninstrumented run of `make test` runs them."""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import namedtuple

import harness

README = os.path.join(harness.ROOT, "README.md")
REFERENCE = os.path.join(harness.ROOT, "tests", "reference", "sleepstudy_reml.json")
INSTALL = "tests/loading/install.sh"
BLOCK = re.compile(r"^<!-- test_loading (\S+) -->\n```[^\n]*\n(.*?)^```$", re.M | re.S)
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")

# file: the snippet's file name; run: its command, in the folder; probe: exits 0 where the host can run it;
# env: added to the environment of both; install: what to do where the probe fails.
Host = namedtuple("Host", "file run probe env install")


def hosts():
    build = os.path.join(harness.ROOT, "build")
    go_env = {"GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOFLAGS": "",
              "GOCACHE": os.path.join(build, "go-cache")}   # Debian's golang-*-dev sources, no module proxy
    node_path = os.pathsep.join(p for p in (os.path.join(build, "node", "node_modules"),
                                            os.environ.get("NODE_PATH")) if p)
    py = sys.executable
    return {
        "sqlite3": Host("fit.sql", ["sqlite3", "build/demo.db", ".read fit.sql"], ["sqlite3", "-version"], {},
                        "apt-get install sqlite3"),
        "python": Host("fit.py", [py, "fit.py"], [py, "-c", "import sqlite3; sqlite3.Connection.enable_load_extension"],
                       {}, "a Python whose sqlite3 can load extensions (Debian's /usr/bin/python3)"),
        "apsw": Host("fit_apsw.py", [py, "fit_apsw.py"], [py, "-c", "import apsw"], {},
                     "apt-get install python3-apsw (%s)" % INSTALL),
        "r": Host("fit.R", ["Rscript", "fit.R"], ["Rscript", "-e", "library(RSQLite)"], {},
                  "apt-get install r-cran-rsqlite (%s)" % INSTALL),
        "node": Host("fit.js", ["node", "fit.js"], ["node", "-e", "require('better-sqlite3')"],
                     {"NODE_PATH": node_path}, "npm install --prefix build/node better-sqlite3@12 (%s)" % INSTALL),
        "go": Host("main.go", ["go", "run", "main.go"], ["go", "list", "github.com/mattn/go-sqlite3"], go_env,
                   "apt-get install golang-go golang-github-mattn-go-sqlite3-dev (%s)" % INSTALL),
        "datasette": Host("fit.sh", ["sh", "fit.sh"], ["datasette", "--version"], {},
                          "pip install datasette (not in Debian)"),
    }


def snippets():
    with open(README, encoding="utf-8") as f:
        return dict((name, code) for name, code in BLOCK.findall(f.read()))


def check_printed(t, what, text, fixed):
    """Each term's estimate (to 1e-6 relative) and standard error (to 0.1 %, as test_reference) are among
    the numbers printed after the term's name and before the next term's."""
    starts, at = [], 0
    for f in fixed:
        i = text.find(f["term"], at)
        if not t.ok(i >= 0, "%s: %r not printed in %r" % (what, f["term"], text[:400])):
            return
        starts.append(i + len(f["term"]))
        at = starts[-1]
    for k, f in enumerate(fixed):
        end = text.find(fixed[k + 1]["term"], starts[k]) if k + 1 < len(fixed) else len(text)
        numbers = [float(x) for x in NUMBER.findall(text[starts[k]:end])]
        for key, tol in (("estimate", 1e-6), ("std_error", 1e-3)):
            want = f[key]
            t.ok(any(abs(x - want) <= tol * abs(want) for x in numbers),
                 "%s: %s %s: R %r, none of %r within %g" % (what, f["term"], key, want, numbers, tol))


def shape(text):
    """The text with every number a '#' and runs of blanks or of a box's rules as one: what a table looks
    like, whatever the digits."""
    text = re.sub("─+", "─", re.sub("[ \t]+", " ", NUMBER.sub("#", text)))
    return [line.strip() for line in text.strip().splitlines()]


def host_folder(ext):
    """A folder with build/lmm<suffix> linked to the extension under test and a copy of the test data."""
    lib = next((ext + s for s in ("", ".so", ".dylib", ".dll") if os.path.isfile(ext + s)), None)
    if lib is None:
        raise FileNotFoundError("no extension at %s(.so)" % ext)
    suffix = os.path.splitext(lib)[1] if lib != ext else ""
    folder = tempfile.mkdtemp(prefix="lmm-loading-")
    os.mkdir(os.path.join(folder, "build"))
    os.symlink(os.path.abspath(lib), os.path.join(folder, "build", "lmm" + suffix))
    shutil.copy(harness.database_file(), os.path.join(folder, "build", "demo.db"))
    return folder


def installed(host):
    try:
        return subprocess.run(host.probe, env=dict(os.environ, **host.env), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def run_snippet(t, name, host, code, shown, folder, fixed):
    with open(os.path.join(folder, host.file), "w", encoding="utf-8") as f:
        f.write(code)
    start = time.monotonic()
    try:
        p = subprocess.run(host.run, cwd=folder, env=dict(os.environ, **host.env), capture_output=True,
                           text=True, timeout=600)
    except subprocess.TimeoutExpired:
        t.ok(False, "%s: the snippet ran past 600 s" % name)
        return None
    seconds = time.monotonic() - start
    if t.ok(p.returncode == 0, "%s: %s exited %d: %s" % (name, " ".join(host.run), p.returncode,
                                                          (p.stderr or p.stdout)[-1500:])):
        check_printed(t, name, p.stdout, fixed)
        t.ok(shown is None or shape(p.stdout) == shape(shown),
             "%s prints\n%s\nwhere the README shows\n%s" % (name, p.stdout, shown))
    return seconds


def datasette_query(t, db, code, fixed):
    """Without datasette, the query its URL carries, run on the test's own connection as Datasette would
    decode it: the one part of the snippet that can be wrong here."""
    url = re.search(r'"(/[^"]*\?[^"]*)"', code)
    if not t.ok(url is not None, "datasette: no quoted URL in its snippet"):
        return
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url.group(1)).query)
    t.ok(query.get("_shape") == ["array"], "datasette: the URL asks for _shape=array: %r" % query)
    try:
        rows = db.execute(query["sql"][0]).fetchall()
    except sqlite3.Error as e:
        t.ok(False, "datasette: the URL's query %r fails: %s" % (query["sql"][0], e))
        return
    check_printed(t, "datasette's URL", "\n".join(" ".join(str(v) for v in row) for row in rows), fixed)


def run(t, db):
    with open(REFERENCE) as f:
        fixed = json.load(f)["fixed"]
    code, table = snippets(), hosts()
    t.ok(not set(code) - set(table) - {n + "-output" for n in table},
         "README: test_loading blocks for no known host: %r" % sorted(set(code) - set(table)))
    for name in table:
        t.ok(name in code, "README's 'Loading it' has no snippet for %s (<!-- test_loading %s -->)" % (name, name))
    for name in sorted(n for n in code if n.endswith("-output")):
        check_printed(t, "README's " + name, code[name], fixed)
    if "libasan" in os.environ.get("LD_PRELOAD", ""):
        print("  loading: not run under the sanitizers (R and Node report leaks of their own there); "
              "the plain run of the suite runs them")
        return
    folder = host_folder(os.environ.get("LMM_EXT", "build/lmm"))
    ran, missing = [], []
    try:
        for name, host in table.items():
            if name not in code:
                continue
            if not installed(host):
                missing.append("%s (%s)" % (name, host.install))
                if name == "datasette":
                    datasette_query(t, db, code[name], fixed)
                continue
            seconds = run_snippet(t, name, host, code[name], code.get(name + "-output"), folder, fixed)
            if seconds is not None:
                ran.append("%s %.1f s" % (name, seconds))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("  loading: ran " + (", ".join(ran) or "none"))
    for m in missing:
        print("  loading: NOT INSTALLED, not run: " + m)
