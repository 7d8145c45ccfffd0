"""The residual structures' remaining options (issue 16) against nlme, tests/reference/structures3 (made by
tests/reference/make_structures3.R, README there): varPower, varExp and varConstPower with strata (form = ~ x | g,
one parameter per stratum, nlme's names), varIdent's fixed= and value= naming its strata (the one left unnamed the
reference, the parameters in value='s order), corSymm's value= and a nested correlation grouping (form = ~ ... | a/b),
checked as test_structures checks its cases; and their errors."""
import glob
import json
import os

from harness import ROOT
from test_structures import check_anova, check_structure
from test_errors import snapshot

CASES = os.path.join(ROOT, "tests", "reference", "structures3")


def errors(t, db):
    before = snapshot(db)
    call = "SELECT * FROM lmm_fit(?, ?, ?, ?)"
    for data, formula, random, options, fragments, what in [
        ("orthodont_chr", "distance ~ age", None, "weights=varIdent(form = ~ 1 | Sex, fixed = c(Femal = 0.5))",
         ["weights: varIdent's fixed= names 'Femal', which is not a stratum of 'Sex' (its strata: Male, Female)"],
         "an unknown stratum in varIdent's fixed="),
        ("orthodont_chr", "distance ~ age", None, "weights=varIdent(form = ~ 1 | Sex, fixed = c(Female = 0.5, Male = 2))",
         ["varIdent's fixed= holds every stratum of 'Sex'; leave one free"], "every stratum fixed"),
        ("orthodont_chr", "distance ~ age", None, "weights=varIdent(form = ~ 1 | Sex, fixed = 0.5)",
         ["varIdent's fixed must name its strata, as fixed = c(Female = 0.5), not '0.5'"], "an unnamed fixed="),
        ("orthodont_chr", "distance ~ age", None, "weights=varIdent(form = ~ 1 | Sex, fixed = c(Female = -1))",
         ["varIdent's fixed ratio of 'Female' must be a positive number, not '-1'"], "a negative fixed ratio"),
        ("orthodont_chr", "distance ~ age", None, "weights=varIdent(form = ~ 1 | Sex, fixed = c(Female = 1, Female = 2))",
         ["varIdent's fixed names the stratum 'Female' twice"], "a stratum fixed twice"),
        ("orthodont_chr", "distance ~ age", None, "weights=varPower(form = ~ age | Sex, fixed = c(Mail = 0.5))",
         ["weights: varPower's fixed= names 'Mail', which is not a stratum of 'Sex' (its strata: Male, Female)"],
         "an unknown stratum in varPower's fixed="),
        ("orthodont_chr", "distance ~ age", None, "weights=varExp(form = ~ age, fixed = c(Male = 0.5))",
         ["weights: varExp's fixed names strata, and its form has none; give them, as form = ~ x | g"],
         "varExp's fixed= by stratum without strata"),
        ("orthodont_chr", "distance ~ age", None, "weights=varPower(c(0.1, 0.2), form = ~ age | Sex)",
         ["weights: value must be one number, as 0.5", "not 'c(0.1, 0.2)'"], "varPower's value= of two numbers"),
        ("orthodont_chr", "distance ~ age", None, "weights=varFixed(~ age | Sex)",
         ["varFixed takes no strata"], "varFixed with strata"),
        ("orthodont_chr", "distance ~ age", None, "correlation=corSymm(value = c(0.5, 0.5), form = ~ 1 | Subject)",
         ["correlation: corSymm's value has 2 numbers for its 6 parameters"], "corSymm's value= of the wrong length"),
        ("orthodont_chr", "distance ~ age", None,
         "correlation=corSymm(value = c(0.9, -0.9, 0.9, 0, 0, 0), form = ~ 1 | Subject)",
         ["correlation: corSymm's value= is not a correlation matrix", "Rho(1,2), Rho(1,3)"],
         "corSymm's value= not positive definite"),
        # without a covariate the positions are the rows' order in their group: the message once named the
        # covariate that is not there, printing a NULL pointer as '(null)'
        ("sleepstudy", "Reaction ~ Days", None, "correlation=corSymm(form = ~ 1)",
         ["correlation: corSymm's positions must be 1 to 64; without a covariate (form = ~ 1 | g) they number each "
          "group's rows 1, 2, ..., and row 65 is the 65th of its group"], "corSymm over a group of more than 64 rows"),
        ("pixel", "pixel ~ day", None, "correlation=corAR1(form = ~ 1 | Dog/Side/day)",
         ["correlation: form '~ 1 | Dog/Side/day': a nested grouping takes two columns, outer/inner"],
         "a grouping nested three deep"),
        ("orthodont_chr", "distance ~ age", None, "weights=varIdent(value = c(1.1, 1.2, 1.3), form = ~ 1 | age)",
         ["weights: varIdent's value= of several ratios must name their strata, as value = c(b = 1.5, c = 2)"],
         "varIdent's value= of several unnamed ratios (nlme: 'initial values must have group names')"),
        ("orthodont_chr", "distance ~ age", None, "weights=varIdent(value = c('14' = 1.14, '10' = 1.1), form = ~ 1 | age)",
         ["weights: varIdent's value= must name every stratum of 'age' but one, the reference", "it leaves 2 unnamed"],
         "varIdent's value= naming too few strata (nlme: 'should be of length 3')"),
        ("orthodont_chr", "distance ~ age", None,
         "weights=varIdent(value = c('14' = 1.14, '10' = 1.1, '99' = 2), form = ~ 1 | age)",
         ["weights: varIdent's value= names '99', which is not a stratum of 'age' (its strata: 8, 10, 12, 14)"],
         "varIdent's value= naming no stratum"),
        ("orthodont_chr", "distance ~ age", None,
         "weights=varIdent(value = c('10' = 1.1, '12' = 1.2, '14' = 1.1), form = ~ 1 | age, fixed = c('12' = 1.12))",
         ["weights: varIdent's value= names the stratum '12' that fixed= holds"], "a stratum both started and held"),
        ("orthodont_chr", "distance ~ age", None, "weights=varIdent(value = c('10' = 1.1, '12' = 0), form = ~ 1 | Sex)",
         ["varIdent's value ratio of '12' must be a positive number, not '0'"], "a ratio of 0 in value="),
        ("orthodont_chr", "distance ~ age", None, "weights=varIdent(value = -1, form = ~ 1 | Sex)",
         ["varIdent's value= must be a positive ratio, not -1"], "a negative value="),
        ("pixel", "pixel ~ day", None, "weights=varIdent(form = ~ 1 | Dog/Side)",
         ["weights: form '~ 1 | Dog/Side': a nested grouping (a/b) is read for correlation structures only"],
         "a nested grouping of a variance function"),
    ]:
        t.error(db, call, (data, formula, random, options), fragments, what)
    t.ok(snapshot(db) == before, "the database changed under refused structures")


def run(t, db):
    paths = sorted(glob.glob(os.path.join(CASES, "s3_*.json")))
    t.ok(len(paths) == 15, "15 structure cases, found %d" % len(paths))
    for path in paths:
        ref = json.load(open(path))
        check_structure(t, db, ref, ref["case"])
        check_anova(t, db, ref, ref["case"])
    errors(t, db)
