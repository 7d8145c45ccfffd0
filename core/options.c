/* options.c — parse `method=ML`-style options; unknown keys and values are
 * errors that say what is allowed. */
#include "options.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static void trim(const char **s, const char **e) {
  while (*s < *e && isspace((unsigned char)**s)) (*s)++;
  while (*e > *s && isspace((unsigned char)(*e)[-1])) (*e)--;
}

static int eq(const char *s, const char *e, const char *word) {
  size_t n = strlen(word);
  return (size_t)(e - s) == n && !strncasecmp(s, word, n);
}

int lmm_options_parse(const char *text, lmm_options *o, lmm_error *err) {
  o->reml = 1;
  o->method_given = 0;
  o->save[0] = 0;
  strcpy(o->na, "NA");
  o->na_given = 0;
  o->df = LMM_DF_DEFAULT;
  if (!text) return LMM_OK;
  const char *p = text;
  while (*p) {
    const char *end = strchr(p, ',');
    if (!end) end = p + strlen(p);
    const char *ks = p, *ke = end;
    trim(&ks, &ke);
    if (ks < ke) {
      const char *eqs = memchr(ks, '=', (size_t)(ke - ks));
      if (!eqs)
        return lmm_fail(err, LMM_ERR, "options: '%.*s' is not of the form key=value (for example method=ML)",
                        (int)(ke - ks), ks);
      const char *vs = eqs + 1, *ve = ke, *kend = eqs;
      trim(&ks, &kend);
      trim(&vs, &ve);
      if (eq(ks, kend, "method")) {
        if (o->method_given) return lmm_fail(err, LMM_ERR, "options: method is given twice; keep one");
        if (eq(vs, ve, "ML")) o->reml = 0;
        else if (eq(vs, ve, "REML")) o->reml = 1;
        else return lmm_fail(err, LMM_ERR, "options: method must be ML or REML, not '%.*s'", (int)(ve - vs), vs);
        o->method_given = 1;
      } else if (eq(ks, kend, "save")) {
        if (o->save[0]) return lmm_fail(err, LMM_ERR, "options: save is given twice; keep one");
        if (ve == vs || (size_t)(ve - vs) >= sizeof o->save)
          return lmm_fail(err, LMM_ERR, "options: save needs a model name of 1 to %d characters", (int)sizeof o->save - 1);
        memcpy(o->save, vs, (size_t)(ve - vs));
        o->save[ve - vs] = 0;
      } else if (eq(ks, kend, "na")) {
        if (o->na_given) return lmm_fail(err, LMM_ERR, "options: na is given twice; keep one");
        if ((size_t)(ve - vs) >= sizeof o->na)
          return lmm_fail(err, LMM_ERR, "options: na takes at most %d characters (texts between '|', as na=NA|-)",
                          (int)sizeof o->na - 1);
        memcpy(o->na, vs, (size_t)(ve - vs));
        o->na[ve - vs] = 0;
        o->na_given = 1;
      } else if (eq(ks, kend, "df")) {
        static const char *const names[] = {"containment", "satterthwaite", "residual", "none"};
        if (o->df) return lmm_fail(err, LMM_ERR, "options: df is given twice; keep one");
        for (int i = 0; i < 4 && !o->df; i++) if (eq(vs, ve, names[i])) o->df = LMM_DF_CONTAINMENT + i;
        if (!o->df)
          return lmm_fail(err, LMM_ERR, "options: df must be containment, satterthwaite, residual or none, not '%.*s'",
                          (int)(ve - vs), vs);
      } else {
        return lmm_fail(err, LMM_ERR, "options: unknown option '%.*s' (known: method, save, na, df)", (int)(kend - ks), ks);
      }
    }
    p = *end ? end + 1 : end;
  }
  return LMM_OK;
}
