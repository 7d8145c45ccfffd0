/* tvfs.h — the table-valued functions built on rows_vtab, one file each. */
#ifndef LMM_TVFS_H
#define LMM_TVFS_H
#include "rows_vtab.h"
extern const lmm_tvf lmm_tidy_tvf;     /* tidy.c */
extern const lmm_tvf lmm_anova_tvf;    /* anova.c */
extern const lmm_tvf lmm_ranef_tvf;    /* ranef_tvf.c */
extern const lmm_tvf lmm_augment_tvf;  /* augment.c */
extern const lmm_tvf lmm_vcov_tvf;     /* vcov.c */
extern const lmm_tvf lmm_predict_tvf;  /* predict.c */
#endif
