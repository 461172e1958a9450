/*
 * scan_voice.c — registered voices in a sound track: speech windows
 * (voice/embed.c's segmenter) searched among the gallery's voice
 * templates, a performer's matching windows joined into stretches of
 * voice, and those stretches either attached to the same performer's face
 * appearance (video) or reported on their own.  The same PCM is scored by
 * the synthetic-speech detector when the engine has one: over all speech,
 * and over each finding's windows.
 */
#include "core/grow.h"
#include "match/scan_internal.h"
#include "voice/spoof.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One window's verdict. */
typedef struct window {
    double start, end;
    float score;
    char performer_id[LK_ID_MAX + 1];
} window;

typedef struct voice_scan {
    lk_gallery *gal;
    float threshold;
    window *w;
    int n;
    size_t cap;
    int searched;
    double speech, last_end;
} voice_scan;

static lk_status on_segment(void *user, const lk__voice_segment *seg)
{
    voice_scan *vs = user;
    lk_match m;
    int n = 0;
    lk_status s = lk_gallery_search(vs->gal, LK_MODALITY_VOICE,
                                    seg->embedding, 1, &m, &n);
    if (s != LK_OK)
        return s;
    vs->searched++;
    /* Windows overlap (4 s every 2 s): count only the part of this one's
     * speech past the previous window's end. */
    const double span = seg->end - seg->start;
    const double fresh = seg->end - fmax(seg->start, vs->last_end);
    if (span > 0 && fresh > 0)
        vs->speech += seg->speech_seconds * fmin(1.0, fresh / span);
    else if (span <= 0 && seg->start >= vs->last_end)
        vs->speech += seg->speech_seconds;
    vs->last_end = fmax(vs->last_end, seg->end);
    if (n == 0 || m.score < vs->threshold)
        return LK_OK;
    if (lk__grow(&vs->w, &vs->cap, (size_t)vs->n + 1, sizeof *vs->w, 64) !=
        LK_OK)
        return LK_ERR_NOMEM;
    window *w = &vs->w[vs->n++];
    *w = (window){seg->start, seg->end, m.score, ""};
    memcpy(w->performer_id, m.performer_id, sizeof w->performer_id);
    return LK_OK;
}

static int by_performer_time(const void *a, const void *b)
{
    const window *x = a, *y = b;
    int c = strcmp(x->performer_id, y->performer_id);
    if (c)
        return c;
    return (x->start > y->start) - (x->start < y->start);
}

/* The performer's voice stretches, from its sorted windows. */
typedef struct stretch {
    double start, end, peak_t;
    float sum, peak;
    int first, n;            /* its windows in the sorted vs->w */
    const char *id;          /* its windows' */
    int used;                /* attached to a face finding */
} stretch;

static int stretches(voice_scan *vs, double gap, stretch **out)
{
    *out = NULL;
    if (vs->n == 0)
        return 0;
    if (vs->n > 1)
        qsort(vs->w, (size_t)vs->n, sizeof *vs->w, by_performer_time);
    stretch *st = lk__calloc((size_t)vs->n, sizeof *st);
    if (!st)
        return -1;
    int k = 0;
    for (int i = 0; i < vs->n; i++) {
        const window *w = &vs->w[i];
        stretch *cur = k ? &st[k - 1] : NULL;
        if (cur && !strcmp(cur->id, w->performer_id) &&
            w->start - cur->end <= gap) {
            cur->end = fmax(cur->end, w->end);
            cur->sum += w->score;
            if (w->score > cur->peak) {
                cur->peak = w->score;
                cur->peak_t = w->start;
            }
            cur->n++;
        } else {
            st[k++] = (stretch){w->start, w->end, w->start, w->score, w->score,
                                i, 1, w->performer_id, 0};
        }
    }
    *out = st;
    return k;
}

/* Frame LLRs over the union of time-ordered windows, each frame counted
 * once: ranges resolve to the scorer's buckets, so windows that overlap or
 * share a bucket are joined before the sum is taken. */
typedef struct llr_acc {
    const lk__spoof *sp;
    double sum, a, b, peak;
    long n;
    int open, peaked;
} llr_acc;

static void acc_flush(llr_acc *acc)
{
    if (!acc->open)
        return;
    double sum;
    long n = lk__spoof_range(acc->sp, acc->a, acc->b, &sum);
    acc->sum += sum;
    acc->n += n;
    acc->open = 0;
}

static void acc_window(llr_acc *acc, const window *w)
{
    double sum;
    long n = lk__spoof_range(acc->sp, w->start, w->end, &sum);
    if (n > 0 && (!acc->peaked || sum / (double)n > acc->peak)) {
        acc->peak = sum / (double)n;
        acc->peaked = 1;
    }
    if (acc->open &&
        lk__spoof_bucket(w->start) <= lk__spoof_bucket(acc->b)) {
        acc->b = fmax(acc->b, w->end);
        return;
    }
    acc_flush(acc);
    acc->a = w->start;
    acc->b = w->end;
    acc->open = 1;
}

static void acc_evidence(llr_acc *acc, lk_evidence *ev)
{
    acc_flush(acc);
    if (acc->n == 0)
        return;
    ev->speech_scored = 1;
    ev->synthetic_score = (float)(acc->sum / (double)acc->n);
    ev->synthetic_peak = (float)acc->peak;
}

/* Least speech (10 ms frames) a face appearance's own sound is judged on. */
#define SPEECH_MIN_FRAMES 100

struct lk__voicescan {
    voice_scan vs;
    lk__voice *voice;
    lk__spoof *spoof;        /* NULL: no synthetic-speech detector */
    float spoof_threshold;
    int segmenting;          /* the segmenter is ours */
};

lk_status lk__voicescan_begin(lk_gallery *gal, lk__voice *voice,
                              lk__spoof *spoof, float spoof_threshold,
                              float threshold, lk__voicescan **out)
{
    *out = NULL;
    lk__voicescan *v = lk__calloc(1, sizeof *v);
    if (!v)
        return LK_ERR_NOMEM;
    v->vs = (voice_scan){.gal = gal, .threshold = threshold};
    v->voice = voice;
    v->spoof = spoof;
    v->spoof_threshold = spoof_threshold;
    lk__voice_seg_params sp = lk__voice_seg_default_params();
    if (spoof)
        lk__spoof_reset(spoof);
    lk_status s = lk__voice_seg_begin(voice, &sp, on_segment, &v->vs);
    if (s != LK_OK) {
        free(v);
        return s;
    }
    v->segmenting = 1;
    *out = v;
    return LK_OK;
}

lk_status lk__voicescan_push(lk__voicescan *v, const float *pcm, size_t n,
                             double t0)
{
    lk_status s = lk__voice_seg_push(v->voice, pcm, n, t0);
    if (s == LK_OK && v->spoof)
        s = lk__spoof_push(v->spoof, pcm, n, t0);
    return s;
}

void lk__voicescan_free(lk__voicescan *v)
{
    if (!v)
        return;
    if (v->segmenting)
        (void)lk__voice_seg_finish(v->voice);
    free(v->vs.w);
    free(v);
}

lk_status lk__voicescan_finish(lk__voicescan *v, const lk_scan_params *params,
                               lk_scan_result *res)
{
    lk__spoof *spoof = v->spoof;
    lk_status s = lk__voice_seg_finish(v->voice);
    v->segmenting = 0;
    voice_scan vs = v->vs;     /* with the last windows, freed here */
    v->vs.w = NULL;
    if (s == LK_OK && spoof &&
        (s = lk__spoof_finish(spoof)) == LK_OK) {
        double sum;
        long frames = lk__spoof_total(spoof, &sum);
        res->synthetic_threshold = v->spoof_threshold;
        if (frames > 0) {
            res->speech_scored = 1;
            res->synthetic_score = (float)(sum / (double)frames);
        }
    }
    res->voice_segments = vs.searched;
    res->speech_seconds = vs.speech;
    stretch *st = NULL;
    const int n = s == LK_OK ? stretches(&vs, params->video.merge_gap, &st)
                             : 0;
    if (n < 0)
        s = LK_ERR_NOMEM;

    /* A stretch overlapping (within merge_gap) a face appearance of the
     * same performer is that appearance's voice evidence. */
    const double gap = params->video.merge_gap;
    for (int i = 0; i < res->n_findings && s == LK_OK; i++) {
        lk_finding *f = &res->findings[i];
        if (f->decision != LK_MATCH || f->modality != LK_MODALITY_FACE)
            continue;
        float sum = 0.0f;
        /* A performer's stretches are in time order: their windows can be
         * joined in one pass. */
        llr_acc acc = {.sp = spoof};
        for (int j = 0; j < n; j++) {
            stretch *x = &st[j];
            if (strcmp(x->id, f->performer_id) != 0 ||
                x->start > f->end + gap || x->end < f->start - gap)
                continue;
            x->used = 1;
            for (int k = 0; spoof && k < x->n; k++)
                acc_window(&acc, &vs.w[x->first + k]);
            sum += x->sum;
            f->voice_segments += x->n;
            f->voice_peak_score = fmaxf(f->voice_peak_score, x->peak);
        }
        if (f->voice_segments)
            f->voice_score = sum / (float)f->voice_segments;
        if (!spoof)
            continue;
        if (f->voice_segments) {
            acc_evidence(&acc, &f->evidence);
            continue;
        }
        /* The performer's voice not heard: the speech heard while the face
         * is on screen is the evidence, when there is a second of it. */
        double llr;
        long frames = lk__spoof_range(spoof, f->start, f->end, &llr);
        if (frames >= SPEECH_MIN_FRAMES) {
            f->evidence.speech_scored = 1;
            f->evidence.synthetic_score = f->evidence.synthetic_peak =
                (float)(llr / (double)frames);
        }
    }
    /* The rest: voice-only findings. */
    int extra = 0;
    for (int j = 0; j < n; j++)
        extra += !st[j].used;
    if (s == LK_OK && extra) {
        lk_finding *v = lk__realloc(res->findings, (size_t)(res->n_findings +
                                                            extra) *
                                                       sizeof *v);
        if (!v) {
            s = LK_ERR_NOMEM;
        } else {
            res->findings = v;
            for (int j = 0; j < n && s == LK_OK; j++) {
                if (st[j].used)
                    continue;
                lk_finding *f = &res->findings[res->n_findings++];
                memset(f, 0, sizeof *f);
                f->modality = LK_MODALITY_VOICE;
                f->decision = LK_MATCH;
                f->face_index = -1;
                f->start = st[j].start;
                f->end = st[j].end;
                f->voice_segments = st[j].n;
                f->voice_score = f->score = st[j].sum / (float)st[j].n;
                f->voice_peak_score = f->peak_score = st[j].peak;
                f->best_time = st[j].peak_t;
                if (spoof) {
                    llr_acc acc = {.sp = spoof};
                    for (int k = 0; k < st[j].n; k++)
                        acc_window(&acc, &vs.w[st[j].first + k]);
                    acc_evidence(&acc, &f->evidence);
                }
                f->performer_id = lk__strdup(st[j].id);
                f->performer_name = lk__gallery_name_of(vs.gal, st[j].id);
                if (!f->performer_id || !f->performer_name)
                    s = LK_ERR_NOMEM;
            }
        }
    }
    free(st);
    free(vs.w);
    return s;
}
