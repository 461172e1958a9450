/*
 * scan_internal.h — what scan.c (images, dispatch) and scan_video.c share.
 */
#ifndef LK_SCAN_INTERNAL_H
#define LK_SCAN_INTERNAL_H

#include "core/engine.h"

/* Scan a video into res, whose path and threshold are set.  Fills kind,
 * size, findings, counters and warnings.  Codes as lk_scan_file(). */
lk_status lk__scan_video(lk_gallery *gal, lk_session *ses, const char *path,
                         const lk_scan_params *params, lk_scan_result *res);

#endif
