/*
 * pcm_file.h — the voice stages on a file's sound, for tests and the eval
 * suites: the engine's stages take PCM, and the file is decoded by the
 * orchestration layer's reader (lk__read_pcm_file), as a scan does.
 */
#ifndef LK_TEST_PCM_FILE_H
#define LK_TEST_PCM_FILE_H

#include "pipeline/pipeline.h"
#include "voice/spoof.h"

#include <string.h>

static lk_status pcm_to_embed(void *v, const float *pcm, size_t n, double t0)
{
    return lk__voice_embed_push(v, pcm, n, t0);
}

/* One embedding from all the speech of path (as enrolment makes it). */
static inline lk_status voice_embed_file(lk__voice *v, const char *path,
                                         float *out, lk__voice_info *info)
{
    if (info)
        memset(info, 0, sizeof *info);
    lk_status s = lk__voice_embed_begin(v);
    if (s == LK_OK)
        s = lk__read_pcm_file(path, pcm_to_embed, v);
    return s == LK_OK ? lk__voice_embed_end(v, path, out, info) : s;
}

static lk_status pcm_to_seg(void *v, const float *pcm, size_t n, double t0)
{
    return lk__voice_seg_push(v, pcm, n, t0);
}

/* The windows of path's speech, each to cb (as a scan cuts them). */
static inline lk_status voice_segment_file(lk__voice *v, const char *path,
                                           const lk__voice_seg_params *p,
                                           lk__voice_segment_cb cb, void *user)
{
    lk_status s = lk__voice_seg_begin(v, p, cb, user);
    if (s != LK_OK)
        return s;
    s = lk__read_pcm_file(path, pcm_to_seg, v);
    lk_status f = lk__voice_seg_finish(v);
    return s != LK_OK ? s : f;
}

static lk_status pcm_to_spoof(void *sp, const float *pcm, size_t n, double t0)
{
    return lk__spoof_push(sp, pcm, n, t0);
}

/* The synthetic-speech detector over all of path's speech: *mean LLR over
 * *frames speech frames (0 leaves *mean at 0). */
static inline lk_status spoof_score_file(lk__spoof *sp, const char *path,
                                         double *mean, long *frames)
{
    *mean = 0;
    *frames = 0;
    lk__spoof_reset(sp);
    lk_status s = lk__read_pcm_file(path, pcm_to_spoof, sp);
    if (s == LK_OK)
        s = lk__spoof_finish(sp);
    if (s != LK_OK)
        return s;
    double sum;
    *frames = lk__spoof_total(sp, &sum);
    if (*frames)
        *mean = sum / (double)*frames;
    return LK_OK;
}

#endif
