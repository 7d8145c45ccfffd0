# Reference values for F tests of the terms of one model (issue 17): nlme's anova(m) (sequential and marginal)
# for lme and gls fits, lmerTest's anova(m) (types I, II and III, Satterthwaite's df) for lmer fits, and
# anova(lm).  One JSON file, anova_terms.json: a list of cases, each the SQL that makes the model (sqlspec) and
# R's tables by type.  tests/sql/test_anova_terms.py checks lmm_anova against it.
# Usage: Rscript make_anova_terms.R OUTDIR   (reads the CSVs of ../data beside this script)
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
args <- commandArgs(TRUE); outdir <- args[1]
Sys.setlocale("LC_COLLATE", "C")
csv <- function(name) read.csv(file.path(here, "..", "data", paste0(name, ".csv")), stringsAsFactors = FALSE)
# lmerTest's df move with theta: fit to R's optimum to about 1e-9 (as make_satterthwaite.R)
tight <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e6))
nlmetight <- lmeControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10, msTol = 1e-12, niterEM = 100)

rows <- function(a, ...) {
  a <- as.data.frame(a); nm <- rownames(a)
  col <- function(...) { for (k in c(...)) if (k %in% names(a)) return(num(a[[k]])); rep(NA_real_, nrow(a)) }
  ndf <- col("numDF", "NumDF", "Df"); ddf <- col("denDF", "DenDF"); F <- col("F-value", "F value")
  pv <- col("p-value", "Pr(>F)"); ss <- col("Sum Sq"); ms <- col("Mean Sq")
  lapply(seq_len(nrow(a)), function(i) list(term = trimws(nm[i]), num_df = ndf[i], den_df = ddf[i], statistic = F[i],
                                             p_value = pv[i], sum_sq = ss[i], mean_sq = ms[i]))
}
cases <- list()
# a contrast L beta = 0 given as lmm's option L= ("0 1 0; 0 0 1") and R's joint test of it, as a table of type "contrast"
Ltext <- function(L) paste(apply(L, 1, function(r) paste(format(r, scientific = FALSE, trim = TRUE), collapse = " ")), collapse = "; ")
contrast <- function(m, L, engine) {
  a <- if (engine == "lmerTest") lmerTest::contest(m, L, joint = TRUE)
       else if (engine == "stats::lm") { b <- coef(m); V <- vcov(m); Lb <- L %*% b; q <- nrow(L)
         F <- drop(t(Lb) %*% solve(L %*% V %*% t(L), Lb)) / q; s2 <- sigma(m)^2
         data.frame(`Sum Sq` = F * s2 * q, `Mean Sq` = F * s2, NumDF = q, DenDF = df.residual(m), `F value` = F,
                    `Pr(>F)` = pf(F, q, df.residual(m), lower.tail = FALSE), check.names = FALSE) }
       else anova(m, L = L)
  r <- rows(a); r[[1]]$term <- "L"
  if (engine == "nlme::gls") r[[1]]$den_df <- m$dims$N - m$dims$p
  list(type = "contrast", L = Ltext(L), rows = r)
}
with_contrast <- function(tabs, m, L, engine) c(tabs, list(contrast(m, L, engine)))
add <- function(name, engine, sql, tables) cases[[length(cases) + 1]] <<- list(case = name, engine = engine, sql = sql, tables = tables)
# anova.lme prints 1 - pf(F, ...), 0 below 1e-16; the reference holds pf's upper tail itself
exact_p <- function(a) { a[["p-value"]] <- pf(a[["F-value"]], a[["numDF"]], a[["denDF"]], lower.tail = FALSE); a }
nlme_case <- function(name, m, sql, engine = "nlme::lme", L = NULL) {
  tab <- function(type) { a <- anova(m, type = type); if (engine == "nlme::lme") exact_p(a) else a }
  tabs <- list(list(type = "sequential", rows = rows(tab("sequential"))), list(type = "marginal", rows = rows(tab("marginal"))))
  if (engine == "nlme::gls") for (k in 1:2) for (i in seq_along(tabs[[k]]$rows)) tabs[[k]]$rows[[i]]$den_df <- m$dims$N - m$dims$p
  if (!is.null(L)) tabs <- with_contrast(tabs, m, L, engine)
  add(name, engine, sql, tabs)
}
lmer_case <- function(name, m, sql, L = NULL) {
  tabs <- lapply(c("III", "II", "I"), function(ty) list(type = ty, rows = rows(anova(m, type = ty))))
  if (!is.null(L)) tabs <- with_contrast(tabs, m, L, "lmerTest")
  add(name, "lmerTest", sql, tabs)
}

O <- csv("orthodont")
A <- csv("arabidopsis"); A$rack <- paste0("r", A$rack); A$nutrient <- paste0("n", A$nutrient); A$y <- log(1 + A$total_fruits)
A$gen <- as.character(A$gen)
# the SQL reads rack and nutrient as the same text levels
Aq <- "SELECT popu, gen, 'r' || rack AS rack, 'n' || nutrient AS nutrient, amd, status, total_fruits FROM arabidopsis"
S <- csv("sleepstudy"); S$Subject <- as.character(S$Subject)
W <- csv("warpbreaks")
Cr <- csv("crossed")
Oa <- csv("oats")
Ma <- csv("machines"); Ma$Worker <- as.character(Ma$Worker)

# nlme: lme by REML and ML (ML: anova's adjustSigma), gls by REML and ML
nlme_case("orthodont_lme", lme(distance ~ age * Sex, random = ~ 1 | Subject, data = O, control = nlmetight),
          sqlspec("orthodont", "distance ~ age * Sex", "1|Subject"), L = rbind(c(0, 1, 0, 0), c(0, 0, 0, 1)))
nlme_case("orthodont_lme_ml", lme(distance ~ age * Sex, random = ~ age | Subject, data = O, method = "ML", control = nlmetight),
          sqlspec("orthodont", "distance ~ age * Sex", "age|Subject", "method=ML"))
nlme_case("arabidopsis_lmm6", lme(y ~ rack + nutrient + amd + status, random = ~ 1 | popu/gen, data = A, method = "ML", control = nlmetight),
          sqlspec(Aq, "log(1 + total_fruits) ~ rack + nutrient + amd + status", "1|popu/gen", "method=ML"))
nlme_case("arabidopsis_lme_inter", lme(y ~ rack + nutrient * amd + status, random = ~ 1 | popu/gen, data = A, control = nlmetight),
          sqlspec(Aq, "log(1 + total_fruits) ~ rack + nutrient * amd + status", "1|popu/gen"))
nlme_case("arabidopsis_lme_inter3", lme(y ~ nutrient + amd * status, random = ~ 1 | popu/gen, data = A, method = "ML", control = nlmetight),
          sqlspec(Aq, "log(1 + total_fruits) ~ nutrient + amd * status", "1|popu/gen", "method=ML"))
# terms in three strata: Variety between plots, nitro and its interaction within them; Machine within Worker
nlme_case("oats_lme", lme(yield ~ nitro * Variety, random = ~ 1 | Block/Variety, data = Oa, control = nlmetight),
          sqlspec("oats", "yield ~ nitro * Variety", "1|Block/Variety"))
nlme_case("machines_lme_ml", lme(score ~ Machine, random = ~ 1 | Worker/Machine, data = Ma, method = "ML", control = nlmetight),
          sqlspec("machines", "score ~ Machine", "1|Worker/Machine", "method=ML"))
nlme_case("orthodont_gls", gls(distance ~ age * Sex, data = O), sqlspec("orthodont", "distance ~ age * Sex", NULL, "method=REML"), "nlme::gls",
          L = rbind(c(0, 0, 1, 0), c(0, 0, 0, 1)))
nlme_case("arabidopsis_gls_ml", gls(y ~ rack + nutrient * amd + status, data = A, method = "ML"),
          sqlspec(Aq, "log(1 + total_fruits) ~ rack + nutrient * amd + status", NULL, "method=ML"), "nlme::gls")

# lmerTest: types III, II, I
lmer_case("sleepstudy", lmerTest::lmer(Reaction ~ Days + (Days | Subject), data = S, control = tight),
          sqlspec("sleepstudy", "Reaction ~ Days + (Days|Subject)"), L = rbind(c(1, 5)))
lmer_case("arabidopsis_lmm6.2", lmerTest::lmer(y ~ rack + nutrient + amd + status + (nutrient | popu) + (nutrient | popu:gen), data = A,
                                               REML = FALSE, control = tight),
          sqlspec(Aq, "log(1 + total_fruits) ~ rack + nutrient + amd + status + (nutrient|popu) + (nutrient|popu:gen)", NULL, "method=ML"),
          L = rbind(c(0, 0, 0, 0, 1, -1), c(0, 1, 0, 1, 0, 0), c(0, 0, 1, 0, 0, 0)))
lmer_case("arabidopsis_inter3", lmerTest::lmer(y ~ rack + nutrient * amd + amd * status + (1 | popu) + (1 | popu:gen), data = A, control = tight),
          sqlspec(Aq, "log(1 + total_fruits) ~ rack + nutrient * amd + amd * status + (1|popu) + (1|popu:gen)"))
lmer_case("orthodont_numeric_inter", lmerTest::lmer(distance ~ age * Sex + (1 | Subject), data = O, REML = FALSE, control = tight),
          sqlspec("orthodont", "distance ~ age * Sex + (1|Subject)", NULL, "method=ML"))
lmer_case("crossed", lmerTest::lmer(y ~ x * c + (1 | a) + (1 | b), data = Cr, control = tight),
          sqlspec("crossed", "y ~ x * c + (1|a) + (1|b)"))
lmer_case("arabidopsis_3way", lmerTest::lmer(y ~ rack + nutrient * amd * status + (1 | popu) + (1 | popu:gen), data = A, control = tight),
          sqlspec(Aq, "log(1 + total_fruits) ~ rack + nutrient * amd * status + (1|popu) + (1|popu:gen)"))
lmer_case("crossed_noint", lmerTest::lmer(y ~ 0 + c + x + (1 | a) + (1 | b), data = Cr, REML = FALSE, control = tight),
          sqlspec("crossed", "y ~ 0 + c + x + (1|a) + (1|b)", NULL, "method=ML"))
# type III refits with treatment contrasts and maps back: sum contrasts and a base-last (contr.SAS) coding
local({
  op <- options(contrasts = c("contr.sum", "contr.poly")); on.exit(options(op))
  lmer_case("arabidopsis_sum", lmerTest::lmer(y ~ nutrient * amd + status + (1 | popu) + (1 | popu:gen), data = A, control = tight),
            sqlspec(Aq, "log(1 + total_fruits) ~ nutrient * amd + status + (1|popu) + (1|popu:gen)", NULL, "contrasts=sum"))
})
local({
  op <- options(contrasts = c("contr.helmert", "contr.poly")); on.exit(options(op))
  lmer_case("oats_helmert", lmerTest::lmer(yield ~ nitro * Variety + (1 | Block) + (1 | Block:Variety), data = Oa, control = tight),
            sqlspec("oats", "yield ~ nitro * Variety + (1|Block) + (1|Block:Variety)", NULL, "contrasts=helmert"))
})

# anova(lm): sequential, with the Residuals row
Wm <- lm(breaks ~ wool * tension, data = W)
add("warpbreaks_lm", "stats::lm", sqlspec("warpbreaks", "breaks ~ wool * tension"),
    list(list(type = "sequential", rows = rows(anova(Wm))), contrast(Wm, rbind(c(0, 1, 0, 0, 0, 0), c(0, 0, 1, -1, 0, 0)), "stats::lm")))
add("orthodont_lm", "stats::lm", sqlspec("orthodont", "distance ~ age + Sex + age:Sex"),
    list(list(type = "sequential", rows = rows(anova(lm(distance ~ age + Sex + age:Sex, data = O))))))
add("arabidopsis_lm", "stats::lm", sqlspec(Aq, "log(1 + total_fruits) ~ rack + nutrient * amd + status"),
    list(list(type = "sequential", rows = rows(anova(lm(y ~ rack + nutrient * amd + status, data = A))))))

writeLines(toJSON(list(note = paste("R", getRversion(), "nlme", packageVersion("nlme"), "lme4", packageVersion("lme4"), "lmerTest",
                                    packageVersion("lmerTest"), "; lmer fits with bobyqa rhoend 1e-12, lme with tight lmeControl"),
                       anova_terms = cases), auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null", null = "null"),
           file.path(outdir, "anova_terms.json"))
