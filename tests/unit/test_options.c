/* test_options.c — the options string: method=ML / method=REML. */
#include "harness.h"
#include "options.h"

void test_options_valid(void) {
  lmm_options o;
  lmm_error err = {0};
  CHECK_INT(lmm_options_parse(NULL, &o, &err), LMM_OK);
  CHECK_INT(o.reml, 1);                   /* REML is R's default */
  CHECK_INT(o.method_given, 0);
  CHECK_INT(lmm_options_parse("", &o, &err), LMM_OK);
  CHECK_INT(o.reml, 1);
  CHECK_INT(o.method_given, 0);
  CHECK_INT(lmm_options_parse("method=ML", &o, &err), LMM_OK);
  CHECK_INT(o.reml, 0);
  CHECK_INT(o.method_given, 1);
  CHECK_INT(lmm_options_parse(" Method = reml ", &o, &err), LMM_OK);
  CHECK_INT(o.reml, 1);
  CHECK_INT(o.method_given, 1);
  CHECK_INT(lmm_options_parse("METHOD=ml", &o, &err), LMM_OK);
  CHECK_INT(o.reml, 0);
  CHECK_STR(o.na, "NA");                  /* R's na.strings */
  CHECK_INT(o.na_given, 0);
  CHECK_INT(lmm_options_parse("na=NA|-|., method=ML", &o, &err), LMM_OK);
  CHECK_STR(o.na, "NA|-|.");
  CHECK_INT(o.na_given, 1);
  CHECK_INT(o.df, LMM_DF_DEFAULT);
  CHECK_INT(lmm_options_parse("df=Satterthwaite, method=ML", &o, &err), LMM_OK);
  CHECK_INT(o.df, LMM_DF_SATTERTHWAITE);
  CHECK_INT(lmm_options_parse(" df = none", &o, &err), LMM_OK);
  CHECK_INT(o.df, LMM_DF_NONE);
  CHECK_INT(lmm_options_parse("df=containment", &o, &err), LMM_OK);
  CHECK_INT(o.df, LMM_DF_CONTAINMENT);
  CHECK_INT(lmm_options_parse("df=residual", &o, &err), LMM_OK);
  CHECK_INT(o.df, LMM_DF_RESIDUAL);
  CHECK_INT(lmm_options_parse("df=", &o, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "df must be containment, satterthwaite, kenward-roger, residual or none, not ''");
  err = (lmm_error){0};
  CHECK_INT(lmm_options_parse("na=-, na=.", &o, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "na is given twice");
  err = (lmm_error){0};
  /* a previous parse leaves nothing behind */
  CHECK_INT(lmm_options_parse("  ", &o, &err), LMM_OK);
  CHECK_INT(o.reml, 1);
  CHECK_INT(o.method_given, 0);
}

void test_options_errors(void) {
  lmm_options o;
  lmm_error err = {0};
  CHECK_INT(lmm_options_parse("foo=1", &o, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "'foo'");
  CHECK_CONTAINS(err.msg, "method");
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_options_parse("method=GLS", &o, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "'GLS'");
  CHECK_CONTAINS(err.msg, "ML or REML");
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_options_parse("method=", &o, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "ML or REML");
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_options_parse("method", &o, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "'method'");
  CHECK_CONTAINS(err.msg, "key=value");
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_options_parse("method=ML, verbose", &o, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "'verbose'");
  /* a repeated key would leave the fit to whichever came last */
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_options_parse("method=ML, method=REML", &o, &err), LMM_ERR);
  CHECK_STR(err.msg, "options: method is given twice; keep one");
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_options_parse("save=a, save=b", &o, &err), LMM_ERR);
  CHECK_STR(err.msg, "options: save is given twice; keep one");
}
