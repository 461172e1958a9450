/*
 * scan.c — what every scan shares: its parameters' defaults, the result's
 * warnings, order and release, and the decisions on a photo's faces (every
 * detected face searched in the gallery and decided against the
 * threshold).  The stages for video and sound are scan_video.c and
 * scan_voice.c; pipeline/scan.c drives them all.
 */
#include "evidence/evidence.h"
#include "match/scan_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

lk_video_params lk_video_default_params(void)
{
    lk_video_params p;
    memset(&p, 0, sizeof p);
    p.sampling = LK_SAMPLE_SCENE;
    p.fps = 2.0;
    p.scene_threshold = 0.12f;
    p.max_side = 1280;
    p.embeds_per_track = 4;
    p.merge_gap = 2.0;
    p.threads = 0;
    return p;
}

lk_scan_params lk_scan_default_params(void)
{
    lk_scan_params p;
    memset(&p, 0, sizeof p);
    p.threshold = -2.0f;
    p.report_all = 0;
    p.detect = lk_detect_default_params();
    p.video = lk_video_default_params();
    p.voice = 1;
    p.voice_threshold = -2.0f;
    return p;
}

/* A threshold: a cosine in -1..1, or below -1 for the calibrated value;
 * NaN and infinities are no threshold. */
static lk_status check_threshold(const char *name, float t)
{
    if (isfinite(t) && t <= 1.0f)
        return LK_OK;
    return lk__error(LK_ERR_MISUSE, "scan params: %s %g is not a cosine in "
                     "-1..1 (or below -1 for the calibrated value)", name,
                     (double)t);
}

lk_status lk__scan_check_params(const lk_scan_params *p)
{
    const lk_video_params *v = &p->video;
    lk_status s;
    if ((s = check_threshold("threshold", p->threshold)) != LK_OK ||
        (s = check_threshold("voice_threshold", p->voice_threshold)) != LK_OK)
        return s;
    if ((s = lk__detect_check_params(&p->detect)) != LK_OK)
        return lk__error(s, "scan params: %s", lk_last_error());
    const char *bad = NULL;
    double value = 0;
    if (v->sampling != LK_SAMPLE_SCENE && v->sampling != LK_SAMPLE_RATE &&
        v->sampling != LK_SAMPLE_KEYFRAMES)
        bad = "video.sampling (scene, rate or keyframes)", value = v->sampling;
    else if (!(v->fps > 0 && v->fps <= LK__MAX_FPS))
        bad = "video.fps (in (0, 1000])", value = v->fps;
    else if (!(v->scene_threshold > 0 && v->scene_threshold <= 1))
        bad = "video.scene_threshold (in (0, 1])", value = v->scene_threshold;
    else if (v->max_side != 0 &&
             !(v->max_side >= 64 && v->max_side <= LK__MAX_FACE_SIDE))
        bad = "video.max_side (0, or 64..65536)", value = v->max_side;
    else if (!(v->embeds_per_track >= 1 && v->embeds_per_track <= 64))
        bad = "video.embeds_per_track (in 1..64)", value = v->embeds_per_track;
    else if (!(v->merge_gap >= 0 && v->merge_gap <= LK__MAX_MERGE_GAP))
        bad = "video.merge_gap (seconds, 0..86400)", value = v->merge_gap;
    else if (!(v->threads >= 0 && v->threads <= 256))
        bad = "video.threads (in 0..256)", value = v->threads;
    if (bad)
        return lk__error(LK_ERR_MISUSE, "scan params: %g is out of range "
                         "for %s", value, bad);
    return LK_OK;
}

static int by_score_desc(const void *a, const void *b)
{
    const lk_finding *x = a, *y = b;
    if (x->decision != y->decision)
        return x->decision == LK_MATCH ? -1 : 1;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->face_index - y->face_index;
}

lk_status lk__scan_warn(lk_scan_result *res, const char *fmt, ...)
{
    res->n_warnings++;
    int kept = 0;
    while (res->warnings && res->warnings[kept])
        kept++;
    if (kept >= LK__SCAN_MAX_WARNINGS)
        return LK_OK;
    char msg[LK__MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lk__msg_fit(msg, sizeof msg, n);
    char **w = lk__realloc(res->warnings, (size_t)(kept + 2) * sizeof *w);
    if (!w)
        return LK_ERR_NOMEM;
    res->warnings = w;
    if (!(w[kept] = lk__strdup(msg)))
        return LK_ERR_NOMEM;
    w[kept + 1] = NULL;
    return LK_OK;
}

static int by_decision_start(const void *a, const void *b)
{
    const lk_finding *x = a, *y = b;
    if (x->decision != y->decision)
        return x->decision == LK_MATCH ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->modality != y->modality)
        return (int)x->modality - (int)y->modality;
    return x->face_index - y->face_index;
}

void lk__scan_sort(lk_scan_result *res)
{
    if (res->n_findings > 1)
        qsort(res->findings, (size_t)res->n_findings, sizeof *res->findings,
              by_decision_start);
}

lk_status lk__scan_image(lk_gallery *gal, const lk_faces *faces,
                         const lk_scan_params *params, lk_scan_result *res)
{
    res->kind = LK_MEDIA_IMAGE;
    res->width = faces->width;
    res->height = faces->height;
    res->faces = faces->count;
    if (faces->count &&
        !(res->findings = lk__calloc((size_t)faces->count, sizeof(lk_finding))))
        return LK_ERR_NOMEM;
    lk_status s = LK_OK;
    for (int i = 0; i < faces->count; i++) {
        lk_match m;
        int n = 0;
        s = lk_gallery_search(gal, LK_MODALITY_FACE,
                              faces->embeddings + (size_t)i * faces->dim, 1,
                              &m, &n);
        if (s != LK_OK)
            return s;
        int match = n > 0 && m.score >= res->threshold;
        if (!match && !params->report_all)
            continue;
        lk_finding *f = &res->findings[res->n_findings++];
        f->face_index = i;
        f->face = faces->faces[i];
        f->decision = match ? LK_MATCH : LK_NO_MATCH;
        if (n > 0) {
            f->score = m.score;
            f->performer_id = lk__strdup(m.performer_id);
            f->performer_name = lk__gallery_name_of(gal, m.performer_id);
            if (!f->performer_id || !f->performer_name)
                return LK_ERR_NOMEM;
        }
    }
    if (res->n_findings > 1)   /* findings is NULL without faces */
        qsort(res->findings, (size_t)res->n_findings, sizeof *res->findings,
              by_score_desc);
    return LK_OK;
}
