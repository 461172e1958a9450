/*
 * gallery.c — the gallery: a directory holding gallery.db (SQLite, the
 * source of truth: performers, templates, consent, calibration, audit) and
 * one derived FAISS index per modality: face.faiss of the face templates,
 * voice.faiss of the voice templates.
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
#include "gallery/gallery.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define SCHEMA_VERSION 1
#define BUSY_TIMEOUT_MS 30000
#define DB_NAME "gallery.db"
#define MAX_ID_BYTES LK_ID_MAX
#define MAX_NAME_BYTES 4096
#define MAX_ACTION_BYTES 64
#define MAX_DETAIL_BYTES 65536
/* Rows a rebuild hands FAISS at once: at most 1024, and at most 8 MiB of
 * floats (a 15360-float voice template is 60 KiB). */
#define REBUILD_BATCH 1024
#define REBUILD_BATCH_BYTES (8u << 20)

enum { MOD_FACE = LK_MODALITY_FACE, MOD_VOICE = LK_MODALITY_VOICE, MOD_N };

/* The modality column's values and the index files' names. */
static const char *const MOD_NAME[MOD_N] = { "face", "voice" };
static const char *const INDEX_NAME[MOD_N] = { "face.faiss", "voice.faiss" };

/* ---- int64 -> int32 hash map (linear probing, backward-shift delete) --- */

#define MAP_EMPTY INT64_MIN

typedef struct i64map {
    int64_t *keys;
    int32_t *vals;
    size_t cap, n;             /* cap is 0 or a power of two */
} i64map;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static void map_free(i64map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static int map_rehash(i64map *m, size_t want)
{
    size_t cap = 16;
    while (cap < want * 2)
        cap *= 2;
    int64_t *keys = lk__malloc(cap * sizeof *keys);
    int32_t *vals = lk__malloc(cap * sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return -1;
    }
    for (size_t i = 0; i < cap; i++)
        keys[i] = MAP_EMPTY;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] == MAP_EMPTY)
            continue;
        size_t j = mix64((uint64_t)m->keys[i]) & (cap - 1);
        while (keys[j] != MAP_EMPTY)
            j = (j + 1) & (cap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return 0;
}

static int map_reserve(i64map *m, size_t extra)
{
    if ((m->n + extra) * 2 <= m->cap)
        return 0;
    return map_rehash(m, m->n + extra);
}

static int32_t map_get(const i64map *m, int64_t k)
{
    if (!m->cap)
        return -1;
    size_t mask = m->cap - 1, i = mix64((uint64_t)k) & mask;
    while (m->keys[i] != MAP_EMPTY) {
        if (m->keys[i] == k)
            return m->vals[i];
        i = (i + 1) & mask;
    }
    return -1;
}

static int map_put(i64map *m, int64_t k, int32_t v)
{
    if (map_reserve(m, 1))
        return -1;
    size_t mask = m->cap - 1, i = mix64((uint64_t)k) & mask;
    while (m->keys[i] != MAP_EMPTY && m->keys[i] != k)
        i = (i + 1) & mask;
    if (m->keys[i] == MAP_EMPTY) {
        m->keys[i] = k;
        m->n++;
    }
    m->vals[i] = v;
    return 0;
}

static void map_del(i64map *m, int64_t k)
{
    if (!m->cap)
        return;
    size_t mask = m->cap - 1, i = mix64((uint64_t)k) & mask;
    while (m->keys[i] != k) {
        if (m->keys[i] == MAP_EMPTY)
            return;
        i = (i + 1) & mask;
    }
    for (size_t j = i;;) {
        j = (j + 1) & mask;
        if (m->keys[j] == MAP_EMPTY)
            break;
        size_t home = mix64((uint64_t)m->keys[j]) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = MAP_EMPTY;
    m->n--;
}

/* ---- the gallery --------------------------------------------------------- */

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
    i64map by_row;             /* performers.id -> perfs[] */
    i64map tmpl[MOD_N];        /* templates.id -> perfs[] */
    int64_t gen;               /* database generation this reflects */
    int rebuilt[MOD_N];        /* index rebuilt from the database */
} state;

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
    Q_LIST,
    Q_COUNTS,
    Q_MOD_COUNT,
    Q_N
};

static const char *const SQL[Q_N] = {
    [Q_GEN] = "SELECT value FROM meta WHERE key = 'generation'",
    [Q_BUMP] = "UPDATE meta SET value = value + 1 WHERE key = 'generation'",
    [Q_PERF_FIND] = "SELECT id, name FROM performers WHERE ext_id = ?1",
    [Q_PERF_UPSERT] =
        "INSERT INTO performers (ext_id, name, created) "
        "VALUES (?1, coalesce(?2, ''), ?3) "
        "ON CONFLICT (ext_id) DO UPDATE SET name = excluded.name "
        "WHERE ?2 IS NOT NULL",
    [Q_PERF_DELETE] = "DELETE FROM performers WHERE id = ?1",
    [Q_PERF_ALL] = "SELECT id, ext_id, name FROM performers",
    [Q_TMPL_INSERT] =
        "INSERT INTO templates (performer, modality, model_id, dim, "
        "embedding, source_sha256, source_path, face_x, face_y, face_w, "
        "face_h, face_score, created) "
        "VALUES (?1, ?13, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    /* Every modality: an erasure takes them all. */
    [Q_TMPL_OF_PERF] =
        "SELECT id, modality FROM templates WHERE performer = ?1",
    [Q_TMPL_SOURCE] =
        "SELECT id FROM templates WHERE performer = ?1 AND modality = ?3 "
        "AND source_sha256 = ?2 LIMIT 1",
    /* The covering index holds (performer, modality, rowid): reading it
     * skips the embedding pages, a few percent of the table's bytes. */
    [Q_TMPL_MAP] =
        "SELECT id, performer FROM templates INDEXED BY templates_performer "
        "WHERE modality = ?1",
    [Q_TMPL_ALL] =
        "SELECT id, performer, model_id, embedding FROM templates "
        "WHERE modality = ?1",
    [Q_AUDIT] =
        "INSERT INTO audit (time, action, performer, detail) "
        "VALUES (?1, ?2, ?3, ?4)",
    [Q_LIST] =
        "SELECT p.ext_id, p.name, p.created, "
        "(SELECT count(*) FROM templates t WHERE t.performer = p.id "
        "AND t.modality = 'face'), "
        "(SELECT count(*) FROM templates t WHERE t.performer = p.id "
        "AND t.modality = 'voice') FROM performers p ORDER BY p.ext_id",
    [Q_COUNTS] =
        "SELECT (SELECT count(*) FROM performers), "
        "(SELECT value FROM meta WHERE key = 'generation')",
    [Q_MOD_COUNT] =
        "SELECT count(*) FROM templates INDEXED BY templates_performer "
        "WHERE modality = ?1",
};

static const char SCHEMA[] =
    "CREATE TABLE meta (\n"
    "  key TEXT PRIMARY KEY,\n"
    "  value NOT NULL\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE performers (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  ext_id TEXT NOT NULL UNIQUE,\n"
    "  name TEXT NOT NULL DEFAULT '',\n"
    "  created INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE templates (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  performer INTEGER NOT NULL REFERENCES performers (id)\n"
    "    ON DELETE CASCADE,\n"
    "  modality TEXT NOT NULL,\n"
    "  model_id TEXT NOT NULL,\n"
    "  dim INTEGER NOT NULL,\n"
    "  embedding BLOB NOT NULL,\n"
    "  source_sha256 TEXT,\n"
    "  source_path TEXT,\n"
    "  face_x REAL, face_y REAL, face_w REAL, face_h REAL,\n"
    "  face_score REAL,\n"
    "  created INTEGER NOT NULL,\n"
    "  CHECK (length(embedding) = 4 * dim)\n"
    ");\n"
    "CREATE INDEX templates_performer\n"
    "  ON templates (performer, modality, source_sha256);\n"
    "CREATE TABLE consent (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  performer INTEGER NOT NULL REFERENCES performers (id)\n"
    "    ON DELETE CASCADE,\n"
    "  scope TEXT NOT NULL,\n"
    "  terms TEXT,\n"
    "  valid_from INTEGER,\n"
    "  valid_to INTEGER,\n"
    "  created INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX consent_performer ON consent (performer);\n"
    "CREATE TABLE calibration (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  model_id TEXT NOT NULL,\n"
    "  modality TEXT NOT NULL,\n"
    "  threshold REAL NOT NULL,\n"
    "  far REAL,\n"
    "  measured_on TEXT,\n"
    "  created INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE audit (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  time INTEGER NOT NULL,\n"
    "  action TEXT NOT NULL,\n"
    "  performer TEXT,\n"
    "  detail TEXT\n"
    ");\n";

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
} modality;

struct lk_gallery {
    char *dir, *db_path;
    modality mod[MOD_N];
    int readonly;
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

/* ---- small helpers ------------------------------------------------------- */

static int64_t now_s(void) { return (int64_t)time(NULL); }

/* Length of the UTF-8 sequence at s, or 0 when malformed.  Rejects
 * overlong forms, surrogates and code points past U+10FFFF. */
static int utf8_len(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int n;
    uint32_t c, min;
    if ((s[0] & 0xe0) == 0xc0) {
        n = 2; c = s[0] & 0x1f; min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3; c = s[0] & 0x0f; min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4; c = s[0] & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

/* NULL when s is valid UTF-8 of 1..max bytes (controls refused unless
 * allow_controls), else what is wrong. */
static const char *check_text(const char *s, size_t max, int allow_controls)
{
    size_t len = strnlen(s, max + 1);
    if (len == 0)
        return "empty";
    if (len > max)
        return "too long";
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        int n = utf8_len(p, &cp);
        if (!n)
            return "not valid UTF-8";
        if (!allow_controls &&
            (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)))
            return "holds a control character";
        p += n;
    }
    return NULL;
}

/* A performer id is non-empty UTF-8 of at most 256 bytes without control
 * characters.  LK_ERR_MISUSE naming what is wrong. */
static lk_status check_id(const char *id)
{
    if (!id)
        return lk__error(LK_ERR_MISUSE, "performer id is NULL");
    const char *why = check_text(id, MAX_ID_BYTES, 0);
    if (why)
        return lk__error(LK_ERR_MISUSE,
                         "performer id %s (must be 1 to %d bytes of UTF-8 "
                         "without control characters)",
                         why, MAX_ID_BYTES);
    return LK_OK;
}

static lk_status check_embedding(int dim, const float *e, const char *what)
{
    double ss = 0;
    for (int i = 0; i < dim; i++) {
        if (!isfinite(e[i]))
            return lk__error(LK_ERR_MISUSE, "%s: embedding value %d is not "
                             "finite", what, i);
        ss += (double)e[i] * e[i];
    }
    if (fabs(ss - 1.0) > 1e-3)
        return lk__error(LK_ERR_MISUSE, "%s: embedding is not L2-normalised "
                         "(norm %.6f, dimension %d)", what, sqrt(ss), dim);
    return LK_OK;
}

static int is_sha256_hex(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[64] == '\0';
}

/* Embeddings are stored as float32 little-endian whatever the host. */
static void floats_to_le(void *dst, const float *src, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    uint8_t *d = dst;
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, &src[i], 4);
        for (int b = 0; b < 4; b++)
            d[4 * i + b] = (uint8_t)(v >> (8 * b));
    }
#else
    memcpy(dst, src, n * sizeof(float));
#endif
}

static void le_to_floats(float *dst, const void *src, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    const uint8_t *s = src;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)s[4 * i] | (uint32_t)s[4 * i + 1] << 8 |
                     (uint32_t)s[4 * i + 2] << 16 | (uint32_t)s[4 * i + 3] << 24;
        memcpy(&dst[i], &v, 4);
    }
#else
    memcpy(dst, src, n * sizeof(float));
#endif
}

/* ---- SQLite ---------------------------------------------------------------- */

static lk_status db_fail(lk_gallery *gal, const char *what)
{
    return lk__error(LK_ERR_DB, "%s: %s: %s", gal->db_path, what,
                     sqlite3_errmsg(gal->db));
}

static sqlite3_stmt *q(lk_gallery *gal, int which)
{
    if (!gal->stmt[which] &&
        sqlite3_prepare_v3(gal->db, SQL[which], -1, SQLITE_PREPARE_PERSISTENT,
                           &gal->stmt[which], NULL) != SQLITE_OK) {
        db_fail(gal, "prepare");
        return NULL;
    }
    return gal->stmt[which];
}

static void done(sqlite3_stmt *s)
{
    if (s) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
}

static lk_status exec(lk_gallery *gal, const char *sql)
{
    if (sqlite3_exec(gal->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(gal, sql);
    return LK_OK;
}

static void rollback(lk_gallery *gal)
{
    if (!sqlite3_get_autocommit(gal->db))
        sqlite3_exec(gal->db, "ROLLBACK", NULL, NULL, NULL);
}

static lk_status read_gen(lk_gallery *gal, int64_t *gen)
{
    sqlite3_stmt *s = q(gal, Q_GEN);
    if (!s)
        return LK_ERR_DB;
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        lk_status st = rc == SQLITE_DONE
            ? lk__error(LK_ERR_DB, "%s: meta has no generation", gal->db_path)
            : db_fail(gal, "reading the generation");
        done(s);
        return st;
    }
    *gen = sqlite3_column_int64(s, 0);
    done(s);
    return LK_OK;
}

static lk_status bump_gen(lk_gallery *gal)
{
    sqlite3_stmt *s = q(gal, Q_BUMP);
    if (!s)
        return LK_ERR_DB;
    int rc = sqlite3_step(s);
    done(s);
    return rc == SQLITE_DONE ? LK_OK : db_fail(gal, "bumping the generation");
}

static lk_status audit_row(lk_gallery *gal, const char *action,
                           const char *performer, const char *detail)
{
    sqlite3_stmt *s = q(gal, Q_AUDIT);
    if (!s)
        return LK_ERR_DB;
    sqlite3_bind_int64(s, 1, now_s());
    sqlite3_bind_text(s, 2, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, performer, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, detail, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    done(s);
    return rc == SQLITE_DONE ? LK_OK : db_fail(gal, "writing the audit log");
}

/* performers.id and name of an external id: LK_OK, LK_ERR_NOT_FOUND,
 * LK_ERR_DB.  *name (may be NULL) is malloc'd. */
static lk_status find_perf(lk_gallery *gal, const char *id, int64_t *row,
                           char **name)
{
    sqlite3_stmt *s = q(gal, Q_PERF_FIND);
    if (!s)
        return LK_ERR_DB;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    lk_status st = LK_OK;
    if (rc == SQLITE_ROW) {
        *row = sqlite3_column_int64(s, 0);
        if (name) {
            const char *n = (const char *)sqlite3_column_text(s, 1);
            *name = lk__strdup(n ? n : "");
            if (!*name)
                st = LK_ERR_NOMEM;
        }
    } else if (rc == SQLITE_DONE) {
        st = lk__error(LK_ERR_NOT_FOUND, "%s: no performer \"%s\"", gal->dir,
                       id);
    } else {
        st = db_fail(gal, "finding a performer");
    }
    done(s);
    return st;
}

/* ---- in-memory state ------------------------------------------------------- */

static void state_free(state *st)
{
    for (int m = 0; m < MOD_N; m++) {
        lk__index_free(st->ix[m]);
        map_free(&st->tmpl[m]);
    }
    for (size_t i = 0; i < st->n_perfs; i++)
        free(st->perfs[i].id);
    free(st->perfs);
    free(st->free_slots);
    map_free(&st->by_row);
    memset(st, 0, sizeof *st);
}

/* Add a performer (taking ownership of id) in a free slot or at the end;
 * its index, or -1. */
static int32_t state_add_perf(state *st, int64_t row, char *id)
{
    int32_t i;
    if (st->n_free) {
        i = st->free_slots[st->n_free - 1];
    } else {
        if (st->n_perfs == st->cap_perfs) {
            size_t cap = st->cap_perfs ? st->cap_perfs * 2 : 64;
            perf *p = lk__realloc(st->perfs, cap * sizeof *p);
            if (!p)
                return -1;
            st->perfs = p;
            st->cap_perfs = cap;
        }
        if (st->n_perfs >= INT32_MAX) {
            lk__error(LK_ERR_NOMEM, "more than %d performers", INT32_MAX);
            return -1;
        }
        i = (int32_t)st->n_perfs;
    }
    if (map_put(&st->by_row, row, i))
        return -1;
    st->perfs[i] = (perf){ row, id };
    if (st->n_free)
        st->n_free--;
    else
        st->n_perfs++;
    return i;
}

/* Forget an erased performer: its id is freed (no match points to it) and
 * its slot is kept for the next one. */
static void state_drop_perf(state *st, int64_t row)
{
    int32_t pi = map_get(&st->by_row, row);
    if (pi < 0)
        return;
    map_del(&st->by_row, row);
    free(st->perfs[pi].id);
    st->perfs[pi] = (perf){ 0, NULL };
    if (st->n_free == st->cap_free) {
        size_t cap = st->cap_free ? st->cap_free * 2 : 16;
        int32_t *f = realloc(st->free_slots, cap * sizeof *f);
        if (!f)
            return;            /* the slot stays unused; nothing leaks */
        st->free_slots = f;
        st->cap_free = cap;
    }
    st->free_slots[st->n_free++] = pi;
}

/* Read the performer table into st (empty). */
static lk_status load_perfs(lk_gallery *gal, state *st)
{
    sqlite3_stmt *s = q(gal, Q_PERF_ALL);
    if (!s)
        return LK_ERR_DB;
    lk_status st_ = LK_OK;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t row = sqlite3_column_int64(s, 0);
        const char *id = (const char *)sqlite3_column_text(s, 1);
        char *cid = lk__strdup(id ? id : "");
        if (!cid || state_add_perf(st, row, cid) < 0) {
            free(cid);
            st_ = LK_ERR_NOMEM;
            break;
        }
    }
    if (st_ == LK_OK && rc != SQLITE_DONE)
        st_ = db_fail(gal, "reading performers");
    done(s);
    return st_;
}

/* Map the templates of modality m to performers, and with vectors also
 * fill its index, streaming the templates table. */
static lk_status load_templates(lk_gallery *gal, state *st, int m,
                                int vectors)
{
    sqlite3_stmt *s = q(gal, vectors ? Q_TMPL_ALL : Q_TMPL_MAP);
    if (!s)
        return LK_ERR_DB;
    sqlite3_bind_text(s, 1, MOD_NAME[m], -1, SQLITE_STATIC);
    const modality *md = &gal->mod[m];
    size_t dim = (size_t)md->dim;
    size_t batch = REBUILD_BATCH_BYTES / (dim * sizeof(float));
    if (batch > REBUILD_BATCH)
        batch = REBUILD_BATCH;
    if (batch < 1)
        batch = 1;
    float *x = NULL;
    int64_t *ids = NULL;
    size_t nb = 0;
    if (vectors) {
        x = lk__malloc(batch * dim * sizeof *x);
        ids = lk__malloc(batch * sizeof *ids);
        if (!x || !ids) {
            free(x);
            free(ids);
            done(s);
            return LK_ERR_NOMEM;
        }
    }
    lk_status rs = LK_OK;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t tid = sqlite3_column_int64(s, 0);
        int64_t prow = sqlite3_column_int64(s, 1);
        int32_t pi = map_get(&st->by_row, prow);
        if (pi < 0) {
            rs = lk__error(LK_ERR_DB, "%s: template %lld belongs to no "
                           "performer", gal->db_path, (long long)tid);
            break;
        }
        if (map_put(&st->tmpl[m], tid, pi)) {
            rs = LK_ERR_NOMEM;
            break;
        }
        if (!vectors)
            continue;
        const char *model = (const char *)sqlite3_column_text(s, 2);
        if (!model || strcmp(model, md->model_id) != 0) {
            rs = lk__error(LK_ERR_MODEL_MISMATCH, "%s: %s template %lld was "
                           "made with model %s, the gallery's is %s",
                           gal->db_path, MOD_NAME[m], (long long)tid,
                           model ? model : "(none)", md->model_id);
            break;
        }
        const void *blob = sqlite3_column_blob(s, 3);
        int bytes = sqlite3_column_bytes(s, 3);
        if (!blob || (size_t)bytes != dim * sizeof(float)) {
            rs = lk__error(LK_ERR_DB, "%s: %s template %lld holds %d bytes, "
                           "expected %zu", gal->db_path, MOD_NAME[m],
                           (long long)tid, bytes, dim * sizeof(float));
            break;
        }
        le_to_floats(x + nb * dim, blob, dim);
        ids[nb++] = tid;
        if (nb == batch) {
            rs = lk__index_add(st->ix[m], (int64_t)nb, x, ids);
            nb = 0;
            if (rs != LK_OK)
                break;
        }
    }
    if (rs == LK_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
        rs = db_fail(gal, "reading templates");
    if (rs == LK_OK && nb)
        rs = lk__index_add(st->ix[m], (int64_t)nb, x, ids);
    done(s);
    free(x);
    free(ids);
    return rs;
}

/* 1 when the loaded index of modality m holds exactly the templates of
 * its map. */
static int index_matches(const state *st, int m)
{
    const int64_t *ids;
    size_t n;
    lk__index_ids(st->ix[m], &ids, &n);
    if (n != st->tmpl[m].n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (map_get(&st->tmpl[m], ids[i]) < 0)
            return 0;
    return 1;
}

/* The index of modality m: from its file when that is of this generation
 * and intact, else from the templates table.  Inside load_state's read
 * transaction. */
static lk_status load_modality(lk_gallery *gal, state *st, int m)
{
    const modality *md = &gal->mod[m];
    lk_status rs;
    lk_status fs = lk__index_read_file(md->index_path, md->dim, md->tag,
                                       st->gen, NULL, &st->ix[m]);
    if (fs == LK_OK) {
        if ((rs = load_templates(gal, st, m, 0)) != LK_OK)
            return rs;
        if (!index_matches(st, m)) {
            lk__log(LK_LOG_WARN, "%s: index does not hold the database's "
                    "%s templates; rebuilding", md->index_path, MOD_NAME[m]);
            lk__index_free(st->ix[m]);
            st->ix[m] = NULL;
            map_free(&st->tmpl[m]);
        }
    } else if (fs != LK_ERR_NOT_FOUND) {
        lk__log(LK_LOG_INFO, "%s; rebuilding", lk_last_error());
    }
    if (!st->ix[m]) {
        st->rebuilt[m] = 1;
        if ((rs = lk__index_new(md->dim, &st->ix[m])) != LK_OK ||
            (rs = load_templates(gal, st, m, 1)) != LK_OK)
            return rs;
    }
    return LK_OK;
}

/* Build a fresh state from one read snapshot of the database: the indexes
 * of the modalities this handle can use.  Called with mu held. */
static lk_status load_state(lk_gallery *gal, state *st)
{
    memset(st, 0, sizeof *st);
    lk_status rs = exec(gal, "BEGIN");
    if (rs != LK_OK)
        return rs;
    if ((rs = read_gen(gal, &st->gen)) != LK_OK ||
        (rs = load_perfs(gal, st)) != LK_OK)
        goto fail;
    for (int m = 0; m < MOD_N; m++)
        if (gal->mod[m].ready && (rs = load_modality(gal, st, m)) != LK_OK)
            goto fail;
    if ((rs = exec(gal, "COMMIT")) != LK_OK)
        goto fail;
    return LK_OK;

fail:
    rollback(gal);
    state_free(st);
    return rs;
}

/* Replace the state searches read, and free the old one: no reader holds
 * a pointer into it once the write lock is had. */
static void swap_state(lk_gallery *gal, state *ns)
{
    state old;
    pthread_rwlock_wrlock(&gal->rw);
    old = gal->st;
    gal->st = *ns;
    pthread_rwlock_unlock(&gal->rw);
    state_free(&old);
    memset(ns, 0, sizeof *ns);
}

static lk_status reload(lk_gallery *gal)
{
    state ns;
    lk_status rs = load_state(gal, &ns);
    if (rs != LK_OK)
        return rs;
    swap_state(gal, &ns);
    return LK_OK;
}

/* Reload when another process changed the templates.  mu held. */
static lk_status sync_locked(lk_gallery *gal)
{
    int64_t gen;
    lk_status rs = read_gen(gal, &gen);
    if (rs != LK_OK)
        return rs;
    return gen == gal->st.gen ? LK_OK : reload(gal);
}

/* BEGIN IMMEDIATE with memory that reflects the database's generation. */
static lk_status begin_write(lk_gallery *gal)
{
    for (int tries = 0;; tries++) {
        lk_status rs = exec(gal, "BEGIN IMMEDIATE");
        if (rs != LK_OK)
            return rs;
        int64_t gen;
        if ((rs = read_gen(gal, &gen)) != LK_OK) {
            rollback(gal);
            return rs;
        }
        if (gen == gal->st.gen)
            return LK_OK;
        rollback(gal);
        if (tries == 4)
            return lk__error(LK_ERR_DB, "%s: changed by another process "
                             "faster than it can be reloaded", gal->db_path);
        if ((rs = reload(gal)) != LK_OK)
            return rs;
    }
}

static lk_status commit(lk_gallery *gal)
{
    lk_status rs = exec(gal, "COMMIT");
    if (rs != LK_OK)
        rollback(gal);
    return rs;
}

/* Remove index files left by writers that died mid-write: they may hold
 * vectors since erased.  Only called under the database write lock, which
 * every index writer holds, so no live writer's file is touched. */
static void sweep_temp_files(lk_gallery *gal)
{
    DIR *d = opendir(gal->dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        int ours = 0;
        for (int m = 0; m < MOD_N && !ours; m++) {
            size_t n = strlen(INDEX_NAME[m]);
            ours = strncmp(e->d_name, INDEX_NAME[m], n) == 0 &&
                   strncmp(e->d_name + n, LK__INDEX_TMP_INFIX,
                           strlen(LK__INDEX_TMP_INFIX)) == 0;
        }
        if (!ours)
            continue;
        char *p = lk__path_join(gal->dir, e->d_name);
        if (p) {
            unlink(p);
            free(p);
        }
    }
    closedir(d);
}

/* Write the index files not yet written for the current generation, under
 * the write lock, and only when the database is still at the generation
 * the memory reflects.  Modalities this handle cannot use have no index in
 * memory and their files are left alone: a later generation makes them
 * stale (an erasure removes them, see lk_gallery_remove_performer).
 * mu held. */
static lk_status save_index(lk_gallery *gal)
{
    if (gal->readonly)
        return LK_OK;
    lk_status rs = exec(gal, "BEGIN IMMEDIATE");
    if (rs != LK_OK)
        return rs;
    int64_t gen;
    if ((rs = read_gen(gal, &gen)) != LK_OK) {
        rollback(gal);
        return rs;
    }
    if (gen == gal->st.gen) {
        sweep_temp_files(gal);
        for (int m = 0; m < MOD_N; m++) {
            modality *md = &gal->mod[m];
            if (!gal->st.ix[m] || md->file_gen == gen)
                continue;
            lk_status ws = lk__index_write_file(gal->st.ix[m],
                                                md->index_path, gen, md->tag);
            if (ws == LK_OK)
                md->file_gen = gen;
            else if (rs == LK_OK)
                rs = ws;
        }
    }
    rollback(gal);         /* nothing was written to the database */
    return rs;
}

/* 1 when an index file of a usable modality is behind the memory. */
static int index_dirty(const lk_gallery *gal)
{
    for (int m = 0; m < MOD_N; m++)
        if (gal->st.ix[m] && gal->mod[m].file_gen != gal->st.gen)
            return 1;
    return 0;
}

/* ---- open and close ---------------------------------------------------------- */

static lk_status make_dirs(const char *dir)
{
    char *p = lk__strdup(dir);
    if (!p)
        return LK_ERR_NOMEM;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            lk_status st = lk__error(LK_ERR_IO, "%s: %s", p, strerror(errno));
            free(p);
            return st;
        }
        *s = c;
        if (!c)
            break;
    }
    free(p);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return lk__error(LK_ERR_IO, "%s: not a directory", dir);
    return LK_OK;
}

static lk_status pragma_int(lk_gallery *gal, const char *sql, int64_t *v)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(gal->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_fail(gal, sql);
    int rc = sqlite3_step(s);
    lk_status st = LK_OK;
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(s, 0);
    else
        st = db_fail(gal, sql);
    sqlite3_finalize(s);
    return st;
}

static lk_status create_schema(lk_gallery *gal)
{
    lk_status rs = exec(gal, SCHEMA);
    if (rs != LK_OK)
        return rs;
    sqlite3_stmt *s;
    const char *sql =
        "INSERT INTO meta (key, value) VALUES ('schema', ?1), "
        "('generation', 0), ('face_model', ?2), ('face_dim', ?3), "
        "('uuid', lower(hex(randomblob(16)))), ('created', ?4)";
    if (sqlite3_prepare_v2(gal->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_fail(gal, "creating meta");
    sqlite3_bind_int(s, 1, SCHEMA_VERSION);
    sqlite3_bind_text(s, 2, gal->mod[MOD_FACE].model_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, gal->mod[MOD_FACE].dim);
    sqlite3_bind_int64(s, 4, now_s());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_fail(gal, "creating meta");
    char v[64];
    snprintf(v, sizeof v, "PRAGMA user_version = %d", SCHEMA_VERSION);
    return exec(gal, v);
}

static char *make_tag(const char *fmt, const char *uuid, const char *model,
                      int dim)
{
    size_t n = strlen(fmt) + strlen(uuid) + strlen(model) + 32;
    char *t = lk__malloc(n);
    if (t)
        snprintf(t, n, fmt, uuid, model, dim);
    return t;
}

/* Why voice calls are refused with this handle (the code is returned,
 * the cause kept for the messages). */
static lk_status refuse(modality *md, lk_status code, const char *fmt, ...)
    LK__PRINTF(3, 4);
static lk_status refuse(modality *md, lk_status code, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    md->ready = 0;
    md->refusal = code;
    free(md->why);
    md->why = lk__strdup(buf);
    return md->why ? LK_OK : LK_ERR_NOMEM;
}

/* Decide whether this handle may use voice, recording the speaker
 * embedder in a gallery that has none recorded yet (made before voice, or
 * by a face-only engine): it holds no voice templates, so no two models'
 * embeddings can mix.  Inside setup_schema's transaction (a write
 * transaction unless read-only, so two processes cannot record two
 * models).  Failures other than out-of-memory and the database's only
 * refuse voice; faces go on. */
static lk_status check_voice(lk_gallery *gal, const char *uuid,
                             const char *recorded, int recorded_dim,
                             int created)
{
    modality *md = &gal->mod[MOD_VOICE];
    if (recorded) {
        if (!(md->recorded = lk__strdup(recorded)))
            return LK_ERR_NOMEM;
        md->recorded_dim = recorded_dim;
    }
    if (!md->model_id && gal->recorded_models && recorded) {
        if (!(md->model_id = lk__strdup(recorded)))
            return LK_ERR_NOMEM;
        md->dim = recorded_dim;
    }
    if (!md->model_id && gal->recorded_models)
        return refuse(md, LK_ERR_MODEL, "the gallery records no speaker "
                      "embedder (opened without an engine)");
    if (!md->model_id)
        return refuse(md, LK_ERR_MODEL, "no speaker embedder loaded (the "
                      "engine's manifest lists no voice_embed model)%s%s",
                      recorded ? "; the gallery's voice templates are of "
                                 : "", recorded ? recorded : "");
    if (recorded) {
        if (strcmp(recorded, md->model_id) != 0 || recorded_dim != md->dim)
            return refuse(md, LK_ERR_MODEL_MISMATCH,
                          "gallery's voice templates were made with %s "
                          "(dimension %d), the engine's speaker embedder is "
                          "%s (dimension %d); voice needs an engine with %s "
                          "or a new gallery (faces are unaffected)",
                          recorded, recorded_dim, md->model_id, md->dim,
                          recorded);
    } else {
        int64_t n = 0;
        lk_status rs = pragma_int(gal, "SELECT count(*) FROM templates "
                                  "WHERE modality = 'voice'", &n);
        if (rs != LK_OK)
            return rs;
        if (n > 0)
            return refuse(md, LK_ERR_MODEL_MISMATCH,
                          "%lld voice templates but no recorded voice model: "
                          "which speaker embedder made them is unknown",
                          (long long)n);
        if (!gal->readonly) {
            sqlite3_stmt *s;
            const char *sql = "INSERT INTO meta (key, value) VALUES "
                              "('voice_model', ?1), ('voice_dim', ?2)";
            if (sqlite3_prepare_v2(gal->db, sql, -1, &s, NULL) != SQLITE_OK)
                return db_fail(gal, "recording the voice model");
            sqlite3_bind_text(s, 1, md->model_id, -1, SQLITE_STATIC);
            sqlite3_bind_int(s, 2, md->dim);
            int rc = sqlite3_step(s);
            sqlite3_finalize(s);
            if (rc != SQLITE_DONE)
                return db_fail(gal, "recording the voice model");
            if (!(md->recorded = lk__strdup(md->model_id)))
                return LK_ERR_NOMEM;
            md->recorded_dim = md->dim;
            if (!created)
                lk__log(LK_LOG_INFO, "%s: voice model %s recorded (the "
                        "gallery had none)", gal->dir, md->model_id);
        }
        /* Read-only: nothing recorded, but with no voice templates there
         * is nothing this handle could mistake; it searches an empty
         * voice index. */
    }
    if (!(md->tag = make_tag("%s:voice:%s:%d", uuid, md->model_id,
                             md->dim)))
        return LK_ERR_NOMEM;
    md->ready = 1;
    return LK_OK;
}

/* Read the recorded models and uuid; refuse another face model, and decide
 * about voice. */
static lk_status check_meta(lk_gallery *gal, int created)
{
    sqlite3_stmt *s;
    const char *sql =
        "SELECT (SELECT value FROM meta WHERE key = 'face_model'), "
        "(SELECT value FROM meta WHERE key = 'face_dim'), "
        "(SELECT value FROM meta WHERE key = 'uuid'), "
        "(SELECT value FROM meta WHERE key = 'voice_model'), "
        "(SELECT value FROM meta WHERE key = 'voice_dim')";
    if (sqlite3_prepare_v2(gal->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_fail(gal, "reading meta");
    lk_status st = LK_OK;
    char *uuid = NULL, *vmodel = NULL;
    if (sqlite3_step(s) != SQLITE_ROW) {
        st = db_fail(gal, "reading meta");
        goto out;
    }
    modality *face = &gal->mod[MOD_FACE];
    const char *model = (const char *)sqlite3_column_text(s, 0);
    int dim = sqlite3_column_int(s, 1);
    const char *u = (const char *)sqlite3_column_text(s, 2);
    const char *vm = (const char *)sqlite3_column_text(s, 3);
    int vdim = sqlite3_column_int(s, 4);
    if (!model || !u || dim <= 0) {
        st = lk__error(LK_ERR_DB, "%s: meta lacks the face model or uuid",
                       gal->db_path);
        goto out;
    }
    if (vm && vdim <= 0) {
        st = lk__error(LK_ERR_DB, "%s: meta records voice model %s without "
                       "its dimension", gal->db_path, vm);
        goto out;
    }
    if (gal->recorded_models) {
        if (!(face->model_id = lk__strdup(model))) {
            st = LK_ERR_NOMEM;
            goto out;
        }
        face->dim = dim;
    } else if (strcmp(model, face->model_id) != 0 || dim != face->dim) {
        st = lk__error(LK_ERR_MODEL_MISMATCH,
                       "%s: gallery made with face model %s (dimension %d), "
                       "not %s (dimension %d); open it with %s or make a "
                       "new gallery", gal->dir, model, dim, face->model_id,
                       face->dim, model);
        goto out;
    }
    face->recorded = lk__strdup(model);
    face->recorded_dim = dim;
    face->tag = make_tag("%s:%s:%d", u, model, dim);
    uuid = lk__strdup(u);
    vmodel = vm ? lk__strdup(vm) : NULL;
    if (!face->recorded || !face->tag || !uuid || (vm && !vmodel)) {
        st = LK_ERR_NOMEM;
        goto out;
    }
    face->ready = 1;
    /* Done with s before check_voice runs statements of its own. */
    sqlite3_finalize(s);
    s = NULL;
    st = check_voice(gal, uuid, vmodel, vdim, created);
out:
    sqlite3_finalize(s);
    free(uuid);
    free(vmodel);
    return st;
}

/* Create or check the schema and the recorded model. */
static lk_status setup_schema(lk_gallery *gal, unsigned flags)
{
    lk_status rs;
    if (!gal->readonly && (rs = exec(gal, "BEGIN IMMEDIATE")) != LK_OK)
        return rs;
    int64_t uv = 0, tables = 0;
    int created = 0;
    if ((rs = pragma_int(gal, "PRAGMA user_version", &uv)) != LK_OK ||
        (rs = pragma_int(gal, "SELECT count(*) FROM sqlite_master",
                         &tables)) != LK_OK)
        goto out;
    if (uv == 0) {
        if (tables > 0) {
            rs = lk__error(LK_ERR_DB, "%s: not a Likeness gallery",
                           gal->db_path);
        } else if (!(flags & LK_GALLERY_CREATE) || gal->readonly) {
            rs = lk__error(LK_ERR_NOT_FOUND, "%s: no gallery (create it "
                           "first)", gal->dir);
        } else {
            rs = create_schema(gal);
            created = 1;
        }
        if (rs != LK_OK)
            goto out;
    } else if (uv > SCHEMA_VERSION) {
        rs = lk__error(LK_ERR_DB, "%s: gallery schema %lld is newer than "
                       "this library's %d", gal->db_path, (long long)uv,
                       SCHEMA_VERSION);
        goto out;
    }
    /* uv < SCHEMA_VERSION would migrate here, in this transaction. */
    if ((rs = check_meta(gal, created)) != LK_OK)
        goto out;
    if (!gal->readonly)
        rs = commit(gal);
out:
    if (rs != LK_OK)
        rollback(gal);
    return rs;
}

static void gallery_free(lk_gallery *gal)
{
    for (int i = 0; i < Q_N; i++)
        sqlite3_finalize(gal->stmt[i]);
    sqlite3_close(gal->db);
    state_free(&gal->st);
    pthread_mutex_destroy(&gal->mu);
    pthread_rwlock_destroy(&gal->rw);
    free(gal->dir);
    free(gal->db_path);
    for (int m = 0; m < MOD_N; m++) {
        modality *md = &gal->mod[m];
        free(md->model_id);
        free(md->recorded);
        free(md->why);
        free(md->tag);
        free(md->index_path);
    }
    free(gal);
}

/* Open with the given models, or with recorded set (and no model given),
 * with the models the gallery's meta records.  Arguments checked by the
 * callers. */
static lk_status open_gallery(const char *dir,
                              const lk__gallery_model models[MOD_N],
                              int recorded, unsigned flags, lk_gallery **out)
{
    *out = NULL;
    if ((flags & LK_GALLERY_CREATE) && (flags & LK_GALLERY_READONLY))
        return lk__error(LK_ERR_MISUSE, "%s: a gallery cannot be created "
                         "read-only", dir);

    lk_gallery *gal = lk__calloc(1, sizeof *gal);
    if (!gal)
        return LK_ERR_NOMEM;
    gal->recorded_models = recorded;
    pthread_mutex_init(&gal->mu, NULL);
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
#if defined(__GLIBC__)
    /* Searches hold the read lock back to back; without this a change
     * could wait for ever. */
    pthread_rwlockattr_setkind_np(&ra,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
#endif
    pthread_rwlock_init(&gal->rw, &ra);
    pthread_rwlockattr_destroy(&ra);
    gal->readonly = (flags & LK_GALLERY_READONLY) != 0;
    gal->st.gen = -1;
    gal->dir = lk__strdup(dir);
    gal->db_path = lk__path_join(dir, DB_NAME);
    lk_status rs = LK_ERR_NOMEM;
    if (!gal->dir || !gal->db_path)
        goto fail;
    for (int m = 0; m < MOD_N; m++) {
        modality *md = &gal->mod[m];
        md->dim = models[m].id ? models[m].dim : 0;
        md->file_gen = -1;
        md->refusal = LK_ERR_MODEL;
        if ((models[m].id && !(md->model_id = lk__strdup(models[m].id))) ||
            !(md->index_path = lk__path_join(dir, INDEX_NAME[m])))
            goto fail;
    }

    struct stat sb;
    if (stat(gal->db_path, &sb) != 0) {
        if (errno != ENOENT) {
            rs = lk__error(LK_ERR_IO, "%s: %s", gal->db_path, strerror(errno));
            goto fail;
        }
        if (!(flags & LK_GALLERY_CREATE)) {
            rs = lk__error(LK_ERR_NOT_FOUND, "%s: no gallery (no %s)", dir,
                           DB_NAME);
            goto fail;
        }
        if ((rs = make_dirs(dir)) != LK_OK)
            goto fail;
    }

    int oflags = SQLITE_OPEN_FULLMUTEX |
        (gal->readonly ? SQLITE_OPEN_READONLY
                       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(gal->db_path, &gal->db, oflags, NULL) != SQLITE_OK) {
        rs = gal->db ? db_fail(gal, "open")
                     : lk__error(LK_ERR_NOMEM, "%s: out of memory opening",
                                 gal->db_path);
        goto fail;
    }
    sqlite3_extended_result_codes(gal->db, 1);
    sqlite3_busy_timeout(gal->db, BUSY_TIMEOUT_MS);
    /* secure_delete: deleted rows and freed pages are overwritten with
     * zeros, so an erased embedding does not linger in free space. */
    /* temp_store: statement journals (which hold page images during a
     * cascade delete) stay in memory, not in temporary files. */
    if ((rs = exec(gal, "PRAGMA foreign_keys = ON; "
                        "PRAGMA secure_delete = ON; "
                        "PRAGMA temp_store = MEMORY")) != LK_OK)
        goto fail;
    if (!gal->readonly) {
        /* A 512-float template is a 2 KiB row: 4 KiB pages would hold one
         * each, half empty.  Takes effect only on a new database, and only
         * before it turns to WAL. */
        if ((rs = exec(gal, "PRAGMA page_size = 16384")) != LK_OK)
            goto fail;
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(gal->db, "PRAGMA journal_mode = WAL", -1, &s,
                               NULL) != SQLITE_OK) {
            rs = db_fail(gal, "journal_mode");
            goto fail;
        }
        int ok = sqlite3_step(s) == SQLITE_ROW &&
                 !sqlite3_stricmp((const char *)sqlite3_column_text(s, 0),
                                  "wal");
        sqlite3_finalize(s);
        if (!ok) {
            rs = db_fail(gal, "cannot switch to WAL");
            goto fail;
        }
        if ((rs = exec(gal, "PRAGMA synchronous = NORMAL")) != LK_OK)
            goto fail;
    }
    if ((rs = setup_schema(gal, flags)) != LK_OK)
        goto fail;

    state ns;
    if ((rs = load_state(gal, &ns)) != LK_OK)
        goto fail;
    gal->st = ns;
    for (int m = 0; m < MOD_N; m++)
        if (ns.ix[m] && !ns.rebuilt[m])
            gal->mod[m].file_gen = ns.gen;
    if (index_dirty(gal) && !gal->readonly && save_index(gal) != LK_OK)
        lk__log(LK_LOG_WARN, "%s (the index stays in memory)",
                lk_last_error());
    lk__error_clear();
    *out = gal;
    return LK_OK;

fail:
    gallery_free(gal);
    return rs;
}

lk_status lk__gallery_open_models(const char *dir,
                                  const lk__gallery_model *models, int n,
                                  unsigned flags, lk_gallery **out)
{
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_open: out is NULL");
    *out = NULL;
    if (!dir || !*dir)
        return lk__error(LK_ERR_MISUSE, "gallery directory is empty");
    lk__gallery_model given[MOD_N] = { { NULL, 0 } };
    for (int m = 0; m < MOD_N && m < n && models; m++)
        given[m] = models[m];
    if (!given[MOD_FACE].id)
        return lk__error(LK_ERR_MISUSE, "%s: no face model given", dir);
    for (int m = 0; m < MOD_N; m++)
        if (given[m].id &&
            (!*given[m].id || given[m].dim <= 0 || given[m].dim > 65536))
            return lk__error(LK_ERR_MISUSE, "%s: %s model \"%s\" of "
                             "dimension %d", dir, MOD_NAME[m], given[m].id,
                             given[m].dim);
    return open_gallery(dir, given, 0, flags, out);
}

lk_status lk_gallery_open(const char *dir, lk_engine *eng, unsigned flags,
                          lk_gallery **out)
{
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_open: out is NULL");
    *out = NULL;
    if (eng) {
        const lk__gallery_model models[MOD_N] = {
            [MOD_FACE] = { lk_engine_face_model_id(eng),
                           lk_engine_face_dim(eng) },
            [MOD_VOICE] = { lk_engine_voice_model_id(eng),
                            lk_engine_voice_dim(eng) },
        };
        return lk__gallery_open_models(dir, models, MOD_N, flags, out);
    }
    if (!dir || !*dir)
        return lk__error(LK_ERR_MISUSE, "gallery directory is empty");
    if (flags & LK_GALLERY_CREATE)
        return lk__error(LK_ERR_MISUSE, "%s: a gallery is created with an "
                         "engine (its models are recorded); without one only "
                         "an existing gallery opens", dir);
    const lk__gallery_model none[MOD_N] = { { NULL, 0 } };
    return open_gallery(dir, none, 1, flags, out);
}

void lk_gallery_close(lk_gallery *gal)
{
    if (!gal)
        return;
    pthread_mutex_lock(&gal->mu);
    if (!gal->readonly && index_dirty(gal) && save_index(gal) != LK_OK)
        lk__log(LK_LOG_WARN, "%s (rebuilt on next open)", lk_last_error());
    pthread_mutex_unlock(&gal->mu);
    gallery_free(gal);
}

lk_status lk__gallery_refresh(lk_gallery *gal)
{
    if (!gal)
        return lk__error(LK_ERR_MISUSE, "gallery is NULL");
    pthread_mutex_lock(&gal->mu);
    lk_status rs = sync_locked(gal);
    pthread_mutex_unlock(&gal->mu);
    return rs;
}

int lk__gallery_dim(const lk_gallery *gal, lk_modality m)
{
    return gal && (unsigned)m < MOD_N && gal->mod[m].ready ? gal->mod[m].dim
                                                            : 0;
}

const char *lk__gallery_model_id(const lk_gallery *gal, lk_modality m)
{
    return gal && (unsigned)m < MOD_N && gal->mod[m].ready
               ? gal->mod[m].model_id
               : NULL;
}

lk_status lk__gallery_modality_ready(lk_gallery *gal, lk_modality m)
{
    if (!gal)
        return lk__error(LK_ERR_MISUSE, "gallery is NULL");
    if ((unsigned)m >= MOD_N)
        return lk__error(LK_ERR_MISUSE, "%s: no modality %d", gal->dir,
                         (int)m);
    const modality *md = &gal->mod[m];
    if (md->ready)
        return LK_OK;
    return lk__error(md->refusal, "%s: %s: %s", gal->dir, MOD_NAME[m],
                     md->why ? md->why : "not available");
}
const char *lk__gallery_dir(const lk_gallery *gal) { return gal ? gal->dir : ""; }
int lk__gallery_readonly(const lk_gallery *gal) { return gal ? gal->readonly : 1; }

static lk_status check_writable(const lk_gallery *gal, const char *what)
{
    if (!gal)
        return lk__error(LK_ERR_MISUSE, "%s: gallery is NULL", what);
    if (gal->readonly)
        return lk__error(LK_ERR_MISUSE, "%s: %s: the gallery is open "
                         "read-only", gal->dir, what);
    return LK_OK;
}

/* ---- performers --------------------------------------------------------------- */

lk_status lk_gallery_add_performer(lk_gallery *gal, const char *id,
                                   const char *name)
{
    lk_status rs;
    if ((rs = check_writable(gal, "add performer")) != LK_OK ||
        (rs = check_id(id)) != LK_OK)
        return rs;
    if (name && *name) {
        const char *why = check_text(name, MAX_NAME_BYTES, 0);
        if (why)
            return lk__error(LK_ERR_MISUSE, "performer \"%s\": name %s", id,
                             why);
    }
    pthread_mutex_lock(&gal->mu);
    if ((rs = begin_write(gal)) != LK_OK)
        goto out;
    int64_t row;
    int existed = find_perf(gal, id, &row, NULL) == LK_OK;
    lk__error_clear();     /* "no performer" is the normal case here */
    sqlite3_stmt *s = q(gal, Q_PERF_UPSERT);
    if (!s) {
        rs = LK_ERR_DB;
        goto out;
    }
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    if (name)
        sqlite3_bind_text(s, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now_s());
    int rc = sqlite3_step(s);
    done(s);
    if (rc != SQLITE_DONE) {
        rs = db_fail(gal, "adding a performer");
        goto out;
    }
    if (!existed && (rs = audit_row(gal, "add", id, NULL)) != LK_OK)
        goto out;
    /* Names are not in memory: a rename is seen by the next lookup; a new
     * performer enters memory with its first template. */
    rs = commit(gal);
out:
    rollback(gal);
    pthread_mutex_unlock(&gal->mu);
    return rs;
}

lk_status lk__gallery_find_performer(lk_gallery *gal, const char *performer_id)
{
    lk_status rs = check_id(performer_id);
    if (rs != LK_OK)
        return rs;
    if (!gal)
        return lk__error(LK_ERR_MISUSE, "gallery is NULL");
    int64_t row;
    pthread_mutex_lock(&gal->mu);
    rs = find_perf(gal, performer_id, &row, NULL);
    pthread_mutex_unlock(&gal->mu);
    return rs;
}

lk_status lk_gallery_performer_name(lk_gallery *gal, const char *performer_id,
                                   char **name)
{
    if (name)
        *name = NULL;
    lk_status rs = check_id(performer_id);
    if (rs != LK_OK)
        return rs;
    if (!gal || !name)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_performer_name: NULL "
                         "argument");
    int64_t row;
    pthread_mutex_lock(&gal->mu);
    rs = find_perf(gal, performer_id, &row, name);
    pthread_mutex_unlock(&gal->mu);
    return rs;
}

char *lk__gallery_name_of(lk_gallery *gal, const char *performer_id)
{
    char *name = NULL;
    lk_status rs = lk_gallery_performer_name(gal, performer_id, &name);
    if (rs == LK_OK)
        return name;
    if (rs == LK_ERR_NOMEM)
        return NULL;
    lk__error_clear();
    return lk__strdup("");
}

/* ---- templates ------------------------------------------------------------------ */

lk_status lk__gallery_add_template(lk_gallery *gal, lk_modality m,
                                   const char *performer_id,
                                   const float *embedding,
                                   const char *source_sha256,
                                   const char *source_path,
                                   const lk_face *face, unsigned flags,
                                   int64_t *template_id, int *duplicate)
{
    if (template_id)
        *template_id = 0;
    if (duplicate)
        *duplicate = 0;
    lk_status rs;
    if ((rs = check_writable(gal, "add template")) != LK_OK)
        return rs;
    if (gal->recorded_models)
        return lk__error(LK_ERR_MISUSE, "%s: add template: the gallery was "
                         "opened without an engine, so nothing says which "
                         "model made the embedding; open it with one",
                         gal->dir);
    if ((rs = lk__gallery_modality_ready(gal, m)) != LK_OK ||
        (rs = check_id(performer_id)) != LK_OK)
        return rs;
    const modality *md = &gal->mod[m];
    if (!embedding)
        return lk__error(LK_ERR_MISUSE, "%s: embedding is NULL", gal->dir);
    if (face && m != LK_MODALITY_FACE)
        return lk__error(LK_ERR_MISUSE, "%s: a face box for a %s template",
                         gal->dir, MOD_NAME[m]);
    if ((rs = check_embedding(md->dim, embedding, performer_id)) != LK_OK)
        return rs;
    if (source_sha256 && !is_sha256_hex(source_sha256))
        return lk__error(LK_ERR_MISUSE, "source hash \"%.80s\" is not 64 "
                         "lower-case hex digits", source_sha256);
    if (source_path && check_text(source_path, 1 << 16, 1))
        return lk__error(LK_ERR_MISUSE, "source path is not UTF-8 or too "
                         "long");

    size_t bytes = (size_t)md->dim * sizeof(float);
    void *blob = lk__malloc(bytes);
    if (!blob)
        return LK_ERR_NOMEM;
    floats_to_le(blob, embedding, (size_t)md->dim);

    int64_t row = 0, tid = 0;
    pthread_mutex_lock(&gal->mu);
    if ((rs = begin_write(gal)) != LK_OK ||
        (rs = find_perf(gal, performer_id, &row, NULL)) != LK_OK)
        goto out;
    sqlite3_stmt *s;
    if ((flags & LK__TEMPLATE_ONCE) && source_sha256) {
        if (!(s = q(gal, Q_TMPL_SOURCE))) {
            rs = LK_ERR_DB;
            goto out;
        }
        sqlite3_bind_int64(s, 1, row);
        sqlite3_bind_text(s, 2, source_sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, MOD_NAME[m], -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            if (template_id)
                *template_id = sqlite3_column_int64(s, 0);
            if (duplicate)
                *duplicate = 1;
        } else if (rc != SQLITE_DONE) {
            rs = db_fail(gal, "looking up the source");
        }
        done(s);
        if (rc != SQLITE_DONE)
            goto out;
    }
    if (!(s = q(gal, Q_TMPL_INSERT))) {
        rs = LK_ERR_DB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, row);
    sqlite3_bind_text(s, 2, md->model_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, md->dim);
    sqlite3_bind_blob(s, 4, blob, (int)bytes, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, source_sha256, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, source_path, -1, SQLITE_STATIC);
    if (face) {
        sqlite3_bind_double(s, 7, face->x);
        sqlite3_bind_double(s, 8, face->y);
        sqlite3_bind_double(s, 9, face->w);
        sqlite3_bind_double(s, 10, face->h);
        sqlite3_bind_double(s, 11, face->score);
    }
    sqlite3_bind_int64(s, 12, now_s());
    sqlite3_bind_text(s, 13, MOD_NAME[m], -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    done(s);
    if (rc != SQLITE_DONE) {
        rs = db_fail(gal, "adding a template");
        goto out;
    }
    tid = sqlite3_last_insert_rowid(gal->db);
    char detail[64];
    /* Face rows keep the wording they always had. */
    snprintf(detail, sizeof detail, "%s%stemplate %lld",
             m == LK_MODALITY_FACE ? "" : MOD_NAME[m],
             m == LK_MODALITY_FACE ? "" : " ",
             (long long)tid);
    if ((rs = bump_gen(gal)) != LK_OK ||
        (rs = audit_row(gal, "enrol", performer_id, detail)) != LK_OK ||
        (rs = commit(gal)) != LK_OK)
        goto out;
    if (template_id)
        *template_id = tid;

    /* The database has it; now the memory.  A failure here leaves the
     * memory behind the database, which the generation check repairs. */
    pthread_rwlock_wrlock(&gal->rw);
    state *st = &gal->st;
    int32_t pi = map_get(&st->by_row, row);
    if (pi < 0) {
        char *cid = lk__strdup(performer_id);
        if (!cid || (pi = state_add_perf(st, row, cid)) < 0)
            free(cid);
    }
    if (pi < 0 || map_put(&st->tmpl[m], tid, pi) != 0 ||
        (rs = lk__index_add(st->ix[m], 1, embedding, &tid)) != LK_OK) {
        if (pi >= 0)
            map_del(&st->tmpl[m], tid);
        st->gen = -1;
        char why[512];
        snprintf(why, sizeof why, "%s", lk_last_error());
        rs = lk__error(rs == LK_OK ? LK_ERR_NOMEM : rs, "%s: %s template "
                       "%lld stored, but the index could not take it (%s); "
                       "it will be reloaded", gal->dir, MOD_NAME[m],
                       (long long)tid, why);
    } else {
        st->gen++;
    }
    pthread_rwlock_unlock(&gal->rw);

out:
    rollback(gal);
    pthread_mutex_unlock(&gal->mu);
    free(blob);
    return rs;
}

int64_t lk__gallery_source_template(lk_gallery *gal, lk_modality m,
                                    const char *performer_id,
                                    const char *source_sha256)
{
    if (!gal || !performer_id || !source_sha256 || (unsigned)m >= MOD_N ||
        !gal->mod[m].ready)
        return 0;
    int64_t tid = 0, row;
    pthread_mutex_lock(&gal->mu);
    if (find_perf(gal, performer_id, &row, NULL) == LK_OK) {
        sqlite3_stmt *s = q(gal, Q_TMPL_SOURCE);
        if (s) {
            sqlite3_bind_int64(s, 1, row);
            sqlite3_bind_text(s, 2, source_sha256, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, MOD_NAME[m], -1, SQLITE_STATIC);
            if (sqlite3_step(s) == SQLITE_ROW)
                tid = sqlite3_column_int64(s, 0);
            done(s);
        }
    }
    pthread_mutex_unlock(&gal->mu);
    return tid;
}

/* ---- erasure ------------------------------------------------------------------- */

lk_status lk_gallery_remove_performer(lk_gallery *gal,
                                      const char *performer_id)
{
    lk_status rs;
    if ((rs = check_writable(gal, "remove performer")) != LK_OK ||
        (rs = check_id(performer_id)) != LK_OK)
        return rs;
    int64_t row, *tids = NULL;
    uint8_t *mods = NULL;          /* the modality of each of tids */
    size_t n = 0, cap = 0;
    pthread_mutex_lock(&gal->mu);
    if ((rs = begin_write(gal)) != LK_OK ||
        (rs = find_perf(gal, performer_id, &row, NULL)) != LK_OK)
        goto out;
    sqlite3_stmt *s = q(gal, Q_TMPL_OF_PERF);
    if (!s) {
        rs = LK_ERR_DB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, row);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            int64_t *t = lk__realloc(tids, cap * sizeof *t);
            if (t)
                tids = t;
            uint8_t *md = t ? lk__realloc(mods, cap * sizeof *md) : NULL;
            if (!md) {
                rs = LK_ERR_NOMEM;
                break;
            }
            mods = md;
        }
        const char *mn = (const char *)sqlite3_column_text(s, 1);
        /* A modality this library does not know has no index to clean;
         * its row still goes with the performer. */
        uint8_t mi = MOD_N;
        for (int m = 0; m < MOD_N; m++)
            if (mn && !strcmp(mn, MOD_NAME[m]))
                mi = (uint8_t)m;
        mods[n] = mi;
        tids[n++] = sqlite3_column_int64(s, 0);
    }
    if (rs == LK_OK && rc != SQLITE_DONE)
        rs = db_fail(gal, "listing templates");
    done(s);
    if (rs != LK_OK)
        goto out;
    if (!(s = q(gal, Q_PERF_DELETE))) {
        rs = LK_ERR_DB;
        goto out;
    }
    sqlite3_bind_int64(s, 1, row);
    rc = sqlite3_step(s);
    done(s);
    if (rc != SQLITE_DONE) {
        rs = db_fail(gal, "removing a performer");
        goto out;
    }
    /* The audit row keeps the id and the time only. */
    if ((rs = bump_gen(gal)) != LK_OK ||
        (rs = audit_row(gal, "remove", performer_id, NULL)) != LK_OK ||
        (rs = commit(gal)) != LK_OK)
        goto out;

    /* Group the ids by modality, in place: the index removal takes one
     * batch per index. */
    size_t start[MOD_N + 1], k = 0;
    for (int m = 0; m <= MOD_N; m++) {
        start[m] = k;
        for (size_t i = k; i < n; i++)
            if (mods[i] == m) {
                int64_t t = tids[i];
                tids[i] = tids[k];
                mods[i] = mods[k];
                tids[k] = t;
                mods[k++] = (uint8_t)m;
            }
    }
    pthread_rwlock_wrlock(&gal->rw);
    state *st = &gal->st;
    lk_status ixs = LK_OK;
    for (int m = 0; m < MOD_N; m++) {
        size_t a = start[m], b = start[m + 1];
        /* Not loaded (voice unusable with this handle): no vectors in
         * memory; its file is removed below. */
        if (!st->ix[m] || a == b)
            continue;
        if (ixs == LK_OK)
            ixs = lk__index_remove(st->ix[m], tids + a, b - a);
        for (size_t i = a; i < b; i++)
            map_del(&st->tmpl[m], tids[i]);
    }
    state_drop_perf(st, row);
    st->gen = ixs == LK_OK ? st->gen + 1 : -1;
    pthread_rwlock_unlock(&gal->rw);
    if (ixs != LK_OK) {
        /* The memory will be rebuilt from the database; the file must not
         * keep the vectors meanwhile. */
        lk__log(LK_LOG_WARN, "%s", lk_last_error());
        if (reload(gal) != LK_OK)
            lk__log(LK_LOG_WARN, "%s", lk_last_error());
    }

    /* Old page images live on in the write-ahead log until a checkpoint
     * copies the zeroed pages home; TRUNCATE then empties the log. */
    int nlog = 0, nckpt = 0;
    rc = sqlite3_wal_checkpoint_v2(gal->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
                                   &nlog, &nckpt);
    if (rc != SQLITE_OK)
        rs = lk__error(LK_ERR_DB, "%s: performer \"%s\" removed, but the "
                       "write-ahead log could not be emptied (%s): another "
                       "process has the gallery open; erased data stays in "
                       "%s-wal until it closes", gal->db_path, performer_id,
                       sqlite3_errmsg(gal->db), gal->db_path);
    (void)save_index(gal);
    for (int m = 0; m < MOD_N; m++) {
        modality *md = &gal->mod[m];
        if (md->file_gen == gal->st.gen)
            continue;
        /* An index file we cannot rewrite, or whose modality this handle
         * does not load, must not outlive the erasure; it is rebuilt from
         * the database by the next open that uses it. */
        if (unlink(md->index_path) != 0 && errno != ENOENT && rs == LK_OK)
            rs = lk__error(LK_ERR_IO, "%s: cannot remove the old index: %s",
                           md->index_path, strerror(errno));
        md->file_gen = -1;
    }
out:
    rollback(gal);
    pthread_mutex_unlock(&gal->mu);
    free(tids);
    free(mods);
    return rs;
}

/* ---- listing, stats, audit -------------------------------------------------------- */

typedef struct prow {
    size_t id, name;           /* offsets into the text buffer */
    int64_t created;
    int templates[MOD_N];      /* per modality */
} prow;

lk_status lk_gallery_performers(lk_gallery *gal, lk_performer_fn fn,
                                void *user)
{
    if (!gal || !fn)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_performers: NULL "
                         "argument");
    /* Collected first and delivered without the lock held, so fn may call
     * back into the gallery. */
    prow *rows = NULL;
    char *text = NULL;
    size_t n = 0, cap = 0, nt = 0, capt = 0;
    lk_status rs = LK_OK;
    pthread_mutex_lock(&gal->mu);
    sqlite3_stmt *s = q(gal, Q_LIST);
    if (!s) {
        rs = LK_ERR_DB;
    } else {
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            const char *id = (const char *)sqlite3_column_text(s, 0);
            const char *name = (const char *)sqlite3_column_text(s, 1);
            id = id ? id : "";
            name = name ? name : "";
            size_t li = strlen(id) + 1, ln = strlen(name) + 1;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                prow *r = lk__realloc(rows, cap * sizeof *r);
                if (!r) {
                    rs = LK_ERR_NOMEM;
                    break;
                }
                rows = r;
            }
            if (nt + li + ln > capt) {
                while (nt + li + ln > capt)
                    capt = capt ? capt * 2 : 4096;
                char *t = lk__realloc(text, capt);
                if (!t) {
                    rs = LK_ERR_NOMEM;
                    break;
                }
                text = t;
            }
            rows[n] = (prow){ nt, nt + li, sqlite3_column_int64(s, 2),
                              { 0 } };
            for (int m = 0; m < MOD_N; m++)
                rows[n].templates[m] = sqlite3_column_int(s, 3 + m);
            memcpy(text + nt, id, li);
            memcpy(text + nt + li, name, ln);
            nt += li + ln;
            n++;
        }
        if (rs == LK_OK && rc != SQLITE_DONE)
            rs = db_fail(gal, "listing performers");
        done(s);
    }
    pthread_mutex_unlock(&gal->mu);
    for (size_t i = 0; rs == LK_OK && i < n; i++) {
        lk_performer_info p = { text + rows[i].id, text + rows[i].name,
                                rows[i].created, MOD_N, rows[i].templates };
        if (fn(&p, user))
            rs = LK_DONE;
    }
    free(rows);
    free(text);
    return rs;
}

lk_status lk_gallery_stats_get(lk_gallery *gal, lk_gallery_stats *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!gal || !out)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_stats_get: NULL argument");
    lk_status rs = LK_OK;
    lk_gallery_stats r = { 0 };
    pthread_mutex_lock(&gal->mu);
    sqlite3_stmt *s = q(gal, Q_COUNTS);
    if (!s) {
        rs = LK_ERR_DB;
    } else {
        if (sqlite3_step(s) == SQLITE_ROW) {
            r.performers = sqlite3_column_int64(s, 0);
            r.generation = sqlite3_column_int64(s, 1);
        } else {
            rs = db_fail(gal, "counting");
        }
        done(s);
    }
    pthread_mutex_unlock(&gal->mu);
    if (rs != LK_OK)
        return rs;
    struct stat sb;
    if (stat(gal->db_path, &sb) != 0)
        return lk__error(LK_ERR_IO, "%s: %s", gal->db_path, strerror(errno));
    r.db_bytes = (int64_t)sb.st_size;
    *out = r;
    return LK_OK;
}

lk_status lk_gallery_modality_info(lk_gallery *gal, lk_modality mod,
                                   lk_gallery_modality *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!gal || !out)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_modality_info: NULL "
                         "argument");
    if ((unsigned)mod >= MOD_N)
        return lk__error(LK_ERR_MISUSE, "%s: no modality %d", gal->dir,
                         (int)mod);
    const int m = (int)mod;
    const modality *md = &gal->mod[m];
    lk_gallery_modality r = { 0 };
    r.model = md->recorded;
    r.dim = md->recorded ? md->recorded_dim : 0;
    r.usable = md->ready ? LK_OK : md->refusal;
    lk_status rs = LK_OK;
    pthread_mutex_lock(&gal->mu);
    sqlite3_stmt *s = q(gal, Q_MOD_COUNT);
    if (!s) {
        rs = LK_ERR_DB;
    } else {
        sqlite3_bind_text(s, 1, MOD_NAME[m], -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            r.templates = sqlite3_column_int64(s, 0);
        else
            rs = db_fail(gal, "counting templates");
        done(s);
    }
    pthread_rwlock_rdlock(&gal->rw);
    r.index_rebuilt = gal->st.rebuilt[m];
    pthread_rwlock_unlock(&gal->rw);
    pthread_mutex_unlock(&gal->mu);
    if (rs != LK_OK)
        return rs;
    *out = r;
    return LK_OK;
}

lk_status lk_gallery_audit(lk_gallery *gal, const char *action,
                           const char *performer_id, const char *detail)
{
    lk_status rs;
    if ((rs = check_writable(gal, "audit")) != LK_OK)
        return rs;
    const char *why = action ? check_text(action, MAX_ACTION_BYTES, 0)
                             : "missing";
    if (why)
        return lk__error(LK_ERR_MISUSE, "audit action %s", why);
    if (performer_id && (rs = check_id(performer_id)) != LK_OK)
        return rs;
    if (detail && *detail && (why = check_text(detail, MAX_DETAIL_BYTES, 1)))
        return lk__error(LK_ERR_MISUSE, "audit detail %s", why);
    pthread_mutex_lock(&gal->mu);
    rs = audit_row(gal, action, performer_id, detail);
    pthread_mutex_unlock(&gal->mu);
    return rs;
}

/* ---- search --------------------------------------------------------------------- */

lk_status lk_gallery_search(lk_gallery *gal, lk_modality mod,
                            const float *embedding, int k, lk_match *out,
                            int *n_out)
{
    if (n_out)
        *n_out = 0;
    if (!gal || !embedding || !out || !n_out || k <= 0)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_search: NULL argument or "
                         "k %d", k);
    lk_status rs = lk__gallery_modality_ready(gal, mod);
    if (rs != LK_OK)
        return rs;
    const int m = (int)mod;
    if ((rs = check_embedding(gal->mod[m].dim, embedding,
                              m == MOD_FACE ? "search" : "voice search")) !=
        LK_OK)
        return rs;

    enum { STACK = 256 };
    float d_stack[STACK];
    int64_t i_stack[STACK];
    int32_t seen_stack[64];
    float *D = d_stack;
    int64_t *I = i_stack;
    int32_t *seen = seen_stack;       /* performer of each out[] entry */
    i64map seen_map = { 0 };          /* the same, for large k */
    int filled = 0;

    if (k > 64 && !(seen = lk__malloc((size_t)k * sizeof *seen)))
        return LK_ERR_NOMEM;
    pthread_rwlock_rdlock(&gal->rw);
    const state *st = &gal->st;
    int64_t n = lk__index_count(st->ix[m]);
    /* Several templates per performer: ask for more templates than
     * performers wanted, and widen until k performers are found or the
     * whole gallery was looked at. */
    int64_t kk = (int64_t)k * 8 < 64 ? 64 : (int64_t)k * 8;
    for (; n > 0;) {
        if (kk > n)
            kk = n;
        if (kk > INT32_MAX)
            kk = INT32_MAX;
        if (kk > STACK) {
            if (D != d_stack)
                free(D);
            if (I != i_stack)
                free(I);
            D = lk__malloc((size_t)kk * sizeof *D);
            I = lk__malloc((size_t)kk * sizeof *I);
            if (!D || !I) {
                rs = LK_ERR_NOMEM;
                break;
            }
        }
        if ((rs = lk__index_search(st->ix[m], 1, embedding, (int)kk, D,
                                   I)) != LK_OK)
            break;
        filled = 0;
        map_free(&seen_map);
        for (int64_t j = 0; j < kk && filled < k; j++) {
            if (I[j] < 0)
                break;
            int32_t pi = map_get(&st->tmpl[m], I[j]);
            if (pi < 0)
                continue;
            int dup = 0;
            if (k <= 16) {
                for (int m = 0; m < filled && !dup; m++)
                    dup = seen[m] == pi;
            } else {
                dup = map_get(&seen_map, pi) >= 0;
                if (!dup && map_put(&seen_map, pi, 1) != 0) {
                    rs = LK_ERR_NOMEM;
                    break;
                }
            }
            if (dup)
                continue;
            seen[filled] = pi;
            lk_match *o = &out[filled];
            /* Ids are checked to fit when performers are added. */
            snprintf(o->performer_id, sizeof o->performer_id, "%s",
                     st->perfs[pi].id);
            o->template_id = I[j];
            o->score = D[j];
            filled++;
        }
        if (rs != LK_OK || filled == k || kk >= n || kk >= INT32_MAX)
            break;
        kk *= 4;
    }
    pthread_rwlock_unlock(&gal->rw);
    if (D != d_stack)
        free(D);
    if (I != i_stack)
        free(I);
    if (seen != seen_stack)
        free(seen);
    map_free(&seen_map);
    if (rs != LK_OK)
        return rs;
    *n_out = filled;
    return LK_OK;
}
