# make_confint.R — reference confidence intervals for lmm_confint (issue 17), one JSON file per case:
#   Rscript make_confint.R OUTDIR [CASES]     (CASES: a regular expression; only the cases it matches are written)
# Each file: case, engine, method ("intervals", "wald" or "profile"), level, sql (what lmm_fit and lmm_confint
# are given) and rows (effect, grp, term as lmm_tidy names them; lower, estimate, upper). nlme's intervals() and
# lme4's confint() on the CSVs of ../data, read as they are (text stays text, so levels sort as SQLite sorts them,
# and formulas are the SQL's, so R names the terms as lmm does). lme4's profile names (.sig01, ..., .sigma) are
# mapped to lmm_tidy's: a term's sd and cor parameters in lme4's order (its T's lower triangle by columns).
suppressMessages({library(nlme); library(lme4); library(jsonlite); library(numDeriv)})
args <- commandArgs(TRUE); outdir <- args[1]
want <- function(case) length(args) < 2 || grepl(args[2], case)
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
csv <- function(name) read.csv(file.path(here, "..", "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
save <- function(x, file) writeLines(toJSON(x, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null", null = "null"),
                                     file.path(outdir, paste0(file, ".json")))
sqlspec <- function(data, formula, random = NULL, options = NULL) list(data = data, formula = formula, random = random, options = options)
row <- function(effect, grp, term, v) list(effect = effect, grp = grp, term = term, lower = unname(v[1]), estimate = unname(v[2]), upper = unname(v[3]))
nat_term <- function(s) { s <- sub("^sd\\((.*)\\)$", "sd__\\1", s); sub("^cor\\((.*),(.*)\\)$", "cor__\\1.\\2", s) }

# nlme's intervals(): fixed (t on nlme's df), then each grouping level's sds and correlations, outermost first
# (grp as lmm names a nested level: outer:inner), then the residual sd.
ref_intervals <- function(case, m, sql, level = 0.95, fm = NULL, perm = NULL) {
  if (!want(case)) return(invisible())
  iv <- intervals(m, level = level); rows <- list()
  fx <- if (inherits(m, "gls")) iv$coef else iv$fixed
  for (i in seq_len(nrow(fx))) rows[[length(rows) + 1]] <- row("fixed", NULL, rownames(fx)[i], fx[i, ])
  if (!is.null(iv$reStruct)) {
    g <- names(iv$reStruct)   # outermost first
    for (k in seq_along(g)) { tab <- iv$reStruct[[g[k]]]; grp <- paste(g[1:k], collapse = ":")
      for (i in seq_len(nrow(tab))) rows[[length(rows) + 1]] <- row("ran_pars", grp, nat_term(rownames(tab)[i]), unlist(tab[i, ])) }
  }
  rows[[length(rows) + 1]] <- row("ran_pars", "Residual", "sd__Observation", iv$sigma)
  save(list(confint_case = case, engine = class(m)[1], method = "intervals", level = level, sql = sql, rows = rows,
            rows_accurate = if (is.null(fm)) NULL else accurate_rows(m, fm, perm, level)), case)
}
# nlme's apVar differences the log-likelihood with steps 6e-6 relative (fdHess), where rounding moves its
# standard errors by 0.1 % (two runs of the same fit differ by 1e-4; .relStep = 1e-4 moves them 0.1 %, and its
# one-sided cross differences are first order).  So each intervals case also has rows_accurate: the same
# intervals from the Hessian of the same log-likelihood (sigma not profiled; evaluated through lme4's devfun at
# nlme's estimates, the lmer fit fm given the same model) by numDeriv's Richardson extrapolation.  perm orders
# nlme's parameters (attr(apVar, "Pars"): per grouping level log sds, then log((1+r)/(1-r)); log sigma last)
# as fm's terms come.
accurate_rows <- function(m, fm, perm, level) {
  dd <- getME(fm, "devfun"); env <- environment(dd); reml <- isREML(fm)
  n <- nrow(getME(fm, "X")); p <- ncol(getME(fm, "X")); nr <- if (reml) n - p else n
  P <- attr(m$apVar, "Pars"); x0 <- unname(P[c(perm, length(P))])
  f <- function(x) { sig <- exp(x[length(x)]); th <- c(); k <- 0
    for (cn in fm@cnms) { q <- length(cn); sd <- exp(x[k + 1:q]); C <- diag(q); k <- k + q
      if (q > 1) for (a in 1:(q - 1)) for (b in (a + 1):q) { k <- k + 1; e <- exp(x[k]); C[a, b] <- C[b, a] <- (e - 1)/(e + 1) }
      L <- t(chol(outer(sd, sd) * C / sig^2)); th <- c(th, L[lower.tri(L, diag = TRUE)]) }
    dd(th); pw <- env$resp$wrss() + env$pp$sqrL(1)
    -(env$pp$ldL2() + (if (reml) env$pp$ldRX2() else 0) + nr * log(2 * pi * sig^2) + pw / sig^2) / 2 }
  V <- solve(-numDeriv::hessian(f, x0)); half <- -qnorm((1 - level) / 2) * sqrt(diag(V))
  back <- function(x, cor) if (cor) (exp(x) - 1) / (exp(x) + 1) else exp(x)
  rows <- list(); k <- 0
  for (g in seq_along(fm@cnms)) { cn <- fm@cnms[[g]]; q <- length(cn); grp <- names(fm@cnms)[g]
    terms <- paste0("sd__", cn); if (q > 1) for (a in 1:(q - 1)) for (b in (a + 1):q) terms <- c(terms, paste0("cor__", cn[a], ".", cn[b]))
    for (i in seq_along(terms)) { k <- k + 1; cor <- i > q
      rows[[k]] <- row("ran_pars", grp, terms[i], c(back(x0[k] - half[k], cor), back(x0[k], cor), back(x0[k] + half[k], cor))) } }
  k <- k + 1; rows[[k]] <- row("ran_pars", "Residual", "sd__Observation", exp(c(x0[k] - half[k], x0[k], x0[k] + half[k])))
  rows
}
# lme4's confint(method = "profile" or "Wald"); the profile's variance parameters in lmm_tidy's names.
ref_lmer <- function(case, m, sql, method, level = 0.95, check = FALSE) {
  if (!want(case)) return(invisible())
  ci <- confint(m, method = method, level = level, oldNames = TRUE, quiet = TRUE)
  names_v <- list()
  for (g in seq_along(m@cnms)) { cn <- m@cnms[[g]]; q <- length(cn)
    for (j in 1:q) for (i in j:q) names_v[[length(names_v) + 1]] <-
      list(grp = names(m@cnms)[g], term = if (i == j) paste0("sd__", cn[i]) else paste0("cor__", cn[j], ".", cn[i])) }
  names_v[[length(names_v) + 1]] <- list(grp = "Residual", term = "sd__Observation")
  vc <- as.data.frame(VarCorr(m)); est_v <- sapply(names_v, function(v) {
    if (v$grp == "Residual") return(sigma(m))
    r <- vc[vc$grp == v$grp & paste0(ifelse(is.na(vc$var2), "sd__", "cor__"), vc$var1, ifelse(is.na(vc$var2), "", paste0(".", vc$var2))) == v$term, ]
    r$sdcor })
  rows <- list(); nv <- length(names_v); fe <- fixef(m)
  for (i in seq_len(nv)) rows[[i]] <- c(list(effect = "ran_pars"), names_v[[i]], list(lower = unname(ci[i, 1]), estimate = unname(est_v[i]), upper = unname(ci[i, 2])))
  for (j in seq_along(fe)) rows[[nv + j]] <- row("fixed", NULL, names(fe)[j], c(ci[nv + j, 1], fe[j], ci[nv + j, 2]))
  if (method == "Wald") rows <- rows[(nv + 1):(nv + length(fe))]
  save(list(confint_case = case, engine = "lme4::lmer", method = tolower(method), level = level, sql = sql,
            lme4_names = rownames(ci), rows = rows, rows_checked = if (check) checked_rows(m, rows, level) else NULL), case)
}
# lme4's profile can stop short on a singular fit (lmm6.2: both correlations at -+1): its spline through a profile
# whose points BOBYQA left above the true minimum.  checked_rows() looks at every bound lme4 reports: the profile's
# zeta there, minimized over the other parameters from the optimum and from `nstart` random starts (the variance
# parameters through lme4's devfun2; a fixed effect by its ML fits with the column held as an offset, over theta).
# Where that zeta misses -+qnorm((1 + level)/2) by more than 1e-4, the bound is found again (uniroot on that
# zeta) and written in rows_checked, with lme4's in lme4_bound; every other bound is lme4's.
checked_rows <- function(m, rows, level, nstart = 8) {
  set.seed(20261202); z <- -qnorm((1 - level) / 2)
  d2 <- lme4:::devfun2(m, useSc = TRUE, signames = TRUE); opt <- attr(d2, "optimum"); base <- attr(d2, "basedev")
  nv <- length(opt) - length(fixef(m)); vopt <- opt[1:nv]; iscor <- grepl("^\\.sig", names(vopt)) & FALSE
  k <- 0; for (cn in m@cnms) { q <- length(cn); for (j in 1:q) for (i in j:q) { k <- k + 1; iscor[k] <- i != j } }
  lo <- ifelse(iscor, -1, 0); lo[nv] <- 1e-8; up <- ifelse(iscor, 1, Inf)
  rstart <- function() c(ifelse(iscor, runif(nv, -1, 1), vopt * runif(nv, 0.3, 2)))[1:nv]
  starts <- c(list(vopt), lapply(1:nstart, function(i) { s <- rstart(); s[nv] <- vopt[nv]; s }))
  zeta_var <- function(k, v) { best <- Inf
    for (st in starts) { f <- function(x) { p <- numeric(nv); p[-k] <- x; p[k] <- v; d2(p) }
      r <- try(minqa::bobyqa(pmin(pmax(st[-k], lo[-k]), up[-k]), f, lower = lo[-k], upper = up[-k]), silent = TRUE)
      if (!inherits(r, "try-error")) best <- min(best, r$fval) }
    sign(v - vopt[k]) * sqrt(max(0, best - base)) }
  X <- getME(m, "X"); y <- getME(m, "y"); fr <- eval(m@call$data, .GlobalEnv); th0 <- getME(m, "theta"); tlo <- getME(m, "lower")
  zeta_fix <- function(j, b) { fr$.y <- y - b * X[, j]; fr$.X <- X[, -j, drop = FALSE]
    rf <- paste0("(", sapply(findbars(formula(m)), deparse1), ")", collapse = " + ")
    lf <- lFormula(as.formula(paste(".y ~ 0 + .X +", rf)), fr, REML = FALSE)
    dv <- do.call(mkLmerDevfun, lf); best <- Inf
    for (st in c(list(th0), lapply(1:nstart, function(i) ifelse(tlo == 0, th0 * runif(length(th0), 0.3, 2), runif(length(th0), -1, 1))))) {
      r <- minqa::bobyqa(pmax(st, tlo), dv, lower = tlo); best <- min(best, r$fval) }
    sign(b - fixef(m)[j]) * sqrt(max(0, best - base)) }
  nfix <- length(fixef(m))
  for (i in seq_along(rows)) { r <- rows[[i]]
    zf <- if (r$effect == "fixed") { j <- match(r$term, names(fixef(m))); function(v) zeta_fix(j, v) } else function(v) zeta_var(i, v)
    for (side in c("lower", "upper")) { v <- r[[side]]; target <- if (side == "lower") -z else z
      if (is.na(v) || (r$effect != "fixed" && (v == lo[i] || v == up[i]))) next
      zv <- zf(v); if (abs(zv - target) <= 1e-4) next
      est <- if (r$effect == "fixed") unname(fixef(m)[r$term]) else unname(vopt[i])
      # the root lies beyond lme4's bound when zeta falls short of the target there, else between it and the estimate
      far <- if (abs(zv) < z) v + 0.5 * (v - est) else v - 0.5 * (v - est)
      hi_end <- if (r$effect == "fixed") far else min(max(far, lo[i]), up[i])
      root <- uniroot(function(x) zf(x) - target, sort(c(v, hi_end)), tol = 1e-9, extendInt = "yes")$root
      rows[[i]][[paste0("lme4_", side)]] <- v; rows[[i]][[side]] <- root } }
  rows
}
ref_lm <- function(case, m, sql, level = 0.95) {
  if (!want(case)) return(invisible())
  ci <- confint(m, level = level); fe <- coef(m)
  rows <- lapply(seq_along(fe), function(j) row("fixed", NULL, names(fe)[j], c(ci[j, 1], fe[j], ci[j, 2])))
  save(list(confint_case = case, engine = "stats::lm", method = "wald", level = level, sql = sql, rows = rows), case)
}

O <- csv("orthodont"); S <- csv("sleepstudy"); A <- csv("arabidopsis")
fa <- log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status
fas <- "log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status"
ref_intervals("confint_orthodont_lme", lme(distance ~ age, O, random = ~age | Subject, method = "REML"),
              sqlspec("orthodont", "distance ~ age", "age|Subject"),
              fm = lmer(distance ~ age + (age | Subject), O, REML = TRUE), perm = 1:3)
ref_intervals("confint_orthodont_lme_ml90", lme(distance ~ age + Sex, O, random = ~1 | Subject, method = "ML"),
              sqlspec("orthodont", "distance ~ age + Sex", "1|Subject", "method=ML"), level = 0.9,
              fm = lmer(distance ~ age + Sex + (1 | Subject), O, REML = FALSE), perm = 1)
ref_intervals("confint_arabidopsis_lmm6", lme(fa, A, random = ~1 | popu/gen, method = "ML"),
              sqlspec("arabidopsis", fas, "1|popu/gen", "method=ML"),
              fm = lmer(update(fa, . ~ . + (1 | popu) + (1 | popu:gen)), A, REML = FALSE), perm = 1:2)
ref_intervals("confint_orthodont_gls", gls(distance ~ age + Sex, O, method = "REML"),
              sqlspec("orthodont", "distance ~ age + Sex", NULL, "method=REML"))
ref_intervals("confint_orthodont_gls_ml", gls(distance ~ age + Sex, O, method = "ML"),
              sqlspec("orthodont", "distance ~ age + Sex", NULL, "method=ML"))
ref_lm("confint_orthodont_lm", lm(distance ~ age + Sex, O), sqlspec("orthodont", "distance ~ age + Sex"))
ss <- lmer(Reaction ~ Days + (Days | Subject), S)
ref_lmer("confint_sleepstudy_profile", ss, sqlspec("sleepstudy", "Reaction ~ Days + (Days|Subject)"), "profile")
ref_lmer("confint_sleepstudy_wald", ss, sqlspec("sleepstudy", "Reaction ~ Days + (Days|Subject)"), "Wald")
# a correlation whose profile flattens where the intercept's sd reaches 0 (lme4: lower bound -1)
ref_lmer("confint_orthodont_lmer_slopes_profile", lmer(distance ~ age + (age | Subject), O),
         sqlspec("orthodont", "distance ~ age + (age|Subject)"), "profile", check = TRUE)
om <- lmer(distance ~ age + (1 | Subject), O, REML = FALSE)
ref_lmer("confint_orthodont_lmer_profile90", om, sqlspec("orthodont", "distance ~ age + (1|Subject)", NULL, "method=ML"), "profile", 0.9)
a62 <- lmer(log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status + (factor(nutrient) | popu) + (factor(nutrient) | popu:gen),
            A, REML = FALSE)
a62s <- sqlspec("arabidopsis", paste(fas, "+ (factor(nutrient)|popu) + (factor(nutrient)|popu:gen)"), NULL, "method=ML")
ref_lmer("confint_arabidopsis_lmm6.2_profile", a62, a62s, "profile", check = TRUE)
ref_lmer("confint_arabidopsis_lmm6.2_wald", a62, a62s, "Wald")
