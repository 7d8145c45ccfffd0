-- Load the reference data sets into SQLite.
-- Run from the repository root:  sqlite3 DB < tests/data/load.sql
-- One table per CSV (table name = file stem). The CSVs were written by R's write.csv(quote = TRUE):
-- a quoted column (character/factor in R) is TEXT; an unquoted numeric column is INTEGER when every
-- value is an integer, otherwise REAL. R's NA is written unquoted as NA; only sleep_na.csv has any
-- (checked), and its .import is followed by  UPDATE t SET "col" = NULL WHERE "col" = 'NA';  for each
-- column that has them. If a regenerated file gains NAs, add such an UPDATE after its .import.
-- Tables are dropped and recreated, so the script can be re-run on the same DB.
-- Expected row counts (CSV lines minus header): alfalfa 72, arabidopsis 625, assay 60, bodyweight 176, cake 270,
-- chickweight 578, crossed 600, dialyzer 140, dyestuff 30, dyestuff2 30, ergostool 36, grouseticks 403, gun 36, insteval 73421,
-- levels 90, machines 54, machines_new 3, mathach 7185, nest3 72, nest3_new 5, oats 72, orange 35, orthodont 108,
-- orthodont_chr 108, orthodont_new 4, ovary 308, oxboys 234, pastes 60, penicillin 144, pixel 102, pixel_new 6,
-- pixel_new_lm 5, rail 18, robust 180, sleep_na 180, sleepstudy 180, sleepstudy_new 4, wafer 400, warpbreaks 54,
-- warpbreaks_new 3, wheat2 224, large_crossed 16000, profile_valley 120.

DROP TABLE IF EXISTS "alfalfa";
CREATE TABLE "alfalfa" ("Variety" TEXT, "Date" TEXT, "Block" TEXT, "Yield" REAL);
.import --csv --skip 1 tests/data/alfalfa.csv alfalfa

DROP TABLE IF EXISTS "arabidopsis";
CREATE TABLE "arabidopsis" ("reg" TEXT, "popu" TEXT, "gen" INTEGER, "rack" INTEGER, "nutrient" INTEGER, "amd" TEXT, "status" TEXT, "total_fruits" INTEGER);
.import --csv --skip 1 tests/data/arabidopsis.csv arabidopsis

DROP TABLE IF EXISTS "assay";
CREATE TABLE "assay" ("Block" TEXT, "sample" TEXT, "dilut" TEXT, "logDens" REAL);
.import --csv --skip 1 tests/data/assay.csv assay

DROP TABLE IF EXISTS "bodyweight";
CREATE TABLE "bodyweight" ("weight" INTEGER, "Time" INTEGER, "Rat" TEXT, "Diet" TEXT);
.import --csv --skip 1 tests/data/bodyweight.csv bodyweight

DROP TABLE IF EXISTS "cake";
CREATE TABLE "cake" ("replicate" TEXT, "recipe" TEXT, "angle" INTEGER, "temp" INTEGER);
.import --csv --skip 1 tests/data/cake.csv cake

DROP TABLE IF EXISTS "chickweight";
CREATE TABLE "chickweight" ("weight" INTEGER, "Time" INTEGER, "Chick" TEXT, "Diet" TEXT);
.import --csv --skip 1 tests/data/chickweight.csv chickweight

-- crossed.csv (made up by tests/reference/make_unseen.R): three crossed factors, each with a slope in x
DROP TABLE IF EXISTS "crossed";
CREATE TABLE "crossed" ("a" TEXT, "b" TEXT, "c" TEXT, "x" REAL, "y" REAL);
.import --csv --skip 1 tests/data/crossed.csv crossed

DROP TABLE IF EXISTS "dialyzer";
CREATE TABLE "dialyzer" ("Subject" TEXT, "QB" TEXT, "pressure" REAL, "rate" REAL, "index" INTEGER);
.import --csv --skip 1 tests/data/dialyzer.csv dialyzer

DROP TABLE IF EXISTS "dyestuff";
CREATE TABLE "dyestuff" ("Batch" TEXT, "Yield" INTEGER);
.import --csv --skip 1 tests/data/dyestuff.csv dyestuff

DROP TABLE IF EXISTS "dyestuff2";
CREATE TABLE "dyestuff2" ("Batch" TEXT, "Yield" REAL);
.import --csv --skip 1 tests/data/dyestuff2.csv dyestuff2

DROP TABLE IF EXISTS "ergostool";
CREATE TABLE "ergostool" ("effort" INTEGER, "Type" TEXT, "Subject" TEXT);
.import --csv --skip 1 tests/data/ergostool.csv ergostool

-- grouseticks has a column named INDEX, an SQL keyword: the extension must quote the names it reads.
DROP TABLE IF EXISTS "grouseticks";
CREATE TABLE "grouseticks" ("INDEX" TEXT, "TICKS" INTEGER, "BROOD" TEXT, "HEIGHT" INTEGER, "YEAR" TEXT, "LOCATION" TEXT, "cHEIGHT" REAL);
.import --csv --skip 1 tests/data/grouseticks.csv grouseticks

DROP TABLE IF EXISTS "gun";
CREATE TABLE "gun" ("rounds" REAL, "Method" TEXT, "Team" TEXT, "Physique" TEXT);
.import --csv --skip 1 tests/data/gun.csv gun

DROP TABLE IF EXISTS "insteval";
CREATE TABLE "insteval" ("s" TEXT, "d" TEXT, "studage" TEXT, "lectage" TEXT, "service" TEXT, "dept" TEXT, "y" INTEGER);
.import --csv --skip 1 tests/data/insteval.csv insteval

-- levels.csv (made up by tests/reference/make_unseen.R) is UTF-8; dose is written as -1, 0.5, 2, 10 and 1e+05.
DROP TABLE IF EXISTS "levels";
CREATE TABLE "levels" ("grp" TEXT, "dose" REAL, "site" TEXT, "x" REAL, "y" REAL);
.import --csv --skip 1 tests/data/levels.csv levels

DROP TABLE IF EXISTS "machines";
CREATE TABLE "machines" ("Worker" TEXT, "Machine" TEXT, "score" REAL);
.import --csv --skip 1 tests/data/machines.csv machines

-- mathach.csv is nlme's MathAchieve with Sector and Size from MathAchSchool (tests/reference/make_unseen.R).
DROP TABLE IF EXISTS "machines_new";
CREATE TABLE "machines_new" ("Worker" TEXT, "Machine" TEXT);
.import --csv --skip 1 tests/data/machines_new.csv machines_new

DROP TABLE IF EXISTS "mathach";
CREATE TABLE "mathach" ("School" TEXT, "Minority" TEXT, "Sex" TEXT, "SES" REAL, "MathAch" REAL, "Sector" TEXT, "Size" INTEGER);
.import --csv --skip 1 tests/data/mathach.csv mathach

-- nest3.csv (made up by tests/reference/make_unseen.R): b and c labels repeat within every a, so only the
-- interactions a:b and a:b:c name the groups.
DROP TABLE IF EXISTS "nest3";
CREATE TABLE "nest3" ("a" TEXT, "b" TEXT, "c" TEXT, "rep" INTEGER, "x" REAL, "y" REAL);
.import --csv --skip 1 tests/data/nest3.csv nest3

-- The *_new tables are new rows for lmm_predict (tests/reference/make_unseen.R): known groups at new values, new groups.
DROP TABLE IF EXISTS "nest3_new";
CREATE TABLE "nest3_new" ("a" TEXT, "b" TEXT, "c" TEXT, "x" INTEGER);
.import --csv --skip 1 tests/data/nest3_new.csv nest3_new

DROP TABLE IF EXISTS "oats";
CREATE TABLE "oats" ("Block" TEXT, "Variety" TEXT, "nitro" REAL, "yield" INTEGER);
.import --csv --skip 1 tests/data/oats.csv oats

DROP TABLE IF EXISTS "orange";
CREATE TABLE "orange" ("Tree" TEXT, "age" INTEGER, "circumference" INTEGER);
.import --csv --skip 1 tests/data/orange.csv orange

DROP TABLE IF EXISTS "orthodont";
CREATE TABLE "orthodont" ("distance" REAL, "age" INTEGER, "Subject" TEXT, "Sex" TEXT);
.import --csv --skip 1 tests/data/orthodont.csv orthodont

-- orthodont_chr.csv has the same bytes as orthodont.csv; it exists for the orthodont_chr_* references, whose R fits
-- used character Sex/Subject (levels sorted alphabetically: Female, Male).
DROP TABLE IF EXISTS "orthodont_chr";
CREATE TABLE "orthodont_chr" ("distance" REAL, "age" INTEGER, "Subject" TEXT, "Sex" TEXT);
.import --csv --skip 1 tests/data/orthodont_chr.csv orthodont_chr

DROP TABLE IF EXISTS "orthodont_new";
CREATE TABLE "orthodont_new" ("Subject" TEXT, "Sex" TEXT, "age" INTEGER);
.import --csv --skip 1 tests/data/orthodont_new.csv orthodont_new

DROP TABLE IF EXISTS "ovary";
CREATE TABLE "ovary" ("Mare" TEXT, "Time" REAL, "follicles" INTEGER);
.import --csv --skip 1 tests/data/ovary.csv ovary

DROP TABLE IF EXISTS "oxboys";
CREATE TABLE "oxboys" ("Subject" TEXT, "age" REAL, "height" REAL, "Occasion" TEXT);
.import --csv --skip 1 tests/data/oxboys.csv oxboys

DROP TABLE IF EXISTS "pastes";
CREATE TABLE "pastes" ("strength" REAL, "batch" TEXT, "cask" TEXT, "sample" TEXT);
.import --csv --skip 1 tests/data/pastes.csv pastes

DROP TABLE IF EXISTS "penicillin";
CREATE TABLE "penicillin" ("diameter" INTEGER, "plate" TEXT, "sample" TEXT);
.import --csv --skip 1 tests/data/penicillin.csv penicillin

DROP TABLE IF EXISTS "pixel";
CREATE TABLE "pixel" ("Dog" TEXT, "Side" TEXT, "day" INTEGER, "pixel" REAL);
.import --csv --skip 1 tests/data/pixel.csv pixel

DROP TABLE IF EXISTS "pixel_new";
CREATE TABLE "pixel_new" ("Dog" TEXT, "Side" TEXT, "day" INTEGER);
.import --csv --skip 1 tests/data/pixel_new.csv pixel_new

DROP TABLE IF EXISTS "pixel_new_lm";
CREATE TABLE "pixel_new_lm" ("Dog" TEXT, "Side" TEXT, "day" INTEGER);
.import --csv --skip 1 tests/data/pixel_new_lm.csv pixel_new_lm

DROP TABLE IF EXISTS "rail";
CREATE TABLE "rail" ("Rail" TEXT, "travel" INTEGER);
.import --csv --skip 1 tests/data/rail.csv rail

-- robust.csv (written by tests/reference/make_robust.R) is sleepstudy plus rescaled columns for numerically hard
-- cases. Every numeric column is REAL on purpose, even the integer-valued Days and Days_big.
DROP TABLE IF EXISTS "robust";
CREATE TABLE "robust" ("Reaction" REAL, "Days" REAL, "Subject" TEXT, "Days_big" REAL, "Days_small" REAL, "Reaction_big" REAL, "Days_near" REAL, "Reaction_tiny" REAL);
.import --csv --skip 1 tests/data/robust.csv robust

-- sleep_na.csv is sleepstudy with R's NA in Reaction (rows 3, 50, 51, 170) and Days (rows 7, 100): NULL here.
DROP TABLE IF EXISTS "sleep_na";
CREATE TABLE "sleep_na" ("Reaction" REAL, "Days" INTEGER, "Subject" TEXT);
.import --csv --skip 1 tests/data/sleep_na.csv sleep_na
UPDATE "sleep_na" SET "Reaction" = NULL WHERE "Reaction" = 'NA';
UPDATE "sleep_na" SET "Days" = NULL WHERE "Days" = 'NA';

DROP TABLE IF EXISTS "sleepstudy";
CREATE TABLE "sleepstudy" ("Reaction" REAL, "Days" INTEGER, "Subject" TEXT);
.import --csv --skip 1 tests/data/sleepstudy.csv sleepstudy

DROP TABLE IF EXISTS "sleepstudy_new";
CREATE TABLE "sleepstudy_new" ("Subject" TEXT, "Days" REAL);
.import --csv --skip 1 tests/data/sleepstudy_new.csv sleepstudy_new

DROP TABLE IF EXISTS "wafer";
CREATE TABLE "wafer" ("Wafer" TEXT, "Site" TEXT, "voltage" REAL, "current" REAL);
.import --csv --skip 1 tests/data/wafer.csv wafer

DROP TABLE IF EXISTS "warpbreaks";
CREATE TABLE "warpbreaks" ("breaks" INTEGER, "wool" TEXT, "tension" TEXT);
.import --csv --skip 1 tests/data/warpbreaks.csv warpbreaks

DROP TABLE IF EXISTS "warpbreaks_new";
CREATE TABLE "warpbreaks_new" ("wool" TEXT, "tension" TEXT);
.import --csv --skip 1 tests/data/warpbreaks_new.csv warpbreaks_new

DROP TABLE IF EXISTS "wheat2";
CREATE TABLE "wheat2" ("Block" TEXT, "variety" TEXT, "yield" REAL, "latitude" REAL, "longitude" REAL);
.import --csv --skip 1 tests/data/wheat2.csv wheat2

-- large_crossed.csv (made up by tests/reference/make_large_crossed.R): 400 schools x 400 raters, 16,000 rows
DROP TABLE IF EXISTS "large_crossed";
CREATE TABLE "large_crossed" ("y" REAL, "x" REAL, "trt" TEXT, "school" TEXT, "rater" TEXT);
.import --csv --skip 1 tests/data/large_crossed.csv large_crossed

-- profile_valley.csv (made up by tests/reference/make_profile_valley.R): a profile whose correlation's path falls
-- into an sd's valley at 0
DROP TABLE IF EXISTS "profile_valley";
CREATE TABLE "profile_valley" ("y" REAL, "x" REAL, "z" REAL, "g" TEXT);
.import --csv --skip 1 tests/data/profile_valley.csv profile_valley
