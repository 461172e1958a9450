/*
 * gmm.c — diagonal-covariance Gaussian mixtures: posteriors (the inner loop
 * of every voice embedding) and EM training by binary splitting (the UBM).
 */
#include "voice/voice.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

lk_status lk__gmm_alloc(lk__gmm *g, int c, int d)
{
    memset(g, 0, sizeof *g);
    if (c <= 0 || d <= 0 || c > 4096 || d > 1024)
        return lk__error(LK_ERR_MISUSE, "gmm: bad size %d x %d", c, d);
    size_t cd = (size_t)c * d;
    g->c = c;
    g->d = d;
    g->w = lk__calloc((size_t)c, sizeof *g->w);
    g->mu = lk__calloc(cd, sizeof *g->mu);
    g->var = lk__calloc(cd, sizeof *g->var);
    g->ivar = lk__calloc(cd, sizeof *g->ivar);
    g->lconst = lk__calloc((size_t)c, sizeof *g->lconst);
    if (!g->w || !g->mu || !g->var || !g->ivar || !g->lconst) {
        lk__gmm_free(g);
        return LK_ERR_NOMEM;
    }
    return LK_OK;
}

void lk__gmm_free(lk__gmm *g)
{
    if (!g)
        return;
    free(g->w);
    free(g->mu);
    free(g->var);
    free(g->ivar);
    free(g->lconst);
    memset(g, 0, sizeof *g);
}

void lk__gmm_prepare(lk__gmm *g)
{
    const double l2pi = log(2.0 * M_PI);
    for (int c = 0; c < g->c; c++) {
        double k = log(g->w[c] > 0 ? g->w[c] : 1e-30) - 0.5 * g->d * l2pi;
        for (int j = 0; j < g->d; j++) {
            size_t i = (size_t)c * g->d + j;
            g->ivar[i] = 1.0f / g->var[i];
            k -= 0.5 * log(g->var[i]);
        }
        g->lconst[c] = (float)k;
    }
}

double lk__gmm_posteriors(const lk__gmm *g, const float *x, float *post)
{
    float best = -INFINITY;
    for (int c = 0; c < g->c; c++) {
        const float *mu = g->mu + (size_t)c * g->d;
        const float *iv = g->ivar + (size_t)c * g->d;
        float s = 0;
        for (int j = 0; j < g->d; j++) {
            float t = x[j] - mu[j];
            s += t * t * iv[j];
        }
        post[c] = g->lconst[c] - 0.5f * s;
        if (post[c] > best)
            best = post[c];
    }
    double sum = 0;
    for (int c = 0; c < g->c; c++) {
        post[c] = expf(post[c] - best);
        sum += post[c];
    }
    float inv = (float)(1.0 / sum);
    for (int c = 0; c < g->c; c++)
        post[c] *= inv;
    return best + log(sum);
}

/* One EM iteration over all frames; returns the mean log-likelihood. */
static double em_step(lk__gmm *g, const float *x, size_t n, const double *floor,
                      double *acc_n, double *acc_f, double *acc_s, float *post)
{
    const int C = g->c, D = g->d;
    memset(acc_n, 0, sizeof(double) * C);
    memset(acc_f, 0, sizeof(double) * C * D);
    memset(acc_s, 0, sizeof(double) * C * D);
    lk__gmm_prepare(g);
    double ll = 0;
    for (size_t t = 0; t < n; t++) {
        const float *xt = x + t * D;
        ll += lk__gmm_posteriors(g, xt, post);
        for (int c = 0; c < C; c++) {
            float p = post[c];
            /* Skipping negligible posteriors changes no digit that
             * matters and saves most of the accumulation. */
            if (p < 1e-5f)
                continue;
            acc_n[c] += p;
            double *f = acc_f + (size_t)c * D, *s = acc_s + (size_t)c * D;
            for (int j = 0; j < D; j++) {
                f[j] += p * xt[j];
                s[j] += p * xt[j] * xt[j];
            }
        }
    }
    double total = 0;
    for (int c = 0; c < C; c++)
        total += acc_n[c];
    for (int c = 0; c < C; c++) {
        /* A component that lost its frames keeps its parameters with a
         * tiny weight rather than dividing by nothing. */
        if (acc_n[c] < 1e-3) {
            g->w[c] = 1e-6f;
            continue;
        }
        g->w[c] = (float)(acc_n[c] / total);
        for (int j = 0; j < D; j++) {
            size_t i = (size_t)c * D + j;
            double m = acc_f[i] / acc_n[c];
            double v = acc_s[i] / acc_n[c] - m * m;
            g->mu[i] = (float)m;
            g->var[i] = (float)(v > floor[j] ? v : floor[j]);
        }
    }
    return ll / (double)n;
}

lk_status lk__gmm_train(const float *x, size_t n, int d, int c, int iters,
                        lk__gmm *out)
{
    memset(out, 0, sizeof *out);
    if (!x || c <= 0 || d <= 0 || iters < 0 || n < 2 * (size_t)c)
        return lk__error(LK_ERR_MISUSE, "gmm train: %zu frames for %d "
                         "components", n, c);
    lk__gmm g;
    lk_status s = lk__gmm_alloc(&g, c, d);
    if (s != LK_OK)
        return s;
    double *floor = lk__calloc((size_t)d, sizeof *floor);
    double *acc_n = lk__calloc((size_t)c, sizeof *acc_n);
    double *acc_f = lk__calloc((size_t)c * d, sizeof *acc_f);
    double *acc_s = lk__calloc((size_t)c * d, sizeof *acc_s);
    float *post = lk__calloc((size_t)c, sizeof *post);
    if (!floor || !acc_n || !acc_f || !acc_s || !post) {
        s = LK_ERR_NOMEM;
        goto done;
    }
    /* One Gaussian: the data's mean and variance. */
    for (int j = 0; j < d; j++) {
        double m = 0, v = 0;
        for (size_t t = 0; t < n; t++)
            m += x[t * d + j];
        m /= (double)n;
        for (size_t t = 0; t < n; t++)
            v += (x[t * d + j] - m) * (x[t * d + j] - m);
        v /= (double)n;
        if (!(v > 1e-12))
            v = 1e-12;
        g.mu[j] = (float)m;
        g.var[j] = (float)v;
        floor[j] = 0.01 * v;
    }
    g.w[0] = 1.0f;
    int have = 1;
    while (have < c) {
        /* Split the heaviest components (all of them while doubling fits)
         * at +-0.2 sigma along every axis. */
        int split = have * 2 <= c ? have : c - have;
        for (int k = 0; k < split; k++) {
            int src = 0;
            if (split < have) {
                for (int q = 1; q < have; q++)
                    if (g.w[q] > g.w[src])
                        src = q;
            } else {
                src = k;
            }
            int dst = have + k;
            for (int j = 0; j < d; j++) {
                size_t a = (size_t)src * d + j, b = (size_t)dst * d + j;
                float e = 0.2f * sqrtf(g.var[a]);
                g.mu[b] = g.mu[a] + e;
                g.mu[a] -= e;
                g.var[b] = g.var[a];
            }
            g.w[src] *= 0.5f;
            g.w[dst] = g.w[src];
        }
        have += split;
        int save_c = g.c;
        g.c = have;
        for (int it = 0; it < iters; it++)
            em_step(&g, x, n, floor, acc_n, acc_f, acc_s, post);
        g.c = save_c;
    }
    if (c == 1)
        for (int it = 0; it < iters; it++)
            em_step(&g, x, n, floor, acc_n, acc_f, acc_s, post);
    lk__gmm_prepare(&g);
    *out = g;
done:
    free(floor);
    free(acc_n);
    free(acc_f);
    free(acc_s);
    free(post);
    if (s != LK_OK)
        lk__gmm_free(&g);
    return s;
}
