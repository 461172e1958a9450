/*
 * report.h — what the writers of scan results (report/json.c) give the
 * rest of the engine: one finding as a JSON object, as lk_scan_result_json()
 * writes it in its "findings", for the findings store (review/findings.c).
 */
#ifndef LK_REPORT_H
#define LK_REPORT_H

#include "match/result.h"

#include <jansson.h>

/* Finding i of res (0 <= i < res->n_findings) as a new JSON object; NULL
 * when out of memory. */
json_t *lk__finding_json(const lk_scan_result *res, int i);

#endif
