/*
 * licence.c — licence records and standing refusals in gallery.db.
 *
 * A record is a row of licences (id, uuid, performer) and its versions,
 * rows of licence_versions that are only ever added (a trigger refuses an
 * UPDATE): an amendment or a revocation is a new version, and the highest
 * is the one in force.  A version's body is the canonical JSON of
 * consent/record.c.  Both go with their performer (ON DELETE CASCADE,
 * secure_delete), so an erasure takes them.  Nothing is cached: a scan
 * reads its performers' records when it resolves their findings, so a
 * change by any process is seen by the next scan of every other.
 */
#include "gallery/gallery_impl.h"
#include "consent/consent.h"
#include "core/grow.h"
#include "core/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_FORMAT "likeness-consent"
#define EXPORT_VERSION 1

/* ---- statements ------------------------------------------------------------------- */

/* Prepare sql on gal's connection; NULL (recorded) on failure. */
static sqlite3_stmt *prep(lk_gallery *gal, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(gal->db, sql, -1, &s, NULL) != SQLITE_OK) {
        lk__gal_db_fail(gal, "preparing a licence query");
        return NULL;
    }
    return s;
}

static lk_status step_done(lk_gallery *gal, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? LK_OK : lk__gal_db_fail(gal, what);
}

static lk_status begin(lk_gallery *gal, const char *what)
{
    lk_status rs = lk__gal_check_writable(gal, what);
    if (rs != LK_OK)
        return rs;
    pthread_mutex_lock(&gal->mu);
    rs = lk__gal_exec(gal, "BEGIN IMMEDIATE");
    if (rs != LK_OK)
        pthread_mutex_unlock(&gal->mu);
    return rs;
}

/* Commit when rs is LK_OK, else roll back; unlock. */
static lk_status finish(lk_gallery *gal, lk_status rs)
{
    if (rs == LK_OK)
        rs = lk__gal_commit(gal);
    lk__gal_rollback(gal);
    pthread_mutex_unlock(&gal->mu);
    return rs;
}

static lk_status audit(lk_gallery *gal, const char *action,
                       const char *performer, int64_t id, int version)
{
    char d[96];
    snprintf(d, sizeof d, "licence %lld version %d", (long long)id, version);
    return lk__gal_audit_row(gal, action, performer, d);
}

/* ---- one record's current state ----------------------------------------------------- */

typedef struct current {
    int64_t perf_row;
    char *performer;           /* external id */
    int version;               /* highest */
    char *body;
} current;

static void current_free(current *c)
{
    free(c->performer);
    free(c->body);
}

static lk_status load_current(lk_gallery *gal, int64_t id, current *c)
{
    memset(c, 0, sizeof *c);
    sqlite3_stmt *s = prep(gal,
        "SELECT l.performer, p.ext_id, v.version, v.body FROM licences l "
        "JOIN performers p ON p.id = l.performer "
        "JOIN licence_versions v ON v.licence = l.id "
        "WHERE l.id = ?1 ORDER BY v.version DESC LIMIT 1");
    if (!s)
        return LK_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    lk_status rs = LK_OK;
    if (rc == SQLITE_ROW) {
        c->perf_row = sqlite3_column_int64(s, 0);
        c->performer = lk__strdup((const char *)sqlite3_column_text(s, 1));
        c->version = sqlite3_column_int(s, 2);
        c->body = lk__strdup((const char *)sqlite3_column_text(s, 3));
        if (!c->performer || !c->body)
            rs = LK_ERR_NOMEM;
    } else if (rc == SQLITE_DONE) {
        rs = lk__error(LK_ERR_NOT_FOUND, "%s: no licence record %lld",
                       gal->dir, (long long)id);
    } else {
        rs = lk__gal_db_fail(gal, "reading a licence");
    }
    sqlite3_finalize(s);
    if (rs != LK_OK)
        current_free(c);
    return rs;
}

static lk_status insert_version(lk_gallery *gal, int64_t id, int version,
                                const lk__licence *l, int64_t created)
{
    char *text = lk__licence_text(l);
    if (!text)
        return LK_ERR_NOMEM;
    sqlite3_stmt *s = prep(gal, "INSERT INTO licence_versions (licence, "
                                "version, body, created) VALUES (?1, ?2, ?3, ?4)");
    if (!s) {
        free(text);
        return LK_ERR_DB;
    }
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int(s, 2, version);
    sqlite3_bind_text(s, 3, text, -1, free);
    sqlite3_bind_int64(s, 4, created);
    return step_done(gal, s, "writing a licence version");
}

/* A new record's row for performer row perf (uuid NULL: a new one). */
static lk_status insert_record(lk_gallery *gal, int64_t perf, const char *uuid,
                               int64_t created, int64_t *id)
{
    sqlite3_stmt *s = prep(gal, "INSERT INTO licences (uuid, performer, "
                                "created) VALUES (coalesce(?1, "
                                "lower(hex(randomblob(16)))), ?2, ?3)");
    if (!s)
        return LK_ERR_DB;
    if (uuid)
        sqlite3_bind_text(s, 1, uuid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, perf);
    sqlite3_bind_int64(s, 3, created);
    lk_status rs = step_done(gal, s, "writing a licence");
    *id = sqlite3_last_insert_rowid(gal->db);
    return rs;
}

static lk_status refusal_of(lk_gallery *gal, int64_t perf, unsigned *never,
                            int64_t *since)
{
    *never = 0;
    *since = 0;
    sqlite3_stmt *s = prep(gal, "SELECT uses, since FROM refusals "
                                "WHERE performer = ?1");
    if (!s)
        return LK_ERR_DB;
    sqlite3_bind_int64(s, 1, perf);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *never = (unsigned)sqlite3_column_int64(s, 0);
        *since = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? LK_OK : lk__gal_db_fail(gal, "reading a refusal");
}

/* A new version l may be written for performer row perf: the performer
 * must not refuse any of its uses. */
static lk_status check_refusal(lk_gallery *gal, int64_t perf,
                               const lk__licence *l)
{
    unsigned never;
    int64_t since;
    lk_status rs = refusal_of(gal, perf, &never, &since);
    if (rs != LK_OK || !(never & l->uses) || l->revoked)
        return rs;
    char u[256];
    lk__uses_text(never & l->uses, ", ", u, sizeof u);
    return lk__error(LK_ERR_MISUSE, "%s: performer \"%s\" refuses %s (a "
                     "standing refusal): a licence cannot grant it; the "
                     "performer must change the refusal first (likeness "
                     "policy)", gal->dir, l->performer, u);
}

/* ---- the public calls ----------------------------------------------------------------- */

lk_status lk_licence_add(lk_gallery *gal, const char *json, int64_t *id)
{
    if (!id)
        return lk__error(LK_ERR_MISUSE, "lk_licence_add: id is NULL");
    *id = 0;
    if (!json)
        return lk__error(LK_ERR_MISUSE, "lk_licence_add: json is NULL");
    lk__licence *l;
    lk_status rs = lk__licence_parse(json, NULL, "licence", 0, &l);
    if (rs != LK_OK)
        return rs;
    if ((rs = begin(gal, "add a licence")) != LK_OK) {
        lk__licence_free(l);
        return rs;
    }
    int64_t perf, rid = 0;
    const int64_t now = lk__gal_now_s();
    if ((rs = lk__gal_find_perf(gal, l->performer, &perf, NULL, NULL)) ==
            LK_OK &&
        (rs = check_refusal(gal, perf, l)) == LK_OK &&
        (rs = insert_record(gal, perf, NULL, now, &rid)) == LK_OK &&
        (rs = insert_version(gal, rid, 1, l, now)) == LK_OK)
        rs = audit(gal, "licence-add", l->performer, rid, 1);
    rs = finish(gal, rs);
    if (rs == LK_OK)
        *id = rid;
    lk__licence_free(l);
    return rs;
}

/* Write version cur.version + 1 of record id from l (checked by caller). */
static lk_status supersede(lk_gallery *gal, int64_t id, const current *cur,
                           const lk__licence *l, const char *action,
                           int *version)
{
    if (strcmp(l->performer, cur->performer))
        return lk__error(LK_ERR_MISUSE, "licence %lld: field \"performer\": "
                         "a record's performer cannot change (it is \"%s\")",
                         (long long)id, cur->performer);
    lk_status rs = check_refusal(gal, cur->perf_row, l);
    if (rs == LK_OK)
        rs = insert_version(gal, id, cur->version + 1, l, lk__gal_now_s());
    if (rs == LK_OK)
        rs = audit(gal, action, cur->performer, id, cur->version + 1);
    if (rs == LK_OK && version)
        *version = cur->version + 1;
    return rs;
}

static int body_revoked(const char *body)
{
    json_t *o = json_loads(body, 0, NULL);
    const char *st = json_string_value(json_object_get(o, "status"));
    int r = st && !strcmp(st, "revoked");
    json_decref(o);
    return r;
}

lk_status lk_licence_amend(lk_gallery *gal, int64_t id, const char *json,
                           int *version)
{
    if (version)
        *version = 0;
    if (!json)
        return lk__error(LK_ERR_MISUSE, "lk_licence_amend: json is NULL");
    char what[64];
    snprintf(what, sizeof what, "licence %lld", (long long)id);
    lk__licence *l;
    lk_status rs = lk__licence_parse(json, NULL, what, 0, &l);
    if (rs != LK_OK)
        return rs;
    if ((rs = begin(gal, "amend a licence")) != LK_OK) {
        lk__licence_free(l);
        return rs;
    }
    current cur;
    if ((rs = load_current(gal, id, &cur)) == LK_OK) {
        rs = body_revoked(cur.body)
                 ? lk__error(LK_ERR_MISUSE, "%s: licence %lld is revoked: "
                             "add a new record instead", gal->dir,
                             (long long)id)
                 : supersede(gal, id, &cur, l, "licence-amend", version);
        current_free(&cur);
    }
    lk__licence_free(l);
    return finish(gal, rs);
}

lk_status lk_licence_revoke(lk_gallery *gal, int64_t id, int64_t at,
                            const char *reason)
{
    lk_status rs = begin(gal, "revoke a licence");
    if (rs != LK_OK)
        return rs;
    current cur;
    if ((rs = load_current(gal, id, &cur)) != LK_OK)
        return finish(gal, rs);
    json_t *o = json_loads(cur.body, 0, NULL);
    char t[21];
    lk__format_time(at > 0 ? at : lk__gal_now_s(), t);
    lk__licence *l = NULL;
    char what[64];
    snprintf(what, sizeof what, "licence %lld", (long long)id);
    if (!o) {
        rs = lk__error(LK_ERR_DB, "%s: licence %lld: stored body unreadable",
                       gal->db_path, (long long)id);
    } else if (body_revoked(cur.body)) {
        rs = lk__error(LK_ERR_MISUSE, "%s: licence %lld is already revoked",
                       gal->dir, (long long)id);
    } else if (json_object_set_new(o, "status", json_string("revoked")) ||
               json_object_set_new(o, "revoked_at", json_string(t)) ||
               (reason && json_object_set_new(o, "revocation_reason",
                                              json_string(reason)))) {
        rs = LK_ERR_NOMEM;
    } else if ((rs = lk__licence_parse(NULL, o, what, 1, &l)) == LK_OK) {
        rs = supersede(gal, id, &cur, l, "licence-revoke", NULL);
    }
    json_decref(o);
    lk__licence_free(l);
    current_free(&cur);
    return finish(gal, rs);
}

/* The record's metadata added to a version's body. */
static json_t *with_meta(const char *body, int64_t id, const char *uuid,
                         int version, int64_t created, int latest)
{
    json_t *o = json_loads(body, 0, NULL);
    if (!o)
        return NULL;
    char t[21];
    lk__format_time(created, t);
    json_object_set_new(o, "id", json_integer(id));
    json_object_set_new(o, "uuid", json_string(uuid));
    json_object_set_new(o, "version", json_integer(version));
    json_object_set_new(o, "created", json_string(t));
    json_object_set_new(o, "superseded", json_boolean(version < latest));
    return o;
}

static char *dump(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return s;
}

lk_status lk_licence_get(lk_gallery *gal, int64_t id, int version, char **json)
{
    if (!json)
        return lk__error(LK_ERR_MISUSE, "lk_licence_get: json is NULL");
    *json = NULL;
    if (!gal)
        return lk__error(LK_ERR_MISUSE, "lk_licence_get: gallery is NULL");
    pthread_mutex_lock(&gal->mu);
    sqlite3_stmt *s = prep(gal,
        "SELECT l.uuid, v.version, v.body, v.created, (SELECT max(version) "
        "FROM licence_versions WHERE licence = l.id) FROM licences l "
        "JOIN licence_versions v ON v.licence = l.id WHERE l.id = ?1 "
        "AND (v.version = ?2 OR ?2 = 0) ORDER BY v.version DESC LIMIT 1");
    lk_status rs = s ? LK_OK : LK_ERR_DB;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_int(s, 2, version);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            *json = dump(with_meta((const char *)sqlite3_column_text(s, 2), id,
                                   (const char *)sqlite3_column_text(s, 0),
                                   sqlite3_column_int(s, 1),
                                   sqlite3_column_int64(s, 3),
                                   sqlite3_column_int(s, 4)));
            rs = *json ? LK_OK : LK_ERR_NOMEM;
        } else if (rc == SQLITE_DONE) {
            rs = version ? lk__error(LK_ERR_NOT_FOUND, "%s: no licence record "
                                     "%lld version %d", gal->dir,
                                     (long long)id, version)
                         : lk__error(LK_ERR_NOT_FOUND, "%s: no licence "
                                     "record %lld", gal->dir, (long long)id);
        } else {
            rs = lk__gal_db_fail(gal, "reading a licence");
        }
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&gal->mu);
    return rs;
}

/* Select the performer's row (or all, performer NULL) or fail naming it. */
static lk_status perf_filter(lk_gallery *gal, const char *performer,
                             int64_t *row)
{
    *row = 0;
    return performer ? lk__gal_find_perf(gal, performer, row, NULL, NULL)
                     : LK_OK;
}

lk_status lk_licence_list(lk_gallery *gal, const char *performer, char **json)
{
    if (!json)
        return lk__error(LK_ERR_MISUSE, "lk_licence_list: json is NULL");
    *json = NULL;
    if (!gal)
        return lk__error(LK_ERR_MISUSE, "lk_licence_list: gallery is NULL");
    pthread_mutex_lock(&gal->mu);
    int64_t row;
    lk_status rs = perf_filter(gal, performer, &row);
    sqlite3_stmt *s = rs == LK_OK ? prep(gal,
        "SELECT l.id, l.uuid, v.version, v.body, v.created FROM licences l "
        "JOIN licence_versions v ON v.licence = l.id AND v.version = "
        "(SELECT max(version) FROM licence_versions WHERE licence = l.id) "
        "WHERE ?1 = 0 OR l.performer = ?1 ORDER BY l.id") : NULL;
    json_t *arr = json_array();
    if (rs == LK_OK && !s)
        rs = LK_ERR_DB;
    if (s) {
        sqlite3_bind_int64(s, 1, row);
        int rc;
        while (rs == LK_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
            const int v = sqlite3_column_int(s, 2);
            json_t *o = with_meta((const char *)sqlite3_column_text(s, 3),
                                  sqlite3_column_int64(s, 0),
                                  (const char *)sqlite3_column_text(s, 1), v,
                                  sqlite3_column_int64(s, 4), v);
            if (!o || json_array_append_new(arr, o))
                rs = LK_ERR_NOMEM;
        }
        if (rs == LK_OK && rc != SQLITE_DONE)
            rs = lk__gal_db_fail(gal, "listing licences");
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&gal->mu);
    if (rs == LK_OK && !(*json = dump(arr)))
        rs = LK_ERR_NOMEM;
    else if (rs != LK_OK)
        json_decref(arr);
    return rs;
}

lk_status lk_licence_export(lk_gallery *gal, const char *performer,
                            char **json)
{
    if (!json)
        return lk__error(LK_ERR_MISUSE, "lk_licence_export: json is NULL");
    *json = NULL;
    if (!gal)
        return lk__error(LK_ERR_MISUSE, "lk_licence_export: gallery is NULL");
    pthread_mutex_lock(&gal->mu);
    /* One read transaction: the records and refusals of one moment. */
    int64_t row;
    lk_status rs = lk__gal_exec(gal, "BEGIN");
    if (rs == LK_OK)
        rs = perf_filter(gal, performer, &row);
    json_t *recs = json_array(), *refs = json_array(), *rec = NULL;
    int64_t last = 0;
    sqlite3_stmt *s = rs == LK_OK ? prep(gal,
        "SELECT l.id, l.uuid, p.ext_id, l.created, v.version, v.body, "
        "v.created FROM licences l JOIN performers p ON p.id = l.performer "
        "JOIN licence_versions v ON v.licence = l.id "
        "WHERE ?1 = 0 OR l.performer = ?1 ORDER BY l.id, v.version") : NULL;
    if (rs == LK_OK && !s)
        rs = LK_ERR_DB;
    if (s)
        sqlite3_bind_int64(s, 1, row);
    int rc = SQLITE_DONE;
    while (s && rs == LK_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        char t[21];
        if (sqlite3_column_int64(s, 0) != last) {
            last = sqlite3_column_int64(s, 0);
            lk__format_time(sqlite3_column_int64(s, 3), t);
            rec = json_pack("{s:s,s:s,s:s,s:[]}",
                            "uuid", (const char *)sqlite3_column_text(s, 1),
                            "performer",
                            (const char *)sqlite3_column_text(s, 2),
                            "created", t, "versions");
            if (!rec || json_array_append_new(recs, rec)) {
                rs = LK_ERR_NOMEM;
                break;
            }
        }
        json_t *body = json_loads((const char *)sqlite3_column_text(s, 5), 0,
                                  NULL);
        lk__format_time(sqlite3_column_int64(s, 6), t);
        json_t *v = json_pack("{s:i,s:s,s:o}", "version",
                              sqlite3_column_int(s, 4), "created", t, "body",
                              body ? body : json_null());
        if (!v || json_array_append_new(json_object_get(rec, "versions"), v))
            rs = LK_ERR_NOMEM;
    }
    if (s && rs == LK_OK && rc != SQLITE_DONE)
        rs = lk__gal_db_fail(gal, "exporting licences");
    sqlite3_finalize(s);
    s = rs == LK_OK ? prep(gal, "SELECT p.ext_id, r.uses, r.since FROM "
                                "refusals r JOIN performers p ON p.id = "
                                "r.performer WHERE ?1 = 0 OR r.performer = ?1 "
                                "ORDER BY p.ext_id") : NULL;
    if (rs == LK_OK && !s)
        rs = LK_ERR_DB;
    if (s)
        sqlite3_bind_int64(s, 1, row);
    while (s && rs == LK_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        char t[21];
        lk__format_time(sqlite3_column_int64(s, 2), t);
        json_t *r = json_pack("{s:s,s:o,s:s}", "performer",
                              (const char *)sqlite3_column_text(s, 0), "never",
                              lk__uses_json(
                                  (unsigned)sqlite3_column_int64(s, 1)),
                              "since", t);
        if (!r || json_array_append_new(refs, r))
            rs = LK_ERR_NOMEM;
    }
    if (s && rs == LK_OK && rc != SQLITE_DONE)
        rs = lk__gal_db_fail(gal, "exporting refusals");
    sqlite3_finalize(s);
    lk__gal_rollback(gal);
    pthread_mutex_unlock(&gal->mu);
    if (rs == LK_OK) {
        char t[21];
        lk__format_time(lk__gal_now_s(), t);
        *json = dump(json_pack("{s:s,s:i,s:s,s:o,s:o}", "format",
                               EXPORT_FORMAT, "format_version", EXPORT_VERSION,
                               "exported", t, "licences", recs, "refusals",
                               refs));
        return *json ? LK_OK : LK_ERR_NOMEM;
    }
    json_decref(recs);
    json_decref(refs);
    return rs;
}

/* ---- import --------------------------------------------------------------------------- */

static int64_t time_field(json_t *o, const char *key, int64_t dflt)
{
    int64_t t;
    const char *s = json_string_value(json_object_get(o, key));
    return s && lk__parse_date(s, &t) == 0 ? t : dflt;
}

/* One exported record into the gallery. */
static lk_status import_record(lk_gallery *gal, json_t *rec, size_t ri,
                               int *records, int *versions)
{
    const char *uuid = json_string_value(json_object_get(rec, "uuid"));
    const char *perf = json_string_value(json_object_get(rec, "performer"));
    json_t *vs = json_object_get(rec, "versions");
    if (!uuid || strlen(uuid) != 32 ||
        strspn(uuid, "0123456789abcdef") != 32 ||
        !perf || !json_is_array(vs) || json_array_size(vs) == 0)
        return lk__error(LK_ERR_FORMAT, "import: licences[%zu]: needs "
                         "\"uuid\" "
                         "(32 lower-case hex digits), \"performer\" and "
                         "\"versions\" (a non-empty list)", ri);
    int64_t prow;
    lk_status rs = lk__gal_find_perf(gal, perf, &prow, NULL, NULL);
    if (rs != LK_OK)
        return rs;
    /* The record here, if any, and how many versions it has. */
    int64_t id = 0;
    int have = 0;
    sqlite3_stmt *s = prep(gal, "SELECT l.id, l.performer, (SELECT "
                                "max(version) FROM licence_versions WHERE "
                                "licence = l.id) FROM licences l WHERE "
                                "l.uuid = ?1");
    if (!s)
        return LK_ERR_DB;
    sqlite3_bind_text(s, 1, uuid, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(s, 0);
        have = sqlite3_column_int(s, 2);
        if (sqlite3_column_int64(s, 1) != prow)
            rs = lk__error(LK_ERR_EXISTS, "import: licence %s belongs to "
                           "another performer here than \"%s\"", uuid, perf);
    } else if (rc != SQLITE_DONE) {
        rs = lk__gal_db_fail(gal, "finding a licence");
    }
    sqlite3_finalize(s);
    if (rs != LK_OK)
        return rs;
    const int64_t created = time_field(rec, "created", lk__gal_now_s());
    if (!id) {
        if ((rs = insert_record(gal, prow, uuid, created, &id)) != LK_OK)
            return rs;
        ++*records;
    }
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v) {
        const int ver = (int)json_integer_value(json_object_get(v, "version"));
        char what[128];
        snprintf(what, sizeof what, "import: licence %s version %d", uuid,
                 ver);
        if (ver != (int)i + 1)
            return lk__error(LK_ERR_FORMAT, "%s: versions must run 1, 2, … "
                             "in order (found %d at place %zu)", what, ver,
                             i + 1);
        lk__licence *l;
        if ((rs = lk__licence_parse(NULL, json_object_get(v, "body"), what, 1,
                                    &l)) != LK_OK)
            return rs;
        if (strcmp(l->performer, perf)) {
            lk__licence_free(l);
            return lk__error(LK_ERR_FORMAT, "%s: field \"performer\": \"%s\", "
                             "not the record's \"%s\"", what, l->performer,
                             perf);
        }
        if (ver <= have) {
            /* Held already: it must be the same version. */
            char *mine = NULL, *theirs = lk__licence_text(l);
            sqlite3_stmt *q = prep(gal, "SELECT body FROM licence_versions "
                                        "WHERE licence = ?1 AND version = ?2");
            if (q) {
                sqlite3_bind_int64(q, 1, id);
                sqlite3_bind_int(q, 2, ver);
                if (sqlite3_step(q) == SQLITE_ROW)
                    mine = lk__strdup((const char *)sqlite3_column_text(q, 0));
                sqlite3_finalize(q);
            }
            rs = !q ? LK_ERR_DB
                 : !mine || !theirs ? LK_ERR_NOMEM
                 : strcmp(mine, theirs)
                     ? lk__error(LK_ERR_EXISTS, "%s: differs from the version "
                                 "%d held here (record %lld): versions are "
                                 "never changed; nothing imported", what, ver,
                                 (long long)id)
                     : LK_OK;
            free(mine);
            free(theirs);
        } else {
            rs = insert_version(gal, id, ver, l,
                                time_field(v, "created", lk__gal_now_s()));
            if (rs == LK_OK)
                rs = audit(gal, "licence-import", perf, id, ver);
            if (rs == LK_OK)
                ++*versions;
        }
        lk__licence_free(l);
        if (rs != LK_OK)
            return rs;
    }
    return LK_OK;
}

static lk_status set_refusal(lk_gallery *gal, int64_t prow, unsigned never,
                             int64_t since)
{
    sqlite3_stmt *s = never
        ? prep(gal, "INSERT INTO refusals (performer, uses, since) VALUES "
                    "(?1, ?2, ?3) ON CONFLICT (performer) DO UPDATE SET "
                    "uses = excluded.uses, since = excluded.since")
        : prep(gal, "DELETE FROM refusals WHERE performer = ?1");
    if (!s)
        return LK_ERR_DB;
    sqlite3_bind_int64(s, 1, prow);
    if (never) {
        sqlite3_bind_int64(s, 2, never);
        sqlite3_bind_int64(s, 3, since);
    }
    return step_done(gal, s, "writing a refusal");
}

static lk_status import_refusal(lk_gallery *gal, json_t *r, size_t ri)
{
    const char *perf = json_string_value(json_object_get(r, "performer"));
    json_t *never = json_object_get(r, "never");
    int64_t since;
    const char *ss = json_string_value(json_object_get(r, "since"));
    if (!perf || !json_is_array(never) || !ss ||
        lk__parse_date(ss, &since) != 0)
        return lk__error(LK_ERR_FORMAT, "import: refusals[%zu]: needs "
                         "\"performer\", \"never\" (a list of uses) and "
                         "\"since\" (a date)", ri);
    unsigned set = 0;
    size_t i;
    json_t *u;
    json_array_foreach(never, i, u) {
        unsigned b;
        const char *name = json_string_value(u);
        if (!name || lk_uses_parse(name, &b) != LK_OK)
            return lk__error(LK_ERR_FORMAT, "import: refusals[%zu]: "
                             "never[%zu] "
                             "is not a use (%s)", ri, i, lk__use_vocabulary());
        set |= b;
    }
    int64_t prow, have_since;
    unsigned have;
    lk_status rs;
    if ((rs = lk__gal_find_perf(gal, perf, &prow, NULL, NULL)) != LK_OK ||
        (rs = refusal_of(gal, prow, &have, &have_since)) != LK_OK)
        return rs;
    if (since <= have_since)
        return LK_OK;          /* ours is as new or newer */
    char d[320];
    lk__uses_text(set, ", ", d, sizeof d);
    if ((rs = set_refusal(gal, prow, set, since)) == LK_OK)
        rs = lk__gal_audit_row(gal, "policy-import", perf, d);
    return rs;
}

lk_status lk_licence_import(lk_gallery *gal, const char *json, int *records,
                            int *versions)
{
    int nr = 0, nv = 0;
    if (records)
        *records = 0;
    if (versions)
        *versions = 0;
    if (!json)
        return lk__error(LK_ERR_MISUSE, "lk_licence_import: json is NULL");
    json_error_t je;
    json_t *doc = json_loads(json, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        return lk__error(LK_ERR_FORMAT, "import: not JSON: %s (line %d, "
                         "column %d)", je.text, je.line, je.column);
    const char *fmt = json_string_value(json_object_get(doc, "format"));
    json_t *recs = json_object_get(doc, "licences");
    json_t *refs = json_object_get(doc, "refusals");
    if (!fmt || strcmp(fmt, EXPORT_FORMAT) ||
        json_integer_value(json_object_get(doc, "format_version")) !=
            EXPORT_VERSION ||
        (recs && !json_is_array(recs)) || (refs && !json_is_array(refs))) {
        json_decref(doc);
        return lk__error(LK_ERR_FORMAT, "import: not a %s document of format "
                         "version %d (what likeness consent export writes)",
                         EXPORT_FORMAT, EXPORT_VERSION);
    }
    lk_status rs = begin(gal, "import licences");
    size_t i;
    json_t *e;
    if (rs == LK_OK) {
        json_array_foreach(recs, i, e)
            if (rs == LK_OK)
                rs = import_record(gal, e, i, &nr, &nv);
        json_array_foreach(refs, i, e)
            if (rs == LK_OK)
                rs = import_refusal(gal, e, i);
        rs = finish(gal, rs);
    }
    json_decref(doc);
    if (rs == LK_OK) {
        if (records)
            *records = nr;
        if (versions)
            *versions = nv;
    }
    return rs;
}

/* ---- standing refusals ---------------------------------------------------------------- */

lk_status lk_policy_set(lk_gallery *gal, const char *performer, unsigned never)
{
    const unsigned all = LK__USE_ALL;
    if (!performer)
        return lk__error(LK_ERR_MISUSE, "lk_policy_set: performer is NULL");
    if (never & ~all)
        return lk__error(LK_ERR_MISUSE, "lk_policy_set: 0x%x holds bits that "
                         "are no use", never & ~all);
    lk_status rs = begin(gal, "set a refusal");
    if (rs != LK_OK)
        return rs;
    int64_t prow;
    char d[320];
    lk__uses_text(never, ", ", d, sizeof d);
    if ((rs = lk__gal_find_perf(gal, performer, &prow, NULL, NULL)) == LK_OK &&
        (rs = set_refusal(gal, prow, never, lk__gal_now_s())) == LK_OK)
        rs = lk__gal_audit_row(gal, never ? "policy" : "policy-clear",
                               performer, never ? d : NULL);
    return finish(gal, rs);
}

lk_status lk_policy_get(lk_gallery *gal, const char *performer,
                        unsigned *never, int64_t *since)
{
    unsigned n = 0;
    int64_t t = 0;
    if (never)
        *never = 0;
    if (since)
        *since = 0;
    if (!gal || !performer)
        return lk__error(LK_ERR_MISUSE, "lk_policy_get: NULL argument");
    pthread_mutex_lock(&gal->mu);
    int64_t prow;
    lk_status rs = lk__gal_find_perf(gal, performer, &prow, NULL, NULL);
    if (rs == LK_OK)
        rs = refusal_of(gal, prow, &n, &t);
    pthread_mutex_unlock(&gal->mu);
    if (rs == LK_OK) {
        if (never)
            *never = n;
        if (since)
            *since = t;
    }
    return rs;
}

/* ---- for the scan ----------------------------------------------------------------------- */

lk_status lk__gallery_consent(lk_gallery *gal, const char *performer,
                              lk__consent_set **out)
{
    *out = NULL;
    lk__consent_set *cs = lk__calloc(1, sizeof *cs);
    if (!cs)
        return LK_ERR_NOMEM;
    pthread_mutex_lock(&gal->mu);
    int64_t prow;
    lk_status rs = lk__gal_find_perf(gal, performer, &prow, NULL, NULL);
    if (rs == LK_ERR_NOT_FOUND) {      /* erased since the search found it */
        lk__error_clear();
        pthread_mutex_unlock(&gal->mu);
        lk__consent_set_free(cs);
        return LK_OK;
    }
    if (rs == LK_OK)
        rs = refusal_of(gal, prow, &cs->never, &cs->never_since);
    sqlite3_stmt *s = rs == LK_OK ? prep(gal,
        "SELECT l.id, v.version, v.body FROM licences l "
        "JOIN licence_versions v ON v.licence = l.id AND v.version = "
        "(SELECT max(version) FROM licence_versions WHERE licence = l.id) "
        "WHERE l.performer = ?1 ORDER BY l.id") : NULL;
    if (rs == LK_OK && !s)
        rs = LK_ERR_DB;
    int rc = SQLITE_DONE;
    size_t cap = 0;
    if (s)
        sqlite3_bind_int64(s, 1, prow);
    while (s && rs == LK_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        char what[64];
        const int64_t id = sqlite3_column_int64(s, 0);
        snprintf(what, sizeof what, "%s: licence %lld", gal->db_path,
                 (long long)id);
        if (lk__grow(&cs->lic, &cap, (size_t)cs->n + 1, sizeof *cs->lic, 8) !=
            LK_OK) {
            rs = LK_ERR_NOMEM;
            break;
        }
        lk__licence *l;
        rs = lk__licence_parse((const char *)sqlite3_column_text(s, 2), NULL,
                               what, 1, &l);
        if (rs != LK_OK)
            break;
        l->id = id;
        l->version = sqlite3_column_int(s, 1);
        cs->lic[cs->n++] = l;
    }
    if (s && rs == LK_OK && rc != SQLITE_DONE)
        rs = lk__gal_db_fail(gal, "reading licences");
    sqlite3_finalize(s);
    pthread_mutex_unlock(&gal->mu);
    if (rs != LK_OK || (cs->n == 0 && !cs->never)) {
        lk__consent_set_free(cs);
        return rs;
    }
    *out = cs;
    return LK_OK;
}
