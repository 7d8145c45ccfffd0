# Reference values for nlme's intervals() of models with a residual structure (weights=, correlation=): fixed
# effects, random-effects sds and correlations, the structure's parameters on their natural scale (nlme's
# corStruct and varStruct intervals) and sigma.  One JSON file, intervals_structures.json: a list of cases, each the
# SQL that makes the model, nlme's printed intervals (rows) and rows_accurate: the same intervals from the Hessian
# of the same log-likelihood by numDeriv's Richardson extrapolation in place of nlme's fdHess.  fdHess steps 6e-6
# relative, where rounding moves nlme's standard errors by 0.1 % (make_confint.R says more); here nlme's own
# lmeApVar / glsApVar run with fdHess replaced in nlme's namespace, so the parameters, their order and the
# log-likelihood are nlme's and only the differencing changes.
# tests/sql/test_confint_structures.py checks lmm_confint against it.
# Usage: Rscript make_confint_structures.R OUTDIR   (reads the CSVs of ../data beside this script)
suppressMessages({library(nlme); library(jsonlite); library(numDeriv)})
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
args <- commandArgs(TRUE); outdir <- args[1]
invisible(Sys.setlocale("LC_COLLATE", "C"))
csv <- function(name) read.csv(file.path(here, "..", "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
num <- function(x) unname(as.numeric(x))
lmetight <- lmeControl(maxIter = 500, msMaxIter = 1000, msMaxEval = 5000, niterEM = 100, tolerance = 1e-10,
                       rel.tol = 1e-13, returnObject = TRUE)
glstight <- glsControl(maxIter = 500, msMaxIter = 5000, tolerance = 1e-10, returnObject = TRUE)
sqlspec <- function(data, formula, random, options) list(data = data, formula = formula, random = random, options = options)

row <- function(effect, grp, term, v) list(effect = effect, grp = grp, term = term, lower = num(v[1]),
                                           estimate = num(v[2]), upper = num(v[3]))
# intervals(m) as rows named as lmm_confint names them
iv_rows <- function(m, level) {
  iv <- intervals(m, level = level); out <- list()
  fx <- if (inherits(m, "gls")) iv$coef else iv$fixed
  for (i in seq_len(nrow(fx))) out[[length(out) + 1]] <- row("fixed", NULL, rownames(fx)[i], fx[i, ])
  if (!is.null(iv$reStruct)) for (g in names(iv$reStruct)) { r <- iv$reStruct[[g]]
    for (i in seq_len(nrow(r))) { nm <- rownames(r)[i]
      term <- if (startsWith(nm, "sd(")) paste0("sd__", sub("^sd\\((.*)\\)$", "\\1", nm))
              else paste0("cor__", sub(",", ".", sub("^cor\\((.*)\\)$", "\\1", nm)))
      out[[length(out) + 1]] <- row("ran_pars", g, term, r[i, ]) } }
  for (k in c("corStruct", "varStruct")) if (!is.null(iv[[k]])) {
    cls <- class(m$modelStruct[[k]])[1]; r <- iv[[k]]
    for (i in seq_len(nrow(r))) out[[length(out) + 1]] <- row("ran_pars", "Residual", paste0(cls, "__", rownames(r)[i]), r[i, ]) }
  out[[length(out) + 1]] <- row("ran_pars", "Residual", "sd__Observation", iv$sigma)
  out
}
exact_fdHess <- function(pars, fun, ..., .relStep, minAbsPar)
  list(Hessian = numDeriv::hessian(function(p) fun(p, ...), pars))
nlme_fdHess <- get("fdHess", asNamespace("nlme"))
cases <- list()
add <- function(name, call, sql, level = 0.95) {
  m <- eval(call)
  assignInNamespace("fdHess", exact_fdHess, "nlme")
  ma <- eval(call)   # the same fit, its apVar from the exact Hessian
  assignInNamespace("fdHess", nlme_fdHess, "nlme")
  stopifnot(all.equal(num(logLik(m)), num(logLik(ma)), tolerance = 1e-12))
  cases[[length(cases) + 1]] <<- list(case = name, engine = class(m)[1], level = level, sql = sql, logLik = num(logLik(m)),
                                      call = paste(deparse(call, width.cutoff = 500L), collapse = " "),
                                      rows = iv_rows(m, level), rows_accurate = iv_rows(ma, level))
}

ovary <- csv("ovary"); ovary$Mare <- as.character(ovary$Mare)
orthodont_chr <- csv("orthodont_chr")
bodyweight <- csv("bodyweight"); bodyweight$Rat <- as.character(bodyweight$Rat); bodyweight$Diet <- as.character(bodyweight$Diet)
dialyzer <- csv("dialyzer"); dialyzer$Subject <- as.character(dialyzer$Subject); dialyzer$QB <- as.character(dialyzer$QB)
sov <- "follicles ~ sin(2*pi*Time) + cos(2*pi*Time)"
sdi <- "rate ~ (pressure + I(pressure^2) + I(pressure^3) + I(pressure^4)) * QB"

add("ovary_gls_ar1", quote(gls(follicles ~ sin(2*pi*Time) + cos(2*pi*Time), ovary, correlation = corAR1(form = ~ 1 | Mare),
                               method = "REML", control = glstight)),
    sqlspec("ovary", sov, NULL, "method=REML, correlation=corAR1(form = ~ 1 | Mare)"))
add("orthodont_gls_varident_ml", quote(gls(distance ~ age * Sex, orthodont_chr, weights = varIdent(form = ~ 1 | Sex),
                                           method = "ML", control = glstight)),
    sqlspec("orthodont_chr", "distance ~ age * Sex", NULL, "method=ML, weights=varIdent(form = ~ 1 | Sex)"), level = 0.9)
add("bodyweight_gls_varpower_ml", quote(gls(weight ~ Time * Diet, bodyweight, weights = varPower(form = ~ Time), method = "ML",
                                            control = glstight)),
    sqlspec("bodyweight", "weight ~ Time * Diet", NULL, "method=ML, weights=varPower(form = ~ Time)"))
add("dialyzer_gls_ar1_varpower", quote(gls(rate ~ (pressure + I(pressure^2) + I(pressure^3) + I(pressure^4)) * QB, dialyzer,
                                           weights = varPower(form = ~ pressure), correlation = corAR1(0.771, form = ~ 1 | Subject),
                                           method = "REML", control = glstight)),
    sqlspec("dialyzer", sdi, NULL, "method=REML, weights=varPower(form = ~ pressure), correlation=corAR1(0.771, form = ~ 1 | Subject)"))
add("ovary_lme_ar1", quote(lme(follicles ~ sin(2*pi*Time) + cos(2*pi*Time), ovary, random = ~ 1 | Mare,
                               correlation = corAR1(form = ~ 1 | Mare), control = lmetight)),
    sqlspec("ovary", sov, "1|Mare", "correlation=corAR1(form = ~ 1 | Mare)"))
add("ovary_lme_ar1_ml", quote(lme(follicles ~ sin(2*pi*Time) + cos(2*pi*Time), ovary, random = ~ 1 | Mare,
                                  correlation = corAR1(form = ~ 1 | Mare), method = "ML", control = lmetight)),
    sqlspec("ovary", sov, "1|Mare", "method=ML, correlation=corAR1(form = ~ 1 | Mare)"))
add("orthodont_lme_varident", quote(lme(distance ~ age * Sex, orthodont_chr, random = ~ 1 | Subject,
                                        weights = varIdent(form = ~ 1 | Sex), control = lmetight)),
    sqlspec("orthodont_chr", "distance ~ age * Sex", "1|Subject", "weights=varIdent(form = ~ 1 | Sex)"))
add("orthodont_lme_varident_ml", quote(lme(distance ~ I(age - 11) * Sex, orthodont_chr, random = ~ I(age - 11) | Subject,
                                           weights = varIdent(form = ~ 1 | Sex), method = "ML", control = lmetight)),
    sqlspec("orthodont_chr", "distance ~ I(age - 11) * Sex", "I(age - 11)|Subject", "method=ML, weights=varIdent(form = ~ 1 | Sex)"))
add("dialyzer_lme_varpower", quote(lme(rate ~ (pressure + I(pressure^2) + I(pressure^3) + I(pressure^4)) * QB, dialyzer,
                                       random = ~ pressure + I(pressure^2) | Subject, weights = varPower(form = ~ pressure),
                                       control = lmetight)),
    sqlspec("dialyzer", sdi, "pressure + I(pressure^2)|Subject", "weights=varPower(form = ~ pressure)"))
add("orthodont_lme_ar1_varident", quote(lme(distance ~ age * Sex, orthodont_chr, random = ~ 1 | Subject,
                                            weights = varIdent(form = ~ 1 | Sex), correlation = corAR1(form = ~ 1 | Subject),
                                            control = lmetight)),
    sqlspec("orthodont_chr", "distance ~ age * Sex", "1|Subject",
            "weights=varIdent(form = ~ 1 | Sex), correlation=corAR1(form = ~ 1 | Subject)"), level = 0.9)

out <- list(confint_structures = cases, versions = list(R = R.version.string, nlme = as.character(packageVersion("nlme")),
                                                         numDeriv = as.character(packageVersion("numDeriv"))))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null", null = "null"),
           file.path(outdir, "intervals_structures.json"))
