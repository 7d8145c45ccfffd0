/* test_ols.c — lmm_ols / lmm_ols_hat against least squares solved by hand
 * (R's lm() coefficients, standard errors, deviance and hatvalues()). */
#include "harness.h"
#include "ols.h"

void test_ols_by_hand(void) {
  /* x = 1..5, y = 2 4 5 4 5: coef 2.2 and 0.6, RSS 2.4, sigma^2 = 0.8 */
  double X[10] = {1, 1, 1, 1, 1, 1, 2, 3, 4, 5};
  double y[5] = {2, 4, 5, 4, 5};
  double beta[2] = {0, 0}, se[2] = {0, 0}, rss = -1;
  lmm_error err = {0};
  CHECK_INT(lmm_ols(X, y, 5, 2, beta, se, &rss, NULL, NULL, &err), LMM_OK);
  CHECK_NEAR(beta[0], 2.2, 1e-14);
  CHECK_NEAR(beta[1], 0.6, 1e-14);
  CHECK_NEAR(rss, 2.4, 1e-14);
  CHECK_NEAR(se[0], sqrt(0.88), 1e-14);
  CHECK_NEAR(se[1], sqrt(0.08), 1e-14);

  /* hatvalues: 1/n + (x - 3)^2 / 10 */
  double h[5];
  CHECK_INT(lmm_ols_hat(X, 5, 2, h, NULL, &err), LMM_OK);
  double hw[5] = {0.6, 0.3, 0.2, 0.3, 0.6};
  for (int i = 0; i < 5; i++) CHECK_NEAR(h[i], hw[i], 1e-14);

  /* the same line far from the origin: x = 1e8 + 1..5.  R's lm drops x here
   * (NA slope); the slope is exact to ~1e-12 and the intercept, 1e8 times
   * the slope's error away, to ~1e-12 relative. */
  double Xo[10] = {1, 1, 1, 1, 1, 1e8 + 1, 1e8 + 2, 1e8 + 3, 1e8 + 4, 1e8 + 5};
  CHECK_INT(lmm_ols(Xo, y, 5, 2, beta, se, &rss, NULL, NULL, &err), LMM_OK);
  CHECK_NEAR(beta[1], 0.6, 1e-9);
  CHECK_NEAR(beta[0] / (2.2 - 0.6e8), 1, 1e-10);
  CHECK_NEAR(rss, 2.4, 1e-9);
  CHECK_NEAR(se[1], sqrt(0.08), 1e-9);

  /* no intercept: y = b x, b = sum(xy)/sum(x^2) = 66/55 */
  CHECK_INT(lmm_ols(X + 5, y, 5, 1, beta, se, &rss, NULL, NULL, &err), LMM_OK);
  CHECK_NEAR(beta[0], 66.0 / 55, 1e-14);
  CHECK_NEAR(rss, 86 - 66.0 * 66 / 55, 1e-13);
  CHECK_NEAR(se[0], sqrt((86 - 66.0 * 66 / 55) / 4 / 55), 1e-13);

  /* p = 0: rss = sum(y^2) */
  CHECK_INT(lmm_ols(X, y, 5, 0, beta, NULL, &rss, NULL, NULL, &err), LMM_OK);
  CHECK_NEAR(rss, 86, 1e-14);
}

void test_ols_edges(void) {
  lmm_error err = {0};
  double beta[3], se[3], rss;
  int bad = 0;
  /* n == p: an exact fit, rss 0 and se NaN as in R */
  double X2[4] = {1, 1, 1, 3};
  double y2[2] = {5, 9};
  CHECK_INT(lmm_ols(X2, y2, 2, 2, beta, se, &rss, NULL, NULL, &err), LMM_OK);
  CHECK_NEAR(beta[0], 3, 1e-14);
  CHECK_NEAR(beta[1], 2, 1e-14);
  CHECK_NEAR(rss, 0, 1e-14);
  CHECK(isnan(se[0]) && isnan(se[1]));

  /* rank deficient: column 3 = 2 * column 2 */
  double X3[12] = {1, 1, 1, 1, 1, 2, 3, 4, 2, 4, 6, 8};
  double y3[4] = {1, 3, 2, 5};
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_ols(X3, y3, 4, 3, beta, se, &rss, &bad, NULL, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "column 3");
  CHECK_INT(bad, 2);

  /* an all-zero column */
  double X4[8] = {1, 1, 1, 1, 0, 0, 0, 0};
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_ols(X4, y3, 4, 2, beta, se, &rss, &bad, NULL, &err), LMM_ERR);
  CHECK_INT(bad, 1);

  /* more columns than rows */
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_ols(X3, y3, 2, 3, beta, se, &rss, &bad, NULL, &err), LMM_ERR);
  CHECK_INT(bad, -1);

  /* a non-finite response */
  double y5[4] = {1, NAN, 2, 5};
  memset(&err, 0, sizeof err);
  CHECK_INT(lmm_ols(X3, y5, 4, 2, beta, se, &rss, NULL, NULL, &err), LMM_ERR);
  CHECK_CONTAINS(err.msg, "row 2");
}
