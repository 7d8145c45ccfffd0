# Reference cases for the transforms whose values depend on the fitted data -- scale(), poly() (orthogonal and
# raw), splines::ns() and splines::bs() -- and for offset(), pmin/pmax and log(x, base) (issue 15): lm, gls, lme
# and lmer fits, ML and REML, on sleepstudy, orthodont, bodyweight, arabidopsis and sleep_na, most with R's
# predict() on new rows, which uses the fitted data's centre, coefficients and knots (makepredictcall), so that a
# basis recomputed from the new rows would not match.
# Usage: Rscript make_bases.R OUTDIR     (run in the C collation; reads the CSVs of ../data)
# Writes OUTDIR/bases_<case>.json.  The data are read from tests/data as load.sql loads them: text columns stay
# text (as.character), so R's levels sort as SQLite's text does.  sleep_na is fitted with its NAs in place:
# R evaluates scale(Days) and ns(Days) on every row that has Days before na.omit drops the rows whose Reaction is
# NA, and lmm_fit must do the same.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
suppressMessages(library(splines))
invisible(Sys.setlocale("LC_COLLATE", "C"))
args <- commandArgs(TRUE); outdir <- args[1]
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
rd <- function(name, text) { d <- read.csv(file.path(here, "..", "data", paste0(name, ".csv")))
  for (k in text) d[[k]] <- as.character(d[[k]]); d }
S <- rd("sleepstudy", "Subject"); S_new <- rd("sleepstudy_new", "Subject")
O <- rd("orthodont", c("Subject", "Sex")); O_new <- rd("orthodont_new", c("Subject", "Sex"))
BW <- rd("bodyweight", c("Rat", "Diet")); A <- rd("arabidopsis", c("reg", "popu", "amd", "status"))
Sn <- rd("sleep_na", "Subject")   # NAs kept: see above

sv <- function(x) { cat(x$case, "\n"); save(x, x$case) }
pred_fixed <- function(m, newdata, table) list(data = table, levels = list("0" = num(predict(m, newdata))))
pred_lme <- function(m, newdata, table) {
  lv <- lapply(0:ncol(m$groups), function(k) num(predict(m, newdata, level = k)))
  names(lv) <- as.character(0:ncol(m$groups)); list(data = table, levels = lv)
}
pred_lmer <- function(m, newdata, table)
  list(data = table, levels = list("0" = num(predict(m, newdata, re.form = NA)), full = num(predict(m, newdata, allow.new.levels = TRUE))))
# lme4 with the optimizer (of bobyqa, Nelder_Mead, nloptwrap) that reaches the highest logLik, and a note saying which
lmer_best <- function(name, data, formula, REML, sql, newdata = NULL, table = NULL) {
  opts <- c("bobyqa", "Nelder_Mead", "nloptwrap")
  ms <- lapply(opts, function(o) lmer(formula, data = data, REML = REML, control = lmerControl(optimizer = o)))
  ll <- sapply(ms, function(m) num(logLik(m))); best <- which.max(ll)
  r <- ref_lmer(name, data, formula, REML, sql, lmerControl(optimizer = opts[best]))
  r$note <- sprintf("lme4 with lmerControl(optimizer = \"%s\"), the best logLik of bobyqa %.8f, Nelder_Mead %.8f, nloptwrap %.8f",
                    opts[best], ll[1], ll[2], ll[3])
  if (!is.null(newdata)) r$predict <- pred_lmer(ms[[best]], newdata, table)
  r
}
# ---- stats::lm ----
f <- Reaction ~ poly(Days, 3)
r <- ref_lm("bases_sleepstudy_poly_lm", S, f, sqlspec("sleepstudy", "Reaction ~ poly(Days, 3)")); r$deviance <- deviance(lm(f, S))
r$predict <- pred_fixed(lm(f, S), S_new, "sleepstudy_new"); sv(r)
f <- distance ~ Sex + offset(age/2)
r <- ref_lm("bases_orthodont_offset_lm", O, f, sqlspec("orthodont", "distance ~ Sex + offset(age/2)")); r$deviance <- deviance(lm(f, O))
r$predict <- pred_fixed(lm(f, O), O_new, "orthodont_new"); sv(r)
f <- Reaction ~ pmin(Days, 5) + pmax(Days, 3) + log(Days + 1, 2) + abs(Days - 2.5)
r <- ref_lm("bases_sleepstudy_arith_lm", S, f, sqlspec("sleepstudy", "Reaction ~ pmin(Days, 5) + pmax(Days, 3) + log(Days + 1, 2) + abs(Days - 2.5)"))
r$deviance <- deviance(lm(f, S)); r$predict <- pred_fixed(lm(f, S), S_new, "sleepstudy_new"); sv(r)
# NAs: scale's centre and scale and ns's knots from the 178 rows with Days, the fit on the 174 without an NA
f <- Reaction ~ scale(Days) + I(Days^2)
r <- ref_lm("bases_sleep_na_scale_lm", Sn, f, sqlspec("sleep_na", "Reaction ~ scale(Days) + I(Days^2)"))
r$deviance <- deviance(lm(f, Sn)); r$predict <- pred_fixed(lm(f, Sn), S_new, "sleepstudy_new"); sv(r)
f <- Reaction ~ ns(Days, df = 3)
r <- ref_lm("bases_sleep_na_ns_lm", Sn, f, sqlspec("sleep_na", "Reaction ~ ns(Days, df = 3)"))
r$deviance <- deviance(lm(f, Sn)); r$predict <- pred_fixed(lm(f, Sn), S_new, "sleepstudy_new"); sv(r)

# ---- nlme::gls ----
r <- ref_gls("bases_orthodont_scale_gls_ml", O, distance ~ scale(age) * Sex, "ML",
             sqlspec("orthodont", "distance ~ scale(age) * Sex", NULL, "method=ML")); sv(r)

# ---- nlme::lme ----
m <- lme(Reaction ~ bs(Days, df = 4), data = S, random = ~1|Subject, method = "ML")
r <- ref_lme("bases_sleepstudy_bs_lme_ml", S, Reaction ~ bs(Days, df = 4), ~1|Subject, "ML",
             sqlspec("sleepstudy", "Reaction ~ bs(Days, df = 4)", "1|Subject", "method=ML"))
r$predict <- pred_lme(m, S_new, "sleepstudy_new"); sv(r)
m <- lme(distance ~ poly(age, 2, raw = TRUE) * Sex, data = O, random = ~1|Subject, method = "REML")
r <- ref_lme("bases_orthodont_raw_lme", O, distance ~ poly(age, 2, raw = TRUE) * Sex, ~1|Subject, "REML",
             sqlspec("orthodont", "distance ~ poly(age, 2, raw = TRUE) * Sex", "1|Subject", "method=REML"))
r$predict <- pred_lme(m, O_new, "orthodont_new"); sv(r)
r <- ref_lme("bases_bodyweight_ns_lme", BW, weight ~ ns(Time, df = 3) * Diet, ~1|Rat, "REML",
             sqlspec("bodyweight", "weight ~ ns(Time, df = 3) * Diet", "1|Rat", "method=REML")); sv(r)

# ---- lme4 ----
r <- lmer_best("bases_sleepstudy_ns_lmer", S, Reaction ~ ns(Days, df = 3) + (poly(Days, 2)|Subject), TRUE,
               sqlspec("sleepstudy", "Reaction ~ ns(Days, df = 3) + (poly(Days, 2)|Subject)"), S_new, "sleepstudy_new"); sv(r)
r <- lmer_best("bases_orthodont_offset_lmer_ml", O, distance ~ Sex + scale(age, scale = FALSE) + offset(age/2) + (1|Subject), FALSE,
               sqlspec("orthodont", "distance ~ Sex + scale(age, scale = FALSE) + offset(age/2) + (1|Subject)", NULL, "method=ML"),
               O_new, "orthodont_new"); sv(r)
A$rack <- factor(A$rack)   # R names its columns rack2, which tests/sql/test_reference.py reads as factor(rack)2
r <- lmer_best("bases_arabidopsis_scale_lmer_ml", A, log(1 + total_fruits) ~ scale(nutrient) * amd + rack + status + (1|popu) + (1|popu:gen), FALSE,
               sqlspec("arabidopsis", "log(1 + total_fruits) ~ scale(nutrient) * amd + factor(rack) + status + (1|popu) + (1|popu:gen)", NULL, "method=ML")); sv(r)
