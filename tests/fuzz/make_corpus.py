#!/usr/bin/python3
"""make_corpus.py — write the seed corpora of the fuzz targets.

    /usr/bin/python3 tests/fuzz/make_corpus.py      (from the repository root)

Seeds come from the project itself (every `sql` member of tests/reference/*.json,
the formulas of README.md, sql/*.sql and the tests) and from a list of tricky
inputs below.  Files are named <source>-<sha1 of content>, so running this again
adds only what is new and never removes a seed (crash reproducers and inputs
merged in by `make fuzz-merge` stay).

Input formats (see tests/fuzz/fuzz_*.c):
  fuzz_formula   formula "\\n" random                       (random optional)
  fuzz_options   options text
  fuzz_model     formula "\\n" random "\\n" options "\\n" row bytes
"""
import glob
import hashlib
import json
import os
import re

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
MAX_LEN = 512


def write(target, source, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_LEN:
        return
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = "%s-%s" % (source, hashlib.sha1(data).hexdigest()[:12])
    path = os.path.join(d, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)


# ---- what the project itself uses -------------------------------------------

def reference_calls():
    """(formula, random, options) of every tests/reference/*.json `sql` member."""
    calls = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "reference", "*.json"))):
        with open(path) as f:
            spec = json.load(f)
        sql = spec.get("sql")
        if isinstance(sql, dict) and sql.get("formula"):
            calls.append((sql["formula"], sql.get("random"), sql.get("options")))
    return calls


STRING = re.compile(r"'((?:[^'\\\n]|\\.)*)'|\"((?:[^\"\\\n]|\\.)*)\"")


def literals(paths):
    out = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in STRING.finditer(text):
            s = m.group(1) if m.group(1) is not None else m.group(2)
            out.append(s.replace("\\\\", "\\"))
    return out


def project_strings():
    paths = [os.path.join(ROOT, "README.md")]
    for pat in ("sql/*.sql", "tests/sql/*.py", "tests/unit/*.c"):
        paths += sorted(glob.glob(os.path.join(ROOT, pat)))
    formulas, randoms, options = [], [], []
    for s in literals(paths):
        if "%" in s or "\\" in s or len(s) > 300:
            continue
        if "~" in s and not re.search(r"\b(SELECT|FROM|CREATE)\b", s):
            formulas.append(s)
        elif re.fullmatch(r"\s*~?\s*[\w.()+:/ ]*\|\|?[\w.():/ ]*", s):
            randoms.append(s)
        elif re.fullmatch(r"[\w ]*=[\w ,=]*", s) and "==" not in s:
            options.append(s)
    return formulas, randoms, options


# ---- tricky inputs -------------------------------------------------------------

LONG = "a" * 200
TRICKY_FORMULAS = [
    # nesting and parentheses
    "y ~ ((((x))))", "((y)) ~ ((x))", "y ~ (a + (b + (c + d)))", "y ~ ((a + b) * (c + d))",
    "y ~ " + "(" * 60 + "x" + ")" * 60, "y ~ " + "(" * 199 + "x" + ")" * 199, "y ~ " + "(" * 201 + "x" + ")" * 201,
    "y ~ " + "-" * 300 + "x", "y ~ " + "I(" * 80 + "x" + ")" * 80, "I(" * 60 + "y" + ")" * 60 + " ~ x",
    "y ~ ((1 | g))", "y ~ (((1 | g)))",
    # || and |
    "y ~ x + (x || g)", "y ~ (1 + x || g)", "y ~ (0 + x || g)", "y ~ (x + z || g)", "y ~ x || g",
    "y ~ (x || g/h)", "y ~ (x | g) + (z || h)", "y ~ (1 | g | h)", "y ~ (1 || g)", "y ~ (x|||g)",
    "y ~ (x | g) : z", "y ~ (x | g) * z", "y ~ -(1 | g)", "y ~ (1 | g) - (1 | g)", "y ~ x + (1 | g) + (1 | g)",
    # / and :
    "y ~ a/b", "y ~ a/b/c", "y ~ a/(b + c)", "y ~ (a + b)/c", "y ~ a:b", "y ~ a:b:c", "y ~ a:a", "y ~ a*b - a:b",
    "y ~ 1 + (1 | a/b/c)", "y ~ 1 + (1 | a:b)", "y ~ 1 + (1 | a:b/c)", "y ~ 1 + (1 | a/b:c)", "y ~ 1 + (1 | (a/b)/c)",
    "y ~ 1 + (1 | a/(b/c))", "y ~ 1 + (1 | (a/b):c)", "y ~ 1 + (1 | a/a)", "y ~ 1 + (1 | factor(a)/b)",
    # ^
    "y ~ (a + b + c)^2", "y ~ (a + b)^3", "y ~ a^2", "y ~ x^2", "y ~ (a + b)^0", "y ~ (a + b)^2.5", "y ~ (a + b)^-1",
    "y ~ (a + b)^17", "y ~ (a + b)^16", "y ~ a^b", "y ~ (a*b)^2", "y ~ (a/b)^2", "y ~ a^2^3", "y ~ (a+b+c+d+e+f)^3",
    "y ~ (a + b)^1e300", "y ~ (a+b)^(2)",
    # backquotes
    "`my y` ~ `x 1` + `a:b`", "y ~ `x`", "y ~ ``", "y ~ `unterminated", "`y` ~ `(1|g)`", "y ~ `a`b", "y ~ `a``b`",
    "y ~ `1x` + `-` + `~`", "y ~ factor(`a b`)", "y ~ (1 | `g h`)", "y ~ `x\ty`", "y ~ I(`x y`^2)",
    # unicode and odd bytes
    "y ~ café", "y ~ `café` + `日本`", "résultat ~ x", "y ~ x\u00a0+ z", "y ~ x + \u2212z", "y ~ `\U0001F600`",
    "y ~ x\t+\tz\r", "y ~ x\x01", "y ~ \x7f", "y\x00~ x",
    # very long names
    "y ~ " + LONG, LONG + " ~ x", "y ~ (1 | " + LONG + ")", "y ~ `" + "a b " * 60 + "`",
    "y ~ 1 + (1 | " + "a" * 100 + "/" + "b" * 100 + ")", "y ~ " + "x" * 480,
    # the intercept
    "y ~ x - 1", "y ~ -1 + x", "y ~ -1", "y ~ 0", "y ~ 0 + x", "y ~ x + 0", "y ~ x - 0", "y ~ 1", "y ~ -x", "y ~ x - x",
    "y ~ 1 - 1", "y ~ 0 + 1", "y ~ -(a + b)", "y ~ a - (a + 1)", "y ~ +x", "y ~ ++x", "y ~ --x", "y ~ x + -1",
    "y ~ 0 + x + (0 + x | g)", "y ~ 1 + (0 | g)", "y ~ 1 + (-1 | g)", "y ~ x + (x - 1 | g)", "y ~ (1 + 0 | g)",
    "y ~ 00", "y ~ 1.0", "y ~ 0x1", "y ~ .5", "y ~ 1e0", "y ~ 1e999", "y ~ 2", "y ~ -0",
    # arithmetic and calls
    "y ~ x + I(x^2)", "y ~ I(x^2 + 1)", "I(y/2) ~ x", "y ~ I(x)^2", "y ~ I()", "y ~ I(x, z)", "log(y, 10) ~ x",
    "log(1 + y) ~ log(x) + exp(z) + sqrt(w)", "log1p(y) ~ expm1(x) + log2(x) + log10(x) + abs(x) + sin(x) + cos(x) + tan(x)",
    "y ~ poly(x, 2)", "y ~ factor(x, y)", "y ~ factor()", "y ~ as.factor(x)", "y ~ factor(x + 1)", "y ~ factor(I(x^2))",
    "y ~ factor(factor(x))", "y ~ factor(x):factor(z)", "factor(y) ~ x", "y ~ log(x, 2, 3)", "y ~ I(x | z)",
    "y ~ I(x ~ z)", "y ~ I(x:z)", "y ~ I((x ~ z))", "y ~ factor((x ~ z))", "(y ~ x) ~ z", "y ~ I(-x^2)", "y ~ I(2^-x)",
    "y ~ I(x/0)", "I(1/0) ~ x", "y ~ I(1e308 * 10)", "sqrt(-1) ~ x", "y ~ (1 | I(g))", "y ~ (1 | log(g))",
    "y ~ (1 | factor(g))", "y ~ (1 | as.factor(g))", "y ~ (1 | g + h)", "y ~ (1 | 1)", "y ~ (1 | x^2)",
    "y ~ (I(x^2) | g)", "y ~ (factor(x) | g)", "y ~ (x*z | g)", "y ~ (x | g/h) + (1 | k)", "y ~ y", "y ~ x + (1 | y)",
    "y ~ (1 | g) + (1 | g:g)",
    # syntax errors
    "", " ", "~", "~ x", "y ~", "y ~ x ~ z", "y ~ (x", "y ~ x)", "y ~ x +", "y ~ x | g", "y ~ (x | g", "y ~ x,z",
    "y ~ $x", "y ~ (1 | x + 1)", "y ~ (| g)", "y ~ (x |)", "y ~ ()", "y ~ f()", "y ~ 1x", "y ~ x y", "y ~ x ++",
    "y ~ * x", "y ~ x ** 2", "y ~ x // z", "y ~ x :: z", "y ~ x ^", "y ~ ^x", "y ~ ~x", "y ~ (~x)", "y ~ x; DROP",
    "~~", "y ~~ x", "y", "(", ")", "`", "y ~ '", "y ~ \"x\"", "y ~ x #", "y ~ x\\", "y ~ .", "y ~ ._", "y ~ _x",
    "y ~ x..1", "y ~ NA", "y ~ TRUE", "y ~ Inf", "y ~ NaN",
]

TRICKY_RANDOMS = [
    "1|g", "g", "~ g", "~1|g", "~ 1 | g", "x|g", "~ x | g", "1|a/b/c", "1|a/b/c/d", "factor(x)|a/b", "x||g", "1|a:b",
    "~", "", "  ", "|g", "1|", "y ~ 1|g", "~ ~ g", "(1|g)", "1|g + h", "1|(a/b)", "0|g", "-1 + x|g", "x - 1|g",
    "1|" + LONG, "~ 1 | a:b/c", "x*z|g", "1|log(g)", "1|factor(g)", "I(x^2)|g", "`a b`|`c d`", "1|g|h", "1 + x",
    "1|" + "/".join("g%d" % i for i in range(40)), "1|" + "/".join("g%d" % i for i in range(70)),
]

TRICKY_OPTIONS = [
    "", " ", ",", ",,,", "method=ML", "method=REML", "method=ml", " Method = reml ", "METHOD=ML", "method=",
    "method", "=", "=ML", "method==ML", "method=ML,", ",method=ML", "method=ML,method=REML", "method=ML, method=GLS",
    "method=MLE", "method=GLS", "foo=1", "method=ML, verbose", "method = ML , ", "method\t=\tML", "method=M L",
    "m\u00e9thod=ML", "method=ML\x00junk", "method=" + "M" * 300, "k" * 400 + "=v", "method=ML;method=REML",
    "save=x", "method=ML, save=m1", "=,=,=",
]


# ---- model seeds: formula, random, options and the row bytes -------------------

def columns(formula, random):
    """Column names in the order the model asks for them, with a guess of their role."""
    cols = []
    roles = {}
    for part_index, text in enumerate([formula, random or ""]):
        lhs_end = text.find("~") if part_index == 0 else -1
        tokens = re.finditer(r"`([^`]*)`|([A-Za-z._][A-Za-z0-9._]*)(\s*\()?", text)
        for m in tokens:
            if m.group(3):
                continue  # a function name
            name = m.group(1) if m.group(1) is not None else m.group(2)
            before = text[:m.start()]
            if m.start() < lhs_end:
                role = "response"
            elif part_index == 1 and "|" in text and m.start() > text.index("|") or \
                    re.search(r"\|\|?[\s\w.:/()`]*$", before) and part_index == 0:
                role = "group"
            elif part_index == 1 and "|" not in text:
                role = "group"
            elif re.search(r"factor\(\s*$", before):
                role = "factor"
            else:
                role = "numeric"
            if name not in roles:
                cols.append(name)
                roles[name] = role
    return [(c, roles[c]) for c in cols]


# style byte of fuzz_model.c: bits 0-1 style (0 ints, 1 continuous, 2 text, 3 mixed),
# bits 2-4 levels - 2 (mod 7), bits 5-7 == 7 turns on NULLs
def style(kind, nlev=4, nulls=False):
    return ({"ints": 0, "cont": 1, "text": 2, "mixed": 3}[kind] | ((nlev - 2) % 7) << 2 | (0xE0 if nulls else 0))


def model_seeds(formula, random, options):
    cols = columns(formula, random)
    head = "%s\n%s\n%s\n" % (formula, random or "", options or "")
    variants = []
    for numeric_as, group_lev, nrows, nulls in (("cont", 6, 48, False), ("ints", 4, 64, False),
                                                 ("text", 3, 40, False), ("cont", 5, 64, True)):
        b = bytearray([1, nrows - 1])
        for name, role in cols:
            if role == "response":  # under log() or sqrt() the response stays >= 0
                lhs = formula.split("~")[0]
                b.append(style("ints" if "(" in lhs else "cont", 8, nulls=nulls))
            elif role == "group":
                b.append(style("text", group_lev))
            elif role == "factor":
                b.append(style("ints", 3))
            else:
                b.append(style(numeric_as, 4 if numeric_as == "ints" else 3))
        variants.append(head.encode("utf-8") + bytes(b))
    return variants


def main():
    calls = reference_calls()
    formulas, randoms, options = project_strings()
    readme = [(f, None, None) for f in formulas]
    unit_randoms = sorted(set(randoms))
    all_options = sorted(set(options) | set(o for _, _, o in calls if o) | set(TRICKY_OPTIONS))

    # fuzz_formula
    for f, r, _ in calls:
        write("fuzz_formula", "ref", f)
        if r:
            write("fuzz_formula", "ref", f + "\n" + r)
            write("fuzz_formula", "ref", r)
            write("fuzz_formula", "ref", "y ~ x\n" + r)
    for f in formulas:
        write("fuzz_formula", "project", f)
    for r in unit_randoms:
        write("fuzz_formula", "project", "y ~ x\n" + r)
    for f in TRICKY_FORMULAS:
        write("fuzz_formula", "tricky", f)
    for r in TRICKY_RANDOMS:
        write("fuzz_formula", "tricky", "y ~ x\n" + r)
        write("fuzz_formula", "tricky", "y ~ 1\n" + r)

    # fuzz_options
    for o in all_options:
        write("fuzz_options", "options", o)

    # fuzz_model
    seen = set()
    # the tricky texts once each (their rows matter little), the calls that fit in all four row variants
    for data in [model_seeds(f, None, None)[0] for f in TRICKY_FORMULAS] + \
            [model_seeds("y ~ x", r, None)[0] for r in TRICKY_RANDOMS] + \
            [model_seeds("y ~ x", "1|g", o)[0] for o in all_options]:
        if data not in seen:
            seen.add(data)
            write("fuzz_model", "model", data)
    model_calls = list(calls) + readme
    model_calls += [
        ("y ~ x + (1 | g)", None, None), ("y ~ x + (x | g)", None, "method=ML"), ("y ~ x + (x || g)", None, None),
        ("y ~ 1 + (1 | a) + (1 | b)", None, None), ("y ~ x", "x|g", "method=ML"), ("y ~ factor(f) * x", None, None),
        ("y ~ x", None, "method=REML"), ("log(1 + y) ~ x + I(x^2)", "1|a/b", None), ("y ~ f + (f | g)", None, None),
        ("y ~ 0 + x + (0 + x | g)", None, None), ("y ~ x + (1 | a/b)", None, None), ("y ~ x", "1|a/b/c", None),
        ("y ~ f", None, None), ("y ~ 1", "1|g", "method=ML"), ("y ~ x + z + (1 | g:h)", None, None),
        ("sqrt(y) ~ log(x) + (1 | g)", None, None), ("y ~ x + (1 | x)", None, None), ("y ~ g + (1 | g)", None, None),
        ("y ~ f*g*h", None, None), ("y ~ x + (f + x | g)", None, None),
    ]
    for f, r, o in model_calls:
        for data in model_seeds(f, r, o):
            if data not in seen:
                seen.add(data)
                write("fuzz_model", "model", data)


if __name__ == "__main__":
    main()
