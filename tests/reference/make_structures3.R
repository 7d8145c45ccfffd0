# Reference results from R's nlme for the residual structures' remaining options (issue 16): variance functions with
# strata (varPower, varExp, varConstPower with form = ~ x | g, one parameter per stratum), varIdent's fixed=,
# corSymm's value= and a nested correlation grouping (form = ~ ... | a/b, nlme's groups the interaction, inner within
# outer).  Usage, from tests/reference:
#   Rscript make_structures3.R structures3 none
# It sources make_structures.R (caseset "none": only its helpers, ref_struct, with_anova, read_table, run, ...) and
# reads tests/data/{orthodont_chr,bodyweight,dialyzer,pixel}.csv, quoted columns as text.
self <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
source(file.path(dirname(self), "make_structures.R"))
dir.create(outdir, showWarnings = FALSE)
# varIdent's strata with fixed=: nlme puts the free strata first (in the order of first appearance along nlme's rows,
# the first the reference) and then the fixed ones in fixed='s order; the check of make_structures.R, extended so.
varident_strata <- function(m, s) {
  vs <- m$modelStruct$varStruct; if (is.null(vs)) return(NULL)
  d <- get(s$table, envir = DATA); ord <- nlme_order(m, s, d); out <- list()
  for (v in if (inherits(vs, "varComb")) as.list(vs) else list(vs)) if (inherits(v, "varIdent") && !is.null(attr(v, "groupNames"))) {
    gn <- attr(v, "groupNames"); fix <- names(attr(v, "fixed"))
    strat <- as.character(getGroups(d, formula(v), level = 1))
    u <- unique(strat[ord]); want <- c(u[!u %in% fix], fix)
    # value= naming its strata: the one stratum it leaves unnamed first (the reference), then value='s order
    if (!is.null(s$value_names)) want <- c(u[!u %in% c(s$value_names, fix)], s$value_names, fix)
    if (!identical(want, gn)) stop("varIdent strata order rule does not hold for ", s$table)
    out[[length(out)+1]] <- gn
  }
  out
}
for (t in c("orthodont_chr", "bodyweight", "dialyzer", "pixel")) read_table(t, file.path(outdir, "..", "..", "data"))

# varPower / varExp / varConstPower with strata: coef names are the strata (const.<s>, power.<s> for varConstPower)
s <- spec("gls", "orthodont_chr", "distance ~ age * Sex", method = "ML", weights = "varPower(form = ~ age | Sex)")
run("s3_orthodont_gls_varpower_strata_ml", with_anova(ref_struct("s3_orthodont_gls_varpower_strata_ml", s), no_struct(s)))
s <- spec("lme", "orthodont_chr", "distance ~ age * Sex", "1|Subject", "REML", weights = "varExp(form = ~ age | Sex)")
run("s3_orthodont_lme_varexp_strata", with_anova(ref_struct("s3_orthodont_lme_varexp_strata", s), no_struct(s)))
s <- spec("lme", "dialyzer", "rate ~ (pressure + I(pressure^2)) * QB", "pressure|Subject", "ML",
          weights = "varPower(form = ~ pressure | QB)")
run("s3_dialyzer_lme_varpower_strata_ml", with_anova(ref_struct("s3_dialyzer_lme_varpower_strata_ml", s), no_struct(s)))
s <- spec("lme", "dialyzer", "rate ~ (pressure + I(pressure^2)) * QB", "1|Subject", "ML",
          weights = "varConstPower(form = ~ pressure | QB)")   # (a gls's or a REML fit's const.300 goes to 0)
run("s3_dialyzer_lme_constpower_strata_ml", with_anova(ref_struct("s3_dialyzer_lme_constpower_strata_ml", s), no_struct(s)))

# varIdent's value= naming its strata (nlme: every free stratum but one, the reference, which comes first; the
# parameters in value='s order): starting values only, the optimum is the one without them, reported in that order;
# naming the first stratum makes the one left out ("12") the reference, and sigma its sd.
s <- spec("gls", "orthodont_chr", "distance ~ age", method = "REML",
          weights = "varIdent(value = c(\"14\" = 1.14, \"10\" = 1.1, \"12\" = 1.2), form = ~ 1 | age)")
s$value_names <- c("14", "10", "12")
run("s3_orthodont_gls_varident_value", with_anova(ref_struct("s3_orthodont_gls_varident_value", s), no_struct(s)))
s <- spec("gls", "orthodont_chr", "distance ~ age", method = "REML",
          weights = "varIdent(value = c(\"8\" = 1.1, \"14\" = 1.14, \"10\" = 1.3), form = ~ 1 | age)")
s$value_names <- c("8", "14", "10")
run("s3_orthodont_gls_varident_value_reference", with_anova(ref_struct("s3_orthodont_gls_varident_value_reference", s), no_struct(s)))
s <- spec("lme", "orthodont_chr", "distance ~ age", "1|Subject", "ML",
          weights = "varIdent(value = c(\"10\" = 1.1, \"14\" = 1.14), form = ~ 1 | age, fixed = c(\"12\" = 1.12))")
s$value_names <- c("10", "14")
run("s3_orthodont_lme_varident_value_fixed_ml", with_anova(ref_struct("s3_orthodont_lme_varident_value_fixed_ml", s), no_struct(s)))

# varIdent's fixed=: the fixed strata are no parameters (coef(unconstrained = FALSE) leaves them out)
s <- spec("gls", "bodyweight", "weight ~ Time * Diet", method = "ML", weights = "varIdent(form = ~ 1 | Diet, fixed = c(\"3\" = 0.6))")
run("s3_bodyweight_gls_varident_fixed_ml", with_anova(ref_struct("s3_bodyweight_gls_varident_fixed_ml", s), no_struct(s)))
s <- spec("lme", "orthodont_chr", "distance ~ age * Sex", "1|Subject", "REML", weights = "varIdent(form = ~ 1 | Sex, fixed = c(Female = 0.5))")
run("s3_orthodont_lme_varident_fixed", with_anova(ref_struct("s3_orthodont_lme_varident_fixed", s), no_struct(s)))

# varPower's and varExp's fixed= by stratum: the free strata keep their order of appearance, the fixed ones are no
# parameters (as varIdent's)
s <- spec("gls", "orthodont_chr", "distance ~ age * Sex", method = "ML", weights = "varPower(form = ~ age | Sex, fixed = c(Female = 0.5))")
run("s3_orthodont_gls_varpower_fixed_ml", with_anova(ref_struct("s3_orthodont_gls_varpower_fixed_ml", s), no_struct(s)))
s <- spec("lme", "orthodont_chr", "distance ~ age * Sex", "1|Subject", "REML", weights = "varExp(form = ~ age | Sex, fixed = c(Male = 0.01))")
run("s3_orthodont_lme_varexp_fixed", with_anova(ref_struct("s3_orthodont_lme_varexp_fixed", s), no_struct(s)))

# corSymm's value=: held fixed, the fit at that correlation; free, the start of the optimum
rho <- "c(0.6, 0.5, 0.4, 0.6, 0.5, 0.6)"
s <- spec("gls", "orthodont_chr", "distance ~ age * Sex", method = "REML", correlation = sprintf("corSymm(value = %s, form = ~ 1 | Subject, fixed = TRUE)", rho))
run("s3_orthodont_gls_corsymm_value_fixed", with_anova(ref_struct("s3_orthodont_gls_corsymm_value_fixed", s), no_struct(s)))
# (not with a random intercept, which a free corSymm makes unidentifiable: a flat ridge)
s <- spec("gls", "orthodont_chr", "distance ~ age * Sex", method = "ML", correlation = sprintf("corSymm(%s, form = ~ 1 | Subject)", rho))
run("s3_orthodont_gls_corsymm_value_ml", with_anova(ref_struct("s3_orthodont_gls_corsymm_value_ml", s), no_struct(s)))

# a nested correlation grouping: Pixel's Dog/Side (nlme groups by the interaction, Side within Dog)
s <- spec("gls", "pixel", "pixel ~ day + I(day^2)", method = "ML", correlation = "corCompSymm(form = ~ 1 | Dog/Side)")
run("s3_pixel_gls_compsymm_nested_ml", with_anova(ref_struct("s3_pixel_gls_compsymm_nested_ml", s), no_struct(s)))
s <- spec("lme", "pixel", "pixel ~ day + I(day^2)", "1|Dog", "REML", correlation = "corCAR1(form = ~ day | Dog/Side)")   # (with 1|Dog/Side, Side's SD goes to 0)
run("s3_pixel_lme_car1_nested", with_anova(ref_struct("s3_pixel_lme_car1_nested", s), no_struct(s)))
if (length(failed)) quit(status = 1)

# nlme's Variogram() options on two fits: bodyweight_varpower's lme (form = ~ Time: 11 distinct distances) and the
# grouped gls ovary_gls_ar1 (its default: positions within the correlation's groups, Mare).  Each case: the SQL
# options of lmm_variogram, the R call, its rows (n.pairs NA where collapse = "none" gives none).
# The gls's default positions: nlme 3.1-162's Variogram.gls numbers the rows within groups in the groups' level order
# (tapply) but splits them in the data's order, so unless the data are sorted by the grouping the positions are
# misaligned (with Mare as text, "10" sorts before "2" and every distance is off).  The rows are sorted by Mare
# here (the fit does not change; each group keeps its rows' order), where nlme's positions are right.
read_table("ovary", file.path(outdir, "..", "..", "data"))
assign("ovary", local({ d <- get("ovary", envir = DATA); d <- d[order(d$Mare), ]; row.names(d) <- NULL; d }), envir = DATA)
vg_rows <- function(v) lapply(seq_len(nrow(v)), function(i) list(variog = v$variog[i], dist = v$dist[i],
                                                                  n_pairs = if (is.null(v$n.pairs)) NA else v$n.pairs[i]))
vg_models <- list(
  bodyweight_varpower = spec("lme", "bodyweight", "weight ~ Time * Diet", "Time|Rat", "REML", weights = "varPower()"),
  ovary_gls_ar1 = spec("gls", "ovary", "follicles ~ sin(2*pi*Time) + cos(2*pi*Time)", method = "REML",
                       correlation = "corAR1(form = ~ 1 | Mare)"))
vg_cases <- list(
  list("bodyweight_varpower", "form=~ Time, nint=5", "form = ~ Time, nint = 5"),
  list("bodyweight_varpower", "form=~ Time, collapse=fixed, nint=4", "form = ~ Time, collapse = \"fixed\", nint = 4"),
  list("bodyweight_varpower", "form=~ Time, breaks=c(10, 30, 50)", "form = ~ Time, breaks = c(10, 30, 50)"),
  list("bodyweight_varpower", "form=~ Time, robust=TRUE", "form = ~ Time, robust = TRUE"),
  list("bodyweight_varpower", "form=~ Time, robust=TRUE, nint=5", "form = ~ Time, robust = TRUE, nint = 5"),
  list("bodyweight_varpower", "form=~ Time, resType=response", "form = ~ Time, resType = \"response\""),
  list("bodyweight_varpower", "form=~ Time, collapse=none", "form = ~ Time, collapse = \"none\""),
  list("bodyweight_varpower", "form=~ Time, maxDist=30, nint=3", "form = ~ Time, maxDist = 30, nint = 3"),
  list("ovary_gls_ar1", "", ""),
  list("ovary_gls_ar1", "resType=normalized", "resType = \"normalized\""),
  list("ovary_gls_ar1", "collapse=fixed, nint=6", "collapse = \"fixed\", nint = 6"),
  list("ovary_gls_ar1", "maxDist=10, robust=TRUE", "maxDist = 10, robust = TRUE"))
# a nested correlation grouping: a gls's variogram groups by Dog/Side (getGroups(object)), an lme's by its
# innermost random-effects grouping (getGroups(object, level = Q): Dog); Pixel sorted by Dog and Side as above
assign("pixel", local({ d <- get("pixel", envir = DATA); d <- d[order(d$Dog, d$Side), ]; row.names(d) <- NULL; d }), envir = DATA)
vg_models$pixel_gls_nested <- spec("gls", "pixel", "pixel ~ day + I(day^2)", method = "ML", correlation = "corCompSymm(form = ~ 1 | Dog/Side)")
vg_models$pixel_lme_nested <- spec("lme", "pixel", "pixel ~ day + I(day^2)", "1|Dog", "REML", correlation = "corCAR1(form = ~ day | Dog/Side)")
vg_cases <- c(vg_cases, list(
  list("pixel_gls_nested", "", ""),
  list("pixel_gls_nested", "form=~ day", "form = ~ day"),
  list("pixel_lme_nested", "form=~ day", "form = ~ day")))
vg_fits <- lapply(vg_models, fit_spec)
vg <- lapply(vg_cases, function(k) {
  call <- sprintf("Variogram(m%s)", if (nzchar(k[[3]])) paste0(", ", k[[3]]) else "")
  m <- vg_fits[[k[[1]]]]
  list(model = k[[1]], sql = sql_of(vg_models[[k[[1]]]]), options = k[[2]], call = call,
       rows = vg_rows(eval(str2lang(call))))
})
save(list(versions = versions, cases = vg), "variograms")
cat(sprintf("variograms: %d cases\n", length(vg)))
