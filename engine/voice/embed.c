/*
 * embed.c — speaker embeddings: the per-session state, Baum-Welch
 * statistics against the UBM, the MAP supervector, whole-clip embedding of
 * PCM, and the segmenter that embeds windows of long audio.
 */
#include "voice/voice_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_S ((double)LK__VOICE_HOP / LK__VOICE_RATE)
#define MAX_CHUNKS 16

/* Zeroth and first order statistics of some frames against the UBM. */
typedef struct stats {
    float *n;        /* C */
    float *f;        /* C*D, uncentred */
    int frames;
    int clipped;     /* clipped samples under those frames */
    double start, end;
} stats;

struct lk__voice {
    const lk__voice_model *m;
    lk__voice_front front;
    float *post;
    float *emb;
    stats whole;
    /* Segmenter: a ring of completed hop-long chunks and the one filling. */
    int seg_active;
    lk__voice_seg_params sp;
    lk__voice_segment_cb cb;
    void *user;
    int k, hop_frames, min_frames;
    stats chunk[MAX_CHUNKS], cur, win;
    int n_chunks, head;
    int run_emitted;
    double last_t;
};

static lk_status stats_alloc(stats *s, int C, int D)
{
    s->n = lk__calloc((size_t)C, sizeof *s->n);
    s->f = lk__calloc((size_t)C * D, sizeof *s->f);
    return s->n && s->f ? LK_OK : LK_ERR_NOMEM;
}

static void stats_free(stats *s)
{
    free(s->n);
    free(s->f);
}

static void stats_zero(stats *s, int C, int D)
{
    memset(s->n, 0, (size_t)C * sizeof *s->n);
    memset(s->f, 0, (size_t)C * D * sizeof *s->f);
    s->frames = s->clipped = 0;
    s->start = s->end = NAN;
}

static void stats_add(stats *a, const stats *b, int C, int D)
{
    for (int c = 0; c < C; c++)
        a->n[c] += b->n[c];
    for (size_t i = 0; i < (size_t)C * D; i++)
        a->f[i] += b->f[i];
    if (b->frames) {
        if (!a->frames || b->start < a->start)
            a->start = b->start;
        if (!a->frames || b->end > a->end)
            a->end = b->end;
    }
    a->frames += b->frames;
    a->clipped += b->clipped;
}

static void accumulate(lk__voice *v, stats *s, const float *x, double t,
                       int clipped)
{
    const lk__gmm *g = &v->m->ubm;
    const int D = g->d;
    lk__gmm_posteriors(g, x, v->post);
    for (int c = 0; c < g->c; c++) {
        float p = v->post[c];
        /* Most frames sit in a handful of components; the rest add
         * nothing measurable to a supervector. */
        if (p < 1e-4f)
            continue;
        s->n[c] += p;
        float *f = s->f + (size_t)c * D;
        for (int j = 0; j < D; j++)
            f[j] += p * x[j];
    }
    if (!s->frames)
        s->start = t;
    s->end = t;
    s->frames++;
    s->clipped += clipped;
}

/* The MAP-adapted means' offset from the UBM, each dimension scaled by
 * sqrt(w)/sigma, L2-normalised: cosine of these approximates the KL
 * divergence between the two adapted models. */
static void supervector(const lk__voice_model *m, const stats *s, float *out)
{
    const int C = m->ubm.c, D = m->ubm.d;
    double norm = 0;
    for (int c = 0; c < C; c++) {
        float a = 1.0f / (s->n[c] + m->relevance);
        const float *f = s->f + (size_t)c * D, *mu = m->ubm.mu + (size_t)c * D;
        const float *sc = m->scale + (size_t)c * D;
        float *o = out + (size_t)c * D;
        for (int j = 0; j < D; j++) {
            o[j] = sc[j] * a * (f[j] - s->n[c] * mu[j]);
            norm += (double)o[j] * o[j];
        }
    }
    float inv = norm > 0 ? (float)(1.0 / sqrt(norm)) : 0.0f;
    for (int i = 0; i < C * D; i++)
        out[i] *= inv;
}

float lk__voice_score(const lk__voice_model *m, const float *a, const float *b)
{
    double s = 0;
    for (int i = 0; i < m->dim; i++)
        s += (double)a[i] * b[i];
    return (float)s;
}

void lk__voice_free(lk__voice *v)
{
    if (!v)
        return;
    lk__voice_front_free(&v->front);
    free(v->post);
    free(v->emb);
    stats_free(&v->whole);
    stats_free(&v->cur);
    stats_free(&v->win);
    for (int i = 0; i < MAX_CHUNKS; i++)
        stats_free(&v->chunk[i]);
    free(v);
}

lk_status lk__voice_new(const lk__voice_model *m, lk__voice **out)
{
    if (out)
        *out = NULL;
    if (!m || !out)
        return lk__error(LK_ERR_MISUSE, "voice: NULL argument");
    lk__voice *v = lk__calloc(1, sizeof *v);
    if (!v)
        return LK_ERR_NOMEM;
    v->m = m;
    const int C = m->ubm.c, D = m->ubm.d;
    lk_status s = lk__voice_front_init(&v->front);
    if (s == LK_OK) {
        v->post = lk__calloc((size_t)C, sizeof *v->post);
        v->emb = lk__calloc((size_t)m->dim, sizeof *v->emb);
        if (!v->post || !v->emb)
            s = LK_ERR_NOMEM;
    }
    if (s == LK_OK)
        s = stats_alloc(&v->whole, C, D);
    if (s == LK_OK)
        s = stats_alloc(&v->cur, C, D);
    if (s == LK_OK)
        s = stats_alloc(&v->win, C, D);
    for (int i = 0; i < MAX_CHUNKS && s == LK_OK; i++)
        s = stats_alloc(&v->chunk[i], C, D);
    if (s != LK_OK) {
        lk__voice_free(v);
        return s;
    }
    *out = v;
    return LK_OK;
}

/* ------------------------------------------------------------------------
 * Whole clips
 * ---------------------------------------------------------------------- */

static lk_status whole_cb(void *user, const float *x, const double *t,
                          const uint8_t *clip, int n)
{
    lk__voice *v = user;
    for (int i = 0; i < n; i++)
        accumulate(v, &v->whole, x + (size_t)i * LK__VOICE_DIM, t[i], clip[i]);
    return LK_OK;
}

static void whole_begin(lk__voice *v)
{
    stats_zero(&v->whole, v->m->ubm.c, v->m->ubm.d);
    lk__voice_front_reset(&v->front, whole_cb, v);
}

static lk_status whole_end(lk__voice *v, const char *what, float *out,
                           lk__voice_info *info)
{
    lk_status s = lk__voice_front_finish(&v->front);
    if (s != LK_OK)
        return s;
    const lk__voice_front *f = &v->front;
    double speech = v->whole.frames * FRAME_S;
    double clipped = v->whole.frames
        ? (double)v->whole.clipped / ((double)v->whole.frames * LK__VOICE_HOP)
        : (f->n_samples ? (double)f->n_clipped / (double)f->n_samples : 0);
    if (info) {
        info->seconds = f->seconds;
        info->speech_seconds = speech;
        info->clipped = clipped;
    }
    if (speech < LK__VOICE_MIN_SPEECH)
        return lk__error(LK_ERR_FORMAT, "%s: too little speech (%.2f s in "
                         "%.2f s of audio; at least %.1f s needed)", what,
                         speech, f->seconds, LK__VOICE_MIN_SPEECH);
    if (clipped > LK__VOICE_MAX_CLIPPED)
        return lk__error(LK_ERR_FORMAT, "%s: %.1f%% of the speech is clipped "
                         "at full scale (at most %.0f%%): the distortion "
                         "would change the voice's spectrum", what,
                         100.0 * clipped, 100.0 * LK__VOICE_MAX_CLIPPED);
    supervector(v->m, &v->whole, out);
    return LK_OK;
}

lk_status lk__voice_embed_pcm(lk__voice *v, const char *what, const float *pcm,
                              size_t n, float *out, lk__voice_info *info)
{
    if (info)
        memset(info, 0, sizeof *info);
    if (!what)
        what = "audio";
    if (!v || !out || (!pcm && n))
        return lk__error(LK_ERR_MISUSE, "%s: voice embed: NULL argument",
                         what);
    if (v->seg_active)
        return lk__error(LK_ERR_MISUSE, "%s: voice session is segmenting",
                         what);
    whole_begin(v);
    lk_status s = lk__voice_front_push(&v->front, pcm, n, 0.0);
    if (s != LK_OK)
        return s;
    return whole_end(v, what, out, info);
}

lk_status lk__voice_embed_begin(lk__voice *v)
{
    if (!v)
        return lk__error(LK_ERR_MISUSE, "voice embed: NULL argument");
    if (v->seg_active)
        return lk__error(LK_ERR_MISUSE, "voice session is segmenting");
    whole_begin(v);
    return LK_OK;
}

lk_status lk__voice_embed_push(lk__voice *v, const float *pcm, size_t n,
                               double t0)
{
    return lk__voice_front_push(&v->front, pcm, n, t0);
}

lk_status lk__voice_embed_end(lk__voice *v, const char *what, float *out,
                              lk__voice_info *info)
{
    if (info)
        memset(info, 0, sizeof *info);
    return whole_end(v, what ? what : "audio", out, info);
}

/* ------------------------------------------------------------------------
 * Segmenter
 * ---------------------------------------------------------------------- */

lk__voice_seg_params lk__voice_seg_default_params(void)
{
    lk__voice_seg_params p = {4.0f, 2.0f, 1.5f, 1.0f};
    return p;
}

static lk_status emit(lk__voice *v, int with_cur)
{
    const int C = v->m->ubm.c, D = v->m->ubm.d;
    stats *w = &v->win;
    stats_zero(w, C, D);
    for (int i = 0; i < v->n_chunks; i++)
        stats_add(w, &v->chunk[(v->head + i) % v->k], C, D);
    if (with_cur)
        stats_add(w, &v->cur, C, D);
    if (w->frames < v->min_frames || w->frames == 0)
        return LK_OK;
    supervector(v->m, w, v->emb);
    lk__voice_segment seg = {
        .start = w->start,
        .end = w->end + (double)LK__VOICE_FRAME / LK__VOICE_RATE,
        .speech_seconds = w->frames * FRAME_S,
        .clipped = (double)w->clipped / ((double)w->frames * LK__VOICE_HOP),
        .embedding = v->emb,
    };
    v->run_emitted = 1;
    return v->cb(v->user, &seg);
}

/* A pause or the end: report the uncovered tail, start a new run. */
static lk_status flush_run(lk__voice *v)
{
    lk_status s = LK_OK;
    if (v->cur.frames > 0 || (!v->run_emitted && v->n_chunks > 0))
        s = emit(v, 1);
    v->n_chunks = 0;
    v->head = 0;
    v->run_emitted = 0;
    stats_zero(&v->cur, v->m->ubm.c, v->m->ubm.d);
    return s;
}

static lk_status seg_cb(void *user, const float *x, const double *t,
                        const uint8_t *clip, int n)
{
    lk__voice *v = user;
    const int C = v->m->ubm.c, D = v->m->ubm.d;
    lk_status s;
    for (int i = 0; i < n; i++) {
        if (isfinite(v->last_t) && t[i] - v->last_t > v->sp.max_gap_s &&
            (s = flush_run(v)) != LK_OK)
            return s;
        v->last_t = t[i];
        accumulate(v, &v->cur, x + (size_t)i * LK__VOICE_DIM, t[i], clip[i]);
        if (v->cur.frames < v->hop_frames)
            continue;
        /* The chunk is complete: into the ring; a full ring is a window. */
        stats *slot;
        if (v->n_chunks < v->k) {
            slot = &v->chunk[(v->head + v->n_chunks) % v->k];
            v->n_chunks++;
        } else {
            slot = &v->chunk[v->head];
            v->head = (v->head + 1) % v->k;
        }
        stats tmp = *slot;
        *slot = v->cur;
        v->cur = tmp;
        stats_zero(&v->cur, C, D);
        if (v->n_chunks == v->k && (s = emit(v, 0)) != LK_OK)
            return s;
    }
    return LK_OK;
}

lk_status lk__voice_seg_begin(lk__voice *v, const lk__voice_seg_params *p,
                              lk__voice_segment_cb cb, void *user)
{
    if (!v || !cb)
        return lk__error(LK_ERR_MISUSE, "voice segmenter: NULL argument");
    lk__voice_seg_params d = lk__voice_seg_default_params();
    if (!p)
        p = &d;
    if (!(p->hop_s >= 0.5f && p->hop_s <= 30.0f) ||
        !(p->window_s >= p->hop_s && p->window_s <= MAX_CHUNKS * p->hop_s) ||
        !(p->min_s > 0 && p->min_s <= p->window_s) || !(p->max_gap_s > 0))
        return lk__error(LK_ERR_MISUSE, "voice segmenter: bad window %g s, "
                         "hop %g s, min %g s, gap %g s", (double)p->window_s,
                         (double)p->hop_s, (double)p->min_s,
                         (double)p->max_gap_s);
    v->sp = *p;
    v->cb = cb;
    v->user = user;
    v->hop_frames = (int)lrintf(p->hop_s / (float)FRAME_S);
    v->k = (int)lrintf(p->window_s / p->hop_s);
    if (v->k < 1)
        v->k = 1;
    v->min_frames = (int)lrintf(p->min_s / (float)FRAME_S);
    v->n_chunks = v->head = v->run_emitted = 0;
    v->last_t = NAN;
    stats_zero(&v->cur, v->m->ubm.c, v->m->ubm.d);
    lk__voice_front_reset(&v->front, seg_cb, v);
    v->seg_active = 1;
    return LK_OK;
}

lk_status lk__voice_seg_push(lk__voice *v, const float *pcm, size_t n,
                             double t0)
{
    if (!v || !v->seg_active)
        return lk__error(LK_ERR_MISUSE, "voice segmenter: not begun");
    return lk__voice_front_push(&v->front, pcm, n, t0);
}

lk_status lk__voice_seg_finish(lk__voice *v)
{
    if (!v || !v->seg_active)
        return lk__error(LK_ERR_MISUSE, "voice segmenter: not begun");
    lk_status s = lk__voice_front_finish(&v->front);
    if (s == LK_OK)
        s = flush_run(v);
    v->seg_active = 0;
    return s;
}
