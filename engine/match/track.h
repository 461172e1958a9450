/*
 * track.h — following faces across the sampled frames of a video.
 *
 * Pure bookkeeping over boxes and embeddings (no models, no gallery), so it
 * is tested on its own.  Each sampled frame is two calls: plan() says which
 * detection continues which track (box overlap, the box moved by the
 * track's velocity) and which detections need an embedding; the caller
 * embeds those; update() files them, re-joins unmatched faces to recently
 * lost tracks by embedding similarity (after a cut or an occlusion), and
 * starts new tracks for the rest.  finished() hands over tracks that can
 * no longer continue.
 */
#ifndef LK_TRACK_H
#define LK_TRACK_H

#include "core/core.h"

typedef struct lk__track_params {
    int dim;                 /* embedding dimension */
    int max_embeds;          /* embeddings kept per track (best quality);
                                at most twice this many are computed */
    double embed_interval;   /* seconds between embeddings while slots are
                                free and quality does not improve */
    float min_iou;           /* box overlap that continues a track */
    float reid_sim;          /* cosine that re-joins a lost track */
    double reid_window;      /* seconds a track may be unseen and re-joined */
    float new_quality;       /* a new face of lower quality (a small or
                                uncertain detection, often a one-off) is
                                embedded at its second sighting, not its
                                first */
} lk__track_params;

/* Defaults for a video sampled every interval seconds. */
lk__track_params lk__track_default_params(int dim, int max_embeds,
                                          double interval);

typedef struct lk__track {
    int64_t id;              /* 0, 1, 2 … in order of starting */
    double t_first, t_last;  /* seconds: first and last sighting */
    lk_face last;            /* box at the last sighting (display pixels) */
    int frames;              /* sampled frames it was seen in */
    int n_emb;               /* embeddings kept (<= max_embeds); 0 for a
                                track seen once, too small or uncertain */
    int embeds_done;         /* embeddings computed */
    float *emb;              /* n_emb rows of dim floats */
    float *emb_q;            /* quality of each kept embedding */
    double *emb_t;           /* time of each */
    lk_face *emb_face;       /* box of each */
    /* private */
    double vx, vy;           /* box centre velocity, pixels per second */
    int missed;              /* sampled frames since the last sighting */
    int lost;                /* a cut since the last sighting */
    float best_q;
    double last_embed_t;
} lk__track;

typedef struct lk__tracker lk__tracker;

lk_status lk__tracker_new(const lk__track_params *p, lk__tracker **out);
void lk__tracker_free(lk__tracker *tr);
void lk__track_free(lk__track *t);

/* Frame at t (seconds, non-decreasing) with n detections and their quality
 * (higher is better; e.g. detector score times size).  cut: a new shot
 * starts here, so boxes no longer carry over.  assign[i] receives the
 * index into the active tracks that detection i continues, or -1;
 * embed[i] 1 when detection i must be embedded before update().  A face
 * continuing no track is embedded (to re-join a lost track or start a new
 * one) unless its quality is under new_quality: then it starts a track
 * without an embedding.  LK_ERR_NOMEM. */
lk_status lk__tracker_plan(lk__tracker *tr, double t, int cut,
                           const lk_face *faces, const float *quality, int n,
                           int *assign, int *embed);

/* File the frame planned last: emb holds one row of dim floats (unit
 * length) for each detection with embed[i] set, in detection order.
 * LK_ERR_NOMEM. */
lk_status lk__tracker_update(lk__tracker *tr, double t, const lk_face *faces,
                             const float *quality, int n, const int *assign,
                             const int *embed, const float *emb);

/* Detach the tracks that cannot continue at time t (unseen for longer than
 * the re-join window and for at least two samples), or all of them with
 * flush.  *out is malloc'd (NULL when *n is 0); the caller frees each track
 * with lk__track_free() and the array with free().  LK_ERR_NOMEM. */
lk_status lk__tracker_finished(lk__tracker *tr, double t, int flush,
                               lk__track ***out, int *n);

/* Tracks alive now (for tests and statistics). */
int lk__tracker_active(const lk__tracker *tr);

/* Intersection over union of two boxes; 0 for empty boxes. */
float lk__box_iou(const lk_face *a, const lk_face *b);

#endif
