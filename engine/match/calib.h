/*
 * calib.h — score calibration: what a cosine means as a false-match rate.
 *
 * A calibration is a small JSON file shipped with an embedder
 * (models/calibration/, named by the manifest) and copied into a gallery
 * when the model is recorded there.  It holds the impostor scores an
 * evaluation measured for that model, quantised (how many impostor
 * comparisons scored at or above each point of a fixed grid), and an
 * exponential tail fitted to the highest of them for the scores beyond
 * the data; an estimate below its floor is not claimed.  models/README.md
 * documents the method and the numbers.
 *
 * The estimate is the false-match rate of ONE comparison (one face, or
 * one 4 s voice window, against one template of someone else) at or
 * above a score: a performer with T templates, searched together, is T
 * such comparisons.
 */
#ifndef LK_MATCH_CALIB_H
#define LK_MATCH_CALIB_H

#include "core/core.h"

typedef struct lk__calib lk__calib;

/* Parse n bytes of a calibration file (text, not NUL-terminated needed);
 * name (its path, or "gallery DIR calibration for …") stands for it in
 * messages.  LK_ERR_MODEL naming it and the field when malformed: a grid
 * that is not non-increasing, counts above the comparisons, a tail or
 * floor out of range.  LK_ERR_NOMEM. */
lk_status lk__calib_parse(const char *text, size_t n, const char *name,
                          lk__calib **out);
void lk__calib_free(lk__calib *c);

/* The estimated false-match rate of one comparison at score, in (0, 1];
 * non-increasing in score.  When the estimate falls under the floor the
 * floor is returned and *below (may be NULL) set to 1: the rate is then
 * only claimed to be below it. */
double lk__calib_fmr(const lk__calib *c, double score, int *below);

/* The model id the calibration is of, and its floor. */
const char *lk__calib_model(const lk__calib *c);
double lk__calib_floor(const lk__calib *c);

/* ---- making one (the evaluation tools) ----------------------------------- */

/* What the file says about where its scores came from. */
typedef struct lk__calib_source {
    const char *model;          /* model id */
    const char *model_sha256;   /* of its weights */
    const char *unit;           /* what one comparison is, in words */
    const char *const *sets;    /* eval folders the scores came from */
    int n_sets;
    const char *const *held_out;   /* eval folders kept out, for checking */
    int n_held_out;
    int identities;             /* identities (speakers) among them */
    int probes;                 /* faces or windows compared */
    int templates;              /* templates compared against */
} lk__calib_source;

/* Fit a calibration to n impostor scores (any order; n >= 100) and write
 * it as JSON to path.  The tail is the top tail_fraction of the scores
 * (at least 50 of them).  LK_ERR_MISUSE (too few scores), LK_ERR_IO
 * naming path, LK_ERR_NOMEM. */
lk_status lk__calib_write(const float *scores, size_t n, double tail_fraction,
                          const lk__calib_source *src, const char *path);

#endif
