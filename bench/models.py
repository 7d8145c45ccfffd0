"""The models of the benchmark.  Every formula is R syntax that lmm_fit and lme4::lmer both take."""
import data


class Model:
    def __init__(self, name, slug, db, table, formula, options, columns, factors, runs, rows=None, raters=None,
                 lme4=True, timeout=1.0, series=False):
        self.name = name          # as printed
        self.slug = slug          # stem of the CSV written for R
        self._db = db             # path of the SQLite database, or a function that makes it and gives its path
        self.table = table
        self.formula = formula
        self.options = options    # lmm_fit's options: 'method=ML', or '' for REML
        self.columns = columns    # the columns the model uses: scanned, and exported for R
        self.factors = factors    # columns R reads as factors: text columns and grouping columns
        self.runs = runs          # timed runs (medians are reported)
        self.rows = rows          # known in advance for the simulated data, else counted by the scan
        self.raters = raters      # simulated data only: the raters when not gen_sim's default for the size
        self.lme4 = lme4          # False: lmm against its scan only (the shapes: lme4's time is the same model's)
        self.timeout = timeout    # --timeout times this (lme4 takes over 400 s on the crossed slopes)
        self.series = series      # one of the simulated sizes over which the growth with rows is measured

    @property
    def db(self):
        """The database's path; simulated data are made on first use, so that --only makes only what it fits."""
        if callable(self._db):
            self._db = self._db()
        return self._db

    @property
    def reml(self):
        return "method=ML" not in self.options


def runs_for(rows):
    """5 runs up to 1M rows (a median of 5 at 1M, 0.6 s a fit, damps a noisy minute), 3 above (a single 10M
    run moved its growth from 1M by 0.1)."""
    return 5 if rows <= 1_000_000 else 3


def reference_models():
    db = data.ref_db()
    return [
        Model("arabidopsis slopes ML", "arabidopsis", db, "arabidopsis",
              "log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status"
              " + (factor(nutrient)|popu) + (factor(nutrient)|popu:gen)", "method=ML",
              ["total_fruits", "rack", "nutrient", "amd", "status", "popu", "gen"],
              ["amd", "status", "popu", "gen"], 5),
        Model("insteval ML", "insteval", db, "insteval",
              "y ~ 1 + service + (1|s) + (1|d) + (1|dept:service)", "method=ML",
              ["y", "service", "s", "d", "dept"], ["service", "s", "d", "dept"], 5),
    ]


def sim_model(rows, raters=None):
    """The simulated model (REML) at `rows` rows; bench/gen_sim.c says how the data are made (raters None:
    its default number of raters for the size)."""
    name = "sim %s REML" % human(rows) + ("" if raters is None else " %d raters" % raters)
    slug = "sim_%d" % rows + ("" if raters is None else "_r%d" % raters)
    return Model(name, slug, lambda: data.sim_db(rows, raters), "sim",
                 "y ~ x + trt + (1 + x | school) + (1 | rater)", "",
                 ["y", "x", "trt", "school", "rater"], ["trt", "school", "rater"], runs_for(rows), rows, raters,
                 series=True)


SHAPES = ["text", "trt3", "xunif", "xskew", "sorted", "text,trt3,xunif", "text,trt3,xskew,sorted"]


def shape_model(rows, shape):
    """The simulated model on data of another shape (bench/gen_sim.c's SHAPE: text ids, three treatment
    levels, uniform or skewed x, rows sorted by school): the same fit, measured against its own scan."""
    return Model("sim %s REML %s" % (human(rows), shape), "sim_%d_%s" % (rows, shape.replace(",", "_")),
                 lambda: data.sim_db(rows, None, shape), "sim", "y ~ x + trt + (1 + x | school) + (1 | rater)", "",
                 ["y", "x", "trt", "school", "rater"], ["trt", "school", "rater"], runs_for(rows), rows,
                 lme4=False)


def crossed_slopes_models(rows):
    """Random slopes on both crossed terms at `rows` rows: on the default data the rater slope's variance is
    truly zero (the fit ends singular or next to it, where BOBYQA crawls); on the rslope shape (rater slope sd
    0.2) the same model with every variance positive, the count of evaluations to compare with."""
    f = "y ~ x + trt + (1 + x | school) + (1 + x | rater)"
    cols, factors = ["y", "x", "trt", "school", "rater"], ["trt", "school", "rater"]
    return [Model("crossed slopes %s REML, rater slope 0" % human(rows), "sim_%d" % rows,
                  lambda: data.sim_db(rows), "sim", f, "", cols, factors, runs_for(rows), rows, timeout=3),
            Model("crossed slopes %s REML, rater slope 0.2" % human(rows), "sim_%d_rslope" % rows,
                  lambda: data.sim_db(rows, None, "rslope"), "sim", f, "", cols, factors, runs_for(rows), rows,
                  timeout=3)]


def movielens_model(rows):
    """MovieLens-shaped crossed intercepts (bench/gen_ml.c: 6,040 users x 3,706 items, heavy-tailed activity)."""
    return Model("movielens %s REML" % human(rows), "ml_%d" % rows, lambda: data.ml_db(rows), "ml",
                 "y ~ 1 + (1 | user) + (1 | item)", "", ["y", "user", "item"], ["user", "item"], runs_for(rows),
                 rows)


def human(n):
    for div, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= div and n % div == 0:
            return "%d%s" % (n // div, suffix)
    return str(n)
