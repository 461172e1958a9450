/*
 * voice_impl.h — the insides of the voice model and session, shared by the
 * files of engine/voice/ only.
 */
#ifndef LK_VOICE_IMPL_H
#define LK_VOICE_IMPL_H

#include "core/bytes.h"
#include "voice/voice.h"

#include <string.h>

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

/* Optional second cepstra of each frame, from its power spectrum
 * (LK__VOICE_NFFT/2+1 bins) into ceps[LK__VOICE_NCEP]: the synthetic-speech
 * detector's LFCC (spoof.c). */
typedef void (*lk__voice_aux_fn)(void *ctx, const float *power, float *ceps);

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
    lk__voice_aux_fn aux;  /* NULL: the frames handed on are the MFCC */
    void *aux_ctx;
    float *aux_block;      /* LK__VOICE_BLOCK x DIM, when aux is set */
    int aux_cmvn;          /* normalise the aux frames too */
} lk__voice_front;

lk_status lk__voice_front_init(lk__voice_front *f);
void lk__voice_front_reset(lk__voice_front *f, lk__voice_frames_cb cb,
                           void *user);
lk_status lk__voice_front_push(lk__voice_front *f, const float *pcm, size_t n,
                               double t0);
lk_status lk__voice_front_finish(lk__voice_front *f);
/* Hand on aux's cepstra (with deltas; mean/variance normalised when cmvn)
 * instead of the MFCC; speech decisions stay the MFCC's, so every consumer
 * of the same PCM agrees on what is speech.  LK_ERR_NOMEM. */
lk_status lk__voice_front_set_aux(lk__voice_front *f, lk__voice_aux_fn aux,
                                  void *ctx, int cmvn);
void lk__voice_front_free(lk__voice_front *f);
/* Reset f to hand its frames to cb, read path's sound into it with read,
 * and finish it.  read's or the front end's status. */
lk_status lk__voice_front_read(lk__voice_front *f, lk__pcm_read_fn read,
                               const char *path, lk__voice_frames_cb cb,
                               void *user);

/* ------------------------------------------------------------------------
 * Model files (model.c, spoof.c): little-endian numbers (core/bytes.h), GMMs, the
 * front-end settings a model was trained with
 * ---------------------------------------------------------------------- */

/* The seven u32 front-end settings at p (sample rate, frame, hop, FFT,
 * filters, cepstra, feature dim) against this build's, with nfilt filters
 * called filt ("mel bands", "filters") in the message.  LK_ERR_MODEL. */
lk_status lk__voice_front_check(const uint8_t *p, uint32_t nfilt,
                                const char *filt, const char *name);
/* One GMM's parameters from p (C*(1+2D) floats, size already checked, g
 * allocated): weights in (0, 1] summing to 1, finite means, variances in
 * [1e-8, 1e6]; then lk__gmm_prepare.  cls, when not NULL, names the GMM
 * in messages ("bona fide").  LK_ERR_MODEL. */
lk_status lk__voice_gmm_parse(const uint8_t *p, lk__gmm *g, const char *name,
                              const char *cls);
/* g's weights (renormalised in double), means and variances at p; returns
 * the byte after them. */
uint8_t *lk__voice_gmm_put(uint8_t *p, const lk__gmm *g);
/* n bytes b to path, replacing it.  LK_ERR_IO. */
lk_status lk__voice_write_bytes(const char *path, const uint8_t *b, size_t n);

/* ------------------------------------------------------------------------
 * Filterbanks (features.c, spoof.c)
 * ---------------------------------------------------------------------- */

/* n triangular filters on edge[0..n+1] (fractional FFT bins; filter f
 * rises from edge[f], peaks at edge[f+1], falls to edge[f+2]) over nbin
 * bins: first[f], count[f] and weights w[f * nbin + k] for bins
 * first[f] + k. */
void lk__voice_tri_filters(const double *edge, int n, int nbin, int *first,
                           int *count, float *w);
/* The orthonormal DCT-II from n inputs to ncep outputs, dct[i * n + j]. */
void lk__voice_dct2(int ncep, int n, float *dct);
/* LK__VOICE_NCEP cepstra of a power spectrum: the log energies of n (at
 * most LK__VOICE_MAX_FILT) filters made by lk__voice_tri_filters, through
 * dct made by lk__voice_dct2(LK__VOICE_NCEP, n, dct). */
#define LK__VOICE_MAX_FILT 64
void lk__voice_filter_ceps(const float *power, int n, int nbin,
                           const int *first, const int *count,
                           const float *w, const float *dct, float *ceps);

/* ------------------------------------------------------------------------
 * Training pools (train.c, spoof.c)
 * ---------------------------------------------------------------------- */

/* Every step-th speech frame handed to lk__voice_pool_cb, pooled. */
typedef struct lk__voice_pool {
    float *x;
    size_t n, cap;
    size_t *start;      /* optional: per used file, its first frame; + n */
    int files;
    int step;
    long seen;
    const char *who;    /* "voice train": messages */
    const char *scope;  /* "" or " in a class": after "frames of speech" */
} lk__voice_pool;

/* An lk__voice_frames_cb; user is an lk__voice_pool.  LK_ERR_TOO_LARGE
 * past 4M frames, LK_ERR_NOMEM. */
lk_status lk__voice_pool_cb(void *user, const float *x, const double *t,
                            const uint8_t *clip, int n);

#endif
