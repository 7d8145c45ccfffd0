-- Load the reference data sets into SQLite.
-- Run from the repository root:  sqlite3 DB < tests/data/load.sql
-- One table per CSV (table name = file stem). The CSVs were written by R's write.csv(quote = TRUE):
-- a quoted column (character/factor in R) is TEXT; an unquoted numeric column is INTEGER when every
-- value is an integer, otherwise REAL. R's NA would be written unquoted as NA; none of these files
-- contains any NA (checked), so no NA -> NULL updates are needed. If a regenerated file gains NAs,
-- add  UPDATE t SET "col" = NULL WHERE "col" = 'NA';  after its .import.
-- Tables are dropped and recreated, so the script can be re-run on the same DB.
-- Expected row counts (CSV lines minus header): arabidopsis 625, bodyweight 176, cake 270, dyestuff 30, ergostool 36, insteval 73421, machines 54, oats 72, orthodont 108, orthodont_chr 108, pastes 60, penicillin 144, rail 18, robust 180, sleepstudy 180.

DROP TABLE IF EXISTS "arabidopsis";
CREATE TABLE "arabidopsis" ("reg" TEXT, "popu" TEXT, "gen" INTEGER, "rack" INTEGER, "nutrient" INTEGER, "amd" TEXT, "status" TEXT, "total_fruits" INTEGER);
.import --csv --skip 1 tests/data/arabidopsis.csv arabidopsis

DROP TABLE IF EXISTS "bodyweight";
CREATE TABLE "bodyweight" ("weight" INTEGER, "Time" INTEGER, "Rat" TEXT, "Diet" TEXT);
.import --csv --skip 1 tests/data/bodyweight.csv bodyweight

DROP TABLE IF EXISTS "cake";
CREATE TABLE "cake" ("replicate" TEXT, "recipe" TEXT, "angle" INTEGER, "temp" INTEGER);
.import --csv --skip 1 tests/data/cake.csv cake

DROP TABLE IF EXISTS "dyestuff";
CREATE TABLE "dyestuff" ("Batch" TEXT, "Yield" INTEGER);
.import --csv --skip 1 tests/data/dyestuff.csv dyestuff

DROP TABLE IF EXISTS "ergostool";
CREATE TABLE "ergostool" ("effort" INTEGER, "Type" TEXT, "Subject" TEXT);
.import --csv --skip 1 tests/data/ergostool.csv ergostool

DROP TABLE IF EXISTS "insteval";
CREATE TABLE "insteval" ("s" TEXT, "d" TEXT, "studage" TEXT, "lectage" TEXT, "service" TEXT, "dept" TEXT, "y" INTEGER);
.import --csv --skip 1 tests/data/insteval.csv insteval

DROP TABLE IF EXISTS "machines";
CREATE TABLE "machines" ("Worker" TEXT, "Machine" TEXT, "score" REAL);
.import --csv --skip 1 tests/data/machines.csv machines

DROP TABLE IF EXISTS "oats";
CREATE TABLE "oats" ("Block" TEXT, "Variety" TEXT, "nitro" REAL, "yield" INTEGER);
.import --csv --skip 1 tests/data/oats.csv oats

DROP TABLE IF EXISTS "orthodont";
CREATE TABLE "orthodont" ("distance" REAL, "age" INTEGER, "Subject" TEXT, "Sex" TEXT);
.import --csv --skip 1 tests/data/orthodont.csv orthodont

-- orthodont_chr.csv has the same bytes as orthodont.csv; it exists for the orthodont_chr_* references, whose R fits
-- used character Sex/Subject (levels sorted alphabetically: Female, Male).
DROP TABLE IF EXISTS "orthodont_chr";
CREATE TABLE "orthodont_chr" ("distance" REAL, "age" INTEGER, "Subject" TEXT, "Sex" TEXT);
.import --csv --skip 1 tests/data/orthodont_chr.csv orthodont_chr

DROP TABLE IF EXISTS "pastes";
CREATE TABLE "pastes" ("strength" REAL, "batch" TEXT, "cask" TEXT, "sample" TEXT);
.import --csv --skip 1 tests/data/pastes.csv pastes

DROP TABLE IF EXISTS "penicillin";
CREATE TABLE "penicillin" ("diameter" INTEGER, "plate" TEXT, "sample" TEXT);
.import --csv --skip 1 tests/data/penicillin.csv penicillin

DROP TABLE IF EXISTS "rail";
CREATE TABLE "rail" ("Rail" TEXT, "travel" INTEGER);
.import --csv --skip 1 tests/data/rail.csv rail

-- robust.csv (written by tests/reference/make_robust.R) is sleepstudy plus rescaled columns for numerically hard
-- cases. Every numeric column is REAL on purpose, even the integer-valued Days and Days_big.
DROP TABLE IF EXISTS "robust";
CREATE TABLE "robust" ("Reaction" REAL, "Days" REAL, "Subject" TEXT, "Days_big" REAL, "Days_small" REAL, "Reaction_big" REAL, "Days_near" REAL, "Reaction_tiny" REAL);
.import --csv --skip 1 tests/data/robust.csv robust

DROP TABLE IF EXISTS "sleepstudy";
CREATE TABLE "sleepstudy" ("Reaction" REAL, "Days" INTEGER, "Subject" TEXT);
.import --csv --skip 1 tests/data/sleepstudy.csv sleepstudy
