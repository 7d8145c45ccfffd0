/* contrasts.h — R's contrasts: how a factor of n levels becomes the columns of a model matrix.
 *
 *   treatment   an indicator per level but the base (the first, or contr.SAS's last): the default
 *   sum         contr.sum: levels 1..n-1 against the last, coded -1 in every column; columns f1, f2, ...
 *   helmert     contr.helmert: level j+1 against the mean of those before it; columns f1, f2, ...
 *   poly        contr.poly: orthonormal polynomials in the scores 1..n, the default of an ordered
 *               factor; columns f.L, f.Q, f.C, f^4, ...
 *
 * Treatment columns are indicators of a level, which design.c evaluates as such; the others are the
 * n x (n-1) matrix made here.  What a factor asks for is written in the formula (C(f, contr.sum),
 * ordered(x)) or the options (contrasts=sum), never learned from the data: with the order of the levels
 * it is all a factor's coding needs.
 */
#ifndef LMM_CONTRASTS_H
#define LMM_CONTRASTS_H

enum { LMM_CONTR_DEFAULT, LMM_CONTR_TREATMENT, LMM_CONTR_SUM, LMM_CONTR_HELMERT, LMM_CONTR_POLY };
enum { LMM_CONTR_BASE_LAST = -1 };   /* contr.SAS: treatment with the last level as the base */
enum { LMM_CONTR_POLY_MAX = 95 };    /* R's contr.poly refuses more levels: its polynomials lose their digits */

/* The contrast R names `name` (contr.sum, or as C() also reads it, sum): its kind, and *base 0 or
 * LMM_CONTR_BASE_LAST; 0 when there is none of that name. */
int lmm_contrast_named(const char *name, int *kind, int *base);
/* The names lmm_contrast_named knows, for messages. */
extern const char lmm_contrast_names[];

/* The n x (n-1) matrix of sum, helmert or poly (n >= 2; poly n <= LMM_CONTR_POLY_MAX), column-major: column j
 * at m + j*n; R's numbers. */
void lmm_contrast_matrix(int kind, int n, double *m);
/* R's name of column j (0-based) of sum, helmert or poly, appended to a factor's label: "1", ".L", "^4". buf
 * needs 16 bytes. */
const char *lmm_contrast_suffix(int kind, int j, char *buf);

#endif
