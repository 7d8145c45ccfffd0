# nlme_fit.R — the nlme side of the structured benchmark rows (bench/structures.py): one model, fitted RUNS times
# on the rows that lmm saw.
#
#   Rscript bench/nlme_fit.R CSV FIXED RANDOM CORRELATION WEIGHTS REML RUNS BUDGET FACTORS
#
# CSV          rows exported by the sqlite3 CLI (with a header line)
# FIXED        the fixed-effects formula, as lmm_fit takes it
# RANDOM       lme's random formula without its tilde ("1 | subject"), or "" for gls
# CORRELATION  nlme's correlation= call as lmm_fit's option takes it, or ""
# WEIGHTS      nlme's weights= call, or ""
# REML         TRUE or FALSE
# RUNS, BUDGET as lme4_fit.R: at most RUNS fits, a further one only if the runs so far plus their median fit BUDGET s
# FACTORS      comma-separated columns to read as factors
#
# Prints "key<TAB>value" lines as lme4_fit.R does: read_s, base_kb, one time_s per fit, peak_kb, logLik, warnings.
suppressMessages(library(nlme))
args <- commandArgs(TRUE)
csv <- args[1]; fixed <- as.formula(args[2]); random <- args[3]; correlation <- args[4]; weights <- args[5]
reml <- as.logical(args[6]); runs <- as.integer(args[7]); budget <- as.numeric(args[8])
factors <- if (length(args) >= 9 && nzchar(args[9])) strsplit(args[9], ",")[[1]] else character(0)

here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "read_rows.R"))
d <- read_rows(csv, factors)

call_of <- function() {
  method <- if (reml) "REML" else "ML"
  cl <- if (nzchar(random)) call("lme", fixed, data = quote(d), random = as.formula(paste("~", random)), method = method)
        else call("gls", fixed, data = quote(d), method = method)
  if (nzchar(correlation)) cl$correlation <- str2lang(correlation)
  if (nzchar(weights)) cl$weights <- str2lang(weights)
  cl
}
cl <- call_of()
times <- numeric(0)
warns <- character(0)
for (i in seq_len(runs)) {
  if (length(times) && sum(times) + median(times) > budget) break
  warns <- character(0)
  t <- system.time(m <- withCallingHandlers(eval(cl), warning = function(w) {
    warns <<- c(warns, conditionMessage(w))
    invokeRestart("muffleWarning")
  }))[["elapsed"]]
  times <- c(times, t)
  out("time_s", t)
  ll <- as.numeric(logLik(m))
  rm(m); invisible(gc())
}
out("peak_kb", hwm_kb())
out("logLik", format(ll, digits = 17))
out("warnings", if (length(warns)) gsub("[\t\n]", " ", paste(warns, collapse = "; ")) else "none")
