/*
 * result.h — the scan result's definition, private: likeness.h declares
 * lk_scan_result opaque and callers read it through the lk_scan_result_*()
 * accessors (result.c), so that fields may be added in any place.  The
 * code that fills it (match/, evidence/) and writes it (report/json.c)
 * includes this.
 */
#ifndef LK_MATCH_RESULT_H
#define LK_MATCH_RESULT_H

#include "core/core.h"

struct lk_scan_result {
    char *path;
    int width, height;         /* upright image (display) size */
    int faces;                 /* image: faces detected; video: face tracks */
    float threshold;           /* the threshold the decisions used */
    int n_findings;
    lk_finding *findings;      /* image: matches, best first; video:
                                  appearances by start time; with report_all
                                  also the faces (tracks) matching no one */
    lk_media_kind kind;
    /* Video and audio (the counts of frames and cuts video only): */
    double duration;           /* seconds (the container's, else the last
                                  frame's time) */
    int64_t frames_decoded;
    int64_t frames_sampled;
    int64_t cuts;              /* shot changes seen (scene sampling) */
    int n_warnings;            /* problems decoding went past (corrupt
                                  packets, truncation) */
    char **warnings;           /* the first few of them (at most 16),
                                  NULL-terminated, each naming the file and
                                  the time; NULL when none */
    /* Sound (video and audio; 0 when not listened to): */
    double speech_seconds;     /* speech found in the sound track */
    int voice_segments;        /* speech windows searched */
    float voice_threshold;     /* the threshold voice decisions used */
    /* Synthetic speech over all speech of the file (speech_scored 0 when
     * the engine has no detector, no speech was heard, or params->voice
     * is 0).  With a detector the sound is listened to even when the
     * gallery holds no voice templates: */
    int speech_scored;
    float synthetic_score;     /* mean log-likelihood ratio, all speech */
    float synthetic_threshold; /* the detector's calibrated threshold */
    /* Provenance read from the file (never NULL after LK_OK): */
    lk_provenance *provenance;
    /* The SHA-256 (hex) of the file's bytes when a performer matched (what
     * the findings store keys a finding by); "" otherwise. */
    char sha256[65];
    /* keep_evidence: the photo, scaled down, as a JPEG (malloc'd) */
    uint8_t *context_jpeg;
    size_t context_jpeg_size;
};

#endif
