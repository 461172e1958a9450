/*
 * audio.h — streaming decode of the sound track of any file FFmpeg reads
 * (audio files and the audio of videos) into 16 kHz mono float PCM with
 * timestamps, a chunk at a time, so an hour of audio never sits in memory.
 */
#ifndef LK_AUDIO_H
#define LK_AUDIO_H

#include "core/core.h"

#include <stddef.h>

/* The one rate every voice stage works at. */
#define LK__AUDIO_RATE 16000

typedef struct lk__audio lk__audio;

typedef struct lk__audio_info {
    int in_rate;          /* the stream's own sample rate (Hz) */
    int in_channels;      /* and channel count */
    double duration;      /* seconds, from the container; NAN when unknown */
    char codec[32];       /* decoder name, e.g. "flac" */
} lk__audio_info;

/* Open the best audio stream of path (through lk__av_open()).  Errors name
 * the file: LK_ERR_IO, LK_ERR_FORMAT ("...: no audio stream", no decoder,
 * unreadable container), LK_ERR_NOMEM.  *out is NULL on failure. */
lk_status lk__audio_open(const char *path, lk__audio **out);

/* Stream facts, valid from open to close. */
const lk__audio_info *lk__audio_get_info(const lk__audio *a);

/* The next chunk of PCM: *pcm (samples in [-1, 1], 16 kHz, mono) holds *n
 * samples, valid until the next call or close; *t0 is the time of its first
 * sample in seconds from the container's start (the clock video frames
 * use).  Chunks are a decoded frame
 * each (typically 10-100 ms); consecutive chunks may leave gaps where the
 * stream has them.  A corrupt packet is skipped with an lk__log warning
 * naming the file and time.  Returns LK_OK with n > 0, LK_DONE at the end
 * (n = 0), or an error naming the file (LK_ERR_IO, LK_ERR_FORMAT when the
 * stream is undecodable throughout, LK_ERR_NOMEM). */
lk_status lk__audio_read(lk__audio *a, const float **pcm, size_t *n,
                         double *t0);

/* Freeing NULL does nothing. */
void lk__audio_close(lk__audio *a);

#endif
