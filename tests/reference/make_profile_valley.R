# make_profile_valley.R — a profile whose correlation's path falls into an sd's valley at 0 (run as
# Rscript make_profile_valley.R OUTDIR, from this folder; R 4.2.2, lme4 1.1.31, jsonlite 1.8.4).
# Writes OUTDIR/data/profile_valley.csv (made up, seed 42: 120 rows, 10 unbalanced groups g, covariates x and z)
# and OUTDIR/confint_profile_valley.json: lme4's confint(method = "profile") of y ~ x + z + (x | g) by ML, and
# rows_checked: every variance parameter's bound checked on lme4's own profiled deviance (devfun2, sd/cor scale)
# minimized over the other parameters from the optimum, from each sd at 0 and from 12 random starts; a bound
# whose zeta misses +-qnorm(0.975) by more than 1e-4 is found again by uniroot, and a profile that does not
# reach it before the boundary (sd 0, cor -+1) has the boundary as its bound, as lme4 documents.
suppressMessages({library(lme4); library(jsonlite)})
outdir <- commandArgs(TRUE)[1]
dir.create(file.path(outdir, "data"), showWarnings = FALSE, recursive = TRUE)
set.seed(42)
n <- 120
g <- sample(sprintf("g%02d", 1:10), n, replace = TRUE, prob = c(10,8,6,5,4,3,2,1,1,0.5))
a <- sample(c("A1","A2","A3","A4"), n, replace = TRUE)
b <- sample(c("b1","b2","b3"), n, replace = TRUE)
f <- sample(c("lo","mid","hi"), n, replace = TRUE)
h <- sample(c("M","F"), n, replace = TRUE)
k <- sample(c(-1L, 3L, 10L), n, replace = TRUE)
x <- round(runif(n, 0, 10), 3)
z <- round(rnorm(n), 3)
w <- round(runif(n, 0.5, 3), 3)
ge <- rnorm(10, 0, 2); names(ge) <- sprintf("g%02d", 1:10)
ae <- rnorm(4, 0, 1.5); names(ae) <- c("A1","A2","A3","A4")
abe <- rnorm(12, 0, 1); names(abe) <- as.vector(outer(c("A1","A2","A3","A4"), c("b1","b2","b3"), paste, sep=":"))
gs <- rnorm(10, 0, 0.3); names(gs) <- names(ge)
y <- 5 + 0.5*x + 0.3*z + (f=="hi")*1 + (h=="M")*0.7 + ge[g] + gs[g]*x + ae[a] + abe[paste(a,b,sep=":")] + rnorm(n, 0, 1)
d <- data.frame(y = round(unname(y), 4), x, z, g, stringsAsFactors = FALSE)
write.csv(d, file.path(outdir, "data", "profile_valley.csv"), row.names = FALSE, quote = TRUE)
d <- read.csv(file.path(outdir, "data", "profile_valley.csv"), colClasses = c("numeric", "numeric", "numeric", "character"))

m <- lmer(y ~ x + z + (x | g), data = d, REML = FALSE)
ci <- suppressWarnings(confint(m, method = "profile"))   # warns: non-monotonic profile for the correlation
vc <- as.data.frame(VarCorr(m))
est <- c(vc$sdcor[1], vc$sdcor[3], vc$sdcor[2], vc$sdcor[4])   # lme4's .sig01 .sig02 .sig03 .sigma
names(est) <- c(".sig01", ".sig02", ".sig03", ".sigma")
terms <- c("sd__(Intercept)", "cor__(Intercept).x", "sd__x", "sd__Observation")
grps <- c("g", "g", "g", "Residual")
iscor <- c(FALSE, TRUE, FALSE, FALSE)

dd <- lme4:::devfun2(m, useSc = TRUE, signames = TRUE)
dev0 <- dd(unname(est))
zq <- qnorm(0.975)
zeta <- function(i, v) {
  kk <- setdiff(1:4, i)
  dd <- lme4:::devfun2(m, useSc = TRUE, signames = TRUE)   # afresh: a call that fails leaves it unusable
  to <- function(q) { p <- numeric(4); p[i] <- v; p[kk] <- sapply(seq_along(kk), function(j) if (iscor[kk[j]]) tanh(q[j]) else exp(q[j])); p }
  fn <- function(q) { r <- tryCatch(dd(to(q)), error = function(e) { dd <<- lme4:::devfun2(m, useSc = TRUE, signames = TRUE); Inf }); if (is.finite(r)) r else 1e10 }
  st0 <- sapply(kk, function(j) if (iscor[j]) atanh(est[j]) else log(est[j]))
  starts <- list(st0)
  for (j in seq_along(kk)) if (!iscor[kk[j]] && kk[j] != 4) { s <- st0; s[j] <- -30; starts[[length(starts) + 1]] <- s }
  set.seed(7)
  for (r in 1:12) starts[[length(starts) + 1]] <- st0 + rnorm(length(kk), 0, 1.5)
  best <- Inf
  for (s in starts) { o <- optim(s, fn, control = list(reltol = 1e-13, maxit = 5000)); o <- optim(o$par, fn, method = "BFGS", control = list(reltol = 1e-13)); best <- min(best, o$value) }
  sign(v - est[i]) * sqrt(max(best - dev0, 0))
}
rows <- list(); checked <- list(); notes <- character()
for (i in 1:4) {
  lo <- ci[names(est)[i], 1]; up <- ci[names(est)[i], 2]
  rows[[i]] <- list(effect = "ran_pars", grp = grps[i], term = terms[i], lower = lo, estimate = unname(est[i]), upper = up)
  bnd <- c(lo, up)
  for (s in 1:2) {
    target <- if (s == 1) -zq else zq
    boundary <- if (iscor[i]) c(-1, 1)[s] else c(0, Inf)[s]
    zb <- zeta(i, bnd[s])
    if (isTRUE(all.equal(bnd[s], boundary)) || abs(zb - target) <= 1e-4) next
    # the profile at the boundary (or just inside it): does it reach the target at all?
    edge <- if (is.finite(boundary)) boundary - c(-1, 1)[s] * 1e-6 else bnd[s]
    ze <- zeta(i, edge)
    new <- if ((s == 1 && ze > target) || (s == 2 && ze < target)) boundary
           else uniroot(function(v) zeta(i, v) - target, sort(c(est[i], edge)), tol = 1e-10)$root
    notes <- c(notes, sprintf("%s %s: lme4 %.7g (zeta %.5f there), checked %.7g%s", terms[i], c("lower", "upper")[s],
                              bnd[s], zb, new, if (new == boundary) sprintf(" (zeta %.5f at the boundary)", ze) else ""))
    bnd[s] <- new
  }
  checked[[i]] <- list(effect = "ran_pars", grp = grps[i], term = terms[i], lower = bnd[1], estimate = unname(est[i]), upper = bnd[2])
}
fx <- fixef(m)
for (j in seq_along(fx)) {
  r <- list(effect = "fixed", grp = NULL, term = names(fx)[j], lower = ci[names(fx)[j], 1], estimate = unname(fx[j]), upper = ci[names(fx)[j], 2])
  rows[[length(rows) + 1]] <- r; checked[[length(checked) + 1]] <- r
}
cat(notes, sep = "\n")
out <- list(confint_case = "confint_profile_valley", engine = "lme4::lmer", method = "profile", level = 0.95,
            sql = list(data = "profile_valley", formula = "y ~ x + z + (x | g)", random = NULL, options = "method=ML"),
            logLik = as.numeric(logLik(m)), rows = rows, rows_checked = checked,
            note = paste("lme4 warns of a non-monotonic profile for the correlation; the checked bounds:", paste(notes, collapse = "; ")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null", null = "null"),
           file.path(outdir, "confint_profile_valley.json"))
