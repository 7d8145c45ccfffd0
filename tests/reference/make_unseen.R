# Reference cases on data and models the other scripts do not cover ("unseen" by the fitter's authors):
# nlme textbook data (Pixel, Alfalfa, Assay, Ovary, Dialyzer, Wafer, Oxboys, MathAchieve, Gun, Orange) and R's
# ChickWeight and warpbreaks, lme4's Dyestuff2 and grouseticks, variants of data already in tests/data (Oats,
# Orthodont, BodyWeight, cake, Machines, sleepstudy, Pastes, Penicillin), sleepstudy with NAs, and two small
# made-up sets: a three-level nesting with labels reused across levels (nest3) and text/number levels whose
# order is easy to get wrong (levels).
# Usage: Rscript make_unseen.R OUTDIR [CASES]
# CASES, a regular expression, limits the JSON written to the cases whose names match it (the CSVs are always
# written); the optimizer cases at the end were added that way, without rewriting the others.
# Writes OUTDIR/<case>.json and OUTDIR/data/<table>.csv.  CSVs of tables already in tests/data are written too
# (prepared as the other scripts prepare them) so that they can be compared byte for byte.
# The helpers (ref_lme, ref_lmer, ref_lm, ref_gls, anova_tab, save, ...) are helpers.R's; what this script adds comes
# after the line that sources it:
#   * predictions on new rows (member `predict`: the table and, per nlme level or lme4's "0"/"full", R's predict(),
#     made by helpers.R's pred_lme, pred_lmer and pred_fixed); nlme gives NA for a group it never saw, written as null;
#   * `deviance` of lm fits (the residual sum of squares) and lme4's `singular` flag;
#   * anova tables between nested fits (JSON files with an `anova_case` member: the models, each with its sql, and
#     nlme's anova() table; lme4's anova(refit = FALSE) is mapped to the same columns);
#   * where nlme stops short of the optimum, `best_known_logLik` (the best of lme4's optimizers on the same model)
#     and a `note`, as in make_more.R.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
invisible(Sys.setlocale("LC_COLLATE", "C"))   # factor() sorts text in byte order, as SQLite does
args <- commandArgs(TRUE); outdir <- args[1]
dir.create(file.path(outdir, "data"), showWarnings = FALSE, recursive = TRUE)

# ---- additions ----
# The fitted model object, for what the ref_* helpers do not record (they refit it the same way).
fit_lme <- function(data, fixed, random, method, control = lmeControl())
  do.call(lme, list(fixed = fixed, data = data, random = random, method = method, control = control))
# The best logLik lme4's optimizers reach for a model, and which optimizer reached it.
best_lmer <- function(formula, data, REML) {
  opts <- c("bobyqa", "Nelder_Mead", "nloptwrap")
  ll <- sapply(opts, function(o) num(logLik(lmer(formula, data = data, REML = REML, control = lmerControl(optimizer = o)))))
  list(logLik = max(ll), optimizer = opts[which.max(ll)], all = ll)
}
# ref_lmer with lme4's default optimizer, unless another of best_lmer's reaches a logLik higher by more than 1e-6:
# then with that one, and a note says so.
lmer_case <- function(name, data, formula, REML, sql) {
  best <- best_lmer(formula, data, REML)
  # lmerControl() given, as when these cases were made (see ref_lmer in helpers.R)
  if (best$logLik - best$all[["nloptwrap"]] <= 1e-6) return(ref_lmer(name, data, formula, REML, sql, lmerControl()))
  res <- ref_lmer(name, data, formula, REML, sql, lmerControl(optimizer = best$optimizer))
  res$note <- sprintf("lme4's default optimizer stops short (logLik %.8f); fitted with lmerControl(optimizer = \"%s\") (logLik %.8f)",
                      best$all[["nloptwrap"]], best$optimizer, best$logLik)
  res
}
# An nlme fit that stops short: its reference with the best known optimum and a note, and lme4's fit of the same
# model (with the optimizer that reached it) as a second case whose values are all checked.
short_of_optimum <- function(name, data, fixed, random, method, sql, lformula, lsql, control) {
  res <- ref_lme(name, data, fixed, random, method, sql, control)
  best <- best_lmer(lformula, data, method == "REML")
  twin <- ref_lmer(paste0(name, "_lme4"), data, lformula, method == "REML", lsql, lmerControl(optimizer = best$optimizer))
  res$best_known_logLik <- best$logLik
  res$note <- sprintf(paste0("nlme stops short of the optimum: its logLik %.8f, lme4's %.8f (bobyqa %.8f, Nelder_Mead %.8f, ",
                             "nloptwrap %.8f); %s_lme4.json is lme4's fit of the same model"), res$logLik, best$logLik,
                      best$all[1], best$all[2], best$all[3], name)
  twin$note <- sprintf("lme4 fit with lmerControl(optimizer = \"%s\"), the best of bobyqa, Nelder_Mead and nloptwrap; singular: %s",
                       best$optimizer, twin$singular)
  list(nlme = res, lme4 = twin)
}
# An anova JSON: the models (name + sql) and the table.
anova_case <- function(name, specs, table) list(anova_case = name, models = lapply(names(specs), function(k) list(model = k, sql = specs[[k]])), table = table)
# lme4's anova(refit = FALSE) in nlme's columns
anova_tab_lme4 <- function(names, a) lapply(seq_along(names), function(i) list(model = names[i], df = num(a$npar[i]), AIC = num(a$AIC[i]),
  BIC = num(a$BIC[i]), logLik = num(a$logLik[i]), L_ratio = num(a$Chisq[i]), p_value = num(a[["Pr(>Chisq)"]][i])))
only <- if (length(args) > 1) args[2] else ".*"
sv <- function(x) { if (!grepl(only, x$case)) return(invisible()); cat(x$case, "\n"); save(x, x$case) }

# ---- data sets already in tests/data, prepared as make_reference.R / make_more.R prepare them ----
Oa <- as.data.frame(Oats); Oa$Block <- as.character(Oa$Block); Oa$Variety <- as.character(Oa$Variety); wcsv(Oa, "oats")
Oc <- as.data.frame(Orthodont); Oc$Sex <- as.character(Oc$Sex); Oc$Subject <- as.character(Oc$Subject); wcsv(Oc, "orthodont_chr")
B <- as.data.frame(BodyWeight); B$Rat <- as.character(B$Rat); B$Diet <- as.character(B$Diet); wcsv(B, "bodyweight")
C <- cake; C$temperature <- NULL; wcsv(C, "cake")
M <- as.data.frame(Machines); M$Worker <- as.character(M$Worker); wcsv(M, "machines")
wcsv(sleepstudy, "sleepstudy"); wcsv(Pastes, "pastes"); wcsv(Penicillin, "penicillin")

# ---- new data sets (grouping and text columns as character: R's factor() then sorts them as SQLite does) ----
chr <- function(d, cols) { d <- as.data.frame(d); for (k in cols) d[[k]] <- as.character(d[[k]]); d }
P <- chr(Pixel, c("Dog", "Side")); wcsv(P, "pixel")
Al <- chr(Alfalfa, c("Variety", "Date", "Block")); wcsv(Al, "alfalfa")     # R's Date levels None,S1,S20,O7; sorted: None,O7,S1,S20
As <- chr(Assay, c("Block", "sample", "dilut")); wcsv(As, "assay")          # dilut "1".."5" stays text
Ov <- chr(Ovary, "Mare"); wcsv(Ov, "ovary")
Di <- chr(Dialyzer, c("Subject", "QB")); wcsv(Di, "dialyzer")
Wa <- chr(Wafer, c("Wafer", "Site")); wcsv(Wa, "wafer")
D2 <- chr(Dyestuff2, "Batch"); wcsv(D2, "dyestuff2")
G <- chr(grouseticks, c("INDEX", "BROOD", "YEAR", "LOCATION")); wcsv(G, "grouseticks")
Wb <- chr(warpbreaks, c("wool", "tension")); wcsv(Wb, "warpbreaks")           # R's tension levels L,M,H; sorted: H,L,M
Ox <- chr(Oxboys, c("Subject", "Occasion")); wcsv(Ox, "oxboys")
MA <- merge(as.data.frame(MathAchieve), as.data.frame(MathAchSchool)[, c("School", "Sector", "Size")], by = "School")
MA <- chr(MA, c("School", "Minority", "Sex", "Sector"))[, c("School", "Minority", "Sex", "SES", "MathAch", "Sector", "Size")]; wcsv(MA, "mathach")
CW <- chr(ChickWeight, c("Chick", "Diet")); wcsv(CW, "chickweight")
Gu <- chr(Gun, c("Team", "Physique", "Method")); wcsv(Gu, "gun")
Or <- chr(Orange, "Tree"); wcsv(Or, "orange")
# sleepstudy with NAs in the response and in a predictor: R drops those rows (na.omit), lmm_fit drops rows with NULL
Sn <- sleepstudy; Sn$Subject <- as.character(Sn$Subject); Sn$Reaction[c(3, 50, 51, 170)] <- NA; Sn$Days[c(7, 100)] <- NA
wcsv(Sn, "sleep_na"); Sn <- na.omit(Sn)
# nest3: a/b/c with b and c labels repeated in every a, so only the interaction names a group
set.seed(20240611)
N3 <- expand.grid(rep = 1:3, c = c("x", "y"), b = c("1", "2", "3"), a = c("n", "s", "e", "w"), stringsAsFactors = FALSE)[, 4:1]
ua <- rnorm(4, 0, 2); names(ua) <- c("n", "s", "e", "w"); uab <- rnorm(12); uabc <- rnorm(24, 0, 0.7)
N3$x <- round(runif(nrow(N3), 0, 10), 2)
N3$y <- round(5 + 0.3 * N3$x + ua[N3$a] + uab[as.integer(factor(paste(N3$a, N3$b)))] +
              uabc[as.integer(factor(paste(N3$a, N3$b, N3$c)))] + rnorm(nrow(N3), 0, 0.5), 3)
N3 <- N3[, c("a", "b", "c", "rep", "x", "y")]; wcsv(N3, "nest3")
# levels: text levels in every byte class (digits, upper case, '_', lower case, UTF-8) and a numeric factor whose
# labels R prints as "-1", "0.5", "2", "10", "1e+05"
set.seed(20240612)
lv <- c("b", "B", "a10", "a9", "Zeta", "_u", "\u00e9", "10", "9")
Lv <- data.frame(grp = rep(lv, each = 10), dose = rep(c(-1, 0.5, 2, 10, 1e5), 18), site = rep(paste0("s", 1:6), 15), stringsAsFactors = FALSE)
Lv$x <- round(runif(90, -1, 1), 3)
Lv$y <- round(2 + match(Lv$grp, lv) / 3 + log10(abs(Lv$dose) + 1) + Lv$x + rnorm(6)[as.integer(factor(Lv$site))] + rnorm(90), 4)
write.csv(Lv, file.path(outdir, "data", "levels.csv"), row.names = FALSE, quote = TRUE, fileEncoding = "UTF-8")
# crossed: three crossed grouping factors, a (40 levels), b (12) and c (7), with a random slope in x for each
# (made up): the factor's blocks for random slopes on crossed terms, in every combination of the terms' sizes
set.seed(20261126)
Cr <- data.frame(a = sprintf("a%02d", rep(1:40, each = 15)), b = sprintf("b%02d", sample(1:12, 600, TRUE)),
                 c = sprintf("c%d", sample(1:7, 600, TRUE)), stringsAsFactors = FALSE)
Cr$x <- round(runif(600, 0, 4), 3)
ua <- cbind(rnorm(40, 0, 1), rnorm(40, 0, 0.4)); ub <- cbind(rnorm(12, 0, 0.8), rnorm(12, 0, 0.3)); uc <- cbind(rnorm(7, 0, 0.6), rnorm(7, 0, 0.25))
ia <- as.integer(factor(Cr$a)); ib <- as.integer(factor(Cr$b)); ic <- as.integer(factor(Cr$c))
Cr$y <- round(3 + 0.5 * Cr$x + ua[ia, 1] + ua[ia, 2] * Cr$x + ub[ib, 1] + ub[ib, 2] * Cr$x + uc[ic, 1] + uc[ic, 2] * Cr$x +
              rnorm(600, 0, 0.5), 4)
wcsv(Cr, "crossed")
# new rows for predict(): known groups at new covariate values, new groups at each level
P_new <- data.frame(Dog = c("1", "1", "10", "11", "2", "3"), Side = c("L", "R", "R", "L", "X", "L"), day = c(3, 7, 12, 2, 5, 0)); wcsv(P_new, "pixel_new")
O_new <- data.frame(Subject = c("M01", "F03", "X99", "M16"), Sex = c("Male", "Female", "Male", "Male"), age = c(9, 13, 11, 16), stringsAsFactors = FALSE); wcsv(O_new, "orthodont_new")
S_new <- data.frame(Subject = c("308", "309", "999", "372"), Days = c(10, 0, 4, 2.5), stringsAsFactors = FALSE); wcsv(S_new, "sleepstudy_new")
N3_new <- data.frame(a = c("n", "n", "n", "z", "e"), b = c("1", "1", "9", "1", "3"), c = c("x", "q", "x", "x", "y"), x = c(0, 5, 5, 5, 10), stringsAsFactors = FALSE)
wcsv(N3_new, "nest3_new")
Wb_new <- data.frame(wool = c("A", "B", "B"), tension = c("H", "L", "M"), stringsAsFactors = FALSE); wcsv(Wb_new, "warpbreaks_new")
M_new <- data.frame(Worker = c("1", "6", "99"), Machine = c("A", "C", "B"), stringsAsFactors = FALSE); wcsv(M_new, "machines_new")

# ---- nlme::lme ----
r <- ref_lme("pixel_nlme", P, pixel ~ day + I(day^2), ~1|Dog/Side, "REML", sqlspec("pixel", "pixel ~ day + I(day^2)", "1|Dog/Side"))
r$predict <- pred_lme(fit_lme(P, pixel ~ day + I(day^2), ~1|Dog/Side, "REML"), P_new, "pixel_new"); sv(r)
s <- short_of_optimum("pixel_nlme_slopes", P, pixel ~ day + I(day^2), ~day|Dog/Side, "REML", sqlspec("pixel", "pixel ~ day + I(day^2)", "day|Dog/Side"),
                      pixel ~ day + I(day^2) + (day|Dog) + (day|Dog:Side), sqlspec("pixel", "pixel ~ day + I(day^2) + (day|Dog) + (day|Dog:Side)"),
                      lmeControl(opt = "optim", maxIter = 200, msMaxIter = 200))
sv(s$nlme); sv(s$lme4)
r <- ref_lme("alfalfa", Al, Yield ~ Date + Variety, ~1|Block/Variety, "REML", sqlspec("alfalfa", "Yield ~ Date + Variety", "1|Block/Variety")); sv(r)
r <- ref_lme("alfalfa_ml_int", Al, Yield ~ Date * Variety, ~1|Block/Variety, "ML", sqlspec("alfalfa", "Yield ~ Date * Variety", "1|Block/Variety", "method=ML")); sv(r)
r <- ref_lme("oats_ml_int", Oa, yield ~ nitro * Variety, ~1|Block/Variety, "ML", sqlspec("oats", "yield ~ nitro * Variety", "1|Block/Variety", "method=ML")); sv(r)
Oaf <- Oa; Oaf$nitro <- factor(Oaf$nitro)
r <- ref_lme("oats_factor", Oaf, yield ~ nitro + Variety, ~1|Block/Variety, "REML", sqlspec("oats", "yield ~ factor(nitro) + Variety", "1|Block/Variety")); sv(r)
r <- ref_lme("assay_nlme", As, logDens ~ sample * dilut, ~1|Block, "REML", sqlspec("assay", "logDens ~ sample * dilut", "1|Block")); sv(r)
r <- ref_lme("ovary", Ov, follicles ~ sin(2*pi*Time) + cos(2*pi*Time), ~1|Mare, "REML",
             sqlspec("ovary", "follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", "1|Mare")); sv(r)
r <- ref_lme("ovary_slope_ml", Ov, follicles ~ sin(2*pi*Time) + cos(2*pi*Time), ~sin(2*pi*Time)|Mare, "ML",
             sqlspec("ovary", "follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", "sin(2*pi*Time)|Mare", "method=ML")); sv(r)
r <- ref_gls("ovary_gls_ml", Ov, follicles ~ sin(2*pi*Time) + cos(2*pi*Time), "ML",
             sqlspec("ovary", "follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", NULL, "method=ML")); sv(r)
r <- ref_lme("bodyweight_log_ml", B, log(weight) ~ I(Time/7) * Diet, ~I(Time/7)|Rat, "ML",
             sqlspec("bodyweight", "log(weight) ~ I(Time/7) * Diet", "I(Time/7)|Rat", "method=ML")); sv(r)
r <- ref_lme("orthodont_centered", Oc, distance ~ I(age - 11) * Sex, ~I(age - 11)|Subject, "REML",
             sqlspec("orthodont_chr", "distance ~ I(age-11) * Sex", "~ I(age-11) | Subject"))
r$predict <- pred_lme(fit_lme(Oc, distance ~ I(age - 11) * Sex, ~I(age - 11)|Subject, "REML"), O_new, "orthodont_new"); sv(r)
r <- ref_lme("orthodont_sex_slopes_ml", Oc, distance ~ Sex/age - 1, ~1|Subject, "ML",
             sqlspec("orthodont_chr", "distance ~ Sex/age - 1", "1|Subject", "method=ML")); sv(r)
r <- ref_lme("dialyzer", Di, rate ~ (pressure + I(pressure^2) + I(pressure^3) + I(pressure^4)) * QB, ~pressure + I(pressure^2)|Subject, "REML",
             sqlspec("dialyzer", "rate ~ (pressure + I(pressure^2) + I(pressure^3) + I(pressure^4)) * QB", "pressure + I(pressure^2)|Subject")); sv(r)
s <- short_of_optimum("wafer_nlme_ml", Wa, current ~ voltage + I(voltage^2), ~voltage|Wafer/Site, "ML",
                      sqlspec("wafer", "current ~ voltage + I(voltage^2)", "voltage|Wafer/Site", "method=ML"),
                      current ~ voltage + I(voltage^2) + (voltage|Wafer) + (voltage|Wafer:Site),
                      sqlspec("wafer", "current ~ voltage + I(voltage^2) + (voltage|Wafer) + (voltage|Wafer:Site)", NULL, "method=ML"),
                      lmeControl(opt = "optim"))
sv(s$nlme); sv(s$lme4)
r <- ref_lme("wafer_nested", Wa, current ~ voltage + I(voltage^2), ~1|Wafer/Site, "REML",
             sqlspec("wafer", "current ~ voltage + I(voltage^2)", "1|Wafer/Site")); sv(r)
r <- ref_lme("dyestuff2_nlme", D2, Yield ~ 1, ~1|Batch, "REML", sqlspec("dyestuff2", "Yield ~ 1", "1|Batch")); sv(r)
r <- ref_lme("oxboys_q3", Ox, height ~ age + I(age^2), ~age + I(age^2)|Subject, "REML",
             sqlspec("oxboys", "height ~ age + I(age^2)", "age + I(age^2)|Subject")); sv(r)
s <- short_of_optimum("mathach_nlme", MA, MathAch ~ SES * Sector + Minority + Sex, ~SES|School, "REML",
                      sqlspec("mathach", "MathAch ~ SES * Sector + Minority + Sex", "SES|School"),
                      MathAch ~ SES * Sector + Minority + Sex + (SES|School), sqlspec("mathach", "MathAch ~ SES * Sector + Minority + Sex + (SES|School)"),
                      lmeControl())
sv(s$nlme); sv(s$lme4)
r <- ref_lme("chickweight_ml", CW, weight ~ Time * Diet, ~Time|Chick, "ML", sqlspec("chickweight", "weight ~ Time * Diet", "Time|Chick", "method=ML")); sv(r)
r <- ref_lme("gun", Gu, rounds ~ Method + Physique, ~1|Team, "REML", sqlspec("gun", "rounds ~ Method + Physique", "1|Team")); sv(r)
r <- ref_lme("machines_noint", M, score ~ Machine, ~Machine - 1|Worker, "REML", sqlspec("machines", "score ~ Machine", "Machine - 1|Worker")); sv(r)
r <- ref_lme("machines_0plus_ml", M, score ~ 0 + Machine, ~0 + Machine|Worker, "ML",
             sqlspec("machines", "score ~ 0 + Machine", "~ 0 + Machine | Worker", "method=ML")); sv(r)
r <- ref_lme("machines_nlme_slopes", M, score ~ Machine, ~Machine|Worker, "REML", sqlspec("machines", "score ~ Machine", "Machine|Worker"))
r$predict <- pred_lme(fit_lme(M, score ~ Machine, ~Machine|Worker, "REML"), M_new, "machines_new"); sv(r)
r <- ref_lme("orthodont_log_ml", Oc, log(distance) ~ log(age) * Sex, ~log(age)|Subject, "ML",
             sqlspec("orthodont_chr", "log(distance) ~ log(age) * Sex", "log(age)|Subject", "method=ML")); sv(r)
r <- ref_lme("orange_ml", Or, circumference ~ age, ~1|Tree, "ML", sqlspec("orange", "circumference ~ age", "1|Tree", "method=ML")); sv(r)
r <- ref_lme("sleep_na", Sn, Reaction ~ Days, ~Days|Subject, "REML", sqlspec("sleep_na", "Reaction ~ Days", "Days|Subject")); sv(r)
r <- ref_lme("nest3_nlme", N3, y ~ x, ~1|a/b/c, "REML", sqlspec("nest3", "y ~ x", "1|a/b/c"))
r$predict <- pred_lme(fit_lme(N3, y ~ x, ~1|a/b/c, "REML"), N3_new, "nest3_new"); sv(r)

# ---- lme4::lmer ----
r <- lmer_case("pixel_lme4", P, pixel ~ day + I(day^2) + (day|Dog) + (1|Dog:Side), TRUE,
              sqlspec("pixel", "pixel ~ day + I(day^2) + (day|Dog) + (1|Dog:Side)"))
r$predict <- pred_lmer(lmer(pixel ~ day + I(day^2) + (day|Dog) + (1|Dog:Side), P), P_new, "pixel_new"); sv(r)
Cf <- C; Cf$temp <- factor(Cf$temp)
r <- lmer_case("cake_factor", Cf, angle ~ recipe * temp + (1|recipe:replicate), TRUE,
              sqlspec("cake", "angle ~ recipe * factor(temp) + (1|recipe:replicate)")); sv(r)
r <- lmer_case("cake_factor_ml", Cf, angle ~ recipe + temp + (1|recipe:replicate), FALSE,
              sqlspec("cake", "angle ~ recipe + factor(temp) + (1|recipe:replicate)", NULL, "method=ML")); sv(r)
r <- lmer_case("sleepstudy_uncorr_ml", sleepstudy, Reaction ~ Days + (Days||Subject), FALSE,
              sqlspec("sleepstudy", "Reaction ~ Days + (Days||Subject)", NULL, "method=ML")); sv(r)
r <- lmer_case("sleepstudy_split", sleepstudy, Reaction ~ Days + (1|Subject) + (0 + Days|Subject), TRUE,
              sqlspec("sleepstudy", "Reaction ~ Days + (1|Subject) + (0 + Days|Subject)"))
r$predict <- pred_lmer(lmer(Reaction ~ Days + (1|Subject) + (0 + Days|Subject), sleepstudy), S_new, "sleepstudy_new"); sv(r)
r <- lmer_case("pastes_ml", Pastes, strength ~ 1 + (1|batch) + (1|sample), FALSE,
              sqlspec("pastes", "strength ~ 1 + (1|batch) + (1|sample)", NULL, "method=ML")); sv(r)
r <- lmer_case("penicillin_sample_fixed", Penicillin, diameter ~ sample + (1|plate), FALSE,
              sqlspec("penicillin", "diameter ~ sample + (1|plate)", NULL, "method=ML")); sv(r)
r <- lmer_case("grouseticks", G, log(TICKS + 1) ~ YEAR + cHEIGHT + (1|BROOD) + (1|LOCATION), TRUE,
              sqlspec("grouseticks", "log(TICKS + 1) ~ YEAR + cHEIGHT + (1|BROOD) + (1|LOCATION)")); sv(r)
r <- lmer_case("dyestuff2_lme4", D2, Yield ~ 1 + (1|Batch), TRUE, sqlspec("dyestuff2", "Yield ~ 1 + (1|Batch)")); sv(r)
r <- lmer_case("dyestuff2_lme4_ml", D2, Yield ~ 1 + (1|Batch), FALSE, sqlspec("dyestuff2", "Yield ~ 1 + (1|Batch)", NULL, "method=ML")); sv(r)
r <- lmer_case("nest3_lme4_ml", N3, y ~ x + (1|a/b/c), FALSE, sqlspec("nest3", "y ~ x + (1|a/b/c)", NULL, "method=ML"))
r$predict <- pred_lmer(lmer(y ~ x + (1|a/b/c), N3, REML = FALSE), N3_new, "nest3_new"); sv(r)
r <- lmer_case("assay_lme4", As, logDens ~ sample * dilut + (1|Block) + (1|Block:sample) + (1|Block:dilut), TRUE,
              sqlspec("assay", "logDens ~ sample * dilut + (1|Block) + (1|Block:sample) + (1|Block:dilut)")); sv(r)
r <- lmer_case("oxboys_occasion", Ox, height ~ age + (age|Subject) + (1|Occasion), TRUE,
               sqlspec("oxboys", "height ~ age + (age|Subject) + (1|Occasion)")); sv(r)
r <- lmer_case("chickweight_sqrt", CW, sqrt(weight) ~ Time * Diet + (Time|Chick), TRUE,
               sqlspec("chickweight", "sqrt(weight) ~ Time * Diet + (Time|Chick)")); sv(r)
r <- lmer_case("sleep_na_lme4_ml", Sn, Reaction ~ Days + I(Days^2) + (Days|Subject), FALSE,
               sqlspec("sleep_na", "Reaction ~ Days + I(Days^2) + (Days|Subject)", NULL, "method=ML")); sv(r)
r <- lmer_case("machines_0plus_lme4_ml", M, score ~ Machine + (0 + Machine|Worker), FALSE,
               sqlspec("machines", "score ~ Machine + (0 + Machine|Worker)", NULL, "method=ML"))
r$predict <- pred_lmer(lmer(score ~ Machine + (0 + Machine|Worker), M, REML = FALSE), M_new, "machines_new"); sv(r)
r <- lmer_case("oats_inner_slope", Oa, yield ~ nitro + Variety + (1|Block) + (nitro|Block:Variety), TRUE,
               sqlspec("oats", "yield ~ nitro + Variety + (1|Block) + (nitro|Block:Variety)")); sv(r)
r <- lmer_case("orthodont_uncorr_ml", Oc, distance ~ age * Sex + (0 + age || Subject) + (1|Subject), FALSE,
               sqlspec("orthodont_chr", "distance ~ age * Sex + (0 + age || Subject) + (1|Subject)", NULL, "method=ML")); sv(r)
Lvf <- Lv; Lvf$dose <- factor(Lvf$dose)
r <- lmer_case("levels_lmer", Lvf, y ~ grp + dose + (1|site), TRUE, sqlspec("levels", "y ~ grp + factor(dose) + (1|site)")); sv(r)
r <- lmer_case("orthodont_noint_lmer", Oc, distance ~ 0 + Sex + Sex:age + (1|Subject), TRUE,
              sqlspec("orthodont_chr", "distance ~ 0 + Sex + Sex:age + (1|Subject)"))
r$predict <- pred_lmer(lmer(distance ~ 0 + Sex + Sex:age + (1|Subject), Oc), O_new, "orthodont_new"); sv(r)

# random slopes on crossed terms (the first term has the most levels; lmm's factor pairs the later terms' blocks)
r <- lmer_case("crossed_slopes", Cr, y ~ x + (x|a) + (x|b) + (1|c), TRUE, sqlspec("crossed", "y ~ x + (x|a) + (x|b) + (1|c)")); sv(r)
r <- lmer_case("crossed_slopes_ml", Cr, y ~ x + (1|a) + (x|b), FALSE, sqlspec("crossed", "y ~ x + (1|a) + (x|b)", NULL, "method=ML")); sv(r)
r <- lmer_case("crossed_slopes_mixed", Cr, y ~ x + (x|a) + (1|b) + (x|c), TRUE, sqlspec("crossed", "y ~ x + (x|a) + (1|b) + (x|c)")); sv(r)

# ---- stats::lm and nlme::gls ----
lm_dev <- function(r, m) { r$deviance <- deviance(m); r }
r <- lm_dev(ref_lm("warpbreaks_lm", Wb, breaks ~ wool * tension, sqlspec("warpbreaks", "breaks ~ wool * tension")), lm(breaks ~ wool * tension, Wb))
r$predict <- pred_fixed(lm(breaks ~ wool * tension, Wb), Wb_new, "warpbreaks_new"); sv(r)
r <- lm_dev(ref_lm("warpbreaks_lm_noint", Wb, breaks ~ tension + wool - 1, sqlspec("warpbreaks", "breaks ~ tension + wool - 1")),
            lm(breaks ~ tension + wool - 1, Wb)); sv(r)
r <- lm_dev(ref_lm("levels_lm", Lvf, y ~ grp + dose + x:grp, sqlspec("levels", "y ~ grp + factor(dose) + x:grp")), lm(y ~ grp + dose + x:grp, Lvf)); sv(r)
r <- lm_dev(ref_lm("pixel_lm", P, sqrt(pixel) ~ day + I(day^2) + Side, sqlspec("pixel", "sqrt(pixel) ~ day + I(day^2) + Side")),
            lm(sqrt(pixel) ~ day + I(day^2) + Side, P))
r$predict <- pred_fixed(lm(sqrt(pixel) ~ day + I(day^2) + Side, P), P_new[P_new$Side != "X", ], "pixel_new_lm"); sv(r)
wcsv(P_new[P_new$Side != "X", ], "pixel_new_lm")
r <- lm_dev(ref_lm("mathach_lm", MA, MathAch ~ SES * Sector + Minority * Sex + I(Size/1000),
                   sqlspec("mathach", "MathAch ~ SES * Sector + Minority * Sex + I(Size/1000)")),
            lm(MathAch ~ SES * Sector + Minority * Sex + I(Size/1000), MA)); sv(r)
r <- lm_dev(ref_lm("sleep_na_lm", Sn, log(Reaction) ~ Days * Subject, sqlspec("sleep_na", "log(Reaction) ~ Days * Subject")),
            lm(log(Reaction) ~ Days * Subject, Sn)); sv(r)
r <- ref_gls("sleep_na_gls_ml", Sn, Reaction ~ Days, "ML", sqlspec("sleep_na", "Reaction ~ Days", NULL, "method=ML")); sv(r)
# R's terms algebra: ^2, removing a main effect, interactions without main effects and no intercept
r <- lm_dev(ref_lm("orthodont_lm_power", Oc, distance ~ (age + Sex + I(age^2))^2, sqlspec("orthodont_chr", "distance ~ (age + Sex + I(age^2))^2")),
            lm(distance ~ (age + Sex + I(age^2))^2, Oc)); sv(r)
r <- lm_dev(ref_lm("orthodont_lm_minus", Oc, distance ~ age * Sex - Sex, sqlspec("orthodont_chr", "distance ~ age * Sex - Sex")),
            lm(distance ~ age * Sex - Sex, Oc)); sv(r)
r <- lm_dev(ref_lm("orthodont_lm_noint", Oc, distance ~ 0 + age:Sex, sqlspec("orthodont_chr", "distance ~ 0 + age:Sex")),
            lm(distance ~ 0 + age:Sex, Oc)); sv(r)
r <- ref_gls("warpbreaks_gls", Wb, log(breaks) ~ wool * tension, "REML", sqlspec("warpbreaks", "log(breaks) ~ wool * tension", NULL, "method=REML"))
r$predict <- pred_fixed(gls(log(breaks) ~ wool * tension, Wb), Wb_new, "warpbreaks_new"); sv(r)

# ---- anova tables between nested fits ----
sp <- list(pixel_dog = sqlspec("pixel", "pixel ~ day + I(day^2)", "1|Dog"), pixel_dogside = sqlspec("pixel", "pixel ~ day + I(day^2)", "1|Dog/Side"))
save(anova_case("anova_pixel", sp, anova_tab(names(sp), anova(fit_lme(P, pixel ~ day + I(day^2), ~1|Dog, "REML"),
                                                              fit_lme(P, pixel ~ day + I(day^2), ~1|Dog/Side, "REML")))), "anova_pixel")
sp <- list(alfalfa_main = sqlspec("alfalfa", "Yield ~ Date + Variety", "1|Block/Variety", "method=ML"),
           alfalfa_int = sqlspec("alfalfa", "Yield ~ Date * Variety", "1|Block/Variety", "method=ML"))
save(anova_case("anova_alfalfa", sp, anova_tab(names(sp), anova(fit_lme(Al, Yield ~ Date + Variety, ~1|Block/Variety, "ML"),
                                                                fit_lme(Al, Yield ~ Date * Variety, ~1|Block/Variety, "ML")))), "anova_alfalfa")
fo <- follicles ~ sin(2*pi*Time) + cos(2*pi*Time); fos <- "follicles ~ sin(2*pi*Time) + cos(2*pi*Time)"
sp <- list(ovary_gls = sqlspec("ovary", fos, NULL, "method=ML"), ovary_int = sqlspec("ovary", fos, "1|Mare", "method=ML"),
           ovary_slope = sqlspec("ovary", fos, "sin(2*pi*Time)|Mare", "method=ML"))
save(anova_case("anova_ovary", sp, anova_tab(names(sp), anova(gls(fo, Ov, method = "ML"), fit_lme(Ov, fo, ~1|Mare, "ML"),
                                                              fit_lme(Ov, fo, ~sin(2*pi*Time)|Mare, "ML")))), "anova_ovary")
sp <- list(ortho_age = sqlspec("orthodont_chr", "distance ~ age", "1|Subject", "method=ML"),
           ortho_age_agesex = sqlspec("orthodont_chr", "distance ~ age + age:Sex", "1|Subject", "method=ML"),
           ortho_agesex = sqlspec("orthodont_chr", "distance ~ age * Sex", "1|Subject", "method=ML"))
save(anova_case("anova_orthodont", sp, anova_tab(names(sp), anova(fit_lme(Oc, distance ~ age, ~1|Subject, "ML"), fit_lme(Oc, distance ~ age + age:Sex, ~1|Subject, "ML"),
                                                                  fit_lme(Oc, distance ~ age * Sex, ~1|Subject, "ML")))), "anova_orthodont")
sp <- list(sleep_uncorr = sqlspec("sleepstudy", "Reaction ~ Days + (Days||Subject)", NULL, "method=ML"),
           sleep_corr = sqlspec("sleepstudy", "Reaction ~ Days + (Days|Subject)", NULL, "method=ML"))
save(anova_case("anova_sleepstudy", sp, anova_tab_lme4(names(sp), anova(lmer(Reaction ~ Days + (Days||Subject), sleepstudy, REML = FALSE),
                                                                        lmer(Reaction ~ Days + (Days|Subject), sleepstudy, REML = FALSE), refit = FALSE))), "anova_sleepstudy")
# ---- a model lmm's optimizer once stopped short on: random-effect columns of very different scales (Time and
# Time^2).  R stops short too: nlme's default control at -568.129197, lme4 at -595.658 with every optimizer; nlme
# with a tight control reaches -568.127892, as does lme4 with Time/10 in the random part (the same likelihood).
# lme4's (Machine || Worker) was another, but its intercept is the sum of the three dummies, so the optimum is a
# flat ridge (logLik -104.1556 along it) and no parameter value can be compared.
r <- ref_lme("bodyweight_quad", B, weight ~ Time * Diet, ~Time + I(Time^2)|Rat, "REML",
             sqlspec("bodyweight", "weight ~ Time * Diet", "Time + I(Time^2)|Rat"),
             lmeControl(maxIter = 1000, msMaxIter = 1000, niterEM = 100, tolerance = 1e-12, msTol = 1e-14))
r$note <- paste("fitted with lmeControl(maxIter = 1000, msMaxIter = 1000, niterEM = 100, tolerance = 1e-12, msTol = 1e-14);",
                "nlme's default control stops at logLik -568.129197, lme4 at -595.658 (bobyqa, Nelder_Mead and nloptwrap)")
sv(r)
cat(R.version.string, "lme4", format(packageVersion("lme4")), "nlme", format(packageVersion("nlme")), "lmerTest", format(packageVersion("lmerTest")),
    "jsonlite", format(packageVersion("jsonlite")), "Matrix", format(packageVersion("Matrix")), "\n")
