/* test_devfun.c — the objective apart from the optimizer: the profiled
 * deviance (ML) and REML criterion at given theta against lme4's devfun(theta)
 * (devfun_ref.h, made by tests/reference/make_devfun.R) on data in
 * tests/data/, at lme4's optimum and at points off it. */
#include "harness.h"
#include "helpers.h"
#include "alloc.h"
#include "blocks.h"
#include "fit.h"
#include "devfun_ref.h"

#include <stdlib.h>

/* A CSV of tests/data as a test table: a quoted cell is text, any other a number. */
typedef struct csv_table {
  test_table t;
  char **names;
  lmm_value *v;
  char *buf;              /* the file, its cells cut in place: the names and texts point into it */
} csv_table;

static void csv_free(csv_table *c) {
  free(c->names);
  free(c->v);
  free(c->buf);
}

/* The next cell from *p (a line's end or the file's ends it); *quoted says whether it was in quotes. */
static char *csv_cell(char **p, int *quoted, int *eol) {
  char *s = *p, *cell;
  *quoted = *s == '"';
  if (*quoted) {
    cell = ++s;
    while (*s && *s != '"') s++;
    if (*s) *s++ = 0;
  } else cell = s;
  while (*s && *s != ',' && *s != '\n' && *s != '\r') s++;
  *eol = *s != ',';
  if (*s == '\r') *s++ = 0;
  if (*s) *s++ = 0;
  *p = s;
  return cell;
}

static int csv_read(const char *name, csv_table *c) {
  memset(c, 0, sizeof *c);
  char path[256];
  snprintf(path, sizeof path, "tests/data/%s.csv", name);
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    printf("    cannot read %s: run the unit tests from the repository's root\n", path);
    return -1;
  }
  fseek(fp, 0, SEEK_END);
  long size = ftell(fp);
  rewind(fp);
  c->buf = malloc((size_t)size + 1);
  if (!c->buf || fread(c->buf, 1, (size_t)size, fp) != (size_t)size) { fclose(fp); return -1; }
  fclose(fp);
  c->buf[size] = 0;
  int ncols = 1, nrows = 0, quoted, eol = 0;
  for (char *s = c->buf; *s && *s != '\n'; s++) ncols += *s == ',';
  for (char *s = c->buf; *s; s++) nrows += *s == '\n';
  nrows--;   /* the header */
  c->names = calloc((size_t)ncols, sizeof *c->names);
  c->v = calloc((size_t)nrows * (size_t)ncols, sizeof *c->v);
  if (!c->names || !c->v) return -1;
  char *p = c->buf;
  for (int j = 0; j < ncols; j++) c->names[j] = csv_cell(&p, &quoted, &eol);
  int r = 0;
  for (; r < nrows && *p; r++)
    for (int j = 0; j < ncols; j++) {
      char *cell = csv_cell(&p, &quoted, &eol);
      c->v[(size_t)r * ncols + j] = quoted ? TXTP(cell) : NUM(strtod(cell, NULL));
    }
  c->t = (test_table){ncols, (const char *const *)c->names, r, c->v, 0};
  return 0;
}

/* Case dc's data, design and system (*s NULL when any fails, a failed CHECK counted). */
static void open_case(const devfun_case *dc, csv_table *c, lmm_model **m, lmm_system **s) {
  lmm_error err = {0};
  *m = NULL;
  *s = NULL;
  int ok = csv_read(dc->data, c) == 0;
  CHECK(ok);
  if (ok) CHECK_INT(load_design(dc->formula, NULL, &c->t, m, &err), LMM_OK);
  if (ok && *m && (*m)->design) CHECK_INT(lmm_system_new((*m)->design, NULL, s, &err), LMM_OK);
}

void test_devfun_lme4(void) {
  for (size_t i = 0; i < sizeof devfun_ref / sizeof *devfun_ref; i++) {
    const devfun_case *dc = &devfun_ref[i];
    csv_table c;
    lmm_model *m;
    lmm_system *s;
    lmm_error err = {0};
    double dev = 0;
    open_case(dc, &c, &m, &s);
    if (s) {
      CHECK_INT(s->theta->n, dc->ntheta);
      CHECK_INT(lmm_fit_deviance(s, dc->theta, dc->reml, &dev, &err), LMM_OK);
      CHECK_NEAR(dev, dc->deviance, 1e-8);
      if (!t_near(dev, dc->deviance, 1e-8))
        printf("    %s: %s, %s\n", dc->data, dc->formula, dc->reml ? "REML" : "ML");
    }
    lmm_system_free(s);
    lmm_model_free(m);
    csv_free(&c);
  }
}

/* The criterion's pieces with sigma not profiled out (lmm_fit_parts_at), profiled over sigma by hand, are the
 * criterion lme4's devfun gives, and beta at theta the least-squares solution's there. */
void test_devfun_parts(void) {
  for (size_t i = 0; i < sizeof devfun_ref / sizeof *devfun_ref; i++) {
    const devfun_case *dc = &devfun_ref[i];
    csv_table c;
    lmm_model *m;
    lmm_system *s;
    lmm_error err = {0};
    open_case(dc, &c, &m, &s);
    if (s) {
      double beta[64], vdiag[64], nr = (double)s->n - (dc->reml ? s->p : 0);
      lmm_fit_parts parts = {0, 0, s->p <= 64 ? beta : NULL, vdiag};
      CHECK_INT(lmm_fit_parts_at(s, dc->theta, dc->reml, NULL, &parts, &err), LMM_OK);
      CHECK_NEAR(parts.ldet + nr * (1 + log(2 * M_PI * parts.pwrss / nr)), dc->deviance, 1e-8);
      for (int j = 0; parts.beta && j < s->p; j++) CHECK(vdiag[j] > 0 && isfinite(beta[j]));
    }
    lmm_system_free(s);
    lmm_model_free(m);
    csv_free(&c);
  }
}

/* A theta that is not a number is an error that names it, not a deviance. */
void test_devfun_not_finite(void) {
  csv_table c;
  lmm_model *m = NULL;
  lmm_system *s = NULL;
  lmm_error err = {0};
  CHECK_INT(csv_read("dyestuff", &c), 0);
  CHECK_INT(load_design("Yield ~ 1 + (1 | Batch)", NULL, &c.t, &m, &err), LMM_OK);
  if (m && m->design) CHECK_INT(lmm_system_new(m->design, NULL, &s, &err), LMM_OK);
  if (s) {
    double theta = NAN, dev = 0;
    CHECK_INT(lmm_fit_deviance(s, &theta, 1, &dev, &err), LMM_ERR);
    CHECK_CONTAINS(err.msg, "theta[1] is not finite");
  }
  lmm_system_free(s);
  lmm_model_free(m);
  csv_free(&c);
}
