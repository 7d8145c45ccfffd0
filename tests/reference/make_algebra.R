# make_algebra.R — reference cases for the formula algebra of issue 15: '.' (every column of the data not
# otherwise used, as in the tutorial's lm(log(1 + total_fruits) ~ .*., data = X)), %in%, (a + b + c)^2, a/b in
# fixed terms, '-' of the intercept in a random part ((Days - 1 | Subject), (0 + f | g)) and (1 | a:b).
# Run as `Rscript make_algebra.R OUTDIR`, from anywhere; it reads ../data/*.csv beside it (read.csv keeps
# quoted columns as text) and writes OUTDIR/<case>.json.
script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
here <- dirname(script)
source(file.path(here, "helpers.R"))
args <- commandArgs(TRUE); outdir <- args[1]
csv <- function(name) read.csv(file.path(here, "..", "data", paste0(name, ".csv")))

A <- csv("arabidopsis")
# the tutorial's predictors with the response, as the tutorial prepares them: rack and nutrient are factors.
# The query's rowid column is read as the rows' rowids (so lmm_augment and lmm_predict join on it), not as a
# column that '.' stands for.
X <- data.frame(total_fruits = A$total_fruits, rack = factor(A$rack), nutrient = factor(A$nutrient), amd = A$amd,
                status = A$status)
q <- paste("SELECT rowid, total_fruits, CAST(rack AS TEXT) AS rack, CAST(nutrient AS TEXT) AS nutrient, amd, status",
           "FROM arabidopsis")
save(ref_lm("arabidopsis_dotdot", X, log(1 + total_fruits) ~ .*., sqlspec(q, "log(1 + total_fruits) ~ .*.")),
     "arabidopsis_dotdot")
save(ref_lm("arabidopsis_dot_minus", X, log(1 + total_fruits) ~ . - rack, sqlspec(q, "log(1 + total_fruits) ~ . - rack")),
     "arabidopsis_dot_minus")
An <- A; An$nutrient <- factor(An$nutrient)
save(ref_lm("arabidopsis_power", An, log(1 + total_fruits) ~ (amd + status + nutrient)^2,
            sqlspec("arabidopsis", "log(1 + total_fruits) ~ (amd + status + factor(nutrient))^2")), "arabidopsis_power")
save(ref_lm("arabidopsis_nest_fixed", An, log(1 + total_fruits) ~ amd/status,
            sqlspec("arabidopsis", "log(1 + total_fruits) ~ amd/status")), "arabidopsis_nest_fixed")
save(ref_lmer("arabidopsis_in", An, log(1 + total_fruits) ~ amd + status %in% amd + (1 | popu), FALSE,
              sqlspec("arabidopsis", "log(1 + total_fruits) ~ amd + status %in% amd + (1 | popu)", NULL, "method=ML")),
     "arabidopsis_in")
save(ref_lmer("arabidopsis_cross_group", An, log(1 + total_fruits) ~ amd + (1 | popu) + (1 | popu:gen), FALSE,
              sqlspec("arabidopsis", "log(1 + total_fruits) ~ amd + (1 | popu) + (1 | popu:gen)", NULL, "method=ML")),
     "arabidopsis_cross_group")
save(ref_lmer("arabidopsis_0plus_factor", An, log(1 + total_fruits) ~ nutrient + (0 + nutrient | popu), FALSE,
              sqlspec("arabidopsis", "log(1 + total_fruits) ~ factor(nutrient) + (0 + factor(nutrient) | popu)", NULL,
                      "method=ML")), "arabidopsis_0plus_factor")
S <- csv("sleepstudy")
save(ref_lmer("sleepstudy_minus1_slope", S, Reaction ~ Days + (1 | Subject) + (Days - 1 | Subject), FALSE,
              sqlspec("sleepstudy", "Reaction ~ Days + (1 | Subject) + (Days - 1 | Subject)", NULL, "method=ML")),
     "sleepstudy_minus1_slope")
S$Subject <- as.character(S$Subject)
save(ref_lme("sleepstudy_nlme_minus1", S, Reaction ~ Days, ~ Days - 1 | Subject, "REML",
             sqlspec("sleepstudy", "Reaction ~ Days", "Days - 1 | Subject", "method=REML")), "sleepstudy_nlme_minus1")
