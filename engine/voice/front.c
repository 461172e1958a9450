/*
 * front.c — the streaming front end of the voice pipeline: PCM chunks with
 * timestamps in, normalised speech frames with their times out, a block
 * (up to 30 s) at a time, so that a long file never needs its features in
 * memory at once.
 *
 * Blocks and not single frames because the VAD thresholds and the
 * mean/variance normalisation are statistics of a stretch of audio: 30 s is
 * as long as the utterances the model was trained on, and short enough for
 * the level of a long recording to drift under it.
 */
#include "voice/voice_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Timestamps that jump by more than this are a gap in the stream (or a
 * cut): framing restarts there rather than bridging unrelated audio. */
#define MAX_JITTER 0.05

lk_status lk__voice_front_init(lk__voice_front *f)
{
    memset(f, 0, sizeof *f);
    lk_status s = lk__mfcc_new(&f->mfcc);
    if (s != LK_OK)
        return s;
    const size_t B = LK__VOICE_BLOCK;
    f->block = lk__malloc(B * LK__VOICE_DIM * sizeof *f->block);
    f->sel = lk__malloc(B * LK__VOICE_DIM * sizeof *f->sel);
    f->energy = lk__malloc(B * sizeof *f->energy);
    f->times = lk__malloc(B * sizeof *f->times);
    f->sel_t = lk__malloc(B * sizeof *f->sel_t);
    f->speech = lk__malloc(B);
    f->clip = lk__malloc(B);
    f->sel_clip = lk__malloc(B);
    f->cap_pending = 4096;
    f->pending = lk__malloc(f->cap_pending * sizeof *f->pending);
    if (!f->block || !f->sel || !f->energy || !f->times || !f->sel_t ||
        !f->speech || !f->clip || !f->sel_clip || !f->pending) {
        lk__voice_front_free(f);
        return LK_ERR_NOMEM;
    }
    lk__voice_front_reset(f, NULL, NULL);
    return LK_OK;
}

void lk__voice_front_free(lk__voice_front *f)
{
    if (!f)
        return;
    lk__mfcc_free(f->mfcc);
    free(f->block);
    free(f->sel);
    free(f->energy);
    free(f->times);
    free(f->sel_t);
    free(f->speech);
    free(f->clip);
    free(f->sel_clip);
    free(f->pending);
    free(f->aux_block);
    memset(f, 0, sizeof *f);
}

lk_status lk__voice_front_set_aux(lk__voice_front *f, lk__voice_aux_fn aux,
                                  void *ctx, int cmvn)
{
    if (!f->aux_block) {
        f->aux_block = lk__malloc((size_t)LK__VOICE_BLOCK * LK__VOICE_DIM *
                                  sizeof *f->aux_block);
        if (!f->aux_block)
            return LK_ERR_NOMEM;
    }
    f->aux = aux;
    f->aux_ctx = ctx;
    f->aux_cmvn = cmvn;
    return LK_OK;
}

void lk__voice_front_reset(lk__voice_front *f, lk__voice_frames_cb cb,
                           void *user)
{
    f->pending[0] = 0.0f;
    f->n_pending = 1;
    f->pending_t = 0;
    f->next_t = NAN;
    f->n_block = 0;
    f->seconds = 0;
    f->speech_seconds = 0;
    f->n_samples = f->n_clipped = 0;
    f->cb = cb;
    f->user = user;
}

static lk_status process_block(lk__voice_front *f)
{
    int n = f->n_block;
    f->n_block = 0;
    if (n <= 0)
        return LK_OK;
    lk__voice_deltas(f->block, n);
    lk__voice_vad(f->energy, n, f->speech);
    lk__voice_tonal_gate(f->block, n, f->speech);
    const float *src = f->block;
    if (f->aux) {
        lk__voice_deltas(f->aux_block, n);
        src = f->aux_block;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (!f->speech[i])
            continue;
        memcpy(f->sel + (size_t)m * LK__VOICE_DIM,
               src + (size_t)i * LK__VOICE_DIM,
               LK__VOICE_DIM * sizeof *f->sel);
        f->sel_t[m] = f->times[i];
        f->sel_clip[m] = f->clip[i];
        m++;
    }
    if (m == 0)
        return LK_OK;
    if (!f->aux || f->aux_cmvn)
        lk__voice_cmvn(f->sel, m, LK__VOICE_DIM);
    f->speech_seconds += m * ((double)LK__VOICE_HOP / LK__VOICE_RATE);
    return f->cb ? f->cb(f->user, f->sel, f->sel_t, f->sel_clip, m) : LK_OK;
}

lk_status lk__voice_front_push(lk__voice_front *f, const float *pcm, size_t n,
                               double t0)
{
    if (n == 0)
        return LK_OK;
    if (!pcm)
        return lk__error(LK_ERR_MISUSE, "voice: NULL samples");
    if (!isfinite(t0))
        t0 = isfinite(f->next_t) ? f->next_t : 0.0;
    if (!isfinite(f->next_t) || fabs(t0 - f->next_t) > MAX_JITTER) {
        /* First chunk, or a jump: start framing afresh at t0. */
        f->n_pending = 1;
        f->pending_t = t0;
    }
    f->next_t = t0 + (double)n / LK__VOICE_RATE;
    f->seconds += (double)n / LK__VOICE_RATE;
    lk_status s;
    size_t done = 0;
    while (done < n) {
        /* Copy what fits, frame it, keep the tail. */
        size_t room = f->cap_pending - f->n_pending;
        size_t take = n - done < room ? n - done : room;
        for (size_t i = 0; i < take; i++) {
            float v = pcm[done + i];
            if (!isfinite(v))
                v = 0.0f;
            if (fabsf(v) >= 0.999f)
                f->n_clipped++;
            f->pending[f->n_pending + i] = v;
        }
        f->n_samples += take;
        f->n_pending += take;
        done += take;
        size_t i = 1;
        while (i + LK__VOICE_FRAME <= f->n_pending) {
            float *row = f->block + (size_t)f->n_block * LK__VOICE_DIM;
            lk__mfcc_frame(f->mfcc, f->pending + i, row,
                           &f->energy[f->n_block]);
            if (f->aux)
                f->aux(f->aux_ctx, lk__mfcc_power(f->mfcc),
                       f->aux_block + (size_t)f->n_block * LK__VOICE_DIM);
            int clipped = 0;
            for (int k = 0; k < LK__VOICE_HOP; k++)
                clipped += fabsf(f->pending[i + (size_t)k]) >= 0.999f;
            f->clip[f->n_block] = (uint8_t)clipped;
            f->times[f->n_block] = f->pending_t +
                                   (double)(i - 1) / LK__VOICE_RATE;
            if (++f->n_block == LK__VOICE_BLOCK &&
                (s = process_block(f)) != LK_OK)
                return s;
            i += LK__VOICE_HOP;
        }
        /* pending[i-1] is the sample before the next frame. */
        f->pending_t += (double)(i - 1) / LK__VOICE_RATE;
        memmove(f->pending, f->pending + (i - 1),
                (f->n_pending - (i - 1)) * sizeof *f->pending);
        f->n_pending -= i - 1;
    }
    return LK_OK;
}

lk_status lk__voice_front_finish(lk__voice_front *f)
{
    lk_status s = process_block(f);
    f->n_pending = 1;
    f->next_t = NAN;
    return s;
}

static lk_status front_push(void *ctx, const float *pcm, size_t n, double t0)
{
    return lk__voice_front_push(ctx, pcm, n, t0);
}

lk_status lk__voice_front_read(lk__voice_front *f, lk__pcm_read_fn read,
                               const char *path, lk__voice_frames_cb cb,
                               void *user)
{
    if (!read)
        return lk__error(LK_ERR_MISUSE, "%s: no reader for training audio",
                         path);
    lk__voice_front_reset(f, cb, user);
    lk_status s = read(path, front_push, f);
    return s == LK_OK ? lk__voice_front_finish(f) : s;
}
