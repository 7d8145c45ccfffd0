# read_rows.R — what bench/lme4_fit.R and bench/nlme_fit.R share: their "key<TAB>value" output, the peak memory,
# and the rows read from the CSV lmm saw (text and grouping columns as factors), timed, with the baseline memory.
hwm_kb <- function() {   # peak resident set of this process so far (Linux)
  st <- readLines("/proc/self/status")
  as.numeric(sub("^VmHWM:\\s*(\\d+).*$", "\\1", grep("^VmHWM:", st, value = TRUE)))
}
out <- function(key, value) { cat(key, "\t", value, "\n", sep = ""); flush(stdout()) }

read_rows <- function(csv, factors) {
  t_read <- system.time({
    if (requireNamespace("data.table", quietly = TRUE)) {
      d <- as.data.frame(data.table::fread(csv, colClasses = list(character = factors), showProgress = FALSE))
    } else {
      header <- names(read.csv(csv, nrows = 1))
      d <- read.csv(csv, colClasses = ifelse(header %in% factors, "character", NA))
    }
    for (f in factors) d[[f]] <- factor(d[[f]])
  })[["elapsed"]]
  invisible(gc())
  out("read_s", t_read)
  out("base_kb", hwm_kb())
  d
}
