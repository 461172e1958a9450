/*
 * json.c — JSON Lines records for scan results and per-file errors
 * (jansson).  The schema is documented in README.md; fields are only ever
 * added, never renamed, so that monitoring jobs parsing old output keep
 * working.
 */
#include "core/core.h"
#include "core/names.h"
#include "match/result.h"
#include "report/report.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Scores and coordinates to 4 decimals: more is noise, and stable text
 * keeps diffs of reports readable. */
static json_t *num(double v)
{
    if (!isfinite(v))
        return json_null();
    return json_real(round(v * 10000.0) / 10000.0);
}

/* File names on Linux are bytes, not UTF-8; JSON strings must be UTF-8.
 * Invalid bytes become U+FFFD so a hostile name never drops a record. */
static json_t *str(const char *s)
{
    if (!s)
        return json_null();
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t n = strlen(s);
    char *fixed = malloc(n * 3 + 1);
    if (!fixed)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3
                   : (c >> 3) == 30 ? 4 : 0;
        int ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++)
            ok = ((unsigned char)s[i + k] >> 6) == 2;
        if (ok && len > 1) {
            /* round-trip through jansson's own validator for overlongs */
            json_t *t = json_stringn(s + i, len);
            ok = t != NULL;
            json_decref(t);
        }
        if (ok) {
            memcpy(fixed + o, s + i, len);
            o += len;
            i += len;
        } else {
            memcpy(fixed + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += 1;
        }
    }
    fixed[o] = '\0';
    j = json_stringn(fixed, o);
    free(fixed);
    return j;
}

/* "path_bytes": the name's bytes in base64, when they are not UTF-8 and
 * "path" had to replace some (two such names would otherwise read the
 * same); NULL, and no field (json_pack's "o*"), when "path" is exact. */
static json_t *path_bytes(const char *path)
{
    if (!path)
        return NULL;
    json_t *exact = json_string(path);
    if (exact) {
        json_decref(exact);
        return NULL;
    }
    size_t n = strlen(path);
    if (n > INT_MAX / 2)
        return NULL;
    unsigned char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (!b64)
        return NULL;
    int len = EVP_EncodeBlock(b64, (const unsigned char *)path, (int)n);
    json_t *j = json_stringn((const char *)b64, (size_t)len);
    free(b64);
    return j;
}

static json_t *box_json(const lk_face *f)
{
    return json_pack("[o,o,o,o]", num(f->x), num(f->y), num(f->w), num(f->h));
}

static char *dump(json_t *o)
{
    if (!o)
        return NULL;
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                JSON_REAL_PRECISION(10));
    json_decref(o);
    return s;
}

/* What a reviewer filters on: the file's provenance in brief. */
static json_t *provenance_brief(const lk_provenance *p)
{
    if (!p)
        return json_null();
    return json_pack("{s:b,s:s,s:s,s:s,s:o,s:o,s:o,s:b}",
                     "c2pa", p->c2pa,
                     "signature", lk_signature_name(p->signature),
                     "binding", lk_binding_name(p->binding),
                     "source_class", lk_source_class_name(p->source_class),
                     "source_type", str(p->source_type),
                     "source_from", str(p->source_from),
                     "generator", str(p->generator),
                     "ai_software", p->ai_software);
}

char *lk_provenance_json(const lk_provenance *p)
{
    if (!p)
        return NULL;
    json_t *ms = json_array();
    for (int i = 0; i < p->n_manifests && ms; i++) {
        const lk_prov_manifest *m = lk_provenance_manifest(p, i);
        json_t *acts = json_array(), *ingr = json_array();
        for (int k = 0; k < m->n_actions; k++) {
            const lk_prov_action *a = lk_prov_manifest_action(m, k);
            json_array_append_new(acts, json_pack(
                "{s:o,s:o,s:o}", "action", str(a->action),
                "source_type", str(a->source_type),
                "software", str(a->software)));
        }
        for (int k = 0; k < m->n_ingredients; k++)
            json_array_append_new(ingr, str(m->ingredients[k]));
        json_array_append_new(ms, json_pack(
            "{s:o,s:b,s:o,s:o,s:o,s:o,s:s,s:o,s:o}",
            "label", str(m->label), "active", i == p->active,
            "claim_generator", str(m->claim_generator),
            "title", str(m->title), "signer", str(m->signer),
            "signer_key", str(m->signer_key),
            "signature", lk_signature_name(m->signature),
            "actions", acts, "ingredients", ingr));
    }
    json_t *problems = json_array();
    for (int i = 0; i < p->n_problems && problems; i++)
        json_array_append_new(problems, str(p->problems[i]));
    json_t *root = json_pack("{s:o,s:o*,s:s}", "path",
                             str(p->path ? p->path : ""), "path_bytes",
                             path_bytes(p->path), "verdict",
                             lk_verdict_name(p->verdict));
    json_object_update_new(root, provenance_brief(p));
    json_object_update_new(root, json_pack(
        "{s:o,s:o,s:o}", "software", str(p->software), "manifests", ms,
        "problems", problems));
    return dump(root);
}

/* A false-match rate to 3 significant digits (2.0e-5, not 0.0000),
 * null when unknown (negative), and whether it is the calibration's
 * floor (the rate only claimed below it): "fmr" and "fmr_below" on o. */
static void set_fmr(json_t *o, double fmr, int below)
{
    json_t *v = json_null();
    if (fmr >= 0 && isfinite(fmr)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.3g", fmr);
        v = json_real(strtod(buf, NULL));
    }
    json_object_set_new(o, "fmr", v);
    json_object_set_new(o, "fmr_below", json_boolean(fmr >= 0 && below));
}

/* The evidence object every finding carries. */
static json_t *evidence_json(const lk_scan_result *res, const lk_finding *f)
{
    json_t *speech = json_null();
    if (f->evidence.speech_scored)
        speech = json_pack("{s:o,s:o,s:o}",
                           "score", num(f->evidence.synthetic_score),
                           "peak", num(f->evidence.synthetic_peak),
                           "threshold", num(res->synthetic_threshold));
    return json_pack("{s:s,s:o,s:o}",
                     "verdict", lk_verdict_name(f->evidence.verdict),
                     "provenance", provenance_brief(res->provenance),
                     "synthetic_speech", speech);
}

/* The licence check of a finding: null when nothing matched. */
static json_t *licence_json(const lk_finding *f)
{
    if (f->licence == LK_LICENCE_NONE)
        return json_null();
    return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o}",
                     "status", lk_licence_status_name(f->licence),
                     "record", f->licence_record
                                   ? json_integer(f->licence_record)
                                   : json_null(),
                     "version", f->licence_record
                                    ? json_integer(f->licence_version)
                                    : json_null(),
                     "licensee", str(f->licensee),
                     "basis", lk__basis_json(f->licence_basis),
                     "uses", lk__uses_json(f->uses),
                     "reason", str(f->licence_reason));
}

/* What every finding ends with: its evidence, licence and action. */
static void finding_tail(json_t *o, const lk_scan_result *res,
                         const lk_finding *f)
{
    if (!o)
        return;
    json_object_set_new(o, "evidence", evidence_json(res, f));
    json_object_set_new(o, "licence", licence_json(f));
    json_object_set_new(o, "action", json_string(lk_action_name(f->action)));
}

static int count_matches(const lk_scan_result *res)
{
    int n = 0;
    for (int i = 0; i < res->n_findings; i++)
        n += res->findings[i].decision == LK_MATCH;
    return n;
}

json_t *lk__finding_json(const lk_scan_result *res, int i)
{
    const lk_finding *f = &res->findings[i];
    const int video = res->kind != LK_MEDIA_IMAGE;
    if (f->modality == LK_MODALITY_VOICE) {
        json_t *v = json_pack(
            "{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:i}",
            "decision", lk_decision_name(f->decision),
            "modality", lk_modality_name(f->modality),
            "performer", str(f->performer_id),
            "name", str(f->performer_name),
            "score", num(f->score),
            "peak_score", num(f->peak_score),
            "start", num(f->start),
            "end", num(f->end),
            "best_time", num(f->best_time),
            "segments", f->voice_segments);
        if (v)
            set_fmr(v, f->fmr, f->fmr_below);
        finding_tail(v, res, f);
        return v;
    }
    json_t *lm = json_array();
    for (int k = 0; k < 5; k++)
        json_array_append_new(lm, json_pack("[o,o]",
                                            num(f->face.landmarks[k][0]),
                                            num(f->face.landmarks[k][1])));
    json_t *o = json_pack(
        "{s:s,s:i,s:o,s:o,s:o,s:o,s:o,s:o}",
        "decision", lk_decision_name(f->decision),
        video ? "track" : "face", f->face_index,
        "box", box_json(&f->face),
        "detector_score", num(f->face.score),
        "landmarks", lm,
        "performer", str(f->performer_id),
        "name", str(f->performer_name),
        "score", f->performer_id ? num(f->score) : json_null());
    if (o && video)
        json_object_update_new(o, json_pack(
            "{s:s,s:o,s:o,s:o,s:o,s:i,s:i}",
            "modality", lk_modality_name(f->modality),
            "peak_score", f->performer_id ? num(f->peak_score) : json_null(),
            "start", num(f->start),
            "end", num(f->end),
            "best_time", num(f->best_time),
            "frames", f->frames,
            "embedded", f->embedded));
    if (o)
        set_fmr(o, f->fmr, f->fmr_below);
    if (o && f->voice_segments > 0) {
        json_t *v = json_pack(
            "{s:o,s:o,s:i}", "score", num(f->voice_score),
            "peak_score", num(f->voice_peak_score),
            "segments", f->voice_segments);
        if (v)
            set_fmr(v, f->voice_fmr, f->voice_fmr_below);
        json_object_set_new(o, "voice", v);
    }
    finding_tail(o, res, f);
    return o;
}

/* A scan record, with the file's hash when a performer matched. */
static char *dump_record(const lk_scan_result *res, json_t *root)
{
    if (root && res->sha256[0])
        json_object_set_new(root, "sha256", json_string(res->sha256));
    return dump(root);
}

char *lk_scan_result_json(const lk_scan_result *res)
{
    if (!res)
        return NULL;
    json_t *findings = json_array();
    for (int i = 0; i < res->n_findings && findings; i++)
        json_array_append_new(findings, lk__finding_json(res, i));
    json_t *prov = provenance_brief(res->provenance);
    if (prov && res->provenance)
        json_object_set_new(prov, "verdict", json_string(lk_verdict_name(
                                                 res->provenance->verdict)));
    if (res->kind == LK_MEDIA_IMAGE)
        return dump_record(res, json_pack("{s:o,s:o*,s:s,s:i,s:i,s:i,s:o,s:i,s:o,s:o}",
                              "path", str(res->path ? res->path : ""),
                              "path_bytes", path_bytes(res->path),
                              "type", lk_media_kind_name(res->kind),
                              "width", res->width,
                              "height", res->height,
                              "faces", res->faces,
                              "threshold", num(res->threshold),
                              "matches", count_matches(res),
                              "findings", findings,
                              "provenance", prov));
    json_t *warnings = json_array();
    for (char **w = res->warnings; w && *w && warnings; w++)
        json_array_append_new(warnings, str(*w));
    json_t *sound = json_pack("{s:o,s:i,s:o,s:o,s:o}",
                              "speech_seconds", num(res->speech_seconds),
                              "voice_segments", res->voice_segments,
                              "voice_threshold", num(res->voice_threshold),
                              "synthetic_speech", res->speech_scored
                                  ? json_pack("{s:o,s:o}",
                                              "score", num(res->synthetic_score),
                                              "threshold",
                                              num(res->synthetic_threshold))
                                  : json_null(),
                              "provenance", prov);
    if (res->kind == LK_MEDIA_AUDIO) {
        json_t *root = json_pack("{s:o,s:o*,s:s,s:o}",
                                 "path", str(res->path ? res->path : ""),
                                 "path_bytes", path_bytes(res->path),
                                 "type", lk_media_kind_name(res->kind),
                                 "duration", num(res->duration));
        json_object_update_new(root, sound);
        json_object_update_new(root, json_pack(
            "{s:i,s:o,s:i,s:o}", "matches", count_matches(res),
            "findings", findings, "warning_count", res->n_warnings,
            "warnings", warnings));
        return dump_record(res, root);
    }
    json_t *root = json_pack("{s:o,s:o*,s:s,s:i,s:i,s:o,s:I,s:I,s:I,s:i,s:o,"
                          "s:i,s:o,s:i,s:o}",
                          "path", str(res->path ? res->path : ""),
                          "path_bytes", path_bytes(res->path),
                          "type", lk_media_kind_name(res->kind),
                          "width", res->width,
                          "height", res->height,
                          "duration", num(res->duration),
                          "frames_decoded", (json_int_t)res->frames_decoded,
                          "frames_sampled", (json_int_t)res->frames_sampled,
                          "cuts", (json_int_t)res->cuts,
                          "tracks", res->faces,
                          "threshold", num(res->threshold),
                          "matches", count_matches(res),
                          "findings", findings,
                          "warning_count", res->n_warnings,
                          "warnings", warnings);
    json_object_update_new(root, sound);
    return dump_record(res, root);
}

char *lk_error_json(const char *path, lk_status status, const char *message)
{
    return dump(json_pack("{s:o,s:o*,s:{s:s,s:o}}", "path",
                          str(path ? path : ""), "path_bytes",
                          path_bytes(path), "error", "status",
                          lk_status_name(status),
                          "message",
                          str(message ? message : lk_status_str(status))));
}
