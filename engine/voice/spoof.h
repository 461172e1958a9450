/*
 * spoof.h — the synthetic-speech (clone, TTS) detector: two diagonal GMMs
 * over linear-frequency cepstra, one of bona fide speech and one of
 * synthetic speech, as in the ASVspoof 2019 LFCC-GMM baseline.  A frame's
 * score is log p(x | synthetic) - log p(x | bona fide); a stretch of audio
 * scores the mean over its speech frames (speech as the voice front end
 * decides it, so the detector and the speaker segmenter agree).
 *
 * Threads: an lk__spoof_model is read-only and shared; an lk__spoof (the
 * streaming scorer: FFT plan, buffers, per-bucket sums) is used by one
 * thread at a time.
 */
#ifndef LK_SPOOF_H
#define LK_SPOOF_H

#include "voice/voice.h"

/* Linear filterbank of model format version 1: LK__VOICE_NCEP cepstra
 * (c0 included) + deltas + delta-deltas from this many triangular filters
 * spread evenly over [low, high] Hz (stored in the file). */
#define LK__SPOOF_NFILT 20

/* Front ends a model can be trained on (stored in the file). */
typedef enum lk__spoof_features {
    LK__SPOOF_LFCC = 0,      /* linear filterbank (spoof.c) */
    LK__SPOOF_MFCC = 1       /* the speaker embedder's MFCC, normalised */
} lk__spoof_features;

/* The streaming scorer keeps one sum per this many seconds of stream
 * time: range queries are resolved to it, and memory grows by 24 bytes
 * per bucket holding speech (under 200 KB for an hour of talk). */
#define LK__SPOOF_BUCKET 0.5

typedef struct lk__spoof_model lk__spoof_model;
typedef struct lk__spoof lk__spoof;

/* Parse a model from bytes (e.g. lk__model.weights, already sha256-checked;
 * still treated as untrusted).  name is used in messages (the file path).
 * LK_ERR_MODEL names the defect; LK_ERR_NOMEM. */
lk_status lk__spoof_model_parse(const uint8_t *bytes, size_t n,
                                const char *name, lk__spoof_model **out);
lk_status lk__spoof_model_read(const char *path, lk__spoof_model **out);
void lk__spoof_model_free(lk__spoof_model *m);
/* The threshold stored in the file: a mean LLR over it is likely
 * synthetic. */
float lk__spoof_model_threshold(const lk__spoof_model *m);
int lk__spoof_model_components(const lk__spoof_model *m);

/* A scorer for model m (which must outlive it).  LK_ERR_NOMEM,
 * LK_ERR_BACKEND (FFTW could not plan). */
lk_status lk__spoof_new(const lk__spoof_model *m, lk__spoof **out);
void lk__spoof_free(lk__spoof *s);

/* Forget the stream scored so far and start a new one. */
void lk__spoof_reset(lk__spoof *s);
/* Feed 16 kHz mono PCM whose first sample is at t0 seconds.  Frames are
 * scored a block (up to 30 s) at a time, as the front end hands them on;
 * lk__spoof_finish() scores the rest.  LK_ERR_NOMEM, LK_ERR_MISUSE. */
lk_status lk__spoof_push(lk__spoof *s, const float *pcm, size_t n, double t0);
lk_status lk__spoof_finish(lk__spoof *s);

/* Sum of frame LLRs over the speech frames scored so far whose bucket
 * (LK__SPOOF_BUCKET) overlaps [t0, t1]: returns the frame count and sets
 * *sum (0 when none). */
long lk__spoof_range(const lk__spoof *s, double t0, double t1, double *sum);
/* The bucket a time falls in: two ranges whose ends share one resolve to
 * overlapping sums. */
long long lk__spoof_bucket(double t);
/* The same over the whole stream. */
long lk__spoof_total(const lk__spoof *s, double *sum);

/* ------------------------------------------------------------------------
 * Training (`likeness train-spoof`, tests/eval/eval_spoof --train)
 * ---------------------------------------------------------------------- */

typedef struct lk__spoof_train_params {
    lk__pcm_read_fn read;    /* required: decodes a file (voice.h) */
    int components;          /* Gaussians per class (default 512) */
    int iters;               /* EM iterations after each split (10) */
    int frame_step;          /* every k-th speech frame (1) */
    lk__spoof_features features;   /* LK__SPOOF_LFCC */
    int cmvn;                /* normalise LFCC per block (0) */
    float high_hz;           /* LFCC filterbank top (8000) */
} lk__spoof_train_params;

lk__spoof_train_params lk__spoof_train_default_params(void);

/* Train on bona fide and synthetic files and write the model.  Files that
 * fail to decode or hold no speech are skipped with a warning;
 * LK_ERR_FORMAT when a class keeps under 10 s of speech.  LK_ERR_IO for the
 * output. */
lk_status lk__spoof_train(const char *const *bonafide, int n_bonafide,
                          const char *const *synthetic, int n_synthetic,
                          const lk__spoof_train_params *p,
                          const char *out_path);

#endif
