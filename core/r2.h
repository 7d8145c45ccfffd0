/* r2.h — marginal and conditional R² of a linear mixed model (Nakagawa & Schielzeth 2013), as
 * performance::r2_nakagawa and MuMIn::r.squaredGLMM report them for a Gaussian model:
 *
 *   marginal = v_f / (v_f + v_r + sigma^2),   conditional = (v_f + v_r) / (v_f + v_r + sigma^2)
 *
 * v_f the variance (n - 1 denominator, R's var) of the fixed part X beta over the fitted rows; v_r the
 * random effects' variance, for each term the mean over the rows of z' Sigma z (z the row's columns of the
 * term, Sigma its covariance): Johnson (2014)'s mean of diag(Z Sigma Z'), which for a random intercept is
 * its variance; sigma the residual standard deviation.  Computed relative to the response's scale
 * (design.h: 2^yexp), so no square overflows where the data's values do not. */
#ifndef LMM_R2_H
#define LMM_R2_H

#include "design.h"
#include "fit.h"

/* Both R²s of fit f of design d with residual standard deviation sigma (the one the fit reports); NaN
 * where the total variance is not positive.  LMM_NOMEM, or LMM_INTERRUPTED when stop says stop. */
int lmm_r2_nakagawa(const lmm_design *d, const lmm_fit *f, double sigma, lmm_stop *stop, double *marginal,
                    double *conditional, lmm_error *err);

#endif
