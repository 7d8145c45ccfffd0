# Reference values for the parametric bootstrap (issue 17): lme4's bootMer, the sd (and mean) of each estimate,
# and pbkrtest's PBmodcomp of two nested models.  A bootstrap's numbers depend on its random draws, which lmm
# does not share with R, so the test compares distributions: each bootstrap sd within 5 %, the LRT statistic
# exactly, the p-value within sampling error.  An sd over 1,000 refits is itself uncertain by about 2.2 %
# (more for a correlation), so two of them can differ by 5 % by chance: bootMer runs 4,000 refits here.
# Usage: Rscript make_bootstrap.R OUTDIR [CASE...]   (OUTDIR: tests/reference/bootstrap, which test_bootstrap.py
# reads; its JSON is not lmm_fit's rows, so not in tests/reference itself; about 45 minutes)
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
args <- commandArgs(TRUE); outdir <- args[1]
csv <- function(name) read.csv(file.path(here, "..", "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
library(pbkrtest)

# The estimates in lmm_tidy's order: fixed effects, then per grouping its sds and correlations, then sigma.
estimates <- function(m) {
  vc <- as.data.frame(VarCorr(m), order = "lower.tri")
  vc <- vc[vc$grp != "Residual", ]
  ran <- unlist(lapply(unique(vc$grp), function(g) { v <- vc[vc$grp == g, ]; c(v$sdcor[is.na(v$var2)], v$sdcor[!is.na(v$var2)]) }))
  c(fixef(m), ran, sigma(m))
}
labels <- function(m) {
  vc <- as.data.frame(VarCorr(m), order = "lower.tri")
  vc <- vc[vc$grp != "Residual", ]
  ran <- do.call(rbind, lapply(unique(vc$grp), function(g) {
    v <- vc[vc$grp == g, ]; s <- v[is.na(v$var2), ]; k <- v[!is.na(v$var2), ]
    rbind(data.frame(effect = "ran_pars", grp = g, kind = rep("sd", nrow(s))),
          data.frame(effect = rep("ran_pars", nrow(k)), grp = rep(g, nrow(k)), kind = rep("cor", nrow(k))))
  }))
  rbind(data.frame(effect = "fixed", grp = NA, kind = rep("fixed", length(fixef(m)))), ran,
        data.frame(effect = "ran_pars", grp = "Residual", kind = "sd"))
}
boot_case <- function(name, m, sql, nsim = 4000) {
  t0 <- proc.time()[["elapsed"]]
  b <- bootMer(m, estimates, nsim = nsim, seed = 1)
  secs <- proc.time()[["elapsed"]] - t0
  l <- labels(m)
  ok <- !is.na(b$t)   # per estimate: a correlation is NaN where a refit puts an sd at zero
  save(list(case = name, engine = "lme4::bootMer", nsim = nsim, seed = 1, sql = sql, seconds = secs,
            nfailed = sum(apply(is.na(b$t), 1, all)), nmissing = num(colSums(!ok)), estimate = num(b$t0),
            params = lapply(seq_len(nrow(l)), function(k) list(effect = l$effect[k], grp = l$grp[k], kind = l$kind[k],
                                                                estimate = num(b$t0[k]), boot_mean = mean(b$t[ok[, k], k]),
                                                                boot_sd = sd(b$t[ok[, k], k])))),
       name)
}

cases <- args[-1]
want <- function(name) length(cases) == 0 || name %in% cases
S <- csv("sleepstudy"); S$Subject <- as.character(S$Subject)
if (want("sleepstudy")) boot_case("sleepstudy", lmer(Reaction ~ Days + (Days|Subject), S),
          sqlspec("sleepstudy", "Reaction ~ Days + (Days|Subject)"))
A <- csv("arabidopsis")
A[, c("gen", "rack", "nutrient")] <- lapply(A[, c("gen", "rack", "nutrient")], factor); A$y <- log(1 + A$total_fruits)
if (want("arabidopsis_lmm6.2")) boot_case("arabidopsis_lmm6.2", lmer(y ~ rack + nutrient + amd + status + (nutrient|popu) + (nutrient|popu:gen), A, REML = FALSE),
          sqlspec("arabidopsis", "log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status + (factor(nutrient)|popu) + (factor(nutrient)|popu:gen)",
                  NULL, "method=ML"))

# PBmodcomp: is the correlation of sleepstudy's random intercepts and slopes needed?  (A moderate p, so that
# a p-value is compared, not two floors at 1 / (1 + nsim).)
pb_case <- function(name, large, small, sql_large, sql_small, nsim = 1000) {
  t0 <- proc.time()[["elapsed"]]
  ref <- PBrefdist(large, small, nsim = nsim, seed = 1)
  secs <- proc.time()[["elapsed"]] - t0
  pb <- PBmodcomp(large, small, ref = ref)
  save(list(case = name, engine = "pbkrtest::PBmodcomp", nsim = nsim, seed = 1, seconds = secs,
            large = sql_large, small = sql_small, LRT = num(pb$test["LRT", "stat"]), df = num(pb$test["LRT", "df"]),
            p_chisq = num(pb$test["LRT", "p.value"]), p_boot = num(pb$test["PBtest", "p.value"]),
            npos = num(pb$samples[["npos"]]), ref_mean = mean(ref[ref > 0]), ref_sd = sd(ref[ref > 0])),
       name)
}
if (want("pb_sleepstudy_cor")) pb_case("pb_sleepstudy_cor", lmer(Reaction ~ Days + (Days|Subject), S, REML = FALSE),
        lmer(Reaction ~ Days + (1|Subject) + (0 + Days|Subject), S, REML = FALSE),
        sqlspec("sleepstudy", "Reaction ~ Days + (Days|Subject)", NULL, "method=ML"),
        sqlspec("sleepstudy", "Reaction ~ Days + (1|Subject) + (0 + Days|Subject)", NULL, "method=ML"))
