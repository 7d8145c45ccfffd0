# More reference cases for the lmm extension (supplements make_reference.R / make_extra.R; same JSON shape).
# Usage: Rscript make_more.R OUTDIR
# Writes OUTDIR/<case>.json and OUTDIR/data/orthodont_chr.csv (copy that CSV to tests/data/).
#  * arabidopsis_lmm7.2_lme4, arabidopsis_lmm8_lme4: lme4 ML fits of the random-slope models lmm7.2 and lmm8 (crossed-bar
#    notation), where nlme (arabidopsis_lmm7.2.json, arabidopsis_lmm8.json) stops short of the optimum. Each is fitted with
#    lmerControl(optimizer = "bobyqa") and with the default lmerControl(); the fit with the higher logLik is kept and the
#    JSON's "note" says which optimizer won.
#  * orthodont_chr_{reml,ml,lm}: Orthodont with Sex and Subject as character, so R's factor levels sort alphabetically
#    (Female first, as SQLite text does) instead of R's Orthodont order (Male, Female).
# Helpers below are copied verbatim from make_reference.R, except that ref_lmer gains a `control` argument
# (default lmerControl(), i.e. identical behaviour when it is not given).
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
ref_lmer <- function(name, data, formula, REML, sql, control = lmerControl()) {
  m <- lmerTest::lmer(formula, data = data, REML = REML, control = control)
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
save <- function(x, file) writeLines(toJSON(x, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null", null = "null"), file.path(outdir, paste0(file, ".json")))
sqlspec <- function(data, formula, random = NULL, options = NULL) list(data = data, formula = formula, random = random, options = options)

# Fit an lmer model with the bobyqa optimizer and with the default one, print both logLiks and keep the better fit.
best_lmer <- function(name, data, formula, REML, sql) {
  fits <- list(bobyqa = ref_lmer(name, data, formula, REML, sql, lmerControl(optimizer = "bobyqa")),
               default = ref_lmer(name, data, formula, REML, sql, lmerControl()))
  ll <- sapply(fits, `[[`, "logLik")
  cat(sprintf("%s: logLik bobyqa = %.8f, default (%s) = %.8f\n", name, ll[["bobyqa"]],
              paste(lmerControl()$optimizer, collapse = "+"), ll[["default"]]))
  win <- if (ll[["bobyqa"]] > ll[["default"]]) "bobyqa" else "default"
  res <- fits[[win]]
  res$note <- sprintf(paste0("lme4 ML fit; nlme stops short of this optimum. Fitted with lmerControl(optimizer = \"bobyqa\") ",
                             "(logLik %.8f) and the default lmerControl() [%s] (logLik %.8f); kept the higher: %s."),
                      ll[["bobyqa"]], paste(lmerControl()$optimizer, collapse = "+"), ll[["default"]],
                      if (win == "bobyqa") "bobyqa" else "default optimizer")
  d_fix <- max(abs(sapply(fits$bobyqa$fixed, `[[`, "estimate") - sapply(fits$default$fixed, `[[`, "estimate")))
  d_rp <- max(abs(sapply(fits$bobyqa$ran_pars, `[[`, "estimate") - sapply(fits$default$ran_pars, `[[`, "estimate")))
  res$note <- paste0(res$note, sprintf(paste0(" Between the two fits: |logLik difference| %.2g, max |fixed-effect difference| %.2g, ",
                                              "max |ran_pars difference| %.2g (singular fit: %s)."),
                                       abs(ll[["bobyqa"]] - ll[["default"]]), d_fix, d_rp, res$singular))
  cat(sprintf("%s: kept %s\n", name, win))
  res
}

# ---- Arabidopsis: prepared exactly as in make_reference.R ----
data(Arabidopsis); A <- Arabidopsis
A[,c("gen","rack","nutrient")] <- lapply(A[,c("gen","rack","nutrient")], factor); A$y <- log(1 + A$total.fruits)
fs <- "log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status"
save(best_lmer("lmm7.2_lme4", A, y ~ rack + nutrient + amd + status + (nutrient|reg) + (nutrient|reg:popu) + (nutrient|reg:popu:gen), FALSE,
               sqlspec("arabidopsis", paste(fs, "+ (factor(nutrient)|reg) + (factor(nutrient)|reg:popu) + (factor(nutrient)|reg:popu:gen)"), NULL, "method=ML")),
     "arabidopsis_lmm7.2_lme4")
save(best_lmer("lmm8_lme4", A, y ~ rack + nutrient + amd + status + nutrient:amd + (nutrient|popu) + (nutrient|popu:gen), FALSE,
               sqlspec("arabidopsis", paste(fs, "+ factor(nutrient):amd + (factor(nutrient)|popu) + (factor(nutrient)|popu:gen)"), NULL, "method=ML")),
     "arabidopsis_lmm8_lme4")

# ---- Orthodont with character Sex/Subject: levels sort alphabetically (Female, Male), as SQLite text does ----
Oc <- as.data.frame(Orthodont); Oc$Sex <- as.character(Oc$Sex); Oc$Subject <- as.character(Oc$Subject); wcsv(Oc, "orthodont_chr")
save(ref_lme("orthodont_chr_reml", Oc, distance ~ age * Sex, ~age|Subject, "REML",
             sqlspec("orthodont_chr", "distance ~ age * Sex", "age|Subject")), "orthodont_chr_reml")
save(ref_lme("orthodont_chr_ml", Oc, distance ~ age * Sex, ~age|Subject, "ML",
             sqlspec("orthodont_chr", "distance ~ age * Sex", "age|Subject", "method=ML")), "orthodont_chr_ml")
save(ref_lm("orthodont_chr_lm", Oc, distance ~ age * Sex + I(age^2),
            sqlspec("orthodont_chr", "distance ~ age * Sex + I(age^2)")), "orthodont_chr_lm")
for (nm in c("orthodont_chr_reml", "orthodont_chr_ml", "orthodont_chr_lm"))
  cat(sprintf("%s: logLik = %.8f\n", nm, fromJSON(file.path(outdir, paste0(nm, ".json")))$logLik))
