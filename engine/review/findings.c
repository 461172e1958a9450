/*
 * findings.c — the findings store: a SQLite file of its own (content
 * findings, never the gallery's biometrics) that a monitoring team works
 * from.  A finding is keyed by the content (the file's SHA-256), the
 * performer, the modality and the time range (in a photo, the face), so
 * a rescan of the same content updates it (what the scan said now, where
 * it was seen) rather than adding another; its review state moves new ->
 * confirmed | dismissed -> notice-sent -> resolved, each change a row of
 * reviews with the reviewer, the time and a reason that is required.
 */
#include "core/core.h"
#include "core/names.h"
#include "core/utf8.h"
#include "match/result.h"
#include "report/report.h"

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#define STORE_VERSION 1
#define BUSY_TIMEOUT_MS 30000
#define MAX_REASON 4096

struct lk_findings {
    char *path;
    sqlite3 *db;
    int readonly;
    pthread_mutex_t mu;
};

static const char SCHEMA[] =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;\n"
    "CREATE TABLE findings (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  content_sha256 TEXT NOT NULL,\n"
    "  performer TEXT NOT NULL,\n"
    "  modality TEXT NOT NULL,\n"
    "  start_ms INTEGER NOT NULL,\n"
    "  end_ms INTEGER NOT NULL,\n"
    "  part INTEGER NOT NULL,      -- a photo's face index; 0 in time\n"
    "  media TEXT NOT NULL,\n"
    "  path TEXT NOT NULL,         -- where it was seen last\n"
    "  context TEXT,               -- the scan's context (JSON), last\n"
    "  score REAL NOT NULL,\n"
    "  fmr REAL,\n"
    "  verdict TEXT NOT NULL,\n"
    "  licence TEXT NOT NULL,\n"
    "  action TEXT NOT NULL,\n"
    "  finding TEXT NOT NULL,      -- the finding as the scan wrote it\n"
    "  provenance TEXT NOT NULL,   -- the file's provenance in brief\n"
    "  state TEXT NOT NULL DEFAULT 'new',\n"
    "  first_seen INTEGER NOT NULL,\n"
    "  last_seen INTEGER NOT NULL,\n"
    "  scans INTEGER NOT NULL DEFAULT 1,\n"
    "  UNIQUE (content_sha256, performer, modality, start_ms, end_ms, part)\n"
    ");\n"
    "CREATE INDEX findings_state ON findings (state, action);\n"
    "CREATE TABLE sightings (\n"
    "  finding INTEGER NOT NULL REFERENCES findings (id) ON DELETE CASCADE,\n"
    "  path TEXT NOT NULL,\n"
    "  context TEXT NOT NULL DEFAULT '',\n"
    "  first_seen INTEGER NOT NULL,\n"
    "  PRIMARY KEY (finding, path, context)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE reviews (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  finding INTEGER NOT NULL REFERENCES findings (id) ON DELETE CASCADE,\n"
    "  time INTEGER NOT NULL,\n"
    "  reviewer TEXT NOT NULL,\n"
    "  from_state TEXT NOT NULL,\n"
    "  to_state TEXT NOT NULL,\n"
    "  reason TEXT NOT NULL\n"
    ");\n"
    "CREATE INDEX reviews_finding ON reviews (finding);\n"
    "CREATE TABLE evidence (       -- what a reviewer looks at\n"
    "  finding INTEGER NOT NULL REFERENCES findings (id) ON DELETE CASCADE,\n"
    "  kind TEXT NOT NULL,         -- crop, context\n"
    "  type TEXT NOT NULL,         -- image/jpeg\n"
    "  data BLOB NOT NULL,\n"
    "  PRIMARY KEY (finding, kind)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TRIGGER reviews_append_only BEFORE UPDATE ON reviews BEGIN\n"
    "  SELECT RAISE(ABORT, 'reviews are never changed');\n"
    "END;\n";

static lk_status db_fail(lk_findings *fs, const char *what)
{
    return lk__error(LK_ERR_DB, "%s: %s: %s", fs->path, what,
                     sqlite3_errmsg(fs->db));
}

static lk_status exec(lk_findings *fs, const char *sql)
{
    return sqlite3_exec(fs->db, sql, NULL, NULL, NULL) == SQLITE_OK
               ? LK_OK : db_fail(fs, sql);
}

static sqlite3_stmt *prep(lk_findings *fs, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(fs->db, sql, -1, &s, NULL) != SQLITE_OK) {
        db_fail(fs, "preparing a query");
        return NULL;
    }
    return s;
}

static void rollback(lk_findings *fs)
{
    if (!sqlite3_get_autocommit(fs->db))
        sqlite3_exec(fs->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- states ------------------------------------------------------------------ */

#define LK__REVIEW_NAMES(X)                                                  \
    X(LK_REVIEW_NEW, "new")                                                  \
    X(LK_REVIEW_CONFIRMED, "confirmed")                                      \
    X(LK_REVIEW_DISMISSED, "dismissed")                                      \
    X(LK_REVIEW_NOTICE_SENT, "notice-sent")                                  \
    X(LK_REVIEW_RESOLVED, "resolved")

const char *lk_review_state_name(lk_review_state s)
{
#define CASE(v, n) case v: return n;
    switch (s) {
        LK__REVIEW_NAMES(CASE)
    }
#undef CASE
    return "unknown";
}

lk_status lk_review_state_from_name(const char *name, lk_review_state *out)
{
#define FROM(v, n)                                                           \
    if (name && !strcmp(name, n)) {                                          \
        *out = v;                                                            \
        return LK_OK;                                                        \
    }
    LK__REVIEW_NAMES(FROM)
#undef FROM
    return lk__error(LK_ERR_MISUSE, "'%s' is not a review state (new, "
                     "confirmed, dismissed, notice-sent, resolved)",
                     name ? name : "(null)");
}

/* The moves a review may make.  A dismissal can be taken back (confirmed);
 * a confirmed finding can still be dismissed before a notice goes; once
 * a notice is sent the case ends resolved. */
static int may_move(lk_review_state from, lk_review_state to)
{
    switch (from) {
    case LK_REVIEW_NEW:
        return to == LK_REVIEW_CONFIRMED || to == LK_REVIEW_DISMISSED;
    case LK_REVIEW_CONFIRMED:
        return to == LK_REVIEW_DISMISSED || to == LK_REVIEW_NOTICE_SENT;
    case LK_REVIEW_DISMISSED:
        return to == LK_REVIEW_CONFIRMED;
    case LK_REVIEW_NOTICE_SENT:
        return to == LK_REVIEW_RESOLVED;
    case LK_REVIEW_RESOLVED:
        return 0;
    }
    return 0;
}

/* ---- open and close ------------------------------------------------------------- */

lk_status lk_findings_open(const char *path, unsigned flags, lk_findings **out)
{
    if (!out)
        return lk__error(LK_ERR_MISUSE, "lk_findings_open: out is NULL");
    *out = NULL;
    if (!path || !*path)
        return lk__error(LK_ERR_MISUSE, "lk_findings_open: no path");
    const int ro = (flags & LK_FINDINGS_READONLY) != 0;
    if (ro && (flags & LK_FINDINGS_CREATE))
        return lk__error(LK_ERR_MISUSE, "%s: CREATE and READONLY together",
                         path);
    lk_findings *fs = lk__calloc(1, sizeof *fs);
    if (!fs || !(fs->path = lk__strdup(path))) {
        free(fs);
        return LK_ERR_NOMEM;
    }
    fs->readonly = ro;
    pthread_mutex_init(&fs->mu, NULL);
    int oflags = SQLITE_OPEN_FULLMUTEX |
                 (ro ? SQLITE_OPEN_READONLY
                     : SQLITE_OPEN_READWRITE |
                           (flags & LK_FINDINGS_CREATE ? SQLITE_OPEN_CREATE
                                                       : 0));
    lk_status rs = LK_OK;
    /* A new store is private (0600: it names reviewers and where content
     * was found); SQLite gives its -wal and -shm the same mode. */
    if (flags & LK_FINDINGS_CREATE) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0)
            close(fd);
    }
    if (sqlite3_open_v2(path, &fs->db, oflags, NULL) != SQLITE_OK) {
        rs = fs->db && sqlite3_errcode(fs->db) == SQLITE_CANTOPEN
                 ? lk__error(LK_ERR_NOT_FOUND, "%s: no findings store%s", path,
                             flags & LK_FINDINGS_CREATE ? " (cannot create "
                                                          "it)" : "")
                 : lk__error(LK_ERR_DB, "%s: %s", path,
                             fs->db ? sqlite3_errmsg(fs->db) : "out of memory");
        lk_findings_close(fs);
        return rs;
    }
    sqlite3_extended_result_codes(fs->db, 1);
    sqlite3_busy_timeout(fs->db, BUSY_TIMEOUT_MS);
    if ((rs = exec(fs, "PRAGMA foreign_keys = ON")) == LK_OK && !ro)
        rs = exec(fs, "PRAGMA journal_mode = WAL");
    sqlite3_stmt *s = rs == LK_OK ? prep(fs, "PRAGMA user_version") : NULL;
    int uv = s && sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_finalize(s);
    if (rs == LK_OK && uv < 0)
        rs = db_fail(fs, "reading the version");
    if (rs == LK_OK && uv == 0) {
        sqlite3_stmt *t = prep(fs, "SELECT count(*) FROM sqlite_master");
        int tables = t && sqlite3_step(t) == SQLITE_ROW
                         ? sqlite3_column_int(t, 0) : -1;
        sqlite3_finalize(t);
        if (tables != 0)
            rs = lk__error(LK_ERR_DB, "%s: not a Likeness findings store",
                           path);
        else if (ro || !(flags & LK_FINDINGS_CREATE))
            rs = lk__error(LK_ERR_NOT_FOUND, "%s: no findings store (record "
                           "a scan into it first)", path);
        else if ((rs = exec(fs, "BEGIN IMMEDIATE")) == LK_OK) {
            char v[64];
            snprintf(v, sizeof v, "PRAGMA user_version = %d", STORE_VERSION);
            if ((rs = exec(fs, SCHEMA)) == LK_OK)
                rs = exec(fs, v);
            rs = rs == LK_OK ? exec(fs, "COMMIT") : rs;
            rollback(fs);
        }
    } else if (rs == LK_OK && uv != STORE_VERSION) {
        rs = lk__error(LK_ERR_DB, "%s: findings store version %d, this "
                       "library reads %d", path, uv, STORE_VERSION);
    }
    if (rs != LK_OK) {
        lk_findings_close(fs);
        return rs;
    }
    *out = fs;
    return LK_OK;
}

void lk_findings_close(lk_findings *fs)
{
    if (!fs)
        return;
    sqlite3_close(fs->db);
    pthread_mutex_destroy(&fs->mu);
    free(fs->path);
    free(fs);
}

/* ---- recording a scan ------------------------------------------------------------ */

static int64_t ms(double s)
{
    return isfinite(s) ? (int64_t)llround(s * 1000.0) : 0;
}

static char *dumps(json_t *o)
{
    return o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
}

lk_status lk_findings_record(lk_findings *fs, const lk_scan_result *res,
                             const char *where, const char *context,
                             int *added, int *updated)
{
    int na = 0, nu = 0;
    if (added)
        *added = 0;
    if (updated)
        *updated = 0;
    if (!fs || !res)
        return lk__error(LK_ERR_MISUSE, "lk_findings_record: NULL argument");
    if (fs->readonly)
        return lk__error(LK_ERR_MISUSE, "%s: the findings store is open "
                         "read-only", fs->path);
    if (context && context[0]) {
        json_t *c = json_loads(context, 0, NULL);
        int ok = json_is_object(c);
        json_decref(c);
        if (!ok)
            return lk__error(LK_ERR_MISUSE, "%s: the context is not a JSON "
                             "object", fs->path);
    }
    if (!where)
        where = res->path ? res->path : "";
    int matched = 0;
    for (int i = 0; i < res->n_findings; i++)
        matched += res->findings[i].decision == LK_MATCH;
    if (!matched)
        return LK_OK;
    if (!res->sha256[0])
        return lk__error(LK_ERR_MISUSE, "%s: %s: the result has no content "
                         "hash", fs->path, where);
    const int64_t now = (int64_t)time(NULL);
    json_t *prov = json_object();
    if (res->provenance) {
        const lk_provenance *p = res->provenance;
        json_object_set_new(prov, "verdict",
                            json_string(lk_verdict_name(p->verdict)));
        json_object_set_new(prov, "c2pa", json_boolean(p->c2pa));
        json_object_set_new(prov, "signature",
                            json_string(lk_signature_name(p->signature)));
        json_object_set_new(prov, "binding",
                            json_string(lk_binding_name(p->binding)));
        if (p->source_type)
            json_object_set_new(prov, "source_type",
                                json_string(p->source_type));
        if (p->generator)
            json_object_set_new(prov, "generator", json_string(p->generator));
        const lk_prov_manifest *m = p->active >= 0
                                        ? lk_provenance_manifest(p, p->active)
                                        : NULL;
        if (m && m->signer)
            json_object_set_new(prov, "signer", json_string(m->signer));
        if (m && m->title)
            json_object_set_new(prov, "title", json_string(m->title));
        if (m && m->signer_key)
            json_object_set_new(prov, "signer_key",
                                json_string(m->signer_key));
    }
    char *prov_text = dumps(prov);
    json_decref(prov);
    if (!prov_text)
        return LK_ERR_NOMEM;
    pthread_mutex_lock(&fs->mu);
    lk_status rs = exec(fs, "BEGIN IMMEDIATE");
    sqlite3_stmt *up = rs == LK_OK ? prep(fs,
        "INSERT INTO findings (content_sha256, performer, modality, start_ms, "
        "end_ms, media, path, context, score, fmr, verdict, licence, action, "
        "finding, provenance, first_seen, last_seen, part) VALUES (?1, ?2, "
        "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16, "
        "?17) ON CONFLICT (content_sha256, performer, modality, start_ms, "
        "end_ms, part) "
        "DO UPDATE SET path = excluded.path, context = excluded.context, "
        "score = excluded.score, fmr = excluded.fmr, verdict = "
        "excluded.verdict, licence = excluded.licence, action = "
        "excluded.action, finding = excluded.finding, provenance = "
        "excluded.provenance, last_seen = excluded.last_seen, scans = scans + 1 "
        "RETURNING id, scans") : NULL;
    sqlite3_stmt *sight = up ? prep(fs,
        "INSERT OR IGNORE INTO sightings (finding, path, context, first_seen) "
        "VALUES (?1, ?2, coalesce(?3, ''), ?4)") : NULL;
    sqlite3_stmt *evid = sight ? prep(fs,
        "INSERT OR REPLACE INTO evidence (finding, kind, type, data) "
        "VALUES (?1, ?2, 'image/jpeg', ?3)") : NULL;
    if (rs == LK_OK && (!up || !sight || !evid))
        rs = LK_ERR_DB;
    for (int i = 0; rs == LK_OK && i < res->n_findings; i++) {
        const lk_finding *f = &res->findings[i];
        if (f->decision != LK_MATCH || !f->performer_id)
            continue;
        json_t *fo = lk__finding_json(res, i);
        char *fj = dumps(fo);
        json_decref(fo);
        if (!fj) {
            rs = LK_ERR_NOMEM;
            break;
        }
        sqlite3_bind_text(up, 1, res->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_text(up, 2, f->performer_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(up, 3, lk_modality_name(f->modality), -1,
                          SQLITE_STATIC);
        sqlite3_bind_int64(up, 4, ms(f->start));
        sqlite3_bind_int64(up, 5, ms(f->end));
        sqlite3_bind_text(up, 6, lk_media_kind_name(res->kind), -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(up, 7, where, -1, SQLITE_STATIC);
        if (context && context[0])
            sqlite3_bind_text(up, 8, context, -1, SQLITE_STATIC);
        sqlite3_bind_double(up, 9, f->score);
        if (f->fmr >= 0)
            sqlite3_bind_double(up, 10, f->fmr);
        sqlite3_bind_text(up, 11, lk_verdict_name(f->evidence.verdict), -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(up, 12, lk_licence_status_name(f->licence), -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(up, 13, lk_action_name(f->action), -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(up, 14, fj, -1, free);
        sqlite3_bind_text(up, 15, prov_text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(up, 16, now);
        /* two faces of one performer in a photo are two findings */
        sqlite3_bind_int(up, 17, res->kind == LK_MEDIA_IMAGE ? f->face_index
                                                             : 0);
        int rc = sqlite3_step(up);
        int64_t id = 0;
        if (rc == SQLITE_ROW) {
            id = sqlite3_column_int64(up, 0);
            if (sqlite3_column_int(up, 1) > 1)
                nu++;
            else
                na++;
            rc = sqlite3_step(up);
        }
        sqlite3_reset(up);
        sqlite3_clear_bindings(up);
        if (rc != SQLITE_DONE || !id) {
            rs = db_fail(fs, "recording a finding");
            break;
        }
        sqlite3_bind_int64(sight, 1, id);
        sqlite3_bind_text(sight, 2, where, -1, SQLITE_STATIC);
        if (context && context[0])
            sqlite3_bind_text(sight, 3, context, -1, SQLITE_STATIC);
        sqlite3_bind_int64(sight, 4, now);
        rc = sqlite3_step(sight);
        sqlite3_reset(sight);
        sqlite3_clear_bindings(sight);
        if (rc != SQLITE_DONE)
            rs = db_fail(fs, "recording where a finding was seen");
        /* the pictures a reviewer looks at, the latest scan's */
        const struct {
            const char *kind;
            const void *data;
            size_t n;
        } ev[2] = {{"crop", f->crop_jpeg, f->crop_jpeg_size},
                   {"context", res->context_jpeg, res->context_jpeg_size}};
        for (int k = 0; rs == LK_OK && k < 2; k++) {
            if (!ev[k].data || !ev[k].n)
                continue;
            sqlite3_bind_int64(evid, 1, id);
            sqlite3_bind_text(evid, 2, ev[k].kind, -1, SQLITE_STATIC);
            sqlite3_bind_blob64(evid, 3, ev[k].data, ev[k].n, SQLITE_STATIC);
            rc = sqlite3_step(evid);
            sqlite3_reset(evid);
            sqlite3_clear_bindings(evid);
            if (rc != SQLITE_DONE)
                rs = db_fail(fs, "recording a finding's evidence");
        }
    }
    sqlite3_finalize(up);
    sqlite3_finalize(sight);
    sqlite3_finalize(evid);
    if (rs == LK_OK)
        rs = exec(fs, "COMMIT");
    rollback(fs);
    pthread_mutex_unlock(&fs->mu);
    free(prov_text);
    if (rs == LK_OK) {
        if (added)
            *added = na;
        if (updated)
            *updated = nu;
    }
    return rs;
}

/* ---- review -------------------------------------------------------------------------- */

lk_status lk_findings_mark(lk_findings *fs, int64_t id, lk_review_state to,
                           const char *reviewer, const char *reason)
{
    if (!fs)
        return lk__error(LK_ERR_MISUSE, "lk_findings_mark: store is NULL");
    if (fs->readonly)
        return lk__error(LK_ERR_MISUSE, "%s: the findings store is open "
                         "read-only", fs->path);
    const char *why;
    if (!reviewer || (why = lk__utf8_check(reviewer, 256, 0)))
        return lk__error(LK_ERR_MISUSE, "finding %lld: the reviewer %s",
                         (long long)id, reviewer ? why : "is missing");
    if (!reason || (why = lk__utf8_check(reason, MAX_REASON, 1)))
        return lk__error(LK_ERR_MISUSE, "finding %lld: a reason is required "
                         "for every change of state%s%s", (long long)id,
                         reason ? ": it " : "", reason ? why : "");
    pthread_mutex_lock(&fs->mu);
    lk_status rs = exec(fs, "BEGIN IMMEDIATE");
    sqlite3_stmt *s = rs == LK_OK ? prep(fs, "SELECT state FROM findings "
                                             "WHERE id = ?1") : NULL;
    lk_review_state from = LK_REVIEW_NEW;
    if (rs == LK_OK && !s)
        rs = LK_ERR_DB;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            rs = lk_review_state_from_name(
                (const char *)sqlite3_column_text(s, 0), &from);
        else
            rs = rc == SQLITE_DONE
                     ? lk__error(LK_ERR_NOT_FOUND, "%s: no finding %lld",
                                 fs->path, (long long)id)
                     : db_fail(fs, "reading a finding");
        sqlite3_finalize(s);
    }
    if (rs == LK_OK && !may_move(from, to))
        rs = lk__error(LK_ERR_MISUSE, "finding %lld is %s: it cannot become "
                       "%s (new -> confirmed or dismissed; confirmed -> "
                       "notice-sent or dismissed; dismissed -> confirmed; "
                       "notice-sent -> resolved)", (long long)id,
                       lk_review_state_name(from), lk_review_state_name(to));
    if (rs == LK_OK && (s = prep(fs, "UPDATE findings SET state = ?2 WHERE "
                                     "id = ?1"))) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, lk_review_state_name(to), -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            rs = db_fail(fs, "changing a state");
        sqlite3_finalize(s);
    } else if (rs == LK_OK) {
        rs = LK_ERR_DB;
    }
    if (rs == LK_OK && (s = prep(fs, "INSERT INTO reviews (finding, time, "
                                     "reviewer, from_state, to_state, reason) "
                                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"))) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int64(s, 2, (int64_t)time(NULL));
        sqlite3_bind_text(s, 3, reviewer, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, lk_review_state_name(from), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, lk_review_state_name(to), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, reason, -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE)
            rs = db_fail(fs, "recording a review");
        sqlite3_finalize(s);
    } else if (rs == LK_OK) {
        rs = LK_ERR_DB;
    }
    if (rs == LK_OK)
        rs = exec(fs, "COMMIT");
    rollback(fs);
    pthread_mutex_unlock(&fs->mu);
    return rs;
}

/* ---- reading -------------------------------------------------------------------------- */

/* The row of a findings query (the columns of ROW_COLUMNS) as JSON. */
#define ROW_COLUMNS                                                          \
    "f.id, f.content_sha256, f.performer, f.modality, f.start_ms, "          \
    "f.end_ms, f.media, f.path, f.context, f.score, f.fmr, f.verdict, "      \
    "f.licence, f.action, f.finding, f.provenance, f.state, f.first_seen, "  \
    "f.last_seen, f.scans"

static json_t *row_json(sqlite3_stmt *s)
{
    char a[21], b[21];
    lk__format_time(sqlite3_column_int64(s, 17), a);
    lk__format_time(sqlite3_column_int64(s, 18), b);
    const char *ctx = (const char *)sqlite3_column_text(s, 8);
    json_t *o = json_pack(
        "{s:I,s:s,s:s,s:s,s:f,s:f,s:s,s:s,s:o,s:f,s:o,s:s,s:s,s:s,s:o,s:o,"
        "s:s,s:s,s:s,s:i}",
        "id", (json_int_t)sqlite3_column_int64(s, 0),
        "sha256", (const char *)sqlite3_column_text(s, 1),
        "performer", (const char *)sqlite3_column_text(s, 2),
        "modality", (const char *)sqlite3_column_text(s, 3),
        "start", sqlite3_column_int64(s, 4) / 1000.0,
        "end", sqlite3_column_int64(s, 5) / 1000.0,
        "type", (const char *)sqlite3_column_text(s, 6),
        "path", (const char *)sqlite3_column_text(s, 7),
        "context", ctx ? json_loads(ctx, 0, NULL) : json_null(),
        "score", sqlite3_column_double(s, 9),
        "fmr", sqlite3_column_type(s, 10) == SQLITE_NULL
                   ? json_null() : json_real(sqlite3_column_double(s, 10)),
        "verdict", (const char *)sqlite3_column_text(s, 11),
        "licence", (const char *)sqlite3_column_text(s, 12),
        "action", (const char *)sqlite3_column_text(s, 13),
        "finding", json_loads((const char *)sqlite3_column_text(s, 14), 0,
                              NULL),
        "provenance", json_loads((const char *)sqlite3_column_text(s, 15), 0,
                                 NULL),
        "state", (const char *)sqlite3_column_text(s, 16),
        "first_seen", a, "last_seen", b,
        "scans", sqlite3_column_int(s, 19));
    return o;
}

lk_status lk_findings_list(lk_findings *fs, const char *state,
                           const char *action, const char *performer,
                           char **json)
{
    if (!json)
        return lk__error(LK_ERR_MISUSE, "lk_findings_list: json is NULL");
    *json = NULL;
    if (!fs)
        return lk__error(LK_ERR_MISUSE, "lk_findings_list: store is NULL");
    lk_review_state st;
    if (state && lk_review_state_from_name(state, &st) != LK_OK)
        return LK_ERR_MISUSE;
    if (action && strcmp(action, "alert") && strcmp(action, "review") &&
        strcmp(action, "licensed"))
        return lk__error(LK_ERR_MISUSE, "'%s' is not an action (alert, "
                         "review, licensed)", action);
    pthread_mutex_lock(&fs->mu);
    sqlite3_stmt *s = prep(fs, "SELECT " ROW_COLUMNS " FROM findings f "
                               "WHERE (?1 IS NULL OR f.state = ?1) AND "
                               "(?2 IS NULL OR f.action = ?2) AND "
                               "(?3 IS NULL OR f.performer = ?3) "
                               "ORDER BY f.id");
    lk_status rs = s ? LK_OK : LK_ERR_DB;
    json_t *arr = json_array();
    if (s) {
        if (state)
            sqlite3_bind_text(s, 1, state, -1, SQLITE_STATIC);
        if (action)
            sqlite3_bind_text(s, 2, action, -1, SQLITE_STATIC);
        if (performer)
            sqlite3_bind_text(s, 3, performer, -1, SQLITE_STATIC);
        int rc;
        while (rs == LK_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
            json_t *o = row_json(s);
            if (!o || json_array_append_new(arr, o))
                rs = LK_ERR_NOMEM;
        }
        if (rs == LK_OK && rc != SQLITE_DONE)
            rs = db_fail(fs, "listing findings");
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&fs->mu);
    if (rs == LK_OK && !(*json = dumps(arr)))
        rs = LK_ERR_NOMEM;
    json_decref(arr);
    return rs;
}

lk_status lk_findings_get(lk_findings *fs, int64_t id, char **json)
{
    if (!json)
        return lk__error(LK_ERR_MISUSE, "lk_findings_get: json is NULL");
    *json = NULL;
    if (!fs)
        return lk__error(LK_ERR_MISUSE, "lk_findings_get: store is NULL");
    pthread_mutex_lock(&fs->mu);
    lk_status rs = exec(fs, "BEGIN");
    json_t *o = NULL;
    sqlite3_stmt *s = rs == LK_OK ? prep(fs, "SELECT " ROW_COLUMNS " FROM "
                                             "findings f WHERE f.id = ?1")
                                  : NULL;
    if (rs == LK_OK && !s)
        rs = LK_ERR_DB;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            o = row_json(s);
        rs = rc == SQLITE_ROW ? (o ? LK_OK : LK_ERR_NOMEM)
             : rc == SQLITE_DONE ? lk__error(LK_ERR_NOT_FOUND, "%s: no "
                                             "finding %lld", fs->path,
                                             (long long)id)
                                 : db_fail(fs, "reading a finding");
        sqlite3_finalize(s);
    }
    /* where it was seen, its reviews, the evidence kept */
    const char *sub[3] = {
        "SELECT path, context, first_seen FROM sightings WHERE finding = ?1 "
        "ORDER BY first_seen, path",
        "SELECT time, reviewer, from_state, to_state, reason FROM reviews "
        "WHERE finding = ?1 ORDER BY id",
        "SELECT kind, type, length(data) FROM evidence WHERE finding = ?1 "
        "ORDER BY kind"};
    static const char *const sub_key[3] = {"seen", "reviews", "evidence"};
    for (int k = 0; rs == LK_OK && k < 3; k++) {
        json_t *arr = json_array();
        json_object_set_new(o, sub_key[k], arr);
        if (!(s = prep(fs, sub[k]))) {
            rs = LK_ERR_DB;
            break;
        }
        sqlite3_bind_int64(s, 1, id);
        int rc;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            if (k == 2) {
                json_array_append_new(arr, json_pack(
                    "{s:s,s:s,s:I}", "kind",
                    (const char *)sqlite3_column_text(s, 0), "type",
                    (const char *)sqlite3_column_text(s, 1), "bytes",
                    (json_int_t)sqlite3_column_int64(s, 2)));
                continue;
            }
            char t[21];
            lk__format_time(sqlite3_column_int64(s, k ? 0 : 2), t);
            const char *c = (const char *)sqlite3_column_text(s, 1);
            json_t *e = k ? json_pack("{s:s,s:s,s:s,s:s,s:s}", "time", t,
                                      "reviewer",
                                      (const char *)sqlite3_column_text(s, 1),
                                      "from",
                                      (const char *)sqlite3_column_text(s, 2),
                                      "to",
                                      (const char *)sqlite3_column_text(s, 3),
                                      "reason",
                                      (const char *)sqlite3_column_text(s, 4))
                          : json_pack("{s:s,s:o,s:s}", "path",
                                      (const char *)sqlite3_column_text(s, 0),
                                      "context", c && *c ? json_loads(c, 0,
                                                                      NULL)
                                                         : json_null(),
                                      "first_seen", t);
            json_array_append_new(arr, e);
        }
        if (rc != SQLITE_DONE)
            rs = db_fail(fs, "reading a finding's history");
        sqlite3_finalize(s);
    }
    rollback(fs);
    pthread_mutex_unlock(&fs->mu);
    if (rs == LK_OK && !(*json = dumps(o)))
        rs = LK_ERR_NOMEM;
    json_decref(o);
    return rs;
}

lk_status lk_findings_evidence(lk_findings *fs, int64_t id, const char *kind,
                               uint8_t **data, size_t *size)
{
    if (!data || !size)
        return lk__error(LK_ERR_MISUSE, "lk_findings_evidence: NULL out");
    *data = NULL;
    *size = 0;
    if (!fs || !kind)
        return lk__error(LK_ERR_MISUSE, "lk_findings_evidence: NULL argument");
    pthread_mutex_lock(&fs->mu);
    sqlite3_stmt *s = prep(fs, "SELECT data FROM evidence WHERE finding = ?1 "
                               "AND kind = ?2");
    lk_status rs = s ? LK_OK : LK_ERR_DB;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            size_t n = (size_t)sqlite3_column_bytes(s, 0);
            const void *b = sqlite3_column_blob(s, 0);
            if ((*data = lk__malloc(n ? n : 1))) {
                memcpy(*data, b, n);
                *size = n;
            } else {
                rs = LK_ERR_NOMEM;
            }
        } else {
            rs = rc == SQLITE_DONE
                     ? lk__error(LK_ERR_NOT_FOUND, "%s: finding %lld has no "
                                 "%s kept", fs->path, (long long)id, kind)
                     : db_fail(fs, "reading evidence");
        }
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&fs->mu);
    return rs;
}
