/*
 * db.c — the gallery's database, gallery.db: the schema, the prepared
 * statements and the pragmas every connection runs with, the generation
 * counter, the recorded models (and which modalities a handle may use).
 * The audit log's chain is audit.c's.
 */
#include "gallery/gallery_impl.h"
#include "core/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#define BUSY_TIMEOUT_MS 30000

static const char *const SQL[Q_N] = {
    [Q_GEN] = "SELECT value FROM meta WHERE key = 'generation'",
    /* Never past INT64_MAX (SQLite would turn it into a float). */
    [Q_BUMP] = "UPDATE meta SET value = value + 1 WHERE key = 'generation' "
               "AND value < 9223372036854775807",
    [Q_PERF_FIND] =
        "SELECT id, name, salt FROM performers WHERE ext_id = ?1",
    /* A new performer gets the salt of its audit digests (?4); an
     * existing one keeps its own. */
    [Q_PERF_UPSERT] =
        "INSERT INTO performers (ext_id, name, created, salt) "
        "VALUES (?1, coalesce(?2, ''), ?3, ?4) "
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
        "INSERT INTO audit (time, action, performer, detail, id, "
        "perf_digest, detail_digest, prev, hash) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [Q_AUDIT_HEAD] =
        "SELECT (SELECT value FROM meta WHERE key = 'audit_head_id'), "
        "(SELECT value FROM meta WHERE key = 'audit_head')",
    [Q_AUDIT_HEAD_SET] =
        "INSERT OR REPLACE INTO meta (key, value) "
        "VALUES ('audit_head_id', ?1), ('audit_head', ?2)",
    /* Through the partial index audit_perf: an erasure does not read the
     * whole log. */
    [Q_AUDIT_REDACT] =
        "UPDATE audit SET performer = NULL, detail = NULL, redacted = 1 "
        "WHERE perf_digest = ?1 AND performer IS NOT NULL",
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
    /* Changes when another connection commits; reading it takes no lock
     * and no I/O beyond the shared-memory header. */
    [Q_DATA_VERSION] = "PRAGMA data_version",
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
    "CREATE TABLE audit (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  time INTEGER NOT NULL,\n"
    "  action TEXT NOT NULL,\n"
    "  performer TEXT,\n"
    "  detail TEXT\n"
    ");\n";

/* The schema grows by steps: step i takes a gallery from version i + 1 to
 * i + 2, in the transaction that opens it, SQL first and then the step's
 * function (for what SQL alone cannot do).  A new gallery is made at
 * version 1 (SCHEMA) and taken through every step, so that a new gallery
 * and an upgraded one are made by the same statements. */
typedef struct migration {
    const char *sql;
    lk_status (*fn)(lk_gallery *gal);
} migration;

static const migration MIGRATE[] = {
    /* 1 -> 2: licence records (versions only ever added) and standing
     * refusals replace the never-used consent table; the calibration each
     * recorded model's scores are read with (match/calib.h), one row per
     * modality and model: the calibration file's text and sha256 as the
     * engine had it when the model was recorded.  The audit log becomes a
     * hash chain (audit.c): each entry's digests, link and hash, whether an
     * erasure emptied it, and each performer's salt for the digests of
     * their entries; the function chains the entries an older gallery
     * holds and puts on the triggers that keep the log append-only. */
    {"DROP TABLE consent;\n"
     "CREATE TABLE licences (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  uuid TEXT NOT NULL UNIQUE,\n"
     "  performer INTEGER NOT NULL REFERENCES performers (id)\n"
     "    ON DELETE CASCADE,\n"
     "  created INTEGER NOT NULL\n"
     ");\n"
     "CREATE INDEX licences_performer ON licences (performer);\n"
     "CREATE TABLE licence_versions (\n"
     "  licence INTEGER NOT NULL REFERENCES licences (id)\n"
     "    ON DELETE CASCADE,\n"
     "  version INTEGER NOT NULL CHECK (version > 0),\n"
     "  body TEXT NOT NULL,\n"
     "  created INTEGER NOT NULL,\n"
     "  PRIMARY KEY (licence, version)\n"
     ");\n"
     "CREATE TRIGGER licence_versions_append_only\n"
     "  BEFORE UPDATE ON licence_versions BEGIN\n"
     "  SELECT RAISE(ABORT, 'licence versions are never changed: add a "
     "version');\n"
     "END;\n"
     "CREATE TABLE refusals (\n"
     "  performer INTEGER PRIMARY KEY REFERENCES performers (id)\n"
     "    ON DELETE CASCADE,\n"
     "  uses INTEGER NOT NULL,\n"
     "  since INTEGER NOT NULL\n"
     ");\n"
     "CREATE TABLE calibration (\n"
     "  modality TEXT NOT NULL,\n"
     "  model_id TEXT NOT NULL,\n"
     "  sha256 TEXT NOT NULL,\n"
     "  body TEXT NOT NULL,\n"
     "  recorded INTEGER NOT NULL,\n"
     "  PRIMARY KEY (modality, model_id)\n"
     ") WITHOUT ROWID;\n"
     "ALTER TABLE performers ADD COLUMN salt BLOB;\n"
     "ALTER TABLE audit ADD COLUMN perf_digest TEXT;\n"
     "ALTER TABLE audit ADD COLUMN detail_digest TEXT;\n"
     "ALTER TABLE audit ADD COLUMN prev TEXT;\n"
     "ALTER TABLE audit ADD COLUMN hash TEXT;\n"
     "ALTER TABLE audit ADD COLUMN redacted INTEGER NOT NULL DEFAULT 0;\n"
     "CREATE INDEX audit_perf ON audit (perf_digest)\n"
     "  WHERE perf_digest IS NOT NULL;\n",
     lk__gal_audit_upgrade},
};

#define N_MIGRATE ((int)(sizeof MIGRATE / sizeof *MIGRATE))
#define SCHEMA_VERSION (1 + N_MIGRATE)

int64_t lk__gal_now_s(void) { return (int64_t)time(NULL); }

lk_status lk__gal_db_fail(lk_gallery *gal, const char *what)
{
    return lk__error(LK_ERR_DB, "%s: %s: %s", gal->db_path, what,
                     sqlite3_errmsg(gal->db));
}

sqlite3_stmt *lk__gal_q(lk_gallery *gal, int which)
{
    if (!gal->stmt[which] &&
        sqlite3_prepare_v3(gal->db, SQL[which], -1, SQLITE_PREPARE_PERSISTENT,
                           &gal->stmt[which], NULL) != SQLITE_OK) {
        lk__gal_db_fail(gal, "prepare");
        return NULL;
    }
    return gal->stmt[which];
}

void lk__gal_done(sqlite3_stmt *s)
{
    if (s) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
}

lk_status lk__gal_exec(lk_gallery *gal, const char *sql)
{
    if (sqlite3_exec(gal->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return lk__gal_db_fail(gal, sql);
    return LK_OK;
}

void lk__gal_rollback(lk_gallery *gal)
{
    if (!sqlite3_get_autocommit(gal->db))
        sqlite3_exec(gal->db, "ROLLBACK", NULL, NULL, NULL);
}

lk_status lk__gal_read_gen(lk_gallery *gal, int64_t *gen)
{
    sqlite3_stmt *s = lk__gal_q(gal, Q_GEN);
    if (!s)
        return LK_ERR_DB;
    int rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        lk_status st = rc == SQLITE_DONE
            ? lk__error(LK_ERR_DB, "%s: meta has no generation", gal->db_path)
            : lk__gal_db_fail(gal, "reading the generation");
        lk__gal_done(s);
        return st;
    }
    int type = sqlite3_column_type(s, 0);
    *gen = sqlite3_column_int64(s, 0);
    lk__gal_done(s);
    if (type != SQLITE_INTEGER || *gen < 0)
        return lk__error(LK_ERR_DB, "%s: meta's generation is not a count "
                         "(0 or more); repair: UPDATE meta SET value = 0 "
                         "WHERE key = 'generation' and delete face.faiss "
                         "and voice.faiss (rebuilt from the database)",
                         gal->db_path);
    return LK_OK;
}

lk_status lk__gal_bump_gen(lk_gallery *gal)
{
    sqlite3_stmt *s = lk__gal_q(gal, Q_BUMP);
    if (!s)
        return LK_ERR_DB;
    int rc = sqlite3_step(s);
    lk__gal_done(s);
    if (rc != SQLITE_DONE)
        return lk__gal_db_fail(gal, "bumping the generation");
    if (sqlite3_changes(gal->db) != 1)
        return lk__error(LK_ERR_DB, "%s: meta's generation is at its "
                         "maximum; repair: UPDATE meta SET value = 0 WHERE "
                         "key = 'generation' and delete face.faiss and "
                         "voice.faiss (rebuilt from the database)",
                         gal->db_path);
    return LK_OK;
}

lk_status lk__gal_find_perf(lk_gallery *gal, const char *id, int64_t *row,
                            char **name, uint8_t *salt)
{
    sqlite3_stmt *s = lk__gal_q(gal, Q_PERF_FIND);
    if (!s)
        return LK_ERR_DB;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    lk_status st = LK_OK;
    if (rc == SQLITE_ROW && salt &&
        sqlite3_column_bytes(s, 2) != LK__GAL_SALT_BYTES) {
        st = lk__error(LK_ERR_DB, "%s: performer \"%s\" has no audit salt",
                       gal->db_path, id);
    } else if (rc == SQLITE_ROW) {
        *row = sqlite3_column_int64(s, 0);
        if (salt)
            memcpy(salt, sqlite3_column_blob(s, 2), LK__GAL_SALT_BYTES);
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
        st = lk__gal_db_fail(gal, "finding a performer");
    }
    lk__gal_done(s);
    return st;
}

static lk_status pragma_int(lk_gallery *gal, const char *sql, int64_t *v)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(gal->db, sql, -1, &s, NULL) != SQLITE_OK)
        return lk__gal_db_fail(gal, sql);
    int rc = sqlite3_step(s);
    lk_status st = LK_OK;
    if (rc == SQLITE_ROW)
        *v = sqlite3_column_int64(s, 0);
    else
        st = lk__gal_db_fail(gal, sql);
    sqlite3_finalize(s);
    return st;
}

static lk_status set_user_version(lk_gallery *gal, int v)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
    return lk__gal_exec(gal, sql);
}

/* Take the schema from version from to SCHEMA_VERSION; inside the
 * caller's write transaction. */
static lk_status migrate(lk_gallery *gal, int from)
{
    lk_status rs = LK_OK;
    for (int v = from; rs == LK_OK && v < SCHEMA_VERSION; v++) {
        const migration *m = &MIGRATE[v - 1];
        if (m->sql && (rs = lk__gal_exec(gal, m->sql)) != LK_OK)
            break;
        if (m->fn && (rs = m->fn(gal)) != LK_OK)
            break;
        rs = set_user_version(gal, v + 1);
    }
    return rs;
}

static lk_status create_schema(lk_gallery *gal)
{
    lk_status rs = lk__gal_exec(gal, SCHEMA);
    if (rs != LK_OK || (rs = migrate(gal, 1)) != LK_OK)
        return rs;
    sqlite3_stmt *s;
    const char *sql =
        "INSERT INTO meta (key, value) VALUES ('schema', ?1), "
        "('generation', 0), ('face_model', ?2), ('face_dim', ?3), "
        "('uuid', lower(hex(randomblob(16)))), ('created', ?4)";
    if (sqlite3_prepare_v2(gal->db, sql, -1, &s, NULL) != SQLITE_OK)
        return lk__gal_db_fail(gal, "creating meta");
    sqlite3_bind_int(s, 1, SCHEMA_VERSION);
    sqlite3_bind_text(s, 2, gal->mod[MOD_FACE].model_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 3, gal->mod[MOD_FACE].dim);
    sqlite3_bind_int64(s, 4, lk__gal_now_s());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return lk__gal_db_fail(gal, "creating meta");
    return LK_OK;
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
                return lk__gal_db_fail(gal, "recording the voice model");
            sqlite3_bind_text(s, 1, md->model_id, -1, SQLITE_STATIC);
            sqlite3_bind_int(s, 2, md->dim);
            int rc = sqlite3_step(s);
            sqlite3_finalize(s);
            if (rc != SQLITE_DONE)
                return lk__gal_db_fail(gal, "recording the voice model");
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

/* The calibration row of modality m's recorded model into the handle;
 * when there is none, a writable handle whose engine embeds with that
 * model records the engine's (when it has one) first.  Inside
 * setup_schema's transaction. */
static lk_status calibration(lk_gallery *gal, int m)
{
    modality *md = &gal->mod[m];
    if (!md->recorded)
        return LK_OK;
    sqlite3_stmt *s;
    if (!gal->readonly && md->calib_given && md->model_id &&
        !strcmp(md->model_id, md->recorded)) {
        const char *sql = "INSERT OR IGNORE INTO calibration (modality, "
                          "model_id, sha256, body, recorded) VALUES "
                          "(?1, ?2, ?3, ?4, ?5)";
        if (sqlite3_prepare_v2(gal->db, sql, -1, &s, NULL) != SQLITE_OK)
            return lk__gal_db_fail(gal, "recording a calibration");
        sqlite3_bind_text(s, 1, MOD_NAME[m], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, md->recorded, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, md->calib_given_sha, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, md->calib_given, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, lk__gal_now_s());
        int rc = sqlite3_step(s);
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE)
            return lk__gal_db_fail(gal, "recording a calibration");
    }
    const char *sql = "SELECT body, sha256 FROM calibration WHERE "
                      "modality = ?1 AND model_id = ?2";
    if (sqlite3_prepare_v2(gal->db, sql, -1, &s, NULL) != SQLITE_OK)
        return lk__gal_db_fail(gal, "reading the calibration");
    sqlite3_bind_text(s, 1, MOD_NAME[m], -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, md->recorded, -1, SQLITE_STATIC);
    lk_status st = LK_OK;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *body = (const char *)sqlite3_column_text(s, 0);
        const char *sha = (const char *)sqlite3_column_text(s, 1);
        if (!(md->calib = lk__strdup(body ? body : "")) ||
            !(md->calib_sha = lk__strdup(sha ? sha : "")))
            st = LK_ERR_NOMEM;
    } else if (rc != SQLITE_DONE) {
        st = lk__gal_db_fail(gal, "reading the calibration");
    }
    sqlite3_finalize(s);
    return st;
}

/* Record the index files' MAC key in meta (setup_schema's transaction). */
static lk_status record_index_key(lk_gallery *gal, const char *key)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(gal->db, "INSERT INTO meta (key, value) VALUES "
                           "('index_key', ?1)", -1, &s, NULL) != SQLITE_OK)
        return lk__gal_db_fail(gal, "recording the index key");
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? LK_OK
                             : lk__gal_db_fail(gal, "recording the index key");
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
        "(SELECT value FROM meta WHERE key = 'voice_dim'), "
        "(SELECT value FROM meta WHERE key = 'index_key')";
    if (sqlite3_prepare_v2(gal->db, sql, -1, &s, NULL) != SQLITE_OK)
        return lk__gal_db_fail(gal, "reading meta");
    lk_status st = LK_OK;
    char *uuid = NULL, *vmodel = NULL, *newkey = NULL;
    if (sqlite3_step(s) != SQLITE_ROW) {
        st = lk__gal_db_fail(gal, "reading meta");
        goto out;
    }
    modality *face = &gal->mod[MOD_FACE];
    const char *model = (const char *)sqlite3_column_text(s, 0);
    int dim = sqlite3_column_int(s, 1);
    const char *u = (const char *)sqlite3_column_text(s, 2);
    const char *vm = (const char *)sqlite3_column_text(s, 3);
    int vdim = sqlite3_column_int(s, 4);
    const char *key = (const char *)sqlite3_column_text(s, 5);
    if (!model || !u || dim <= 0 || dim > 65536 || vdim > 65536) {
        st = lk__error(LK_ERR_DB, "%s: meta lacks the face model or uuid, "
                       "or records a dimension out of 1..65536",
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
    /* The tag is the index files' MAC key (index.c): the gallery's uuid
     * and its secret index key, which only the database holds, so that
     * an index file altered and re-checksummed is refused.  A gallery
     * made before the key gets one at its first writable open; until
     * then (read-only) its index files are never trusted. */
    char ukey[256];
    if (!key && !gal->readonly) {
        uint8_t raw[32];
        if ((st = lk__random_bytes(raw, sizeof raw)) != LK_OK)
            goto out;
        newkey = lk__malloc(2 * sizeof raw + 1);
        if (!newkey) {
            st = LK_ERR_NOMEM;
            goto out;
        }
        lk__hex(raw, sizeof raw, newkey);
        key = newkey;
    }
    gal->index_trusted = key != NULL;
    snprintf(ukey, sizeof ukey, "%s:%.64s", u, key ? key : "");
    face->tag = make_tag("%s:%s:%d", ukey, model, dim);
    uuid = lk__strdup(ukey);
    vmodel = vm ? lk__strdup(vm) : NULL;
    if (!face->recorded || !face->tag || !uuid || (vm && !vmodel)) {
        st = LK_ERR_NOMEM;
        goto out;
    }
    face->ready = 1;
    /* Done with s before check_voice runs statements of its own. */
    sqlite3_finalize(s);
    s = NULL;
    if (newkey && (st = record_index_key(gal, newkey)) != LK_OK)
        goto out;
    st = check_voice(gal, uuid, vmodel, vdim, created);
    for (int m = 0; st == LK_OK && m < MOD_N; m++)
        st = calibration(gal, m);
out:
    sqlite3_finalize(s);
    free(uuid);
    free(vmodel);
    free(newkey);
    return st;
}

/* Create or check the schema and the recorded model. */
lk_status lk__gal_setup_schema(lk_gallery *gal, unsigned flags)
{
    lk_status rs;
    if (!gal->readonly && (rs = lk__gal_exec(gal, "BEGIN IMMEDIATE")) != LK_OK)
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
    if (!created && uv < SCHEMA_VERSION) {
        if (gal->readonly) {
            rs = lk__error(LK_ERR_DB, "%s: gallery schema %lld is older than "
                           "this library's %d; open it once writable (a scan, "
                           "an enrolment or any change) to "
                           "upgrade it", gal->db_path, (long long)uv,
                           SCHEMA_VERSION);
            goto out;
        }
        if ((rs = migrate(gal, (int)uv)) != LK_OK ||
            (rs = lk__gal_exec(gal, "UPDATE meta SET value = "
                               "(SELECT user_version FROM pragma_user_version) "
                               "WHERE key = 'schema'")) != LK_OK)
            goto out;
    }
    if ((rs = check_meta(gal, created)) != LK_OK)
        goto out;
    if (!gal->readonly)
        rs = lk__gal_commit(gal);
out:
    if (rs != LK_OK)
        lk__gal_rollback(gal);
    return rs;
}

/* Open the connection (read-only or not, as gal says) with the pragmas
 * every handle runs with. */
/* A read-only handle in a directory it cannot write (a read-only mount,
 * a directory of another user): SQLite's WAL needs the -shm file, which
 * a clean close deleted and nobody can create.  With no -wal file either,
 * gallery.db holds every commit and nothing can change it (no process can
 * write a log there), which is what immutable=1 says; with a -wal file
 * the changes in it cannot be read without the -shm, and that is said. */
static lk_status reopen_immutable(lk_gallery *gal)
{
    size_t n = strlen(gal->db_path);
    char *wal = lk__malloc(n + 8);
    if (!wal)
        return LK_ERR_NOMEM;
    snprintf(wal, n + 8, "%s-wal", gal->db_path);
    struct stat sb;
    int has_wal = stat(wal, &sb) == 0 && sb.st_size > 0;
    free(wal);
    if (has_wal)
        return lk__error(LK_ERR_IO, "%s: read-only, and its write-ahead log "
                         "cannot be read without %s-shm (which cannot be "
                         "created here): open it once where it is writable",
                         gal->db_path, gal->db_path);
    char *uri = sqlite3_mprintf("file:%s?immutable=1", gal->db_path);
    if (!uri)
        return LK_ERR_NOMEM;
    sqlite3_close(gal->db);
    gal->db = NULL;
    int rc = sqlite3_open_v2(uri, &gal->db, SQLITE_OPEN_FULLMUTEX |
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    sqlite3_free(uri);
    if (rc != SQLITE_OK)
        return gal->db ? lk__gal_db_fail(gal, "open (immutable)")
                       : lk__error(LK_ERR_NOMEM, "%s: out of memory opening",
                                   gal->db_path);
    lk__log(LK_LOG_INFO, "%s: read-only directory; opened as immutable",
            gal->db_path);
    return LK_OK;
}

lk_status lk__gal_db_open(lk_gallery *gal)
{
    lk_status rs;
    int oflags = SQLITE_OPEN_FULLMUTEX |
        (gal->readonly ? SQLITE_OPEN_READONLY
                       : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (sqlite3_open_v2(gal->db_path, &gal->db, oflags, NULL) != SQLITE_OK)
        return gal->db ? lk__gal_db_fail(gal, "open")
                       : lk__error(LK_ERR_NOMEM, "%s: out of memory opening",
                                   gal->db_path);
    if (gal->readonly && access(gal->dir, W_OK) != 0 &&
        sqlite3_exec(gal->db, "SELECT count(*) FROM sqlite_master", NULL,
                     NULL, NULL) == SQLITE_CANTOPEN &&
        (rs = reopen_immutable(gal)) != LK_OK)
        return rs;
    sqlite3_extended_result_codes(gal->db, 1);
    sqlite3_busy_timeout(gal->db, BUSY_TIMEOUT_MS);
    /* secure_delete: deleted rows and freed pages are overwritten with
     * zeros, so an erased embedding does not linger in free space. */
    /* temp_store: statement journals (which hold page images during a
     * cascade delete) stay in memory, not in temporary files. */
    if ((rs = lk__gal_exec(gal, "PRAGMA foreign_keys = ON; "
                           "PRAGMA secure_delete = ON; "
                           "PRAGMA temp_store = MEMORY")) != LK_OK)
        return rs;
    if (!gal->readonly) {
        /* A 512-float template is a 2 KiB row: 4 KiB pages would hold one
         * each, half empty.  Takes effect only on a new database, and only
         * before it turns to WAL. */
        if ((rs = lk__gal_exec(gal, "PRAGMA page_size = 16384")) != LK_OK)
            return rs;
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(gal->db, "PRAGMA journal_mode = WAL", -1, &s,
                               NULL) != SQLITE_OK)
            return lk__gal_db_fail(gal, "journal_mode");
        int ok = sqlite3_step(s) == SQLITE_ROW &&
                 !sqlite3_stricmp((const char *)sqlite3_column_text(s, 0),
                                  "wal");
        sqlite3_finalize(s);
        if (!ok)
            return lk__gal_db_fail(gal, "cannot switch to WAL");
        if ((rs = lk__gal_exec(gal, "PRAGMA synchronous = NORMAL")) != LK_OK)
            return rs;
        /* An erasure killed between its commit and its checkpoint left
         * the erased rows' old pages in gallery.db (the zeroed ones are
         * in the log): copy the log home now, as far as no reader needs
         * it.  Costs nothing when the log is empty. */
        sqlite3_wal_checkpoint_v2(gal->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                  NULL, NULL);
    }
    return LK_OK;
}
