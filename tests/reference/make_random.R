# A randomized differential suite against R (issue 21): designs drawn at random across what lmm_fit supports, each
# fitted by lme4 (its default, and tight bobyqa and nloptwrap refits), by nlme where the model is one of nlme's, and,
# where a covariate is badly scaled, by lme4 on the well-scaled covariate with the optimum mapped back exactly.
# Every engine's optimum is stored beside the data; tests/sql/test_random.py fits each design with lmm_fit and
# requires lmm's logLik to reach the best of them.
# Usage: Rscript make_random.R OUT.json SEED N     N designs, design i drawn after set.seed(SEED + i)
#        Rscript make_random.R OUT.json issue21    the repro data of issue 21 in 105 variants, ML and REML
# Checked in: random/designs.json (SEED 20261201, N 220) and random/issue21.json.  R 4.2.2, lme4 1.1.31,
# nlme 3.1.162, jsonlite 1.8.4, in the C collation (factor() sorts text in byte order, as SQLite does).
#
# The data are written to the JSON and read back before R fits them, so R and SQLite fit the same doubles; every
# double is rounded to at most 8 significant digits first, which 15-digit JSON numbers keep exactly.  A column's
# type is deliberate: R character -> "text" (ids such as "017" or "10" stay text), R integer -> "integer" (integer
# ids, integer covariates, integer codes under factor()), R double -> "real".
suppressMessages({library(lme4); library(nlme); library(jsonlite)})
invisible(Sys.setlocale("LC_COLLATE", "C"))
args <- commandArgs(TRUE)
num <- function(x) unname(as.numeric(x))

# ---- fitting: each engine's optimum, or its error, with R's warnings ----
quiet <- function(expr) {
  w <- character(0)
  v <- withCallingHandlers(tryCatch(expr, error = function(e) e),
         warning = function(x) { w <<- c(w, conditionMessage(x)); invokeRestart("muffleWarning") },
         message = function(x) invokeRestart("muffleMessage"))
  list(value = v, warnings = unique(w))
}
LME4 <- list(
  "lme4 default" = lmerControl(),
  "lme4 bobyqa tight" = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5)),
  "lme4 nloptwrap tight" = lmerControl(optimizer = "nloptwrap", optCtrl = list(xtol_abs = 1e-12, ftol_abs = 1e-14,
                                        xtol_rel = 1e-12, ftol_rel = 1e-14, maxeval = 1e5)))
NLME <- lmeControl(maxIter = 500, msMaxIter = 500, msMaxEval = 5000, niterEM = 100, tolerance = 1e-10, msTol = 1e-12,
                   returnObject = TRUE)
sum_lmer <- function(m, engine) {
  cf <- coef(summary(m)); vc <- as.data.frame(VarCorr(m))
  rp <- lapply(seq_len(nrow(vc)), function(i) { v <- vc[i, ]
    term <- if (v$grp == "Residual") "sd__Observation" else if (is.na(v$var2)) paste0("sd__", v$var1) else paste0("cor__", v$var1, ".", v$var2)
    list(grp = v$grp, term = term, estimate = v$sdcor) })
  list(engine = engine, logLik = num(logLik(m)), sigma = sigma(m), nobs = nobs(m), df = attr(logLik(m), "df"),
       ngroups = as.list(ngrps(m)), singular = isSingular(m),
       fixed = lapply(seq_len(nrow(cf)), function(i) list(term = rownames(cf)[i], estimate = cf[i, 1], std_error = cf[i, 2])),
       ran_pars = rp)
}
# nlme names a level by its innermost factor; here a level is the path from the outermost, "a:b", as lmm_fit names it
sum_lme <- function(m) {
  tt <- summary(m)$tTable; re <- m$modelStruct$reStruct; g <- rev(names(re)); rp <- list()
  for (k in seq_along(g)) {
    pd <- re[[g[k]]]; S <- as.matrix(pd) * m$sigma^2; sds <- sqrt(diag(S)); nm <- colnames(S); grp <- paste(g[1:k], collapse = ":")
    for (i in seq_along(sds)) rp[[length(rp) + 1]] <- list(grp = grp, term = paste0("sd__", nm[i]), estimate = num(sds[i]))
    if (length(sds) > 1 && !inherits(pd, "pdDiag")) for (i in 1:(length(sds) - 1)) for (j in (i + 1):length(sds))
      rp[[length(rp) + 1]] <- list(grp = grp, term = paste0("cor__", nm[i], ".", nm[j]), estimate = num(S[i, j] / (sds[i] * sds[j])))
  }
  rp[[length(rp) + 1]] <- list(grp = "Residual", term = "sd__Observation", estimate = m$sigma)
  ng <- sapply(m$groups, function(x) length(unique(x))); names(ng) <- sapply(seq_along(ng), function(k) paste(names(m$groups)[1:k], collapse = ":"))
  list(engine = "nlme", logLik = num(logLik(m)), sigma = m$sigma, nobs = m$dims$N, df = attr(logLik(m), "df"),
       ngroups = as.list(ng), fixed = lapply(seq_len(nrow(tt)), function(i)
         list(term = rownames(tt)[i], estimate = tt[i, 1], std_error = tt[i, 2], df = tt[i, 3])), ran_pars = rp)
}
fit_lme4 <- function(formula, data, REML) lapply(names(LME4), function(e) {
  r <- quiet(lmer(formula, data = data, REML = REML, control = LME4[[e]]))
  if (inherits(r$value, "error")) return(list(engine = e, error = conditionMessage(r$value)))
  s <- tryCatch(sum_lmer(r$value, e), error = function(x) list(engine = e, error = conditionMessage(x)))
  if (!is.null(s$error)) return(s)
  s$warnings <- r$warnings
  cd <- attr(getME(r$value, "X"), "col.dropped"); if (length(cd)) s$error <- paste("lme4 dropped", paste(names(cd), collapse = ", "))
  s$model <- r$value; s })
fit_nlme <- function(fixed, random, data, method) {
  data[] <- lapply(data, function(v) if (is.character(v)) factor(v) else v)
  r <- quiet(lme(fixed, random = random, data = data, method = method, control = NLME, na.action = na.omit))
  if (inherits(r$value, "error")) return(list(engine = "nlme", error = conditionMessage(r$value)))
  s <- tryCatch(sum_lme(r$value), error = function(x) list(engine = "nlme", error = conditionMessage(x)))
  s$warnings <- r$warnings; s
}
best_of <- function(fits) { ok <- Filter(function(f) is.null(f$error), fits); if (length(ok)) ok[[which.max(sapply(ok, `[[`, "logLik"))]] }

# The well-scaled refit mapped back: X_big = X_small T exactly (T's entries are the scale 1e6, or the shift 1e6,
# and ones), so beta = T^-1 beta_small, vcov = T^-1 V T^-T, the REML logLik moves by -log|det T|, and a random
# slope on x * s has its standard deviation divided by s.
rescaled <- function(small, big_model, col, base, s, REML) {
  best <- best_of(small); if (is.null(best)) return(list(engine = "rescaled", error = "lme4 failed on the rescaled data"))
  Xs <- getME(best$model, "X"); Xb <- getME(big_model, "X")
  Tm <- qr.solve(Xs, Xb); Tm[abs(Tm) < 1e-6] <- 0; Tm <- signif(Tm, 9)
  if (max(abs(Xs %*% Tm - Xb)) > 1e-9 * max(abs(Xb))) return(list(engine = "rescaled", error = "not a reparametrization"))
  Ti <- solve(Tm); b <- drop(Ti %*% fixef(best$model)); V <- Ti %*% as.matrix(vcov(best$model)) %*% t(Ti)
  rp <- lapply(best$ran_pars, function(p) { p$term <- sub_word(p$term, base, col); if (p$term == paste0("sd__", col)) p$estimate <- p$estimate / s; p })
  out <- best; out$model <- NULL; out$engine <- paste0("rescaled (", best$engine, " on ", base, ", mapped back)")
  out$logLik <- best$logLik - if (REML) log(abs(det(Tm))) else 0
  out$fixed <- lapply(seq_along(b), function(i) list(term = colnames(Xb)[i], estimate = num(b[i]), std_error = sqrt(V[i, i])))
  out$ran_pars <- rp; out
}
strip <- function(fits) lapply(fits, function(f) { f$model <- NULL; f })
# JSON out and back: what R fits is exactly what the test gives SQLite
roundtrip <- function(d) {
  back <- fromJSON(toJSON(as.list(d), digits = NA, na = "null"))
  out <- as.data.frame(lapply(names(d), function(k) { v <- back[[k]]; if (is.null(v)) v <- rep(NA, nrow(d))
    if (is.character(d[[k]])) as.character(v) else if (is.integer(d[[k]])) as.integer(v) else as.numeric(v) }), stringsAsFactors = FALSE)
  names(out) <- names(d); stopifnot(all(is.na(out) == is.na(d)), all(out == d, na.rm = TRUE)); out
}
types <- function(d) lapply(d, function(v) if (is.character(v)) "text" else if (is.integer(v)) "integer" else "real")

# ---- the random designs ----
# kind: the random part in lme4 syntax (S is the slope's covariate), nlme's random part for R (NULL: not an nlme
# model), and lmm_fit's nlme syntax for the same model (NULL: lmm_fit has none for it)
KINDS <- list(
  single_int      = list(lme4 = "(1|g)", nlme = "~1|g", lmm = "1|g"),
  single_slope    = list(lme4 = "(S|g)", nlme = "~S|g", lmm = "S|g"),
  single_uncorr   = list(lme4 = "(S||g)", nlme = "list(g = pdDiag(~S))", lmm = NULL),
  single_fslope   = list(lme4 = "(f|g)", nlme = "~f|g", lmm = "f|g"),
  single_f0       = list(lme4 = "(0 + f|g)", nlme = "~0 + f|g", lmm = "0 + f|g"),
  single_funcorr  = list(lme4 = "(f||g)", nlme = NULL, lmm = NULL),
  single_gf       = list(lme4 = "(1|g) + (1|g:f)", nlme = "~1|g/f", lmm = "1|g/f"),
  single_quad     = list(lme4 = "(x + I(x^2)|g)", nlme = "~x + I(x^2)|g", lmm = "x + I(x^2)|g"),
  nested2_int     = list(lme4 = "(1|a/b)", nlme = "~1|a/b", lmm = "1|a/b"),
  nested2_slope   = list(lme4 = "(S|a/b)", nlme = "~S|a/b", lmm = "S|a/b"),
  nested2_mixed   = list(lme4 = "(S|a) + (1|a:b)", nlme = "list(a = ~S, b = ~1)", lmm = NULL),
  nested3_int     = list(lme4 = "(1|a/b/c)", nlme = "~1|a/b/c", lmm = "1|a/b/c"),
  crossed2_int    = list(lme4 = "(1|a) + (1|b)"),
  crossed2_slope  = list(lme4 = "(S|a) + (1|b)"),
  crossed2_uncorr = list(lme4 = "(S||a) + (S|b)"),
  crossed2_fslope = list(lme4 = "(f|a) + (1|b)"),
  crossed3_int    = list(lme4 = "(1|a) + (1|b) + (1|c)"),
  crossed3_slope  = list(lme4 = "(S|a) + (1|b) + (S||c)"))
# fixed parts in x; `lin`: linear in x, so x may become x * 1e6 or x + 1e6, unless `noshift`: x + 1e6 in x:h without
# h is another model (it adds 1e6 h), not the same one reparametrized
FIXED <- list(list(f = "x", lin = TRUE), list(f = "x + f", lin = TRUE), list(f = "x * f", lin = TRUE),
              list(f = "f * h", lin = TRUE), list(f = "x + I(x^2)", lin = FALSE), list(f = "log(x + 1) + f", lin = FALSE),
              list(f = "xi + factor(k)", lin = TRUE), list(f = "x + f + x:h", lin = TRUE, noshift = TRUE), list(f = "1", lin = TRUE),
              list(f = "0 + f + x", lin = TRUE), list(f = "sqrt(x) + h", lin = FALSE), list(f = "(x + f + h)^2", lin = TRUE))
# a variable renamed in a formula or in a term name such as sd__x or cor__(Intercept).x
sub_word <- function(s, from, to) if (is.null(s)) NULL else gsub(paste0("(?<![A-Za-z0-9])", from, "(?![A-Za-z0-9_])"), to, s, perl = TRUE)

labels <- function(n, text) {
  if (!text) return(sample(if (runif(1) < 0.5) seq_len(n) else sample(1:(20 * n), n)))
  switch(sample(4, 1), sprintf("g%d", seq_len(n)), sprintf("%03d", sample(0:999, n)),
         paste0(sample(c("s", "S", "_s", "site"), n, TRUE), seq_len(n)), as.character(seq_len(n)))
}
sizes <- function(G, big) { s <- sample(c(1, 2, 2:big), G, TRUE); if (runif(1) < 0.6) s[sample(G, 1 + rbinom(1, 2, 0.3))] <- 1; s }
# the grouping columns of a kind, one row per observation
groups <- function(kind) {
  txt <- function() runif(1) < 0.6
  if (startsWith(kind, "single")) {
    G <- sample(5:24, 1); ids <- labels(G, txt()); data.frame(g = rep(ids, sizes(G, sample(4:14, 1))), stringsAsFactors = FALSE)
  } else if (startsWith(kind, "nested")) {
    deep <- kind == "nested3_int"; A <- sample(if (deep) 3:5 else 4:10, 1); at <- txt(); bt <- txt()
    a <- labels(A, at); rows <- list()
    for (ai in a) { nb <- sample(if (deep) 2:3 else 1:4, 1); bl <- labels(nb, bt)
      for (bi in bl) { if (deep) { nc <- sample(2:3, 1); for (ci in labels(nc, bt)) rows[[length(rows) + 1]] <- data.frame(a = rep(ai, sample(1:4, 1)), b = bi, c = ci, stringsAsFactors = FALSE) }
                       else rows[[length(rows) + 1]] <- data.frame(a = rep(ai, sample(c(1, 1:7), 1)), b = bi, stringsAsFactors = FALSE) } }
    do.call(rbind, rows)
  } else {
    three <- startsWith(kind, "crossed3"); n <- sample(60:260, 1)
    lv <- list(a = labels(sample(5:20, 1), txt()), b = labels(sample(3:10, 1), txt()))
    if (three) lv$c <- labels(sample(3:8, 1), txt())
    d <- as.data.frame(lapply(lv, function(l) sample(c(l, sample(l, n - length(l), TRUE)))), stringsAsFactors = FALSE); d
  }
}
POOLS <- list(c("a", "b", "c", "d"), c("B", "a", "b", "_z"), c("1", "10", "2", "9"), c("lo", "mid", "hi"), c("ctl", "trt"))
# one draw: the data, the formulas and what the kind is
draw <- function(id) {
  kind <- names(KINDS)[(id - 1) %% length(KINDS) + 1]; K <- KINDS[[kind]]
  d <- groups(kind); n <- nrow(d)
  pool <- POOLS[[sample(length(POOLS), 1)]]; nf <- if (grepl("f", K$lme4) && !grepl("crossed", kind)) length(pool) else min(length(pool), sample(2:4, 1))
  d$x <- round(runif(n, 0, 5), 3); d$xi <- sample(0:9, n, TRUE); d$f <- sample(pool[seq_len(nf)], n, TRUE)
  d$h <- sample(c("no", "yes"), n, TRUE); d$k <- sample(c(-1L, 3L, 10L), n, TRUE)
  fx <- FIXED[[sample(length(FIXED), 1)]]
  S <- sample(c("x", "x", "xi"), 1)
  scale <- if (fx$lin && grepl("\\bx\\b", fx$f) && kind != "single_quad") sample(c("none", "big", "shift"), 1, prob = c(0.7, 0.15, 0.15)) else "none"
  if (scale == "shift" && isTRUE(fx$noshift)) scale <- "big"
  fixed <- fx$f; if (grepl("\\bf\\b", K$lme4) && !grepl("\\bf\\b", fixed)) fixed <- paste(fixed, "+ f")
  rand <- sub_word(K$lme4, "S", S); nrand <- if (is.null(K$nlme)) NULL else sub_word(K$nlme, "S", S)
  lrand <- if (is.null(K$lmm)) NULL else sub_word(K$lmm, "S", S)
  resp <- if (runif(1) < 0.2) "log(y)" else "y"
  REML <- runif(1) < 0.5
  # the truth: fixed effects, and each random term's covariance, singular at times
  d$y <- 0
  lf <- lFormula(as.formula(paste("y ~", fixed, "+", rand)), data = d,
                 control = lmerControl(check.nobs.vs.nlev = "ignore", check.nobs.vs.nRE = "ignore", check.nlev.gtr.1 = "ignore",
                                       check.rankX = "ignore", check.scaleX = "ignore"))
  X <- lf$X; beta <- rnorm(ncol(X)) / pmax(apply(X, 2, sd), 1); beta[colnames(X) == "(Intercept)"] <- rnorm(1, 4, 2)
  eta <- drop(X %*% beta); singular <- FALSE
  for (t in seq_along(lf$reTrms$Ztlist)) {
    cn <- lf$reTrms$cnms[[t]]; q <- length(cn); Zt <- lf$reTrms$Ztlist[[t]]; nl <- nrow(Zt) / q
    sds <- runif(q, 0.2, 1.5) / pmax(1, sapply(cn, function(c) if (c == "(Intercept)") 1 else sd(lf$X[, colnames(lf$X) == c])[1] %||% 1))
    B <- matrix(rnorm(nl * q), nl, q); C <- crossprod(matrix(rnorm(q * q), q)) + diag(q); C <- cov2cor(C)
    u <- runif(1)
    if (u < 0.12) { sds[sample(q, 1)] <- 0; singular <- TRUE }
    else if (u < 0.2 && q > 1) { s <- sign(rnorm(q)); C <- outer(s, s); singular <- TRUE }   # perfectly correlated
    else if (u < 0.25) { sds[] <- 0; singular <- TRUE }
    L <- t(chol(C + diag(q) * 1e-12)); B <- B %*% t(L) %*% diag(sds, q)
    eta <- eta + drop(crossprod(Zt, as.vector(t(B))))
  }
  eta <- eta + rnorm(n, 0, runif(1, 0.3, 1.2))
  d$y <- if (resp == "log(y)") signif(exp(eta / 3), 8) else round(eta, 4)
  if (resp == "log(y)") eta <- eta / 3
  # badly scaled covariates, NULLs, an unused column with NULLs
  xcol <- "x"
  if (scale == "big") { d$xb <- round(d$x * 1e6); xcol <- "xb"; fixed <- sub_word(fixed, "x", "xb")
                        if (S == "x") { rand <- sub_word(rand, "x", "xb"); nrand <- sub_word(nrand, "x", "xb"); lrand <- sub_word(lrand, "x", "xb") } }
  if (scale == "shift") { d$xs <- round(d$x + 1e6, 3); xcol <- "xs"; fixed <- sub_word(fixed, "x", "xs") }
  nulls <- runif(1) < 0.35
  if (nulls) { d$y[sample(n, max(1, n %/% 25))] <- NA; d[[xcol]][sample(n, max(1, n %/% 30))] <- NA
               gcol <- names(d)[1]; if (runif(1) < 0.5) d[[gcol]][sample(n, 1)] <- NA }
  d$u <- round(rnorm(n), 3); d$u[sample(n, max(1, n %/% 10))] <- NA
  gr <- intersect(c("g", "a", "b", "c"), names(d))
  used <- unique(c(gr, setdiff(all.vars(as.formula(paste(resp, "~", fixed, "+", rand))), gr), "u"))
  list(kind = kind, id = id, d = d[, used], fixed = fixed, rand = rand, nrand = nrand, lrand = lrand, resp = resp, REML = REML,
       scale = scale, S = S, singular_truth = singular, nulls = nulls, template = fx$f)
}
`%||%` <- function(a, b) if (length(a) && !is.na(a[1])) a else b

# fit one draw in R; NULL if R cannot fit it as drawn (lme4's default refuses it, drops a column or fails in its
# summary: drawn again, and counted in `redrawn`)
fit_draw <- function(D) {
  d <- roundtrip(D$d); keep <- names(d)
  if (D$scale == "big") d$xw <- d$xb / 1e6 else if (D$scale == "shift") d$xw <- d$xs - 1e6   # well scaled (exact for shift)
  form <- as.formula(paste(D$resp, "~", D$fixed, "+", D$rand))
  fits <- fit_lme4(form, d, D$REML)
  if (!is.null(fits[[1]]$error)) return(NULL)
  # too few rows for the model (y in the span of X and Z: the likelihood is unbounded as sigma -> 0)
  m <- fits[[1]]$model; if (nobs(m) <= ncol(getME(m, "X")) + nrow(getME(m, "Zt")) + 2) return(NULL)
  if (best_of(fits)$sigma < 1e-4 * sd(getME(m, "y"))) return(NULL)
  if (!is.null(D$nrand)) {
    dn <- d[, intersect(names(d), all.vars(form)), drop = FALSE]
    fits[[length(fits) + 1]] <- fit_nlme(as.formula(paste(D$resp, "~", D$fixed)), eval(parse(text = D$nrand)), dn,
                                         if (D$REML) "REML" else "ML")
  }
  if (D$scale != "none") {
    col <- if (D$scale == "big") "xb" else "xs"
    small <- fit_lme4(as.formula(paste(D$resp, "~", sub_word(D$fixed, col, "xw"), "+", sub_word(D$rand, col, "xw"))), d, D$REML)
    fits[[length(fits) + 1]] <- rescaled(small, fits[[1]]$model, col, "xw", if (D$scale == "big") 1e6 else 1, D$REML)
  }
  calls <- list(list(formula = paste(D$resp, "~", D$fixed, "+", D$rand), random = NULL))
  if (!is.null(D$lrand)) calls[[2]] <- list(formula = paste(D$resp, "~", D$fixed), random = D$lrand)
  tags <- c(if (D$REML) "REML" else "ML", if (D$scale != "none") paste0("scale_", D$scale), if (D$nulls) "nulls",
            if (D$singular_truth) "singular_truth", if (D$resp != "y") "log_response", if (!is.null(D$lrand)) "nlme_syntax",
            if (any(table(d[[names(d)[1]]]) == 1)) "singletons",   # the first column is the outermost grouping
            paste0("ids_", paste(sapply(intersect(c("g", "a", "b", "c"), names(d)), function(k) if (is.character(d[[k]])) "text" else "int"), collapse = "")))
  list(name = sprintf("%s_%03d", D$kind, D$id), kind = D$kind, tags = as.list(tags), fixed_template = D$template,
       options = if (D$REML) NULL else "method=ML", calls = calls,
       data = as.list(d[, keep, drop = FALSE]), types = types(d[, keep, drop = FALSE]), fits = strip(fits))
}

# ---- issue 21: its repro, y ~ f + (f|g) with f of 4 levels, in 105 variants ----
# i = 0 .. 8G-1, g = i/8, f = 'a'..'d' cycling, y = i%4 + (i/8 % K)/D + ((i*M % P) - 50)/30 (the repro: M 37,
# P 101, G 8, K 7, D 3).  Variants: M in {37, 41, 43, 47, 53, 59, 61} x P in {101, 103, 107, 109, 113} x
# (G, K, D) in {(8, 7, 3), (6, 5, 2), (12, 11, 4)}.  The test makes the same rows in SQL; the arithmetic is done in
# the same order, so R and SQLite hold the same doubles.  Fitted by lme4's three only: nlme takes seconds on each of
# these singular fits, stops short (the repro, ML: -97.26306 with opt = "optim", where lme4 has -97.25244) or fails.
issue21 <- function() {
  out <- list()
  for (gkd in list(c(8, 7, 3), c(6, 5, 2), c(12, 11, 4))) for (M in c(37, 41, 43, 47, 53, 59, 61)) for (P in c(101, 103, 107, 109, 113)) {
    G <- gkd[1]; K <- gkd[2]; D <- gkd[3]; i <- 0:(8 * G - 1)
    d <- data.frame(g = i %/% 8L, f = letters[i %% 4 + 1], y = (i %% 4 + ((i %/% 8L) %% K) / D) + ((i * M) %% P - 50) / 30, stringsAsFactors = FALSE)
    q <- sprintf(paste0("WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i+1 FROM s WHERE i < %d) SELECT i/8 AS g, ",
                        "char(97 + i%%4) AS f, i%%4 + (i/8 %% %d)/%d.0 + ((i*%d %% %d) - 50)/30.0 AS y FROM s"), 8 * G - 1, K, D, M, P)
    for (REML in c(FALSE, TRUE)) {
      fits <- fit_lme4(y ~ f + (f | g), d, REML)   # nlme: 7 s a fit and short of lme4 or failing (y ~ f + (f|g) is singular)
      out[[length(out) + 1]] <- list(name = sprintf("issue21_M%d_P%d_G%d_K%d_D%d_%s", M, P, G, K, D, if (REML) "REML" else "ML"),
        kind = "issue21", tags = list(if (REML) "REML" else "ML"), options = if (REML) NULL else "method=ML",
        calls = list(list(formula = "y ~ f + (f|g)", random = NULL), list(formula = "y ~ f", random = "f|g")),
        query = q, y_sum = sum(d$y), fits = strip(fits))
    }
  }
  out
}

versions <- sprintf("R %s, lme4 %s, nlme %s, jsonlite %s", getRversion(), packageVersion("lme4"), packageVersion("nlme"), packageVersion("jsonlite"))
if (length(args) >= 2 && args[2] == "issue21") {
  designs <- issue21(); what <- list(what = "issue21", versions = versions)
} else {
  seed <- as.integer(args[2]); N <- as.integer(args[3]); designs <- list(); redrawn <- 0
  for (id in seq_len(N)) {
    set.seed(seed + id)
    repeat { r <- tryCatch(fit_draw(draw(id)), error = function(e) NULL); if (!is.null(r)) break; redrawn <- redrawn + 1 }
    designs[[id]] <- r; cat(r$name, "\n")
  }
  what <- list(what = "random", seed = seed, n = N, redrawn = redrawn, versions = versions)
}
writeLines(toJSON(c(what, list(designs = designs)), auto_unbox = TRUE, digits = NA, na = "null", null = "null"), args[1])
