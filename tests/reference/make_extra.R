# Extra reference cases for the lmm extension (supplements make_reference.R; same helpers, same JSON shape).
# Usage: Rscript make_extra.R OUTDIR
# Writes OUTDIR/<case>.json and OUTDIR/data/<table>.csv (the CSVs are byte-identical to the ones
# make_reference.R writes for the same data sets; they are written only so this script is self-contained).
# Helpers below are copied verbatim from make_reference.R.
suppressMessages({library(nlme); library(lme4); library(lmerTest); library(jsonlite)})
args <- commandArgs(TRUE); outdir <- args[1]
dir.create(file.path(outdir, "data"), showWarnings = FALSE, recursive = TRUE)
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
ref_lmer <- function(name, data, formula, REML, sql) {
  m <- lmerTest::lmer(formula, data = data, REML = REML)
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

# ---- data: prepared exactly as in make_reference.R ----
wcsv(sleepstudy, "sleepstudy"); wcsv(Pastes, "pastes"); wcsv(Penicillin, "penicillin")
O <- as.data.frame(Orthodont); wcsv(O, "orthodont")   # NB: Sex keeps R's level order (Male, Female) -> term "SexFemale", as in orthodont_*.json

# ---- cases ----
save(ref_lme("sleepstudy_nlme_ml", sleepstudy, Reaction ~ Days, ~Days|Subject, "ML",
             sqlspec("sleepstudy", "Reaction ~ Days", "Days|Subject", "method=ML")), "sleepstudy_nlme_ml")
save(ref_lmer("orthodont_lmer_ml", O, distance ~ age + Sex + (1|Subject), FALSE,
              sqlspec("orthodont", "distance ~ age + Sex + (1|Subject)", NULL, "method=ML")), "orthodont_lmer_ml")
save(ref_lmer("pastes_lme4_crossed", Pastes, strength ~ 1 + (1|batch) + (1|batch:cask), TRUE,
              sqlspec("pastes", "strength ~ 1 + (1|batch) + (1|batch:cask)")), "pastes_lme4_crossed")
save(ref_lmer("penicillin_ml", Penicillin, diameter ~ 1 + (1|plate) + (1|sample), FALSE,
              sqlspec("penicillin", "diameter ~ 1 + (1|plate) + (1|sample)", NULL, "method=ML")), "penicillin_ml")
save(ref_lm("sleepstudy_lm_quad", sleepstudy, Reaction ~ Days + I(Days^2),
            sqlspec("sleepstudy", "Reaction ~ Days + I(Days^2)")), "sleepstudy_lm_quad")
# gls needs an explicit method option: with no random part and options=null the spec means plain OLS (cf. arabidopsis_LM vs _GLM2)
save(ref_gls("orthodont_gls_reml", O, distance ~ age * Sex, "REML",
             sqlspec("orthodont", "distance ~ age * Sex", NULL, "method=REML")), "orthodont_gls_reml")
