/*
 * scan.c — scanning a file: told image or video by its contents; images
 * here (every detected face is searched in the gallery and decided against
 * the recogniser's calibrated threshold), videos in scan_video.c.
 */
#include "match/scan_internal.h"
#include "media/image.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

lk_video_params lk_video_default_params(void)
{
    lk_video_params p;
    memset(&p, 0, sizeof p);
    p.sampling = LK_SAMPLE_SCENE;
    p.fps = 4.0;
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
    return p;
}

void lk_scan_result_free(lk_scan_result *res)
{
    if (!res)
        return;
    for (int i = 0; i < res->n_findings; i++) {
        free((char *)res->findings[i].performer_id);
        free((char *)res->findings[i].performer_name);
    }
    free(res->findings);
    for (char **w = res->warnings; w && *w; w++)
        free(*w);
    free(res->warnings);
    free(res->path);
    free(res);
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

/* A video (or anything else libav may read) rather than a photo: told by
 * the magic bytes, not the name.  A file that cannot be read goes the image
 * way, whose errors say why. */
static int is_video(const char *path)
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
    if (!is_video(path))
        return scan_image(gal, ses, path, params, out);

    lk_scan_result *res = lk__calloc(1, sizeof *res);
    if (!res || !(res->path = lk__strdup(path))) {
        free(res);
        return LK_ERR_NOMEM;
    }
    res->threshold = params->threshold < -1.0f ? ses->eng->embed->threshold
                                               : params->threshold;
    lk_status s = lk__scan_video(gal, ses, path, params, res);
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
