/*
 * scan_internal.h — what scan.c (images, dispatch) and scan_video.c share.
 */
#ifndef LK_SCAN_INTERNAL_H
#define LK_SCAN_INTERNAL_H

#include "core/engine.h"
#include "match/result.h"

/* Scan a video into res, whose path and threshold are set: fmt is path's
 * container, opened by lk__av_open(), which this takes over (and closes).
 * Fills size, findings, counters and warnings.  Codes as lk_scan_file(). */
struct AVFormatContext;
lk_status lk__scan_video(lk_gallery *gal, lk_session *ses, const char *path,
                         struct AVFormatContext *fmt,
                         const lk_scan_params *params, lk_scan_result *res);

/* Append a warning to res (counted always, kept up to the first
 * LK__SCAN_MAX_WARNINGS).  LK_ERR_NOMEM. */
#define LK__SCAN_MAX_WARNINGS 16
lk_status lk__scan_warn(lk_scan_result *res, const char *fmt, ...)
    LK__PRINTF(2, 3);

/* Matches first, then by start time (video and audio findings). */
void lk__scan_sort(lk_scan_result *res);

/* Listen to the sound track of path for registered voices (res->
 * voice_threshold set): fills speech_seconds and voice_segments, attaches
 * voice evidence to res's face findings of the same performer, and appends
 * voice-only findings.  Codes of lk__voice_segment_file() (LK_ERR_FORMAT
 * for no audio stream or narrowband audio), LK_ERR_BACKEND, LK_ERR_NOMEM. */
lk_status lk__scan_voice(lk_gallery *gal, lk_session *ses, const char *path,
                         const lk_scan_params *params, lk_scan_result *res);

#endif
