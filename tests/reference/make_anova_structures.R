# Reference values for the F tests of the terms of one structured model (issue 16's residual structures, issue 17's
# lmm_anova('m')): nlme's anova(m), sequential and type = "marginal", and anova(m, L = L), for gls and lme fits with
# weights= (varIdent, varPower) and correlation= (corAR1).  One JSON file, anova_structures.json, of the shape of
# anova_terms.json (make_anova_terms.R): a list of cases, each the SQL that makes the model and R's tables by type.
# tests/sql/test_anova_structures.py checks lmm_anova against it.
# Usage: Rscript make_anova_structures.R OUTDIR   (reads the CSVs of ../data beside this script)
suppressMessages({library(nlme); library(jsonlite)})
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
args <- commandArgs(TRUE); outdir <- args[1]
invisible(Sys.setlocale("LC_COLLATE", "C"))   # factor() sorts text in byte order, as SQLite does
csv <- function(name) read.csv(file.path(here, "..", "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
num <- function(x) unname(as.numeric(x))
# nlme stops about 1e-6 short of its optimum by default, which moves F by as much: fit tightly
lmetight <- lmeControl(maxIter = 500, msMaxIter = 1000, msMaxEval = 5000, niterEM = 100, tolerance = 1e-10,
                       rel.tol = 1e-13, returnObject = TRUE)
glstight <- glsControl(maxIter = 500, msMaxIter = 5000, tolerance = 1e-10, returnObject = TRUE)

rows <- function(a) {
  a <- as.data.frame(a); nm <- rownames(a)
  # anova.lme and anova.gls print 1 - pf(F, ...), 0 below 1e-16; the reference holds pf's upper tail itself
  pv <- pf(a[["F-value"]], a[["numDF"]], a[["denDF"]], lower.tail = FALSE)
  lapply(seq_len(nrow(a)), function(i) list(term = trimws(nm[i]), num_df = num(a[["numDF"]][i]),
                                             den_df = num(a[["denDF"]][i]), statistic = num(a[["F-value"]][i]),
                                             p_value = pv[i], sum_sq = NA, mean_sq = NA))
}
Ltext <- function(L) paste(apply(L, 1, function(r) paste(format(r, scientific = FALSE, trim = TRUE), collapse = " ")), collapse = "; ")
sqlspec <- function(data, formula, random, options) list(data = data, formula = formula, random = random, options = options)
cases <- list()
add <- function(name, m, sql, L = NULL) {
  engine <- if (inherits(m, "gls")) "nlme::gls" else "nlme::lme"
  tab <- function(type) {
    a <- anova(m, type = type)
    # anova.gls prints its denominator df once, in a heading; every row's is N - p
    if (engine == "nlme::gls") a$denDF <- m$dims$N - m$dims$p
    a
  }
  tabs <- list(list(type = "sequential", rows = rows(tab("sequential"))),
               list(type = "marginal", rows = rows(tab("marginal"))))
  if (!is.null(L)) {
    a <- anova(m, L = L)
    if (engine == "nlme::gls") a$denDF <- m$dims$N - m$dims$p
    r <- rows(a); r[[1]]$term <- "L"
    tabs[[length(tabs) + 1]] <- list(type = "contrast", L = Ltext(L), rows = r)
  }
  cases[[length(cases) + 1]] <<- list(case = name, engine = engine, sql = sql, logLik = num(logLik(m)),
                                      call = paste(deparse(m$call, width.cutoff = 500L), collapse = " "), tables = tabs)
}

ovary <- csv("ovary"); ovary$Mare <- as.character(ovary$Mare)
orthodont_chr <- csv("orthodont_chr")
bodyweight <- csv("bodyweight"); bodyweight$Rat <- as.character(bodyweight$Rat); bodyweight$Diet <- as.character(bodyweight$Diet)
dialyzer <- csv("dialyzer"); dialyzer$Subject <- as.character(dialyzer$Subject); dialyzer$QB <- as.character(dialyzer$QB)
fov <- follicles ~ sin(2*pi*Time) + cos(2*pi*Time)
sov <- "follicles ~ sin(2*pi*Time) + cos(2*pi*Time)"
fdi <- rate ~ (pressure + I(pressure^2) + I(pressure^3) + I(pressure^4)) * QB
sdi <- "rate ~ (pressure + I(pressure^2) + I(pressure^3) + I(pressure^4)) * QB"

# gls with corAR1 (REML), with varIdent (ML), with varPower of a covariate (ML), with both (REML)
add("ovary_gls_ar1", gls(fov, ovary, correlation = corAR1(form = ~ 1 | Mare), method = "REML", control = glstight),
    sqlspec("ovary", sov, NULL, "method=REML, correlation=corAR1(form = ~ 1 | Mare)"), L = rbind(c(0, 1, 0), c(0, 0, 1)))
add("orthodont_gls_varident_ml", gls(distance ~ age * Sex, orthodont_chr, weights = varIdent(form = ~ 1 | Sex),
                                     method = "ML", control = glstight),
    sqlspec("orthodont_chr", "distance ~ age * Sex", NULL, "method=ML, weights=varIdent(form = ~ 1 | Sex)"),
    L = rbind(c(0, 0, 1, 0), c(0, 0, 0, 1)))
add("bodyweight_gls_varpower_ml", gls(weight ~ Time * Diet, bodyweight, weights = varPower(form = ~ Time), method = "ML",
                                      control = glstight),
    sqlspec("bodyweight", "weight ~ Time * Diet", NULL, "method=ML, weights=varPower(form = ~ Time)"))
add("dialyzer_gls_ar1_varpower", gls(fdi, dialyzer, weights = varPower(form = ~ pressure),
                                     correlation = corAR1(0.771, form = ~ 1 | Subject), method = "REML", control = glstight),
    sqlspec("dialyzer", sdi, NULL, "method=REML, weights=varPower(form = ~ pressure), correlation=corAR1(0.771, form = ~ 1 | Subject)"))
# lme with corAR1 (REML, ML), varIdent (REML, ML: anova's adjustSigma), varPower of a covariate and of the fitted values
add("ovary_lme_ar1", lme(fov, ovary, random = ~ 1 | Mare, correlation = corAR1(form = ~ 1 | Mare), control = lmetight),
    sqlspec("ovary", sov, "1|Mare", "correlation=corAR1(form = ~ 1 | Mare)"), L = rbind(c(0, 1, 0), c(0, 0, 1)))
add("ovary_lme_ar1_ml", lme(fov, ovary, random = ~ 1 | Mare, correlation = corAR1(form = ~ 1 | Mare), method = "ML",
                            control = lmetight),
    sqlspec("ovary", sov, "1|Mare", "method=ML, correlation=corAR1(form = ~ 1 | Mare)"))
add("orthodont_lme_varident", lme(distance ~ age * Sex, orthodont_chr, random = ~ 1 | Subject,
                                  weights = varIdent(form = ~ 1 | Sex), control = lmetight),
    sqlspec("orthodont_chr", "distance ~ age * Sex", "1|Subject", "weights=varIdent(form = ~ 1 | Sex)"),
    L = rbind(c(0, 1, 0, 0), c(0, 0, 0, 1)))
add("orthodont_lme_varident_ml", lme(distance ~ I(age - 11) * Sex, orthodont_chr, random = ~ I(age - 11) | Subject,
                                     weights = varIdent(form = ~ 1 | Sex), method = "ML", control = lmetight),
    sqlspec("orthodont_chr", "distance ~ I(age - 11) * Sex", "I(age - 11)|Subject", "method=ML, weights=varIdent(form = ~ 1 | Sex)"))
add("dialyzer_lme_varpower", lme(fdi, dialyzer, random = ~ pressure + I(pressure^2) | Subject,
                                 weights = varPower(form = ~ pressure), control = lmetight),
    sqlspec("dialyzer", sdi, "pressure + I(pressure^2)|Subject", "weights=varPower(form = ~ pressure)"))
add("bodyweight_lme_varpower", lme(weight ~ Time * Diet, bodyweight, random = ~ Time | Rat, weights = varPower(),
                                   control = lmetight),
    sqlspec("bodyweight", "weight ~ Time * Diet", "Time|Rat", "weights=varPower()"))

out <- list(anova_structures = cases, versions = list(R = R.version.string, nlme = as.character(packageVersion("nlme"))))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null", null = "null"),
           file.path(outdir, "anova_structures.json"))
