# make_optimum.R -- the optimum of the profiled deviance (ML) or REML criterion to about 1e-9 relative in
# theta, for tests/sql/test_optimum.py, which holds lmm_fit's variance parameters to 1e-7 of it.
# Run as `Rscript make_optimum.R OUT.json` from tests/reference (it reads ../data/*.csv as they are).
# How: lme4's devfun (the same criterion lmm minimizes, in lme4's theta: T for Z in the data's units),
# from bobyqa with rhoend = 1e-12, then Newton steps on central-difference gradients and Hessians
# (the gradient's of fourth order, steps 1e-3 of max(|theta|, 0.1); HSTEP in the environment changes
# 1e-3) until a step is below 1e-12 relative or for 20 steps.  The rounding of the criterion (about
# 1e-13 relative) and the stencil's truncation move theta by about 1e-9: the theta of HSTEP = 1e-3 and
# of HSTEP = 3e-4 agree to 5e-9 relative or better in every case (the second-order gradient with 1e-4
# steps was 1e-8 off, with 1e-3 steps 3e-6, and bobyqa itself stops 1e-7 to 3e-6 short).
# Only fits inside the parameter space (no variance at zero) are cases: on a boundary the optimum's
# precision is that of the boundary itself, and lme4/nlme's own tests compare interior fits.
suppressMessages(library(lme4))
library(jsonlite)
rd <- function(f) read.csv(file.path("..", "data", f), stringsAsFactors = FALSE)
cases <- list(
  list(name = "orthodont_slopes_reml", data = "orthodont", formula = "distance ~ age + (age|Subject)", reml = TRUE),
  list(name = "orthodont_slopes_ml", data = "orthodont", formula = "distance ~ age * Sex + (age|Subject)", reml = FALSE),
  list(name = "oxboys_slopes_reml", data = "oxboys", formula = "height ~ age + (age|Subject)", reml = TRUE),
  list(name = "sleepstudy_reml", data = "sleepstudy", formula = "Reaction ~ Days + (Days|Subject)", reml = TRUE),
  list(name = "sleepstudy_ml", data = "sleepstudy", formula = "Reaction ~ Days + (Days|Subject)", reml = FALSE),
  list(name = "penicillin_ml", data = "penicillin", formula = "diameter ~ 1 + (1|plate) + (1|sample)", reml = FALSE),
  list(name = "pastes_reml", data = "pastes", formula = "strength ~ 1 + (1|batch/cask)", reml = TRUE),
  list(name = "machines_reml", data = "machines", formula = "score ~ Machine + (1|Worker) + (1|Worker:Machine)", reml = TRUE),
  # every term with 400 levels or more: lmm takes Newton steps from its start, not BOBYQA (make_large_crossed.R)
  list(name = "large_crossed_reml", data = "large_crossed", formula = "y ~ x + trt + (1 + x | school) + (1 | rater)",
       reml = TRUE)
)
HSTEP <- as.numeric(Sys.getenv("HSTEP", "1e-3"))
newton <- function(f, x) {
  k <- length(x)
  for (it in 1:20) {
    h <- HSTEP * pmax(abs(x), 0.1)
    g <- numeric(k); H <- matrix(0, k, k); f0 <- f(x)
    for (i in 1:k) {
      ei <- replace(numeric(k), i, h[i])
      fp <- f(x + ei); fm <- f(x - ei)
      g[i] <- (8 * (fp - fm) - (f(x + 2 * ei) - f(x - 2 * ei))) / (12 * h[i]); H[i, i] <- (fp - 2 * f0 + fm) / h[i]^2
      for (j in seq_len(i - 1)) {
        ej <- replace(numeric(k), j, h[j])
        H[i, j] <- H[j, i] <- (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
      }
    }
    step <- solve(H, g)
    x <- x - step
    if (max(abs(step) / pmax(abs(x), 0.1)) < 1e-12) break
  }
  list(theta = x, gradient = g, steps = it)
}
out <- list()
for (cs in cases) {
  d <- rd(paste0(cs$data, ".csv"))
  for (v in names(d)) if (is.character(d[[v]])) d[[v]] <- factor(d[[v]])
  ctl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e6))
  m <- lmer(as.formula(cs$formula), data = d, REML = cs$reml, control = ctl)
  dev <- as.function(m)
  nw <- newton(dev, getME(m, "theta"))
  stopifnot(all(nw$theta[getME(m, "lower") == 0] > 1e-3))
  m2 <- update(m, start = nw$theta, control = lmerControl(optimizer = NULL))   # the model at the polished theta
  vc <- as.data.frame(VarCorr(m2))
  out[[cs$name]] <- list(
    sql = list(data = cs$data, formula = cs$formula, options = if (cs$reml) NULL else "method=ML"),
    theta = unname(nw$theta), criterion = dev(nw$theta), criterion_bobyqa = dev(getME(m, "theta")),
    theta_bobyqa = unname(getME(m, "theta")), gradient = nw$gradient, newton_steps = nw$steps,
    ran_pars = lapply(seq_len(nrow(vc)), function(i) list(grp = vc$grp[i], var1 = vc$var1[i], var2 = vc$var2[i],
                                                        sdcor = vc$sdcor[i])))
  cat(cs$name, "bobyqa->newton theta change", max(abs(nw$theta - getME(m, "theta")) / abs(nw$theta)),
      "criterion gain", dev(getME(m, "theta")) - dev(nw$theta), "\n")
}
args <- commandArgs(TRUE)
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, pretty = TRUE, null = "null"), args[1])
