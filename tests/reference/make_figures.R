# Reference values for the figures (tests/sql/test_figures.py, tests/unit/test_pretty.c): R's hist() breaks
# and counts, the ticks R's axis() draws on a plot of the same range (axTicks after plot.window, which widens
# the range by 4% as a plot does), pretty() itself, and lowess().
# Usage: Rscript make_figures.R OUTDIR   (writes OUTDIR/figures.json and OUTDIR/../unit/pretty_ref.h)
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
args <- commandArgs(TRUE); outdir <- args[1]
pdf(NULL)
ticks <- function(lo, hi) { plot.new(); plot.window(c(lo, hi), c(0, 1)); axTicks(1) }

A <- read.csv(file.path(outdir, "..", "data", "arabidopsis.csv"))
A$y <- log(1 + A$total_fruits)
hist_case <- function(name, x, sql = NULL) {
  h <- hist(x, plot = FALSE)
  c(list(name = name, breaks = h$breaks, counts = h$counts,
         xticks = ticks(min(h$breaks), max(h$breaks)), yticks = ticks(0, max(h$counts))),
    if (is.null(sql)) list(values = x) else list(sql = sql))
}
set.seed(18)
hists <- list(
  hist_case("total_fruits", A$total_fruits, "SELECT lmm_histogram(total_fruits) FROM arabidopsis"),
  hist_case("log1p", A$y, "SELECT lmm_histogram(ln(1 + total_fruits)) FROM arabidopsis"),
  hist_case("normal 50", round(rnorm(50, 10, 3), 4)),
  hist_case("negative small", round(rnorm(17, -0.002, 0.001), 7)),
  hist_case("exponential 1000", round(rexp(1000, 0.01), 3)),
  hist_case("one value", c(5, 5, 5)),
  hist_case("integers", c(1, 2, 2, 3, 3, 3, 4, 4, 10)),
  hist_case("large", round(rnorm(40, 1e6, 2e4))))

# barplot(table(gen)): the counts, and the y ticks of barplot's range (range(-0.01 h, h), widened)
tg <- table(A$gen)
bp <- barplot(tg, plot = FALSE)
plot.new(); plot.window(c(0, 1), range(-0.01 * tg, tg)); barticks <- axTicks(2)

# the models of the tutorial, as R fits them
f <- y ~ factor(rack) + factor(nutrient) + amd + status
LM <- lm(f, data = A)
GLM <- gls(f, data = A, method = "ML")
GLM2 <- gls(f, data = A, method = "REML")
final <- lmer(y ~ factor(rack) + factor(nutrient) + amd + status + (factor(nutrient) | popu/gen), data = A, REML = TRUE)
rn <- resid(GLM, type = "normalized")
qq <- qqnorm(rn, plot.it = FALSE)
lw <- lowess(fitted(LM), resid(LM))
se2 <- sqrt(diag(vcov(GLM2))); sef <- sqrt(diag(as.matrix(vcov(final))))
crange <- range(coef(GLM2) - se2, coef(GLM2) + se2, fixef(final) - sef, fixef(final) + sef)

out <- list(
  hist = hists,
  barplot_gen = list(labels = names(tg), counts = as.numeric(tg), yticks = barticks),
  qq_glm = list(xticks = ticks(min(qq$x), max(qq$x)), yticks = ticks(min(qq$y), max(qq$y))),
  qq_lims = list(xticks = ticks(-3.5, 3.5), yticks = ticks(-3.5, 3.5)),
  resid_fitted_lm = list(xticks = ticks(min(fitted(LM)), max(fitted(LM))), yticks = ticks(min(resid(LM)), max(resid(LM))),
                         lowess_x = lw$x, lowess_y = lw$y),
  coef = list(xticks = ticks(crange[1], crange[2])))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA), file.path(outdir, "figures.json"))

# pretty() and axis ticks on ranges of every scale, for the unit test of core/pretty.c
cases <- list(c(0, 1), c(0, 100), c(-3.5, 3.5), c(0.001, 0.0042), c(-1e6, 3e7), c(1, 1), c(0, 0), c(-5, -5),
              c(1e-300, 2e-300), c(2.15, 2.1500001), c(-0.37, 12.9), c(123456, 123789), c(0.5, 285.5), c(-17.3, -2.1))
con <- file(file.path(outdir, "..", "unit", "pretty_ref.h"), "w")
cat("/* pretty_ref.h — written by tests/reference/make_figures.R: R's pretty(c(lo, hi), n) and the ticks axis()\n",
    " * draws on plot.window(c(lo, hi)), for tests/unit/test_pretty.c. */\n",
    "typedef struct pretty_ref { double lo, hi; int n; int npretty; double pretty[40]; int nticks; double ticks[40]; } pretty_ref;\n",
    "static const pretty_ref pretty_refs[] = {\n", sep = "", file = con)
fmt <- function(v) paste(sprintf("%.17g", v), collapse = ", ")
for (r in cases) for (n in c(5, 10)) {
  p <- pretty(r, n = n); t <- ticks(r[1], r[2])
  cat(sprintf("  {%.17g, %.17g, %d, %d, {%s}, %d, {%s}},\n", r[1], r[2], n, length(p), fmt(p), length(t), fmt(t)), file = con)
}
cat("};\n", file = con)
close(con)
