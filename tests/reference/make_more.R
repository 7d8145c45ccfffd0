# More reference cases for the lmm extension (supplements make_reference.R / make_extra.R; same JSON shape).
# Usage: Rscript make_more.R OUTDIR
# Writes OUTDIR/<case>.json and OUTDIR/data/orthodont_chr.csv (copy that CSV to tests/data/).
#  * arabidopsis_lmm7.2_lme4, arabidopsis_lmm8_lme4: lme4 ML fits of the random-slope models lmm7.2 and lmm8 (crossed-bar
#    notation), where nlme (arabidopsis_lmm7.2.json, arabidopsis_lmm8.json) stops short of the optimum. Each is fitted with
#    lmerControl(optimizer = "bobyqa") and with the default lmerControl(); the fit with the higher logLik is kept and the
#    JSON's "note" says which optimizer won.
#  * orthodont_chr_{reml,ml,lm}: Orthodont with Sex and Subject as character, so R's factor levels sort alphabetically
#    (Female first, as SQLite text does) instead of R's Orthodont order (Male, Female).
# The helpers (ref_lme, ref_lmer with its `control` argument, ref_lm, save, ...) are helpers.R's.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
args <- commandArgs(TRUE); outdir <- args[1]
dir.create(file.path(outdir, "data"), showWarnings = FALSE, recursive = TRUE)

# Fit an lmer model with the bobyqa optimizer and with the default one, print both logLiks and keep the better fit.
best_lmer <- function(name, data, formula, REML, sql) {
  fits <- list(bobyqa = ref_lmer(name, data, formula, REML, sql, lmerControl(optimizer = "bobyqa")),
               default = ref_lmer(name, data, formula, REML, sql, lmerControl()))
  ll <- sapply(fits, `[[`, "logLik")
  cat(sprintf("%s: logLik bobyqa = %.8f, default (%s) = %.8f\n", name, ll[["bobyqa"]],
              paste(lmerControl()$optimizer, collapse = "+"), ll[["default"]]))
  win <- if (ll[["bobyqa"]] > ll[["default"]]) "bobyqa" else "default"
  res <- fits[[win]]
  res$note <- sprintf(paste0("lme4 ML fit; nlme stops short of this optimum. Fitted with lmerControl(optimizer = \"bobyqa\") ",
                             "(logLik %.8f) and the default lmerControl() [%s] (logLik %.8f); kept the higher: %s."),
                      ll[["bobyqa"]], paste(lmerControl()$optimizer, collapse = "+"), ll[["default"]],
                      if (win == "bobyqa") "bobyqa" else "default optimizer")
  d_fix <- max(abs(sapply(fits$bobyqa$fixed, `[[`, "estimate") - sapply(fits$default$fixed, `[[`, "estimate")))
  d_rp <- max(abs(sapply(fits$bobyqa$ran_pars, `[[`, "estimate") - sapply(fits$default$ran_pars, `[[`, "estimate")))
  res$note <- paste0(res$note, sprintf(paste0(" Between the two fits: |logLik difference| %.2g, max |fixed-effect difference| %.2g, ",
                                              "max |ran_pars difference| %.2g (singular fit: %s)."),
                                       abs(ll[["bobyqa"]] - ll[["default"]]), d_fix, d_rp, res$singular))
  cat(sprintf("%s: kept %s\n", name, win))
  res
}

# ---- Arabidopsis: prepared exactly as in make_reference.R ----
data(Arabidopsis); A <- Arabidopsis
A[,c("gen","rack","nutrient")] <- lapply(A[,c("gen","rack","nutrient")], factor); A$y <- log(1 + A$total.fruits)
fs <- "log(1 + total_fruits) ~ factor(rack) + factor(nutrient) + amd + status"
save(best_lmer("lmm7.2_lme4", A, y ~ rack + nutrient + amd + status + (nutrient|reg) + (nutrient|reg:popu) + (nutrient|reg:popu:gen), FALSE,
               sqlspec("arabidopsis", paste(fs, "+ (factor(nutrient)|reg) + (factor(nutrient)|reg:popu) + (factor(nutrient)|reg:popu:gen)"), NULL, "method=ML")),
     "arabidopsis_lmm7.2_lme4")
save(best_lmer("lmm8_lme4", A, y ~ rack + nutrient + amd + status + nutrient:amd + (nutrient|popu) + (nutrient|popu:gen), FALSE,
               sqlspec("arabidopsis", paste(fs, "+ factor(nutrient):amd + (factor(nutrient)|popu) + (factor(nutrient)|popu:gen)"), NULL, "method=ML")),
     "arabidopsis_lmm8_lme4")

# ---- Orthodont with character Sex/Subject: levels sort alphabetically (Female, Male), as SQLite text does ----
Oc <- as.data.frame(Orthodont); Oc$Sex <- as.character(Oc$Sex); Oc$Subject <- as.character(Oc$Subject); wcsv(Oc, "orthodont_chr")
save(ref_lme("orthodont_chr_reml", Oc, distance ~ age * Sex, ~age|Subject, "REML",
             sqlspec("orthodont_chr", "distance ~ age * Sex", "age|Subject")), "orthodont_chr_reml")
save(ref_lme("orthodont_chr_ml", Oc, distance ~ age * Sex, ~age|Subject, "ML",
             sqlspec("orthodont_chr", "distance ~ age * Sex", "age|Subject", "method=ML")), "orthodont_chr_ml")
save(ref_lm("orthodont_chr_lm", Oc, distance ~ age * Sex + I(age^2),
            sqlspec("orthodont_chr", "distance ~ age * Sex + I(age^2)")), "orthodont_chr_lm")
for (nm in c("orthodont_chr_reml", "orthodont_chr_ml", "orthodont_chr_lm"))
  cat(sprintf("%s: logLik = %.8f\n", nm, fromJSON(file.path(outdir, paste0(nm, ".json")))$logLik))
