# Reference cases for Kenward-Roger's df and adjusted covariance (issue 17): lmerTest's summary(ddf =
# "Kenward-Roger") of lme4 REML fits (its t tests' df, p-values and standard errors, the latter from pbkrtest's
# adjusted covariance vcovAdj, stored as `vcov`), and pbkrtest's KRmodcomp F tests of nested pairs.  Each model is
# fitted with bobyqa at rhoend 1e-12, so the optimum (and so the df, which move with theta) is R's to about 1e-9.
# Usage: Rscript make_kenward_roger.R OUTDIR   (reads the CSVs in ../data as load.sql loads them)
# The helpers (ref_lmer, save, sqlspec) are helpers.R's.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
args <- commandArgs(TRUE); outdir <- args[1]
csv <- function(name) read.csv(file.path(here, "..", "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
tight <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e6))
case <- function(name, data, formula, sql) {
  r <- ref_lmer(name, data, formula, TRUE, sql, control = tight)
  m <- lmerTest::lmer(formula, data = data, REML = TRUE, control = tight)
  cf <- coef(summary(m, ddf = "Kenward-Roger"))
  r$fixed <- lapply(seq_len(nrow(cf)), function(i) list(term = rownames(cf)[i], estimate = cf[i, 1],
    std_error = cf[i, 2], df_kenward_roger = cf[i, 3], statistic = cf[i, 4], p_value_kenward_roger = cf[i, 5]))
  r$vcov <- unname(as.matrix(pbkrtest::vcovAdj(m)))
  r$vcov_unadjusted <- unname(as.matrix(vcov(m)))
  r$note <- paste("lmerTest 3.1 summary(ddf = 'Kenward-Roger') (pbkrtest", packageVersion("pbkrtest"), "vcovAdj as vcov),",
                  "lme4 fitted with lmerControl(optimizer = 'bobyqa', optCtrl = list(rhoend = 1e-12, maxfun = 1e6))")
  save(r, name)
}

S <- csv("sleepstudy"); S$Subject <- as.character(S$Subject)
case("kr_sleepstudy", S, Reaction ~ Days + (Days|Subject),
     sqlspec("sleepstudy", "Reaction ~ Days + (Days|Subject)", NULL, "df=kenward-roger"))
# the same model as nlme's call: the random part as lme's argument
case("kr_sleepstudy_nlme", S, Reaction ~ Days + (Days|Subject),
     sqlspec("sleepstudy", "Reaction ~ Days", "~ Days | Subject", "df=kenward-roger"))
P <- csv("penicillin")
case("kr_penicillin", P, diameter ~ 1 + (1|plate) + (1|sample),
     sqlspec("penicillin", "diameter ~ 1 + (1|plate) + (1|sample)", NULL, "df=kenward-roger"))
M <- csv("machines"); M$Worker <- as.character(M$Worker)
case("kr_machines", M, score ~ Machine + (1|Worker) + (1|Worker:Machine),
     sqlspec("machines", "score ~ Machine + (1|Worker) + (1|Worker:Machine)", NULL, "df=kenward-roger"))
# two terms of one grouping factor, and three crossed factors two of them with slopes
case("kr_sleepstudy_uncorr", S, Reaction ~ Days + (Days||Subject),
     sqlspec("sleepstudy", "Reaction ~ Days + (Days||Subject)", NULL, "df=kenward-roger"))
Cr <- csv("crossed")
case("kr_crossed_slopes", Cr, y ~ x + (x|a) + (x|b) + (1|c),
     sqlspec("crossed", "y ~ x + (x|a) + (x|b) + (1|c)", NULL, "df=kenward-roger"))
A <- csv("arabidopsis")
A[, c("gen", "rack", "nutrient")] <- lapply(A[, c("gen", "rack", "nutrient")], factor); A$y <- log(1 + A$total_fruits)
case("kr_arabidopsis_lmm6.2", A, y ~ rack + nutrient + amd + status + (nutrient|popu) + (nutrient|popu:gen),
     sqlspec("arabidopsis", "log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status + (factor(nutrient)|popu) + (factor(nutrient)|popu:gen)",
             NULL, "df=kenward-roger"))

# KRmodcomp of nested pairs on data the C unit test (tests/unit/test_kenward_roger.c) makes the same way:
# 48 rows, 8 groups g of 6, x = i %% 6, f = a, b, c in turn.
i <- 0:47
U <- data.frame(g = sprintf("g%d", i %/% 6), f = letters[i %% 3 + 1], x = i %% 6)
U$y <- 1 + 0.5 * U$x + 0.7 * (i %% 3) + ((i %/% 6) %% 3 - 1) * 1.1 + 0.2 * U$x * ((i %/% 6) %% 4 - 1.5) + ((i * 37) %% 11) / 10
mU <- lmer(y ~ x + f + (x|g), data = U, REML = TRUE, control = tight)
ft <- function(L) { k <- pbkrtest::KRmodcomp(mU, L)$test
  list(L = unname(L), F = k["Ftest", "stat"], ndf = k["Ftest", "ndf"], ddf = k["Ftest", "ddf"],
       scale = k["Ftest", "F.scaling"], p_value = k["Ftest", "p.value"]) }
Lf <- rbind(c(0, 0, 1, 0), c(0, 0, 0, 1))            # y ~ x + f against y ~ x
Lxf <- rbind(c(0, 1, 0, 0), Lf)                      # against y ~ 1
out <- list(note = "pbkrtest KRmodcomp(m, L) of lmer(y ~ x + f + (x|g), REML, bobyqa rhoend 1e-12) on the unit test's data",
            theta = getME(mU, "theta"), sigma = sigma(mU), beta = unname(fixef(mU)),
            vcov_adjusted = unname(as.matrix(pbkrtest::vcovAdj(mU))),
            df_kenward_roger = unname(coef(summary(as(mU, "lmerModLmerTest"), ddf = "Kenward-Roger"))[, 3]),
            f = ft(Lf), xf = ft(Lxf))
save(out, "kr_modcomp")
