/* lmm_plot.c — lmm_plot(models, kind [, options]): figures of saved models as SVG text (core/plot.h).
 *
 *   SELECT lmm_plot('GLM, lmm6.2', 'qq', 'xlim=-3.5:3.5, ylim=-3.5:3.5');
 *   SELECT lmm_plot('lmm6.2', 'ranef', 'level=2, interval=0.95');
 *   SELECT lmm_plot('GLM2, final', 'coef');
 *
 * models is a saved model's name or a comma-separated list of them.  What each kind reads:
 * the residual kinds the rows again (lmm_store_open_structured, as lmm_augment: a residual structure's Pearson
 * residuals by default, as nlme's plot(m)), ranef the snapshot (lmm_store_restore_structured, as lmm_ranef), coef
 * and ic the saved rows (lmm_store_read, as lmm_tidy).  Core computes every number and draws; this file gathers
 * and copies. */
#include "lmm_plot.h"
SQLITE_EXTENSION_INIT3

#include <stdio.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/plot.h"
#include "source.h"
#include "sql_error.h"
#include "store.h"
#include "text_arg.h"

#define MAX_MODELS 16

typedef struct model_list {
  int n;
  char *name[MAX_MODELS];   /* sqlite3_malloc'd */
} model_list;

static void models_free(model_list *l) {
  for (int k = 0; k < l->n; k++) sqlite3_free(l->name[k]);
  l->n = 0;
}

static int models_split(const char *text, model_list *l, char **errmsg) {
  l->n = 0;
  for (const char *p = text;;) {
    const char *e = strchr(p, ',');
    if (!e) e = p + strlen(p);
    const char *a = p, *b = e;
    while (a < b && (*a == ' ' || *a == '\t' || *a == '\n')) a++;
    while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\n')) b--;
    if (a == b) {
      *errmsg = sqlite3_mprintf("lmm_plot: the list of models '%s' has an empty name; name saved models between "
                                "commas, as 'GLM, lmm6.2'", text);
      return SQLITE_ERROR;
    }
    if (l->n == MAX_MODELS) {
      *errmsg = sqlite3_mprintf("lmm_plot: at most %d models in one figure", MAX_MODELS);
      return SQLITE_ERROR;
    }
    if (!(l->name[l->n] = sqlite3_mprintf("%.*s", (int)(b - a), a))) return SQLITE_NOMEM;
    l->n++;
    if (!*e) return SQLITE_OK;
    p = e + 1;
  }
}

static int core_error(char **errmsg, const lmm_error *err) { return lmm_sql_error(errmsg, "lmm_plot", err); }

/* ---- the residual kinds: every model's rows ------------------------------------------------------- */

typedef struct opened { lmm_model *m; lmm_residuals *res; } opened;

/* The default: plot.lm's for an lm fit; nlme's plot(m) and qqnorm(m), Pearson's, for a structured fit; else
 * normalized (the same numbers as Pearson's without a structure). */
static const double *resid_of(const lmm_residuals *r, const lmm_model *m, int type, int kind, const char **label) {
  if (type == LMM_RESID_DEFAULT) {
    if (m->style == LMM_STYLE_LM) type = kind == LMM_PLOT_QQ ? -1 : LMM_RESID_RESPONSE;
    else type = m->structure ? LMM_RESID_PEARSON : LMM_RESID_NORMALIZED;
  }
  switch (type) {
  case -1: *label = "Standardized residuals"; return r->std_resid;
  case LMM_RESID_PEARSON: *label = "Pearson residuals"; return r->pearson;
  case LMM_RESID_RESPONSE: *label = "Residuals"; return r->response;
  default: *label = "Normalized residuals"; return r->normalized;
  }
}

static int plot_residuals(sqlite3 *db, const model_list *l, const lmm_plot_options *o, char **svg, char **errmsg) {
  opened op[MAX_MODELS] = {{0}};
  lmm_plot_rows rows[MAX_MODELS];
  int rc = SQLITE_OK, needs_hat = o->kind != LMM_PLOT_QQ && o->kind != LMM_PLOT_RESID_FITTED;
  if (needs_hat && l->n > 1) {
    *errmsg = sqlite3_mprintf("lmm_plot: kind '%s' draws one model; '%s' names %d", lmm_plot_kind_name(o->kind),
                              l->name[0], l->n);
    return SQLITE_ERROR;
  }
  lmm_error err = {0};
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, db);
  for (int k = 0; k < l->n && rc == SQLITE_OK; k++) {
    rc = lmm_store_open_structured(db, l->name[k], &op[k].m, errmsg);
    if (rc != SQLITE_OK) {
      lmm_source_error_in("lmm_plot", errmsg);
      break;
    }
    if (lmm_model_residuals(op[k].m, lmm_interrupt_probe_check, &probe, &op[k].res, &err)) {
      rc = core_error(errmsg, &err);
      break;
    }
    if (needs_hat && op[k].m->structure) {
      *errmsg = sqlite3_mprintf("lmm_plot: kind '%s' is plot(lm)'s and needs hat values, which a fit with weights= or "
                                "correlation= has none of (nlme gives none); draw '%s' with kind qq or resid_fitted",
                                lmm_plot_kind_name(o->kind), l->name[k]);
      rc = SQLITE_ERROR;
      break;
    }
    if (needs_hat && !op[k].res->hat) {
      *errmsg = sqlite3_mprintf("lmm_plot: kind '%s' is plot(lm)'s and needs a fit without random effects; '%s' has "
                                "random effects: draw it with kind qq or resid_fitted", lmm_plot_kind_name(o->kind),
                                l->name[k]);
      rc = SQLITE_ERROR;
      break;
    }
    const lmm_residuals *r = op[k].res;
    rows[k] = (lmm_plot_rows){.name = l->name[k], .n = r->n, .p = op[k].m->design->p, .fitted = r->fitted,
                              .std_resid = r->std_resid, .hat = r->hat, .cooks = r->cooks};
    rows[k].resid = resid_of(r, op[k].m, o->type, o->kind, &rows[k].resid_label);
  }
  lmm_interrupt_probe_end(&probe);
  if (rc == SQLITE_OK && lmm_plot_residuals(rows, l->n, o, svg, &err)) rc = core_error(errmsg, &err);
  for (int k = 0; k < l->n; k++) {
    lmm_residuals_free(op[k].res);
    lmm_model_free(op[k].m);
  }
  return rc;
}

/* ---- ranef: one grouping of one model ------------------------------------------------------------- */

/* The design terms of grouping `level` (1 the outermost: fewest levels; 0 the innermost) into g[], their
 * count returned; the groupings' names listed in *names for a message. */
static int grouping_terms(const lmm_design *d, int level, int *g, char *names, size_t size, int *ngroups) {
  int order[64], n = 0;
  for (int t = 0; t < d->nre && n < 64; t++) {   /* distinct groupings by their number of levels */
    int seen = 0;
    for (int u = 0; u < n && !seen; u++) seen = !strcmp(d->re[order[u]].grp, d->re[t].grp);
    if (seen) continue;
    int at = n++;
    while (at > 0 && d->re[order[at - 1]].nlevels > d->re[t].nlevels) {
      order[at] = order[at - 1];
      at--;
    }
    order[at] = t;
  }
  names[0] = 0;
  for (int u = 0, len = 0; u < n && len >= 0 && (size_t)len < size; u++)
    len += snprintf(names + len, size - (size_t)len, "%s%d = %s", u ? ", " : "", u + 1, d->re[order[u]].grp);
  *ngroups = n;
  if (level > n) return 0;
  const char *grp = d->re[order[level ? level - 1 : n - 1]].grp;
  int m = 0;
  for (int t = 0; t < d->nre; t++)
    if (!strcmp(d->re[t].grp, grp)) g[m++] = t;
  return m;
}

static int plot_ranef(sqlite3 *db, const model_list *l, const lmm_plot_options *o, char **svg, char **errmsg) {
  if (l->n > 1) {
    *errmsg = sqlite3_mprintf("lmm_plot: kind 'ranef' draws one model; '%s' names %d", l->name[0], l->n);
    return SQLITE_ERROR;
  }
  lmm_model *m = NULL;
  int rc = lmm_store_restore_structured(db, l->name[0], &m, errmsg);
  if (rc != SQLITE_OK) {
    lmm_source_error_in("lmm_plot", errmsg);
    return rc;
  }
  lmm_error err = {0};
  const lmm_design *d = m->design;
  int g[64], ng = 0, nt = 0;
  char names[512];
  double *b = NULL, *sd = NULL;
  const char **terms = NULL;
  if (d->nre == 0) {
    *errmsg = sqlite3_mprintf("lmm_plot: kind 'ranef' needs random effects; the model '%s' has none (its residuals: "
                              "kinds qq, resid_fitted, diagnostics)", l->name[0]);
    rc = SQLITE_ERROR;
    goto done;
  }
  nt = grouping_terms(d, o->level, g, names, sizeof names, &ng);
  if (!nt) {
    *errmsg = sqlite3_mprintf("lmm_plot: level=%d, but the model '%s' has %d grouping%s (%s); give level=1 to %d",
                              o->level, l->name[0], ng, ng == 1 ? "" : "s", names, ng);
    rc = SQLITE_ERROR;
    goto done;
  }
  lmm_interrupt_probe probe;
  lmm_interrupt_probe_init(&probe, db);
  int frc = lmm_model_ranef(m, 1, lmm_interrupt_probe_check, &probe, &err);
  lmm_interrupt_probe_end(&probe);
  if (frc) {
    rc = core_error(errmsg, &err);
    goto done;
  }
  /* the grouping's terms side by side: (x || g) is one term per column over the same levels */
  int q = 0, nl = d->re[g[0]].nlevels;
  for (int u = 0; u < nt; u++) q += d->re[g[u]].q;
  b = sqlite3_malloc64(sizeof *b * (size_t)nl * (size_t)q);
  sd = sqlite3_malloc64(sizeof *sd * (size_t)nl * (size_t)q);
  terms = sqlite3_malloc64(sizeof *terms * (size_t)q);
  if (!b || !sd || !terms) {
    rc = SQLITE_NOMEM;
    goto done;
  }
  for (int u = 0, a0 = 0; u < nt; a0 += d->re[g[u]].q, u++) {
    const lmm_reterm *re = &d->re[g[u]];
    const lmm_ranef_term *rt = &m->ranef->term[g[u]];
    for (int a = 0; a < re->q; a++) {
      terms[a0 + a] = re->cnames[a];
      for (int lv = 0; lv < nl; lv++) {
        b[(size_t)lv * q + a0 + a] = rt->b[(size_t)lv * re->q + a];
        sd[(size_t)lv * q + a0 + a] = rt->sd[(size_t)lv * re->q + a];
      }
    }
  }
  lmm_plot_ranef r = {m->ranef->term[g[0]].grp, nl, q, (const char *const *)d->re[g[0]].levels, terms, b, sd};
  if (lmm_plot_ranef_dots(&r, o, svg, &err)) rc = core_error(errmsg, &err);
done:
  sqlite3_free(b);
  sqlite3_free(sd);
  sqlite3_free(terms);
  lmm_model_free(m);
  return rc;
}

/* ---- coef and ic: the saved rows ------------------------------------------------------------------ */

static int read_fits(sqlite3 *db, const model_list *l, lmm_saved_fit **f, char **errmsg) {
  for (int k = 0; k < l->n; k++) {
    int rc = lmm_store_read(db, l->name[k], &f[k], errmsg);
    if (rc != SQLITE_OK) {
      lmm_source_error_in("lmm_plot", errmsg);
      return rc;
    }
  }
  return SQLITE_OK;
}

static int plot_saved(sqlite3 *db, const model_list *l, const lmm_plot_options *o, char **svg, char **errmsg) {
  lmm_saved_fit *f[MAX_MODELS] = {0};
  lmm_plot_coef c[MAX_MODELS];
  double ic[MAX_MODELS * 3], *est = NULL;
  const char *names[MAX_MODELS];
  lmm_error err = {0};
  int rc = read_fits(db, l, f, errmsg);
  if (rc == SQLITE_OK && o->kind == LMM_PLOT_IC) {
    for (int k = 0; k < l->n; k++) {
      names[k] = l->name[k];
      ic[k * 3] = lmm_saved_fit_stat(f[k], "AIC");
      ic[k * 3 + 1] = lmm_saved_fit_stat(f[k], "BIC");
      ic[k * 3 + 2] = lmm_saved_fit_stat(f[k], "logLik");
    }
    if (lmm_plot_ic(names, ic, l->n, o, svg, &err)) rc = core_error(errmsg, &err);
  } else if (rc == SQLITE_OK) {   /* coef: the saved fixed rows, in their order */
    int total = 0;
    for (int k = 0; k < l->n; k++) total += f[k]->p;
    est = sqlite3_malloc64(sizeof *est * 2 * (size_t)(total ? total : 1));
    if (!est) rc = SQLITE_NOMEM;
    for (int k = 0, at = 0; k < l->n && rc == SQLITE_OK; at += f[k]->p, k++) {
      int i = 0;
      for (int r = 0; r < f[k]->nrows && i < f[k]->p; r++)
        if (!strcmp(f[k]->rows[r].effect, "fixed")) {
          est[at + i] = f[k]->rows[r].v[0];
          est[total + at + i] = f[k]->rows[r].v[1];
          i++;
        }
      c[k] = (lmm_plot_coef){l->name[k], i, (const char *const *)f[k]->fixed, est + at, est + total + at};
    }
    if (rc == SQLITE_OK && lmm_plot_coefs(c, l->n, o, svg, &err)) rc = core_error(errmsg, &err);
  }
  sqlite3_free(est);
  for (int k = 0; k < l->n; k++) lmm_saved_fit_free(f[k]);
  return rc;
}

/* ---- the function --------------------------------------------------------------------------------- */

static void plot(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  static const char usage[] = "lmm_plot takes saved models, a kind and options: lmm_plot('m1, m2', 'qq' [, 'width=800'])";
  char *errmsg = NULL;
  int rc = SQLITE_OK;
  if (argc < 2 || argc > 3) {
    sqlite3_result_error(ctx, usage, -1);
    return;
  }
  static const char *const names[3] = {"models", "kind", "options"};
  for (int a = 0; a < argc && rc == SQLITE_OK; a++) {
    int type = sqlite3_value_type(argv[a]);
    if (type != SQLITE_TEXT && !(a == 2 && type == SQLITE_NULL)) {
      errmsg = sqlite3_mprintf("lmm_plot: argument '%s' must be text, not %s; %s", names[a], lmm_value_kind(argv[a]), usage);
      rc = SQLITE_ERROR;
    } else rc = lmm_text_arg_check(argv[a], "lmm_plot", names[a], &errmsg);
  }
  model_list l = {0};
  lmm_plot_options o;
  lmm_error err = {0};
  char *svg = NULL;
  int kind = 0;
  if (rc == SQLITE_OK && (lmm_plot_kind_parse((const char *)sqlite3_value_text(argv[1]), &kind, &err) ||
                          lmm_plot_options_parse(argc > 2 ? (const char *)sqlite3_value_text(argv[2]) : NULL, kind, &o,
                                                 &err)))
    rc = core_error(&errmsg, &err);
  if (rc == SQLITE_OK) rc = models_split((const char *)sqlite3_value_text(argv[0]), &l, &errmsg);
  sqlite3 *db = sqlite3_context_db_handle(ctx);
  if (rc == SQLITE_OK) {
    if (kind == LMM_PLOT_RANEF) rc = plot_ranef(db, &l, &o, &svg, &errmsg);
    else if (kind == LMM_PLOT_COEF || kind == LMM_PLOT_IC) rc = plot_saved(db, &l, &o, &svg, &errmsg);
    else rc = plot_residuals(db, &l, &o, &svg, &errmsg);
  }
  models_free(&l);
  if (rc == SQLITE_OK) {
    sqlite3_result_text(ctx, svg, -1, SQLITE_TRANSIENT);
  } else if (rc == SQLITE_NOMEM || !errmsg) sqlite3_result_error_nomem(ctx);
  else {
    sqlite3_result_error(ctx, errmsg, -1);
    if (rc != SQLITE_ERROR) sqlite3_result_error_code(ctx, rc);
  }
  lmm_free(svg);
  sqlite3_free(errmsg);
}

/* Reads tables (the saved models and their data) and its cost grows with them: SQLITE_DIRECTONLY, as
 * every lmm function. */
int lmm_register_plot(sqlite3 *db) {
  return sqlite3_create_function(db, "lmm_plot", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, NULL, plot,
                                 NULL, NULL);
}
