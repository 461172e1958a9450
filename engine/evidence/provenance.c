/*
 * provenance.c — lk_provenance_read(): map the file, let the container walker
 * hand each piece of metadata to its reader, then resolve what was
 * gathered into the record's declaration and verdict; and the evidence a
 * scan attaches to its findings.
 */
#include "evidence/evidence.h"
#include "core/grow.h"
#include "media/source.h"
#include "match/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most problems a record keeps (a hostile file could make thousands). */
#define MAX_PROBLEMS 32

const char *lk__prov_keep(lk__prov *pr, char *s)
{
    if (!s)
        return NULL;
    if (lk__grow(&pr->owned, &pr->cap_owned, (size_t)pr->n_owned + 1,
                 sizeof *pr->owned, 32) != LK_OK) {
        free(s);
        pr->nomem = 1;
        return NULL;
    }
    pr->owned[pr->n_owned++] = s;
    return s;
}

const char *lk__prov_keepn(lk__prov *pr, const void *s, size_t n)
{
    const char *c = s;
    /* Fixed-size fields are padded with NULs and blanks. */
    while (n && (c[n - 1] == '\0' || c[n - 1] == ' '))
        n--;
    char *d = lk__malloc(n + 1);
    if (!d) {
        pr->nomem = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        d[i] = c[i] ? c[i] : '?';
    d[n] = '\0';
    return lk__prov_keep(pr, d);
}

void lk__prov_problem(lk__prov *pr, const char *fmt, ...)
{
    lk_provenance *p = &pr->pub;
    if (p->n_problems >= MAX_PROBLEMS)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lk__msg_fit(msg, sizeof msg, len);
    size_t n = strlen(pr->name) + strlen(msg) + 3;
    char *s = lk__malloc(n);
    char **np = lk__realloc(p->problems, ((size_t)p->n_problems + 2) *
                                             sizeof *np);
    if (!s || !np) {
        free(s);
        if (np)
            p->problems = np;
        pr->nomem = 1;
        return;
    }
    snprintf(s, n, "%s: %s", pr->name, msg);
    p->problems = np;
    np[p->n_problems++] = s;
    np[p->n_problems] = NULL;
}

/* Resolve the gathered signals into the record's summary fields. */
static void finish(lk__prov *pr)
{
    lk_provenance *p = &pr->pub;
    int intact = p->c2pa && p->signature == LK_SIGNATURE_VALID &&
                 p->binding != LK_BINDING_MISMATCH && !pr->bad_assertions &&
                 !pr->damaged;
    int broken = p->c2pa && (p->signature == LK_SIGNATURE_INVALID ||
                             p->signature == LK_SIGNATURE_EXPIRED ||
                             p->binding == LK_BINDING_MISMATCH ||
                             pr->bad_assertions || pr->damaged);
    if (pr->c2pa_class >= pr->xmp_class && pr->c2pa_class) {
        p->source_class = pr->c2pa_class;
        p->source_type = pr->c2pa_type;
        p->source_from = "c2pa";
        p->generator = pr->c2pa_agent;
    } else if (pr->xmp_class) {
        p->source_class = pr->xmp_class;
        p->source_type = pr->xmp_type;
        p->source_from = "xmp";
    } else if (pr->implied_capture && intact) {
        /* A device's signed manifest: no actions, no ingredients, a signed
         * camera make/model (what camera credentials carry). */
        p->source_class = LK_SOURCE_CAPTURE;
        p->source_type = "digitalCapture";
        p->source_from = "c2pa-exif";
    }
    if (p->active >= 0 && !p->generator)
        p->generator = pr->manifests[p->active].pub.claim_generator;
    p->software = pr->exif_software ? pr->exif_software
                : pr->creator_tool ? pr->creator_tool : pr->png_software;
    const char *soft[] = {pr->exif_software, pr->creator_tool,
                          pr->png_software,
                          p->active >= 0 ? pr->manifests[p->active]
                                               .pub.claim_generator : NULL};
    for (size_t i = 0; i < sizeof soft / sizeof *soft; i++)
        if (lk__ai_software(soft[i])) {
            p->ai_software = 1;
            if (!p->generator || p->source_class != LK_SOURCE_GENERATIVE)
                p->generator = soft[i];
        }
    p->ai_software |= pr->png_generation_text;
    if (!p->generator)
        p->generator = p->software;

    if (p->source_class == LK_SOURCE_GENERATIVE)
        p->verdict = LK_VERDICT_DECLARED_AI;
    else if (p->ai_software)
        p->verdict = LK_VERDICT_LIKELY_SYNTHETIC;
    else if (broken)
        p->verdict = LK_VERDICT_INVALID_MANIFEST;
    else if (p->source_class == LK_SOURCE_CAPTURE &&
             (intact || (!p->c2pa && p->source_from)))
        p->verdict = LK_VERDICT_DECLARED_CAPTURE;
    else
        p->verdict = LK_VERDICT_NO_SIGNAL;
    if (p->c2pa && p->signature == LK_SIGNATURE_VALID)
        lk__prov_problem(pr, "the signing certificate was not checked "
                             "against a trust list, nor its time stamp");
}

static lk__prov *prov_new(const char *path)
{
    lk__prov *pr = lk__calloc(1, sizeof *pr);
    if (!pr)
        return NULL;
    pr->pub.path = lk__strdup(path);
    pr->pub.active = -1;
    pr->name = pr->pub.path;
    if (!pr->pub.path) {
        free(pr);
        return NULL;
    }
    return pr;
}

/* Shared by the file reader and the in-memory entry point (fuzzing). */
lk_status lk__provenance_from_memory(const char *name, const uint8_t *b,
                                     size_t n, lk_provenance **out)
{
    *out = NULL;
    lk__prov *pr = prov_new(name);
    if (!pr)
        return LK_ERR_NOMEM;
    lk__prov_scan(pr, b, n);
    finish(pr);
    if (pr->nomem) {
        lk_provenance_free(&pr->pub);
        return lk__error(LK_ERR_NOMEM, "%s: out of memory reading its "
                                       "metadata", name);
    }
    *out = &pr->pub;
    return LK_OK;
}

lk_status lk_provenance_read(const char *path, lk_provenance **out)
{
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_provenance_read: out is NULL");
    *out = NULL;
    if (!path)
        return lk__error(LK_ERR_MISUSE, "lk_provenance_read: path is NULL");
    /* A mapping: the hard binding hashes every byte of a file that may be
     * gigabytes of video, and nothing else needs a copy. */
    lk__source *src;
    lk_status s = lk__source_open_file(path, &src);
    if (s == LK_ERR_FORMAT)      /* empty: an empty record, as for junk */
        return lk__provenance_from_memory(path, (const uint8_t *)"", 0, out);
    if (s != LK_OK)
        return s;
    s = lk__provenance_from_memory(path, lk__source_data(src),
                                   lk__source_size(src), out);
    lk__source_close(src);
    return s;
}

const lk_prov_manifest *lk_provenance_manifest(const lk_provenance *p, int i)
{
    const lk__prov *pr = (const lk__prov *)p;
    return p && i >= 0 && i < p->n_manifests ? &pr->manifests[i].pub : NULL;
}

const lk_prov_action *lk_prov_manifest_action(const lk_prov_manifest *m,
                                              int k)
{
    const lk__prov_manifest *mm = (const lk__prov_manifest *)m;
    return m && k >= 0 && k < m->n_actions ? &mm->actions[k] : NULL;
}

void lk_provenance_free(lk_provenance *p)
{
    if (!p)
        return;
    lk__prov *pr = (lk__prov *)p;
    for (int i = 0; i < p->n_manifests; i++) {
        free(pr->manifests[i].actions);
        free(pr->manifests[i].pub.ingredients);
    }
    free(pr->manifests);
    for (int i = 0; i < p->n_problems; i++)
        free(p->problems[i]);
    free(p->problems);
    for (int i = 0; i < pr->n_owned; i++)
        free(pr->owned[i]);
    free(pr->owned);
    free(p->path);
    free(pr);
}

lk_status lk__evidence_attach(const char *name, const uint8_t *b, size_t n,
                              lk_scan_result *res)
{
    lk_status s = lk__provenance_from_memory(name, b, n, &res->provenance);
    if (s != LK_OK)
        return s;
    for (int i = 0; i < res->n_findings; i++) {
        lk_evidence *e = &res->findings[i].evidence;
        e->verdict = res->provenance->verdict;
        if (e->speech_scored &&
            e->synthetic_score > res->synthetic_threshold &&
            e->verdict < LK_VERDICT_LIKELY_SYNTHETIC)
            e->verdict = LK_VERDICT_LIKELY_SYNTHETIC;
    }
    return LK_OK;
}
