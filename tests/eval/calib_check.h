/*
 * calib_check.h — what the face and voice evaluations share about score
 * calibration (match/calib.h): the impostor comparisons of one split,
 * kept with the identity whose template each was against, written as a
 * calibration (--calibrate) from the development split, and checked on
 * the held-out split: the calibration's predicted false-match rate beside
 * the observed one at a few thresholds, pooled, as the mean over the
 * identities and for the worst identity.  Static, included by each.
 */
#ifndef LK_CALIB_CHECK_H
#define LK_CALIB_CHECK_H

#include "core/manifest.h"
#include "match/calib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct impostors {
    float *score;
    int *who;          /* identity of the template compared against */
    int n, cap;
    int n_who;         /* identities: who < n_who */
} impostors;

static void imp_push(impostors *p, float s, int who)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 1024;
        p->score = realloc(p->score, (size_t)p->cap * sizeof *p->score);
        p->who = realloc(p->who, (size_t)p->cap * sizeof *p->who);
        if (!p->score || !p->who)
            abort();
    }
    p->score[p->n] = s;
    p->who[p->n++] = who;
    if (who >= p->n_who)
        p->n_who = who + 1;
}

static void imp_free(impostors *p)
{
    free(p->score);
    free(p->who);
}

/* The calibration of the manifest's default model of role (in
 * LIKENESS_MODEL_DIR, else models/), NULL with a note when there is none. */
static lk__calib *calib_of_role(const char *role)
{
    const char *mdir = getenv("LIKENESS_MODEL_DIR");
    lk__manifest mf;
    if (lk__manifest_load(mdir ? mdir : "models", &mf) != LK_OK) {
        printf("  calibration: %s\n", lk_last_error());
        return NULL;
    }
    lk__model *m = lk__manifest_find(&mf, role, NULL);
    lk__calib *c = NULL;
    if (!m || !m->calib_path)
        printf("  calibration: the %s model lists none\n", role);
    else if (lk__model_load_calibration(m, 1) != LK_OK ||
             lk__calib_parse(m->calib, m->n_calib, m->calib_path, &c) !=
                 LK_OK)
        printf("  calibration: %s\n", lk_last_error());
    lk__manifest_free(&mf);
    return c;
}

/* At each threshold: predicted FMR, observed pooled, mean and worst over
 * the identities with comparisons (and which).  Returns the worst ratio
 * observed / predicted over the thresholds where anything was observed
 * (0 when nothing was). */
static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double calib_report(const lk__calib *c, const impostors *p,
                           const double *thr_in, int n_thr,
                           const char *(*name)(int who))
{
    double thr[32];
    n_thr = n_thr > 32 ? 32 : n_thr;
    memcpy(thr, thr_in, (size_t)n_thr * sizeof *thr);
    qsort(thr, (size_t)n_thr, sizeof *thr, by_value);
    int *all = calloc((size_t)p->n_who + 1, sizeof *all);
    int *hit = calloc((size_t)p->n_who + 1, sizeof *hit);
    double worst_ratio = 0;
    for (int i = 0; i < p->n; i++)
        all[p->who[i]]++;
    printf("  %9s %12s %18s %12s %22s\n", "threshold", "predicted",
           "observed (pooled)", "mean of ids", "worst identity");
    for (int t = 0; t < n_thr; t++) {
        int below = 0, pooled = 0, ids = 0, worst_who = -1;
        double pred = lk__calib_fmr(c, thr[t], &below), mean = 0, worst = 0;
        for (int w = 0; w < p->n_who; w++)
            hit[w] = 0;
        for (int i = 0; i < p->n; i++)
            if (p->score[i] >= thr[t]) {
                hit[p->who[i]]++;
                pooled++;
            }
        for (int w = 0; w < p->n_who; w++) {
            if (!all[w])
                continue;
            double r = (double)hit[w] / all[w];
            mean += r;
            ids++;
            if (r > worst || worst_who < 0) {
                worst = r;
                worst_who = w;
            }
        }
        mean = ids ? mean / ids : 0;
        double obs = p->n ? (double)pooled / p->n : 0;
        printf("  %9.3f %s%11.2e %9.2e (%4d/%d) %12.2e %10.2e (%s, %d/%d)\n",
               thr[t], below ? "<" : " ", pred, obs, pooled, p->n, mean,
               worst, worst_who >= 0 ? name(worst_who) : "-",
               worst_who >= 0 ? hit[worst_who] : 0,
               worst_who >= 0 ? all[worst_who] : 0);
        if (pooled && obs / pred > worst_ratio)
            worst_ratio = obs / pred;
    }
    free(all);
    free(hit);
    return worst_ratio;
}

#endif
