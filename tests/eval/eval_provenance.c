/*
 * eval_provenance.c — every sample of $LIKENESS_EVAL_DIR/
 * provenance_c2pa_iptc classified as its manifest label says, through the
 * public API (lk_provenance_read).  Labels and what they require:
 *   c2pa:trainedAlgorithmicMedia… declared-ai: generative source type from
 *                                  C2PA, signature valid, content intact
 *   c2pa:algorithmicMedia          algorithmic (not AI): no-signal, intact
 *   c2pa:no_digitalSourceType      a valid, intact manifest declaring no
 *                                  source type: no-signal
 *   c2pa:digitalCapture, :camera_capture
 *                                  declared-capture from a valid manifest
 *   c2pa:invalid_signature, :invalid_claim_signature
 *                                  signature invalid (or made with an
 *                                  expired credential): invalid-manifest
 *   c2pa:hash_mismatch             binding mismatch: invalid-manifest
 *   iptc-xmp:digitalCapture        declared-capture from XMP, no C2PA
 *   iptc:no_digitalSourceType, none
 *                                  no C2PA, nothing declared: no-signal
 * Prints the table for the record; exits 1 on any misclassification, 77
 * (skip) without the data.
 */
#include "../unit/eval_dir.h"
#include "likeness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the label requires of the record; NULL when it holds, else why. */
static const char *judge(const char *label, const lk_provenance *p)
{
    int intact = p->c2pa && p->signature == LK_SIGNATURE_VALID &&
                 p->binding == LK_BINDING_MATCH;
    if (!strncmp(label, "c2pa:trainedAlgorithmicMedia", 28))
        return p->verdict != LK_VERDICT_DECLARED_AI ? "not declared-ai"
             : p->source_class != LK_SOURCE_GENERATIVE ? "not generative"
             : !intact ? "manifest not intact" : NULL;
    if (!strcmp(label, "c2pa:algorithmicMedia"))
        return p->source_class != LK_SOURCE_ALGORITHMIC ? "not algorithmic"
             : p->verdict != LK_VERDICT_NO_SIGNAL ? "verdict not no-signal"
             : !intact ? "manifest not intact" : NULL;
    if (!strcmp(label, "c2pa:no_digitalSourceType"))
        return p->source_class != LK_SOURCE_UNDECLARED ? "a source type"
             : p->verdict != LK_VERDICT_NO_SIGNAL ? "verdict not no-signal"
             : !intact ? "manifest not intact" : NULL;
    if (!strcmp(label, "c2pa:digitalCapture") ||
        !strcmp(label, "c2pa:camera_capture"))
        return p->verdict != LK_VERDICT_DECLARED_CAPTURE
                   ? "not declared-capture"
             : strncmp(p->source_from, "c2pa", 4) ? "not from C2PA"
             : !intact ? "manifest not intact" : NULL;
    if (!strcmp(label, "c2pa:invalid_signature") ||
        !strcmp(label, "c2pa:invalid_claim_signature"))
        return p->signature != LK_SIGNATURE_INVALID &&
                       p->signature != LK_SIGNATURE_EXPIRED
                   ? "signature not refused"
             : p->verdict != LK_VERDICT_INVALID_MANIFEST
                   ? "verdict not invalid-manifest" : NULL;
    if (!strcmp(label, "c2pa:hash_mismatch"))
        return p->binding != LK_BINDING_MISMATCH ? "binding not mismatch"
             : p->verdict != LK_VERDICT_INVALID_MANIFEST
                   ? "verdict not invalid-manifest" : NULL;
    if (!strcmp(label, "iptc-xmp:digitalCapture"))
        return p->c2pa ? "C2PA found"
             : p->verdict != LK_VERDICT_DECLARED_CAPTURE
                   ? "not declared-capture"
             : strcmp(p->source_from, "xmp") ? "not from XMP" : NULL;
    if (!strcmp(label, "iptc:no_digitalSourceType") || !strcmp(label, "none"))
        return p->c2pa ? "C2PA found"
             : p->source_class != LK_SOURCE_UNDECLARED ? "a source type"
             : p->verdict != LK_VERDICT_NO_SIGNAL ? "verdict not no-signal"
             : NULL;
    return "label unknown to this test";
}

int main(void)
{
    const char *eval = lk_test_eval_dir();
    char path[4096];
    if (!eval) {
        printf("no evaluation data (LIKENESS_EVAL_DIR, ../shared/eval): "
               "skipped\n");
        return 77;
    }
    snprintf(path, sizeof path, "%s/provenance_c2pa_iptc/MANIFEST.tsv", eval);
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("%s: not found: skipped\n", path);
        return 77;
    }
    int n = 0, bad = 0;
    char line[8192];
    printf("%-44s %-46s %-17s %-10s %-9s %-37s %s\n", "file", "label",
           "verdict", "signature", "binding", "source type (from)", "ok");
    while (fgets(line, sizeof line, f)) {
        char *file = strtok(line, "\t"), *label = strtok(NULL, "\t\n");
        if (!file || !label || !strcmp(file, "file"))
            continue;
        snprintf(path, sizeof path, "%s/provenance_c2pa_iptc/%s", eval, file);
        lk_provenance *p = NULL;
        const char *why;
        if (lk_provenance_read(path, &p) != LK_OK) {
            printf("%-44s %-46s error: %s\n", file, label, lk_last_error());
            bad++;
            continue;
        }
        why = judge(label, p);
        char src[96];
        snprintf(src, sizeof src, "%s (%s)",
                 p->source_type ? p->source_type : "-",
                 p->source_from ? p->source_from : "-");
        printf("%-44s %-46s %-17s %-10s %-9s %-37s %s\n", file, label,
               lk_verdict_name(p->verdict), lk_signature_name(p->signature),
               lk_binding_name(p->binding), src, why ? why : "yes");
        if (why)
            for (int i = 0; i < p->n_problems; i++)
                printf("    %s\n", p->problems[i]);
        bad += why != NULL;
        n++;
        lk_provenance_free(p);
    }
    fclose(f);
    printf("%d of %d samples classified as labelled\n", n - bad, n);
    return bad || n == 0 ? 1 : 0;
}
