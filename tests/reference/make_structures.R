# Reference results from R's nlme for residual variance functions (weights=) and correlation structures
# (correlation=) in gls() and lme().
# Usage: Rscript make_structures.R OUTDIR visible
#   Pinheiro & Bates ch. 5 models (Orthodont, Ovary, BodyWeight, Dialyzer, Wheat2) and the Arabidopsis tutorial's
#   data.  Writes OUTDIR/<case>.json and the tables OUTDIR/data/{orthodont_chr,ovary,bodyweight_chr,dialyzer,wheat2}.csv
#   (then moved to shared/data); reads arabidopsis.csv from OUTDIR/../../data (shared/data).
# Every fit uses the data as read back from its CSV with read.csv (text columns stay character, so R's levels
# sort as SQLite's text does), and each case records the nlme call exactly as it was evaluated (`nlme_call`).
suppressMessages({library(nlme); library(jsonlite)})
invisible(Sys.setlocale("LC_COLLATE", "C"))   # factor() sorts text in byte order, as SQLite does
args <- commandArgs(TRUE); outdir <- args[1]; caseset <- args[2]
stopifnot(length(args) == 2)
dir.create(file.path(outdir, "data"), showWarnings = FALSE, recursive = TRUE)

# ---- helpers copied from make_reference.R (vc_nlme, anova_tab, save, sqlspec, wcsv and num verbatim) ----
# wcsv, num and vc_nlme from helpers.R beside this file (the shared copy of this script has them inline)
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
anova_tab <- function(names, a) { col <- function(k) num(.subset2(a, k)); lr <- col("L.Ratio"); pv <- col("p-value")
  lapply(seq_along(names), function(i) list(model = names[i], df = col("df")[i], AIC = col("AIC")[i], BIC = col("BIC")[i], logLik = col("logLik")[i], L_ratio = if (length(lr)) lr[i] else NA, p_value = if (length(pv)) pv[i] else NA)) }
save <- function(x, file) writeLines(toJSON(x, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null", null = "null"), file.path(outdir, paste0(file, ".json")))
sqlspec <- function(data, formula, random = NULL, options = NULL) list(data = data, formula = formula, random = random, options = options)
chr <- function(d, cols) { d <- as.data.frame(d); for (k in cols) d[[k]] <- as.character(d[[k]]); d }   # as make_unseen.R

# ---- additions ----
versions <- list(R = R.version.string, nlme = as.character(packageVersion("nlme")))

# A model is a spec: fun ("lme" | "gls"), table (the SQL table and the name the data frame has in the call), fixed
# (formula text), random (nlme random part without "~", lme only), weights / correlation (nlme calls as text),
# method.  nlme_call() builds the R call from the same text the SQL options carry.
spec <- function(fun, table, fixed, random = NULL, method = "REML", weights = NULL, correlation = NULL)
  list(fun = fun, table = table, fixed = fixed, random = random, method = method, weights = weights, correlation = correlation)
nlme_call <- function(s, control = NULL) {
  a <- list(as.name(s$fun), str2lang(s$fixed), data = as.name(s$table))
  if (!is.null(s$random)) a$random <- str2lang(paste("~", s$random))
  if (!is.null(s$weights)) a$weights <- str2lang(s$weights)
  if (!is.null(s$correlation)) a$correlation <- str2lang(s$correlation)
  a$method <- s$method
  if (!is.null(control)) a$control <- control
  as.call(a)
}
call_text <- function(cl) paste(trimws(deparse(cl, width.cutoff = 500L)), collapse = " ")
# The SQL spec: method first (left out for REML lme, the default), then weights= and correlation= verbatim.
sql_of <- function(s) {
  o <- c(if (s$fun == "gls" || s$method != "REML") paste0("method=", s$method),
         if (!is.null(s$weights)) paste0("weights=", s$weights),
         if (!is.null(s$correlation)) paste0("correlation=", s$correlation))
  sqlspec(s$table, s$fixed, s$random, if (length(o)) paste(o, collapse = ", ") else NULL)
}
DATA <- new.env()                       # table name -> data frame (as read back from its CSV)
fit_spec <- function(s, control = NULL) {   # the data frame goes by the table's name, where getData() finds it
  assign(s$table, get(s$table, envir = DATA), envir = globalenv())
  eval(nlme_call(s, control), globalenv())
}
# The structure parameters as rows: <Class>__<name> from coef(<struct>, unconstrained = FALSE); a varComb gives the
# rows of its components; corSymm's unnamed coefficients are Rho(i,j), i < j, in R's order (row by row).
struct_rows <- function(ms) {
  out <- list()
  add <- function(st) {
    if (is.null(st)) return(invisible())
    if (inherits(st, "varComb")) { for (k in seq_along(st)) add(st[[k]]); return(invisible()) }
    cf <- coef(st, unconstrained = FALSE); if (!length(cf)) return(invisible())
    cls <- class(st)[1]; nm <- names(cf)
    if (cls == "corSymm") {
      K <- round((1 + sqrt(1 + 8 * length(cf))) / 2); nm <- character()
      for (i in 1:(K-1)) for (j in (i+1):K) nm <- c(nm, sprintf("Rho(%d,%d)", i, j))
      R <- corMatrix(st); R <- if (is.list(R)) R[[which.max(sapply(R, nrow))]] else R
      if (nrow(R) == K) stopifnot(isTRUE(all.equal(num(cf), num(R[upper.tri(R)][order(row(R)[upper.tri(R)])]))))
    }
    stopifnot(length(nm) == length(cf), !any(is.na(nm)))
    for (i in seq_along(cf)) out[[length(out)+1]] <<- list(term = paste0(cls, "__", nm[i]), estimate = num(cf[i]))
  }
  add(ms$varStruct); add(ms$corStruct)
  out
}
# varIdent strata in nlme's order (reference stratum first), and a check of the rule the README states: the order
# of first appearance in nlme's row order (rows sorted by the grouping factors for lme, by the correlation's groups
# for gls, the data's own order for a gls without grouped correlation).
varident_strata <- function(m, s) {
  vs <- m$modelStruct$varStruct; if (is.null(vs)) return(NULL)
  comps <- if (inherits(vs, "varComb")) as.list(vs) else list(vs)
  d <- get(s$table, envir = DATA); ord <- nlme_order(m, s, d)
  out <- list()
  for (v in comps) if (inherits(v, "varIdent") && !is.null(attr(v, "groupNames"))) {
    gn <- attr(v, "groupNames")
    strat <- as.character(getGroups(d, formula(v), level = length(splitFormula(getGroupsFormula(formula(v)), sep = "*")), sep = "*"))
    if (!identical(unique(strat[ord]), gn)) stop("varIdent strata order rule does not hold for ", s$table)
    out[[length(out)+1]] <- gn
  }
  out
}
nlme_order <- function(m, s, d) {
  if (s$fun == "lme") { g <- getGroups(d, as.formula(paste("~", s$random))); return(do.call(order, if (is.data.frame(g)) as.list(g) else list(g))) }
  cs <- m$modelStruct$corStruct
  if (!is.null(cs) && !is.null(getGroupsFormula(cs))) return(order(cor_groups(cs, d)))
  seq_len(nrow(d))
}
cor_groups <- function(cs, d) { gf <- getGroupsFormula(cs); getGroups(d, formula(cs), level = length(splitFormula(gf, sep = "/"))) }
# Normalized residuals: Pearson residuals premultiplied, group by group, by nlme's inverse square-root factor of the
# group's correlation matrix (recalc(), what resid(type = "normalized") applies).  nlme 3.1-162 applies that factor
# in its own sorted row order to residuals stored in the data's order, so its values are wrong wherever the data are
# not already sorted by the grouping; here the residuals are put in nlme's order, transformed, and put back, and
# check_normalized() compares them with nlme's own on a refit to the sorted rows.
normalized <- function(m, s, d) {
  rp <- num(resid(m, type = "pearson")); cs <- m$modelStruct$corStruct
  if (is.null(cs)) return(rp)
  ord <- nlme_order(m, s, d); v <- numeric(length(rp))
  v[ord] <- recalc(cs, list(Xy = as.matrix(rp[ord])))$Xy[, 1]
  v
}
check_normalized <- function(m, s, mine) {
  d <- get(s$table, envir = DATA); ord <- nlme_order(m, s, d)
  if (is.null(m$modelStruct$corStruct)) return(list(nlme_differs = FALSE))
  sorted <- paste0(s$table, "__sorted"); ds <- d[ord, ]; row.names(ds) <- NULL; assign(sorted, ds, envir = DATA)
  s2 <- s; s2$table <- sorted; m2 <- fit_spec(s2, m$call$control)
  stopifnot(abs(num(logLik(m2)) - num(logLik(m))) < 1e-6 * abs(num(logLik(m))),
            max(abs(num(resid(m2, type = "normalized")) - mine[ord])) < 1e-6 * max(1, max(abs(mine))))
  rm(list = sorted, envir = DATA)
  list(nlme_differs = max(abs(num(resid(m, type = "normalized")) - mine)) > 1e-8)
}
fixed_rows <- function(m) {
  tt <- summary(m)$tTable
  if (inherits(m, "gls")) { df <- m$dims$N - m$dims$p   # summary.gls's t tests use N - p
    lapply(seq_len(nrow(tt)), function(i) list(term = rownames(tt)[i], estimate = tt[i,1], std_error = tt[i,2], df = df, statistic = tt[i,3], p_value = tt[i,4]))
  } else lapply(seq_len(nrow(tt)), function(i) list(term = rownames(tt)[i], estimate = tt[i,1], std_error = tt[i,2], df = tt[i,3], statistic = tt[i,4], p_value = tt[i,5]))
}
ranef_rows <- function(m) {   # as ref_lme in make_reference.R
  re <- ranef(m); if (!is.data.frame(re)) re <- re else re <- list(re)
  rl <- list(); for (k in seq_along(re)) { r <- re[[k]]; for (i in seq_len(nrow(r))) for (j in seq_len(ncol(r)))
    rl[[length(rl)+1]] <- list(grp = if (length(re) > 1) names(re)[k] else names(m$groups)[1], level = rownames(r)[i], term = colnames(r)[j], estimate = r[i,j]) }
  rl
}
# tighter optimizer settings, to see whether nlme's default fit stops short
tight_controls <- list(
  lme = list(nlminb = quote(lmeControl(maxIter = 500, msMaxIter = 1000, msMaxEval = 5000, niterEM = 100, tolerance = 1e-10, rel.tol = 1e-13, returnObject = TRUE)),
             optim = quote(lmeControl(maxIter = 500, msMaxIter = 5000, tolerance = 1e-10, opt = "optim", msTol = 1e-14, reltol = 1e-14, returnObject = TRUE))),
  gls = list(nlminb = quote(glsControl(maxIter = 500, msMaxIter = 5000, tolerance = 1e-10, returnObject = TRUE)),
             optim = quote(glsControl(maxIter = 500, msMaxIter = 5000, tolerance = 1e-10, opt = "optim", msTol = 1e-14, returnObject = TRUE))))
quiet_fit <- function(s, control = NULL) tryCatch(suppressWarnings(fit_spec(s, control)), error = function(e) NULL)
par_vector <- function(m) c(unlist(lapply(struct_rows(m$modelStruct), `[[`, "estimate")),
                            if (inherits(m, "lme")) unlist(lapply(vc_nlme(m), `[[`, "estimate")) else m$sigma)
# ref_gls / ref_lme of make_reference.R, extended: structure parameters, Pearson and normalized residuals, fitted
# values at level 0 and the innermost level, the call, versions, warnings, and the optimum check.
# alt: other starting values (structure text) tried for the best known logLik.
ref_struct <- function(name, s, control = NULL, alt = list()) {
  warn <- character()
  m <- withCallingHandlers(fit_spec(s, control), warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
  d <- get(s$table, envir = DATA)
  res <- list(case = name, engine = paste0("nlme::", s$fun), method = s$method, sql = sql_of(s),
              nlme_call = call_text(nlme_call(s, control)), versions = versions, nobs = m$dims$N)
  if (s$fun == "lme") res$ngroups <- as.list(sapply(m$groups, function(g) length(unique(g))))
  res <- c(res, list(logLik = num(logLik(m)), df = attr(logLik(m), "df"), AIC = AIC(m), BIC = BIC(m), sigma = m$sigma,
                     fixed = fixed_rows(m),
                     ran_pars = if (s$fun == "lme") vc_nlme(m) else list(list(grp = "Residual", term = "sd__Observation", estimate = m$sigma)),
                     var_pars = struct_rows(m$modelStruct), varident_strata = if (length(vi <- varident_strata(m, s))) vi,
                     vcov = unname(as.matrix(vcov(m)))))
  if (s$fun == "lme") res$ranef <- ranef_rows(m)
  if (s$fun == "lme") { f <- fitted(m, level = 0:m$dims$Q); res$fitted <- num(f[, ncol(f)]); res$fitted_level0 <- num(f[, 1]) }
  else res$fitted <- num(fitted(m))
  res$resid_response <- num(resid(m)); res$resid_pearson <- num(resid(m, type = "pearson"))
  res$resid_normalized <- normalized(m, s, d)
  if (!is.null(m$modelStruct$corStruct)) res$resid_normalized_nlme_raw_differs <- check_normalized(m, s, res$resid_normalized)$nlme_differs
  # optimum check: the same model with tighter settings (and other starting values, where given)
  ll0 <- res$logLik; tight <- list(); mb <- NULL; mb_call <- NULL
  consider <- function(key, s2, ctl = NULL) { mt <- quiet_fit(s2, ctl); tight[[key]] <<- if (is.null(mt)) NA else num(logLik(mt))
    if (!is.null(mt) && num(logLik(mt)) > ll0 + 1e-9 && (is.null(mb) || num(logLik(mt)) > num(logLik(mb)))) { mb <<- mt; mb_call <<- call_text(nlme_call(s2, ctl)) } }
  for (k in names(tight_controls[[s$fun]])) consider(k, s, tight_controls[[s$fun]][[k]])
  for (k in seq_along(alt)) { s2 <- s; for (f in names(alt[[k]])) s2[[f]] <- alt[[k]][[f]]; consider(paste0("start", k), s2) }
  res$optimum_check <- list(settings = lapply(tight_controls[[s$fun]], call_text), starts = alt, logLik = tight)
  if (!is.null(mb)) {
    gain <- num(logLik(mb)) - ll0
    p0 <- par_vector(m); p1 <- par_vector(mb)
    reldiff <- if (length(p0) == length(p1)) max(abs(p1 - p0) / pmax(abs(p0), 1e-3)) else NA
    fxdiff <- max(abs(fixef_of(mb) - fixef_of(m)) / sqrt(diag(as.matrix(vcov(m)))))
    res$optimum_check$best <- list(logLik = num(logLik(mb)), gain = gain, nlme_call = mb_call,
                                   max_rel_diff_pars = reldiff, max_fixed_diff_in_se = fxdiff,
                                   var_pars = struct_rows(mb$modelStruct),
                                   ran_pars = if (s$fun == "lme") vc_nlme(mb) else list(list(grp = "Residual", term = "sd__Observation", estimate = mb$sigma)))
    if (gain > 1e-5) {
      res$best_known_logLik <- num(logLik(mb))
      res$note <- sprintf("nlme stops short of the optimum: default fit logLik %.8f, best reached %.8f (%s); structure/variance parameters differ by up to %.3g relative, fixed effects by %.3g SE",
                          ll0, num(logLik(mb)), mb_call, reldiff, fxdiff)
    } else if (is.finite(reldiff) && reldiff > 1e-3)
      res$note <- sprintf("flat likelihood: a tighter fit gains only %.2g in logLik but moves the structure/variance parameters by up to %.3g relative", gain, reldiff)
  }
  res$warnings <- if (length(warn)) as.list(unique(warn)) else NULL
  attr(res, "model") <- m
  res
}
fixef_of <- function(m) if (inherits(m, "lme")) fixef(m) else coef(m)
# anova(m0, m1): the structured model against the same model without (or with less) structure
with_anova <- function(res, s0, label0 = "no_structure") {
  m1 <- attr(res, "model"); m0 <- fit_spec(s0)
  a <- anova(m0, m1)
  res$anova <- list(models = list(list(model = label0, sql = sql_of(s0), nlme_call = call_text(nlme_call(s0))),
                                  list(model = res$case, sql = res$sql, nlme_call = res$nlme_call)),
                    table = anova_tab(c(label0, res$case), a))
  res
}
with_variogram <- function(res, form) {
  m <- attr(res, "model"); v <- Variogram(m, form = str2lang(form))
  res$variogram <- list(call = sprintf("Variogram(m, form = %s)", form),
                        defaults = "resType = \"pearson\", robust = FALSE, collapse = \"quantiles\", nint = 20, maxDist = all distances",
                        collapse = attr(v, "collapse"),
                        rows = lapply(seq_len(nrow(v)), function(i) list(variog = v$variog[i], dist = v$dist[i], n_pairs = v$n.pairs[i])))
  res
}
# intervals(m): lower, est., upper of the fixed effects, the random-effect sds and correlations (ran_pars names),
# the structure parameters (var_pars names) and sigma
with_intervals <- function(res) {
  m <- attr(res, "model"); iv <- intervals(m, which = "all")
  rows <- list(); add <- function(part, grp, term, r) rows[[length(rows)+1]] <<- list(part = part, grp = grp, term = term, lower = num(r[1]), est = num(r[2]), upper = num(r[3]))
  fx <- if (inherits(m, "lme")) iv$fixed else iv$coef
  for (i in seq_len(nrow(fx))) add("fixed", NULL, rownames(fx)[i], fx[i, ])
  if (!is.null(iv$reStruct)) for (g in rev(names(iv$reStruct))) { r <- iv$reStruct[[g]]
    for (i in seq_len(nrow(r))) add("ran_pars", g, re_name(rownames(r)[i]), unlist(r[i, ])) }
  vp <- struct_rows(m$modelStruct); k <- 0
  for (part in c("varStruct", "corStruct")) if (!is.null(iv[[part]])) for (i in seq_len(nrow(iv[[part]]))) { k <- k + 1; add("var_pars", "Residual", vp[[k]]$term, iv[[part]][i, ]) }
  stopifnot(k == length(vp))
  add("sigma", "Residual", "sd__Observation", iv$sigma)
  res$intervals <- list(call = "intervals(m, which = \"all\")", level = attr(iv, "level"), rows = rows)
  res
}
re_name <- function(x) {   # nlme's "sd(a)" / "cor(a,b)" as ran_pars' "sd__a" / "cor__a.b"
  inner <- sub("^(sd|cor)\\((.*)\\)$", "\\2", x)
  if (startsWith(x, "sd(")) return(paste0("sd__", inner))
  ch <- strsplit(inner, "")[[1]]; depth <- cumsum((ch == "(") - (ch == ")")); cut <- which(ch == "," & depth == 0)[1]
  paste0("cor__", substr(inner, 1, cut - 1), ".", substr(inner, cut + 1, nchar(inner)))
}
# A CSV as SQL sees it: a quoted column is text (read.csv alone would turn "1", "2" into numbers), the others numbers.
read_table <- function(name, dir = file.path(outdir, "data")) {
  f <- file.path(dir, paste0(name, ".csv"))
  raw <- read.csv(f, quote = "", colClasses = "character", check.names = FALSE)
  text <- vapply(raw, function(v) any(startsWith(v, "\"")), NA)
  d <- read.csv(f, colClasses = unname(ifelse(text, "character", "numeric")), check.names = FALSE)
  assign(name, d, envir = DATA); invisible(d)
}
done <- list(); failed <- list()
emit <- function(res) { attr(res, "model") <- NULL; save(res, res$case); done[[res$case]] <<- res$logLik
  cat(sprintf("%-36s logLik %.8f%s%s\n", res$case, res$logLik, if (!is.null(res$best_known_logLik)) sprintf("  best known %.8f", res$best_known_logLik) else "",
              if (!is.null(res$note)) "  [note]" else "")) }
run <- function(name, expr) tryCatch(emit(expr), error = function(e) { failed[[name]] <<- conditionMessage(e); cat(sprintf("%-36s FAILED: %s\n", name, conditionMessage(e))) })
`%||%` <- function(a, b) if (is.null(a)) b else a
no_struct <- function(s) { s$weights <- NULL; s$correlation <- NULL; s }

if (caseset == "visible") {
  # data: nlme's tables with grouping/text columns as character; arabidopsis from shared/data
  wcsv(chr(Orthodont, c("Sex", "Subject")), "orthodont_chr")     # byte-identical to the project's tests/data/orthodont_chr.csv
  wcsv(chr(Ovary, "Mare"), "ovary")
  wcsv(chr(BodyWeight, c("Rat", "Diet")), "bodyweight_chr")      # Rat and Diet as text
  wcsv(chr(Dialyzer, c("Subject", "QB")), "dialyzer")
  wcsv(chr(Wheat2, c("Block", "variety")), "wheat2")
  for (t in c("orthodont_chr", "ovary", "bodyweight_chr", "dialyzer", "wheat2")) read_table(t)
  read_table("arabidopsis", file.path(outdir, "..", "..", "data"))

  # Orthodont (P&B 5.2.1 and 5.3): varIdent by Sex in lme, REML and ML; gls with corCompSymm (ML), corSymm +
  # varIdent by age (fm1Orth.gls), corCompSymm + varIdent by age (fm2Orth.gls); varExp, varFixed, varComb
  fo <- "distance ~ I(age - 11) * Sex"
  s <- spec("lme", "orthodont_chr", fo, "I(age - 11)|Subject", "REML", weights = "varIdent(form = ~ 1 | Sex)")
  run("orthodont_varident_reml", with_anova(ref_struct("orthodont_varident_reml", s), no_struct(s)))
  s$method <- "ML"; run("orthodont_varident_ml", with_anova(ref_struct("orthodont_varident_ml", s), no_struct(s)))
  s <- spec("gls", "orthodont_chr", fo, method = "ML", correlation = "corCompSymm(form = ~ 1 | Subject)")
  run("orthodont_gls_compsymm_ml", with_anova(ref_struct("orthodont_gls_compsymm_ml", s), no_struct(s)))
  s <- spec("gls", "orthodont_chr", fo, method = "REML", weights = "varIdent(form = ~ 1 | age)", correlation = "corSymm(form = ~ 1 | Subject)")
  run("orthodont_gls_corsymm_varident", with_intervals(with_anova(ref_struct("orthodont_gls_corsymm_varident", s), no_struct(s))))
  s$correlation <- "corCompSymm(form = ~ 1 | Subject)"
  run("orthodont_gls_compsymm_varident", with_anova(ref_struct("orthodont_gls_compsymm_varident", s), no_struct(s)))
  s <- spec("lme", "orthodont_chr", fo, "1|Subject", "ML", weights = "varExp(form = ~ age)")
  run("orthodont_varexp_ml", with_anova(ref_struct("orthodont_varexp_ml", s), no_struct(s)))
  s <- spec("gls", "orthodont_chr", fo, method = "REML", weights = "varFixed(~ age)", correlation = "corCompSymm(form = ~ 1 | Subject)")
  run("orthodont_gls_varfixed_compsymm", with_anova(ref_struct("orthodont_gls_varfixed_compsymm", s), no_struct(s)))
  s <- spec("lme", "orthodont_chr", fo, "I(age - 11)|Subject", "REML", weights = "varComb(varIdent(form = ~ 1 | Sex), varPower(form = ~ age))")
  run("orthodont_varcomb", with_anova(ref_struct("orthodont_varcomb", s), no_struct(s)))

  # Ovary (P&B 5.3.4): AR(1) in gls and lme, ARMA(1,1) in lme
  fv <- "follicles ~ sin(2*pi*Time) + cos(2*pi*Time)"
  s <- spec("gls", "ovary", fv, method = "REML", correlation = "corAR1(form = ~ 1 | Mare)")
  run("ovary_gls_ar1", with_anova(ref_struct("ovary_gls_ar1", s), no_struct(s)))
  s <- spec("lme", "ovary", fv, "1|Mare", "REML", correlation = "corAR1(form = ~ 1 | Mare)")
  run("ovary_lme_ar1", with_anova(ref_struct("ovary_lme_ar1", s), no_struct(s)))
  s$correlation <- "corARMA(form = ~ 1 | Mare, p = 1, q = 1)"
  run("ovary_lme_arma11", with_anova(ref_struct("ovary_lme_arma11", s), no_struct(s)))

  # BodyWeight (P&B 5.2.2, 5.3.5): varPower() of the fitted values, then with continuous-time AR(1)
  fb <- "weight ~ Time * Diet"
  s <- spec("lme", "bodyweight_chr", fb, "Time|Rat", "REML", weights = "varPower()")
  run("bodyweight_varpower", with_variogram(with_anova(ref_struct("bodyweight_varpower", s), no_struct(s)), "~ Time"))
  s0 <- s; s$correlation <- "corCAR1(form = ~ Time | Rat)"
  run("bodyweight_varpower_car1", with_anova(ref_struct("bodyweight_varpower_car1", s), s0, "bodyweight_varpower"))

  # Dialyzer (P&B 5.2.1, 5.4): varPower and varConstPower of pressure in lme; gls with varPower + AR(1)
  fd <- "rate ~ (pressure + I(pressure^2) + I(pressure^3) + I(pressure^4)) * QB"
  s <- spec("lme", "dialyzer", fd, "pressure + I(pressure^2)|Subject", "REML", weights = "varPower(form = ~ pressure)")
  run("dialyzer_varpower", with_intervals(with_anova(ref_struct("dialyzer_varpower", s), no_struct(s))))
  s$weights <- "varConstPower(form = ~ pressure)"
  run("dialyzer_constpower", with_anova(ref_struct("dialyzer_constpower", s), no_struct(s)))
  s <- spec("gls", "dialyzer", fd, method = "REML", weights = "varPower(form = ~ pressure)", correlation = "corAR1(0.771, form = ~ 1 | Subject)")
  s0 <- s; s0$correlation <- NULL
  run("dialyzer_gls_ar1_varpower", with_anova(ref_struct("dialyzer_gls_ar1_varpower", s), s0, "dialyzer_gls_varpower"))

  # Wheat2 (P&B 5.5): isotropic spatial correlation with a nugget; P&B's starting values c(28, 0.2) for corSpher and
  # c(12.5, 0.2) for corRatio; c(28, 0.2) for the others.  Other starts are tried for the best known logLik.
  fw <- "yield ~ variety - 1"; wr <- list()
  for (cl in c("corSpher", "corRatio", "corExp", "corGaus", "corLin")) {
    v <- if (cl == "corRatio") "c(12.5, 0.2)" else "c(28, 0.2)"
    s <- spec("gls", "wheat2", fw, method = "REML", correlation = sprintf("%s(%s, form = ~ latitude + longitude, nugget = TRUE)", cl, v))
    alt <- lapply(c("c(5, 0.2)", "c(10, 0.2)", "c(12.5, 0.2)", "c(20, 0.1)", "c(40, 0.2)", "c(100, 0.05)"), function(a) list(correlation = sprintf("%s(%s, form = ~ latitude + longitude, nugget = TRUE)", cl, a)))
    nm <- paste0("wheat2_", tolower(sub("^cor", "", cl)))
    wr[[cl]] <- tryCatch({ r <- with_anova(ref_struct(nm, s, alt = alt), no_struct(s)); if (cl == "corRatio") with_variogram(r, "~ latitude + longitude") else r },
                         error = function(e) { failed[[nm]] <<- conditionMessage(e); NULL })
  }
  # corSpher and corExp: profiled over the range, the logLik keeps rising towards range -> Inf, nugget -> 0 (a linear
  # variogram, the same limit for both), so neither has a finite optimum; the best logLik either reached is the bound.
  sup <- max(unlist(lapply(wr[c("corSpher", "corExp")], function(r) c(r$logLik, r$optimum_check$best$logLik))))
  for (cl in c("corSpher", "corExp")) if (!is.null(wr[[cl]])) {
    wr[[cl]]$best_known_logLik <- sup
    wr[[cl]]$note <- paste0(sprintf("No finite optimum: as range -> Inf and nugget -> 0 the logLik rises towards about %.6f (the limit is a linear variogram, shared by corSpher and corExp; %.8f is the best either reached from the starts in optimum_check), so range and nugget cannot be compared; logLik must reach the bound and the fixed effects come out within about 1 SE of the values here. ", sup, sup),
      if (cl == "corSpher") sprintf("P&B's fit from c(28, 0.2) stops at range %.4f, nugget %.4f (logLik %.6f), where the likelihood profiled over the range is still rising.", wr[[cl]]$var_pars[[1]]$estimate, wr[[cl]]$var_pars[[2]]$estimate, wr[[cl]]$logLik)
      else sprintf("nlme's fit ends on that ridge (range %.4g, nugget %.3g, logLik %.6f).", wr[[cl]]$var_pars[[1]]$estimate, wr[[cl]]$var_pars[[2]]$estimate, wr[[cl]]$logLik))
  }
  if (!is.null(r <- wr$corLin)) { ll <- unlist(r$optimum_check$logLik); low <- sort(unique(round(r$logLik - ll[!is.na(ll) & ll < r$logLik - 1e-3], 3)))
    if (length(low)) wr$corLin$note <- sprintf("corLin's likelihood is not smooth in the range (the range decides which pairs of plots correlate): other starts or settings stop at local optima %s lower (optimum_check); nlme's fit from c(28, 0.2) is the best found", paste(low, collapse = " and ")) }
  for (r in wr) if (!is.null(r)) emit(r)

  # the tutorial's data: gls ML with varIdent by status, lmm6 with varIdent by nutrient
  fa <- "log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status"
  s <- spec("gls", "arabidopsis", fa, method = "ML", weights = "varIdent(form = ~ 1 | status)")
  run("arabidopsis_gls_varident", with_anova(ref_struct("arabidopsis_gls_varident", s), no_struct(s), "GLM"))
  s <- spec("lme", "arabidopsis", fa, "1|popu/gen", "ML", weights = "varIdent(form = ~ 1 | factor(nutrient))")
  run("arabidopsis_lmm6_varident", with_anova(ref_struct("arabidopsis_lmm6_varident", s), no_struct(s), "lmm6"))
}

# The project's own cases (issue 16: other data, each kind of structure with gls and lme, ML and REML), run as
#   Rscript make_structures.R structures own     (from tests/reference; reads ../data/{sleepstudy,orthodont_chr,ovary}.csv)
# corARMA(p = 2) and (q = 2) exercise the partial-autocorrelation parametrization beyond first order, corAR1 with
# gaps (ages 8, 10, 12, 14) nlme's turn into corARMA__Phi1, corCAR1 a covariate in continuous time.
if (caseset == "own") {
  for (t in c("sleepstudy", "orthodont_chr", "ovary")) read_table(t, file.path(outdir, "..", "..", "data"))
  s <- spec("gls", "sleepstudy", "Reaction ~ Days", method = "ML", correlation = "corAR1(form = ~ Days | Subject)")
  run("own_sleepstudy_gls_ar1_ml", with_anova(ref_struct("own_sleepstudy_gls_ar1_ml", s), no_struct(s)))
  s <- spec("lme", "sleepstudy", "Reaction ~ Days", "1|Subject", "REML", correlation = "corCAR1(form = ~ Days | Subject)")
  run("own_sleepstudy_lme_car1", with_anova(ref_struct("own_sleepstudy_lme_car1", s), no_struct(s)))
  s <- spec("lme", "sleepstudy", "Reaction ~ Days", "1|Subject", "ML", correlation = "corARMA(p = 2, form = ~ 1 | Subject)")
  run("own_sleepstudy_lme_ar2_ml", with_anova(ref_struct("own_sleepstudy_lme_ar2_ml", s), no_struct(s)))
  s <- spec("gls", "orthodont_chr", "distance ~ age * Sex", method = "ML", weights = "varExp(form = ~ age)",
            correlation = "corCAR1(form = ~ age | Subject)")
  run("own_orthodont_gls_varexp_car1_ml", with_anova(ref_struct("own_orthodont_gls_varexp_car1_ml", s), no_struct(s)))
  s <- spec("gls", "orthodont_chr", "distance ~ age * Sex", method = "REML", correlation = "corAR1(form = ~ age | Subject)")
  # from its default start Phi = 0 nlme stays there: with lags of 2 years the correlation is Phi^2, flat at 0
  run("own_orthodont_gls_ar1_gaps", with_anova(ref_struct("own_orthodont_gls_ar1_gaps", s,
      alt = list(list(correlation = "corAR1(0.79, form = ~ age | Subject)"))), no_struct(s)))
  s <- spec("lme", "ovary", "follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", "1|Mare", "ML",
            correlation = "corARMA(p = 1, q = 2, form = ~ 1 | Mare)")
  run("own_ovary_lme_arma12_ml", with_anova(ref_struct("own_ovary_lme_arma12_ml", s), no_struct(s)))
  s <- spec("lme", "orthodont_chr", "distance ~ age * Sex", "1|Subject", "REML", weights = "varIdent(form = ~ 1 | Sex)",
            correlation = "corCompSymm(form = ~ 1 | Subject)")
  run("own_orthodont_lme_varident_compsymm", with_anova(ref_struct("own_orthodont_lme_varident_compsymm", s), no_struct(s)))
}
