/*
 * voice_impl.h — the insides of the voice model and session, shared by the
 * files of engine/voice/ only.
 */
#ifndef LK_VOICE_IMPL_H
#define LK_VOICE_IMPL_H

#include "voice/voice.h"

struct lk__voice_model {
    lk__gmm ubm;
    float relevance;
    int dim;
    float *scale;        /* [c][d] sqrt(w_c) / sigma_cd: the supervector's */
    char *name;
};

/* Speech frames, normalised, with their times, handed from the front end
 * to whoever consumes them (embedding, segmenting, training). */
typedef lk_status (*lk__voice_frames_cb)(void *user, const float *frames,
                                         const double *times,
                                         const uint8_t *clipped, int n);

/* The streaming front end: PCM in, blocks of normalised speech frames out. */
typedef struct lk__voice_front {
    lk__mfcc *mfcc;
    float *pending;        /* samples not yet framed, [0] = previous sample */
    size_t n_pending, cap_pending;
    double next_t;         /* expected time of the next sample pushed */
    double pending_t;      /* time of pending[1] */
    int have_prev;
    float *block;          /* LK__VOICE_BLOCK x DIM */
    float *energy;
    double *times;
    uint8_t *speech;
    uint8_t *clip;         /* clipped samples in each frame's hop */
    uint8_t *sel_clip;
    float *sel;            /* speech frames of a block, normalised */
    double *sel_t;
    int n_block;
    double seconds;        /* audio seen */
    double speech_seconds;
    size_t n_samples, n_clipped;
    lk__voice_frames_cb cb;
    void *user;
} lk__voice_front;

lk_status lk__voice_front_init(lk__voice_front *f);
void lk__voice_front_reset(lk__voice_front *f, lk__voice_frames_cb cb,
                           void *user);
lk_status lk__voice_front_push(lk__voice_front *f, const float *pcm, size_t n,
                               double t0);
lk_status lk__voice_front_finish(lk__voice_front *f);
void lk__voice_front_free(lk__voice_front *f);

#endif
