/*
 * result.c — the scan result's accessors and its free: the only way
 * callers reach an lk_scan_result (match/result.h), so that its fields may
 * change.
 */
#include "match/result.h"

#include <stdlib.h>

/* type lk_scan_result_<field>(res): res's field, 0 (NULL) when res is. */
#define GETTER(type, field)                                                  \
    type lk_scan_result_##field(const lk_scan_result *res)                   \
    {                                                                        \
        return res ? res->field : 0;                                         \
    }

GETTER(const char *, path)
GETTER(lk_media_kind, kind)
GETTER(int, width)
GETTER(int, height)
GETTER(int, faces)
GETTER(float, threshold)
GETTER(double, duration)
GETTER(int64_t, frames_decoded)
GETTER(int64_t, frames_sampled)
GETTER(int64_t, cuts)
GETTER(double, speech_seconds)
GETTER(int, voice_segments)
GETTER(float, voice_threshold)
GETTER(int, speech_scored)
GETTER(float, synthetic_score)
GETTER(float, synthetic_threshold)
GETTER(const lk_provenance *, provenance)

const char *lk_scan_result_sha256(const lk_scan_result *res)
{
    return res && res->sha256[0] ? res->sha256 : NULL;
}

const uint8_t *lk_scan_result_context_jpeg(const lk_scan_result *res,
                                           size_t *size)
{
    if (size)
        *size = res && res->context_jpeg ? res->context_jpeg_size : 0;
    return res ? res->context_jpeg : NULL;
}

int lk_scan_result_count(const lk_scan_result *res)
{
    return res ? res->n_findings : 0;
}

const lk_finding *lk_scan_result_finding(const lk_scan_result *res, int i)
{
    return res && i >= 0 && i < res->n_findings ? &res->findings[i] : NULL;
}

int lk_scan_result_warning_count(const lk_scan_result *res)
{
    return res ? res->n_warnings : 0;
}

const char *lk_scan_result_warning(const lk_scan_result *res, int i)
{
    if (!res || i < 0 || !res->warnings)
        return NULL;
    for (int k = 0; k < i; k++)     /* NULL-terminated, at most 16 */
        if (!res->warnings[k])
            return NULL;
    return res->warnings[i];
}

void lk_scan_result_free(lk_scan_result *res)
{
    if (!res)
        return;
    for (int i = 0; i < res->n_findings; i++) {
        free((char *)res->findings[i].performer_id);
        free((char *)res->findings[i].performer_name);
        free((char *)res->findings[i].licensee);
        free((void *)res->findings[i].crop_jpeg);
        free((char *)res->findings[i].licence_reason);
    }
    free(res->findings);
    for (char **w = res->warnings; w && *w; w++)
        free(*w);
    free(res->warnings);
    lk_provenance_free(res->provenance);
    free(res->context_jpeg);
    free(res->path);
    free(res);
}
