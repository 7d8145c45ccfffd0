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
  fuzz_plot_options  one byte (the plot kind, modulo the kinds) then options text
  fuzz_model     formula "\\n" random "\\n" options "\\n" row bytes
  fuzz_design    bytes that describe a design (design_seed() below writes them)
In fuzz_formula and fuzz_model a field may hold repeats: "\\x01" COUNT ":" BODY "\\x02" (rep() below).
"""
import glob
import hashlib
import json
import math
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
    # text literals, named arguments and factor calls
    "y ~ relevel(f, 'b')", "y ~ relevel(f, ref = \"b\")", "y ~ relevel(f, 2)", "y ~ relevel(f, 'a\\'b')",
    "y ~ factor(x, levels = c('b', 'a'))", "y ~ factor(x, levels = c(2, -1, 0.5))", "y ~ factor(x, levels = 'a')",
    "y ~ ordered(x, levels = c('c', 'b', 'a')) * z", "y ~ factor(x, ordered = TRUE)", "y ~ C(f, contr.sum) * x",
    "y ~ C(f, contr.helmert):g", "y ~ C(f, contr.treatment, base = 2)", "y ~ C(f, base = 3)", "y ~ C(f, \"poly\")",
    "y ~ C(relevel(factor(f, levels = c('b', 'a')), 'a'), SAS)", "y ~ (0 + C(f, contr.sum) | g)", "y ~ 'a'",
    "y ~ log('a')", "y ~ f(x = )", "y ~ f(= 1)", "y ~ f(x == 1)", "y ~ relevel(f, 'a", "y ~ relevel(f, 'a\\",
    "y ~ relevel(f, '\\q')", "y ~ C(f, contr.treatment(base = 2))", "y ~ factor(x, levels = c(x, 'a'))",
]

TRICKY_RANDOMS = [
    "1|g", "g", "~ g", "~1|g", "~ 1 | g", "x|g", "~ x | g", "1|a/b/c", "1|a/b/c/d", "factor(x)|a/b", "x||g", "1|a:b",
    "~", "", "  ", "|g", "1|", "y ~ 1|g", "~ ~ g", "(1|g)", "1|g + h", "1|(a/b)", "0|g", "-1 + x|g", "x - 1|g",
    "1|" + LONG, "~ 1 | a:b/c", "x*z|g", "1|log(g)", "1|factor(g)", "I(x^2)|g", "`a b`|`c d`", "1|g|h", "1 + x",
    "1|" + "/".join("g%d" % i for i in range(40)), "1|" + "/".join("g%d" % i for i in range(70)),
]


def rep(count, body):
    """body written count times, as fuzz_common.h's repeats expand it"""
    return "\x01%d:%s\x02" % (count, body)


# Long and deep texts a few bytes long: chains a recursive parser descends once per
# operator, term counts past every limit, nesting that multiplies random-effect terms.
DEEP_FORMULAS = [
    "y ~ " + rep(100000, "-") + "x", "y ~ " + rep(3000, "-") + "x", "y ~ " + rep(1000, "+") + "x",
    "y ~ x" + rep(60000, " + x"), "y ~ x" + rep(3000, "+x"), "y ~ x" + rep(1000, "+x"),
    "y ~ x" + rep(100000, "^x"), "y ~ x" + rep(500, "^2"), "y ~ I(x" + rep(100000, "^x") + ")",
    "y ~ a" + rep(60000, ":a"), "y ~ a" + rep(3000, "*b"), "y ~ a" + rep(3000, "/b"), "y ~ x" + rep(3000, "-x"),
    "y ~ " + rep(190, "(") + "x" + rep(190, ")"), "y ~ " + rep(100000, "(") + "x",
    "y ~ " + rep(150, "I(") + "x" + rep(150, ")"), "y ~ " + rep(190, "log(") + "x" + rep(190, ")"),
    "y ~ I(" + rep(100000, "-") + "x)", "y ~ I(1" + rep(100000, "+1") + ")", "y ~ I(x" + rep(3000, "*x") + ")",
    rep(100000, "-") + "y ~ x", "y ~ " + rep(5, rep(20000, "-")) + "x",
    "y ~ x" + rep(200, " + (1 | g)"), "y ~ x" + rep(20000, " + (1 | g)"), "y ~ x" + rep(3000, " + (x | g)"),
    "y ~ 1 + (1 | " + rep(63, "u/") + "u)", "y ~ 1 + (1 | " + rep(3000, "u/") + "u)",
    "y ~ 1 + (a*b*c*d*e*f*g*h*i*j || " + rep(63, "u/") + "u)", "y ~ 1 + (1 | " + rep(3000, "u:") + "u)",
    "y ~ (a" + rep(64, "+a") + ")^64", "y ~ (a+b+c+d+e+f+g+h+i+j+k+l+m+n+o+p)^16",
    "y ~ " + "+".join("x%d" % i for i in range(70)),
]
DEEP_RANDOMS = [
    rep(100000, "-") + "1|g", "1|" + rep(63, "g/") + "g", "1|" + rep(3000, "g/") + "g", "x" + rep(60000, "+x") + "|g",
    "1|g" + rep(100000, ":g"), "~" + rep(100000, "(") + "1|g",
]

TRICKY_OPTIONS = [
    "", " ", ",", ",,,", "method=ML", "method=REML", "method=ml", " Method = reml ", "METHOD=ML", "method=",
    "method", "=", "=ML", "method==ML", "method=ML,", ",method=ML", "method=ML,method=REML", "method=ML, method=GLS",
    "method=MLE", "method=GLS", "foo=1", "method=ML, verbose", "method = ML , ", "method\t=\tML", "method=M L",
    "m\u00e9thod=ML", "method=ML\x00junk", "method=" + "M" * 300, "k" * 400 + "=v", "method=ML;method=REML",
    "save=x", "method=ML, save=m1", "=,=,=", "contrasts=sum", "contrasts=contr.helmert, method=ML", "contrasts=SAS",
    "contrasts=", "contrasts=sum, contrasts=sum",
]

PLOT_OPTIONS = [
    "", "width=800", "width=800, height=600", "title=Fit (a, b), width=700", "title='a, b'", "title=\"x, (y\"",
    "title='open", "title=Children's growth, width=700", "xlim=-3:3", "xlim=c(-3, 3)", "ylim=-1 1", "xlim=3:-3",
    "type=normalized", "type=pearson, smooth=0", "level=2, interval=0.95", "xlab=x, ylab=y", "width=99", "colour=red",
    "smooth", "title=" + "t" * 300, "xlim=c(1e308, 1e309)", "interval=0.999999", ",,, ,width=100,",
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


# ---- design seeds: the bytes fuzz_design.c decodes ------------------------------

DESIGN_EDGES = [1, 2, 3, 7, 8, 9, 63, 64, 65, 255, 256, 257, 1023, 1024, 1025, 4095, 4096, 4097, 32767, 32768,
                32769, 46340, 46341, 65535, 65536, 65537, 99999, 100000, 131071, 131072, 131073, 199999, 200000]


def design_count(v, most):
    """bytes that fuzz_design.c's count() decodes to v (at most `most`)"""
    if v <= 32:
        return bytes([v - 1])
    if v in DESIGN_EDGES:
        return bytes([0x80 | DESIGN_EDGES.index(v)])
    x = round(math.log(v) / math.log(most) * 65535)
    return bytes([0xC0, x >> 8, x & 255])


def design_seed(rows=200, num=(), fac=(), grp=(), as_number=False, nlme=False, ml=False, feed=False,
                no_intercept=False, rowid=False, fac_cross=False, num_cross=False, square=False,
                lhs=0, uncorrelated=False, shape=0, copies=1, depth=2, width=1, y_exp=0):
    """num: (exponent, specials) per covariate; fac, grp: (levels, assign) per factor."""
    flags = nlme | ml << 1 | feed << 2 | no_intercept << 3 | rowid << 4 | fac_cross << 5 | num_cross << 6 | square << 7
    b = bytearray([flags]) + design_count(rows, 200000)
    b.append(len(num) | len(fac) << 2 | len(grp) << 4 | as_number << 7)
    for e, sp in num:
        b += bytes([max(0, min(255, round(e * 128 / 300) + 128)), sp])
    for lev, assign in list(fac) + list(grp):
        b += design_count(lev, 100000) + bytes([assign])
    b.append(lhs | uncorrelated << 3 | shape << 4)
    b += design_count(copies, 30000) + bytes([0])   # 0: copies as given, not 1-4
    b += design_count(depth - 1, 100) + bytes([width - 1, max(0, min(255, round(y_exp * 128 / 300) + 128))])
    return bytes(b)


# (name, design): fits that finish in well under a second under the sanitizers; the big
# counts that crashed or hung lmm go to tests/fuzz/findings until they are fixed
DESIGN_SEEDS = [
    ("lmm", dict(num=[(0, 0)], grp=[(10, 0)])),
    ("slope", dict(rows=2000, num=[(0, 0)], grp=[(50, 1)], lhs=1)),
    ("slope-uncorrelated", dict(rows=2000, num=[(0, 0), (2, 0)], grp=[(40, 2)], lhs=3, uncorrelated=True)),
    ("crossed", dict(rows=3000, num=[(0, 0)], grp=[(30, 1), (20, 0)], copies=2)),
    ("nested", dict(rows=3000, num=[(0, 0)], grp=[(10, 2), (100, 2)], shape=1)),
    ("interaction", dict(rows=3000, grp=[(10, 0), (12, 1)], shape=2)),
    ("nlme", dict(rows=1000, num=[(0, 0)], grp=[(10, 2), (50, 2)], nlme=True, shape=1, ml=True)),
    ("factor-slope", dict(rows=2000, fac=[(3, 1)], grp=[(40, 1)], lhs=4)),
    ("lm-factors", dict(rows=2000, num=[(0, 0)], fac=[(20, 1), (5, 0)], fac_cross=True)),
    ("gls", dict(rows=500, num=[(0, 0), (1, 0)], num_cross=True, ml=True)),
    ("square", dict(rows=2000, num=[(0, 0), (0, 0)], fac=[(4, 1)], grp=[(20, 0)], square=True)),
    ("numbers-as-levels", dict(rows=1000, fac=[(6, 1)], grp=[(25, 1)], as_number=True)),
    ("feed", dict(rows=100000, num=[(0, 0)], grp=[(1000, 1)], feed=True, rowid=True)),
    ("many-rows", dict(rows=200000, num=[(0, 0)], grp=[(100, 0)], feed=True)),
    ("many-levels", dict(rows=131072, grp=[(65537, 0)], feed=True)),
    ("tiny-scale", dict(num=[(-200, 0)], grp=[(10, 0)], y_exp=-200)),
    ("huge-scale", dict(num=[(200, 0)], grp=[(10, 0)], y_exp=200)),
    ("mixed-scale", dict(rows=1000, num=[(-150, 0), (150, 0)], grp=[(10, 0)], lhs=1, y_exp=100)),
    ("specials", dict(rows=1000, num=[(0, 1), (0, 2)], grp=[(10, 0)])),
    ("constant", dict(rows=1000, num=[(0, 3)], grp=[(10, 0)], lhs=1)),
    ("few", dict(rows=5000, num=[(0, 0)], grp=[(50, 3)])),
    ("no-intercept", dict(rows=1000, num=[(0, 0)], grp=[(10, 0)], no_intercept=True, lhs=2)),
    ("nested-deep", dict(rows=2000, grp=[(4, 2)], shape=3, depth=8)),
    ("lhs-crossed", dict(rows=5000, num=[(0, 0), (0, 0)], fac=[(2, 0)], grp=[(100, 1)], lhs=6, uncorrelated=True)),
    ("lhs-powers", dict(rows=5000, num=[(0, 0)], grp=[(100, 1)], lhs=7, uncorrelated=True, width=3)),
    ("copies", dict(rows=1000, num=[(0, 0)], grp=[(10, 1)], copies=6)),
]


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
    for f in DEEP_FORMULAS:
        write("fuzz_formula", "deep", f)
    for r in DEEP_RANDOMS:
        write("fuzz_formula", "deep", "y ~ x\n" + r)

    # fuzz_options
    for o in all_options:
        write("fuzz_options", "options", o)

    # fuzz_plot_options: each text for the qq plot (kind 0), the ranef plot (5) and the histogram (8)
    for o in PLOT_OPTIONS:
        for kind in (0, 5, 8):
            write("fuzz_plot_options", "plot", bytes([kind]) + o.encode("utf-8"))

    # fuzz_model
    seen = set()
    # the tricky texts once each (their rows matter little), the calls that fit in all four row variants
    for data in [model_seeds(f, None, None)[0] for f in TRICKY_FORMULAS] + \
            [model_seeds("y ~ x", r, None)[0] for r in TRICKY_RANDOMS] + \
            [model_seeds("y ~ x", "1|g", o)[0] for o in all_options]:
        if data not in seen:
            seen.add(data)
            write("fuzz_model", "model", data)
    for data in [model_seeds(f, None, None)[0] for f in DEEP_FORMULAS] + \
            [model_seeds("y ~ x", r, None)[0] for r in DEEP_RANDOMS]:
        if data not in seen:
            seen.add(data)
            write("fuzz_model", "deep", data)
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

    # fuzz_design
    for name, spec in DESIGN_SEEDS:
        write("fuzz_design", "design-" + name, design_seed(**spec))


if __name__ == "__main__":
    main()
