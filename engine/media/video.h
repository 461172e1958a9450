/*
 * video.h — which frames of a video are searched for faces: the sampling
 * policies, shot-change detection on tiny thumbnails, rotation, and the
 * sampled frame the demux pass (media/demux.h) hands on.  Pure logic,
 * unit-tested on its own.
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

/* ---- a sampled frame (media/demux.h hands them on) ------------------------ */

typedef struct lk__vframe {
    double t;                /* seconds */
    int key;                 /* a keyframe */
    int cut;                 /* starts a new shot */
    int dw, dh;              /* display size of this frame */
    const uint8_t *small;    /* upright RGB fitted in small_w x small_h */
    int sw, sh, sstride;
    struct lk__vframe_priv *priv;
} lk__vframe;

#endif
