/*
 * likeness.h — the public C API of Likeness, a likeness-protection engine.
 *
 * Likeness registers performers from photos into a gallery and finds their
 * faces in other media.  Typical use:
 *
 *     lk_engine *eng;  lk_session *ses;  lk_gallery *gal;  lk_scan_result *res;
 *     lk_engine_params ep = lk_engine_default_params();
 *     if (lk_engine_open(&ep, &eng) != LK_OK) die(lk_last_error());
 *     lk_session_new(eng, &ses);
 *     lk_gallery_open("gallery", eng, LK_GALLERY_CREATE, &gal);
 *     lk_gallery_add_performer(gal, "p-0001", "A. Performer");
 *     lk_gallery_enroll(gal, ses, "p-0001", LK_MODALITY_FACE, "headshot.jpg", 0,
 *                       NULL);
 *     lk_scan_params sp = lk_scan_default_params();
 *     if (lk_scan_file(gal, ses, "upload.jpg", &sp, &res) == LK_OK) {
 *         for (int i = 0; i < lk_scan_result_count(res); i++) {
 *             const lk_finding *f = lk_scan_result_finding(res, i);
 *             printf("%s %.3f\n", f->performer_id, f->score);
 *         }
 *         lk_scan_result_free(res);
 *     }
 *     lk_gallery_close(gal);  lk_session_free(ses);  lk_engine_free(eng);
 *
 * Threads: an lk_engine may be shared by any number of threads; an
 * lk_session is used by one thread at a time; an lk_gallery may be shared
 * by any number of threads (searches run concurrently, changes are
 * serialised inside it).
 *
 * Process-wide settings the library makes, because it parallelises across
 * files rather than inside one call: libvips' operation cache off and its
 * concurrency 1, OpenBLAS at one thread, OpenCV's own logging silenced.
 * A host program that also uses those libraries shares these settings.
 *
 * Conventions (as in SQLite): functions return an lk_status; outputs come
 * last and are set to NULL (or zeroed) on failure; every _open/_new has one
 * _close/_free and freeing NULL does nothing; lk_last_error() names the file
 * and the cause of the calling thread's last failure.  The library never
 * prints: install a log callback with lk_log_set().  Every enum value has
 * an explicit number that never changes; new values are only appended.
 */
#ifndef LIKENESS_H
#define LIKENESS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LK_BUILDING_LIBRARY) && defined(__GNUC__)
#define LK_API __attribute__((visibility("default")))
#else
#define LK_API
#endif

/* LK_VERSION_MAJOR, _MINOR, _PATCH, LK_VERSION_STRING ("0.1.0") and
 * LK_VERSION_NUMBER (MAJOR * 1000000 + MINOR * 1000 + PATCH): the headers'
 * version, generated from the build's (meson.build). */
#include "likeness_version.h"

/** The library's version string, "MAJOR.MINOR.PATCH"; static storage.
 * Equal to LK_VERSION_STRING when the program runs on the library its
 * headers came with. */
LK_API const char *lk_version(void);

/** The library's version as an integer, MAJOR * 1000000 + MINOR * 1000 +
 * PATCH: compare with the headers' LK_VERSION_NUMBER to find a program
 * running on another library than the one it was compiled against. */
LK_API int lk_version_number(void);

/* ------------------------------------------------------------------------
 * Status codes and errors
 * ---------------------------------------------------------------------- */

/* Every value is numbered and keeps its number forever: a code is never
 * renumbered nor removed (a program compiled against an older header must
 * read the same code the same way), and new codes go last, after
 * LK_ERR_ALTERED.  Outcomes that are not failures are below 10. */
typedef enum lk_status {
    LK_OK = 0,
    LK_DONE = 1,               /* not a failure: iteration finished early */
    LK_ERR_IO = 10,            /* a file could not be read or written */
    LK_ERR_FORMAT = 11,        /* input is corrupt, truncated or of no known type */
    LK_ERR_TOO_LARGE = 12,     /* input exceeds a configured limit */
    LK_ERR_MODEL = 13,         /* a model is missing, corrupt or fails to load */
    LK_ERR_MODEL_MISMATCH = 14, /* gallery made with another model than the engine's */
    LK_ERR_NOMEM = 15,         /* out of memory */
    LK_ERR_BACKEND = 16,       /* OpenCV, FAISS or libvips reported a failure */
    LK_ERR_DB = 17,            /* the gallery database failed */
    LK_ERR_MISUSE = 18,        /* invalid argument or call order */
    LK_ERR_NOT_FOUND = 19,     /* no such performer or file */
    LK_ERR_EXISTS = 20,        /* already exists */
    LK_ERR_NO_FACE = 21,       /* enrolment: no face in the image */
    LK_ERR_MANY_FACES = 22,    /* enrolment: several faces and no choice asked for */
    LK_ERR_ALTERED = 23        /* the gallery's audit log was altered (its
                                  hash chain does not verify) */
} lk_status;

/** Static English text for a status code ("input/output error");
 * "unknown status" for a value that is not one.  Never NULL. */
LK_API const char *lk_status_str(lk_status s);

/** Short machine name of a status, as JSON records carry it ("ok",
 * "done", "io", "format", "too_large", "model", "model_mismatch",
 * "nomem", "backend", "db", "misuse", "not_found", "exists", "no_face",
 * "many_faces", "altered"); "unknown" for a value that is not one.  Static storage,
 * never NULL.  Every enum below has such a function, lk_<enum>_name(), and
 * its names never change. */
LK_API const char *lk_status_name(lk_status s);

/**
 * Detail of the calling thread's most recent failure, naming the file and
 * the cause ("photo.jpg: not a known image format").  Thread-local; valid
 * until the thread's next call into the library.  Empty string when none.
 */
LK_API const char *lk_last_error(void);

typedef enum lk_log_level {
    LK_LOG_ERROR = 0,
    LK_LOG_WARN = 1,
    LK_LOG_INFO = 2,
    LK_LOG_DEBUG = 3
} lk_log_level;

typedef void (*lk_log_fn)(lk_log_level level, const char *msg, void *user);

/**
 * Install a log callback (NULL: discard all messages, the default).
 * Messages at or below max_level are delivered.  The callback may be called
 * from any thread that is inside the library; it must be thread-safe.
 * Set it before other threads use the library.
 */
LK_API void lk_log_set(lk_log_fn fn, lk_log_level max_level, void *user);

/** Free memory the library handed out as plain char* (the lk_*_json and
 * lk_*_text strings). */
LK_API void lk_free(void *p);

/* ------------------------------------------------------------------------
 * Engine: loaded models, shared read-only by any number of threads
 * ---------------------------------------------------------------------- */

typedef struct lk_engine lk_engine;
typedef struct lk_session lk_session;

typedef struct lk_engine_params {
    /* Directory holding manifest.json and the model files.  NULL: the
     * environment variable LIKENESS_MODEL_DIR, else the directory fixed at
     * build time (the source tree's models/ when not installed). */
    const char *model_dir;
    /* Face recogniser: a model id from the manifest ("fr_feature@0.0.1").
     * NULL: the manifest's default recogniser. */
    const char *face_model;
    /* Threads one inference call may use.  0: OpenCV's default (all
     * cores).  Set 1 when the caller runs one session per core. */
    int threads;
    /* Verify each model file's sha256 against the manifest on load. 1. */
    int verify_models;
    /* Speaker embedder: a model id from the manifest.  NULL: the
     * manifest's default voice_embed model, or none when it lists none. */
    const char *voice_model;
    /* Bytes the scans and face decodings of this engine may hold at once
     * for their pictures (an image's decoded pixels and working copies,
     * about 5 bytes a pixel; a video's decoder and frames, about 32 bytes
     * a pixel of its frames), reserved before decoding: a file needing
     * more than this is refused with LK_ERR_TOO_LARGE, one that fits waits
     * while other threads hold the rest.  0: half the machine's physical
     * memory (at least 256 MiB); negative: no cap. */
    int64_t max_memory;
} lk_engine_params;

LK_API lk_engine_params lk_engine_default_params(void);

/**
 * Load the manifest, the face models and the speaker embedder (when the
 * manifest lists one).
 * Returns LK_OK, LK_ERR_MODEL (missing file, checksum mismatch, load
 * failure: lk_last_error() says which), LK_ERR_IO, LK_ERR_NOMEM.
 * *out is set to NULL on failure.  Free with lk_engine_free() after every
 * session made from it.
 */
LK_API lk_status lk_engine_open(const lk_engine_params *params,
                                lk_engine **out);
LK_API void lk_engine_free(lk_engine *eng);

typedef enum lk_modality {
    LK_MODALITY_FACE = 0,
    LK_MODALITY_VOICE = 1,
    LK_MODALITY_AUTO = -1      /* enrolment only: told from the file's
                                  contents, a photo a face, anything else a
                                  voice (lk_enroll_result.modality says) */
} lk_modality;

/** "face", "voice"; "unknown" for another value.  Static, never NULL. */
LK_API const char *lk_modality_name(lk_modality m);

typedef struct lk_model_info {
    const char *id;            /* "fr_feature@0.0.1" */
    const char *role;          /* "face_detect", "face_landmark",
                                  "face_embed", "voice_embed",
                                  "spoof_detect" */
    const char *file;          /* absolute path of the weights */
    const char *sha256;
    int input_w, input_h, input_c;
    int dim;                   /* output dimension of an embedder, else 0 */
    float threshold;           /* calibrated match threshold of an embedder;
                                  spoof_detect: the mean log-likelihood
                                  ratio over which speech is likely
                                  synthetic */
    int sample_rate;           /* audio models: input rate in Hz (input_w,
                                  input_h, input_c are 0), else 0 */
} lk_model_info;

/**
 * Describe the i-th model the engine loaded (0..n-1).  Returns LK_DONE
 * when i is past the last.  Strings live as long as the engine.
 */
LK_API lk_status lk_engine_model(const lk_engine *eng, int i,
                                 lk_model_info *out);

/** Id and dimension of the recogniser the engine embeds faces with. */
LK_API const char *lk_engine_face_model_id(const lk_engine *eng);
LK_API int lk_engine_face_dim(const lk_engine *eng);

/** Id and dimension of the speaker embedder; NULL and 0 when the engine
 * has none (its manifest lists no voice_embed model). */
LK_API const char *lk_engine_voice_model_id(const lk_engine *eng);
LK_API int lk_engine_voice_dim(const lk_engine *eng);

/**
 * Per-thread state: network instances and scratch buffers.  A session is
 * used by one thread at a time; make one per worker thread.
 * Returns LK_OK, LK_ERR_MODEL, LK_ERR_NOMEM.
 */
LK_API lk_status lk_session_new(lk_engine *eng, lk_session **out);
LK_API void lk_session_free(lk_session *ses);

/* ------------------------------------------------------------------------
 * Faces in an image
 * ---------------------------------------------------------------------- */

typedef struct lk_detect_params {
    float min_score;         /* detector confidence to keep a face; 0.7 */
    float nms_iou;           /* overlap above which boxes merge; 0.4 */
    int min_face;            /* smallest face side in pixels to keep,
                                0..65536; 24 */
    int max_faces;           /* keep at most this many, largest first; 64 */
    int pyramid;             /* 1: also search tiles of large images for
                                small faces (costs a detector call a tile) */
    int64_t max_pixels;      /* refuse images with more pixels, before
                                decoding them; 100000000; 0: no limit */
} lk_detect_params;

LK_API lk_detect_params lk_detect_default_params(void);

typedef struct lk_face {
    float x, y, w, h;        /* box in pixels of the upright image */
    float score;             /* detector confidence, 0..1 */
    float landmarks[5][2];   /* eyes (left, right as seen), nose tip,
                                mouth corners (left, right), pixels */
} lk_face;

/* The faces found in an image: opaque, read through the functions below
 * (so that it can grow), each 0 (NULL) on a NULL argument; what they
 * return lives as long as the lk_faces. */
typedef struct lk_faces lk_faces;

/** Faces found, largest first. */
LK_API int lk_faces_count(const lk_faces *faces);
/** The upright image's size in pixels (after EXIF orientation). */
LK_API int lk_faces_width(const lk_faces *faces);
LK_API int lk_faces_height(const lk_faces *faces);
/** The embeddings' dimension (the engine's lk_engine_face_dim()). */
LK_API int lk_faces_dim(const lk_faces *faces);
/** The i-th face (0 <= i < lk_faces_count()), NULL out of range. */
LK_API const lk_face *lk_faces_face(const lk_faces *faces, int i);
/** The i-th face's embedding, lk_faces_dim() floats, L2-normalised; NULL
 * out of range. */
LK_API const float *lk_faces_embedding(const lk_faces *faces, int i);

/**
 * Decode an image file (JPEG, PNG, WebP, TIFF, GIF first frame, HEIF where
 * libvips has it), apply its EXIF orientation, find faces and embed each.
 * An image with no face is LK_OK with lk_faces_count() 0.
 * Returns LK_OK, LK_ERR_IO, LK_ERR_FORMAT, LK_ERR_TOO_LARGE, LK_ERR_BACKEND,
 * LK_ERR_NOMEM.  Free *out with lk_faces_free().
 */
LK_API lk_status lk_faces_from_file(lk_session *ses, const char *path,
                                    const lk_detect_params *params,
                                    lk_faces **out);

/** As lk_faces_from_file() on 8-bit interleaved RGB pixels in memory. */
LK_API lk_status lk_faces_from_rgb(lk_session *ses, const uint8_t *rgb,
                                   int width, int height, int stride,
                                   const lk_detect_params *params,
                                   lk_faces **out);
LK_API void lk_faces_free(lk_faces *faces);

/* ------------------------------------------------------------------------
 * Gallery: a directory with gallery.db (the source of truth) and the
 * derived FAISS indexes, one per modality (face.faiss, voice.faiss)
 * ---------------------------------------------------------------------- */

typedef struct lk_gallery lk_gallery;

/* The longest performer id, in bytes without the terminating NUL. */
#define LK_ID_MAX 256

enum {
    LK_GALLERY_CREATE = 1 << 0,    /* create the directory and database */
    LK_GALLERY_READONLY = 1 << 1   /* no changes; index rebuilt in memory */
};

/**
 * Open (or with LK_GALLERY_CREATE, create) the gallery in directory dir.
 * A new gallery records the engine's face model; an existing one made with
 * another model is refused with LK_ERR_MODEL_MISMATCH.  The indexes are
 * loaded, or rebuilt from the database when missing or stale.
 *
 * Voice: the gallery records the engine's speaker embedder when created,
 * or, for a gallery that has none recorded (made before voice, or by an
 * engine without one), at the first open that is not read-only.  An engine
 * with another speaker embedder than the recorded one opens the gallery
 * all the same, but its voice calls (lk_gallery_enroll() of a voice, voice
 * searches) return LK_ERR_MODEL_MISMATCH naming both models; an engine
 * without one gets LK_ERR_MODEL from them.  Faces are unaffected.
 *
 * Without an engine (eng NULL) an existing gallery opens with the models
 * its database records, and no model is loaded: listing performers, stats,
 * adding and removing performers (erasure of every modality, as with an
 * engine), the audit log and searches with an embedding of the recorded
 * dimension (of either modality the gallery records) all work.  Adding
 * templates does not (enrolment returns LK_ERR_MISUSE): nothing would say
 * which model made an embedding.  LK_GALLERY_CREATE without an engine is
 * LK_ERR_MISUSE, since a new gallery records the engine's models.
 *
 * A gallery that cannot be written (a read-only mount, another user's
 * directory) opened without LK_GALLERY_CREATE opens read-only with a
 * warning; its changes (lk_gallery_audit() too) return LK_ERR_IO naming
 * the cause.
 *
 * Files the gallery creates are 0600 and directories 0700, whatever the
 * umask.  An empty gallery.db is damage (LK_ERR_DB naming it), never a
 * gallery to create: a new one is linked into place whole.
 *
 * Returns LK_OK, LK_ERR_NOT_FOUND (no gallery and no CREATE), LK_ERR_IO,
 * LK_ERR_DB, LK_ERR_MODEL_MISMATCH, LK_ERR_MISUSE, LK_ERR_NOMEM.  The
 * engine, when given, must outlive the gallery.
 */
LK_API lk_status lk_gallery_open(const char *dir, lk_engine *eng,
                                 unsigned flags, lk_gallery **out);
LK_API void lk_gallery_close(lk_gallery *gal);

/**
 * Register a performer under the caller's id (any non-empty UTF-8 string
 * of at most LK_ID_MAX bytes, without control characters).  When the
 * performer exists, a non-NULL name replaces the old one.  Returns LK_OK,
 * LK_ERR_MISUSE, LK_ERR_DB.
 */
LK_API lk_status lk_gallery_add_performer(lk_gallery *gal, const char *id,
                                          const char *name);

enum {
    LK_ENROLL_LARGEST = 1 << 0     /* several faces: take the largest */
};

/* What an enrolment added: the caller's struct, filled by the library.
 * Its layout is part of the ABI (a field added to it changes the
 * soversion), unlike the scan results, which are reached through
 * accessors. */
typedef struct lk_enroll_result {
    int64_t template_id;       /* row id of the new template (of the
                                  existing one when duplicate) */
    int duplicate;             /* 1: this file was already enrolled for the
                                  performer in this modality; nothing was
                                  added (and nothing decoded) */
    lk_modality modality;
    /* LK_MODALITY_FACE: */
    int faces_found;           /* faces the image held; 0 when duplicate */
    lk_face face;              /* the face enrolled */
    /* LK_MODALITY_VOICE: */
    double seconds;            /* audio decoded; 0 when duplicate */
    double speech_seconds;     /* of which speech, that the template is
                                  made from; 0 when duplicate */
} lk_enroll_result;

/**
 * Add a template of modality m (LK_MODALITY_AUTO: a photo's face, or the
 * voice of anything else) to a registered performer from the file at
 * path, read once (one open, its bytes hashed and decoded from one
 * mapping).  The file is recognised by its sha256: enrolling it again for
 * the same performer and modality adds nothing (duplicate, answered
 * without decoding it).  The template records the file's absolute path.
 *
 * LK_MODALITY_FACE: the image must hold exactly one face, or with
 * LK_ENROLL_LARGEST at least one.  Faces are found in one detector pass
 * over the whole image (no tiles): a headshot's face is large.
 *
 * LK_MODALITY_VOICE: one template from all the speech of an audio file (or
 * the sound track of a video), which should hold the performer's voice
 * alone.  ses must come from an engine with a speaker embedder (the
 * gallery's recorded one); flags must be 0.
 *
 * Returns LK_OK; LK_ERR_NOT_FOUND (no such performer); LK_ERR_IO (the file
 * cannot be read); face: LK_ERR_NO_FACE, LK_ERR_MANY_FACES, the codes of
 * lk_faces_from_file(); voice: LK_ERR_FORMAT naming the file and the cause
 * (no audio stream, audio sampled below 16 kHz, too little speech — under
 * 1 s: silence, noise, a short clip — speech clipped at full scale over 2%
 * of its samples), LK_ERR_MODEL (no speaker embedder loaded),
 * LK_ERR_MODEL_MISMATCH (the gallery's voice templates were made with
 * another speaker embedder; both ids named); LK_ERR_MISUSE (NULL argument,
 * unknown modality, voice flags not 0, a read-only gallery); LK_ERR_DB,
 * LK_ERR_NOMEM.  out may be NULL; it is zeroed on failure (voice: seconds
 * and speech_seconds are still filled when the speech was refused).
 */
LK_API lk_status lk_gallery_enroll(lk_gallery *gal, lk_session *ses,
                                   const char *performer_id, lk_modality m,
                                   const char *path, unsigned flags,
                                   lk_enroll_result *out);

/**
 * As lk_gallery_enroll() on size bytes at data (an upload: image, audio or
 * video alike), which stay unchanged during the call; name stands for them
 * in messages and is what the template records as its source.  Also
 * LK_ERR_FORMAT for size 0.
 */
LK_API lk_status lk_gallery_enroll_memory(lk_gallery *gal, lk_session *ses,
                                          const char *performer_id,
                                          lk_modality m, const char *name,
                                          const void *data, size_t size,
                                          unsigned flags,
                                          lk_enroll_result *out);

/**
 * Erase a performer: the performer's row and templates
 * of every modality, and their vectors in the indexes (an index file of a
 * modality this handle does not load, such as voice.faiss opened without
 * the gallery's speaker embedder, is deleted, to be rebuilt by the next
 * open that uses it).  Deleted database pages are overwritten
 * (secure_delete) and the write-ahead log truncated, so no embedding bytes
 * remain in the gallery's files.  The performer's audit entries are
 * emptied of their performer and detail (redacted), keeping the digests
 * the hash chain needs, and a "remove" entry holding the performer's
 * digest alone records the erasure; the salt of the digests goes with the
 * performer's row.  Returns LK_OK, LK_ERR_NOT_FOUND, LK_ERR_DB.
 */
LK_API lk_status lk_gallery_remove_performer(lk_gallery *gal,
                                             const char *performer_id);

/* A performer's template counts are an array indexed by lk_modality, not
 * a field per modality, so that a modality added later lengthens the array
 * instead of changing the struct: read templates[m] only for
 * m < n_modalities (a modality this library does not count: 0). */
typedef struct lk_performer_info {
    const char *id;
    const char *name;          /* "" when none was given */
    int64_t created;           /* unix seconds */
    int n_modalities;          /* entries in templates */
    const int *templates;      /* templates[m]: the performer's templates of
                                  modality m */
} lk_performer_info;

typedef int (*lk_performer_fn)(const lk_performer_info *p, void *user);

/**
 * Call fn for every performer in id order.  The strings and the templates
 * array are valid during the call only.  fn returns non-zero to stop;
 * lk_gallery_performers() then returns LK_DONE.  Returns LK_OK, LK_DONE,
 * LK_ERR_DB.
 */
LK_API lk_status lk_gallery_performers(lk_gallery *gal, lk_performer_fn fn,
                                       void *user);

/* What the gallery holds as a whole; per modality, see
 * lk_gallery_modality_info(). */
typedef struct lk_gallery_stats {
    int64_t performers;
    int64_t generation;        /* bumped by every change of templates */
    int64_t db_bytes;          /* gallery.db size on disk */
} lk_gallery_stats;

/** Returns LK_OK, LK_ERR_MISUSE (NULL argument), LK_ERR_DB, LK_ERR_IO. */
LK_API lk_status lk_gallery_stats_get(lk_gallery *gal, lk_gallery_stats *out);

/* One modality of the gallery. */
typedef struct lk_gallery_modality {
    const char *model;         /* the model id the gallery records for it,
                                  NULL when none is recorded (a gallery made
                                  without a speaker embedder); lives as the
                                  gallery */
    int dim;                   /* its embedding dimension; 0 when none */
    int64_t templates;         /* templates of this modality */
    int index_rebuilt;         /* 1: its index was rebuilt from the database
                                  by the last load (open, or a reload after
                                  another process changed the gallery), 0:
                                  read from its file (or not loaded) */
    lk_status usable;          /* LK_OK when this handle can search and add
                                  templates of it, else why not:
                                  LK_ERR_MODEL (no such model with this
                                  handle), LK_ERR_MODEL_MISMATCH (the
                                  engine's differs from the recorded one) */
} lk_gallery_modality;

/**
 * Describe modality m of the gallery.  Returns LK_OK, LK_ERR_MISUSE (NULL
 * argument, unknown m), LK_ERR_DB.  Safe from several threads at once.
 */
LK_API lk_status lk_gallery_modality_info(lk_gallery *gal, lk_modality m,
                                          lk_gallery_modality *out);

/* ------------------------------------------------------------------------
 * The audit log: append-only, tamper-evident
 *
 * Every entry (add, enrol, remove, scan and whatever lk_gallery_audit()
 * appends) is chained: its hash is SHA-256 over the previous entry's hash,
 * its id, time and action, and digests of its performer and detail; the
 * last entry's id and hash (the head) are kept in the database beside it,
 * updated in the same transaction.  An entry of a performer is digested
 * with a random salt kept in the performer's row.  Erasing the performer
 * empties the performer and detail of each of their entries (marked
 * redacted) and deletes the salt with the row: the digests stay, and say
 * nothing of who it was, so the chain still verifies.  SQLite triggers
 * refuse any other change or deletion of entries, but verification does
 * not rely on them.  Tamper-evident, not tamper-proof: whoever can rewrite
 * the whole file can recompute the chain and the head; keep the head hash
 * lk_gallery_audit_verify() reports somewhere else (an anchor) to catch
 * that.
 * ---------------------------------------------------------------------- */

/**
 * Append an entry to the audit log (add, enrol and remove log
 * themselves), in a write transaction of its own, so that entries of
 * several processes chain one after another.  action is a short word
 * ("scan"); performer_id may be NULL, and when given must be a registered
 * performer (the entry is erased with them); detail may be NULL.  Returns
 * LK_OK, LK_ERR_NOT_FOUND (no such performer), LK_ERR_MISUSE (bad
 * argument, a read-only gallery), LK_ERR_DB, LK_ERR_BACKEND (no random
 * source).
 */
LK_API lk_status lk_gallery_audit(lk_gallery *gal, const char *action,
                                  const char *performer_id,
                                  const char *detail);

/* What verification found first. */
typedef enum lk_audit_fault {
    LK_AUDIT_INTACT = 0,       /* every entry verifies, the head matches */
    LK_AUDIT_CHANGED = 1,      /* an entry's time, action, performer or
                                  detail differs from what was chained */
    LK_AUDIT_DELETED = 2,      /* an entry before this one is missing */
    LK_AUDIT_INSERTED = 3,     /* an entry that was never chained there */
    LK_AUDIT_REORDERED = 4,    /* entries in another order than chained */
    LK_AUDIT_TRUNCATED = 5,    /* the last entries are gone (the head
                                  names a later one) */
    LK_AUDIT_REDACTED = 6,     /* emptied without an erasure of its
                                  performer */
    LK_AUDIT_ANCHOR = 7        /* the anchor hash given is not in the chain */
} lk_audit_fault;

/** "intact", "changed", "deleted", "inserted", "reordered", "truncated",
 * "redacted", "anchor"; "unknown" for another value.  Static, never
 * NULL. */
LK_API const char *lk_audit_fault_name(lk_audit_fault f);

/* What lk_gallery_audit_verify() found.  The caller sets size to
 * sizeof(lk_audit_report); the library fills only the fields that fit in
 * size, so that a program built against an older, shorter struct keeps
 * working when fields are appended. */
typedef struct lk_audit_report {
    size_t size;               /* in: sizeof(lk_audit_report) */
    int64_t entries;           /* entries read */
    int64_t redacted;          /* of which emptied by erasures */
    int64_t upgraded_through;  /* entries 1 to this were written before
                                  the hash chain, and chained when the
                                  gallery was upgraded (they were not
                                  tamper-evident until then); 0: none */
    int64_t head_id;           /* the last entry's id (0: empty log) */
    char head[65];             /* its hash, 64 hex digits ("" when empty) */
    lk_audit_fault fault;      /* LK_AUDIT_INTACT, or the first fault */
    int64_t fault_id;          /* the entry it names (0: none) */
    char why[256];             /* the fault in words ("" when intact) */
} lk_audit_report;

/**
 * Check the audit log's hash chain from its first entry to the head, and
 * that anchor (64 hex digits, a head reported earlier; NULL: none) is the
 * hash of one of its entries.  Reads one snapshot of the database; works
 * on a read-only gallery.  Returns LK_OK when intact; LK_ERR_ALTERED with
 * out->fault, fault_id and why naming the first fault (lk_last_error()
 * too, with the database's path); LK_ERR_MISUSE (NULL argument, size too
 * small for the fields up to why, an anchor that is not 64 hex digits),
 * LK_ERR_DB, LK_ERR_NOMEM.  out is filled in every case but misuse.  Safe
 * from several threads at once.
 */
LK_API lk_status lk_gallery_audit_verify(lk_gallery *gal, const char *anchor,
                                         lk_audit_report *out);

/* One entry of the audit log, as lk_gallery_audit_entries() hands it
 * out: valid during the callback only; fields may be appended. */
typedef struct lk_audit_entry {
    int64_t id;
    int64_t time;              /* unix seconds */
    const char *action;
    const char *performer;     /* NULL: none, or erased (redacted, or the
                                  erasure's own entry) */
    const char *detail;        /* NULL: none, or erased */
    int redacted;              /* 1: emptied by the erasure of its
                                  performer */
    const char *hash;          /* 64 hex digits */
} lk_audit_entry;

typedef int (*lk_audit_fn)(const lk_audit_entry *e, void *user);

/**
 * Call fn for every entry of the audit log in id order (as stored: this
 * does not verify them).  fn returns non-zero to stop, and then this
 * returns LK_DONE.  Returns LK_OK, LK_DONE, LK_ERR_MISUSE, LK_ERR_DB,
 * LK_ERR_NOMEM.  fn may call into the gallery.
 */
LK_API lk_status lk_gallery_audit_entries(lk_gallery *gal, lk_audit_fn fn,
                                          void *user);

/* A match holds a copy of the performer's id, so nothing in it points
 * into the gallery (which frees what an erasure or a reload retires).  The
 * name is not in it: names are looked up when wanted
 * (lk_gallery_performer_name()), which also sees a rename at once. */
typedef struct lk_match {
    char performer_id[LK_ID_MAX + 1];  /* NUL-terminated */
    int64_t template_id;       /* the best template of this performer */
    float score;               /* cosine similarity, -1..1 */
} lk_match;

/**
 * The current name of a registered performer ("" when none was given), in
 * *name, which the caller frees with lk_free().  Returns LK_OK,
 * LK_ERR_NOT_FOUND (no such performer: never registered, or erased since
 * a search found it), LK_ERR_MISUSE, LK_ERR_DB, LK_ERR_NOMEM; *name is
 * NULL on failure.  Safe from several threads at once.
 */
LK_API lk_status lk_gallery_performer_name(lk_gallery *gal,
                                           const char *performer_id,
                                           char **name);

/**
 * The k best performers for one L2-normalised embedding of modality m (of
 * that modality's dimension: a face embedding of lk_engine_face_dim(), a
 * speaker embedding of lk_engine_voice_dim(); without an engine, the
 * recorded ones of lk_gallery_modality_info()), best first, one entry per
 * performer (its best template of m).  Only performers with a template of
 * m are found.  *n_out receives how many were filled (0..k).  Every
 * change committed before the search began, by this handle or any other
 * (another process's enrolment or erasure), is seen by it: a search first
 * asks SQLite whether another connection committed since the last look
 * (PRAGMA data_version, about a microsecond) and reloads when the
 * gallery's generation moved.  Returns LK_OK, LK_ERR_MISUSE (NULL
 * argument, k < 1, unknown m, an embedding not finite or not of unit
 * length), LK_ERR_MODEL (m is voice and the gallery was opened without a
 * speaker embedder), LK_ERR_MODEL_MISMATCH (its templates were made with
 * another model than the handle's), LK_ERR_DB (the reload failed: no
 * stale answer is given), LK_ERR_BACKEND.  Safe from several threads at
 * once.
 */
LK_API lk_status lk_gallery_search(lk_gallery *gal, lk_modality m,
                                   const float *embedding, int k,
                                   lk_match *out, int *n_out);

/* ------------------------------------------------------------------------
 * Consent: licences and standing refusals
 *
 * A licence record says that a licensee may use a performer's face, voice
 * or both for some uses, in some territories, for a term; a standing
 * refusal says which uses the performer never allows.  Both live in the
 * gallery's database.  A licence is versioned: a change (an amendment, a
 * revocation) is a new version that supersedes the last, never an
 * overwrite, and every version stays readable.  Records are JSON documents
 * (the fields in README.md, "Licences and refusals"): the library validates every field
 * and keeps them in a canonical form; JSON rather than a C struct because
 * a record has a dozen optional, repeated fields that will grow, and the
 * same document is what `likeness consent export` writes and import reads.
 * ---------------------------------------------------------------------- */

/* A use of a likeness, one bit each (a set is their OR).  Numbers never
 * change; a new use takes the next bit.  The names are the vocabulary
 * records, options and JSON carry. */
typedef enum lk_use {
    LK_USE_DIGITAL_DOUBLE = 1 << 0,        /* "digital-double": a synthetic
                                              face or body standing in for
                                              the performer */
    LK_USE_VOICE_CLONE = 1 << 1,           /* "voice-clone": synthetic speech
                                              in the performer's voice */
    LK_USE_DE_AGEING = 1 << 2,             /* "de-ageing" */
    LK_USE_DUBBING = 1 << 3,               /* "dubbing": their voice (or
                                              lips) made to speak another
                                              language */
    LK_USE_SYNTHETIC_PERFORMANCE = 1 << 4, /* "synthetic-performance": a
                                              performance they never gave */
    LK_USE_ADVERTISING = 1 << 5,           /* "advertising" */
    LK_USE_AI_TRAINING = 1 << 6            /* "ai-training": training data
                                              for a model */
} lk_use;

/** The name of one use bit ("voice-clone"); "unknown" for anything else.
 *  Static, never NULL. */
LK_API const char *lk_use_name(lk_use u);

/**
 * Parse a comma-separated list of use names ("voice-clone,dubbing") into
 * a set.  Returns LK_OK, or LK_ERR_MISUSE naming the first unknown name
 * (lk_last_error() lists the vocabulary) or an empty list.
 */
LK_API lk_status lk_uses_parse(const char *list, unsigned *out /* out */);

/* What a finding's use of a likeness is, against the licences. */
typedef enum lk_licence_status {
    LK_LICENCE_NONE = 0,       /* not resolved: a finding that matched no
                                  performer */
    LK_LICENCE_LICENSED = 1,   /* a licence of a proven licensee covers it */
    LK_LICENCE_UNLICENSED = 2, /* no licence's licensee is proven */
    LK_LICENCE_REFUSED = 3,    /* the performer's standing refusal covers
                                  this use (whatever a licence says) */
    LK_LICENCE_REVOKED = 4,    /* the proven licensee's licence was revoked */
    LK_LICENCE_EXPIRED = 5,    /* its term has ended */
    LK_LICENCE_OUT_OF_SCOPE = 6 /* licensee proven, but the use, modality,
                                  territory or the term's start is not
                                  covered */
} lk_licence_status;

/** "none", "licensed", "unlicensed", "refused", "revoked", "expired",
 *  "out-of-scope"; "unknown" for another value.  Static, never NULL. */
LK_API const char *lk_licence_status_name(lk_licence_status s);

/* The one word a reviewer filters on. */
typedef enum lk_action {
    LK_ACTION_NONE = 0,        /* no performer matched */
    LK_ACTION_LICENSED = 1,    /* a licence covers the use */
    LK_ACTION_REVIEW = 2,      /* a likeness match without a licence and
                                  without AI evidence: for a person to look
                                  at, never an automatic block */
    LK_ACTION_ALERT = 3        /* AI evidence and no licence, or a use the
                                  performer refuses */
} lk_action;

/** "none", "licensed", "review", "alert"; "unknown" for another value. */
LK_API const char *lk_action_name(lk_action a);

/* What proved the licensee, one bit each. */
enum {
    LK_BASIS_C2PA_SIGNER = 1 << 0, /* "c2pa-signer": a valid, intact C2PA
                                      manifest (signature valid, binding
                                      match) signed by a key of the
                                      licensee's */
    LK_BASIS_ASSET_HASH = 1 << 1,  /* "asset-hash": the file's SHA-256 is a
                                      registered deliverable */
    LK_BASIS_CONTEXT = 1 << 2      /* "context": where it was found (the
                                      scan's channel or domain) is the
                                      licensee's */
};

/** The name of one basis bit ("c2pa-signer"); "unknown" otherwise. */
LK_API const char *lk_basis_name(unsigned basis_bit);

/**
 * Add a licence record, version 1, from a JSON object (README.md,
 * "Licences and refusals": performer, modalities, uses, licensee and
 * from are required).
 * The performer must be registered; the uses must not be ones the
 * performer refuses (clear the refusal first).  *id: the record's id.
 * Returns LK_OK, LK_ERR_FORMAT (not JSON), LK_ERR_MISUSE (a field missing
 * or invalid: lk_last_error() names it), LK_ERR_NOT_FOUND (no such
 * performer), LK_ERR_DB.  Nothing is written on failure.
 */
LK_API lk_status lk_licence_add(lk_gallery *gal, const char *json,
                                int64_t *id /* out */);

/**
 * A new version of record id, superseding the last: json is the whole
 * record as it now stands (the performer cannot change).  *version: the
 * new version's number.  Errors as lk_licence_add(), and LK_ERR_NOT_FOUND
 * for an unknown id, LK_ERR_MISUSE for a revoked record.
 */
LK_API lk_status lk_licence_amend(lk_gallery *gal, int64_t id,
                                  const char *json, int *version /* out */);

/**
 * Revoke record id from time at (unix seconds; 0: now): a new version
 * with status "revoked".  reason may be NULL.  Returns LK_OK,
 * LK_ERR_NOT_FOUND, LK_ERR_MISUSE (already revoked), LK_ERR_DB.
 */
LK_API lk_status lk_licence_revoke(lk_gallery *gal, int64_t id, int64_t at,
                                   const char *reason);

/**
 * Record id as JSON (version: 0, the current one), with "id", "uuid",
 * "version", "created" and "superseded" (the versions after it).  *json is
 * freed with lk_free().  LK_OK, LK_ERR_NOT_FOUND, LK_ERR_DB, LK_ERR_NOMEM.
 */
LK_API lk_status lk_licence_get(lk_gallery *gal, int64_t id, int version,
                                char **json /* out */);

/**
 * The current version of every record (of one performer, or of all when
 * performer_id is NULL), as a JSON array, oldest first.  lk_free() it.
 */
LK_API lk_status lk_licence_list(lk_gallery *gal, const char *performer_id,
                                 char **json /* out */);

/**
 * Every version of every record and every standing refusal (of one
 * performer, or all), as one JSON document that lk_licence_import() reads
 * back ("likeness-consent" format 1).  lk_free() it.
 */
LK_API lk_status lk_licence_export(lk_gallery *gal, const char *performer_id,
                                   char **json /* out */);

/**
 * Read an export into this gallery in one transaction: a record (told by
 * its uuid) new here is added with all its versions, one known here gains
 * the versions it lacks (a version that differs from the one held is a
 * conflict: LK_ERR_EXISTS, nothing written); refusals replace older ones.
 * Every performer must be registered here.  *records, *versions (either
 * may be NULL): what was added.
 */
LK_API lk_status lk_licence_import(lk_gallery *gal, const char *json,
                                   int *records /* out */,
                                   int *versions /* out */);

/**
 * Set the uses performer_id never allows (a set of lk_use bits; 0 clears
 * them).  Refusals are the performer's and are kept apart from licences:
 * a refused use is "refused" on every finding, whatever a licence says.
 */
LK_API lk_status lk_policy_set(lk_gallery *gal, const char *performer_id,
                               unsigned never);

/** The uses performer_id refuses (0: none) and since when (unix seconds,
 *  0 when none); either out may be NULL. */
LK_API lk_status lk_policy_get(lk_gallery *gal, const char *performer_id,
                               unsigned *never /* out */,
                               int64_t *since /* out */);

/**
 * The SHA-256 (64 lowercase hex digits and a NUL) of the public key
 * (DER SubjectPublicKeyInfo) of the first certificate in a PEM file: what
 * a licence's licensee key_sha256 holds and lk_prov_manifest.signer_key
 * reports.  LK_OK, LK_ERR_IO, LK_ERR_FORMAT (no certificate).
 */
LK_API lk_status lk_certificate_key_sha256(const char *pem_path,
                                           char out[65]);

/**
 * The SHA-256 (hex, as above) of a file's bytes: what a licence's assets
 * and consent evidence hold.  LK_OK, LK_ERR_IO, LK_ERR_NOT_FOUND.
 */
LK_API lk_status lk_file_sha256(const char *path, char out[65]);

/* ------------------------------------------------------------------------
 * Scanning
 * ---------------------------------------------------------------------- */

typedef enum lk_decision {
    LK_NO_MATCH = 0,
    LK_MATCH = 1
} lk_decision;

/** "no_match", "match"; "unknown" for another value.  Static, never
 * NULL. */
LK_API const char *lk_decision_name(lk_decision d);

/* How frames of a video are chosen for face search.  Costs and misses,
 * for a typical 25-30 fps H.264 stream:
 *  - LK_SAMPLE_SCENE: the rate samples below plus the first frame of every
 *    new shot (a cut is seen on each decoded frame's 64x36 grey thumbnail).
 *    Decodes what the rate policy decodes; a cut found costs one more
 *    detector call.  Misses only faces on screen for less than 1/fps s
 *    within a shot.  The default.
 *  - LK_SAMPLE_RATE: a frame every 1/fps seconds; non-reference frames
 *    before the next sample are dropped by the decoder unread (about half
 *    of an H.264 stream's frames).  Misses faces on screen for less than
 *    1/fps s, and a short shot between two samples.
 *  - LK_SAMPLE_KEYFRAMES: keyframes only, every other packet is left
 *    undecoded (7-30x less decoding): fast triage.  Misses whatever lies
 *    between keyframes, often seconds apart (x264's default: up to 10 s). */
typedef enum lk_sampling {
    LK_SAMPLE_SCENE = 0,
    LK_SAMPLE_RATE = 1,
    LK_SAMPLE_KEYFRAMES = 2
} lk_sampling;

/** "scene", "rate", "keyframes"; "unknown" for another value.  Static,
 * never NULL. */
LK_API const char *lk_sampling_name(lk_sampling p);

/**
 * The policy called name by lk_sampling_name() (as a --sampling option
 * gives it).  Returns LK_OK, or LK_ERR_MISUSE for a name that is none
 * (and for a NULL out); *out is LK_SAMPLE_SCENE on failure.
 */
LK_API lk_status lk_sampling_from_name(const char *name, lk_sampling *out);

typedef struct lk_video_params {
    lk_sampling sampling;      /* LK_SAMPLE_SCENE */
    double fps;                /* rate samples per second, (0, 1000]; 2 */
    float scene_threshold;     /* shot-change score (0, 1] that may be a
                                  cut (when also 3x the recent mean); 0.12 */
    int max_side;              /* frames that faces are embedded from are
                                  scaled so their longer side is at most
                                  this, 64..65536; 1280; 0: full size */
    int embeds_per_track;      /* a face track is embedded at most twice
                                  this often, keeping this many best-quality
                                  frames, 1..64; 4 */
    double merge_gap;          /* seconds: findings of one performer closer
                                  than this are one appearance, 0..86400;
                                  2 */
    int threads;               /* decoder threads, 0..256; 0: 1 (the other core
                                  runs inference; measured faster and
                                  leaner than 2 on two cores) */
} lk_video_params;

LK_API lk_video_params lk_video_default_params(void);

typedef struct lk_scan_params {
    float threshold;           /* cosine at or above which a face matches;
                                  < -1: the recogniser's calibrated value */
    int report_all;            /* 1: also report faces that match no one */
    lk_detect_params detect;   /* for video, pyramid is not used: frames are
                                  searched at the detector's input size */
    lk_video_params video;
    /* Voices, in audio files and in videos' sound tracks, when the engine
     * has a speaker embedder and the gallery voice templates: */
    int voice;                 /* 1: listen for registered voices (default) */
    float voice_threshold;     /* cosine at or above which a voice matches;
                                  < -1: the speaker embedder's calibrated
                                  value */
    /* What the caller knows of where the content was found, for the
     * licence check (NULL, 0: not known): */
    const char *context_channel;   /* a platform channel id */
    const char *context_domain;    /* the site's domain */
    const char *context_territory; /* ISO 3166-1 alpha-2 code, "GB" */
    unsigned context_uses;         /* lk_use bits the content is put to
                                      (for example LK_USE_ADVERTISING) */
    int64_t context_time;          /* unix seconds the use is judged at
                                      (publication); 0: the scan's time */
    /* 1: keep, for a reviewer, a JPEG of each matched face of a photo
     * (lk_finding.crop_jpeg) and of the whole photo, scaled down
     * (lk_scan_result_context_jpeg()).  0 (default): none. */
    int keep_evidence;
} lk_scan_params;

LK_API lk_scan_params lk_scan_default_params(void);

typedef enum lk_media_kind {
    LK_MEDIA_IMAGE = 0,
    LK_MEDIA_VIDEO = 1,
    LK_MEDIA_AUDIO = 2         /* sound only: voices */
} lk_media_kind;

/** "image", "video", "audio" (a JSON record's "type"); "unknown" for
 * another value.  Static, never NULL. */
LK_API const char *lk_media_kind_name(lk_media_kind k);

/* ------------------------------------------------------------------------
 * Evidence: was this made by AI, and does the file say so?
 * ---------------------------------------------------------------------- */

/* One word a reviewer can filter on, strongest first:
 *  - LK_VERDICT_DECLARED_AI: the file declares generative AI (a C2PA action
 *    or XMP Iptc4xmpExt:DigitalSourceType trainedAlgorithmicMedia or
 *    compositeWithTrainedAlgorithmicMedia), whether or not its manifest is
 *    intact: an edit after signing does not make content less generated.
 *  - LK_VERDICT_LIKELY_SYNTHETIC: nothing declared, but the synthetic-speech
 *    detector scores the finding's speech over its threshold, or the file's
 *    software fields name a generative AI tool.
 *  - LK_VERDICT_INVALID_MANIFEST: a C2PA manifest that fails validation
 *    (its signature does not verify or was made with an expired credential
 *    and no time stamp, its hard binding does not match the file, or an
 *    assertion differs from what its claim signed): its claims are void.
 *  - LK_VERDICT_DECLARED_CAPTURE: an intact, validly signed manifest (or
 *    XMP) declares a capture (digitalCapture, film, …) and nothing else
 *    points to synthesis.
 *  - LK_VERDICT_NO_SIGNAL: none of the above. */
typedef enum lk_verdict {
    LK_VERDICT_NO_SIGNAL = 0,
    LK_VERDICT_DECLARED_CAPTURE = 1,
    LK_VERDICT_INVALID_MANIFEST = 2,
    LK_VERDICT_LIKELY_SYNTHETIC = 3,
    LK_VERDICT_DECLARED_AI = 4
} lk_verdict;

/** "declared-ai", "likely-synthetic", "invalid-manifest",
 * "declared-capture", "no-signal"; "unknown" for another value.  Static,
 * never NULL. */
LK_API const char *lk_verdict_name(lk_verdict v);

/* How the IPTC digital source type(s) a file declares class it. */
typedef enum lk_source_class {
    LK_SOURCE_UNDECLARED = 0,  /* no digital source type */
    LK_SOURCE_CAPTURE = 1,     /* digitalCapture, computationalCapture,
                                  negativeFilm, positiveFilm, print,
                                  compositeCapture */
    LK_SOURCE_OTHER = 2,       /* edits and composites of other kinds
                                  (humanEdits, compositeSynthetic,
                                  screenCapture, digitalArt, …) */
    LK_SOURCE_ALGORITHMIC = 3, /* algorithmicMedia: made by an algorithm,
                                  not a trained model (not generative AI) */
    LK_SOURCE_GENERATIVE = 4   /* trainedAlgorithmicMedia,
                                  compositeWithTrainedAlgorithmicMedia */
} lk_source_class;

/** "undeclared", "capture", "other", "algorithmic", "generative";
 * "unknown" for another value.  Static, never NULL. */
LK_API const char *lk_source_class_name(lk_source_class c);

/* The hard binding of the active C2PA manifest to the file's bytes. */
typedef enum lk_binding {
    LK_BINDING_NONE = 0,       /* no manifest, or a manifest without one */
    LK_BINDING_MATCH = 1,      /* the bytes hash to the signed value */
    LK_BINDING_MISMATCH = 2,   /* they do not: edited after signing */
    LK_BINDING_UNCHECKED = 3   /* a binding this version cannot check (the
                                  reason is in the problems) */
} lk_binding;

/** "none", "match", "mismatch", "unchecked"; "unknown" for another value.
 * Static, never NULL. */
LK_API const char *lk_binding_name(lk_binding b);

/* The active manifest's COSE signature over its claim. */
typedef enum lk_signature {
    LK_SIGNATURE_NONE = 0,     /* no manifest */
    LK_SIGNATURE_VALID = 1,    /* verifies with the certificate the manifest
                                  carries; the certificate is NOT checked
                                  against a trust list (none is shipped) */
    LK_SIGNATURE_INVALID = 2,  /* does not verify: claim altered, or a
                                  signature made by another key */
    LK_SIGNATURE_UNVERIFIED = 3, /* present, not verified (unsupported
                                  algorithm, no certificate, malformed): the
                                  reason is in the problems */
    LK_SIGNATURE_EXPIRED = 4   /* verifies, but the certificate is expired
                                  (or not yet valid) and no time stamp shows
                                  it signed while valid: C2PA's
                                  signingCredential.expired, claims void.
                                  (A time stamp present is not verified: the
                                  problems say so.) */
} lk_signature;

/** "none", "valid", "invalid", "unverified", "expired"; "unknown" for
 * another value.  Static, never NULL. */
LK_API const char *lk_signature_name(lk_signature s);

/* A provenance record (lk_provenance), its manifests (lk_prov_manifest)
 * and their actions (lk_prov_action) are reached by pointer only, from
 * lk_provenance_read(), lk_scan_result_provenance(),
 * lk_provenance_manifest() and lk_prov_manifest_action(): their fields are
 * only ever appended, and a caller must never allocate, copy or step
 * through an array of them (as for lk_finding). */
typedef struct lk_prov_action {
    const char *action;        /* "c2pa.created", "c2pa.edited", … */
    const char *source_type;   /* the IPTC term (last path segment of the
                                  URI), NULL when none */
    const char *software;      /* softwareAgent name, NULL when none */
} lk_prov_action;

typedef struct lk_prov_manifest {
    const char *label;         /* "urn:uuid:…" (or the 2022 form) */
    const char *claim_generator; /* who wrote it, NULL when unstated */
    const char *title;         /* dc:title of the claim, may be NULL */
    const char *signer;        /* signing certificate subject, e.g.
                                  "O=Truepic, CN=…"; NULL when none */
    lk_signature signature;
    int n_actions;             /* lk_prov_manifest_action() */
    int n_ingredients;
    const char **ingredients;  /* titles (NULL entries when untitled) */
    const char *signer_key;    /* SHA-256 (hex) of the signing certificate's
                                  public key (DER SubjectPublicKeyInfo), what
                                  a licence names its licensee by; NULL
                                  when no certificate was read */
} lk_prov_manifest;

/* What a file says about where it came from. */
typedef struct lk_provenance {
    char *path;
    /* C2PA content credentials (JPEG APP11, PNG caBX, ISO BMFF uuid box,
     * WAV/AIFF C2PA chunk, MP3 ID3 GEOB): */
    int c2pa;                  /* 1: a manifest store was found (even one
                                  that could not be read: see problems) */
    int n_manifests;           /* lk_provenance_manifest() */
    int active;                /* index of the active (last) manifest; -1 */
    lk_binding binding;        /* the active manifest's hard binding */
    lk_signature signature;    /* the active manifest's signature */
    /* The strongest digital source type declared (generative over
     * algorithmic over other over capture), from the active manifest's
     * actions, else from XMP: */
    lk_source_class source_class;
    const char *source_type;   /* its IPTC term; NULL when undeclared */
    const char *source_from;   /* "c2pa" or "xmp"; NULL when undeclared */
    const char *generator;     /* the tool behind the declaration or the
                                  hint: softwareAgent, else claim generator,
                                  else software below; may be NULL */
    /* Weaker signals: */
    const char *software;      /* EXIF Software / XMP CreatorTool /
                                  xmp:CreatorTool; NULL when none */
    int ai_software;           /* 1: software (or a PNG text chunk of
                                  generation parameters) names a generative
                                  AI tool */
    int n_problems;            /* what could not be read or checked, each a
                                  sentence naming the file */
    char **problems;
    lk_verdict verdict;        /* the file's own verdict (no speech score) */
} lk_provenance;

/**
 * Read what path says about its provenance: C2PA manifests (signature
 * verified with OpenSSL, hard binding checked against the bytes), XMP
 * DigitalSourceType, EXIF/XMP software.  The type is told from the
 * contents (JPEG, PNG, ISO BMFF (MP4, MOV, HEIF, AVIF), RIFF WAV, MP3);
 * other files get an empty record.  Malformed metadata is a problem in the
 * record, not a failure.  Returns LK_OK, LK_ERR_IO (unreadable, naming the
 * file), LK_ERR_NOMEM.  Free *out with lk_provenance_free().
 */
LK_API lk_status lk_provenance_read(const char *path, lk_provenance **out);
LK_API void lk_provenance_free(lk_provenance *p);
/** The record as one JSON object on one line; free with lk_free(). */
LK_API char *lk_provenance_json(const lk_provenance *p);

/** The i-th manifest of p (0 <= i < p->n_manifests; the active one is
 * p->active), NULL out of range or for a NULL p.  Lives as long as p. */
LK_API const lk_prov_manifest *lk_provenance_manifest(const lk_provenance *p,
                                                      int i);
/** The k-th action of manifest m (0 <= k < m->n_actions), NULL out of
 * range or for a NULL m.  m must come from lk_provenance_manifest().
 * Lives as long as the record. */
LK_API const lk_prov_action *lk_prov_manifest_action(
    const lk_prov_manifest *m, int k);

/* The evidence attached to every finding. */
typedef struct lk_evidence {
    lk_verdict verdict;        /* over the file's provenance and this
                                  finding's speech */
    /* Synthetic speech, when the engine has a synthetic-speech detector:
     * over the finding's voice windows (voice_segments > 0), else, for a
     * face appearance whose voice was not heard, over the speech in its
     * time range when there is at least 1 s of it (whoever speaks). */
    int speech_scored;         /* 1: the scores below are set */
    float synthetic_score;     /* the detector's log-likelihood ratio,
                                  synthetic vs. bona fide, averaged over
                                  that speech's frames; over
                                  lk_scan_result_synthetic_threshold():
                                  likely synthetic */
    float synthetic_peak;      /* the most synthetic window's (the range's
                                  mean for a face appearance's range) */
} lk_evidence;

/* One finding of a scan, reached only by pointer, from
 * lk_scan_result_finding().  Fields are only ever appended, so a program
 * built against an older header reads the fields it knows at the same
 * offsets; in exchange, a caller must never allocate an lk_finding, nor
 * copy, store or step through an array of them (sizeof (lk_finding) and
 * f + 1 are not the library's), and must keep the pointer no longer than
 * the result.  lk_face and lk_evidence, held here by value, cannot grow:
 * new evidence becomes new fields of lk_finding.  (A public struct behind
 * a pointer rather than a getter a field: a finding has some twenty fields
 * that every caller reads, and the pointer alone already frees the stride,
 * which is what an array of a public struct freezes.) */
typedef struct lk_finding {
    int face_index;            /* image: index of the face; video: the
                                  finding's first face track */
    lk_face face;              /* video: the face in the best frame */
    const char *performer_id;  /* NULL when nothing is enrolled */
    const char *performer_name;
    float score;               /* image: cosine to the performer's best
                                  template; video: the mean of that over
                                  the embedded frames of the appearance */
    lk_decision decision;
    /* Video only (0 for images): one appearance of the performer. */
    double start, end;         /* seconds: first and last frame seen */
    double best_time;          /* seconds: the frame scoring peak_score */
    int frames;                /* sampled frames the face was seen in */
    int embedded;              /* of them, frames embedded and searched */
    float peak_score;          /* the best single frame's cosine */
    /* The evidence: LK_MODALITY_FACE, a face (with the performer's voice
     * below when it was heard at the same time), or LK_MODALITY_VOICE, the
     * voice alone (heard, not seen; face, frames and embedded are 0, and
     * score and peak_score are the voice's). */
    lk_modality modality;
    int voice_segments;        /* 4 s speech windows of the performer's
                                  voice within the finding; 0: not heard */
    float voice_score;         /* mean cosine of those windows */
    float voice_peak_score;    /* the best window's */
    lk_evidence evidence;
    /* Calibrated scores (appended: see above).  The estimated false-match
     * rate at score: the fraction of comparisons of one face (one 4 s
     * speech window for a voice finding) with one template of someone
     * else that score at least this high, from the calibration the
     * gallery keeps for its model (else the engine's, from the model's
     * calibration file; models/README.md has the method and its data).
     * For a video appearance and a stretch of voice it is the rate at
     * score, the mean that decided, not at peak_score: a frame's or a
     * window's rate at the peak would understate the chance that the best
     * of many impostor frames reaches it, while a mean of correlated
     * frames has no heavier tail than one frame.  A performer with T
     * templates is T comparisons.  Negative (-1) when unknown: the model
     * has no calibration, or there is no performer (empty gallery). */
    double fmr;
    int fmr_below;             /* 1: the estimate fell under the
                                  calibration's floor, and fmr is that floor:
                                  the rate is only claimed to be below it */
    double voice_fmr;          /* the same for voice_score (voice_segments
                                  > 0), with the speaker embedder's
                                  calibration; -1 when unknown or not heard */
    int voice_fmr_below;
    /* The licence check (LK_LICENCE_NONE and LK_ACTION_NONE when no
     * performer matched).  Strings belong to the result. */
    unsigned uses;             /* the use (lk_use bits) the finding's
                                  evidence shows, and the context's: a face
                                  in AI content a digital double, a voice
                                  judged synthetic a voice clone; 0: no
                                  AI use shown */
    lk_licence_status licence;
    int64_t licence_record;    /* the record that decided it; 0: none */
    int licence_version;
    const char *licensee;      /* its licensee's name; NULL when none */
    unsigned licence_basis;    /* LK_BASIS_* that proved the licensee */
    const char *licence_reason; /* a sentence a person reads */
    lk_action action;
    /* With lk_scan_params.keep_evidence, a photo's matched face with a
     * margin around it, at most 256 pixels a side, as a JPEG; NULL (0)
     * otherwise, and for videos and sound (not kept yet).  Belongs to the
     * result. */
    const uint8_t *crop_jpeg;
    size_t crop_jpeg_size;
} lk_finding;

/* What lk_scan_file() found in a file: opaque, read through the functions
 * below, so that it can grow without breaking programs built against an
 * older library.  Each reads one part; on a NULL res it returns 0 (NULL).
 * Strings and structs they return belong to the result and live as long
 * as it (until lk_scan_result_free()). */
typedef struct lk_scan_result lk_scan_result;

/** The file scanned, as given to lk_scan_file(). */
LK_API const char *lk_scan_result_path(const lk_scan_result *res);
/** What the file held (told from its contents). */
LK_API lk_media_kind lk_scan_result_kind(const lk_scan_result *res);
/** Image, video: the upright (display) size in pixels; audio: 0. */
LK_API int lk_scan_result_width(const lk_scan_result *res);
LK_API int lk_scan_result_height(const lk_scan_result *res);
/** Image: the faces detected; video: the face tracks. */
LK_API int lk_scan_result_faces(const lk_scan_result *res);
/** The threshold the face decisions used. */
LK_API float lk_scan_result_threshold(const lk_scan_result *res);

/** The number of findings: image, matches, best first; video and audio,
 * appearances (and stretches of voice), matches first, then by start
 * time; with report_all also the faces (tracks) matching no one. */
LK_API int lk_scan_result_count(const lk_scan_result *res);
/** The i-th finding (0 <= i < lk_scan_result_count()), NULL out of range.
 * Read it through the pointer only (see lk_finding). */
LK_API const lk_finding *lk_scan_result_finding(const lk_scan_result *res,
                                                int i);

/* Video and audio (0 for images): */
/** Seconds: the container's duration, else the last frame's time. */
LK_API double lk_scan_result_duration(const lk_scan_result *res);
/** Video: frames decoded, frames sampled for faces, shot changes seen
 * (scene sampling). */
LK_API int64_t lk_scan_result_frames_decoded(const lk_scan_result *res);
LK_API int64_t lk_scan_result_frames_sampled(const lk_scan_result *res);
LK_API int64_t lk_scan_result_cuts(const lk_scan_result *res);
/** Problems decoding went past (corrupt packets, truncation): all of
 * them counted, the first 16 kept. */
LK_API int lk_scan_result_warning_count(const lk_scan_result *res);
/** The i-th kept warning, naming the file and the time; NULL past the last
 * kept (i >= 16 or >= lk_scan_result_warning_count()). */
LK_API const char *lk_scan_result_warning(const lk_scan_result *res, int i);

/* Sound (video and audio; 0 when not listened to): */
/** Seconds of speech found in the sound track. */
LK_API double lk_scan_result_speech_seconds(const lk_scan_result *res);
/** Speech windows searched for registered voices. */
LK_API int lk_scan_result_voice_segments(const lk_scan_result *res);
/** The threshold the voice decisions used. */
LK_API float lk_scan_result_voice_threshold(const lk_scan_result *res);
/** Synthetic speech over all speech of the file: speech_scored is 0 when
 * the engine has no detector, no speech was heard, or params->voice was 0
 * (with a detector the sound is listened to even when the gallery holds
 * no voice templates); synthetic_score is the mean log-likelihood ratio
 * over all speech, synthetic_threshold the detector's calibrated one. */
LK_API int lk_scan_result_speech_scored(const lk_scan_result *res);
LK_API float lk_scan_result_synthetic_score(const lk_scan_result *res);
LK_API float lk_scan_result_synthetic_threshold(const lk_scan_result *res);

/** The SHA-256 (64 lower-case hex digits) of the file's bytes when a
 *  performer matched, else NULL.  Valid as long as res. */
LK_API const char *lk_scan_result_sha256(const lk_scan_result *res);

/** With lk_scan_params.keep_evidence and a match in a photo: the whole
 *  photo at most 640 pixels a side as a JPEG (*size bytes; size may be
 *  NULL); else NULL.  Valid as long as res. */
LK_API const uint8_t *lk_scan_result_context_jpeg(const lk_scan_result *res,
                                                  size_t *size);

/** The provenance read from the file; never NULL after LK_OK. */
LK_API const lk_provenance *lk_scan_result_provenance(
    const lk_scan_result *res);

/**
 * Find registered performers in an image, video or audio file (the type is
 * told from the file's contents, not its name).  The file is opened once
 * and its bytes read once (a read-only mapping every stage reads: the
 * decoders, the provenance reader); a video is demuxed once, its pictures
 * and its sound decoded in the same pass.
 *
 * Image: every detected face is searched in the gallery; a face whose best
 * score reaches the threshold is a finding with decision LK_MATCH.
 *
 * Video: frames are sampled as params->video says and decoded on a second
 * thread while this one detects faces (and a third analyses the sound).  Faces are followed across samples
 * (box overlap with motion, then embedding similarity after a cut or an
 * occlusion) into tracks; each track is embedded at a bounded number of its
 * best-quality frames and decided once, on the mean of its frames' scores.
 * A performer's tracks less than merge_gap apart are one appearance: one
 * finding with start, end, best frame and peak score.  Memory does not grow
 * with the video's length (only with its number of appearances).  A corrupt
 * packet or a truncated file is a warning in the result, not a failure.
 *
 * Sound (a video's sound track, an audio file), with params->voice, a
 * speaker embedder and voice templates in the gallery: speech is cut into
 * windows of 4 s of speech every 2 s; each window is searched among the
 * voice templates.  A performer's matching windows less than merge_gap
 * apart are one stretch of voice.  In a video, a stretch that overlaps the
 * same performer's face appearance becomes that finding's voice evidence;
 * the others are findings of their own, of modality LK_MODALITY_VOICE.
 *
 * Evidence: the file's provenance is read (as lk_provenance_read() does,
 * from the same bytes, into lk_scan_result_provenance()) and every finding gets its evidence: the
 * file's verdict, raised to LK_VERDICT_LIKELY_SYNTHETIC when the engine's
 * synthetic-speech detector scores the finding's speech over its
 * threshold.
 *
 * Returns LK_OK (with or without findings), the codes of
 * lk_faces_from_file(), LK_ERR_FORMAT (not an image, nor a file with a
 * decodable video or audio stream; sound below 16 kHz is not searched for
 * voices), LK_ERR_MODEL (an audio file and no speaker embedder),
 * LK_ERR_BACKEND, LK_ERR_MISUSE (a field of params out of the range its
 * comment gives, NaN or infinite included: lk_last_error() names it;
 * checked before the file is opened).
 * Read *out with the lk_scan_result_*() functions above; free it with
 * lk_scan_result_free(); it holds copies of all strings.
 */
LK_API lk_status lk_scan_file(lk_gallery *gal, lk_session *ses,
                              const char *path, const lk_scan_params *params,
                              lk_scan_result **out);

/**
 * As lk_scan_file() on size bytes at data (an upload held in memory:
 * image, video or audio, told apart by their contents), which stay
 * unchanged during the call; name stands for them in messages and in the
 * result's path.  The same limits and errors as a file, and LK_ERR_FORMAT
 * for size 0.
 */
LK_API lk_status lk_scan_memory(lk_gallery *gal, lk_session *ses,
                                const char *name, const void *data,
                                size_t size, const lk_scan_params *params,
                                lk_scan_result **out);
LK_API void lk_scan_result_free(lk_scan_result *res);

/**
 * The result as one JSON object on one line (no newline), in the schema
 * documented in README.md ("JSON Lines output").  Free with lk_free().
 * Returns NULL when out of memory.
 */
LK_API char *lk_scan_result_json(const lk_scan_result *res);

/**
 * A JSON Lines record for a file that could not be scanned:
 * {"path":…,"error":{"status":"format","message":…}}.  message is usually
 * lk_last_error().  Free with lk_free(); NULL when out of memory.
 */
LK_API char *lk_error_json(const char *path, lk_status status,
                           const char *message);

/**
 * What a file holds, told from its contents (not its name): a photo
 * (LK_MEDIA_IMAGE: JPEG, PNG, GIF, WebP, TIFF, HEIF magic bytes), a video
 * (a video stream; a cover picture does not count) or sound only.  Opens
 * the container for the last two.  Returns LK_OK, or the codes of opening
 * it (LK_ERR_IO, LK_ERR_FORMAT for neither, naming the file).
 */
LK_API lk_status lk_media_probe(const char *path, lk_media_kind *out);

/* ------------------------------------------------------------------------
 * The findings store: what a monitoring team reviews
 *
 * A SQLite file of its own (content findings, never the gallery's
 * biometrics).  A finding is keyed by the content (the file's SHA-256),
 * the performer, the modality and the time range (in a photo, the face):
 * recording a rescan of the same content updates the finding (what the
 * scan says now, where it was seen) instead of adding one, and keeps its
 * review state.  The state
 * moves new -> confirmed | dismissed; confirmed -> notice-sent | dismissed;
 * dismissed -> confirmed; notice-sent -> resolved; each move is kept with
 * the reviewer, the time and a reason, which is required.  A store may be
 * shared by threads and processes.
 * ---------------------------------------------------------------------- */

typedef struct lk_findings lk_findings;

enum {
    LK_FINDINGS_CREATE = 1 << 0,   /* create the file when absent */
    LK_FINDINGS_READONLY = 1 << 1
};

typedef enum lk_review_state {
    LK_REVIEW_NEW = 0,
    LK_REVIEW_CONFIRMED = 1,   /* a reviewer says the likeness is used */
    LK_REVIEW_DISMISSED = 2,   /* not the performer, or not a use */
    LK_REVIEW_NOTICE_SENT = 3, /* a take-down notice went out */
    LK_REVIEW_RESOLVED = 4     /* the case is closed */
} lk_review_state;

/** "new", "confirmed", "dismissed", "notice-sent", "resolved"; "unknown"
 *  for another value.  Static. */
LK_API const char *lk_review_state_name(lk_review_state s);
/** The state of a name; LK_ERR_MISUSE naming it when unknown. */
LK_API lk_status lk_review_state_from_name(const char *name,
                                           lk_review_state *out);

/** Open (LK_FINDINGS_CREATE: create) the store at path.  LK_OK,
 *  LK_ERR_NOT_FOUND, LK_ERR_DB (not a store, or of another version),
 *  LK_ERR_MISUSE, LK_ERR_NOMEM. */
LK_API lk_status lk_findings_open(const char *path, unsigned flags,
                                  lk_findings **out);
LK_API void lk_findings_close(lk_findings *fs);

/**
 * Record the matched findings of a scan result (in one transaction).
 * where: where the content was found (a URL; NULL: the result's path);
 * context: what the scan's context said, a JSON object or NULL.  *added
 * and *updated (either may be NULL): findings new to the store, findings
 * seen before.  A result without a match records nothing.
 */
LK_API lk_status lk_findings_record(lk_findings *fs,
                                    const lk_scan_result *res,
                                    const char *where, const char *context,
                                    int *added, int *updated);

/**
 * Move finding id to state to, by reviewer, for reason (both required,
 * UTF-8).  LK_OK, LK_ERR_NOT_FOUND, LK_ERR_MISUSE (a move the states do
 * not allow, or no reason), LK_ERR_DB.
 */
LK_API lk_status lk_findings_mark(lk_findings *fs, int64_t id,
                                  lk_review_state to, const char *reviewer,
                                  const char *reason);

/**
 * The findings (filtered by state, action and performer when not NULL) as
 * a JSON array, oldest first: id, sha256, performer, modality, start, end,
 * type, path, context, score, fmr, verdict, licence, action, finding (the
 * scan's own record of it), provenance, state, first_seen, last_seen,
 * scans.  lk_free() it.
 */
LK_API lk_status lk_findings_list(lk_findings *fs, const char *state,
                                  const char *action, const char *performer,
                                  char **json /* out */);

/** Finding id as JSON, as in the list, with "seen" (every path and context
 *  it was found at), "reviews" (every change of state) and "evidence" (the
 *  pictures kept: kind, type, bytes).  lk_free() it. */
LK_API lk_status lk_findings_get(lk_findings *fs, int64_t id,
                                 char **json /* out */);

/**
 * The evidence kept for finding id, of kind "crop" (the face) or
 * "context" (the whole picture): a JPEG, *size bytes, freed with
 * lk_free(); the latest scan's.  LK_ERR_NOT_FOUND when none was kept
 * (videos and sound keep none yet; a scan without keep_evidence).
 */
LK_API lk_status lk_findings_evidence(lk_findings *fs, int64_t id,
                                      const char *kind,
                                      uint8_t **data /* out */,
                                      size_t *size /* out */);

/* ------------------------------------------------------------------------
 * Text reports: what the `likeness` command prints, for any program
 * ---------------------------------------------------------------------- */

/* The parts of lk_scan_result_text(); 0 means LK_TEXT_FINDINGS. */
enum {
    LK_TEXT_FINDINGS = 1 << 0,     /* a line per finding */
    LK_TEXT_WARNINGS = 1 << 1      /* a line per decoding warning */
};

/**
 * The scan result in words, as `likeness scan` prints it: with
 * LK_TEXT_FINDINGS, one line per finding (lk_scan_result_count() lines, in
 * that order; none when nothing was found), each starting with the path:
 *
 *   image: "PATH: MATCH ID (NAME) score 0.986, face 89x99 at 163,459 [E]"
 *     ("no match" below the threshold, " (NAME)" only when the performer
 *     has a name, "PATH: no match (empty gallery), face …" when nothing is
 *     enrolled);
 *   video: "PATH: MATCH ID (NAME) 3.00-6.52 s, score 0.967 (peak 0.972 at
 *     5.00 s), 8 frames, face 80x90 at 258,105 [E]", with "; voice heard
 *     too, score 0.311 over 1 speech window" before [E] when the
 *     performer's voice was heard then;
 *   voice: "PATH: MATCH ID (NAME) 8.95-13.77 s, voice score 0.340 (peak
 *     0.342 at 8.95 s), 2 speech windows [E]";
 *
 * times as 12.34, 1:02.50 or 1:02:03.50 seconds, and [E] the evidence:
 * "[VERDICT: FROM SOURCE-TYPE by GENERATOR; C2PA signature SIGNATURE,
 * content BINDING; synthetic speech -9.52 (threshold -6.12)]", each part
 * after the verdict present only when the file (or the finding's speech)
 * has it.  With LK_TEXT_WARNINGS, first, one line per decoding warning
 * kept ("likeness: warning: " and lk_scan_result_warning()) and, when more
 * were counted, "likeness: warning: PATH: N more decoding warnings" (none
 * when there were none).  Every line ends in a newline; "" when there is
 * nothing to say.  Other flag bits are ignored.  Every string from the
 * file, its name or the gallery (path, ids, names, licence reasons,
 * warnings, provenance fields) is written escaped as lk_text_escape()
 * does, so that one line is one finding whatever a name holds.
 *
 * Returns a string the caller frees with lk_free(); NULL for a NULL res or
 * when out of memory.  Reads res only: any number of threads may render
 * results at once.
 */
LK_API char *lk_scan_result_text(const lk_scan_result *res, unsigned flags);

/**
 * s as one unambiguous line of text, as the text writers print every
 * string that comes from a file, a file name or a gallery: a backslash as
 * "\\", a newline, carriage return and tab as "\n", "\r", "\t", every
 * other control byte (below 0x20, and 0x7f) and every byte that is not
 * part of valid UTF-8 as "\xHH" (two lower-case hex digits), and the C1
 * controls (U+0080-U+009F), U+2028, U+2029, U+FEFF and the bidirectional
 * controls (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) as "\uXXXX";
 * any other character as it is.  Reversible: a reader can undo it.
 * Returns a string the caller frees with lk_free(); NULL for a NULL s or
 * when out of memory.  Thread-safe.
 */
LK_API char *lk_text_escape(const char *s);

/**
 * The provenance record in words, as `likeness inspect` prints it: a line
 * "PATH: VERDICT", then, indented by two spaces, what it rests on, each
 * line only when the file has it: "declared: SOURCE-TYPE (FROM) by
 * GENERATOR"; "C2PA: N manifests, signature SIGNATURE, content BINDING"
 * (with why: "intact (hash matches)", "MISMATCH (edited after signing)");
 * for each manifest, "active manifest LABEL" (or "manifest LABEL") and,
 * indented by four, its "generator:", "signer: SUBJECT (SIGNATURE)",
 * "title:", an "action: ACTION, SOURCE-TYPE, by SOFTWARE" line per action
 * and an "ingredient:" line per ingredient; "software: …" (" (a
 * generative AI tool)" when it is one); a "note:" line per problem.  Every
 * line ends in a newline; the file's strings are escaped as
 * lk_text_escape() does.  flags: pass 0 (none are defined yet; other bits
 * are ignored).
 *
 * Returns a string the caller frees with lk_free(); NULL for a NULL p or
 * when out of memory.  Reads p only.
 */
LK_API char *lk_provenance_text(const lk_provenance *p, unsigned flags);

/* ------------------------------------------------------------------------
 * Training the speaker embedder
 * ---------------------------------------------------------------------- */

typedef struct lk_voice_train_params {
    int components;            /* Gaussians of the background model; 256
                                  (the shipped model's) */
    int iters;                 /* EM iterations after each split; 10 */
    int frame_step;            /* use every k-th speech frame; 2 */
    float relevance;           /* MAP relevance factor; 16 */
} lk_voice_train_params;

LK_API lk_voice_train_params lk_voice_train_default_params(void);

/**
 * Train a speaker embedder (a GMM universal background model over MFCC
 * features, models/voice/README.md) on the speech in n audio or video
 * files, and write it to out_path.  Speaker labels are not needed.  Files
 * that cannot be decoded or hold too little speech are skipped (logged at
 * LK_LOG_WARN); at least 60 s of speech must remain (LK_ERR_FORMAT).  To
 * use the model, add it to a manifest with role voice_embed, its sha256,
 * dim = components x 60 and a threshold calibrated on your data.
 * Returns LK_OK, LK_ERR_MISUSE, LK_ERR_FORMAT, LK_ERR_IO, LK_ERR_NOMEM.
 */
LK_API lk_status lk_voice_train(const char *const *files, int n,
                                const lk_voice_train_params *params,
                                const char *out_path);

/* ------------------------------------------------------------------------
 * Training the synthetic-speech detector
 * ---------------------------------------------------------------------- */

typedef struct lk_spoof_train_params {
    int components;            /* Gaussians per class model (default 512;
                                  64-512 measured, models/spoof/README.md) */
    int iters;                 /* EM iterations after each split (10) */
    int frame_step;            /* use every k-th speech frame (1) */
} lk_spoof_train_params;

LK_API lk_spoof_train_params lk_spoof_train_default_params(void);

/**
 * Train a synthetic-speech detector (two GMMs over cepstral features, bona
 * fide and synthetic; models/spoof/README.md) on n_bonafide recordings of
 * real speech and n_synthetic of generated speech, and write it to
 * out_path.  Files that cannot be decoded, are sampled under 16 kHz or hold
 * no speech are skipped (logged at LK_LOG_WARN).  The threshold stored in
 * the model is the equal-error point of two-fold cross-validation over the
 * training files (each file scored by models trained without it); check it
 * on held-out data.  Deterministic: the same files and parameters give the
 * same bytes.  Returns LK_OK, LK_ERR_MISUSE (fewer than 2 files of a
 * class, bad parameters), LK_ERR_FORMAT (under 10 s of speech in a class),
 * LK_ERR_IO, LK_ERR_NOMEM.  Single-threaded; about 100 s for 512
 * components on 15 minutes of speech.
 */
LK_API lk_status lk_spoof_train(const char *const *bonafide, int n_bonafide,
                                const char *const *synthetic, int n_synthetic,
                                const lk_spoof_train_params *params,
                                const char *out_path);

#ifdef __cplusplus
}
#endif
#endif /* LIKENESS_H */
