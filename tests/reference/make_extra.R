# Extra reference cases for the lmm extension (supplements make_reference.R; same helpers, same JSON shape).
# Usage: Rscript make_extra.R OUTDIR
# Writes OUTDIR/<case>.json and OUTDIR/data/<table>.csv (the CSVs are byte-identical to the ones
# make_reference.R writes for the same data sets; they are written only so this script is self-contained).
# The helpers (ref_lme, ref_lmer, ref_lm, ref_gls, save, ...) are helpers.R's, as every make_*.R script's.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
args <- commandArgs(TRUE); outdir <- args[1]
dir.create(file.path(outdir, "data"), showWarnings = FALSE, recursive = TRUE)

# ---- data: prepared exactly as in make_reference.R ----
wcsv(sleepstudy, "sleepstudy"); wcsv(Pastes, "pastes"); wcsv(Penicillin, "penicillin")
O <- as.data.frame(Orthodont); wcsv(O, "orthodont")   # NB: Sex keeps R's level order (Male, Female) -> term "SexFemale", as in orthodont_*.json

# ---- cases ----
save(ref_lme("sleepstudy_nlme_ml", sleepstudy, Reaction ~ Days, ~Days|Subject, "ML",
             sqlspec("sleepstudy", "Reaction ~ Days", "Days|Subject", "method=ML")), "sleepstudy_nlme_ml")
save(ref_lmer("orthodont_lmer_ml", O, distance ~ age + Sex + (1|Subject), FALSE,
              sqlspec("orthodont", "distance ~ age + Sex + (1|Subject)", NULL, "method=ML")), "orthodont_lmer_ml")
save(ref_lmer("pastes_lme4_crossed", Pastes, strength ~ 1 + (1|batch) + (1|batch:cask), TRUE,
              sqlspec("pastes", "strength ~ 1 + (1|batch) + (1|batch:cask)")), "pastes_lme4_crossed")
save(ref_lmer("penicillin_ml", Penicillin, diameter ~ 1 + (1|plate) + (1|sample), FALSE,
              sqlspec("penicillin", "diameter ~ 1 + (1|plate) + (1|sample)", NULL, "method=ML")), "penicillin_ml")
save(ref_lm("sleepstudy_lm_quad", sleepstudy, Reaction ~ Days + I(Days^2),
            sqlspec("sleepstudy", "Reaction ~ Days + I(Days^2)")), "sleepstudy_lm_quad")
# gls needs an explicit method option: with no random part and options=null the spec means plain OLS (cf. arabidopsis_LM vs _GLM2)
save(ref_gls("orthodont_gls_reml", O, distance ~ age * Sex, "REML",
             sqlspec("orthodont", "distance ~ age * Sex", NULL, "method=REML")), "orthodont_gls_reml")
