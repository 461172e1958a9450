/*
 * evidence.h — what the files of engine/evidence/ share: the record being
 * built, safe CBOR access, and the readers of each kind of metadata.
 *
 * A file is read as one read-only mapping (prov.c); every reader gets
 * bounds (base, n) and checks each offset against them: nothing in a file
 * is trusted, and a defect becomes a problem sentence in the record.
 */
#ifndef LK_EVIDENCE_H
#define LK_EVIDENCE_H

#include "core/core.h"

#include <cbor.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------
 * The record under construction
 * ---------------------------------------------------------------------- */

/* A manifest as the record keeps it: the public part first (what
 * lk_provenance_manifest() hands out and lk_prov_manifest_action() casts
 * back), its actions apart, so that callers never step through an array
 * of lk_prov_action nor of lk_prov_manifest (both may grow). */
typedef struct lk__prov_manifest {
    lk_prov_manifest pub;
    lk_prov_action *actions;    /* pub.n_actions */
} lk__prov_manifest;

typedef struct lk__prov {
    lk_provenance pub;          /* first: lk_provenance_free() casts back */
    lk__prov_manifest *manifests; /* pub.n_manifests */
    const char *name;           /* the file, for problem sentences */
    /* Every string the record points to, freed together. */
    char **owned;
    int n_owned;
    size_t cap_owned;
    int nomem;                  /* an allocation failed somewhere */
    /* Gathered, then resolved into pub by lk__prov_finish(): */
    lk_source_class c2pa_class, xmp_class;
    const char *c2pa_type, *xmp_type, *c2pa_agent;
    int implied_capture;        /* signed EXIF camera make/model, no
                                   ingredients, no declared source type */
    const char *exif_software, *creator_tool, *png_software;
    int png_generation_text;    /* PNG text chunk of generation settings */
    int bad_assertions;         /* assertions whose hash the claim refutes */
    int damaged;                /* the store could not be read whole: a box,
                                   claim, signature or assertion malformed
                                   or cut off (a validator fails it) */
} lk__prov;

/* Keep s (malloc'd; may be NULL) with the record and return it. */
const char *lk__prov_keep(lk__prov *pr, char *s);
/* A copy of n bytes of s as a NUL-terminated string kept with the record
 * (NULs inside become '?'). */
const char *lk__prov_keepn(lk__prov *pr, const void *s, size_t n);
/* Append "NAME: <sentence>" to the problems. */
void lk__prov_problem(lk__prov *pr, const char *fmt, ...) LK__PRINTF(2, 3);

/* The class of an IPTC digital source type term or URI (only the last
 * path segment counts; surrounding blanks are ignored).  *term is set to
 * the bare term inside s (not NUL-terminated: *term_len). */
lk_source_class lk__source_class(const char *s, const char **term,
                                 size_t *term_len);
/* 1 when text names a generative AI tool (whole words, any case). */
int lk__ai_software(const char *text);

/* ------------------------------------------------------------------------
 * CBOR (cbor.c)
 * ---------------------------------------------------------------------- */

#define LK__CBOR_MAX_DEPTH 64
#define LK__CBOR_MAX_ITEMS 200000

/* Load one CBOR item from the start of data[0..n) after checking it is
 * safe to (see cbor.c).  NULL with *why set ("truncated", "malformed",
 * "nested too deep", …) when not.  Free with cbor_decref(). */
cbor_item_t *lk__cbor_load(const uint8_t *data, size_t n, const char **why);
cbor_item_t *lk__cbor_get(const cbor_item_t *map, const char *key);
cbor_item_t *lk__cbor_get_int(const cbor_item_t *map, int64_t key);
int lk__cbor_int(const cbor_item_t *item, int64_t *out);
/* 1 for CBOR null.  Use it, not cbor_is_null(), which aborts on floats. */
int lk__cbor_is_null(const cbor_item_t *item);
/* A malloc'd copy of a text string (definite or not); NULL otherwise. */
char *lk__cbor_text(const cbor_item_t *item);
/* A definite byte string's bytes (pointing into item). */
int lk__cbor_bytes(const cbor_item_t *item, const uint8_t **p, size_t *n);

/* ------------------------------------------------------------------------
 * Readers
 * ---------------------------------------------------------------------- */

/* A C2PA manifest store (JUMBF, store[0..store_n)) found in file[0..n):
 * manifests, the active one's signature and hard binding. */
void lk__c2pa_read(lk__prov *pr, const uint8_t *file, size_t n,
                   const uint8_t *store, size_t store_n);

/* An XMP packet: DigitalSourceType, CreatorTool (libxml2). */
void lk__xmp_read(lk__prov *pr, const uint8_t *xmp, size_t n);
/* A TIFF/EXIF block (after JPEG's "Exif\0\0"): Software (libexif). */
void lk__exif_read(lk__prov *pr, const uint8_t *exif, size_t n);
/* A PNG text chunk (tEXt, or iTXt uncompressed). */
void lk__png_text(lk__prov *pr, const char *key, const uint8_t *text,
                  size_t n);

/* Walk the container (JPEG, PNG, ISO BMFF, RIFF, MP3) and hand each piece
 * of metadata to the readers above.  Unknown types: nothing. */
void lk__prov_scan(lk__prov *pr, const uint8_t *file, size_t n);

/* The evidence on each finding of res, a scan of the n bytes at b (named
 * name): the file's own
 * provenance (read into res->provenance), its verdict raised to
 * likely-synthetic for a finding whose speech the detector scored over
 * res->synthetic_threshold (lk_verdict's values are ordered by strength).
 * LK_ERR_NOMEM. */
lk_status lk__evidence_attach(const char *name, const uint8_t *b, size_t n,
                              lk_scan_result *res);

/* lk_provenance_read() on bytes already in memory; name is used in the
 * problem sentences.  For the fuzzer (tests/fuzz/fuzz_c2pa.c) and for
 * callers that hold the file. */
lk_status lk__provenance_from_memory(const char *name, const uint8_t *b,
                                     size_t n, lk_provenance **out);

#endif
