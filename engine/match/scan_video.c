/*
 * scan_video.c — finding registered performers in a video: sampled frames
 * (media/video.c) → faces at the detector's input size → tracks
 * (match/track.c) → one decision per track → appearances per performer.
 *
 * Landmarks and embeddings are the expensive part and are computed only for
 * the faces the tracker asks for (new faces, re-identification, and a
 * bounded number of better frames per track), on a full-resolution copy of
 * just those frames.
 */
#include "core/grow.h"
#include "match/scan_internal.h"
#include "match/track.h"
#include "media/demux.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Performers compared per embedding when a track is decided.  A performer
 * outside one frame's top K counts 0 (an unrelated face's cosine) for that
 * frame. */
enum { TOP_K = 10 };

/* A decided track: what a finding is made of. */
typedef struct decided {
    int64_t track;
    double start, end, best_time;
    int frames, embedded;
    float mean, peak;
    lk_face face;            /* at best_time, display pixels */
    char performer_id[LK_ID_MAX + 1];   /* "": nothing enrolled */
    int match;
} decided;

struct lk__vscan {
    lk_gallery *gal;
    lk__face_nets *face;
    const lk_scan_params *params;
    float threshold;
    int dim;
    decided *d;
    int n;
    size_t cap;
    int64_t tracks;
    float *emb;              /* scratch: embeddings of one frame */
    size_t emb_cap;          /* rows */
    lk__tracker *tr;
    double last_t;           /* the last sampled frame's time */
};
typedef struct lk__vscan video_scan;

static lk_status decide(video_scan *vs, const lk__track *tk)
{
    if (tk->n_emb == 0)
        return LK_OK;
    struct cand {
        char id[LK_ID_MAX + 1];
        float sum, peak;
        int peak_at;
    } c[TOP_K * 8];
    int nc = 0;
    lk_match m[TOP_K];
    for (int e = 0; e < tk->n_emb; e++) {
        int n = 0;
        lk_status s = lk_gallery_search(vs->gal, LK_MODALITY_FACE,
                                        tk->emb + (size_t)e * vs->dim, TOP_K,
                                        m, &n);
        if (s != LK_OK)
            return s;
        for (int r = 0; r < n; r++) {
            int j = 0;
            while (j < nc && strcmp(c[j].id, m[r].performer_id) != 0)
                j++;
            if (j == nc) {
                if (nc == (int)(sizeof c / sizeof c[0]))
                    continue;      /* only with > 8 frames' distinct top-10s */
                c[nc] = (struct cand){"", 0.0f, -INFINITY, 0};
                memcpy(c[nc++].id, m[r].performer_id, sizeof c[0].id);
            }
            c[j].sum += m[r].score;
            if (m[r].score > c[j].peak) {
                c[j].peak = m[r].score;
                c[j].peak_at = e;
            }
        }
    }
    if (lk__grow(&vs->d, &vs->cap, (size_t)vs->n + 1, sizeof *vs->d, 32) !=
        LK_OK)
        return LK_ERR_NOMEM;
    decided *out = &vs->d[vs->n++];
    memset(out, 0, sizeof *out);
    out->track = tk->id;
    out->start = tk->t_first;
    out->end = tk->t_last;
    out->frames = tk->frames;
    out->embedded = tk->embeds_done;
    int best = -1;
    for (int j = 0; j < nc; j++)
        if (best < 0 || c[j].sum > c[best].sum)
            best = j;
    int at = 0;
    if (best >= 0) {
        out->mean = c[best].sum / (float)tk->n_emb;
        out->peak = c[best].peak;
        at = c[best].peak_at;
        memcpy(out->performer_id, c[best].id, sizeof out->performer_id);
        out->match = out->mean >= vs->threshold;
    } else {
        /* nothing enrolled: the best-quality frame */
        for (int e = 1; e < tk->n_emb; e++)
            if (tk->emb_q[e] > tk->emb_q[at])
                at = e;
        out->mean = out->peak = NAN;
    }
    out->best_time = tk->emb_t[at];
    out->face = tk->emb_face[at];
    return LK_OK;
}

static lk_status decide_finished(video_scan *vs, lk__tracker *tr, double t,
                                 int flush)
{
    lk__track **done;
    int n;
    lk_status s = lk__tracker_finished(tr, t, flush, &done, &n);
    for (int i = 0; i < n; i++) {
        if (s == LK_OK)
            s = decide(vs, done[i]);
        lk__track_free(done[i]);
    }
    vs->tracks += n;
    free(done);
    return s;
}

/* How good a sighting is for recognition: confident, large, and not cut by
 * the frame's edge. */
static float face_quality(const lk_face *f, int dw, int dh)
{
    float q = f->score * fminf(1.0f, fminf(f->w, f->h) / 112.0f);
    if (f->x <= 1 || f->y <= 1 || f->x + f->w >= dw - 1 || f->y + f->h >= dh - 1)
        q *= 0.7f;
    return q;
}

/* Landmarks and embeddings of the planned faces of frame f, in detection
 * order, into vs->emb; their landmarks (display pixels) into faces. */
static lk_status embed_frame(video_scan *vs, lk__demux *v, lk__vframe *f,
                             lk_face *faces, int n, const int *want)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        m += want[i] != 0;
    if (m == 0)
        return LK_OK;
    const uint8_t *rgb;
    int w, h, stride;
    float scale;
    lk_status s = lk__demux_rgb(v, f, vs->params->video.max_side, &rgb, &w, &h,
                                &stride, &scale);
    if (s != LK_OK)
        return s;
    lk_face *sub = lk__malloc((size_t)m * sizeof *sub);
    if (!sub)
        return LK_ERR_NOMEM;
    if ((size_t)m > vs->emb_cap) {
        float *e = lk__realloc(vs->emb, (size_t)m * vs->dim * sizeof *e);
        if (!e) {
            free(sub);
            return LK_ERR_NOMEM;
        }
        vs->emb = e;
        vs->emb_cap = (size_t)m;
    }
    for (int i = 0, k = 0; i < n; i++) {
        if (!want[i])
            continue;
        sub[k] = faces[i];
        sub[k].x /= scale;
        sub[k].y /= scale;
        sub[k].w /= scale;
        sub[k].h /= scale;
        k++;
    }
    s = lk__face_landmarks(vs->face, rgb, w, h, stride, sub, m);
    if (s == LK_OK)
        s = lk__face_embed(vs->face, rgb, w, h, stride, sub, m, vs->emb);
    for (int i = 0, k = 0; s == LK_OK && i < n; i++) {
        if (!want[i])
            continue;
        for (int p = 0; p < 5; p++) {
            faces[i].landmarks[p][0] = sub[k].landmarks[p][0] * scale;
            faces[i].landmarks[p][1] = sub[k].landmarks[p][1] * scale;
        }
        k++;
    }
    free(sub);
    return s;
}

/* One sampled frame through detection, tracking and embedding. */
lk_status lk__vscan_frame(lk__vscan *vs, lk__demux *v, lk__vframe *f)
{
    lk__tracker *tr = vs->tr;
    vs->last_t = f->t;
    const float sx = (float)f->dw / (float)f->sw;
    const float sy = (float)f->dh / (float)f->sh;
    lk_detect_params dp = vs->params->detect;
    dp.pyramid = 0;
    dp.max_pixels = 0;
    /* min_face is in display pixels; the detector sees the small frame */
    dp.min_face = (int)floorf((float)dp.min_face / sx);
    lk_face *faces = NULL;
    int n = 0;
    lk_status s = lk__face_detect_boxes(vs->face, f->small, f->sw, f->sh,
                                        f->sstride, &dp, &faces, &n);
    if (s != LK_OK)
        return s;
    float *q = NULL;
    int *assign = NULL, *want = NULL;
    if (n > 0) {
        q = lk__malloc((size_t)n * sizeof *q);
        assign = lk__malloc((size_t)n * sizeof *assign);
        want = lk__malloc((size_t)n * sizeof *want);
        if (!q || !assign || !want) {
            s = LK_ERR_NOMEM;
            goto done;
        }
    }
    for (int i = 0; i < n; i++) {
        faces[i].x *= sx;
        faces[i].y *= sy;
        faces[i].w *= sx;
        faces[i].h *= sy;
        q[i] = face_quality(&faces[i], f->dw, f->dh);
    }
    if ((s = lk__tracker_plan(tr, f->t, f->cut, faces, q, n, assign, want)) !=
            LK_OK ||
        (s = embed_frame(vs, v, f, faces, n, want)) != LK_OK ||
        (s = lk__tracker_update(tr, f->t, faces, q, n, assign, want,
                                vs->emb)) != LK_OK)
        goto done;
    s = decide_finished(vs, tr, f->t, 0);
done:
    free(faces);
    free(q);
    free(assign);
    free(want);
    return s;
}

static int by_performer_start(const void *a, const void *b)
{
    const decided *x = a, *y = b;
    if (x->match != y->match)
        return x->match ? -1 : 1;
    if (x->match) {
        int c = strcmp(x->performer_id, y->performer_id);
        if (c)
            return c;
    }
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->track > y->track) - (x->track < y->track);
}

static lk_status to_finding(lk_gallery *gal, const decided *d, int decision,
                            lk_finding *f)
{
    memset(f, 0, sizeof *f);
    f->face_index = (int)d->track;
    f->face = d->face;
    f->score = d->mean;
    f->peak_score = d->peak;
    f->decision = decision;
    f->start = d->start;
    f->end = d->end;
    f->best_time = d->best_time;
    f->frames = d->frames;
    f->embedded = d->embedded;
    if (d->performer_id[0]) {
        f->performer_id = lk__strdup(d->performer_id);
        f->performer_name = lk__gallery_name_of(gal, d->performer_id);
        if (!f->performer_id || !f->performer_name)
            return LK_ERR_NOMEM;
    }
    return LK_OK;
}

/* Matched tracks of one performer less than merge_gap apart become one
 * appearance; the score is the mean over all its embedded frames. */
static lk_status make_findings(video_scan *vs, lk_scan_result *res)
{
    if (vs->n > 1)
        qsort(vs->d, (size_t)vs->n, sizeof *vs->d, by_performer_start);
    res->findings = vs->n ? lk__calloc((size_t)vs->n, sizeof(lk_finding)) : NULL;
    if (vs->n && !res->findings)
        return LK_ERR_NOMEM;
    const double gap = vs->params->video.merge_gap;
    for (int i = 0; i < vs->n;) {
        decided a = vs->d[i];
        int j = i + 1;
        if (a.match) {
            double weight = a.embedded > 0 ? a.embedded : 1;
            double sum = a.mean * weight;
            while (j < vs->n && vs->d[j].match &&
                   strcmp(vs->d[j].performer_id, a.performer_id) == 0 &&
                   vs->d[j].start - a.end <= gap) {
                const decided *b = &vs->d[j];
                const double w = b->embedded > 0 ? b->embedded : 1;
                sum += b->mean * w;
                weight += w;
                a.end = fmax(a.end, b->end);
                a.frames += b->frames;
                a.embedded += b->embedded;
                if (b->peak > a.peak) {
                    a.peak = b->peak;
                    a.best_time = b->best_time;
                    a.face = b->face;
                }
                j++;
            }
            a.mean = (float)(sum / weight);
        } else if (!vs->params->report_all) {
            i = j;
            continue;
        }
        lk_status s = to_finding(vs->gal, &a, a.match ? LK_MATCH : LK_NO_MATCH,
                                 &res->findings[res->n_findings++]);
        if (s != LK_OK)
            return s;
        i = j;
    }
    return LK_OK;
}

lk_status lk__vscan_new(lk_gallery *gal, lk__face_nets *face, int dim,
                        const lk_scan_params *params, float threshold,
                        lk__vscan **out)
{
    *out = NULL;
    const lk_video_params *vp = &params->video;
    if (vp->sampling != LK_SAMPLE_SCENE && vp->sampling != LK_SAMPLE_RATE &&
        vp->sampling != LK_SAMPLE_KEYFRAMES)
        return lk__error(LK_ERR_MISUSE, "scan: unknown sampling policy %d",
                         (int)vp->sampling);
    if (!(vp->fps > 0 && vp->fps <= 1000) || vp->max_side < 0 ||
        vp->embeds_per_track < 1 || vp->embeds_per_track > 64 ||
        !(vp->merge_gap >= 0))
        return lk__error(LK_ERR_MISUSE, "scan: video parameters out of range "
                         "(fps %g, max_side %d, embeds_per_track %d, "
                         "merge_gap %g)", vp->fps, vp->max_side,
                         vp->embeds_per_track, vp->merge_gap);
    lk__vscan *vs = lk__calloc(1, sizeof *vs);
    if (!vs)
        return LK_ERR_NOMEM;
    *vs = (lk__vscan){.gal = gal, .face = face, .params = params,
                      .threshold = threshold, .dim = dim};
    /* Keyframes come seconds apart: time-based windows scale with them. */
    const double interval = vp->sampling == LK_SAMPLE_KEYFRAMES
                                ? 2.0 : 1.0 / vp->fps;
    lk__track_params tp = lk__track_default_params(vs->dim,
                                                   vp->embeds_per_track,
                                                   interval);
    lk_status s = lk__tracker_new(&tp, &vs->tr);
    if (s != LK_OK) {
        lk__vscan_free(vs);
        return s;
    }
    *out = vs;
    return LK_OK;
}

lk_status lk__vscan_finish(lk__vscan *vs, lk__demux *v, lk_scan_result *res)
{
    lk_status s = decide_finished(vs, vs->tr, INFINITY, 1);
    if (s == LK_OK)
        s = make_findings(vs, res);
    if (s != LK_OK)
        return s;
    lk__demux_info info;
    lk__demux_get_info(v, &info);
    res->width = info.width;
    res->height = info.height;
    res->faces = (int)vs->tracks;
    if (isnan(info.duration) && vs->last_t > res->duration)
        res->duration = vs->last_t;
    res->frames_decoded = info.frames_decoded;
    res->frames_sampled = info.frames_sampled;
    res->cuts = info.cuts;
    return LK_OK;
}

void lk__vscan_free(lk__vscan *vs)
{
    if (!vs)
        return;
    lk__tracker_free(vs->tr);
    free(vs->d);
    free(vs->emb);
    free(vs);
}
