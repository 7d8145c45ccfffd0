# helpers.R — what every make_*.R script writes a reference case with (and predict() on new rows: pred_*), sourced from the script's own folder:
#   source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
# Each ref_* fits one model with R's engine and returns the case as a list in the JSON shape tests/sql reads
# (save() writes it); wcsv() and save() write under the caller's global `outdir`.
suppressMessages({library(nlme); library(lme4); library(lmerTest); library(jsonlite)})

wcsv <- function(df, name) write.csv(df, file.path(outdir, "data", paste0(name, ".csv")), row.names = FALSE, quote = TRUE)
num <- function(x) unname(as.numeric(x))

vc_nlme <- function(m) {
  # standard deviations and correlations of each random-effects level, innermost last
  out <- list(); re <- m$modelStruct$reStruct
  gnames <- names(re)               # innermost first in nlme
  for (g in rev(gnames)) {
    pd <- re[[g]]; S <- as.matrix(pd) * m$sigma^2
    sds <- sqrt(diag(S)); nm <- colnames(S)
    for (i in seq_along(sds)) out[[length(out)+1]] <- list(grp = g, term = paste0("sd__", nm[i]), estimate = num(sds[i]))
    if (length(sds) > 1) for (i in 1:(length(sds)-1)) for (j in (i+1):length(sds))
      out[[length(out)+1]] <- list(grp = g, term = paste0("cor__", nm[i], ".", nm[j]), estimate = num(S[i,j]/(sds[i]*sds[j])))
  }
  out[[length(out)+1]] <- list(grp = "Residual", term = "sd__Observation", estimate = m$sigma)
  out
}
ref_lme <- function(name, data, fixed, random, method, sql, control = lmeControl()) {
  m <- lme(fixed, data = data, random = random, method = method, control = control)
  tt <- summary(m)$tTable
  fx <- lapply(seq_len(nrow(tt)), function(i) list(term = rownames(tt)[i], estimate = tt[i,1], std_error = tt[i,2], df = tt[i,3], statistic = tt[i,4], p_value = tt[i,5]))
  re <- ranef(m); if (!is.data.frame(re)) re <- re else re <- list(re)
  rl <- list(); for (k in seq_along(re)) { r <- re[[k]]; for (i in seq_len(nrow(r))) for (j in seq_len(ncol(r)))
    rl[[length(rl)+1]] <- list(grp = if (length(re) > 1) names(re)[k] else names(m$groups)[1], level = rownames(r)[i], term = colnames(r)[j], estimate = r[i,j]) }
  list(case = name, engine = "nlme::lme", method = method, sql = sql, nobs = m$dims$N,
       ngroups = as.list(sapply(m$groups, function(g) length(unique(g)))),
       logLik = num(logLik(m)), df = attr(logLik(m), "df"), AIC = AIC(m), BIC = BIC(m), sigma = m$sigma,
       fixed = fx, ran_pars = vc_nlme(m), vcov = unname(as.matrix(vcov(m))),
       ranef = rl, fitted = num(fitted(m)), resid_response = num(resid(m)), resid_normalized = num(resid(m, type = "normalized")))
}
# control NULL: none is passed, and lmerTest's df come from its own devfun (check.rankX = "silent.drop.cols");
# any control given, lmerControl() included, is passed and used for the df too, which moves them by ~1e-9.
ref_lmer <- function(name, data, formula, REML, sql, control = NULL) {
  m <- if (is.null(control)) lmerTest::lmer(formula, data = data, REML = REML)
       else lmerTest::lmer(formula, data = data, REML = REML, control = control)
  cf <- coef(summary(m))   # Satterthwaite df from lmerTest
  fx <- lapply(seq_len(nrow(cf)), function(i) list(term = rownames(cf)[i], estimate = cf[i,1], std_error = cf[i,2], df_satterthwaite = cf[i,3], statistic = cf[i,4], p_value_satterthwaite = cf[i,5]))
  vc <- as.data.frame(VarCorr(m)); rp <- list()
  for (i in seq_len(nrow(vc))) { v <- vc[i,]
    if (v$grp == "Residual") rp[[length(rp)+1]] <- list(grp = "Residual", term = "sd__Observation", estimate = v$sdcor)
    else if (is.na(v$var2)) rp[[length(rp)+1]] <- list(grp = v$grp, term = paste0("sd__", v$var1), estimate = v$sdcor)
    else rp[[length(rp)+1]] <- list(grp = v$grp, term = paste0("cor__", v$var1, ".", v$var2), estimate = v$sdcor) }
  re <- as.data.frame(ranef(m, condVar = TRUE))
  rl <- lapply(seq_len(nrow(re)), function(i) list(grp = as.character(re$grpvar[i]), level = as.character(re$grp[i]), term = as.character(re$term[i]), estimate = re$condval[i], cond_sd = re$condsd[i]))
  list(case = name, engine = "lme4::lmer", method = if (REML) "REML" else "ML", sql = sql, nobs = nobs(m),
       ngroups = as.list(ngrps(m)), logLik = num(logLik(m)), df = attr(logLik(m), "df"), AIC = AIC(m), BIC = BIC(m),
       deviance = if (REML) NULL else deviance(m), REMLcrit = if (REML) num(REMLcrit(m)) else NULL, sigma = sigma(m),
       singular = isSingular(m), fixed = fx, ran_pars = rp, vcov = unname(as.matrix(vcov(m))), ranef = rl,
       fitted = num(fitted(m)), resid_response = num(resid(m)))
}
ref_lm <- function(name, data, formula, sql) {
  m <- lm(formula, data = data); s <- summary(m); cf <- coef(s)
  fx <- lapply(seq_len(nrow(cf)), function(i) list(term = rownames(cf)[i], estimate = cf[i,1], std_error = cf[i,2], df = m$df.residual, statistic = cf[i,3], p_value = cf[i,4]))
  list(case = name, engine = "stats::lm", method = "OLS", sql = sql, nobs = nobs(m), logLik = num(logLik(m)), df = attr(logLik(m), "df"),
       AIC = AIC(m), BIC = BIC(m), sigma = s$sigma, r_squared = s$r.squared, adj_r_squared = s$adj.r.squared,
       fstatistic = num(s$fstatistic), fixed = fx, vcov = unname(vcov(m)), fitted = num(fitted(m)), resid_response = num(resid(m)),
       hat = num(hatvalues(m)), cooks_distance = num(cooks.distance(m)), resid_standardized = num(rstandard(m)))
}
ref_gls <- function(name, data, model, method, sql, ...) {
  m <- gls(model, data = data, method = method, ...); tt <- summary(m)$tTable
  fx <- lapply(seq_len(nrow(tt)), function(i) list(term = rownames(tt)[i], estimate = tt[i,1], std_error = tt[i,2], statistic = tt[i,3], p_value = tt[i,4]))
  list(case = name, engine = "nlme::gls", method = method, sql = sql, nobs = m$dims$N, logLik = num(logLik(m)), df = attr(logLik(m), "df"),
       AIC = AIC(m), BIC = BIC(m), sigma = m$sigma, fixed = fx, vcov = unname(as.matrix(vcov(m))), modelStruct = lapply(m$modelStruct, function(s) num(coef(s, unconstrained = FALSE))),
       fitted = num(fitted(m)), resid_response = num(resid(m)), resid_normalized = num(resid(m, type = "normalized")))
}
anova_tab <- function(names, a) { col <- function(k) num(.subset2(a, k)); lr <- col("L.Ratio"); pv <- col("p-value")
  lapply(seq_along(names), function(i) list(model = names[i], df = col("df")[i], AIC = col("AIC")[i], BIC = col("BIC")[i], logLik = col("logLik")[i], L_ratio = if (length(lr)) lr[i] else NA, p_value = if (length(pv)) pv[i] else NA)) }
save <- function(x, file) writeLines(toJSON(x, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null", null = "null"), file.path(outdir, paste0(file, ".json")))
sqlspec <- function(data, formula, random = NULL, options = NULL) list(data = data, formula = formula, random = random, options = options)
# predict() on new rows: nlme at every level (NA where a group is new), lme4 without and with the random effects
# (new groups get zero), lm and gls their one prediction.
pred_lme <- function(m, newdata, table) {
  lv <- lapply(0:ncol(m$groups), function(k) num(predict(m, newdata, level = k)))
  names(lv) <- as.character(0:ncol(m$groups))
  list(data = table, levels = lv)
}
pred_lmer <- function(m, newdata, table)
  list(data = table, levels = list("0" = num(predict(m, newdata, re.form = NA)), full = num(predict(m, newdata, allow.new.levels = TRUE))))
pred_fixed <- function(m, newdata, table) list(data = table, levels = list("0" = num(predict(m, newdata))))
