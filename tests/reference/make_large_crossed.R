# make_large_crossed.R -- tests/data/large_crossed.csv: crossed random effects with enough levels in every term,
# and rows in each (400 schools and 400 raters, 40 rows each), that lmm_fit takes Newton steps from its moment
# start instead of BOBYQA (fit.c's newton_first), so that make_optimum.R's true optimum holds that path to 1e-7.
# The bench's model at 16,000 rows: y ~ x + trt + (1 + x | school) + (1 | rater).
# Run as `Rscript make_large_crossed.R` from tests/reference.
set.seed(20261203)
n <- 16000; schools <- 400; raters <- 400
school <- sample(rep(seq_len(schools), length.out = n))
rater <- sample(seq_len(raters), n, replace = TRUE)
x <- round(rnorm(n), 4)
trt <- sample(c("a", "b"), n, replace = TRUE)
b0 <- rnorm(schools, sd = 1); b1 <- rnorm(schools, sd = 0.3); c0 <- rnorm(raters, sd = 0.5)
y <- round(1 + 0.5 * x + 0.3 * (trt == "b") + b0[school] + b1[school] * x + c0[rater] + rnorm(n), 4)
d <- data.frame(y = y, x = x, trt = trt, school = sprintf("s%03d", school), rater = sprintf("r%03d", rater))
write.csv(d, file.path("..", "data", "large_crossed.csv"), row.names = FALSE, quote = TRUE)
