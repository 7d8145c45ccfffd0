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

/* the options' spans, "key|value" each, from lmm_option_next */
static const char *spans(const char *text, char *out, size_t cap, lmm_error *err) {
  lmm_option op;
  size_t used = 0;
  out[0] = 0;
  for (const char *p = text;;) {
    if (lmm_option_next(&p, &op, "a=1", err)) return NULL;
    if (!op.key) break;
    used += (size_t)snprintf(out + used, cap - used, "[%.*s|%.*s]", (int)(op.key_end - op.key), op.key,
                             (int)(op.val_end - op.val), op.val);
  }
  return out;
}

void test_option_tokens(void) {
  char buf[512];
  lmm_error err = {0};
  CHECK_STR(spans(NULL, buf, sizeof buf, &err), "");
  CHECK_STR(spans(" , ,", buf, sizeof buf, &err), "");
  CHECK_STR(spans(" a = 1 ,b=, c= x y ", buf, sizeof buf, &err), "[a|1][b|][c|x y]");
  /* commas inside parentheses, brackets and quotes belong to the value */
  CHECK_STR(spans("weights=varIdent(form = ~ 1 | g, fixed = c(F = 0.5)), breaks=c(0, 5), x=v[1, 2]", buf, sizeof buf,
                  &err), "[weights|varIdent(form = ~ 1 | g, fixed = c(F = 0.5))][breaks|c(0, 5)][x|v[1, 2]]");
  CHECK_STR(spans("title='a, (b', y=\"c, d\", z=f('),', 1)", buf, sizeof buf, &err),
            "[title|'a, (b'][y|\"c, d\"][z|f('),', 1)]");
  /* a quote opens a text only where a value or an argument begins: an apostrophe in a word is a letter */
  CHECK_STR(spans("title=Children's growth, width=800", buf, sizeof buf, &err),
            "[title|Children's growth][width|800]");
  CHECK_STR(spans("t='it\\'s, ok', u=1", buf, sizeof buf, &err), "[t|'it\\'s, ok'][u|1]");
  /* the first '=' splits key from value */
  CHECK_STR(spans("f=y == 1", buf, sizeof buf, &err), "[f|y == 1]");
  /* a parenthesis left open runs to the end: the value's own reader names it */
  CHECK_STR(spans("offset=log(n, method=ML", buf, sizeof buf, &err), "[offset|log(n, method=ML]");
  CHECK(!spans("a=1, nsim", buf, sizeof buf, &err));
  CHECK_STR(err.msg, "options: 'nsim' is not of the form key=value (for example a=1)");
  err = (lmm_error){0};
  CHECK(!spans("a=1, title='open, b=2", buf, sizeof buf, &err));
  CHECK_STR(err.msg, "options: the value of title opens a quote ' that is not closed");
}
