# Numerically hard reference cases for the lmm extension (same JSON shape as make_reference.R; self-contained).
# Usage: Rscript make_robust.R OUTDIR
# Writes OUTDIR/<case>.json and OUTDIR/data/robust.csv (move that CSV to tests/data/).
#
# Data `robust`: lme4's sleepstudy (Reaction, Days, Subject as character) plus
#   Days_big = Days * 1e9, Days_small = Days * 1e-9, Reaction_big = Reaction + 1e8,
#   Days_near = Days + 1e-5 * sin(1:180) (nearly collinear with Days), Reaction_tiny = Reaction * 1e-8.
# write.csv keeps 15 significant digits, so some columns as read back differ from the formulas above in the last
# bits (Days_small by up to 2e-24, Days_near by up to 5e-15). Every fit below therefore uses the data as read back
# from robust.csv, i.e. the same decimal strings that tests/data/load.sql gives SQLite.
#
# Each case is fitted as specified ("direct") and, as a check, the same model on rescaled data ("rescaled": Days
# for Days_big/Days_small, Reaction_big - 1e8 (exact in double) for Reaction_big, Reaction_tiny * 1e8 for
# Reaction_tiny, and Days + sin-term reparametrization for Days_near), whose results are mapped back exactly to
# the original parametrization (coefficients, vcov, Satterthwaite df via lmerTest::contest1D, logLik including the
# REML log|det| term). If the direct fit disagrees with the mapped-back rescaled fit by more than 1e-8 relative in
# any fixed-effect estimate, standard error, variance parameter or sigma, or by more than 1e-8 in logLik, the
# direct optimum is taken as unreliable, and if the df differ by more than 1e-4 relative, lmerTest's Satterthwaite
# df are; either way the mapped-back rescaled values are written instead. Every JSON has a
# "note" member: R's warnings/messages for the direct fit, the size of the direct-vs-rescaled disagreement and
# which values were written.
#
# The helpers (ref_lme, ref_lmer, ref_lm, save, ...) are helpers.R's.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
args <- commandArgs(TRUE); outdir <- args[1]
dir.create(file.path(outdir, "data"), showWarnings = FALSE, recursive = TRUE)

# ---------------------------------------------------------------------------------------------------------------
# Run expr, collecting (and muffling) its warnings and messages.
capture <- function(expr) {
  w <- character(); msg <- character()
  val <- withCallingHandlers(expr,
    warning = function(c) { w <<- c(w, conditionMessage(c)); invokeRestart("muffleWarning") },
    message = function(c) { msg <<- c(msg, trimws(conditionMessage(c))); invokeRestart("muffleMessage") })
  list(value = val, warnings = unique(w), messages = unique(msg))
}

# Map a reference list x, computed on rescaled data, back to the original parametrization:
#   y_orig = a * y_resc + shift (shift absorbed by the intercept, the first coefficient),
#   beta_orig = a * T %*% beta_resc (+ shift on the intercept), i.e. X_orig = X_resc %*% solve(T).
# The random-effects design is the same in both. Off-diagonal rows of T (lme4 only) get their Satterthwaite df
# from lmerTest::contest1D on the refitted rescaled model `m`.
map_back <- function(x, terms, a = 1, shift = 0, T = diag(length(x$fixed)), m = NULL) {
  p <- length(x$fixed); V <- x$vcov; b <- sapply(x$fixed, `[[`, "estimate")
  Vo <- a^2 * T %*% V %*% t(T); bo <- a * drop(T %*% b); bo[1] <- bo[1] + shift
  fx <- vector("list", p)
  for (i in seq_len(p)) {
    nz <- which(T[i, ] != 0); r <- x$fixed[[if (length(nz) == 1) nz else i]]
    dfi <- if (length(nz) == 1) r[[4]] else {
      stopifnot(x$engine == "lme4::lmer"); contest1D(m, T[i, ])$df }
    r$term <- terms[i]; r$estimate <- bo[i]; r$std_error <- sqrt(Vo[i, i]); r[[4]] <- dfi
    tt <- r$estimate / r$std_error
    r$statistic <- tt
    r[[6]] <- 2 * pt(-abs(tt), dfi)
    fx[[i]] <- r }
  x$fixed <- fx; x$vcov <- unname(Vo)
  if (!is.null(x$ran_pars)) x$ran_pars <- lapply(x$ran_pars, function(r) {
    if (startsWith(r$term, "sd__")) r$estimate <- abs(a) * r$estimate; r })
  x$sigma <- abs(a) * x$sigma
  if (!is.null(x$ranef)) x$ranef <- lapply(x$ranef, function(r) {
    r$estimate <- a * r$estimate; if (!is.null(r$cond_sd)) r$cond_sd <- abs(a) * r$cond_sd; r })
  x$fitted <- a * x$fitted + shift; x$resid_response <- a * x$resid_response
  # log-likelihood: y scaled by a multiplies the residual part by |a|^N (N = n, or n - p for REML);
  # the REML log|X'V^-1X| term gains log|det T|.
  reml <- identical(x$method, "REML")
  dLL <- -(if (reml) x$nobs - p else x$nobs) * log(abs(a)) + (if (reml) determinant(T)$modulus[1] else 0)
  x$logLik <- x$logLik + dLL; x$AIC <- x$AIC - 2 * dLL; x$BIC <- x$BIC - 2 * dLL
  if (!is.null(x$deviance)) x$deviance <- x$deviance - 2 * dLL
  if (!is.null(x$REMLcrit)) x$REMLcrit <- x$REMLcrit - 2 * dLL
  x
}

reldiff <- function(u, v) if (!length(u)) 0 else max(abs(u - v) / pmax(abs(u), abs(v), 1e-300))
# direct vs mapped-back rescaled: max relative differences (logLik absolute), compared by term name
compare <- function(d, r) {
  ft <- sapply(r$fixed, `[[`, "term"); dt <- sapply(d$fixed, `[[`, "term"); k <- match(ft, dt)
  stopifnot(!anyNA(k))
  g <- function(l, f, idx = seq_along(l)) sapply(l[idx], `[[`, f)
  out <- c(fixed_estimate = reldiff(g(d$fixed, "estimate", k), g(r$fixed, "estimate")),
           std_error = reldiff(g(d$fixed, "std_error", k), g(r$fixed, "std_error")),
           ran_pars = if (is.null(r$ran_pars)) 0 else reldiff(g(d$ran_pars, "estimate"), g(r$ran_pars, "estimate")),
           sigma = reldiff(d$sigma, r$sigma), logLik_abs = abs(d$logLik - r$logLik),
           df = reldiff(sapply(d$fixed[k], `[[`, 4), sapply(r$fixed, `[[`, 4)))
  out
}

# Fit a case directly and rescaled, compare, choose, annotate and save.
# direct: function() returning the reference list; resc: function() returning the mapped-back list.
run_case <- function(name, direct, resc, what_resc) {
  cat(sprintf("\n=== %s\n", name))
  d <- capture(direct()); r <- capture(resc())
  cat("direct fit warnings:", if (length(d$warnings)) paste(d$warnings, collapse = " | ") else "none", "\n")
  if (length(d$messages)) cat("direct fit messages:", paste(d$messages, collapse = " | "), "\n")
  cat("rescaled fit warnings:", if (length(r$warnings)) paste(r$warnings, collapse = " | ") else "none", "\n")
  cmp <- compare(d$value, r$value)
  cat("direct vs rescaled (max relative differences; logLik absolute):\n"); print(signif(cmp, 3))
  cat(sprintf("logLik direct %.10f, rescaled %.10f\n", d$value$logLik, r$value$logLik))
  bad_opt <- any(cmp[c("fixed_estimate", "std_error", "ran_pars", "sigma", "logLik_abs")] > 1e-8)
  bad_df <- cmp[["df"]] > 1e-4
  bad <- bad_opt || bad_df
  res <- if (bad) r$value else d$value
  wtxt <- if (length(d$warnings)) paste0("R warned: ", paste(sprintf("\"%s\"", d$warnings), collapse = "; "), ".")
          else "R gave no warning."
  if (length(d$messages)) wtxt <- paste0(wtxt, " R messages: ", paste(sprintf("\"%s\"", d$messages), collapse = "; "), ".")
  ctxt <- sprintf(paste0("Checked against the same model on rescaled data (%s), mapped back exactly: max relative difference ",
                         "fixed estimates %.2g, std errors %.2g, ran_pars %.2g, sigma %.2g, Satterthwaite/denominator df %.2g; ",
                         "|logLik difference| %.2g (direct %.10f, rescaled %.10f)."),
                  what_resc, cmp[["fixed_estimate"]], cmp[["std_error"]], cmp[["ran_pars"]], cmp[["sigma"]], cmp[["df"]],
                  cmp[["logLik_abs"]], d$value$logLik, r$value$logLik)
  ctxt <- paste(ctxt,
    if (bad_opt) "The direct optimum is unreliable (disagreement above 1e-8): the values written are the mapped-back rescaled-data fit."
    else if (bad_df) paste("The direct optimum agrees (within 1e-8), but lmerTest's Satterthwaite df on the direct fit are wrong",
                           "(disagreement above 1e-4; its numerical derivatives do not suit this scale): the values written are the",
                           "mapped-back rescaled-data fit, whose df are those of the well-scaled model.")
    else "The direct fit is reliable (agreement within 1e-8, df within 1e-4); the values written are the direct fit's.")
  res$note <- paste(wtxt, ctxt)
  cat("written:", if (bad_opt) "RESCALED (direct optimum unreliable)" else if (bad_df) "RESCALED (direct Satterthwaite df unreliable)" else "direct", "\n")
  res
}

# ---- data ----
S <- as.data.frame(sleepstudy); S$Subject <- as.character(S$Subject)
S$Days_big <- S$Days * 1e9; S$Days_small <- S$Days * 1e-9; S$Reaction_big <- S$Reaction + 1e8
S$Days_near <- S$Days + 1e-5 * sin(1:180); S$Reaction_tiny <- S$Reaction * 1e-8
wcsv(S, "robust")
R <- read.csv(file.path(outdir, "data", "robust.csv"), colClasses = c(Subject = "character"))
stopifnot(identical(R$Subject, S$Subject), identical(as.numeric(R$Days), as.numeric(S$Days)))
cat("CSV round trip, max |read back - constructed| per column:\n")
print(sapply(names(S)[names(S) != "Subject"], function(v) max(abs(R[[v]] - S[[v]]))))
# columns the rescaled fits use
R$Reaction_shift <- R$Reaction_big - 1e8            # exact in double (Sterbenz), equals Reaction to 7.5e-9
R$Reaction_unscaled <- R$Reaction_tiny * 1e8
R$sin_term <- (R$Days_near - R$Days) * 1e5         # Days_near - Days is exact; equals sin(1:180) to 6e-10
sp <- function(formula, random = NULL, options = NULL) sqlspec("robust", formula, random, options)
cases <- list()

# ---- robust_big_x ----
cases$robust_big_x <- run_case("robust_big_x",
  function() ref_lmer("robust_big_x", R, Reaction ~ Days_big + (1|Subject), TRUE, sp("Reaction ~ Days_big + (1|Subject)")),
  function() map_back(ref_lmer("robust_big_x", R, Reaction ~ Days + (1|Subject), TRUE, sp("Reaction ~ Days_big + (1|Subject)")),
                      c("(Intercept)", "Days_big"), T = diag(c(1, 1e-9))),
  "Reaction ~ Days + (1|Subject), Days_big coefficient = Days coefficient * 1e-9")

# ---- robust_small_x ----
cases$robust_small_x <- run_case("robust_small_x",
  function() ref_lmer("robust_small_x", R, Reaction ~ Days_small + (1|Subject), TRUE, sp("Reaction ~ Days_small + (1|Subject)")),
  function() map_back(ref_lmer("robust_small_x", R, Reaction ~ Days + (1|Subject), TRUE, sp("Reaction ~ Days_small + (1|Subject)")),
                      c("(Intercept)", "Days_small"), T = diag(c(1, 1e9))),
  "Reaction ~ Days + (1|Subject), Days_small coefficient = Days coefficient * 1e9")

# ---- robust_big_intercept ----
cases$robust_big_intercept <- run_case("robust_big_intercept",
  function() ref_lmer("robust_big_intercept", R, Reaction_big ~ Days + (1|Subject), TRUE, sp("Reaction_big ~ Days + (1|Subject)")),
  function() map_back(ref_lmer("robust_big_intercept", R, Reaction_shift ~ Days + (1|Subject), TRUE, sp("Reaction_big ~ Days + (1|Subject)")),
                      c("(Intercept)", "Days"), shift = 1e8),
  "(Reaction_big - 1e8) ~ Days + (1|Subject), the subtraction being exact in double; intercept + 1e8")

# ---- robust_near_collinear (ML) ----
Tn <- rbind(c(1, 0, 0), c(0, 1, -1e5), c(0, 0, 1e5))
fn <- Reaction ~ Days + Days_near + (1|Subject)
chk <- capture(lmer(fn, data = R, REML = FALSE))
cat(sprintf("\nrobust_near_collinear: lme4 kept %d of 3 fixed-effect columns (rank-dropped: %s)\n", ncol(getME(chk$value, "X")),
            if (ncol(getME(chk$value, "X")) < 3) "YES" else "no"))
stopifnot(ncol(getME(chk$value, "X")) == 3)   # Days_near = Days + 1e-5 sin(i) is kept: no need for the 1e-3 fallback
cases$robust_near_collinear <- run_case("robust_near_collinear",
  function() ref_lmer("robust_near_collinear", R, fn, FALSE, sp("Reaction ~ Days + Days_near + (1|Subject)", NULL, "method=ML")),
  function() map_back(ref_lmer("robust_near_collinear", R, Reaction ~ Days + sin_term + (1|Subject), FALSE,
                               sp("Reaction ~ Days + Days_near + (1|Subject)", NULL, "method=ML")),
                      c("(Intercept)", "Days", "Days_near"), T = Tn,
                      m = lmerTest::lmer(Reaction ~ Days + sin_term + (1|Subject), data = R, REML = FALSE)),
  paste0("Reaction ~ Days + s + (1|Subject) with s = (Days_near - Days) * 1e5 (about sin(1:180)); ",
         "Days_near coefficient = 1e5 * s coefficient, Days coefficient = Days coefficient - 1e5 * s coefficient, ",
         "Satterthwaite df of these contrasts from lmerTest::contest1D"))

# ---- robust_tiny_y ----
cases$robust_tiny_y <- run_case("robust_tiny_y",
  function() ref_lmer("robust_tiny_y", R, Reaction_tiny ~ Days + (Days|Subject), TRUE, sp("Reaction_tiny ~ Days + (Days|Subject)")),
  function() map_back(ref_lmer("robust_tiny_y", R, Reaction_unscaled ~ Days + (Days|Subject), TRUE, sp("Reaction_tiny ~ Days + (Days|Subject)")),
                      c("(Intercept)", "Days"), a = 1e-8),
  "(Reaction_tiny * 1e8) ~ Days + (Days|Subject), every estimate, sd, random effect and residual times 1e-8")

# ---- robust_lm_big (Days_small is an exact multiple of Days_big up to rounding: lm aliases it) ----
lmb <- lm(Reaction_big ~ Days_big + Days_small, data = R)
aliased <- names(which(summary(lmb)$aliased))
cat("\nrobust_lm_big: aliased (NA) coefficients in R:", if (length(aliased)) aliased else "none", "\n")
cases$robust_lm_big <- run_case("robust_lm_big",
  function() ref_lm("robust_lm_big", R, Reaction_big ~ Days_big + Days_small, sp("Reaction_big ~ Days_big + Days_small")),
  function() map_back(ref_lm("robust_lm_big", R, Reaction_shift ~ Days, sp("Reaction_big ~ Days_big + Days_small")),
                      c("(Intercept)", "Days_big"), shift = 1e8, T = diag(c(1, 1e-9))),
  "(Reaction_big - 1e8) ~ Days, Days_big coefficient = Days coefficient * 1e-9, Days_small left out")
if (length(aliased)) {
  cases$robust_lm_big$aliased <- aliased
  cases$robust_lm_big$note <- paste(sprintf(paste0("RANK DEFICIENT: Days_small = Days_big * 1e-18 (up to rounding), so R's lm ",
    "aliases %s (coefficient NA; it is missing from `fixed` and its vcov row/column is null) and fits ",
    "Reaction_big ~ Days_big. lmm_fit refuses a rank-deficient X, so the expected lmm result is that error, ",
    "naming Days_small."), paste(aliased, collapse = ", ")), cases$robust_lm_big$note)
}

# ---- robust_lm_big_quad (extra, full rank: big intercept, big and tiny predictor in one lm) ----
cases$robust_lm_big_quad <- run_case("robust_lm_big_quad",
  function() ref_lm("robust_lm_big_quad", R, Reaction_big ~ Days_big + I(Days_small^2), sp("Reaction_big ~ Days_big + I(Days_small^2)")),
  function() map_back(ref_lm("robust_lm_big_quad", R, Reaction_shift ~ Days + I(Days^2), sp("Reaction_big ~ Days_big + I(Days_small^2)")),
                      c("(Intercept)", "Days_big", "I(Days_small^2)"), shift = 1e8, T = diag(c(1, 1e-9, 1e18))),
  "(Reaction_big - 1e8) ~ Days + I(Days^2), coefficients times 1e-9 and 1e18")
cases$robust_lm_big_quad$note <- paste("Extra case (not in the original list): a full-rank version of robust_lm_big,",
  "with predictor columns of scale 1e9 and 1e-17 and an intercept of 1e8.", cases$robust_lm_big_quad$note)

# ---- robust_nlme_big_x ----
cases$robust_nlme_big_x <- run_case("robust_nlme_big_x",
  function() ref_lme("robust_nlme_big_x", R, Reaction ~ Days_big, ~1|Subject, "REML", sp("Reaction ~ Days_big", "1|Subject")),
  function() map_back(ref_lme("robust_nlme_big_x", R, Reaction ~ Days, ~1|Subject, "REML", sp("Reaction ~ Days_big", "1|Subject")),
                      c("(Intercept)", "Days_big"), T = diag(c(1, 1e-9))),
  "nlme Reaction ~ Days, random ~1|Subject, Days_big coefficient = Days coefficient * 1e-9")

for (nm in names(cases)) { stopifnot(identical(cases[[nm]]$case, nm)); save(cases[[nm]], nm) }
cat("\nwrote", length(cases), "cases:", names(cases), "\n")
