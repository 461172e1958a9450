/*
 * gallery_impl.h — what the gallery's files share.  A gallery is a
 * directory holding gallery.db (SQLite, the source of truth: performers,
 * templates, the audit log) and one derived FAISS index per
 * modality: face.faiss of the face templates, voice.faiss of the voice
 * templates.
 *
 * The files: gallery.c opens and closes the handle and holds the public
 * transactions (performers, templates, erasure, listing); db.c the
 * database (schema, prepared statements, pragmas, the generation, the
 * recorded models); audit.c the audit log's hash chain; snapshot.c the in-memory state that
 * searches read (loading templates, index files, reloads); search.c the
 * search.
 *
 * Modalities.  Performers are shared; templates carry a modality, and
 * meta records the model of each (face_model/face_dim from creation,
 * voice_model/voice_dim from the first open by an engine with a speaker
 * embedder).  Face is always usable.  Voice is usable only when the handle
 * was opened with the recorded speaker embedder: another one, or none, is
 * refused for voice calls alone, and then the voice index is not loaded
 * at all (a face-only user does not pay 60 KB a voice template).
 *
 * Consistency.  meta.generation is bumped in the same transaction as every
 * change of templates (and every erasure).  The index file records the
 * generation it was built from; on open it is used only when that equals
 * the database's and its checksum holds, otherwise it is rebuilt from the
 * templates table.  Writers take SQLite's write lock (BEGIN IMMEDIATE) and
 * first check that the generation is the one this handle's memory reflects,
 * reloading when another process moved it on; the index file is only ever
 * written under that lock and only for the current generation, so a
 * process holding an old index can never write back vectors that another
 * process erased.
 *
 * Threads.  `mu` serialises all use of the connection and every change;
 * `rw` guards the in-memory state (index, performer table, template map)
 * that searches read concurrently.  Lock order: mu, then rw.  A search
 * copies the performer id into the caller's lk_match under the read lock,
 * so nothing it hands out points into the gallery: an erased performer's
 * id is freed at once (its slot reused), a reload frees the old state
 * whole, and names are not kept in memory at all (they are read from the
 * database when asked for), so memory does not grow with churn.
 */
#ifndef LK_GALLERY_IMPL_H
#define LK_GALLERY_IMPL_H

#include "gallery/gallery.h"
#include "core/i64map.h"

#include <pthread.h>
#include <stdint.h>

#include <sqlite3.h>

enum { MOD_FACE = LK_MODALITY_FACE, MOD_VOICE = LK_MODALITY_VOICE, MOD_N };

/* The modality column's values and the index files' names. */
static const char *const MOD_NAME[MOD_N] = { "face", "voice" };
static const char *const INDEX_NAME[MOD_N] = { "face.faiss", "voice.faiss" };

typedef struct perf {
    int64_t row;               /* performers.id; 0: a free slot */
    char *id;                  /* the external id; NULL in a free slot */
} perf;

/* What searches read: swapped whole when reloaded from the database.
 * Per modality; ix[m] is NULL for a modality this handle cannot use. */
typedef struct state {
    lk__index *ix[MOD_N];
    perf *perfs;
    size_t n_perfs, cap_perfs;
    int32_t *free_slots;       /* erased performers' slots, for reuse */
    size_t n_free, cap_free;
    lk__i64map by_row;         /* performers.id -> perfs[] */
    lk__i64map tmpl[MOD_N];    /* templates.id -> perfs[] */
    int64_t gen;               /* database generation this reflects */
    int64_t data_version;      /* the connection's PRAGMA data_version
                                  when gen was last read */
    int rebuilt[MOD_N];        /* index rebuilt from the database */
} state;

/* The prepared statements (db.c's SQL[] holds their text). */
enum {
    Q_GEN,
    Q_BUMP,
    Q_PERF_FIND,
    Q_PERF_UPSERT,
    Q_PERF_DELETE,
    Q_PERF_ALL,
    Q_TMPL_INSERT,
    Q_TMPL_OF_PERF,
    Q_TMPL_SOURCE,
    Q_TMPL_MAP,
    Q_TMPL_ALL,
    Q_AUDIT,
    Q_AUDIT_HEAD,
    Q_AUDIT_HEAD_SET,
    Q_AUDIT_REDACT,
    Q_LIST,
    Q_COUNTS,
    Q_MOD_COUNT,
    Q_DATA_VERSION,
    Q_N
};

/* One modality as this handle sees it. */
typedef struct modality {
    char *model_id;            /* the model this handle embeds with; NULL:
                                  none (voice without a speaker embedder) */
    int dim;
    char *recorded;            /* meta's model id; NULL: none recorded */
    int recorded_dim;
    int ready;                 /* index loaded, calls allowed */
    lk_status refusal;         /* when not ready: the code ... */
    char *why;                 /* ... and the message's cause */
    char *tag;                 /* which gallery and model the index is of */
    char *index_path;
    int64_t file_gen;          /* generation of the file as we left it */
    char *calib_given;         /* the engine's calibration text and sha256 */
    char *calib_given_sha;     /*   (NULL: none), to record */
    char *calib;               /* the gallery's calibration row for the */
    char *calib_sha;           /*   recorded model; NULL: none */
} modality;

struct lk_gallery {
    char *dir, *db_path;
    modality mod[MOD_N];
    int readonly;
    int index_trusted;         /* meta holds the index files' MAC key */
    char *readonly_why;        /* opened read-only because the gallery is
                                  not writable: the cause; else NULL */
    int recorded_models;       /* opened without an engine: the models are
                                  the ones meta records, and templates
                                  cannot be added (nothing vouches for the
                                  model an embedding came from) */
    sqlite3 *db;
    sqlite3_stmt *stmt[Q_N];
    pthread_mutex_t mu;
    pthread_rwlock_t rw;
    state st;
};

/* The random salt of a performer's audit digests, in the performers row. */
#define LK__GAL_SALT_BYTES 32

/* ---- db.c ----------------------------------------------------------------- */

int64_t lk__gal_now_s(void);
/* LK_ERR_DB naming the database, what failed and SQLite's message. */
lk_status lk__gal_db_fail(lk_gallery *gal, const char *what);
/* The prepared statement `which` (prepared on first use; NULL, recorded,
 * when that fails); give it back with lk__gal_done(). */
sqlite3_stmt *lk__gal_q(lk_gallery *gal, int which);
void lk__gal_done(sqlite3_stmt *s);
lk_status lk__gal_exec(lk_gallery *gal, const char *sql);
/* Roll back the open transaction, if any. */
void lk__gal_rollback(lk_gallery *gal);
lk_status lk__gal_read_gen(lk_gallery *gal, int64_t *gen);
lk_status lk__gal_bump_gen(lk_gallery *gal);
/* performers.id, name and audit salt of an external id: LK_OK,
 * LK_ERR_NOT_FOUND, LK_ERR_DB.  *name (may be NULL) is malloc'd; salt
 * (may be NULL) receives LK__GAL_SALT_BYTES. */
lk_status lk__gal_find_perf(lk_gallery *gal, const char *id, int64_t *row,
                            char **name, uint8_t *salt);
/* Open the connection (read-only or not, as gal says) with the pragmas
 * every handle runs with. */
lk_status lk__gal_db_open(lk_gallery *gal);
/* Create or check the schema and the recorded models, and decide which
 * modalities this handle can use (gal->mod[]). */
lk_status lk__gal_setup_schema(lk_gallery *gal, unsigned flags);

/* ---- snapshot.c ------------------------------------------------------------ */

void lk__gal_state_free(state *st);
/* Add a performer (taking ownership of id) to st; its index, or -1. */
int32_t lk__gal_state_add_perf(state *st, int64_t row, char *id);
/* Forget an erased performer (its id freed, its slot kept for reuse). */
void lk__gal_state_drop_perf(state *st, int64_t row);
/* Build a fresh state from one read snapshot of the database.  mu held. */
lk_status lk__gal_load_state(lk_gallery *gal, state *st);
/* Replace the state searches read with a fresh one.  mu held. */
lk_status lk__gal_reload(lk_gallery *gal);
/* Reload when another process changed the templates.  mu held. */
lk_status lk__gal_sync_locked(lk_gallery *gal);
/* What every search does first: when another connection committed since
 * the last look (PRAGMA data_version, no I/O when nothing changed), read
 * the generation and reload when it moved.  Takes mu. */
lk_status lk__gal_sync_if_changed(lk_gallery *gal);
/* BEGIN IMMEDIATE with memory that reflects the database's generation;
 * lk__gal_commit() ends it (rolling back when the commit fails). */
lk_status lk__gal_begin_write(lk_gallery *gal);
lk_status lk__gal_commit(lk_gallery *gal);
/* Write the index files not yet written for the current generation (see
 * snapshot.c).  mu held. */
lk_status lk__gal_save_index(lk_gallery *gal);
/* 1 when an index file of a usable modality is behind the memory. */
int lk__gal_index_dirty(const lk_gallery *gal);
/* Remove index files left by writers that died mid-write.  Only under the
 * database write lock, which every index writer holds. */
void lk__gal_sweep_temp_files(lk_gallery *gal);

/* ---- audit.c ------------------------------------------------------------------ */

/* Append an entry to the chain (and move the head), inside the caller's
 * write transaction.  performer, when given, must be registered: its
 * digests are salted with the performer's salt.  LK_ERR_NOT_FOUND,
 * LK_ERR_DB. */
lk_status lk__gal_audit_row(lk_gallery *gal, const char *action,
                            const char *performer, const char *detail);
/* The erasure's part of the log, before the performer's row goes: every
 * entry of the performer emptied to its digests (redacted), then a
 * "remove" entry holding the performer's digest alone.  Inside the
 * erasure's write transaction. */
lk_status lk__gal_audit_erase(lk_gallery *gal, const char *performer);
/* Schema step 1 -> 2's function: salt the performers, chain the entries
 * an older gallery holds, put the append-only triggers on. */
lk_status lk__gal_audit_upgrade(lk_gallery *gal);

/* ---- gallery.c --------------------------------------------------------------- */

/* LK_ERR_MISUSE naming what when gal is NULL or read-only. */
lk_status lk__gal_check_writable(const lk_gallery *gal, const char *what);

/* LK_OK when e holds dim finite floats of unit length, else LK_ERR_MISUSE
 * naming what (the performer, "search") and the fault. */
lk_status lk__gal_check_embedding(int dim, const float *e, const char *what);

#endif
