"""Bad input: a clear SQL error that names what is wrong, and the database
left exactly as it was."""
import sqlite3
import threading
import time

from harness import fit

CALL = "SELECT * FROM lmm_fit(?, ?, ?, ?)"


def snapshot(db):
    schema = db.execute("SELECT type, name, sql FROM sqlite_schema ORDER BY name").fetchall()
    counts = [db.execute('SELECT count(*), total(rowid) FROM "%s"' % n.replace('"', '""')).fetchone()
              for (ty, n, s) in schema if ty == "table" and not n.startswith("sqlite_")]
    return schema, counts


def run(t, db):
    db.execute("CREATE TABLE bad AS SELECT * FROM sleepstudy")
    db.execute("UPDATE bad SET Days = 'three' WHERE rowid = 17")
    db.execute("CREATE TABLE onegroup AS SELECT Reaction, Days, 'x' AS g FROM sleepstudy")
    db.execute("CREATE TABLE allnull AS SELECT NULL AS y, Days FROM sleepstudy")
    db.execute("CREATE TABLE zeros AS SELECT 0 AS y, Days, Subject FROM sleepstudy")
    db.execute("CREATE TABLE infs AS SELECT Reaction, CASE WHEN rowid = 9 THEN 9e999 ELSE Days END AS Days FROM sleepstudy")
    db.execute("CREATE TABLE blobs AS SELECT Reaction, CASE WHEN rowid = 4 THEN x'00ff' ELSE Days END AS Days FROM sleepstudy")
    db.execute("CREATE VIEW uses_fit AS SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days')")
    db.commit()
    before = snapshot(db)
    cases = [
        (("nosuch", "y ~ x", None, None), ["lmm_fit: no such table or view: 'nosuch'"], "unknown table"),
        # an empty quoted name was 'out of memory' (SQLite's string builder gives NULL for "")
        (('""', "y ~ x", None, None), ["lmm_fit: no such table or view: '\"\"'"], "an empty quoted name"),
        (("main.[]", "y ~ x", None, None), ["lmm_fit: no such table or view: 'main.[]'"], "an empty bracketed name"),
        (("sleepstudy", "Reaction ~ Dayz", None, None), ["no column 'Dayz'", "sleepstudy", "Days"], "unknown column"),
        (("sleepstudy", "Reaction ~ Days +* Subject", None, None), ["syntax error", "character 18", "* Subject"], "syntax"),
        (("sleepstudy", "Reaction ~ (Days", None, None), ["expected ')'"], "unbalanced"),
        (("sleepstudy", "~ Days", None, None), ["needs a response"], "no response"),
        (("sleepstudy", "Reaction ~ lowess(Days)", None, None),
         ["unknown function 'lowess'", "a formula calls I, log", "pmax in arithmetic", "relevel", "poly", "offset"],
         "unknown function"),
        (("sleepstudy", "Reaction ~ log(Days + 1, bas = 2)", None, None), ["the named argument 'bas ='", "not taken"],
         "a misnamed argument of log"),
        (("sleepstudy", "Reaction ~ log(base = 2, Days + 1)", None, None), ["the named argument 'base ='", "not taken"],
         "log's base given first"),
        (("sleepstudy", "Reaction ~ poly(Days, 10)", None, None),
         ["poly(Days, 10): 'degree' must be less than number of unique points", "10 distinct values"], "poly degree too high"),
        (("sleepstudy", "Reaction ~ poly(Days, Reaction, degree = 2)", None, None),
         ["poly() of several variables is not supported", "character 23"], "poly of two variables"),
        (("sleepstudy", "Reaction ~ ns(Days, knots = 3)", None, None), ["ns() has no argument 'knots'", "df ="],
         "ns with knots"),
        (("sleepstudy", "Reaction ~ scale(Days, scale = 2)", None, None), ["scale() takes TRUE or FALSE for 'scale'"],
         "scale with a number"),
        (("sleepstudy", "Reaction ~ bs(Days, df = 2)", None, None), ["bs() needs df at least its degree, 3"], "bs df below degree"),
        (("sleepstudy", "Reaction ~ ns(Days, df = 2.5)", None, None), ["ns() takes a whole number from 1 to 50 for 'df'"],
         "ns with a fractional df"),
        (("SELECT Reaction, Days, 1 AS c FROM sleepstudy", "Reaction ~ Days + ns(c, df = 2)", None, None),
         ["ns(c, df = 2): the values are all the same", "no range to place knots"], "spline of a constant"),
        (("SELECT Reaction, Days, 1 AS c FROM sleepstudy", "Reaction ~ Days + scale(c)", None, None),
         ["scale(c): the values are all the same", "no scale to divide by"], "scale of a constant"),
        (("sleepstudy", "Reaction ~ exp(Days, base = 2)", None, None),
         ["exp() takes 1 argument, not 2"], "a second argument exp does not take"),
        (("sleepstudy", "Reaction ~ sqrt(x = Days)", None, None),
         ["the named argument 'x =' at character 17", "not taken by arithmetic"], "named argument in arithmetic"),
        (("orthodont", "distance ~ Sex + offset(age)", None, "offset=age/2"), ["a second offset()", "offset(a + b)"],
         "offset twice"),
        (("orthodont", "distance ~ Sex", None, "offset=age, offset=age"), ["options: offset is given twice"],
         "offset option twice"),
        # integer ids: beyond 2^53 they once read as the nearest double (snowflake ids 256 apart made one group),
        # and 16-digit ones print alike at R's 15 digits, so distinct ids made one level without a word
        (("SELECT Reaction, Days, 9007199254740993 + CAST(Subject AS INTEGER) AS id FROM sleepstudy",
          "Reaction ~ Days + (1|id)", None, None),
         ["'id' holds an integer beyond 2^53 at row 1 (read as 9007199254741300), which a double cannot hold exactly",
          "two ids could become one level", "CAST(id AS TEXT)"], "an integer id beyond 2^53"),
        (("SELECT Reaction, Days, 4000000000000000 + CAST(Subject AS INTEGER) % 3 AS id FROM sleepstudy",
          "Reaction ~ Days + (1|id)", None, None),
         ["'id' holds the distinct numbers 4000000000000000 and 4000000000000001, which R's factor() labels alike "
          "(15 significant digits, '4e+15')", "CAST(CAST(id AS INTEGER) AS TEXT)"], "16-digit integer ids as a grouping"),
        (("SELECT Reaction, Days, 4000000000000000 + CAST(Subject AS INTEGER) % 3 AS id FROM sleepstudy",
          "Reaction ~ Days + factor(id)", None, None),
         ["'factor(id)' holds the distinct numbers 4000000000000000 and 4000000000000001"],
         "16-digit integer ids as a factor"),
        # offset=e is read as offset(e) in the formula: a ')' of e's own once closed it, and the options text
        # added a random term to an lm ("offset=age) + (1|Subject") or dropped the intercept
        (("orthodont", "distance ~ Sex", None, "offset=age) + (1|Subject"),
         ["options: offset takes one expression whose parentheses pair up", "not 'age) + (1|Subject'"],
         "offset option closing offset()"),
        (("orthodont", "distance ~ Sex", None, "offset=0) - 1 + (0"),
         ["options: offset takes one expression whose parentheses pair up"], "offset option dropping the intercept"),
        (("orthodont", "distance ~ Sex + (1|Subject", None, "offset=age)"),
         ["options: offset takes one expression whose parentheses pair up"], "offset option closing the formula's ("),
        (("orthodont", "distance ~ Sex", None, "offset=log(age"),
         ["options: offset takes one expression whose parentheses pair up"], "offset option leaving a ( open"),
        (("orthodont", "distance ~ Sex", None, "offset=`age)`) + (1|Subject"),
         ["options: offset takes one expression whose parentheses pair up"], "offset option after a quoted name"),
        # a saved name lmm_anova's and lmm_plot's lists of names could never reach
        (("sleepstudy", "Reaction ~ Days", None, 'save="a,b"'), ["options: save takes a name without a comma, not 'a,b'"],
         "a save name with a comma"),
        # ... and the formula must be whole on its own: one ending in '-' subtracted the offset, silently
        (("orthodont", "distance ~ Sex -", None, "offset=age"),
         ["formula syntax error at character 17 (end of text)", "the text ends where a term was expected"],
         "a formula ending in '-' with an offset"),
        (("orthodont", "distance ~ Sex + (1|Subject", None, "offset=age"), ["formula syntax error", "expected ')'"],
         "a formula with a ( open and an offset"),
        (("orthodont", "distance ~ Sex + (offset(age) | Subject)", None, None),
         ["offset() is a term of the fixed part's sum, not of an interaction or a random part"], "offset in a random part"),
        (("orthodont", "distance ~ Sex:offset(age)", None, None), ["offset() is a term of the fixed part's sum"],
         "offset in an interaction"),
        (("orthodont", "distance ~ age + offset(Sex)", None, None),
         ["column 'Sex' must be numeric in offset(Sex)", "'Male'"], "offset of a text column"),
        (("sleepstudy", "Reaction ~ Days + 2", None, None), ["must be 0 or 1"], "stray number"),
        (("sleepstudy", "Reaction ~ Days", "Days|", None), ["random syntax error"], "random syntax"),
        (("bad", "Reaction ~ Days", None, None), ["column 'Days' is declared INT", "rowid 17", "three"], "text in numeric column"),
        (("SELECT Reaction, 'x' || Days AS Days FROM sleepstudy", "Reaction ~ log(Days + 1)", None, None),
         ["column 'Days' must be numeric", "row 1", "x0"], "text in arithmetic"),
        (("allnull", "y ~ Days", None, None), ["no rows left", "180 rows read", "180 dropped"], "all-NULL response"),
        (("onegroup", "Reaction ~ Days + (1|g)", None, None), ["'g' has only one level"], "one-level group"),
        (("sleepstudy", "Reaction ~ Days + (1|Reaction)", None, None), ["'Reaction'", "random effects", "only 180 rows"],
         "as many levels as rows"),
        (("arabidopsis", "log(1 + total_fruits) ~ amd + (factor(nutrient) + amd + status | reg)", None, None),
         ["'reg' has 3 levels for 5 random effects per level", "5x5 covariance"], "more random effects per level than levels"),
        (("sleepstudy", "Reaction ~ Days + I(2 * Days)", None, None), ["rank deficient", "I(2 * Days)"], "aliased column"),
        (("sleepstudy", "Reaction ~ Days + factor(Subject):factor(Days):factor(Reaction)", None, None),
         ["term 'factor(Subject):factor(Days):factor(Reaction)'", "more than 180 columns"], "too many fixed columns"),
        (("sleepstudy", "Reaction ~ Days + (factor(Subject):factor(Days) | Subject)", None, None),
         ["Subject", "more than 64 columns"], "too many random-effect columns"),
        (("zeros", "y ~ Days + (1|Subject)", None, None), ["reproduce the response exactly", "fit it without random effects"],
         "perfect fit with random effects"),
        (("zeros", "y ~ Days", None, "save=exact0"), ["the fit is exact (residual standard deviation 0)", "without save="],
         "an exact fit saved"),
        (("sleepstudy", "log(Reaction - 300) ~ Days", None, None), ["log(Reaction - 300)", "NaN", "rowid"], "NaN response"),
        (("infs", "Reaction ~ Days", None, None), ["Days is Inf", "rowid 9"], "Inf in a predictor"),
        (("blobs", "Reaction ~ Days", None, None), ["'Days' holds a BLOB", "rowid 4"], "BLOB value"),
        (("sleepstudy", "Reaction ~ Days", None, "method=MLE"), ["method must be ML or REML", "MLE"], "bad method"),
        (("sleepstudy", "Reaction ~ Days", None, "methd=ML"), ["unknown option 'methd'"], "unknown option"),
        (("sleepstudy", "Reaction ~ Days + (1|Subject)", None, "df=kr"),
         ["df must be containment, satterthwaite, kenward-roger, residual or none", "'kr'"], "bad df"),
        (("sleepstudy", "Reaction ~ Days + (1|Subject)", None, "df=none, df=residual"), ["df is given twice"], "df twice"),
        (("penicillin", "diameter ~ 1 + (1|plate) + (1|sample)", None, "df=containment"),
         ["df=containment is nlme's rule", "'plate' is not nested in 'sample'", "df=satterthwaite"], "containment on crossed factors"),
        (("sleepstudy", "Reaction ~ Days", None, "ML"), ["not of the form key=value"], "option without ="),
        (("SELECT * FROM sleepstudy; DELETE FROM sleepstudy", "Reaction ~ Days", None, None), ["single statement"],
         "two statements"),
        (("WITH x AS (SELECT 1) DELETE FROM bad RETURNING *", "Reaction ~ Days", None, None), ["only read"], "writing query"),
        (("SELECT * FROM nosuch", "y ~ x", None, None), ["does not compile", "nosuch"], "broken query"),
        (("sleepstudy", 42, None, None), ["'formula' must be text"], "formula not text"),
        (("warpbreaks", "breaks ~ relevel(tension, 'X')", None, None),
         ["relevel(tension, \"X\"): ref 'X' is not a level", "H, L, M"], "relevel to a level the data lack"),
        (("warpbreaks", "breaks ~ factor(tension, levels = c('M', 'X'))", None, None),
         ["level 'X' of levels = is not in the rows used", "empty level"], "a listed level the data lack"),
        (("warpbreaks", "breaks ~ factor(tension, levels = c('M', 'M'))", None, None),
         ["level 'M' is listed twice"], "a level listed twice"),
        (("warpbreaks", "breaks ~ C(tension, contr.foo)", None, None),
         ["unknown contrasts", "character 21", "contr.sum", "contr.helmert", "contr.poly"], "unknown contrasts"),
        (("warpbreaks", "breaks ~ C(tension, contr.treatment(base = 2))", None, None),
         ["C(f, contr.treatment, base = 2)"], "contr.treatment called in C()"),
        (("warpbreaks", "breaks ~ relevel(tension, 'M", None, None), ["unterminated text", "character 27"],
         "unterminated text"),
        (("warpbreaks", "breaks ~ 'M'", None, None), ["a text is not a term"], "a text as a term"),
        (("warpbreaks", "breaks ~ tension", None, "contrasts=anova"), ["contrasts must be sum, helmert", "anova"],
         "unknown contrasts option"),
        (("sleepstudy", ". ~ Days", None, None), ["'.' on the left of '~' stands for the old response", "lmm_update"],
         "'.' as the response"),
        (("SELECT Reaction, Subject FROM sleepstudy", "Reaction ~ . + (1|Subject)", None, None),
         ["'.' at character 12 stands for the columns of the data that the formula does not otherwise use",
          "there are none", "2 columns"], "'.' with no column left"),
        (("sleepstudy", "Reaction ~ Days", ". | Subject", None), ["random: '.' stands for the columns", "write the columns out"],
         "'.' in a random part"),
        (("sleepstudy", "Reaction ~ Days %o% Subject", None, None), ["syntax error at character 17"], "an operator other than %in%"),
        (("sleepstudy", "Reaction ~ Days + (Days|Subject)", None, "method=ML, df=kenward-roger, save=kr_ml"),
         ["df=kenward-roger is defined for REML fits", "by ML", "method=REML", "df=satterthwaite"], "Kenward-Roger on an ML fit"),
        (("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 7000) "
          "SELECT (i * 37 % 11) + (i / 2) % 5 AS y, 'g' || (i / 2) AS g FROM s", "y ~ 1 + (1|g)", None, "df=kenward-roger, save=kr_big"),
         ["df=kenward-roger works with dense matrices", "3501 of them (at most 3000)", "df=satterthwaite"],
         "Kenward-Roger beyond its dense limit"),
        # residual structures (issue 16): nlme's calls in weights= and correlation=
        (("orthodont_chr", "distance ~ age", None, "weights=varIdnt(form = ~ 1 | Sex)"),
         ["weights: unknown variance function 'varIdnt'", "varIdent, varPower"], "an unknown variance function"),
        (("orthodont_chr", "distance ~ age", None, "correlation=corAR2(form = ~ 1 | Subject)"),
         ["correlation: unknown correlation structure 'corAR2'", "corAR1, corCAR1"], "an unknown correlation structure"),
        (("orthodont_chr", "distance ~ age", None, "weights=corAR1(form = ~ 1 | Subject)"),
         ["corAR1 is a correlation structure; give it as correlation=corAR1"], "a correlation given as weights"),
        (("orthodont_chr", "distance ~ age", None, "weights=varIdent(frm = ~ 1 | Sex)"),
         ["varIdent has no argument 'frm'", "value, form, fixed"], "an unknown argument of varIdent"),
        (("orthodont_chr", "distance ~ age", None, "correlation=corARMA(p = 1, p = 2, form = ~ 1 | Subject)"),
         ["corARMA's argument p is given twice"], "an argument given twice"),
        (("orthodont_chr", "distance ~ age", None, "correlation=corAR1(form = ~ 1 | Subject"),
         ["correlation: 'corAR1(form = ~ 1 | Subject' is not a call of nlme's"], "an unclosed call"),
        (("orthodont_chr", "distance ~ age", None, "weights=varPower(form = ~ agee)"),
         ["no column 'agee' in 'orthodont_chr'", "distance, age, Subject, Sex"], "a covariate that is not a column"),
        (("orthodont_chr", "distance ~ age", None, "weights=varPower(form = ~ Sex)"),
         ["varPower's covariate 'Sex' must be numeric"], "a text covariate"),
        (("orthodont_chr", "distance ~ age", None, "correlation=corAR1(form = ~ age | Sex)"),
         ["corAR1's covariate 'age' must have unique values within groups", "8 is repeated in Sex at rows 65 and 69"],
         "a time repeated within a group"),
        (("SELECT *, age + 0.5 AS t FROM orthodont_chr", "distance ~ age", None, "correlation=corAR1(form = ~ t | Subject)"),
         ["corAR1 needs integer positions", "'t' is 8.5 at row 65", "corCAR1"], "non-integer positions for corAR1"),
        (("SELECT * FROM orthodont_chr WHERE Subject <> 'F01' OR age = 8", "distance ~ age", None,
          "weights=varIdent(form = ~ 1 | Subject)"), ["varIdent's stratum 'F01' of 'Subject' has one row"],
         "a stratum with one row"),
        (("orthodont_chr", "distance ~ age", "1|Subject", "correlation=corAR1(form = ~ 1 | Sex)"),
         ["the groups of 'Sex' cross the random effects' grouping 'Subject'", "rows 65 and 69"],
         "correlation groups crossing the random effects' groups"),
        (("orthodont_chr", "distance ~ age", None, "correlation=corExp(form = ~ age)"),
         ["corExp cannot have zero distances: rows 1 and 5 of one group are at the same place"],
         "a spatial correlation with two rows at one place"),
        (("wheat2", "yield ~ variety", None, "correlation=corExp(form = ~ latitude + longitude, metric = \"cosine\")"),
         ["metric must be \"euclidean\", \"maximum\" or \"manhattan\""], "an unknown metric"),
        (("orthodont_chr", "distance ~ age", None, "correlation=corAR1(form = ~ age + Sex | Subject)"),
         ["has more than 1 covariate (several are for the spatial correlations)"], "two covariates for corAR1"),
        (("orthodont_chr", "distance ~ age", None, "weights=varPower(fixed = 0.5)"),
         ["fixed= for a variance of the fitted values is not available yet", "varPower(form = ~ x, fixed = ...)"],
         "a fixed variance of the fitted values"),
        (("orthodont_chr", "distance ~ age", None, "weights=varPower(form = ~ resid(.))"),
         ["weights: 'resid(.)' is not a covariate lmm reads", "fitted(.)"], "varPower of the residuals"),
        (("orthodont_chr", "distance ~ age + (1|Subject)", None, "correlation=corAR1(form = ~ 1 | Subject)"),
         ["Satterthwaite's method", "do not yet account for weights= or correlation=", "df=containment"],
         "Satterthwaite's df with a structure"),
        (("orthodont_chr", "distance ~ age + (1|Subject)", None, "correlation=corAR1(form = ~ 1 | Subject), df=kenward-roger"),
         ["do not yet account for weights= or correlation=", "df=containment"], "Kenward-Roger's df with a structure"),
    ]
    for params, fragments, what in cases:
        t.error(db, CALL, params, fragments, what)
    # a model with more columns than a function may take (SQLITE_LIMIT_FUNCTION_ARG) is read column by
    # column rather than through lmm_source_row(): the same messages
    limit = db.getlimit(sqlite3.SQLITE_LIMIT_FUNCTION_ARG)
    db.setlimit(sqlite3.SQLITE_LIMIT_FUNCTION_ARG, 3)
    for params, fragments, what in cases:
        t.error(db, CALL, params, fragments, what + " (columns read one by one)")
    db.setlimit(sqlite3.SQLITE_LIMIT_FUNCTION_ARG, limit)
    t.error(db, "SELECT lmm_source_row(1, 2, 3)", (), ["lmm_source_row() is how lmm reads rows"], "lmm_source_row called directly")
    t.error(db, "SELECT * FROM lmm_fit('sleepstudy')", (), ["needs at least data and formula"], "one argument")
    # functions that read tables cannot run from a view or trigger of the schema (SQLITE_DIRECTONLY)
    t.error(db, "SELECT * FROM uses_fit", (), ["unsafe use of virtual table \"lmm_fit\""], "lmm_fit inside a view")
    t.error(db, "SELECT * FROM lmm_fit('a', 'b', 'c', 'd', 'e')", (), ["too many arguments"], "five arguments")
    # lmm_agg's arguments: a NULL formula once crashed it
    t.error(db, "SELECT lmm_agg(NULL, NULL, NULL) FROM sleepstudy", (), ["lmm_agg needs a formula"], "lmm_agg without formula")
    t.error(db, "SELECT lmm_agg('Reaction ~ Days', NULL, NULL, 1, Reaction, 'Days', Days) FROM sleepstudy", (),
            ["argument 4 must be a column name (text), not an integer"], "lmm_agg with a number for a name")
    t.error(db, "SELECT lmm_agg('Reaction ~ Days', NULL) FROM sleepstudy", (), ["name/value pairs"], "lmm_agg, two arguments")
    t.error(db, "SELECT lmm_agg('Reaction ~ .', NULL, NULL, 'Reaction', Reaction, 'Days', Days) FROM sleepstudy", (),
            ["'.' stands for the columns", "lmm_agg takes no '.'"], "lmm_agg with '.'")
    # a pair's name is matched on the group's first row: twice, NULL, or changing later was silent
    t.error(db, "SELECT lmm_agg('Reaction ~ Days', NULL, NULL, 'Reaction', Reaction, 'Days', Days, 'days', Reaction) "
            "FROM sleepstudy", (), ["column 'days' is passed twice (arguments 6 and 8); pass it once"], "lmm_agg, a name twice")
    t.error(db, "SELECT lmm_agg('Reaction ~ Days', NULL, NULL, 'Reaction', Reaction, NULL, Days) FROM sleepstudy", (),
            ["argument 6 must be a column name (text), not NULL"], "lmm_agg, a NULL name")
    t.error(db, "SELECT lmm_agg('Reaction ~ Days', NULL, NULL, 'Reaction', Reaction, "
            "CASE WHEN rowid = 5 THEN 'q' ELSE 'Days' END, Days) FROM sleepstudy", (),
            ["in row 5 of the group, argument 6 names 'q' where the first row named 'Days'"], "lmm_agg, a name that changes")
    t.error(db, "SELECT lmm_agg('Reaction ~ Days + (1|id)', NULL, NULL, 'Reaction', Reaction, 'Days', Days, 'id', "
            "CAST(Subject AS INTEGER) + 9007199254740992) FROM sleepstudy", (),
            ["'id' holds an integer beyond 2^53 at row", "two ids could become one level"],
            "lmm_agg, an integer id beyond 2^53")
    # as a number, an integer beyond 2^53 is a double's rounding, as any REAL is: fitted, as before (nanosecond
    # timestamps, 1.7e18, as a covariate)
    big = db.execute("SELECT term, estimate FROM lmm_fit('SELECT 1700000000000000001 + CAST(Reaction * 1e9 AS INTEGER) "
                     "AS ts, Days, Subject FROM sleepstudy', 'ts ~ Days + (1|Subject)') WHERE term = 'Days'").fetchall()
    t.ok(len(big) == 1 and abs(big[0][1] / 1e9 - 10.467286) < 1e-5, "an integer response beyond 2^53: %r" % big)
    agg = db.execute("SELECT estimate FROM lmm_tidy((SELECT lmm_agg('y ~ Days', NULL, NULL, 'y', 1700000000000000001 + "
                     "CAST(Reaction * 1e9 AS INTEGER), 'Days', Days) FROM sleepstudy)) WHERE term = 'Days'").fetchall()
    t.ok(len(agg) == 1 and abs(agg[0][0] / 1e9 - 10.467286) < 1e-5, "lmm_agg, an integer response beyond 2^53: %r" % agg)
    ids = db.execute("SELECT estimate FROM lmm_fit('SELECT Reaction, Days, CAST(4000000000000000 + CAST(Subject AS "
                     "INTEGER) % 3 AS TEXT) AS id FROM sleepstudy', 'Reaction ~ Days + (1|id)') WHERE term = 'ngroups'"
                     ).fetchall()
    t.ok(ids == [(3,)], "16-digit ids as text: 3 groups, got %r" % ids)
    # the model is made from the group's first row: a formula, random part or options that changed later was
    # ignored, and the group fitted the first row's model without a word
    t.error(db, "SELECT lmm_agg(CASE WHEN rowid = 1 THEN 'Reaction ~ Days' ELSE 'Reaction ~ 1' END, NULL, NULL, "
            "'Reaction', Reaction, 'Days', Days) FROM sleepstudy", (),
            ["in row 2 of the group, argument 'formula' is 'Reaction ~ 1' where the first row's is 'Reaction ~ Days'",
             "give the same formula in every row"], "lmm_agg, a formula that changes")
    t.error(db, "SELECT lmm_agg('Reaction ~ Days', NULL, CASE WHEN rowid < 9 THEN NULL ELSE 'method=ML' END, "
            "'Reaction', Reaction, 'Days', Days) FROM sleepstudy", (),
            ["in row 9 of the group, argument 'options' is 'method=ML' where the first row's is NULL"],
            "lmm_agg, options that change")
    t.error(db, "SELECT lmm_agg('Reaction ~ Days', CASE WHEN rowid < 180 THEN '1|Subject' END, NULL, "
            "'Reaction', Reaction, 'Days', Days, 'Subject', Subject) FROM sleepstudy", (),
            ["in row 180 of the group, argument 'random' is NULL where the first row's is '1|Subject'"],
            "lmm_agg, a random part that changes")
    t.error(db, "SELECT lmm_fit.term FROM lmm_fit('sleepstudy', 'Reaction ~ Days', NULL, 'method=ML, method=REML')", (),
            ["options: method is given twice; keep one"], "an option twice")
    t.ok(snapshot(db) == before, "the database changed under failing calls")
    direct_only(t, db)
    interrupts(t, db)
    # the reader's message under the caller's name, once ("lmm_predict: lmm: ..." was printed before)
    fit(db, "sleepstudy", "Reaction ~ Days + (1|Subject)", None, "save=errs_saved")
    t.error(db, "SELECT * FROM lmm_predict('errs_saved', 'nosuch')", (), ["lmm_predict: no such table or view: 'nosuch'"],
            "lmm_predict on an unknown table")
    t.ok(fit(db, "sleepstudy", "Reaction ~ Days")[0]["term"] == "(Intercept)", "a good call still works after errors")
    anova_terms_errors(t, db)
    figures(t, db)
    confint_errors(t, db)
    bootstrap_errors(t, db)
    structure_saved_errors(t, db)


def confint_errors(t, db):
    """lmm_confint: an unknown method or option, a level outside (0, 1), a model that is not saved, the bootstrap's
    options, a profile without random effects, nlme's intervals with a variance at zero; each leaves the
    database as it was."""
    fit(db, "sleepstudy", "Reaction ~ Days + (Days|Subject)", None, "save=ci_s")
    fit(db, "sleepstudy", "Reaction ~ Days", None, "save=ci_lm")
    fit(db, "dyestuff2", "Yield ~ 1", "1|Batch", "save=ci_zero")
    db.commit()
    before = snapshot(db)
    q = "SELECT * FROM lmm_confint(?, ?, ?)"
    for params, fragments, what in [
        (("ci_s", "bootstrap", None), ["lmm_confint: unknown method 'bootstrap'", "'wald', 'intervals', 'profile' and 'boot'"],
         "an unknown method"),
        (("ci_s", "wald", "level=1.5"), ["level must be a number between 0 and 1", "'1.5'"], "level above 1"),
        (("ci_s", "wald", "level=0"), ["level must be a number between 0 and 1", "'0'"], "level 0"),
        (("ci_s", "wald", "level=high"), ["level must be a number between 0 and 1", "'high'"], "level not a number"),
        (("ci_s", "wald", "nsim=100"), ["unknown option 'nsim'", "level="], "an unknown option"),
        (("nosuch", None, None), ["lmm_confint: no saved model 'nosuch'", "ci_s"], "a model that is not saved"),
        (("ci_s", "boot", "nsim=0"), ["lmm_confint: options: nsim must be a whole number of simulations from 1 to 100000",
                                      "'0'"], "boot with nsim 0"),
        (("ci_s", "boot", "nsim=10, seed=-1"), ["seed", "'-1'"], "boot with a negative seed"),
        (("ci_s", "wald", "seed=1"), ["unknown option 'seed'", "with method 'boot' nsim=, seed= and threads="],
         "a bootstrap option without boot"),
        (("ci_lm", "profile", None), ["profile: the model has no random effects", "'wald'"], "profile of lm"),
        (("ci_zero", "intervals", None), ["sd__(Intercept) of Batch is on its boundary (sd 0)", "'profile'"],
         "intervals with a zero variance"),
    ]:
        t.error(db, q, params, fragments, "lmm_confint: " + what)
    t.error(db, "SELECT * FROM lmm_confint((SELECT fit FROM lmm_models WHERE name = 'ci_s'), 'profile')", (),
            ["a fit from lmm_agg, which keeps no rows", "save=NAME"], "lmm_confint: profile of fit JSON")
    t.error(db, "SELECT * FROM lmm_confint(NULL)", (), ["lmm_confint needs a saved model"], "lmm_confint without a model")
    t.ok(snapshot(db) == before, "lmm_confint's errors changed the database")
    db.execute("DELETE FROM lmm_models WHERE name IN ('ci_s', 'ci_lm', 'ci_zero')")
    db.commit()


# Each function as a database's author could hide it in the schema, for whoever opens the database.
IN_SCHEMA = [
    ("lmm_fit", "SELECT * FROM lmm_fit('sleepstudy', 'Reaction ~ Days')"),
    ("lmm_tidy", "SELECT * FROM lmm_tidy('dy')"),
    ("lmm_anova", "SELECT * FROM lmm_anova('dy, dy')"),
    ("lmm_ranef", "SELECT * FROM lmm_ranef('dy')"),
    ("lmm_augment", "SELECT * FROM lmm_augment('dy')"),
    ("lmm_predict", "SELECT * FROM lmm_predict('dy', 'dyestuff')"),
    ("lmm_vcov", "SELECT * FROM lmm_vcov('dy')"),
    ("lmm_bootstrap", "SELECT * FROM lmm_bootstrap('dy', 'nsim=2')"),
    ("lmm_update", "SELECT * FROM lmm_update('dy', NULL, NULL, 'method=REML')"),
    ("lmm_confint", "SELECT * FROM lmm_confint('dy', 'wald')"),
    ("lmm_agg", "SELECT lmm_agg('Yield ~ 1', '1|Batch', NULL, 'Yield', Yield, 'Batch', Batch) AS fit FROM dyestuff"),
    ("lmm_plot", "SELECT lmm_plot('dy', 'qq')"),
    ("lmm_histogram", "SELECT lmm_histogram(Yield) FROM dyestuff"),
    ("lmm_barplot", "SELECT lmm_barplot(Batch) FROM dyestuff"),
]
SCALARS = ("lmm_agg", "lmm_plot", "lmm_histogram", "lmm_barplot")


def direct_only(t, db):
    """Every function reads tables (the data, lmm_models) or fits whatever it is given: none may run from a
    view or a trigger of the schema, only from statements the user runs (SQLITE_DIRECTONLY)."""
    fit(db, "dyestuff", "Yield ~ 1", "1|Batch", "method=ML, save=dy")
    db.execute("CREATE TABLE log(x)")
    for name, sql in IN_SCHEMA:
        t.ok(len(db.execute(sql).fetchall()) > 0, name + " runs when called directly")
        db.execute("CREATE VIEW in_view AS " + sql)
        unsafe = "unsafe use of %s" % (name + "()" if name in SCALARS else 'virtual table "%s"' % name)
        t.error(db, "SELECT * FROM in_view", (), [unsafe], name + " inside a view")
        db.execute("DROP VIEW in_view")
        db.execute("CREATE TRIGGER in_trigger AFTER INSERT ON log BEGIN INSERT INTO log SELECT 1 FROM (%s); END" % sql)
        t.error(db, "INSERT INTO log VALUES (0)", (), [unsafe], name + " inside a trigger")
        db.execute("DROP TRIGGER in_trigger")
    t.ok(db.execute("SELECT count(*) FROM log").fetchone()[0] == 0, "a refused trigger left rows behind")
    db.execute("DROP TABLE log")
    db.execute("DELETE FROM lmm_models WHERE name = 'dy'")


# A fit of 210 covariance parameters ((f | g) with a 20-level f): a minute of optimizing.
SLOW_DATA = ("CREATE TEMP TABLE slow AS WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < 899) "
             "SELECT ((i * 7919) % 101) / 10.0 + (i % 20) AS y, 'f' || (i % 20) AS f, 'g' || (i / 20 % 30) AS g FROM k")
SLOW = [
    ("lmm_fit", "SELECT * FROM lmm_fit('slow', 'y ~ 1 + (f | g)')"),
    ("lmm_agg", "SELECT lmm_agg('y ~ 1 + (f | g)', NULL, NULL, 'y', y, 'f', f, 'g', g) FROM slow"),
]


def interrupts(t, db):
    """sqlite3_interrupt() stops a fit within a moment, in lmm_fit and in lmm_agg."""
    db.execute(SLOW_DATA)
    for name, sql in SLOW:
        timer = threading.Timer(0.3, db.interrupt)
        start = time.time()
        timer.start()
        t.error(db, sql, (), ["interrupted"], name + " interrupted")
        timer.join()
        t.ok(time.time() - start < 3, "%s took %.1f s to stop" % (name, time.time() - start))
    db.execute("DROP TABLE slow")


def anova_terms_errors(t, db):
    """lmm_anova's options: a type or df a model's style does not take, options given to a comparison."""
    fit(db, "sleepstudy", "Reaction ~ Days + (Days|Subject)", None, "save=ae_lmer")
    fit(db, "sleepstudy", "Reaction ~ Days + (Days|Subject)", None, "method=ML, save=ae_lmer_ml")
    fit(db, "sleepstudy", "Reaction ~ Days", "Days|Subject", "save=ae_lme")
    fit(db, "sleepstudy", "Reaction ~ Days", None, "save=ae_lm")
    fit(db, "sleepstudy", "Reaction ~ Days", None, "method=ML, save=ae_gls")
    fit(db, "orthodont", "distance ~ age + Sex", "1|Subject", "save=ae_lme2")
    db.execute("CREATE TABLE ae_rows AS SELECT * FROM sleepstudy")
    fit(db, "ae_rows", "Reaction ~ Days + (1|Subject)", None, "save=ae_changed")
    db.execute("DELETE FROM ae_rows WHERE rowid = 3")
    db.commit()
    before = snapshot(db)
    q = "SELECT * FROM lmm_anova(?, ?)"
    for params, fragments, what in [
        (("ae_lmer", "type=IV"), ["lmm_anova: options: type must be sequential or marginal", "I, II, III", "not 'IV'"],
         "an unknown type"),
        (("ae_lmer", "type=III, type=I"), ["options: type is given twice"], "type twice"),
        (("ae_lmer", "method=ML"), ["options: 'method' is not an option of the F tests", "type=, df= and L="], "a fit's option"),
        (("ae_lmer", "type"), ["options: 'type' is not of the form key=value"], "no value"),
        (("ae_lmer", "df=containment"), ["df of an F test of terms must be satterthwaite or kenward-roger", "'containment'"],
         "an unknown df"),
        (("ae_lmer_ml", "df=kenward-roger"), ["lmm_anova: df=kenward-roger is defined for REML fits", "by ML",
                                              "method=REML", "df=satterthwaite"], "Kenward-Roger's F tests of an ML fit"),
        (("ae_lmer", "type=marginal"), ["type=marginal is nlme's", "lmerTest's type=I, II or III"], "nlme's type for lmer"),
        (("ae_lme", "type=III"), ["type=III is lmerTest's", "type=sequential or type=marginal"], "lmerTest's type for lme"),
        (("ae_lme", "df=satterthwaite"), ["df= chooses lmerTest's denominator df", "containment df"], "df for lme"),
        (("ae_gls", "df=satterthwaite"), ["anova(gls) uses n - p"], "df for gls"),
        (("ae_lm", "type=marginal"), ["anova(lm) is sequential only", "type=marginal"], "marginal for lm"),
        (("ae_lme, ae_lme", "type=marginal"), ["lmm_anova: type= is an option of the F tests of one model's terms",
                                               "a comparison of models takes none of"], "type for a comparison"),
        (("ae_lme, ae_lme", "nsim=10"), ["lmm_anova: nsim, seed and threads are the bootstrap test's: add test=bootstrap"],
         "a bootstrap option without test=bootstrap"),
        (("ae_lme, ae_lme", "colour=red"), ["lmm_anova: options: unknown option 'colour' (known: nsim, seed, threads, test)"],
         "another option for a comparison"),
        (("ae_nosuch", None), ["lmm_anova: no saved model 'ae_nosuch'"], "an unknown model"),
        (("ae_changed", None), ["lmm_anova: ", "have changed since it was fitted", "lmm_update('ae_changed'"],
         "F tests of a model whose rows changed"),
        (("ae_lmer", "L=0 1 0"), ["L= row 1 has 3 numbers and the model 2 coefficients ((Intercept), ...)"],
         "L of the wrong width"),
        (("ae_lmer", "L=0 1; 1 x"), ["L= row 2 holds 'x', not a number", "L=0 1 0; 0 0 1"], "L with a word"),
        # 5,000 rows of "1 0" (25 KB) took 31 s and 200 MB in L V L' and its eigen decomposition
        (("ae_lmer", "L=" + "; ".join(["1 0"] * 5000)),
         ["L= has 5000 rows, more than the model's 2 coefficients and more than 1024", "at most one per coefficient"],
         "L with more rows than p"),
        (("ae_lmer", "L=0 1, type=III"), ["L= tests one contrast, type= chooses the terms' tests"], "L and type"),
        (("ae_lmer", "L=0 1, L=1 0"), ["options: L is given twice"], "L twice"),
        (("ae_lme2", "L=0 1 1"), ["L= involves 'SexMale' (25 denominator df) and coefficients with 80",
                                  "nlme tests L only on fixed effects with the same denominator df"], "L over two df"),
        (("ae_lme, ae_lme", "L=0 1"), ["lmm_anova: L= is an option of the F tests of one model's terms"], "L for a comparison"),
    ]:
        t.error(db, q, params, fragments, what)
    # dependent rows are no error: lmerTest's contest tests L's rank, as the independent rows alone do
    one = "SELECT num_df, den_df, statistic, p_value FROM lmm_anova('ae_lmer', ?)"
    three, alone = db.execute(one, ("L=0 1; 0 2; 0 -1",)).fetchone(), db.execute(one, ("L=0 1",)).fetchone()
    t.ok(three[0] == alone[0] == 1 and all(abs(a - b) <= 1e-9 * abs(b) for a, b in zip(three[1:], alone[1:])),
         "L with dependent rows beyond the coefficients is tested on its rank: %r, %r" % (three, alone))
    t.ok(snapshot(db) == before, "the database changed under failing lmm_anova calls")
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'ae\\_%' ESCAPE '\\'")
    db.execute("DROP TABLE ae_rows")


def figures(t, db):
    """lmm_plot, lmm_histogram, lmm_barplot: bad kinds, models, options and values say what to do, and change nothing."""
    fit(db, "sleepstudy", "Reaction ~ Days", None, "save=fig_lm")
    fit(db, "sleepstudy", "Reaction ~ Days + (Days|Subject)", None, "save=fig_mixed")
    db.commit()
    before = snapshot(db)
    plot = "SELECT lmm_plot(?, ?, ?)"
    for params, fragments, what in [
        (("fig_lm", "pie", None), ["lmm_plot: unknown kind 'pie'", "qq, resid_fitted", "lmm_histogram"], "unknown kind"),
        (("fig_lm", "ranef", None), ["kind 'ranef' needs random effects", "'fig_lm' has none"], "ranef without random effects"),
        (("fig_mixed", "diagnostics", None), ["kind 'diagnostics' is plot(lm)'s", "'fig_mixed' has random effects",
                                              "qq or resid_fitted"], "lm diagnostics of a mixed model"),
        (("fig_mixed", "resid_leverage", None), ["needs a fit without random effects"], "leverage of a mixed model"),
        (("nosuch", "qq", None), ["lmm_plot", "nosuch"], "a model that does not exist (residuals)"),
        (("nosuch", "coef", None), ["lmm_plot", "nosuch"], "a model that does not exist (saved rows)"),
        (("fig_lm, nosuch", "ic", None), ["nosuch"], "the second of two models does not exist"),
        (("nosuch", "ranef", None), ["lmm_plot", "nosuch"], "a model that does not exist (ranef)"),
        (("fig_lm, ", "qq", None), ["has an empty name", "'GLM, lmm6.2'"], "an empty name in the list"),
        (("fig_lm, fig_lm", "diagnostics", None), ["kind 'diagnostics' draws one model", "names 2"], "two models, one kind"),
        (("fig_mixed", "ranef", "level=3"), ["level=3", "has 1 grouping (1 = Subject)", "level=1 to 1"], "level too deep"),
        (("fig_mixed", "ranef", "level=0"), ["level must be a whole number from 1"], "level 0"),
        (("fig_mixed", "ranef", "interval=1.5"), ["interval must be a coverage from 0", "interval=0.95", "'1.5'"],
         "interval out of range"),
        (("fig_lm", "qq", "width=50"), ["width must be a number of pixels from 100 to 4000", "'50'"], "width too small"),
        (("fig_lm", "qq", "height=big"), ["height must be a number of pixels", "'big'"], "height not a number"),
        (("fig_lm", "qq", "xlim=3:-3"), ["xlim=3:-3: the first limit must be below the second"], "limits reversed"),
        (("fig_lm", "qq", "ylim=1"), ["ylim must be two numbers lo:hi", "ylim=-3.5:3.5"], "one limit"),
        (("fig_lm", "qq", "type=studentized"), ["type must be normalized, pearson or response", "'studentized'"],
         "unknown residual type"),
        (("fig_lm", "qq", "level=2"), ["level= does not apply to qq; it is read by ranef"], "an option the kind does not read"),
        (("fig_lm", "qq", "colour=red"), ["unknown option 'colour'", "width, height, title"], "unknown option"),
        (("fig_lm", "qq", "width=800, width=900"), ["width is given twice"], "an option twice"),
        (("fig_lm", "qq", "title='open"), ["opens a quote ' that is not closed"], "an unclosed quote"),
        (("fig_lm", "resid_fitted", "smooth=yes"), ["smooth must be 1 or 0"], "smooth not 0 or 1"),
        (("fig_lm", 7, None), ["argument 'kind' must be text, not an integer"], "kind not text"),
    ]:
        t.error(db, plot, params, fragments, what)
    t.error(db, "SELECT lmm_plot('fig_lm')", (), ["lmm_plot takes saved models, a kind and options"], "one argument")
    t.error(db, "SELECT lmm_histogram(Subject) FROM sleepstudy", (),
            ["lmm_histogram: row 1 gives a text where a number is needed"], "a histogram of text")
    t.error(db, "SELECT lmm_histogram(Days, 'width=10') FROM sleepstudy", (), ["lmm_histogram", "width must be"],
            "histogram option out of range")
    t.error(db, "SELECT lmm_histogram(Days, 'level=2') FROM sleepstudy", (), ["level= does not apply to histogram"],
            "histogram with a ranef option")
    t.error(db, "SELECT lmm_histogram(CASE WHEN rowid = 3 THEN 9e999 ELSE Days END) FROM sleepstudy", (),
            ["row 3 gives Inf, which is not finite"], "an infinite value")
    t.error(db, "SELECT lmm_histogram(NULL) FROM sleepstudy", (), ["lmm_histogram: no rows with a value"], "all NULL")
    t.error(db, "SELECT lmm_barplot(Subject, -1) FROM sleepstudy", (), ["row 1 gives the count -1", "from 0 up"],
            "a negative count")
    t.error(db, "SELECT lmm_barplot(x'00') FROM sleepstudy", (), ["gives a BLOB as its label"], "a BLOB label")
    t.error(db, "SELECT lmm_barplot(Subject, 1, 'xlim=0:1') FROM sleepstudy", (), ["xlim= does not apply to barplot"],
            "barplot with limits on its categories")
    t.error(db, "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < 1200) SELECT lmm_barplot(i) FROM k", (),
            ["more than 1000 labels"], "too many bars")
    t.ok(snapshot(db) == before, "failing figure calls changed the database")
    db.execute("DELETE FROM lmm_models WHERE name IN ('fig_lm', 'fig_mixed')")


def bootstrap_errors(t, db):
    """lmm_bootstrap's and the bootstrap test's options and models: clear messages, the database unchanged."""
    fit(db, "sleepstudy", "Reaction ~ Days + (Days|Subject)", None, "method=ML, save=boot_big")
    fit(db, "sleepstudy", "Reaction ~ Days + (1|Subject)", None, "method=ML, save=boot_small")
    fit(db, "sleepstudy", "log(Reaction) ~ Days + (Days|Subject)", None, "method=ML, save=boot_log")
    db.commit()
    before = snapshot(db)
    boot = "SELECT * FROM lmm_bootstrap(?, ?)"
    for options, fragments in [
        ("nsim=0", ["lmm_bootstrap: options: nsim must be a whole number of simulations from 1 to 100000, not '0'"]),
        ("nsim=2.5", ["nsim must be a whole number", "not '2.5'"]),
        ("nsim=1000000", ["nsim must be a whole number of simulations from 1 to 100000, not '1000000'"]),
        ("seed=-3", ["lmm_bootstrap: options: seed must be a whole number from 0 to 9223372036854775807, not '-3'"]),
        ("seed=one", ["seed must be a whole number", "not 'one'"]),
        ("threads=9", ["threads must be a whole number from 1 to 4, not '9'"]),
        ("nsim=10, nsim=20", ["options: nsim is given twice; keep one"]),
        ("method=ML", ["unknown option 'method' (known: nsim, seed, threads)"]),
        ("test=bootstrap", ["unknown option 'test' (known: nsim, seed, threads)"]),
        ("nsim", ["'nsim' is not of the form key=value"]),
    ]:
        t.error(db, boot, ("boot_big", options), fragments, "lmm_bootstrap with " + options)
    t.error(db, boot, ("boot_nosuch", None), ["lmm_bootstrap", "boot_nosuch"], "lmm_bootstrap of a model not saved")
    t.error(db, "SELECT * FROM lmm_bootstrap()", (), ["lmm_bootstrap needs a saved model"], "lmm_bootstrap without a model")
    t.error(db, "SELECT * FROM lmm_bootstrap('boot_big', 5)", (), ["lmm_bootstrap needs a saved model"],
            "lmm_bootstrap with a number for its options")
    anova = "SELECT * FROM lmm_anova(?, ?)"
    t.error(db, anova, ("boot_small, boot_big", "nsim=100"),
            ["lmm_anova: nsim, seed and threads are the bootstrap test's: add test=bootstrap"], "nsim without test")
    t.error(db, anova, ("boot_small, boot_big", "test=parametric"), ["test must be bootstrap", "not 'parametric'"],
            "an unknown test")
    t.error(db, anova, ("boot_small, boot_big", "test=bootstrap, nsim=0"), ["nsim must be a whole number"],
            "the test with nsim=0")
    t.error(db, anova, ("boot_small, boot_log", "test=bootstrap, nsim=10"),
            ["lmm_anova: bootstrap test of 'boot_small' against 'boot_log'", "the models' responses differ at row 1",
             "two fits of one response to the same rows"], "a bootstrap test of two responses")
    t.ok(snapshot(db) == before, "the database changed under failing bootstrap calls")
    db.execute("DELETE FROM lmm_models WHERE name IN ('boot_big', 'boot_small', 'boot_log')")
    db.commit()


def structure_saved_errors(t, db):
    """A saved model with a residual structure: what does not honour one refuses it, a fit whose structure does
    not match its options is damaged; nothing changes."""
    fit(db, "ovary", "follicles ~ sin(2*pi*Time)", "1|Mare", "correlation=corAR1(form = ~ 1 | Mare), save=se_ar1")
    db.execute("INSERT INTO lmm_models SELECT 'se_nostruct', data, formula, random, options, json_remove(fit, '$.structure'), "
               "created, version FROM lmm_models WHERE name = 'se_ar1'")
    db.execute("INSERT INTO lmm_models SELECT 'se_noopt', data, formula, random, NULL, fit, created, version FROM lmm_models "
               "WHERE name = 'se_ar1'")
    db.execute("INSERT INTO lmm_models SELECT 'se_short', data, formula, random, options, json_set(fit, '$.structure', "
               "json('[0.5, 1]')), created, version FROM lmm_models WHERE name = 'se_ar1'")
    db.commit()
    before = snapshot(db)
    for q, fragments, what in [
        ("SELECT * FROM lmm_confint('se_ar1', 'profile')", ["lmm_confint: profile intervals of a model with weights= "
                                                             "or correlation= are not done yet"],
         "profile intervals of a structured model"),
        ("SELECT * FROM lmm_ranef('se_nostruct')", ["the saved model 'se_nostruct' is damaged: its options give weights= "
                                                    "or correlation= but its fit keeps no structure"], "no structure saved"),
        ("SELECT * FROM lmm_predict('se_noopt', 'ovary')", ["the saved model 'se_noopt' is damaged: its options give no "
                                                            "weights= or correlation= but its fit keeps one"],
         "a structure saved for a model without one"),
        ("SELECT * FROM lmm_augment('se_short')", ["lmm_augment: the saved model 'se_short' cannot be evaluated: it keeps 2 "
                                                   "parameters of its residual structure where its weights= and "
                                                   "correlation= have 1"], "a structure of the wrong length"),
        ("SELECT * FROM lmm_variogram('se_ar1', 'form=~ Tme')", ["lmm_variogram: form: 'Tme' is not a numeric variable "
                                                                 "the model reads"], "a variogram's unknown covariate"),
        ("SELECT * FROM lmm_variogram('se_ar1', 'lag=10')", ["lmm_variogram: options: 'lag' is not an option of "
                                                             "lmm_variogram"], "a variogram's unknown option"),
    ]:
        t.error(db, q, (), fragments, what)
    t.ok(snapshot(db) == before, "the database changed under refused structured models")
    db.execute("DELETE FROM lmm_models WHERE name LIKE 'se\\_%' ESCAPE '\\'")
    db.commit()
