/*
 * text.c — the human-readable report: a line per finding of a scan result
 * (with its evidence in brackets), its decoding warnings, and a provenance
 * record as `likeness inspect` shows it.  The JSON writer's sibling: the
 * same results, in words for a reader, and the only text the command
 * prints about a file.  Built in memory, since the library never prints.
 */
#include "core/core.h"
#include "core/grow.h"
#include "core/utf8.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most strings one put() escapes (E() below). */
#define MAX_ESCAPED 8

/* The text so far; a failure sticks, and the whole is then NULL.  esc:
 * the escaped copies of the strings the next put() prints. */
typedef struct {
    char *s;
    size_t len, cap;
    int failed;
    char *esc[MAX_ESCAPED];
    int n_esc;
} text;

/* s escaped (lk__escape: one line, unambiguous) for the next put(), which
 * frees it: every string from a file, its name or the gallery goes
 * through here, so that a name holding "\nx.jpg: MATCH" cannot forge a
 * line.  "" after a failure. */
static const char *E(text *t, const char *s)
{
    if (!s)
        return "";
    char *e = t->n_esc < MAX_ESCAPED ? lk__malloc(LK__ESCAPE_MAX(strlen(s)))
                                     : NULL;
    if (!e) {
        t->failed = 1;
        return "";
    }
    lk__escape(s, e);
    t->esc[t->n_esc++] = e;
    return e;
}

static void release_escaped(text *t)
{
    for (int i = 0; i < t->n_esc; i++)
        free(t->esc[i]);
    t->n_esc = 0;
}

static void put(text *t, const char *fmt, ...) LK__PRINTF(2, 3);

static void put(text *t, const char *fmt, ...)
{
    if (t->failed) {
        release_escaped(t);
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 ||
        lk__grow(&t->s, &t->cap, t->len + (size_t)n + 1, 1, 256) != LK_OK) {
        t->failed = 1;
        release_escaped(t);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
    release_escaped(t);
}

/* The text, "" when nothing was put, NULL on failure (then freed). */
static char *done(text *t)
{
    if (!t->failed && !t->s)
        put(t, "%s", "");
    if (t->failed) {
        lk_free(t->s);
        return NULL;
    }
    return t->s;
}

/* Seconds as 12.34, 1:02.50 or 1:02:03.50. */
static const char *clock_time(double t, char *buf, size_t n)
{
    if (!(t >= 0))
        t = 0;
    long cs = lround(t * 100.0);
    long h = cs / 360000, m = cs / 6000 % 60;
    double sec = (double)(cs % 6000) / 100.0;
    if (h)
        snprintf(buf, n, "%ld:%02ld:%05.2f", h, m, sec);
    else if (m)
        snprintf(buf, n, "%ld:%05.2f", m, sec);
    else
        snprintf(buf, n, "%.2f", sec);
    return buf;
}

/* The words for the C2PA checks: louder than the JSON names where a check
 * failed, and long (why) in a provenance record.  A value without a word
 * of its own is called by its name. */
static const char *signature_text(lk_signature s)
{
    switch (s) {
    case LK_SIGNATURE_INVALID: return "INVALID";
    case LK_SIGNATURE_UNVERIFIED: return "not verified";
    case LK_SIGNATURE_EXPIRED: return "EXPIRED credential";
    default: return lk_signature_name(s);
    }
}

static const char *binding_text(lk_binding b, int why)
{
    switch (b) {
    case LK_BINDING_MATCH: return why ? "intact (hash matches)" : "intact";
    case LK_BINDING_MISMATCH:
        return why ? "MISMATCH (edited after signing)" : "MISMATCH";
    case LK_BINDING_UNCHECKED: return "not checked";
    default: return lk_binding_name(b);
    }
}

/* ", fmr 1 in 50,000" (or "< 1 in 35,000" at the calibration's floor):
 * the false-match rate as odds a reviewer reads, to two significant
 * digits; nothing when unknown. */
static void put_fmr(text *t, double fmr, int below)
{
    if (!(fmr > 0))
        return;
    double n = 1.0 / fmr;
    if (n < 10) {
        put(t, ", fmr %s1 in %.2g", below ? "< " : "", n);
        return;
    }
    double mag = pow(10.0, floor(log10(n)) - 1);   /* two digits kept */
    char digits[32], grouped[48];
    snprintf(digits, sizeof digits, "%.0f", round(n / mag) * mag);
    size_t len = strlen(digits), o = 0;
    for (size_t i = 0; i < len && o + 2 < sizeof grouped; i++) {
        if (i && (len - i) % 3 == 0)
            grouped[o++] = ',';
        grouped[o++] = digits[i];
    }
    grouped[o] = '\0';
    put(t, ", fmr %s1 in %s", below ? "< " : "", grouped);
}

/* "MATCH collins (Eileen Collins)": the decision and who. */
static void put_who(text *t, const lk_finding *x)
{
    const int named = *x->performer_name != '\0';
    put(t, "%s %s%s%s%s", x->decision == LK_MATCH ? "MATCH" : "no match",
        E(t, x->performer_id), named ? " (" : "", E(t, x->performer_name),
        named ? ")" : "");
}

/* " [declared-ai: c2pa trainedAlgorithmicMedia by Adobe Firefly, …]" */
static void put_evidence(text *t, const lk_scan_result *r,
                         const lk_finding *x)
{
    const lk_provenance *p = lk_scan_result_provenance(r);
    put(t, " [%s", lk_verdict_name(x->evidence.verdict));
    if (p && p->source_type)
        put(t, ": %s %s", E(t, p->source_from), E(t, p->source_type));
    if (p && p->generator)
        put(t, " by %s", E(t, p->generator));
    if (p && p->c2pa)
        put(t, "; C2PA signature %s, content %s",
            signature_text(p->signature), binding_text(p->binding, 0));
    if (x->evidence.speech_scored)
        put(t, "; synthetic speech %.2f (threshold %.2f)",
            (double)x->evidence.synthetic_score,
            (double)lk_scan_result_synthetic_threshold(r));
    put(t, "]");
    /* the licence check, and last the action a reviewer filters on */
    if (x->licence != LK_LICENCE_NONE)
        put(t, " licence %s (%s); action %s",
            lk_licence_status_name(x->licence),
            E(t, x->licence_reason),
            lk_action_name(x->action));
    put(t, "\n");
}

static void put_image_finding(text *t, const lk_scan_result *r,
                              const lk_finding *x)
{
    put(t, "%s: ", E(t, lk_scan_result_path(r)));
    if (x->performer_id) {
        put_who(t, x);
        put(t, " score %.3f", (double)x->score);
        put_fmr(t, x->fmr, x->fmr_below);
        put(t, ",");
    } else {
        put(t, "no match (empty gallery),");
    }
    put(t, " face %.0fx%.0f at %.0f,%.0f", x->face.w, x->face.h, x->face.x,
        x->face.y);
    put_evidence(t, r, x);
}

/* A video's or a sound's finding: an appearance, from start to end. */
static void put_timed_finding(text *t, const lk_scan_result *r,
                              const lk_finding *x)
{
    char a[32], b[32], c[32];
    put(t, "%s: ", E(t, lk_scan_result_path(r)));
    if (x->modality == LK_MODALITY_VOICE) {
        put_who(t, x);
        put(t, " %s-%s s, voice score %.3f (peak %.3f at %s s), %d speech "
            "window%s", clock_time(x->start, a, sizeof a),
            clock_time(x->end, b, sizeof b), (double)x->score,
            (double)x->peak_score, clock_time(x->best_time, c, sizeof c),
            x->voice_segments, x->voice_segments == 1 ? "" : "s");
        put_fmr(t, x->fmr, x->fmr_below);
        put_evidence(t, r, x);
        return;
    }
    if (x->performer_id) {
        put_who(t, x);
        put(t, " ");
    } else {
        put(t, "no match (empty gallery) ");
    }
    put(t, "%s-%s s", clock_time(x->start, a, sizeof a),
        clock_time(x->end, b, sizeof b));
    if (x->performer_id) {
        put(t, ", score %.3f (peak %.3f at %s s)", (double)x->score,
            (double)x->peak_score, clock_time(x->best_time, c, sizeof c));
        put_fmr(t, x->fmr, x->fmr_below);
    }
    put(t, ", %d frame%s, face %.0fx%.0f at %.0f,%.0f", x->frames,
        x->frames == 1 ? "" : "s", x->face.w, x->face.h, x->face.x,
        x->face.y);
    if (x->voice_segments) {
        put(t, "; voice heard too, score %.3f over %d speech window%s",
            (double)x->voice_score, x->voice_segments,
            x->voice_segments == 1 ? "" : "s");
        put_fmr(t, x->voice_fmr, x->voice_fmr_below);
    }
    put_evidence(t, r, x);
}

char *lk_scan_result_text(const lk_scan_result *res, unsigned flags)
{
    if (!res)
        return NULL;
    if (!(flags & (LK_TEXT_FINDINGS | LK_TEXT_WARNINGS)))
        flags |= LK_TEXT_FINDINGS;
    text t = {0};
    if (flags & LK_TEXT_WARNINGS) {
        int kept = 0;
        for (const char *w; (w = lk_scan_result_warning(res, kept)); kept++)
            put(&t, "likeness: warning: %s\n", E(&t, w));
        int all = lk_scan_result_warning_count(res);
        if (all > kept)
            put(&t, "likeness: warning: %s: %d more decoding warnings\n",
                E(&t, lk_scan_result_path(res)), all - kept);
    }
    if (flags & LK_TEXT_FINDINGS) {
        const int image = lk_scan_result_kind(res) == LK_MEDIA_IMAGE;
        for (int i = 0; i < lk_scan_result_count(res); i++) {
            const lk_finding *x = lk_scan_result_finding(res, i);
            if (image)
                put_image_finding(&t, res, x);
            else
                put_timed_finding(&t, res, x);
        }
    }
    return done(&t);
}

char *lk_provenance_text(const lk_provenance *p, unsigned flags)
{
    (void)flags; /* none defined yet */
    if (!p)
        return NULL;
    text t = {0};
    put(&t, "%s: %s\n", E(&t, p->path), lk_verdict_name(p->verdict));
    if (p->source_type)
        put(&t, "  declared: %s (%s)%s%s\n", E(&t, p->source_type),
            E(&t, p->source_from), p->generator ? " by " : "",
            E(&t, p->generator));
    if (p->c2pa)
        put(&t, "  C2PA: %d manifest%s, signature %s, content %s\n",
            p->n_manifests, p->n_manifests == 1 ? "" : "s",
            signature_text(p->signature), binding_text(p->binding, 1));
    for (int i = 0; i < p->n_manifests; i++) {
        const lk_prov_manifest *m = lk_provenance_manifest(p, i);
        put(&t, "  %s %s\n    generator: %s\n    signer: %s (%s)\n",
            i == p->active ? "active manifest" : "manifest", E(&t, m->label),
            m->claim_generator ? E(&t, m->claim_generator) : "-",
            m->signer ? E(&t, m->signer) : "-", signature_text(m->signature));
        if (m->signer_key)   /* what a licence names its licensee by */
            put(&t, "    signer key sha256: %s\n", E(&t, m->signer_key));
        if (m->title)
            put(&t, "    title: %s\n", E(&t, m->title));
        for (int k = 0; k < m->n_actions; k++) {
            const lk_prov_action *a = lk_prov_manifest_action(m, k);
            put(&t, "    action: %s", a->action ? E(&t, a->action) : "?");
            if (a->source_type)
                put(&t, ", %s", E(&t, a->source_type));
            if (a->software)
                put(&t, ", by %s", E(&t, a->software));
            put(&t, "\n");
        }
        for (int k = 0; k < m->n_ingredients; k++)
            put(&t, "    ingredient: %s\n",
                m->ingredients[k] ? E(&t, m->ingredients[k]) : "(untitled)");
    }
    if (p->software)
        put(&t, "  software: %s%s\n", E(&t, p->software),
            p->ai_software ? " (a generative AI tool)" : "");
    else if (p->ai_software)
        put(&t, "  generation parameters in the file's text chunks\n");
    for (int i = 0; i < p->n_problems; i++)
        put(&t, "  note: %s\n", E(&t, p->problems[i]));
    return done(&t);
}
