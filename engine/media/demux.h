/*
 * demux.h — the one pass over a video or sound file.
 *
 * A reader demuxes its source once, on its own thread: video packets go
 * to the video decoder (frames sampled as media/video.h's sampler says,
 * each scaled straight to the detector's input size; a full-resolution
 * RGB copy only for the frames the consumer asks for), audio packets to
 * the audio decoder (resampled once to 16 kHz mono).  The consumer takes
 * sampled frames and chunks of sound from one queue, in the order the
 * file interleaves them, so every stage — faces, speakers, the
 * synthetic-speech detector — works on the same pass, the sound alongside
 * the pictures.
 *
 * The queue is bounded (a few frames, a few seconds of sound), so memory
 * stays flat however long the file: the reader waits when the consumer
 * falls behind.
 *
 * Coordinates: "display" pixels are the upright picture a player shows
 * (sample aspect ratio applied, rotation metadata honoured).  Times are
 * seconds from the container's start (its start offset subtracted), taken
 * from the stream's timestamps, never from frame counts; pictures and
 * sound share that clock.
 */
#ifndef LK_DEMUX_H
#define LK_DEMUX_H

#include "media/source.h"
#include "media/video.h"

typedef struct lk__demux_opts {
    /* Pictures (the best video stream; a cover picture is not video): */
    int video;               /* 1: decode and sample them */
    lk_sampling sampling;
    double fps;              /* rate samples per second (rate and scene) */
    float scene_threshold;   /* lk__scene_score at or above which: a cut */
    int small_w, small_h;    /* box the small frame fits in (the detector's
                                input); 0: no small frame (decode only) */
    int threads;             /* video decoder threads; 0: 1 */
    int64_t max_pixels;      /* refuse coded frames with more; 0: none */
    /* Sound (the best audio stream): */
    int audio;               /* 1: decode it into 16 kHz mono PCM */
    int min_audio_rate;      /* a stream sampled below this is not decoded
                                (lk__demux_audio_refusal() says why); 0 */
    double max_queued_audio; /* seconds of PCM the queue may hold; 4 */
} lk__demux_opts;

/* Everything off; fps 2, scene threshold 0.12, 4 s of queued sound. */
lk__demux_opts lk__demux_default_opts(void);

typedef struct lk__demux_info {
    int video;               /* 1: pictures are being decoded */
    int width, height;       /* display size of the first frame */
    int rotation;            /* 0, 90, 180 or 270 (clockwise, applied) */
    double duration;         /* seconds, from the container (NAN unknown) */
    double fps;              /* the video stream's average rate, 0 unknown */
    const char *codec;       /* video decoder name, static; NULL when none */
    int64_t frames_decoded;  /* so far */
    int64_t frames_sampled;  /* so far */
    int64_t cuts;            /* shot changes detected so far */
    int64_t warnings;        /* corrupt packets, frames, read errors (video
                                and sound) */
    int audio;               /* 1: sound is being decoded */
    int audio_rate;          /* the audio stream's own rate, Hz (0: none) */
    int audio_channels;
    double audio_duration;   /* seconds, the stream's or the container's */
    char audio_codec[32];
} lk__demux_info;

/* One item of the queue: a sampled picture (frame not NULL), else a chunk
 * of n samples of sound whose first is at t0 seconds. */
typedef struct lk__item {
    lk__vframe *frame;
    const float *pcm;
    size_t n;
    double t0;
    struct lk__item_node *node;
} lk__item;

typedef struct lk__demux lk__demux;

/* Start the pass over src.  fmt: src's container already opened by
 * lk__av_open() (the reader then owns it: closed by lk__demux_close(), or
 * here on failure), so that a caller that looked inside it does not open
 * it twice; NULL: opened here.  What is asked for and absent is not an
 * error (lk__demux_info says what is decoded), except that at least one of
 * video and audio must be asked for.  Errors name the file: LK_ERR_FORMAT
 * (not a media container, no decoder for the video codec, no frame size),
 * LK_ERR_TOO_LARGE (coded frame over max_pixels), LK_ERR_MISUSE,
 * LK_ERR_NOMEM.  src must outlive the reader. */
struct AVFormatContext;
lk_status lk__demux_open(lk__source *src, struct AVFormatContext *fmt,
                         const lk__demux_opts *opts, lk__demux **out);
/* Stops the thread; NULL is fine. */
void lk__demux_close(lk__demux *d);

/* The pass over src's sound alone (sampled at min_rate Hz or better),
 * refusing by name what cannot be decoded: lk__demux_open()'s codes and
 * those of lk__demux_audio_refusal() (no audio stream, no decoder,
 * narrowband).  *out is NULL on failure. */
lk_status lk__demux_open_sound(lk__source *src, int min_rate, lk__demux **out);

/* The next item in file order: LK_OK with *out set, LK_DONE at the end,
 * LK_ERR_FORMAT when pictures were asked for and not one frame could be
 * decoded (a file of sound alone never fails here: see
 * lk__demux_audio_status()), LK_ERR_NOMEM.  Problems on the way (corrupt
 * packets, a truncated file) are warnings: lk__demux_warning().  Give
 * each item back with lk__demux_release(). */
lk_status lk__demux_next(lk__demux *d, lk__item *out);
void lk__demux_release(lk__demux *d, lk__item *it);

/* Why sound asked for is not decoded (no audio stream, no decoder, sampled
 * under min_audio_rate): that status with its message set again for
 * lk_last_error(); LK_OK when it is decoded. */
lk_status lk__demux_audio_refusal(lk__demux *d);
/* After LK_DONE: LK_OK, or the failure that stopped the sound partway (an
 * undecodable stream, a read error before any sound), its message set
 * again.  The pictures go on regardless. */
lk_status lk__demux_audio_status(lk__demux *d);

/* The frame as upright RGB whose longer side is at most max_side (0: the
 * display size), converted on the first call and kept with the frame.
 * *scale: display pixels per returned pixel.  Consumer thread only.
 * LK_ERR_NOMEM, LK_ERR_BACKEND. */
lk_status lk__demux_rgb(lk__demux *d, lk__vframe *f, int max_side,
                        const uint8_t **rgb, int *w, int *h, int *stride,
                        float *scale);

/* A snapshot of the counters; thread-safe. */
void lk__demux_get_info(lk__demux *d, lk__demux_info *out);

/* The i-th warning's text ("clip.mp4: 12.480 s: corrupt packet skipped
 * (Invalid data found when processing input)"), or NULL past the last
 * kept (the first LK__DEMUX_MAX_WARNINGS are kept, all are counted).
 * Valid until lk__demux_close(). */
#define LK__DEMUX_MAX_WARNINGS 16
const char *lk__demux_warning(lk__demux *d, int i);

#endif
