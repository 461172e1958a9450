/*
 * scan.c — what every scan shares: its parameters' defaults, the result's
 * warnings, order and release, and the decisions on a photo's faces (every
 * detected face searched in the gallery and decided against the
 * threshold).  The stages for video and sound are scan_video.c and
 * scan_voice.c; pipeline/scan.c drives them all.
 */
#include "evidence/evidence.h"
#include "match/scan_internal.h"

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
