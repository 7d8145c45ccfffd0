# Reference cases for how factors are leveled and coded (issue 15): relevel(), factor(x, levels = ), ordered() with
# polynomial contrasts, C(f, contr.sum / contr.helmert / contr.poly / contr.treatment, base = k) and the option
# contrasts=sum (R's options(contrasts = c("contr.sum", "contr.poly"))), in fixed and random terms, for lm, gls, lme and
# lmer fits, ML and REML, with predict() on new rows where the data have a table of them.
# Usage: Rscript make_factors.R OUTDIR [CASES]   (CASES: a regular expression limiting the cases written)
# Each case's SQL formula is R's formula text, so R's column names are the ones lmm_fit must print.  The data are
# tests/data's CSVs as read.csv reads them, text columns made factors in the C collation (R's C() and relevel() take
# factors; their levels then sort as SQLite sorts text); numeric columns stay numbers, so factor(nutrient, ...) and
# C(nutrient, ...) make factors of numbers in R as lmm_fit does.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
invisible(Sys.setlocale("LC_COLLATE", "C"))
args <- commandArgs(TRUE); outdir <- args[1]
only <- if (length(args) > 1) args[2] else ".*"
data_dir <- file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "..", "data")
rd <- function(name) {
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")))
  for (k in names(d)) if (is.character(d[[k]])) d[[k]] <- factor(d[[k]])
  d
}
sv <- function(x) { if (!grepl(only, x$case)) return(invisible()); cat(x$case, "\n"); save(x, x$case) }
# options(contrasts =) for the fits of expr: R's default again after
with_sum <- function(expr) { old <- options(contrasts = c("contr.sum", "contr.poly")); on.exit(options(old)); expr }

Wb <- rd("warpbreaks"); Wb_new <- rd("warpbreaks_new")
Wb_new$wool <- factor(Wb_new$wool, levels(Wb$wool)); Wb_new$tension <- factor(Wb_new$tension, levels(Wb$tension))
M <- rd("machines"); M$Worker <- factor(as.character(M$Worker)); M_new <- rd("machines_new")
M_new$Worker <- as.character(M_new$Worker); M_new$Machine <- factor(M_new$Machine, levels(M$Machine))
O <- rd("orthodont"); O_new <- rd("orthodont_new"); O_new$Sex <- factor(O_new$Sex, levels(O$Sex))
O_new$Subject <- as.character(O_new$Subject)
A <- rd("arabidopsis"); A$gen <- factor(A$gen)

# ---- lm ----
f <- breaks ~ wool * relevel(tension, ref = "M")
r <- ref_lm("factors_relevel_lm", Wb, f, sqlspec("warpbreaks", "breaks ~ wool * relevel(tension, ref = \"M\")"))
r$predict <- pred_fixed(lm(f, Wb), Wb_new, "warpbreaks_new"); sv(r)
# levels = drops the rows of other values (R's NA, na.omit): the rows of tension L
f <- breaks ~ wool + factor(tension, levels = c("M", "H"))
sv(ref_lm("factors_levels_drop_lm", Wb, f, sqlspec("warpbreaks", "breaks ~ wool + factor(tension, levels = c('M', 'H'))")))
f <- breaks ~ C(tension, contr.helmert) * wool
r <- ref_lm("factors_helmert_lm", Wb, f, sqlspec("warpbreaks", "breaks ~ C(tension, contr.helmert) * wool"))
r$predict <- pred_fixed(lm(f, Wb), Wb_new, "warpbreaks_new"); sv(r)
f <- breaks ~ ordered(tension, levels = c("L", "M", "H")) * wool
r <- ref_lm("factors_ordered_lm", Wb, f, sqlspec("warpbreaks", "breaks ~ ordered(tension, levels = c(\"L\", \"M\", \"H\")) * wool"))
r$predict <- pred_fixed(lm(f, Wb), Wb_new, "warpbreaks_new"); sv(r)
f <- breaks ~ C(tension, contr.treatment, base = 2) + C(wool, contr.poly)
r <- ref_lm("factors_base_lm", Wb, f, sqlspec("warpbreaks", "breaks ~ C(tension, contr.treatment, base = 2) + C(wool, contr.poly)"))
r$predict <- pred_fixed(lm(f, Wb), Wb_new, "warpbreaks_new"); sv(r)
# (log: with breaks itself, one interaction is zero to the last digit and its t statistic is rounding noise)
f <- log(breaks) ~ wool * tension
r <- with_sum(ref_lm("factors_option_sum_lm", Wb, f, sqlspec("warpbreaks", "log(breaks) ~ wool * tension", NULL, "contrasts=sum")))
r$predict <- with_sum(pred_fixed(lm(f, Wb), Wb_new, "warpbreaks_new")); sv(r)
# ordered factor of numbers (ages 8, 10, 12, 14: poly contrasts over the scores 1..4, not the ages), times a factor
f <- distance ~ ordered(age) * Sex
sv(ref_lm("factors_ordered_numbers_lm", O, f, sqlspec("orthodont", "distance ~ ordered(age) * Sex")))

# ---- gls ----
f <- log(breaks) ~ wool * tension
r <- with_sum(ref_gls("factors_option_sum_gls_ml", Wb, f, "ML", sqlspec("warpbreaks", "log(breaks) ~ wool * tension", NULL, "method=ML, contrasts=sum")))
r$predict <- with_sum(pred_fixed(gls(f, Wb, method = "ML"), Wb_new, "warpbreaks_new")); sv(r)

# ---- lme ----
# (nlme cannot evaluate C() in its formulas: lme and gls cases use relevel, ordered and contrasts=)
r <- ref_lme("factors_relevel_lme", M, score ~ relevel(Machine, "C"), ~1 | Worker, "REML",
             sqlspec("machines", "score ~ relevel(Machine, \"C\")", "~1 | Worker"))
r$predict <- pred_lme(lme(score ~ relevel(Machine, "C"), M, ~1 | Worker, method = "REML"), M_new, "machines_new"); sv(r)
r <- ref_lme("factors_ordered_lme_ml", O, distance ~ ordered(age) + relevel(Sex, "Male"), ~1 | Subject, "ML",
             sqlspec("orthodont", "distance ~ ordered(age) + relevel(Sex, 'Male')", "~1 | Subject", "method=ML"))
sv(r)
r <- with_sum(ref_lme("factors_option_sum_lme_ml", M, score ~ Machine, ~1 | Worker, "ML",
                      sqlspec("machines", "score ~ Machine", "~1 | Worker", "method=ML, contrasts=sum")))
r$predict <- with_sum(pred_lme(lme(score ~ Machine, M, ~1 | Worker, method = "ML"), M_new, "machines_new")); sv(r)

# ---- lmer ----
# a relevelled factor in the random part: one column per level, in relevel's order
f <- score ~ relevel(Machine, "B") + (0 + relevel(Machine, "B") | Worker)
r <- ref_lmer("factors_relevel_lmer_ml", M, f, FALSE, sqlspec("machines", "score ~ relevel(Machine, \"B\") + (0 + relevel(Machine, \"B\") | Worker)", NULL, "method=ML"), lmerControl())
r$predict <- pred_lmer(lmer(f, M, REML = FALSE), M_new, "machines_new"); sv(r)
# helmert contrasts in the random part: an intercept and two contrast columns per worker
f <- score ~ C(Machine, contr.helmert) + (C(Machine, contr.helmert) | Worker)
# (lme4's predict() fails on it: its new rows' columns are named by level, not by contrast)
sv(ref_lmer("factors_helmert_lmer", M, f, TRUE, sqlspec("machines", "score ~ C(Machine, contr.helmert) + (C(Machine, contr.helmert) | Worker)"), lmerControl()))
# (a random intercept only: with (age | Subject) lme4 stops 3e-6 short of the optimum in logLik)
f <- distance ~ age * relevel(Sex, "Male") + (1 | Subject)
r <- ref_lmer("factors_relevel_orthodont_lmer", O, f, TRUE, sqlspec("orthodont", "distance ~ age * relevel(Sex, \"Male\") + (1 | Subject)"), lmerControl())
r$predict <- pred_lmer(lmer(f, O), O_new, "orthodont_new"); sv(r)
f <- log(1 + total_fruits) ~ factor(nutrient, levels = c(8, 1)) * C(amd, contr.sum) + status + (1 | popu) + (1 | gen)
sv(ref_lmer("factors_arabidopsis_lmer_ml", A, f, FALSE,
            sqlspec("arabidopsis", "log(1 + total_fruits) ~ factor(nutrient, levels = c(8, 1)) * C(amd, contr.sum) + status + (1 | popu) + (1 | gen)", NULL, "method=ML"),
            lmerControl()))
f <- log(1 + total_fruits) ~ nutrient * amd + status + (1 | popu) + (1 | gen)
A$nutrient <- factor(A$nutrient)
sv(with_sum(ref_lmer("factors_arabidopsis_option_sum_lmer", A, f, TRUE,
                     sqlspec("arabidopsis", "log(1 + total_fruits) ~ factor(nutrient) * amd + status + (1 | popu) + (1 | gen)", NULL, "contrasts=sum"),
                     lmerControl())))
