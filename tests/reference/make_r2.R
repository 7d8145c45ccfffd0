# make_r2.R — reference cases for the fit rows r2_marginal and r2_conditional: Nakagawa & Schielzeth's R²
# as performance::r2_nakagawa reports it (performance 0.10.2, Debian's r-cran-performance; random slopes by
# Johnson 2014's mean of diag(Z Sigma Z')), beside the usual members of each case (helpers.R's ref_lme and
# ref_lmer).  Run as `Rscript make_r2.R OUTDIR` (same R, lme4, nlme and lmerTest versions as README.md
# says); it reads the CSVs of ../data and Arabidopsis from lme4, prepared as make_reference.R prepares it,
# and writes the five r2_*.json.  performance returns NA for a fit it finds singular (lmm6.2's correlations
# sit at +-1) unless its tolerance is lowered: every case is computed with tolerance = 0, which changes
# nothing for the others.  For nlme's nested groupings (random = ~ 1 | batch/cask) performance is wrong:
# insight 0.19's get_variance() adds the levels' standard deviations (1.29 + 2.90 for Pastes) where their
# variances belong (its lme4 fit of the same model adds the variances: 0.937 against 0.861), so that case's
# R² are the formula's by hand from nlme's fit (by_hand(), which agrees with performance to 2e-8 on an
# nlme fit of one grouping, Orthodont's random intercepts).
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
suppressMessages(library(performance))
args <- commandArgs(TRUE); outdir <- args[1]
rd <- function(f) { d <- read.csv(file.path("..", "data", f)); for (v in names(d)) if (is.character(d[[v]])) d[[v]] <- factor(d[[v]]); d }
with_r2 <- function(case, m) {
  r2 <- r2_nakagawa(m, tolerance = 0)
  case$r2_marginal <- num(r2$R2_marginal); case$r2_conditional <- num(r2$R2_conditional)
  case$note <- "r2_marginal and r2_conditional: performance::r2_nakagawa(m, tolerance = 0), performance 0.10.2"
  case
}
by_hand <- function(case, m) {   # an nlme fit of random intercepts: var(X beta), the levels' variances, sigma^2
  vf <- var(as.vector(model.matrix(formula(m), getData(m)) %*% fixef(m)))
  vc <- VarCorr(m); vr <- sum(as.numeric(vc[rownames(vc) == "(Intercept)", "Variance"])); s2 <- sigma(m)^2
  case$r2_marginal <- vf / (vf + vr + s2); case$r2_conditional <- (vf + vr) / (vf + vr + s2)
  case$note <- paste("r2_marginal and r2_conditional by the formula from nlme's fit (make_r2.R says why);",
                     "performance 0.10.2 gives", num(r2_nakagawa(m, tolerance = 0)$R2_conditional), "for r2_conditional")
  case
}
sleep <- rd("sleepstudy.csv"); orth <- rd("orthodont.csv"); pastes <- rd("pastes.csv")
data(Arabidopsis); A <- Arabidopsis
A[,c("gen","rack","nutrient")] <- lapply(A[,c("gen","rack","nutrient")], factor); A$y <- log(1 + A$total.fruits)
fs <- "log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status"

m <- lmer(Reaction ~ Days + (Days | Subject), sleep)
save(with_r2(ref_lmer("r2_sleepstudy", sleep, Reaction ~ Days + (Days | Subject), TRUE,
                      sqlspec("sleepstudy", "Reaction ~ Days + (Days|Subject)")), m), "r2_sleepstudy")
m <- lmer(Reaction ~ Days + (1 | Subject), sleep, REML = FALSE)
save(with_r2(ref_lmer("r2_sleepstudy_intercept_ml", sleep, Reaction ~ Days + (1 | Subject), FALSE,
                      sqlspec("sleepstudy", "Reaction ~ Days + (1|Subject)", NULL, "method=ML")), m), "r2_sleepstudy_intercept_ml")
f62 <- y ~ rack + nutrient + amd + status + (nutrient | popu) + (nutrient | popu:gen)
m <- lmer(f62, A, REML = FALSE)
save(with_r2(ref_lmer("r2_arabidopsis_lmm6.2", A, f62, FALSE,
                      sqlspec("arabidopsis", paste(fs, "+ (factor(nutrient)|popu) + (factor(nutrient)|popu:gen)"), NULL, "method=ML")), m),
     "r2_arabidopsis_lmm6.2")
m <- lme(strength ~ 1, random = ~ 1 | batch/cask, data = pastes)
save(by_hand(ref_lme("r2_pastes_nested", pastes, strength ~ 1, ~ 1 | batch/cask, "REML",
                     sqlspec("pastes", "strength ~ 1", "1|batch/cask")), m), "r2_pastes_nested")
m <- lme(distance ~ age + Sex, random = ~ 1 | Subject, data = orth)   # by_hand checked against performance
stopifnot(all.equal(unlist(by_hand(list(), m)[1:2]), unlist(with_r2(list(), m)[1:2]), tolerance = 1e-6))
m <- lme(distance ~ age * Sex, random = ~ age | Subject, data = orth, method = "ML")
save(with_r2(ref_lme("r2_orthodont_slopes_ml", orth, distance ~ age * Sex, ~ age | Subject, "ML",
                     sqlspec("orthodont", "distance ~ age * Sex", "age|Subject", "method=ML")), m), "r2_orthodont_slopes_ml")
