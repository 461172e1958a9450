/*
 * av.h — what video and audio decoding share on top of FFmpeg's libav*:
 * process-wide set-up, opening an untrusted source safely, error text.
 */
#ifndef LK_AV_H
#define LK_AV_H

#include "core/core.h"
#include "media/source.h"

#include <libavformat/avformat.h>

/* FFmpeg's log goes to the library's log callback (warnings and errors
 * only); idempotent and thread-safe. */
void lk__av_init(void);

/* Open a source for demuxing: its bytes are read through a custom I/O
 * context (no file or network protocol can be reached: a playlist names
 * nothing), by one of the container demuxers listed in av.c.  Stream
 * information is read (probing at most a few seconds).  Errors name the
 * source: LK_ERR_FORMAT (not a known container, no decodable stream
 * information), LK_ERR_NOMEM.  *out is NULL on failure; close with
 * lk__av_close().  The source must outlive the container. */
lk_status lk__av_open(lk__source *src, AVFormatContext **out);
/* Close what lk__av_open() opened and set *fmt to NULL; NULL is fine. */
void lk__av_close(AVFormatContext **fmt);

/* Which kinds of stream an open container holds (decodable or not; a
 * cover picture is not video) and its duration in seconds (NAN when
 * unknown). */
void lk__av_streams(const AVFormatContext *fmt, int *has_video,
                    int *has_audio, double *duration);

/* FFmpeg's text for an AVERROR code, in buf (at least 64 bytes). */
const char *lk__av_err(int averr, char *buf, size_t n);

/* Seconds of a timestamp in time base tb, relative to start (both in tb;
 * start AV_NOPTS_VALUE counts as 0).  AV_NOPTS_VALUE gives NAN. */
double lk__av_seconds(int64_t ts, int64_t start, AVRational tb);

/* A status for an AVERROR: ENOMEM → LK_ERR_NOMEM, EIO/ENOENT/EACCES →
 * LK_ERR_IO, else LK_ERR_FORMAT. */
lk_status lk__av_status(int averr);

#endif
