/* store.h — fits kept in the database, in an ordinary table:
 *
 *   lmm_models(name TEXT PRIMARY KEY, data, formula, random, options,
 *              fit TEXT,        -- JSON: theta, coefficients, tidy rows, ...
 *              created TEXT, version TEXT)
 *
 * A saved model is the call, what the optimizer found (theta) and the
 * snapshot that restores it without its rows (core/restore.h): predictions
 * and random effects come from that, whatever happened to the data since.
 * What needs the rows themselves (residuals) reads the data again and
 * evaluates the fit at the saved theta, after checking that the data are
 * the ones the fit saw. */
#ifndef LMM_STORE_H
#define LMM_STORE_H

#include <stdint.h>
#include "sqlite3ext.h"
#include "../core/restore.h"
#include "saved_fit.h"

/* The fit as JSON text (sqlite3_malloc'd), or NULL when out of memory; with the snapshot that restores it
 * without its rows (core/restore.h) when snap is not NULL. */
char *lmm_store_fit_json(const lmm_model *m, uint64_t fingerprint, const lmm_snapshot *snap);

/* Save or replace a fit under a name; all or nothing. */
int lmm_store_save(sqlite3 *db, const char *name, const char *const call[4], const char *fit_json, char **errmsg);

/* The fit of a saved model, or of the argument itself when it is fit JSON
 * (as lmm_agg returns it), read and checked (saved_fit.h); free it with
 * lmm_saved_fit_free. */
int lmm_store_read(sqlite3 *db, const char *name_or_json, lmm_saved_fit **out, char **errmsg);

/* A saved model, evaluated at its theta on its (unchanged) data, after
 * checking that its options are its fit's and that what the evaluation
 * gives is what was saved. */
int lmm_store_open(sqlite3 *db, const char *name, lmm_model **out, char **errmsg);
/* lmm_store_open and lmm_store_restore refuse a model with a residual structure (weights=, correlation=: its
 * parameters saved and held, core/structure.h), which what computes from the model must honour; these take
 * one, for the functions that do. */
int lmm_store_open_structured(sqlite3 *db, const char *name, lmm_model **out, char **errmsg);
int lmm_store_restore_structured(sqlite3 *db, const char *name, lmm_model **out, char **errmsg);

/* A saved model restored from its snapshot without reading its data (core/restore.h): what predictions and
 * the random effects need, whatever happened to the data since it was fitted.  A model saved before fits
 * kept snapshots is opened as lmm_store_open does. */
int lmm_store_restore(sqlite3 *db, const char *name, lmm_model **out, char **errmsg);
/* The call that made a saved model: copies of its data, formula, random and options (the last two may be
 * NULL), for lmm_update to make again; free each with sqlite3_free. */
int lmm_store_call(sqlite3 *db, const char *name, char *call[4], char **errmsg);

#endif
