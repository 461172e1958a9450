/*
 * track.c — face tracks across sampled video frames (match/track.h).
 *
 * Association is greedy on box overlap, best pair first: at a few samples a
 * second, faces move little between samples and greedy matching on overlap
 * is what the Hungarian method would choose in all but contrived scenes.
 * The box is first moved by the track's velocity, so a face walking across
 * the frame keeps overlapping its prediction; a face of the same size close
 * to the prediction comes next.
 */
#include "core/grow.h"
#include "match/track.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct lk__tracker {
    lk__track_params p;
    lk__track **v;           /* active tracks */
    int n;
    size_t cap;
    int64_t next_id;
};

lk__track_params lk__track_default_params(int dim, int max_embeds,
                                          double interval)
{
    lk__track_params p;
    p.dim = dim;
    p.max_embeds = max_embeds > 0 ? max_embeds : 4;
    p.embed_interval = fmax(2.0, 2.0 * interval);
    p.min_iou = 0.3f;
    /* Same face in two frames of one video: cosines mostly above 0.6;
     * different people's: below 0.3 (the calibrated match threshold for
     * gallery photos is 0.40). */
    p.reid_sim = 0.5f;
    p.reid_window = fmax(2.0, 3.0 * interval);
    /* detector score x side / 112 px: a confident face of about 35 px */
    p.new_quality = 0.3f;
    return p;
}

float lk__box_iou(const lk_face *a, const lk_face *b)
{
    const float x1 = fmaxf(a->x, b->x), y1 = fmaxf(a->y, b->y);
    const float x2 = fminf(a->x + a->w, b->x + b->w);
    const float y2 = fminf(a->y + a->h, b->y + b->h);
    const float iw = x2 - x1, ih = y2 - y1;
    if (iw <= 0 || ih <= 0)
        return 0.0f;
    const float inter = iw * ih;
    const float uni = a->w * a->h + b->w * b->h - inter;
    return uni > 0 ? inter / uni : 0.0f;
}

void lk__track_free(lk__track *t)
{
    if (!t)
        return;
    free(t->emb);
    free(t->emb_q);
    free(t->emb_t);
    free(t->emb_face);
    free(t);
}

lk_status lk__tracker_new(const lk__track_params *p, lk__tracker **out)
{
    *out = NULL;
    if (!p || p->dim < 1 || p->max_embeds < 1)
        return lk__error(LK_ERR_MISUSE, "tracker: bad parameters");
    lk__tracker *tr = lk__calloc(1, sizeof *tr);
    if (!tr)
        return LK_ERR_NOMEM;
    tr->p = *p;
    *out = tr;
    return LK_OK;
}

void lk__tracker_free(lk__tracker *tr)
{
    if (!tr)
        return;
    for (int i = 0; i < tr->n; i++)
        lk__track_free(tr->v[i]);
    free(tr->v);
    free(tr);
}

int lk__tracker_active(const lk__tracker *tr)
{
    return tr ? tr->n : 0;
}

typedef struct pair {
    float iou;
    int track, det;
} pair;

static int by_iou_desc(const void *a, const void *b)
{
    const pair *x = a, *y = b;
    if (x->iou != y->iou)
        return x->iou > y->iou ? -1 : 1;
    if (x->track != y->track)
        return x->track - y->track;
    return x->det - y->det;
}

static float worst_quality(const lk__track *t, int *at)
{
    float w = INFINITY;
    *at = 0;
    for (int i = 0; i < t->n_emb; i++)
        if (t->emb_q[i] < w) {
            w = t->emb_q[i];
            *at = i;
        }
    return w;
}

/* Whether a track's new sighting of quality q at t is worth an embedding:
 * while slots are free, once every embed_interval, or after half of it when
 * quality improves by a quarter (a face turning to the camera, coming
 * closer); when full, only to replace a clearly worse one, once an
 * interval, within a budget of twice the slots.  Embedding is the costly
 * step: a crowd walking towards the camera improves every frame. */
static int worth_embedding(const lk__tracker *tr, const lk__track *t, double now,
                           float q)
{
    const int k = tr->p.max_embeds;
    const double since = now - t->last_embed_t;
    if (t->n_emb < k)
        return t->n_emb == 0 || since >= tr->p.embed_interval ||
               (q > t->best_q * 1.25f && since >= tr->p.embed_interval / 2);
    int at;
    return t->embeds_done < 2 * k && q > worst_quality(t, &at) * 1.2f &&
           since >= tr->p.embed_interval;
}

lk_status lk__tracker_plan(lk__tracker *tr, double t, int cut,
                           const lk_face *faces, const float *quality, int n,
                           int *assign, int *embed)
{
    for (int i = 0; i < n; i++) {
        assign[i] = -1;
        embed[i] = 0;
    }
    if (cut)
        for (int j = 0; j < tr->n; j++)
            tr->v[j]->lost = 1;

    pair *pairs = NULL;
    int np = 0;
    if (n > 0 && tr->n > 0) {
        pairs = lk__malloc((size_t)n * tr->n * sizeof *pairs);
        if (!pairs)
            return LK_ERR_NOMEM;
    }
    for (int j = 0; j < tr->n; j++) {
        const lk__track *tk = tr->v[j];
        /* Boxes carry over only from one of the last two samples of the
         * same shot. */
        if (tk->lost || tk->missed > 1)
            continue;
        const double dt = t - tk->t_last;
        lk_face pred = tk->last;
        pred.x += (float)(tk->vx * dt);
        pred.y += (float)(tk->vy * dt);
        const float side = sqrtf(tk->last.w * tk->last.h);
        const float pcx = pred.x + pred.w / 2, pcy = pred.y + pred.h / 2;
        for (int i = 0; i < n; i++) {
            const float iou = fmaxf(lk__box_iou(&pred, &faces[i]),
                                    lk__box_iou(&tk->last, &faces[i]));
            if (iou >= tr->p.min_iou) {
                pairs[np++] = (pair){iou, j, i};
                continue;
            }
            /* Small faces moving fast overlap their prediction too little:
             * a face of about the same size whose centre is within 3/4 of
             * a face of the prediction's continues the track too, ranked
             * below every overlapping pair.  Cheaper than the embedding
             * that would otherwise re-join it. */
            const lk_face *f = &faces[i];
            const float fs = sqrtf(f->w * f->h);
            const float dx = f->x + f->w / 2 - pcx, dy = f->y + f->h / 2 - pcy;
            const float d = sqrtf(dx * dx + dy * dy), reach = 0.75f * side;
            if (side > 0 && fs > 0.7f * side && fs < 1.43f * side && d < reach)
                pairs[np++] = (pair){tr->p.min_iou * 0.99f * (1.0f - d / reach),
                                     j, i};
        }
    }
    if (np > 1)
        qsort(pairs, (size_t)np, sizeof *pairs, by_iou_desc);
    unsigned char *used = tr->n ? lk__calloc((size_t)tr->n, 1) : NULL;
    if (tr->n && !used) {
        free(pairs);
        return LK_ERR_NOMEM;
    }
    for (int k = 0; k < np; k++) {
        if (used[pairs[k].track] || assign[pairs[k].det] >= 0)
            continue;
        used[pairs[k].track] = 1;
        assign[pairs[k].det] = pairs[k].track;
    }
    free(pairs);
    free(used);
    for (int i = 0; i < n; i++)
        embed[i] = assign[i] < 0
                       ? quality[i] >= tr->p.new_quality
                       : worth_embedding(tr, tr->v[assign[i]], t, quality[i]);
    return LK_OK;
}

static float dot(const float *a, const float *b, int d)
{
    float s = 0.0f;
    for (int i = 0; i < d; i++)
        s += a[i] * b[i];
    return s;
}

static lk_status add_embedding(const lk__tracker *tr, lk__track *tk, double t,
                               const lk_face *f, float q, const float *e)
{
    const int d = tr->p.dim;
    int at = tk->n_emb;
    if (at == tr->p.max_embeds)
        worst_quality(tk, &at);
    else
        tk->n_emb++;
    memcpy(tk->emb + (size_t)at * d, e, (size_t)d * sizeof *e);
    tk->emb_q[at] = q;
    tk->emb_t[at] = t;
    tk->emb_face[at] = *f;
    tk->embeds_done++;
    tk->last_embed_t = t;
    if (q > tk->best_q)
        tk->best_q = q;
    return LK_OK;
}

static void sighting(lk__track *tk, double t, const lk_face *f, int keep_motion)
{
    const double dt = t - tk->t_last;
    if (keep_motion && dt > 1e-6) {
        const double vx = ((f->x + f->w / 2) - (tk->last.x + tk->last.w / 2)) / dt;
        const double vy = ((f->y + f->h / 2) - (tk->last.y + tk->last.h / 2)) / dt;
        /* smoothed: one noisy box should not throw the prediction off */
        tk->vx = tk->frames > 1 ? 0.5 * tk->vx + 0.5 * vx : vx;
        tk->vy = tk->frames > 1 ? 0.5 * tk->vy + 0.5 * vy : vy;
    } else {
        tk->vx = tk->vy = 0.0;
    }
    tk->last = *f;
    tk->t_last = t;
    tk->frames++;
    tk->missed = 0;
    tk->lost = 0;
}

static lk__track *new_track(lk__tracker *tr, double t, const lk_face *f)
{
    const int k = tr->p.max_embeds, d = tr->p.dim;
    lk__track *tk = lk__calloc(1, sizeof *tk);
    if (!tk)
        return NULL;
    tk->emb = lk__malloc((size_t)k * d * sizeof *tk->emb);
    tk->emb_q = lk__malloc((size_t)k * sizeof *tk->emb_q);
    tk->emb_t = lk__malloc((size_t)k * sizeof *tk->emb_t);
    tk->emb_face = lk__malloc((size_t)k * sizeof *tk->emb_face);
    if (!tk->emb || !tk->emb_q || !tk->emb_t || !tk->emb_face) {
        lk__track_free(tk);
        return NULL;
    }
    if (lk__grow(&tr->v, &tr->cap, (size_t)tr->n + 1, sizeof *tr->v, 16) !=
        LK_OK) {
        lk__track_free(tk);
        return NULL;
    }
    tk->id = tr->next_id++;
    tk->t_first = tk->t_last = t;
    tk->last = *f;
    tk->frames = 1;
    tk->last_embed_t = -INFINITY;
    tr->v[tr->n++] = tk;
    return tk;
}

lk_status lk__tracker_update(lk__tracker *tr, double t, const lk_face *faces,
                             const float *quality, int n, const int *assign,
                             const int *embed, const float *emb)
{
    const int d = tr->p.dim;
    const int n_before = tr->n;
    unsigned char *seen = n_before ? lk__calloc((size_t)n_before, 1) : NULL;
    if (n_before && !seen)
        return LK_ERR_NOMEM;
    lk_status s = LK_OK;
    int row = 0;
    for (int i = 0; i < n && s == LK_OK; i++) {
        const float *e = embed[i] ? emb + (size_t)row++ * d : NULL;
        int j = assign[i];
        if (j >= 0) {
            sighting(tr->v[j], t, &faces[i], 1);
            seen[j] = 1;
            if (e)
                s = add_embedding(tr, tr->v[j], t, &faces[i], quality[i], e);
            continue;
        }
        if (!e) {
            /* low quality: a track of its own, embedded if seen again */
            if (!new_track(tr, t, &faces[i])) {
                s = LK_ERR_NOMEM;
                break;
            }
            continue;
        }
        /* Re-join the most similar track not seen in this frame that was
         * lost to a cut or an occlusion a short while ago. */
        int best = -1;
        float best_sim = tr->p.reid_sim;
        for (int k = 0; k < n_before; k++) {
            const lk__track *tk = tr->v[k];
            if (seen[k] || t - tk->t_last > tr->p.reid_window)
                continue;
            for (int m = 0; m < tk->n_emb; m++) {
                const float c = dot(e, tk->emb + (size_t)m * d, d);
                if (c >= best_sim) {
                    best_sim = c;
                    best = k;
                }
            }
        }
        lk__track *tk;
        if (best >= 0) {
            tk = tr->v[best];
            seen[best] = 1;
            /* the motion holds when the face was seen a sample ago in the
             * same shot (it moved too far for the boxes to overlap) */
            sighting(tk, t, &faces[i], !tk->lost && tk->missed == 0);
        } else if (!(tk = new_track(tr, t, &faces[i]))) {
            s = LK_ERR_NOMEM;
            break;
        }
        s = add_embedding(tr, tk, t, &faces[i], quality[i], e);
    }
    for (int k = 0; k < n_before; k++)
        if (!seen[k])
            tr->v[k]->missed++;
    free(seen);
    return s;
}

lk_status lk__tracker_finished(lk__tracker *tr, double t, int flush,
                               lk__track ***out, int *n)
{
    *out = NULL;
    *n = 0;
    int count = 0;
    for (int j = 0; j < tr->n; j++) {
        const lk__track *tk = tr->v[j];
        count += flush || (tk->missed >= 2 && t - tk->t_last > tr->p.reid_window);
    }
    if (count == 0)
        return LK_OK;
    lk__track **done = lk__malloc((size_t)count * sizeof *done);
    if (!done)
        return LK_ERR_NOMEM;
    int k = 0, keep = 0;
    for (int j = 0; j < tr->n; j++) {
        lk__track *tk = tr->v[j];
        if (flush || (tk->missed >= 2 && t - tk->t_last > tr->p.reid_window))
            done[k++] = tk;
        else
            tr->v[keep++] = tk;
    }
    tr->n = keep;
    *out = done;
    *n = k;
    return LK_OK;
}
