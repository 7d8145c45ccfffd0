# Reference cases for Satterthwaite's denominator df (issue 17): lmerTest's summary() of lme4 fits, each fitted
# with bobyqa at rhoend 1e-12 so the optimum (and so the df, which move with theta) is R's to about 1e-9 rather
# than the default optimizer's 1e-5; lmerTest computes its df with the same control.
# Usage: Rscript make_satterthwaite.R OUTDIR   (run from anywhere; reads the CSVs in ../data as load.sql loads them)
# The helpers (ref_lmer, save, sqlspec) are helpers.R's, as every make_*.R script's.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
args <- commandArgs(TRUE); outdir <- args[1]
csv <- function(name) read.csv(file.path(here, "..", "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
tight <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e6))
case <- function(name, data, formula, REML, sql) {
  r <- ref_lmer(name, data, formula, REML, sql, control = tight)
  r$note <- "lmerTest 3.1 summary() df and p-values, lme4 fitted with lmerControl(optimizer = 'bobyqa', optCtrl = list(rhoend = 1e-12, maxfun = 1e6))"
  save(r, name)
}

S <- csv("sleepstudy"); S$Subject <- as.character(S$Subject)
case("satt_sleepstudy_reml", S, Reaction ~ Days + (Days|Subject), TRUE,
     sqlspec("sleepstudy", "Reaction ~ Days + (Days|Subject)", NULL, "df=satterthwaite"))
case("satt_sleepstudy_ml", S, Reaction ~ Days + (Days|Subject), FALSE,
     sqlspec("sleepstudy", "Reaction ~ Days + (Days|Subject)", NULL, "method=ML"))
P <- csv("penicillin")
case("satt_penicillin", P, diameter ~ 1 + (1|plate) + (1|sample), TRUE,
     sqlspec("penicillin", "diameter ~ 1 + (1|plate) + (1|sample)"))
Pa <- csv("pastes")
case("satt_pastes_nested", Pa, strength ~ 1 + (1|batch/cask), TRUE, sqlspec("pastes", "strength ~ 1 + (1|batch/cask)"))
M <- csv("machines"); M$Worker <- as.character(M$Worker)
case("satt_machines", M, score ~ Machine + (1|Worker) + (1|Worker:Machine), TRUE,
     sqlspec("machines", "score ~ Machine + (1|Worker) + (1|Worker:Machine)"))
case("satt_machines_slopes_ml", M, score ~ Machine + (Machine|Worker), FALSE,
     sqlspec("machines", "score ~ Machine + (Machine|Worker)", NULL, "method=ML"))
# singular: a variance at zero (Dyestuff2) and perfectly correlated random slopes (Arabidopsis lmm6.2 in lme4's notation)
D2 <- csv("dyestuff2")
case("satt_dyestuff2_singular", D2, Yield ~ 1 + (1|Batch), TRUE, sqlspec("dyestuff2", "Yield ~ 1 + (1|Batch)"))
A <- csv("arabidopsis")
A[, c("gen", "rack", "nutrient")] <- lapply(A[, c("gen", "rack", "nutrient")], factor); A$y <- log(1 + A$total_fruits)
case("satt_arabidopsis_lmm6.2", A, y ~ rack + nutrient + amd + status + (nutrient|popu) + (nutrient|popu:gen), FALSE,
     sqlspec("arabidopsis", "log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status + (factor(nutrient)|popu) + (factor(nutrient)|popu:gen)",
             NULL, "method=ML"))
