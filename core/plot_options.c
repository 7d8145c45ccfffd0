/* plot_options.c — the kinds and options of plot_options.h; a value out of range says the range. */
#include "plot_options.h"
#include "options.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const kind_names[LMM_PLOT_NKINDS] = {
  "qq", "resid_fitted", "scale_location", "resid_leverage", "diagnostics", "ranef", "coef", "ic", "histogram", "barplot"};

const char *lmm_plot_kind_name(int kind) { return kind >= 0 && kind < LMM_PLOT_NKINDS ? kind_names[kind] : "?"; }

int lmm_plot_kind_parse(const char *name, int *kind, lmm_error *err) {
  for (int k = 0; k < LMM_PLOT_HISTOGRAM; k++)
    if (name && !strcasecmp(name, kind_names[k])) {
      *kind = k;
      return LMM_OK;
    }
  return lmm_fail(err, LMM_ERR, "unknown kind '%s': lmm_plot draws qq, resid_fitted, scale_location, resid_leverage, "
                  "diagnostics, ranef, coef or ic (histograms and bar plots are the aggregates lmm_histogram and "
                  "lmm_barplot)", name ? name : "NULL");
}

#define K(k) (1u << (k))
#define RESID_KINDS (K(LMM_PLOT_QQ) | K(LMM_PLOT_RESID_FITTED))
#define SMOOTH_KINDS (K(LMM_PLOT_RESID_FITTED) | K(LMM_PLOT_SCALE_LOCATION) | K(LMM_PLOT_RESID_LEVERAGE))
#define XY_KINDS (~(K(LMM_PLOT_DIAGNOSTICS) | K(LMM_PLOT_RANEF) | K(LMM_PLOT_IC)))

typedef struct option_key { const char *key; unsigned kinds; const char *readers; } option_key;
static const option_key keys[] = {
  {"width", ~0u, NULL}, {"height", ~0u, NULL}, {"title", ~0u, NULL},
  {"xlab", XY_KINDS, "every kind but diagnostics, ranef and ic"}, {"ylab", XY_KINDS, "every kind but diagnostics, ranef and ic"},
  {"xlim", XY_KINDS & ~K(LMM_PLOT_BARPLOT), "qq, resid_fitted, scale_location, resid_leverage, coef and histogram"},
  {"ylim", XY_KINDS & ~K(LMM_PLOT_COEF), "qq, resid_fitted, scale_location, resid_leverage, histogram and barplot"},
  {"type", RESID_KINDS, "qq and resid_fitted"},
  {"level", K(LMM_PLOT_RANEF), "ranef"}, {"interval", K(LMM_PLOT_RANEF), "ranef"},
  {"smooth", SMOOTH_KINDS, "resid_fitted, scale_location and resid_leverage"},
};

/* the value's number, all of it, or 0 */
static int read_number(const char *v, double *out) {
  char *end;
  *out = strtod(v, &end);
  while (isspace((unsigned char)*end)) end++;
  return end != v && !*end && isfinite(*out);
}

/* lo:hi, lo hi or R's c(lo, hi) */
static int read_limits(const char *key, const char *v, double lim[2], lmm_error *err) {
  char a[128], *sep;
  size_t n = strlen(v);
  int call = n > 3 && !strncmp(v, "c(", 2) && v[n - 1] == ')';
  snprintf(a, sizeof a, "%.*s", (int)(call ? n - 3 : n), call ? v + 2 : v);
  sep = strchr(a + 1, call ? ',' : ':');   /* a[0] may be a minus sign */
  if (!sep && !call) sep = strchr(a + 1, ' ');
  if (sep) *sep = 0;
  if (!sep || !read_number(a, &lim[0]) || !read_number(sep + 1, &lim[1]))
    return lmm_fail(err, LMM_ERR, "options: %s must be two numbers lo:hi (as %s=-3.5:3.5 or %s=c(-3.5, 3.5)), not '%s'",
                    key, key, key, v);
  if (!(lim[0] < lim[1]))
    return lmm_fail(err, LMM_ERR, "options: %s=%s: the first limit must be below the second", key, v);
  return LMM_OK;
}

static int set_option(lmm_plot_options *o, const char *key, const char *v, lmm_error *err) {
  double x;
  if (!strcasecmp(key, "width") || !strcasecmp(key, "height")) {
    if (!read_number(v, &x) || x < 100 || x > 4000)
      return lmm_fail(err, LMM_ERR, "options: %s must be a number of pixels from 100 to 4000, not '%s'", key, v);
    *(key[0] == 'w' || key[0] == 'W' ? &o->width : &o->height) = x;
  } else if (!strcasecmp(key, "title")) snprintf(o->title, sizeof o->title, "%s", v);
  else if (!strcasecmp(key, "xlab")) snprintf(o->xlab, sizeof o->xlab, "%s", v);
  else if (!strcasecmp(key, "ylab")) snprintf(o->ylab, sizeof o->ylab, "%s", v);
  else if (!strcasecmp(key, "xlim")) {
    if (read_limits(key, v, o->xlim, err)) return LMM_ERR;
    o->has_xlim = 1;
  } else if (!strcasecmp(key, "ylim")) {
    if (read_limits(key, v, o->ylim, err)) return LMM_ERR;
    o->has_ylim = 1;
  } else if (!strcasecmp(key, "type")) {
    if (!strcasecmp(v, "normalized")) o->type = LMM_RESID_NORMALIZED;
    else if (!strcasecmp(v, "pearson")) o->type = LMM_RESID_PEARSON;
    else if (!strcasecmp(v, "response")) o->type = LMM_RESID_RESPONSE;
    else return lmm_fail(err, LMM_ERR, "options: type must be normalized, pearson or response, not '%s'", v);
  } else if (!strcasecmp(key, "level")) {
    if (!read_number(v, &x) || x != floor(x) || x < 1 || x > 100)
      return lmm_fail(err, LMM_ERR, "options: level must be a whole number from 1 (the outermost grouping), not '%s'", v);
    o->level = (int)x;
  } else if (!strcasecmp(key, "interval")) {
    if (!read_number(v, &x) || x < 0 || x >= 1)
      return lmm_fail(err, LMM_ERR, "options: interval must be a coverage from 0 (no bars) to below 1, as "
                      "interval=0.95, not '%s'", v);
    o->interval = x;
  } else if (!strcasecmp(key, "smooth")) {
    if (strcmp(v, "0") && strcmp(v, "1")) return lmm_fail(err, LMM_ERR, "options: smooth must be 1 or 0, not '%s'", v);
    o->smooth = v[0] == '1';
  }
  return LMM_OK;
}

int lmm_plot_options_parse(const char *text, int kind, lmm_plot_options *o, lmm_error *err) {
  memset(o, 0, sizeof *o);
  o->kind = kind;
  o->width = 640;
  o->height = 480;
  o->smooth = 1;
  unsigned seen = 0;
  lmm_option op;
  for (const char *p = text;;) {
    char key[32], val[256];
    if (lmm_option_next(&p, &op, "width=800", err)) return LMM_ERR;
    if (!op.key) break;
    snprintf(key, sizeof key, "%.*s", (int)(op.key_end - op.key > 31 ? 31 : op.key_end - op.key), op.key);
    const char *v = op.val, *ve = op.val_end;
    if (ve - v >= 2 && (*v == '\'' || *v == '"') && ve[-1] == *v) v++, ve--;   /* a quoted value may hold commas */
    if (ve - v >= (long)sizeof val) return lmm_fail(err, LMM_ERR, "options: the value of %s is longer than %d characters",
                                                    key, (int)sizeof val - 1);
    snprintf(val, sizeof val, "%.*s", (int)(ve - v), v);
    size_t k = 0, nkeys = sizeof keys / sizeof *keys;
    while (k < nkeys && strcasecmp(key, keys[k].key)) k++;
    if (k == nkeys)
      return lmm_fail(err, LMM_ERR, "options: unknown option '%s'; the options are width, height, title, xlab, ylab, "
                      "xlim, ylim, type, level, interval and smooth", key);
    if (!(keys[k].kinds & K(kind)))
      return lmm_fail(err, LMM_ERR, "options: %s= does not apply to %s; it is read by %s", keys[k].key,
                      lmm_plot_kind_name(kind), keys[k].readers);
    if (seen & K(k)) return lmm_fail(err, LMM_ERR, "options: %s is given twice; keep one", keys[k].key);
    seen |= K(k);
    if (set_option(o, keys[k].key, val, err)) return LMM_ERR;
  }
  return LMM_OK;
}
