/*
 * gallery.h — private entry points of the gallery, for the scanner, the
 * tests and the benchmarks: open without an engine, add a template from an
 * embedding, and the FAISS index wrapper.
 */
#ifndef LK_GALLERY_H
#define LK_GALLERY_H

#include "core/core.h"

/* Open a gallery for a recogniser given by id and dimension (what
 * lk_gallery_open() does with the engine's recogniser).  Same codes as
 * lk_gallery_open(). */
lk_status lk__gallery_open_model(const char *dir, const char *model_id,
                                 int dim, unsigned flags, lk_gallery **out);

/* Store one template (an L2-normalised embedding of the gallery's
 * dimension) for a registered performer and add it to the index.
 * source_sha256 is the hex hash of the source file, may be NULL; box may be
 * NULL.  LK_ERR_NOT_FOUND (no performer), LK_ERR_MISUSE, LK_ERR_DB. */
lk_status lk__gallery_add_template(lk_gallery *gal, const char *performer_id,
                                   const float *embedding,
                                   const char *source_sha256,
                                   const char *source_path,
                                   const lk_face *face, int64_t *template_id);

/* 1 when this performer already has a template from a file with this hash. */
int lk__gallery_has_source(lk_gallery *gal, const char *performer_id,
                           const char *source_sha256);

/* Exact inner-product index with 64-bit ids (FAISS IndexIDMap2 over
 * IndexFlatIP, through the FAISS C API). */
typedef struct lk__index lk__index;

lk_status lk__index_new(int dim, lk__index **out);
void lk__index_free(lk__index *ix);
int64_t lk__index_count(const lk__index *ix);
lk_status lk__index_add(lk__index *ix, int64_t n, const float *x,
                        const int64_t *ids);
lk_status lk__index_remove(lk__index *ix, const int64_t *ids, size_t n);
/* k nearest by inner product for nq queries; D and I hold nq*k entries,
 * missing neighbours have id -1.  Safe from several threads at once. */
lk_status lk__index_search(const lk__index *ix, int64_t nq, const float *q,
                           int k, float *D, int64_t *I);
lk_status lk__index_write(const lk__index *ix, const char *path);
lk_status lk__index_read(const char *path, int dim, lk__index **out);

#endif
