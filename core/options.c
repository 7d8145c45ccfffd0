/* options.c — parse `method=ML`-style options; unknown keys and values are
 * errors that say what is allowed. */
#include "options.h"
#include "contrasts.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void trim(const char **s, const char **e) {
  while (*s < *e && isspace((unsigned char)**s)) (*s)++;
  while (*e > *s && isspace((unsigned char)(*e)[-1])) (*e)--;
}

int lmm_span_is(const char *s, const char *e, const char *word) {
  size_t n = strlen(word);
  return (size_t)(e - s) == n && !strncasecmp(s, word, n);
}

/* The end of the option that starts at p: the first comma outside parentheses and quotes, so a value may be a
 * call with arguments (weights=varIdent(form = ~ 1 | g), offset=log(pmax(n, 1))). A quote opens a text only
 * where a value or an argument begins (after '=', '(', '[' or ','), so an apostrophe inside a word
 * (title=Children's growth) is a letter. *open is the quote left open at the end of the text (0 for none); a
 * parenthesis left open runs to the end of the text, where the value's own reader says what is wrong. */
static const char *option_end(const char *p, char *open) {
  int depth = 0;
  char quote = 0, prev = ',';   /* the last character that is not a space */
  for (; *p; p++) {
    if (quote) { if (*p == '\\' && p[1]) p++; else if (*p == quote) { quote = 0; prev = *p; } continue; }
    if ((*p == '"' || *p == '\'' || *p == '`') && strchr("=([,", prev)) quote = *p;
    else if (*p == '(' || *p == '[') depth++;
    else if ((*p == ')' || *p == ']') && depth > 0) depth--;
    else if (*p == ',' && !depth) break;
    if (!isspace((unsigned char)*p)) prev = *p;
  }
  *open = quote;
  return p;
}

int lmm_option_next(const char **p, lmm_option *opt, const char *example, lmm_error *err) {
  *opt = (lmm_option){0};
  const char *s = *p ? *p : "";
  while (*s) {
    char open;
    const char *end = option_end(s, &open), *ks = s, *ke = end;
    s = *end ? end + 1 : end;
    *p = s;
    trim(&ks, &ke);
    if (ks == ke) continue;
    const char *eqs = memchr(ks, '=', (size_t)(ke - ks));
    if (!eqs)
      return lmm_fail(err, LMM_ERR, "options: '%.*s' is not of the form key=value (for example %s)",
                      (int)(ke - ks > 100 ? 100 : ke - ks), ks, example);
    *opt = (lmm_option){ks, eqs, eqs + 1, ke};
    trim(&opt->key, &opt->key_end);
    trim(&opt->val, &opt->val_end);
    if (open)
      return lmm_fail(err, LMM_ERR, "options: the value of %.*s opens a quote %c that is not closed",
                      (int)(opt->key_end - opt->key), opt->key, open);
    return LMM_OK;
  }
  *p = s;
  return LMM_OK;
}

/* Whether the text from s to e is one expression as far as its parentheses go: each ')' closes a '(' of its own
 * and none is left open, quotes and back-quoted names read as the formula reads them (a text's backslash escapes
 * a character, a name runs to the next back-quote), a quote left open counting as unpaired. offset=e is pasted
 * into the formula as offset(e): a ')' of e's own would close offset() and make what follows terms of the
 * formula (offset=x) + (1|g) adds a random effect), an open '(' would swallow what the formula puts after it. */
static int parens_pair(const char *s, const char *e) {
  int depth = 0;
  for (const char *p = s; p < e; p++) {
    if (*p == '\'' || *p == '"' || *p == '`') {
      char q = *p;
      for (p++; p < e && *p != q; p++)
        if (*p == '\\' && q != '`' && p + 1 < e) p++;
      if (p == e) return 0;
    } else if (*p == '(' || *p == '[') depth++;
    else if ((*p == ')' || *p == ']') && --depth < 0) return 0;
  }
  return depth == 0;
}

int lmm_options_parse(const char *text, lmm_options *o, lmm_error *err) {
  o->reml = 1;
  o->method_given = 0;
  o->save[0] = 0;
  strcpy(o->na, "NA");
  o->na_given = 0;
  o->contrasts = LMM_CONTR_TREATMENT;
  int contrasts_given = 0;
  o->offset[0] = 0;
  o->df = LMM_DF_DEFAULT;
  o->weights[0] = o->correlation[0] = 0;
  if (!text) return LMM_OK;
  lmm_option op;
  for (const char *p = text;;) {
    if (lmm_option_next(&p, &op, "method=ML", err)) return LMM_ERR;
    if (!op.key) break;
    const char *ks = op.key, *kend = op.key_end, *vs = op.val, *ve = op.val_end;
    if (lmm_span_is(ks, kend, "method")) {
      if (o->method_given) return lmm_fail(err, LMM_ERR, "options: method is given twice; keep one");
      if (lmm_span_is(vs, ve, "ML")) o->reml = 0;
      else if (lmm_span_is(vs, ve, "REML")) o->reml = 1;
      else return lmm_fail(err, LMM_ERR, "options: method must be ML or REML, not '%.*s'", (int)(ve - vs), vs);
      o->method_given = 1;
    } else if (lmm_span_is(ks, kend, "save")) {
      if (o->save[0]) return lmm_fail(err, LMM_ERR, "options: save is given twice; keep one");
      if (ve - vs >= 2 && (*vs == '"' || *vs == '\'' || *vs == '`') && ve[-1] == *vs) vs++, ve--;   /* save="m1": m1 */
      if (memchr(vs, ',', (size_t)(ve - vs)))   /* reached only quoted: a bare comma ends the option */
        return lmm_fail(err, LMM_ERR, "options: save takes a name without a comma, not '%.*s': lmm_anova and lmm_plot "
                        "take lists of names separated by commas, which could never name it", (int)(ve - vs), vs);
      if (ve == vs || (size_t)(ve - vs) >= sizeof o->save)
        return lmm_fail(err, LMM_ERR, "options: save needs a model name of 1 to %d characters", (int)sizeof o->save - 1);
      memcpy(o->save, vs, (size_t)(ve - vs));
      o->save[ve - vs] = 0;
    } else if (lmm_span_is(ks, kend, "na")) {
      if (o->na_given) return lmm_fail(err, LMM_ERR, "options: na is given twice; keep one");
      if ((size_t)(ve - vs) >= sizeof o->na)
        return lmm_fail(err, LMM_ERR, "options: na takes at most %d characters (texts between '|', as na=NA|-)",
                        (int)sizeof o->na - 1);
      memcpy(o->na, vs, (size_t)(ve - vs));
      o->na[ve - vs] = 0;
      o->na_given = 1;
    } else if (lmm_span_is(ks, kend, "contrasts")) {
      char name[32];
      int base = 0;
      if (contrasts_given) return lmm_fail(err, LMM_ERR, "options: contrasts is given twice; keep one");
      snprintf(name, sizeof name, "%.*s", (int)(ve - vs), vs);
      if ((size_t)(ve - vs) >= sizeof name || !lmm_contrast_named(name, &o->contrasts, &base) || base)
        return lmm_fail(err, LMM_ERR, "options: contrasts must be sum, helmert, poly or treatment (contr.sum, ...), "
                        "not '%.*s'", (int)(ve - vs), vs);
      contrasts_given = 1;
    } else if (lmm_span_is(ks, kend, "offset")) {   /* R's offset = argument: the formula's offset(), given here */
      if (o->offset[0]) return lmm_fail(err, LMM_ERR, "options: offset is given twice; keep one");
      if (ve == vs || (size_t)(ve - vs) >= sizeof o->offset)
        return lmm_fail(err, LMM_ERR, "options: offset needs an expression of 1 to %d characters, as "
                        "offset=log(n)", (int)sizeof o->offset - 1);
      if (!parens_pair(vs, ve))
        return lmm_fail(err, LMM_ERR, "options: offset takes one expression whose parentheses pair up, as "
                        "offset=log(n), not '%.*s'", (int)(ve - vs), vs);
      memcpy(o->offset, vs, (size_t)(ve - vs));
      o->offset[ve - vs] = 0;
    } else if (lmm_span_is(ks, kend, "df")) {
      static const char *const names[] = {"containment", "satterthwaite", "residual", "none", "kenward-roger"};
      if (o->df) return lmm_fail(err, LMM_ERR, "options: df is given twice; keep one");
      for (int i = 0; i < 5 && !o->df; i++) if (lmm_span_is(vs, ve, names[i])) o->df = LMM_DF_CONTAINMENT + i;
      if (!o->df)
        return lmm_fail(err, LMM_ERR, "options: df must be containment, satterthwaite, kenward-roger, residual or none, "
                        "not '%.*s'",
                        (int)(ve - vs), vs);
    } else if (lmm_span_is(ks, kend, "weights") || lmm_span_is(ks, kend, "correlation")) {   /* structure.c reads */
      int w = lmm_span_is(ks, kend, "weights");
      char *dst = w ? o->weights : o->correlation;
      if (dst[0]) return lmm_fail(err, LMM_ERR, "options: %s is given twice; keep one", w ? "weights" : "correlation");
      if (ve == vs || (size_t)(ve - vs) >= sizeof o->weights)
        return lmm_fail(err, LMM_ERR, "options: %s needs nlme's call of 1 to %d characters, as %s", w ? "weights" : "correlation",
                        (int)sizeof o->weights - 1, w ? "weights=varIdent(form = ~ 1 | g)" : "correlation=corAR1(form = ~ 1 | g)");
      memcpy(dst, vs, (size_t)(ve - vs));
      dst[ve - vs] = 0;
    } else {
      return lmm_fail(err, LMM_ERR, "options: unknown option '%.*s' (known: method, save, na, contrasts, offset, df, "
                      "weights, correlation)",
                      (int)(kend - ks), ks);
    }
  }
  return LMM_OK;
}
