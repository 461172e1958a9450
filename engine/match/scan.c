/*
 * scan.c — scanning a file: told image or video by its contents; images
 * here (every detected face is searched in the gallery and decided against
 * the recogniser's calibrated threshold), videos in scan_video.c.
 */
#include "evidence/evidence.h"
#include "match/scan_internal.h"
#include "media/av.h"
#include "media/image.h"

#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* A video or audio file (anything libav may read) rather than a photo:
 * told by the magic bytes, not the name.  A file that cannot be read goes
 * the image way, whose errors say why. */
static int is_av(const char *path)
{
    uint8_t head[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    return n > 0 && !lk__image_sniff(head, (size_t)n);
}

static lk_status scan_image(lk_gallery *gal, lk_session *ses, const char *path,
                            const lk_scan_params *params, lk_scan_result **out);

lk_status lk__scan_warn(lk_scan_result *res, const char *fmt, ...)
{
    res->n_warnings++;
    int kept = 0;
    while (res->warnings && res->warnings[kept])
        kept++;
    if (kept >= LK__SCAN_MAX_WARNINGS)
        return LK_OK;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
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

/* Open a file that is not a photo and say which streams it holds; the
 * container stays open in *fmt (the caller's) for the video reader, so
 * that it is not opened and probed twice.  A container with neither video
 * nor audio is an error naming the file. */
static lk_status open_av(const char *path, AVFormatContext **fmt,
                         int *has_video, int *has_audio, double *duration)
{
    lk_status s = lk__av_open(path, fmt);
    if (s != LK_OK)
        return s;
    lk__av_streams(*fmt, has_video, has_audio, duration);
    if (!*has_video && !*has_audio) {
        avformat_close_input(fmt);
        return lk__error(LK_ERR_FORMAT, "%s: no video or audio stream", path);
    }
    return LK_OK;
}

lk_status lk_media_probe(const char *path, lk_media_kind *out)
{
    if (!path || !out)
        return lk__error(LK_ERR_MISUSE, "lk_media_probe: NULL argument");
    *out = LK_MEDIA_IMAGE;
    if (!is_av(path))
        return LK_OK;        /* or unreadable: the image loader says why */
    AVFormatContext *fmt;
    int has_video, has_audio;
    double duration;
    lk_status s = open_av(path, &fmt, &has_video, &has_audio, &duration);
    if (s == LK_OK)
        *out = has_video ? LK_MEDIA_VIDEO : LK_MEDIA_AUDIO;
    avformat_close_input(&fmt);
    return s;
}

static lk_status scan_media(lk_gallery *gal, lk_session *ses, const char *path,
                            const lk_scan_params *params, lk_scan_result **out);

lk_status lk_scan_file(lk_gallery *gal, lk_session *ses, const char *path,
                       const lk_scan_params *params, lk_scan_result **out)
{
    lk_scan_params defaults = lk_scan_default_params();
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_scan_file: out is NULL");
    *out = NULL;
    if (!gal || !ses || !path)
        return lk__error(LK_ERR_MISUSE, "lk_scan_file: NULL argument");
    if (!params)
        params = &defaults;
    lk_status s = scan_media(gal, ses, path, params, out);
    if (s == LK_OK && (s = lk__evidence_attach(path, *out)) != LK_OK) {
        lk_scan_result_free(*out);
        *out = NULL;
    }
    return s;
}

static lk_status scan_media(lk_gallery *gal, lk_session *ses, const char *path,
                            const lk_scan_params *params, lk_scan_result **out)
{
    if (!is_av(path))
        return scan_image(gal, ses, path, params, out);

    AVFormatContext *fmt;
    int has_video, has_audio;
    double duration;
    lk_status s = open_av(path, &fmt, &has_video, &has_audio, &duration);
    if (s != LK_OK)
        return s;
    /* The video reader takes the open container; sound is read anew. */
    if (!has_video)
        avformat_close_input(&fmt);
    lk_gallery_stats st;
    if (!has_video && !ses->voice)
        s = lk__error(LK_ERR_MODEL, "%s: sound only, and the engine has "
                      "no speaker embedder (no voice_embed model in "
                      "%s/manifest.json)", path, ses->eng->manifest.dir);
    else
        s = lk_gallery_stats_get(gal, &st);
    if (s != LK_OK) {
        avformat_close_input(&fmt);
        return s;
    }
    /* The sound is decoded when there is a voice to find (voice
     * templates) or speech to judge (a synthetic-speech detector, whose
     * score over a face appearance is evidence even when the performer's
     * voice is not registered); otherwise not at all. */
    const int listen = has_audio && params->voice && ses->voice &&
                       (st.voice_templates > 0 || ses->spoof);

    lk_scan_result *res = lk__calloc(1, sizeof *res);
    if (!res || !(res->path = lk__strdup(path))) {
        free(res);
        avformat_close_input(&fmt);
        return LK_ERR_NOMEM;
    }
    res->kind = has_video ? LK_MEDIA_VIDEO : LK_MEDIA_AUDIO;
    res->duration = isnan(duration) ? 0.0 : duration;
    res->threshold = params->threshold < -1.0f ? ses->eng->embed->threshold
                                               : params->threshold;
    res->voice_threshold = ses->voice && params->voice_threshold < -1.0f
                               ? ses->eng->voice->threshold
                               : params->voice_threshold;
    if (has_video)
        s = lk__scan_video(gal, ses, path, fmt, params, res);
    if (s == LK_OK && listen) {
        s = lk__scan_voice(gal, ses, path, params, res);
        /* A film's damaged or narrowband sound must not lose its faces. */
        if (s == LK_ERR_FORMAT && has_video)
            s = lk__scan_warn(res, "voices not searched: %s", lk_last_error());
    }
    if (s == LK_OK)
        lk__scan_sort(res);
    if (s != LK_OK) {
        lk_scan_result_free(res);
        return s;
    }
    *out = res;
    return LK_OK;
}

static lk_status scan_image(lk_gallery *gal, lk_session *ses, const char *path,
                            const lk_scan_params *params, lk_scan_result **out)
{
    lk_faces *faces = NULL;
    lk_status s = lk_faces_from_file(ses, path, &params->detect, &faces);
    if (s != LK_OK)
        return s;

    lk_scan_result *res = lk__calloc(1, sizeof *res);
    if (!res || !(res->path = lk__strdup(path)) ||
        !(res->findings = lk__calloc((size_t)faces->count, sizeof(lk_finding)))) {
        lk_scan_result_free(res);
        lk_faces_free(faces);
        return LK_ERR_NOMEM;
    }
    res->kind = LK_MEDIA_IMAGE;
    res->width = faces->width;
    res->height = faces->height;
    res->faces = faces->count;
    res->threshold = params->threshold < -1.0f ? ses->eng->embed->threshold
                                               : params->threshold;
    for (int i = 0; i < faces->count; i++) {
        lk_match m;
        int n = 0;
        s = lk_gallery_search(gal, faces->embeddings + (size_t)i * faces->dim,
                              1, &m, &n);
        if (s != LK_OK)
            break;
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
            f->performer_name = lk__strdup(m.performer_name ? m.performer_name
                                                            : "");
            if (!f->performer_id || !f->performer_name) {
                s = LK_ERR_NOMEM;
                break;
            }
        }
    }
    lk_faces_free(faces);
    if (s != LK_OK) {
        lk_scan_result_free(res);
        return s;
    }
    qsort(res->findings, (size_t)res->n_findings, sizeof *res->findings,
          by_score_desc);
    *out = res;
    return LK_OK;
}
