/*
 * video.h — video decoding and frame sampling with FFmpeg's libav*.
 *
 * A reader decodes on its own thread and hands the consumer only the
 * sampled frames, each already scaled to the detector's input size (one
 * swscale pass from the decoder's pixels); a full-resolution RGB copy is
 * made only for the frames the consumer asks for (to embed faces).
 *
 * Coordinates: "display" pixels are the upright picture a player shows
 * (sample aspect ratio applied, rotation metadata honoured).  Times are
 * seconds from the container's start (its start offset subtracted), taken
 * from the stream's timestamps, never from frame counts.
 */
#ifndef LK_VIDEO_H
#define LK_VIDEO_H

#include "core/core.h"

/* ---- sampling (pure logic, unit-tested on its own) ---------------------- */

typedef struct lk__sampler {
    lk_sampling policy;
    double interval;         /* seconds between rate samples */
    double next;             /* time at or after which the next sample is due */
    double last;             /* time of the last frame seen (NAN before) */
} lk__sampler;

void lk__sampler_init(lk__sampler *s, lk_sampling policy, double fps);

/* Whether the decoder may drop non-reference frames of a packet shown at
 * t: it lies before the next rate sample.  Always 0 for keyframes (those
 * skip at the packet level) and for an unknown t (NAN). */
int lk__sampler_may_skip(const lk__sampler *s, double t);

/* Decide on a decoded frame at t: 1 to sample it.  cut: the frame starts
 * a new shot (scene policy).  Rate samples fall on a grid of interval
 * seconds from 0, so runs are reproducible; a timestamp that goes back
 * (a broken stream) restarts the grid there. */
int lk__sampler_take(lk__sampler *s, double t, int key, int cut);

/* Shot-change score in 0..1 between two grey thumbnails of n pixels: the
 * mean of the histogram distance (32 bins, half the L1 norm) and twice the
 * mean absolute pixel difference (capped at 1).  A cut changes both;
 * motion within a shot mostly the second only. */
float lk__scene_score(const uint8_t *a, const uint8_t *b, int n);

/* Whether a frame with this shot-change score starts a new shot: the score
 * reaches threshold and is at least 3 times the running mean of recent
 * scores (*avg, start it at 0), so that a shot full of motion, whose every
 * frame changes a lot, does not cut at every frame.  Updates *avg. */
int lk__scene_is_cut(float score, float *avg, float threshold);

#define LK__THUMB_W 64
#define LK__THUMB_H 36

/* Rotate an RGB image by 90, 180 or 270 degrees clockwise into dst
 * (dst_stride bytes a row; dst is h x w for 90 and 270). */
void lk__rgb_rotate(const uint8_t *src, int w, int h, int stride, int angle,
                    uint8_t *dst, int dst_stride);

/* ---- the reader ------------------------------------------------------------ */

typedef struct lk__video_opts {
    lk_sampling sampling;
    double fps;              /* rate samples per second (rate and scene) */
    float scene_threshold;   /* lk__scene_score at or above which: a cut */
    int small_w, small_h;    /* box the small frame fits in (the detector's
                                input); 0: no small frame (decode only) */
    int threads;             /* decoder threads; 0: 1 */
    int64_t max_pixels;      /* refuse coded frames with more; 0: none */
} lk__video_opts;

typedef struct lk__video_info {
    int width, height;       /* display size of the first frame */
    int rotation;            /* 0, 90, 180 or 270 (clockwise, applied) */
    double duration;         /* seconds, from the container (NAN unknown) */
    double fps;              /* the stream's average frame rate, 0 unknown */
    const char *codec;       /* decoder name, static */
    int64_t frames_decoded;  /* so far */
    int64_t frames_sampled;  /* so far */
    int64_t cuts;            /* shot changes detected so far */
    int64_t warnings;        /* corrupt packets, frames, read errors */
} lk__video_info;

typedef struct lk__vframe {
    double t;                /* seconds */
    int key;                 /* a keyframe */
    int cut;                 /* starts a new shot */
    int dw, dh;              /* display size of this frame */
    const uint8_t *small;    /* upright RGB fitted in small_w x small_h */
    int sw, sh, sstride;
    struct lk__vframe_priv *priv;
} lk__vframe;

typedef struct lk__video lk__video;

/* Open path and start decoding its best video stream on a new thread.
 * fmt: path's container already opened by lk__av_open(), which the reader
 * then owns (closed by lk__video_close(), or here on failure), so that a
 * caller that looked inside it does not open it twice; NULL: open path
 * here.  Errors name the file: LK_ERR_IO, LK_ERR_FORMAT (not a media
 * container, no video stream, no decoder for the codec, no frame size),
 * LK_ERR_TOO_LARGE (coded frame over max_pixels), LK_ERR_NOMEM.
 * Close with lk__video_close(), which also stops the thread. */
struct AVFormatContext;
lk_status lk__video_open(const char *path, struct AVFormatContext *fmt,
                         const lk__video_opts *opts, lk__video **out);
void lk__video_close(lk__video *v);

/* The next sampled frame, in presentation order: LK_OK with *out set,
 * LK_DONE at the end of the stream, LK_ERR_FORMAT when not one frame could
 * be decoded, LK_ERR_NOMEM.  Problems after the first frame (corrupt
 * packets, a truncated file) are warnings, not errors: see
 * lk__video_warning().  Give each frame back with lk__video_release(). */
lk_status lk__video_next(lk__video *v, lk__vframe **out);
void lk__video_release(lk__video *v, lk__vframe *f);

/* The frame as upright RGB whose longer side is at most max_side (0: the
 * display size), converted on the first call and kept with the frame.
 * *scale: display pixels per returned pixel.  Consumer thread only.
 * LK_ERR_NOMEM, LK_ERR_BACKEND. */
lk_status lk__video_rgb(lk__video *v, lk__vframe *f, int max_side,
                        const uint8_t **rgb, int *w, int *h, int *stride,
                        float *scale);

/* A snapshot of the counters; thread-safe. */
void lk__video_get_info(lk__video *v, lk__video_info *out);

/* The i-th warning's text ("clip.mp4: 12.480 s: corrupt packet skipped
 * (Invalid data found when processing input)"), or NULL past the last
 * kept (the first LK__VIDEO_MAX_WARNINGS are kept, all are counted).
 * Valid until lk__video_close(). */
#define LK__VIDEO_MAX_WARNINGS 16
const char *lk__video_warning(lk__video *v, int i);

#endif
