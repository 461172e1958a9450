/*
 * voice.h — speaker embeddings from speech: what the scanning, enrolment
 * and training sides call.
 *
 * Pipeline: 16 kHz mono PCM -> 25 ms frames every 10 ms -> MFCC (20, FFTW3)
 * + deltas + delta-deltas (60) -> speech frames only (energy VAD with an
 * adaptive floor) -> mean/variance normalised per block of up to 30 s ->
 * Baum-Welch statistics against a diagonal GMM-UBM -> the MAP-adapted mean
 * supervector, scaled by sqrt(weight)/sigma (the linear form of the GMM KL
 * kernel), L2-normalised.  Two embeddings are compared by cosine (a dot
 * product).  The model is the UBM alone; see models/voice/README.md for why
 * this beat an i-vector extractor on the data we can train on.
 *
 * Threads: an lk__voice_model is read-only and shared; an lk__voice (the
 * per-session state: FFT plan, buffers) is used by one thread at a time.
 */
#ifndef LK_VOICE_H
#define LK_VOICE_H

#include "core/core.h"

#include <stddef.h>
#include <stdint.h>

/* Feature layout of model format version 1 (fixed: a model file states
 * them and is refused when they differ). */
#define LK__VOICE_RATE 16000
#define LK__VOICE_FRAME 400     /* 25 ms */
#define LK__VOICE_HOP 160       /* 10 ms */
#define LK__VOICE_NFFT 512
#define LK__VOICE_NMEL 24
#define LK__VOICE_NCEP 20
#define LK__VOICE_DIM 60        /* NCEP statics + deltas + delta-deltas */
#define LK__VOICE_BLOCK 3000    /* frames per VAD/normalisation block (30 s) */

/* ------------------------------------------------------------------------
 * Model and session
 * ---------------------------------------------------------------------- */

typedef struct lk__voice_model lk__voice_model;
typedef struct lk__voice lk__voice;

/* Parse a model from bytes (e.g. lk__model.weights, already sha256-checked;
 * still treated as untrusted).  name is used in messages (the file path).
 * LK_ERR_MODEL names the defect; LK_ERR_NOMEM. */
lk_status lk__voice_model_parse(const uint8_t *bytes, size_t n,
                                const char *name, lk__voice_model **out);
/* Read and parse a model file. */
lk_status lk__voice_model_read(const char *path, lk__voice_model **out);
void lk__voice_model_free(lk__voice_model *m);
/* Embedding dimension (components x 60). */
int lk__voice_model_dim(const lk__voice_model *m);

/* Per-session state for model m (m must outlive it).  LK_ERR_NOMEM,
 * LK_ERR_BACKEND (FFTW could not plan). */
lk_status lk__voice_new(const lk__voice_model *m, lk__voice **out);
void lk__voice_free(lk__voice *v);

/* ------------------------------------------------------------------------
 * Whole-clip embeddings (enrolment, a query clip)
 * ---------------------------------------------------------------------- */

typedef struct lk__voice_info {
    double seconds;          /* audio seen */
    double speech_seconds;   /* of which detected as speech */
    double clipped;          /* fraction of samples at full scale */
} lk__voice_info;

/* Least speech an embedding is made from, and the clipping that makes a
 * clip unusable as a reference. */
#define LK__VOICE_MIN_SPEECH 1.0
#define LK__VOICE_MAX_CLIPPED 0.02

/* Embed n samples of 16 kHz mono PCM into out[dim] (L2-normalised).  info
 * (may be NULL) is filled even on LK_ERR_FORMAT.  Returns LK_OK,
 * LK_ERR_FORMAT "too little speech" (under LK__VOICE_MIN_SPEECH: silence,
 * noise, too short) or "clipped" (over LK__VOICE_MAX_CLIPPED), LK_ERR_MISUSE.
 * what names the audio in messages (NULL: "audio"). */
lk_status lk__voice_embed_pcm(lk__voice *v, const char *what, const float *pcm,
                              size_t n, float *out, lk__voice_info *info);

/* The same streamed, for a recording of any length: begin, push its PCM
 * (first sample at t0 seconds) chunk by chunk, end with the embedding.
 * The session is busy in between (not for segmenting).  end's codes as
 * lk__voice_embed_pcm(); what names the audio. */
lk_status lk__voice_embed_begin(lk__voice *v);
lk_status lk__voice_embed_push(lk__voice *v, const float *pcm, size_t n,
                               double t0);
lk_status lk__voice_embed_end(lk__voice *v, const char *what, float *out,
                              lk__voice_info *info);

/* Cosine of two L2-normalised embeddings: the score the threshold in the
 * manifest applies to. */
float lk__voice_score(const lk__voice_model *m, const float *a, const float *b);

/* ------------------------------------------------------------------------
 * Segmenting long audio (scanning)
 *
 * Speech is cut into windows of window_s seconds *of speech* (silence is
 * skipped, not counted) every hop_s seconds of speech; each window gets an
 * embedding.  A pause longer than max_gap_s closes the run (a new speaker
 * often starts after one), and a final or interrupted window with at least
 * min_s of speech is still reported.  Defaults 4 s / 2 s / 1.5 s / 1 s: on
 * the development set 4 s windows scored against 3-utterance enrolments
 * gave an EER of 0.9% (whole utterances 1.45%, models/voice/README.md), so
 * longer windows would only blur where a voice is; the 2 s hop places a
 * voice to within 2 s.
 * ---------------------------------------------------------------------- */

typedef struct lk__voice_seg_params {
    float window_s, hop_s, min_s, max_gap_s;
} lk__voice_seg_params;

lk__voice_seg_params lk__voice_seg_default_params(void);

typedef struct lk__voice_segment {
    double start, end;       /* first and last speech frame, stream seconds */
    double speech_seconds;
    double clipped;          /* fraction of the window's samples clipped */
    const float *embedding;  /* dim floats, L2-normalised; valid in the callback */
} lk__voice_segment;

/* Return LK_OK to go on; anything else stops the segmenter with that. */
typedef lk_status (*lk__voice_segment_cb)(void *user,
                                          const lk__voice_segment *seg);

/* Start segmenting on session v (which it then owns until finish).
 * LK_ERR_MISUSE for bad params. */
lk_status lk__voice_seg_begin(lk__voice *v, const lk__voice_seg_params *p,
                              lk__voice_segment_cb cb, void *user);
/* Feed PCM whose first sample is at t0 seconds; segments are reported from
 * inside as they complete. */
lk_status lk__voice_seg_push(lk__voice *v, const float *pcm, size_t n,
                             double t0);
/* Report what remains and end the run (v is free for other use again). */
lk_status lk__voice_seg_finish(lk__voice *v);

/* ------------------------------------------------------------------------
 * Training (`likeness train-voice`)
 * ---------------------------------------------------------------------- */

/* How a trainer gets the sound of one of its recordings: decode path
 * (refusing what a voice stage cannot judge, with a message naming it)
 * and hand every chunk of 16 kHz mono PCM to push.  The orchestration
 * layer provides it (lk__read_pcm_file, pipeline/pipeline.h): voice/ opens
 * no files.  LK_ERR_FORMAT and LK_ERR_IO skip the file. */
typedef lk_status (*lk__pcm_push_fn)(void *ctx, const float *pcm, size_t n,
                                     double t0);
typedef lk_status (*lk__pcm_read_fn)(const char *path, lk__pcm_push_fn push,
                                     void *ctx);

typedef struct lk__voice_train_params {
    lk__pcm_read_fn read;  /* required */
    int components;      /* UBM Gaussians (default 64) */
    int iters;           /* EM iterations per split (default 10) */
    int frame_step;      /* use every k-th speech frame (default 2) */
    float relevance;     /* MAP relevance factor (default 16) */
} lk__voice_train_params;

lk__voice_train_params lk__voice_train_default_params(void);

/* Train a model on n audio files and write it to out_model_path: the UBM
 * is unsupervised (no speaker labels; back-ends that used them lost to
 * plain cosine here, models/voice/README.md).  Files that fail to decode
 * or hold too little speech are skipped with a warning; LK_ERR_FORMAT when
 * under 60 s of speech remain.  LK_ERR_IO for the output. */
lk_status lk__voice_train(const char *const *files, int n,
                          const lk__voice_train_params *p,
                          const char *out_model_path);

/* ------------------------------------------------------------------------
 * Stages, exposed for tests and the trainer
 * ---------------------------------------------------------------------- */

typedef struct lk__mfcc lk__mfcc;

/* FFTW planning is not thread-safe: lk__mfcc_new() serialises it. */
lk_status lk__mfcc_new(lk__mfcc **out);
void lk__mfcc_free(lk__mfcc *m);
/* Static cepstra (LK__VOICE_NCEP) and log energy (dB re full scale) of
 * one frame: x[-1] must be readable (the sample before the frame, for
 * pre-emphasis).  The frame's power spectrum (NFFT/2+1 bins) stays
 * readable through lk__mfcc_power() until the next call. */
void lk__mfcc_frame(lk__mfcc *m, const float *x, float *ceps, float *energy_db);
const float *lk__mfcc_power(const lk__mfcc *m);

/* Append deltas and delta-deltas: frames[i*LK__VOICE_DIM + 0..NCEP-1] hold
 * statics; fills the rest.  Regression over +-2 frames, edges replicated. */
void lk__voice_deltas(float *frames, int n);

/* Speech decisions for n frames of log energy (dB): above the larger of
 * 30 dB under the loud frames (95th percentile), 6 dB over the quiet ones
 * (10th) and an absolute -75 dB; runs under 50 ms dropped.  Returns the
 * speech frame count. */
int lk__voice_vad(const float *energy_db, int n, uint8_t *speech);

/* Music beds and tones are not speech: speech changes its spectral
 * envelope every few tens of milliseconds (articulation), a sustained pad,
 * a hum or held notes do not.  Over windows of 1 s (every 0.5 s) holding
 * at least 0.3 s of speech frames, a window whose median delta-cepstrum
 * norm (c1..c12 deltas of frames, LK__VOICE_DIM wide with deltas filled)
 * is under LK__VOICE_MIN_CHANGE loses its speech frames.  On 60 eval
 * utterances no speech window fell under 0.75; synthetic pads and held
 * notes measure 0.01-0.33.  Music that changes as fast as speech (a
 * plucked bass line measured 0.85-0.91) still passes.  Returns the speech
 * frames removed. */
#define LK__VOICE_MIN_CHANGE 0.6f
int lk__voice_tonal_gate(const float *frames, int n, uint8_t *speech);

/* In place: zero mean, unit variance per dimension over n frames of dim. */
void lk__voice_cmvn(float *x, int n, int dim);

/* Diagonal-covariance GMM. */
typedef struct lk__gmm {
    int c, d;
    float *w, *mu, *var;        /* c, c*d, c*d */
    float *ivar, *lconst;       /* derived by lk__gmm_prepare */
} lk__gmm;

lk_status lk__gmm_alloc(lk__gmm *g, int c, int d);
void lk__gmm_free(lk__gmm *g);
void lk__gmm_prepare(lk__gmm *g);
/* Posteriors of each component for x (post[c]); returns log p(x). */
double lk__gmm_posteriors(const lk__gmm *g, const float *x, float *post);
/* EM by binary splitting from one Gaussian up to c components, iters
 * iterations after each split, on n frames of dimension d.  Variances are
 * floored at 1% of the data's.  LK_ERR_MISUSE for n < 2c. */
lk_status lk__gmm_train(const float *x, size_t n, int d, int c, int iters,
                        lk__gmm *out);

/* Model file (format version 1) for a trained UBM. */
lk_status lk__voice_model_write(const lk__gmm *ubm, float relevance,
                                const char *path);

#endif
