# lme4_fit.R — the lme4 side of the benchmark: one model, fitted RUNS times on the rows that lmm saw.
#
#   Rscript bench/lme4_fit.R CSV FORMULA REML RUNS BUDGET FACTORS
#
# CSV      rows exported by the sqlite3 CLI (with a header line)
# FORMULA  the lmer formula (the same R syntax lmm_fit takes)
# REML     TRUE or FALSE
# RUNS     how many times to fit at most
# BUDGET   seconds: a further run starts only if the runs so far plus one more of their median fit in it
# FACTORS  comma-separated columns to read as factors (text columns and grouping columns)
#
# Prints "key<TAB>value" lines: read_s, base_kb (peak RSS after reading the data: what an Rscript
# that only reads the data needs), one time_s per fit (system.time elapsed), peak_kb (peak RSS
# after the fits), logLik, warnings (convergence warnings of the last fit, or "none"), singular.
suppressMessages(library(lme4))
args <- commandArgs(TRUE)
csv <- args[1]; form <- as.formula(args[2]); reml <- as.logical(args[3]); runs <- as.integer(args[4])
budget <- as.numeric(args[5])
factors <- if (length(args) >= 6 && nzchar(args[6])) strsplit(args[6], ",")[[1]] else character(0)

here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "read_rows.R"))
d <- read_rows(csv, factors)

times <- numeric(0)
for (i in seq_len(runs)) {
  if (length(times) && sum(times) + median(times) > budget) break
  warns <- character(0)
  t <- system.time(m <- withCallingHandlers(lmer(form, data = d, REML = reml),
                                            warning = function(w) {
                                              warns <<- c(warns, conditionMessage(w))
                                              invokeRestart("muffleWarning")
                                            }))[["elapsed"]]
  times <- c(times, t)
  out("time_s", t)
  ll <- as.numeric(logLik(m)); singular <- isSingular(m)
  rm(m); invisible(gc())   # so the next fit's peak does not include this model
}
out("peak_kb", hwm_kb())
out("logLik", format(ll, digits = 17))
out("warnings", if (length(warns)) gsub("[\t\n]", " ", paste(warns, collapse = "; ")) else "none")
out("singular", singular)
