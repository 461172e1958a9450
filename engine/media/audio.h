/*
 * audio.h — sound as 16 kHz mono float PCM with timestamps.
 *
 * Two levels: the decoder of one audio stream (lk__audio_dec), which the
 * one demux pass of a file (media/demux.h) feeds packet by packet, and a
 * reader of a file's sound alone (lk__audio), for the tools that want PCM
 * from a path (training, evaluation, benchmarks), built on that same pass.
 */
#ifndef LK_AUDIO_H
#define LK_AUDIO_H

#include "core/core.h"

#include <stddef.h>

/* The one rate every voice stage works at. */
#define LK__AUDIO_RATE 16000

/* ---- the decoder of one stream ------------------------------------------ */

struct AVFormatContext;
struct AVPacket;
typedef struct lk__audio_dec lk__audio_dec;

/* Where decoded sound goes: pcm (samples in [-1, 1], 16 kHz mono, first
 * at t0 seconds from the container's start, the clock video frames use;
 * valid during the call) and warn (a corrupt packet or a format change:
 * t seconds, what happened, an AVERROR code or 0).  A non-OK status from
 * pcm stops decoding with it. */
typedef struct lk__audio_sink {
    lk_status (*pcm)(void *user, const float *pcm, size_t n, double t0);
    void (*warn)(void *user, double t, const char *what, int averr);
    void *user;
} lk__audio_sink;

/* A decoder for stream idx of fmt, resampling to LK__AUDIO_RATE mono.
 * name is used in messages.  Errors: LK_ERR_FORMAT (no decoder for the
 * codec, absurd rate or channel count: naming the file), LK_ERR_NOMEM. */
lk_status lk__audio_dec_open(const char *name, struct AVFormatContext *fmt,
                             int idx, const lk__audio_sink *sink,
                             lk__audio_dec **out);
/* Decode one packet of the stream (NULL: the end; drains the decoder and
 * the resampler) and hand what it completes to the sink.  A corrupt packet
 * is a warning; LK_ERR_FORMAT after 200 in a row without a good frame, or
 * at the end when not one frame decoded; LK_ERR_NOMEM; the sink's
 * status. */
lk_status lk__audio_dec_packet(lk__audio_dec *d, const struct AVPacket *pkt);
/* Frames decoded so far. */
int64_t lk__audio_dec_frames(const lk__audio_dec *d);
void lk__audio_dec_close(lk__audio_dec *d);

/* A refusal for sound below min_rate Hz, in one place for every voice
 * stage: LK_OK when rate >= min_rate, else LK_ERR_FORMAT naming the file
 * and saying why narrowband sound is not judged. */
lk_status lk__audio_check_rate(const char *name, int rate, int min_rate);

/* ---- a file's sound alone ------------------------------------------------ */

typedef struct lk__audio lk__audio;

typedef struct lk__audio_info {
    int in_rate;          /* the stream's own sample rate (Hz) */
    int in_channels;      /* and channel count */
    double duration;      /* seconds, from the container; NAN when unknown */
    char codec[32];       /* decoder name, e.g. "flac" */
} lk__audio_info;

/* Open the best audio stream of path (one source, one demux pass, audio
 * only).  min_rate: refuse a stream sampled below it (lk__audio_check_rate;
 * 0: any).  Errors name the file: LK_ERR_IO, LK_ERR_FORMAT ("...: no audio
 * stream", no decoder, unreadable container, narrowband), LK_ERR_NOMEM.
 * *out is NULL on failure. */
lk_status lk__audio_open(const char *path, int min_rate, lk__audio **out);

/* Stream facts, valid from open to close. */
const lk__audio_info *lk__audio_get_info(const lk__audio *a);

/* The next chunk of PCM: *pcm holds *n samples, valid until the next call
 * or close; *t0 is the time of its first sample.  Consecutive chunks may
 * leave gaps where the stream has them.  Returns LK_OK with n > 0, LK_DONE
 * at the end (n = 0), or an error naming the file (LK_ERR_FORMAT when the
 * stream is undecodable, LK_ERR_NOMEM).  Corrupt packets on the way are
 * logged as warnings. */
lk_status lk__audio_read(lk__audio *a, const float **pcm, size_t *n,
                         double *t0);

/* Freeing NULL does nothing. */
void lk__audio_close(lk__audio *a);

#endif
