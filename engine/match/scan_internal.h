/*
 * scan_internal.h — the stages of a scan, as the orchestration layer
 * (pipeline/scan.c) drives them: the faces of a video's sampled frames
 * (scan_video.c) and the voices in its sound (scan_voice.c), each fed from
 * the one demux pass, plus what every scan shares (warnings, order).
 */
#ifndef LK_SCAN_INTERNAL_H
#define LK_SCAN_INTERNAL_H

#include "face/face.h"
#include "gallery/gallery.h"
#include "media/demux.h"
#include "voice/voice.h"
#include "match/result.h"

struct lk__spoof;

/* ---- faces in sampled frames -------------------------------------------- */

typedef struct lk__vscan lk__vscan;

/* Check params->video (LK_ERR_MISUSE naming what is out of range) and
 * start the tracker; faces are detected and embedded (dim floats) with
 * face, threshold is the face decision's.  LK_ERR_NOMEM. */
lk_status lk__vscan_new(lk_gallery *gal, lk__face_nets *face, int dim,
                        const lk_scan_params *params, float threshold,
                        lk__vscan **out);
/* One sampled frame of d through detection, tracking and embedding. */
lk_status lk__vscan_frame(lk__vscan *vs, lk__demux *d, lk__vframe *f);
/* The end of the pictures: the last tracks decided, appearances into
 * res->findings, size and counters from d.  Codes as lk_scan_file(). */
lk_status lk__vscan_finish(lk__vscan *vs, lk__demux *d, lk_scan_result *res);
void lk__vscan_free(lk__vscan *vs);

/* ---- voices (and synthetic speech) in PCM -------------------------------- */

typedef struct lk__voicescan lk__voicescan;

/* Start listening with a speaker segmenter (voice, which this holds until
 * finish or free) and, when not NULL, a synthetic-speech scorer (spoof,
 * whose model's threshold is spoof_threshold); threshold is the voice
 * decision's.  LK_ERR_NOMEM. */
lk_status lk__voicescan_begin(lk_gallery *gal, lk__voice *voice,
                              struct lk__spoof *spoof, float spoof_threshold,
                              float threshold, lk__voicescan **out);
/* 16 kHz mono PCM whose first sample is at t0 s: to every audio sink. */
lk_status lk__voicescan_push(lk__voicescan *v, const float *pcm, size_t n,
                             double t0);
/* The end of the sound: fills speech_seconds, voice_segments and the
 * synthetic-speech fields, attaches voice evidence to res's face findings
 * of the same performer, and appends voice-only findings.  LK_ERR_BACKEND,
 * LK_ERR_NOMEM.  Free v afterwards all the same. */
lk_status lk__voicescan_finish(lk__voicescan *v, const lk_scan_params *params,
                               lk_scan_result *res);
void lk__voicescan_free(lk__voicescan *v);

/* ---- faces in a photo ----------------------------------------------------- */

/* Decide every face of a photo (res->threshold set): matches (and, with
 * params->report_all, the others) into res->findings, best first; size
 * and face count too.  LK_ERR_BACKEND, LK_ERR_NOMEM. */
lk_status lk__scan_image(lk_gallery *gal, const lk_faces *faces,
                         const lk_scan_params *params, lk_scan_result *res);

/* ---- shared ---------------------------------------------------------------- */

/* The ranges of lk_video_params.fps and merge_gap. */
#define LK__MAX_FPS 1000.0
#define LK__MAX_MERGE_GAP 86400.0

/* LK_OK, or LK_ERR_MISUSE naming the first field of p out of its
 * documented range (NaN and infinities included). */
lk_status lk__scan_check_params(const lk_scan_params *p);

/* Append a warning to res (counted always, kept up to the first
 * LK__SCAN_MAX_WARNINGS).  LK_ERR_NOMEM. */
#define LK__SCAN_MAX_WARNINGS 16
lk_status lk__scan_warn(lk_scan_result *res, const char *fmt, ...)
    LK__PRINTF(2, 3);

/* Matches first, then by start time (video and audio findings). */
void lk__scan_sort(lk_scan_result *res);

#endif
