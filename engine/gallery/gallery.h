/*
 * gallery.h — private entry points of the gallery, for the scanner, the
 * tests and the benchmarks: open with models given by id, add a template
 * of a modality from an embedding, and the FAISS index wrapper.
 */
#ifndef LK_GALLERY_H
#define LK_GALLERY_H

#include "core/core.h"

/* A model as a gallery records it: its id and embedding dimension, and
 * the text of its score calibration (match/calib.h) with the file's
 * sha256, NULL when it has none.  The calibration is copied into the
 * gallery's calibration table when the model is recorded (or, for a
 * gallery made before the table, when a writable handle first opens it
 * with the recorded model), and that copy is what the gallery's scans
 * are calibrated with from then on. */
typedef struct lk__gallery_model {
    const char *id;            /* NULL: none */
    int dim;
    const char *calib;
    const char *calib_sha256;
} lk__gallery_model;

/* The calibration text and sha256 of the engine's embedder for modality
 * m (NULL, NULL when none); defined by pipeline/engine.c, for
 * lk_gallery_open(), which sees a calibration as text only. */
void lk__engine_calib_text(const lk_engine *eng, lk_modality m,
                           const char **text, const char **sha256);

/* The calibration the gallery keeps for modality m's recorded model:
 * its text and the sha256 of the file it was copied from; NULL, NULL when
 * it keeps none.  Valid as long as the handle. */
void lk__gallery_calibration(const lk_gallery *gal, lk_modality m,
                             const char **text, const char **sha256);

/* Open a gallery for the models given per modality, models[m] for m < n
 * (what lk_gallery_open() does with the engine's): the face model must be
 * given; a modality past n or with a NULL id has none.  A gallery with no
 * recorded voice model gets the given one recorded unless read-only; one
 * recorded with another refuses voice use only (see
 * lk__gallery_modality_ready()).  Same codes as lk_gallery_open(). */
lk_status lk__gallery_open_models(const char *dir,
                                  const lk__gallery_model *models, int n,
                                  unsigned flags, lk_gallery **out);

/* LK_OK when templates of modality m may be added and searched with this
 * handle; else the refusal, with its message set: LK_ERR_MODEL (opened
 * without a speaker embedder), LK_ERR_MODEL_MISMATCH (the gallery's voice
 * templates were made with another one, both ids named), LK_ERR_MISUSE
 * (no such modality). */
lk_status lk__gallery_modality_ready(lk_gallery *gal, lk_modality m);

/* Store one template of modality m (an L2-normalised embedding of that
 * modality's dimension: face, the recogniser's; voice, the speaker
 * embedder's) for a registered performer and add it to the index.
 * source_sha256 is the hex hash of the source file, may be NULL;
 * source_path may be NULL; face (the box) may be NULL, and must be for a
 * voice template.  With LK__TEMPLATE_ONCE and a source hash, a performer
 * that already has a template of m from that source gets nothing new:
 * *duplicate is set to 1 and *template_id to the existing template; the
 * check and the insert are one transaction.  template_id and duplicate may
 * be NULL.  LK_ERR_NOT_FOUND (no performer), LK_ERR_MISUSE (also: opened
 * without an engine), LK_ERR_DB, and the refusals of
 * lk__gallery_modality_ready(). */
enum { LK__TEMPLATE_ONCE = 1 << 0 };
lk_status lk__gallery_add_template(lk_gallery *gal, lk_modality m,
                                   const char *performer_id,
                                   const float *embedding,
                                   const char *source_sha256,
                                   const char *source_path,
                                   const lk_face *face, unsigned flags,
                                   int64_t *template_id, int *duplicate);

/* The id of this performer's template of modality m from a file with this
 * hash, or 0 (0 too when m is not ready). */
int64_t lk__gallery_source_template(lk_gallery *gal, lk_modality m,
                                    const char *performer_id,
                                    const char *source_sha256);

/* LK_OK when the performer is registered, LK_ERR_NOT_FOUND (with a message
 * naming it and the gallery) when not, LK_ERR_DB. */
lk_status lk__gallery_find_performer(lk_gallery *gal,
                                     const char *performer_id);

/* The performer's current name as lk_gallery_performer_name() gives it,
 * malloc'd; "" when there is no such performer (erased since a search
 * found it); NULL (recorded) only when out of memory.  For the scanner,
 * which names its findings. */
char *lk__gallery_name_of(lk_gallery *gal, const char *performer_id);

/* What the licence check needs of performer_id: the current version of
 * each of its licences and its standing refusal (gallery/licence.c).
 * *out is NULL when the performer has neither (or is not registered).
 * LK_ERR_DB, LK_ERR_NOMEM. */
struct lk__consent_set;
lk_status lk__gallery_consent(lk_gallery *gal, const char *performer_id,
                              struct lk__consent_set **out);

/* Dimension of modality m's embeddings with this handle; 0 when m is not
 * ready. */
int lk__gallery_dim(const lk_gallery *gal, lk_modality m);
/* The model this handle embeds modality m with; NULL when m is not
 * ready. */
const char *lk__gallery_model_id(const lk_gallery *gal, lk_modality m);
/* The directory; 1 when read-only. */
const char *lk__gallery_dir(const lk_gallery *gal);
int lk__gallery_readonly(const lk_gallery *gal);

/* Bring the in-memory index up to date with the database when another
 * process changed it (every search does this itself when another
 * connection committed; this one asks regardless).  LK_ERR_DB,
 * LK_ERR_BACKEND, LK_ERR_NOMEM. */
lk_status lk__gallery_refresh(lk_gallery *gal);

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
/* The ids in the index, in storage order; valid until the index changes. */
void lk__index_ids(const lk__index *ix, const int64_t **ids, size_t *n);

/* The index file: a header (dimension, the database generation it was
 * built from, a hash of a tag saying which gallery and model it belongs
 * to, an HMAC-SHA256 keyed with the tag of the header and payload) then
 * FAISS's serialisation (index.c says why a MAC).  Written to
 * path + LK__INDEX_TMP_INFIX + a unique suffix, synced, renamed over path.
 * Generation 0 and a NULL tag make a file for any gallery. */
#define LK__INDEX_TMP_INFIX ".tmp."
lk_status lk__index_write_file(const lk__index *ix, const char *path,
                               int64_t generation, const char *tag);
/* Read an index file, refusing (LK_ERR_FORMAT, nothing allocated) one that
 * is damaged, of another dimension, of another tag (NULL: the file must
 * have been written with NULL) or of another generation (want_generation
 * -1: any).  The MAC is checked before FAISS parses the file.
 * *generation (may be NULL) receives the file's generation when the header
 * is readable and of this tag (-1 otherwise).  LK_ERR_NOT_FOUND when
 * there is no file, LK_ERR_IO, LK_ERR_NOMEM. */
lk_status lk__index_read_file(const char *path, int dim, const char *tag,
                              int64_t want_generation, int64_t *generation,
                              lk__index **out);

#endif
