# The anova tables of the Arabidopsis tutorial where nlme stops short of the
# optimum (the random-slope models), recomputed from the best-known
# log-likelihoods (the lme4 fits in arabidopsis_*_lme4.json) with nlme's rules:
# consecutive models, L.Ratio = 2 |logLik difference|, chi-square on the
# difference in parameter counts.  Usage: Rscript make_anova_best.R (in tests/reference)
suppressMessages(library(jsonlite))
ll <- function(f) fromJSON(f)$logLik
nlme <- function(f) { x <- fromJSON(f); c(logLik = x$logLik, df = x$df) }
best <- list(
  lmm6 = nlme("arabidopsis_lmm6.json"), lmm7 = nlme("arabidopsis_lmm7.json"),
  lmm6.2 = c(logLik = ll("arabidopsis_lmm6.2_lme4.json"), df = 13),
  lmm7.2 = c(logLik = ll("arabidopsis_lmm7.2_lme4.json"), df = 16),
  lmm8 = c(logLik = ll("arabidopsis_lmm8_lme4.json"), df = 14))
N <- 625
tab <- function(models) {
  rows <- list(); prev <- NULL
  for (m in models) { b <- best[[m]]
    r <- list(model = m, df = unname(b["df"]), logLik = unname(b["logLik"]),
              AIC = unname(-2 * b["logLik"] + 2 * b["df"]), BIC = unname(-2 * b["logLik"] + log(N) * b["df"]),
              L_ratio = NA, p_value = NA)
    if (!is.null(prev) && prev["df"] != b["df"]) {
      r$L_ratio <- unname(2 * abs(b["logLik"] - prev["logLik"]))
      r$p_value <- pchisq(r$L_ratio, abs(unname(b["df"] - prev["df"])), lower.tail = FALSE) }
    rows[[length(rows) + 1]] <- r; prev <- b }
  rows }
out <- list(random_slopes = tab(c("lmm6", "lmm6.2", "lmm7", "lmm7.2")),
            slopes_head_to_head = tab(c("lmm6.2", "lmm7.2")),
            interaction = tab(c("lmm8", "lmm6.2")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"), "arabidopsis_anova_best.json")
