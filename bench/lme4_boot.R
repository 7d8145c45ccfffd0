# lme4_boot.R — the lme4 side of the bootstrap bench: bootMer(m, FUN, nsim) of one model, RUNS times.
#
#   Rscript bench/lme4_boot.R MODEL NSIM RUNS      MODEL: sleepstudy or lmm6.2
#
# FUN returns what lmm_bootstrap returns per replicate: fixed effects, sds and correlations, sigma.
# Prints "time_s<TAB>seconds" per run (system.time elapsed of bootMer alone).
suppressMessages(library(lme4))
args <- commandArgs(TRUE)
model <- args[1]; nsim <- as.integer(args[2]); runs <- as.integer(args[3])
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
csv <- function(name) read.csv(file.path(here, "..", "tests", "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
if (model == "sleepstudy") {
  S <- csv("sleepstudy"); S$Subject <- as.character(S$Subject)
  m <- lmer(Reaction ~ Days + (Days|Subject), S)
} else {
  A <- csv("arabidopsis")
  A[, c("gen", "rack", "nutrient")] <- lapply(A[, c("gen", "rack", "nutrient")], factor); A$y <- log(1 + A$total_fruits)
  m <- lmer(y ~ rack + nutrient + amd + status + (nutrient|popu) + (nutrient|popu:gen), A, REML = FALSE)
}
FUN <- function(x) c(fixef(x), as.data.frame(VarCorr(x))$sdcor)
for (r in seq_len(runs)) {
  t <- system.time(suppressWarnings(suppressMessages(bootMer(m, FUN, nsim = nsim, seed = r))))[["elapsed"]]
  cat("time_s\t", t, "\n", sep = ""); flush(stdout())
}
