/*
 * audit.c — the gallery's audit log as a hash chain: appending an entry
 * (inside the caller's write transaction), erasing a performer's entries
 * down to their digests, chaining an older gallery's entries when its
 * schema is upgraded, verifying the chain and listing the entries.
 *
 * An entry's hash is SHA-256 over a length-prefixed encoding of the
 * previous entry's hash, its id, time and action, and the digests of its
 * performer and detail.  The digests of an entry bound to a performer are
 * SHA-256(salt || value) with the salt of the performer's row, so that
 * once an erasure has emptied the entry and deleted the row (and with it
 * the salt) the digests are all that is left and say nothing of who it
 * was; an entry without a performer digests its detail without a salt.
 * meta keeps the head (audit_head_id, audit_head) and is updated in the
 * transaction of every append, so a truncated log is seen too.
 */
#include "gallery/gallery_impl.h"
#include "core/bytes.h"
#include "core/grow.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALT_BYTES LK__GAL_SALT_BYTES
#define HEX_BYTES 65
/* What precedes the first entry. */
static const char GENESIS[HEX_BYTES] =
    "0000000000000000000000000000000000000000000000000000000000000000";
/* The encoding's version, hashed first: a new encoding gets a new tag. */
static const char TAG[] = "likeness audit entry 1";

/* Created by the upgrade once every entry is chained.  They keep careless
 * tools from rewriting the log; verification does not rely on them (they
 * can be dropped).  The one change allowed is the erasure's: performer and
 * detail emptied, redacted set, everything chained left as it was. */
static const char TRIGGERS[] =
    "CREATE TRIGGER audit_append_only BEFORE DELETE ON audit BEGIN\n"
    "  SELECT RAISE(ABORT, 'the audit log is append-only');\n"
    "END;\n"
    "CREATE TRIGGER audit_erase_only BEFORE UPDATE ON audit\n"
    "WHEN NOT (NEW.id IS OLD.id AND NEW.time IS OLD.time\n"
    "  AND NEW.action IS OLD.action AND NEW.perf_digest IS OLD.perf_digest\n"
    "  AND NEW.detail_digest IS OLD.detail_digest AND NEW.prev IS OLD.prev\n"
    "  AND NEW.hash IS OLD.hash AND NEW.performer IS NULL\n"
    "  AND NEW.detail IS NULL AND NEW.redacted = 1)\n"
    "BEGIN\n"
    "  SELECT RAISE(ABORT, 'the audit log is append-only (an entry can "
    "only be erased)');\n"
    "END;\n"
    "CREATE TRIGGER audit_chained BEFORE INSERT ON audit\n"
    "WHEN NEW.hash IS NULL OR NEW.prev IS NULL BEGIN\n"
    "  SELECT RAISE(ABORT, 'an audit entry must be chained');\n"
    "END;\n";

/* ---- hashing ------------------------------------------------------------- */

/* hex(SHA-256(salt || value)); salt NULL: unsalted. */
static void field_digest(const void *salt, size_t n_salt, const char *value,
                         char out[HEX_BYTES])
{
    const lk__span s[2] = { { salt, salt ? n_salt : 0 },
                            { value, strlen(value) } };
    lk__sha256_hex_spans(s, 2, out);
}

/* The encoding: each field an 8-byte little-endian length and its bytes,
 * a NULL field the length 2^64 - 1 and nothing (unlike the empty string);
 * integers as 8-byte fields.  Hashed span by span, so that fields read
 * back from a file someone altered may be of any length. */
enum { N_FIELDS = 7 };

typedef struct encoding {
    uint8_t len[N_FIELDS][8];
    uint8_t num[N_FIELDS][8];
    lk__span spans[2 * N_FIELDS];
    int n;
} encoding;

static void put_field(encoding *e, const char *v)
{
    int k = e->n / 2;
    lk__put_le64(e->len[k], v ? (uint64_t)strlen(v) : UINT64_MAX);
    e->spans[e->n++] = (lk__span){ e->len[k], 8 };
    e->spans[e->n++] = (lk__span){ v, v ? strlen(v) : 0 };
}

static void put_int(encoding *e, int64_t v)
{
    int k = e->n / 2;
    lk__put_le64(e->len[k], 8);
    lk__put_le64(e->num[k], (uint64_t)v);
    e->spans[e->n++] = (lk__span){ e->len[k], 8 };
    e->spans[e->n++] = (lk__span){ e->num[k], 8 };
}

/* The entry's hash. */
static void entry_hash(const char *prev, int64_t id, int64_t time,
                       const char *action, const char *pdig,
                       const char *ddig, char out[HEX_BYTES])
{
    encoding e;
    e.n = 0;
    put_field(&e, TAG);
    put_field(&e, prev);
    put_int(&e, id);
    put_int(&e, time);
    put_field(&e, action);
    put_field(&e, pdig);
    put_field(&e, ddig);
    lk__sha256_hex_spans(e.spans, e.n, out);
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

/* ---- appending ------------------------------------------------------------- */

/* The salt of a registered performer into salt (SALT_BYTES).
 * LK_ERR_NOT_FOUND naming the performer, LK_ERR_DB. */
static lk_status perf_salt(lk_gallery *gal, const char *id,
                           uint8_t salt[SALT_BYTES])
{
    int64_t row;
    return lk__gal_find_perf(gal, id, &row, NULL, salt);
}

/* The head: the last entry's id and hash (GENESIS and 0 when empty). */
static lk_status read_head(lk_gallery *gal, int64_t *id, char hash[HEX_BYTES])
{
    sqlite3_stmt *s = lk__gal_q(gal, Q_AUDIT_HEAD);
    if (!s)
        return LK_ERR_DB;
    int rc = sqlite3_step(s);
    const char *h = rc == SQLITE_ROW ? col_text(s, 1) : NULL;
    lk_status st = LK_OK;
    if (rc == SQLITE_ROW && h && strlen(h) == HEX_BYTES - 1 &&
        sqlite3_column_type(s, 0) == SQLITE_INTEGER) {
        *id = sqlite3_column_int64(s, 0);
        memcpy(hash, h, HEX_BYTES);
    } else if (rc == SQLITE_ROW) {
        st = lk__error(LK_ERR_DB, "%s: meta has no audit head (audit_head_id, "
                       "audit_head)", gal->db_path);
    } else {
        st = lk__gal_db_fail(gal, "reading the audit head");
    }
    lk__gal_done(s);
    return st;
}

/* Chain one entry after the head and move the head to it; inside the
 * caller's write transaction, so that no other writer can chain after the
 * same head. */
static lk_status append(lk_gallery *gal, const char *action,
                        const char *performer, const char *pdig,
                        const char *detail, const char *ddig)
{
    int64_t id;
    char prev[HEX_BYTES], hash[HEX_BYTES];
    lk_status rs = read_head(gal, &id, prev);
    if (rs != LK_OK)
        return rs;
    if (id < 0 || id == INT64_MAX)
        return lk__error(LK_ERR_DB, "%s: meta's audit head id %lld is out of "
                         "range", gal->db_path, (long long)id);
    id++;
    int64_t t = lk__gal_now_s();
    entry_hash(prev, id, t, action, pdig, ddig, hash);
    sqlite3_stmt *s = lk__gal_q(gal, Q_AUDIT);
    if (!s)
        return LK_ERR_DB;
    sqlite3_bind_int64(s, 1, t);
    sqlite3_bind_text(s, 2, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, performer, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, detail, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, id);
    sqlite3_bind_text(s, 6, pdig, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, ddig, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, prev, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, hash, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    lk__gal_done(s);
    if (rc != SQLITE_DONE)
        return lk__gal_db_fail(gal, "writing the audit log");
    if (!(s = lk__gal_q(gal, Q_AUDIT_HEAD_SET)))
        return LK_ERR_DB;
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    lk__gal_done(s);
    return rc == SQLITE_DONE ? LK_OK
                             : lk__gal_db_fail(gal, "moving the audit head");
}

lk_status lk__gal_audit_row(lk_gallery *gal, const char *action,
                            const char *performer, const char *detail)
{
    char pdig[HEX_BYTES], ddig[HEX_BYTES];
    uint8_t salt[SALT_BYTES];
    if (performer) {
        lk_status rs = perf_salt(gal, performer, salt);
        if (rs != LK_OK)
            return rs;
        field_digest(salt, SALT_BYTES, performer, pdig);
    }
    if (detail)
        field_digest(performer ? salt : NULL, SALT_BYTES, detail, ddig);
    return append(gal, action, performer, performer ? pdig : NULL, detail,
                  detail ? ddig : NULL);
}

lk_status lk__gal_audit_erase(lk_gallery *gal, const char *performer)
{
    char pdig[HEX_BYTES];
    uint8_t salt[SALT_BYTES];
    lk_status rs = perf_salt(gal, performer, salt);
    if (rs != LK_OK)
        return rs;
    field_digest(salt, SALT_BYTES, performer, pdig);
    sqlite3_stmt *s = lk__gal_q(gal, Q_AUDIT_REDACT);
    if (!s)
        return LK_ERR_DB;
    sqlite3_bind_text(s, 1, pdig, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    lk__gal_done(s);
    if (rc != SQLITE_DONE)
        return lk__gal_db_fail(gal, "erasing a performer's audit entries");
    return append(gal, "remove", NULL, pdig, NULL, NULL);
}

/* ---- the upgrade ------------------------------------------------------------ */

/* A performer named by entries written before the chain.  Entries up to
 * its last "remove" belong to an erased performer (the old erasure kept
 * them whole), as do all of them when it is not registered now: those are
 * erased as an erasure now would, digested with a salt of their own
 * that is then forgotten. */
typedef struct old_perf {
    char *id;
    int64_t last_remove;       /* 0: none */
    int registered;
    int closed;                /* 0: entries erased after its last remove
                                  (or with none): a remove must follow */
    uint8_t salt[SALT_BYTES];  /* for the erased entries */
} old_perf;

static int old_perf_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const old_perf *)elem)->id);
}

static void old_perfs_free(old_perf *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].id);
    free(v);
}

static lk_status load_old_perfs(lk_gallery *gal, old_perf **out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    const char *sql =
        "SELECT performer, max(CASE WHEN action = 'remove' THEN id END), "
        "EXISTS (SELECT 1 FROM performers WHERE ext_id = audit.performer) "
        "FROM audit WHERE performer IS NOT NULL GROUP BY performer "
        "ORDER BY performer";
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(gal->db, sql, -1, &s, NULL) != SQLITE_OK)
        return lk__gal_db_fail(gal, "reading the audit log's performers");
    old_perf *v = NULL;
    size_t n = 0, cap = 0;
    lk_status rs = LK_OK;
    int rc;
    while (rs == LK_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        if ((rs = lk__grow(&v, &cap, n + 1, sizeof *v, 16)) != LK_OK)
            break;
        old_perf *p = &v[n];
        memset(p, 0, sizeof *p);
        p->last_remove = sqlite3_column_int64(s, 1);
        p->registered = sqlite3_column_int(s, 2);
        p->closed = 1;
        if (!(p->id = lk__strdup(col_text(s, 0))))
            rs = LK_ERR_NOMEM;
        else
            n++;
        if (rs == LK_OK)
            rs = lk__random_bytes(p->salt, SALT_BYTES);
    }
    if (rs == LK_OK && rc != SQLITE_DONE)
        rs = lk__gal_db_fail(gal, "reading the audit log's performers");
    sqlite3_finalize(s);
    if (rs != LK_OK) {
        old_perfs_free(v, n);
        return rs;
    }
    *out = v;
    *n_out = n;
    return LK_OK;
}

/* Give every performer a salt. */
static lk_status salt_performers(lk_gallery *gal)
{
    sqlite3_stmt *q, *u;
    if (sqlite3_prepare_v2(gal->db, "SELECT id FROM performers WHERE salt IS "
                           "NULL", -1, &q, NULL) != SQLITE_OK)
        return lk__gal_db_fail(gal, "salting performers");
    if (sqlite3_prepare_v2(gal->db, "UPDATE performers SET salt = ?2 WHERE "
                           "id = ?1", -1, &u, NULL) != SQLITE_OK) {
        sqlite3_finalize(q);
        return lk__gal_db_fail(gal, "salting performers");
    }
    lk_status rs = LK_OK;
    int rc;
    uint8_t salt[SALT_BYTES];
    while (rs == LK_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        if ((rs = lk__random_bytes(salt, SALT_BYTES)) != LK_OK)
            break;
        sqlite3_bind_int64(u, 1, sqlite3_column_int64(q, 0));
        sqlite3_bind_blob(u, 2, salt, SALT_BYTES, SQLITE_STATIC);
        if (sqlite3_step(u) != SQLITE_DONE)
            rs = lk__gal_db_fail(gal, "salting performers");
        sqlite3_reset(u);
    }
    if (rs == LK_OK && rc != SQLITE_DONE)
        rs = lk__gal_db_fail(gal, "salting performers");
    sqlite3_finalize(q);
    sqlite3_finalize(u);
    return rs;
}

/* The schema step's function: salt the performers, chain the entries an
 * older gallery holds in id order (they were not tamper-evident before:
 * meta's audit_upgraded_through says up to which id, and an "upgrade"
 * entry says so in the chain), erase the entries of performers erased
 * before, and put the triggers on.  A new gallery has nothing to chain. */
lk_status lk__gal_audit_upgrade(lk_gallery *gal)
{
    old_perf *perfs = NULL;
    size_t n_perfs = 0;
    sqlite3_stmt *sel = NULL, *upd = NULL;
    int64_t last = 0, n_old = 0;
    char prev[HEX_BYTES], hash[HEX_BYTES], pdig[HEX_BYTES], ddig[HEX_BYTES];
    memcpy(prev, GENESIS, HEX_BYTES);
    lk_status rs;
    if ((rs = salt_performers(gal)) != LK_OK ||
        (rs = load_old_perfs(gal, &perfs, &n_perfs)) != LK_OK)
        return rs;
    if (sqlite3_prepare_v2(gal->db, "SELECT id, time, action, performer, "
                           "detail FROM audit WHERE id > ?1 ORDER BY id "
                           "LIMIT 1", -1, &sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(gal->db, "UPDATE audit SET performer = ?2, "
                           "detail = ?3, perf_digest = ?4, detail_digest = ?5, "
                           "prev = ?6, hash = ?7, redacted = ?8 WHERE id = ?1",
                           -1, &upd, NULL) != SQLITE_OK) {
        rs = lk__gal_db_fail(gal, "chaining the audit log");
        goto out;
    }
    /* One entry at a time, the select reset before the update. */
    for (;;) {
        sqlite3_bind_int64(sel, 1, last);
        int rc = sqlite3_step(sel);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW) {
            rs = lk__gal_db_fail(gal, "chaining the audit log");
            goto out;
        }
        int64_t id = sqlite3_column_int64(sel, 0);
        int64_t t = sqlite3_column_int64(sel, 1);
        const char *action = col_text(sel, 2), *perf = col_text(sel, 3);
        const char *detail = col_text(sel, 4);
        const char *keep_perf = perf, *keep_detail = detail;
        int redacted = 0;
        uint8_t salt[SALT_BYTES];
        const uint8_t *key = NULL;
        if (perf) {
            old_perf *p = bsearch(perf, perfs, n_perfs, sizeof *perfs,
                                  old_perf_cmp);
            int erased = p && (id <= p->last_remove || !p->registered);
            if (!p) {
                rs = lk__error(LK_ERR_DB, "%s: audit entry %lld changed while "
                               "upgrading", gal->db_path, (long long)id);
                goto out;
            }
            if (erased) {
                key = p->salt;
                if (id > p->last_remove)
                    p->closed = 0;
                keep_perf = keep_detail = NULL;
                /* The old erasure's own entry stays an erasure's entry. */
                redacted = !(action && !strcmp(action, "remove"));
            } else if ((rs = perf_salt(gal, perf, salt)) != LK_OK) {
                goto out;
            } else {
                key = salt;
            }
            field_digest(key, SALT_BYTES, perf, pdig);
        }
        if (detail)
            field_digest(key, SALT_BYTES, detail, ddig);
        /* The remove of an erasure keeps no detail: nothing could check it. */
        const char *dd = detail && !(key && !keep_perf && !redacted)
                             ? ddig : NULL;
        entry_hash(prev, id, t, action, perf ? pdig : NULL, dd, hash);
        sqlite3_bind_int64(upd, 1, id);
        sqlite3_bind_text(upd, 2, keep_perf, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(upd, 3, keep_detail, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(upd, 4, perf ? pdig : NULL, -1, SQLITE_STATIC);
        sqlite3_bind_text(upd, 5, dd, -1, SQLITE_STATIC);
        sqlite3_bind_text(upd, 6, prev, -1, SQLITE_STATIC);
        sqlite3_bind_text(upd, 7, hash, -1, SQLITE_STATIC);
        sqlite3_bind_int(upd, 8, redacted);
        sqlite3_reset(sel);
        rc = sqlite3_step(upd);
        sqlite3_reset(upd);
        sqlite3_clear_bindings(upd);
        if (rc != SQLITE_DONE) {
            rs = lk__gal_db_fail(gal, "chaining the audit log");
            goto out;
        }
        memcpy(prev, hash, HEX_BYTES);
        last = id;
        n_old++;
    }
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(gal->db, "INSERT OR REPLACE INTO meta (key, value) "
                           "VALUES ('audit_head_id', ?1), ('audit_head', ?2), "
                           "('audit_upgraded_through', ?1)", -1, &s,
                           NULL) != SQLITE_OK) {
        rs = lk__gal_db_fail(gal, "recording the audit head");
        goto out;
    }
    sqlite3_bind_int64(s, 1, last);
    sqlite3_bind_text(s, 2, prev, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        rs = lk__gal_db_fail(gal, "recording the audit head");
        goto out;
    }
    if ((rs = lk__gal_exec(gal, TRIGGERS)) != LK_OK)
        goto out;
    /* Entries erased now whose performer's erasure the old log does not
     * hold (entries naming a performer never registered) are closed by a
     * remove entry, as an erasure now would leave them. */
    for (size_t i = 0; i < n_perfs; i++) {
        old_perf *p = &perfs[i];
        if (!p->closed) {
            field_digest(p->salt, SALT_BYTES, p->id, pdig);
            if ((rs = append(gal, "remove", NULL, pdig, NULL, NULL)) != LK_OK)
                goto out;
        }
    }
    if (n_old > 0) {
        char note[160];
        snprintf(note, sizeof note, "entries 1 to %lld were written before "
                 "the hash chain and chained by this upgrade", (long long)last);
        rs = lk__gal_audit_row(gal, "upgrade", NULL, note);
    }
out:
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    /* The forgotten salts must not stay in freed memory either. */
    for (size_t i = 0; i < n_perfs; i++)
        OPENSSL_cleanse(perfs[i].salt, SALT_BYTES);
    old_perfs_free(perfs, n_perfs);
    return rs;
}

/* ---- verification ------------------------------------------------------------ */

typedef struct row {
    int64_t id, time;
    const char *action, *perf, *detail, *pdig, *ddig, *prev, *hash;
    int redacted;
} row;

typedef struct verifier {
    lk_gallery *gal;
    lk_audit_report r;
    int64_t head_id;           /* what meta records */
    char head[HEX_BYTES];
} verifier;

static lk_status fault(verifier *v, lk_audit_fault f, int64_t id,
                       const char *fmt, ...) LK__PRINTF(4, 5);

static lk_status fault(verifier *v, lk_audit_fault f, int64_t id,
                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->r.why, sizeof v->r.why, fmt, ap);
    va_end(ap);
    v->r.fault = f;
    v->r.fault_id = id;
    return lk__error(LK_ERR_ALTERED, "%s: audit log altered: %s",
                     v->gal->db_path, v->r.why);
}

/* The id of an entry (other than not_id) whose hash is h, or 0; also 0 on
 * a database failure, which the walk's next step reports. */
static int64_t entry_with_hash(lk_gallery *gal, const char *h, int64_t not_id)
{
    sqlite3_stmt *s;
    int64_t id = 0;
    if (sqlite3_prepare_v2(gal->db, "SELECT id FROM audit WHERE hash = ?1 "
                           "AND id <> ?2 LIMIT 1", -1, &s, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(s, 1, h, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, not_id);
    if (sqlite3_step(s) == SQLITE_ROW)
        id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return id;
}

/* 1 when a remove entry after id carries the performer digest pdig: the
 * erasure that emptied the entry; -1 on a database failure. */
static int erased_later(lk_gallery *gal, const char *pdig, int64_t id)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(gal->db, "SELECT 1 FROM audit WHERE perf_digest = "
                           "?1 AND action = 'remove' AND performer IS NULL "
                           "AND redacted = 0 AND id > ?2 LIMIT 1", -1, &s,
                           NULL) != SQLITE_OK) {
        lk__gal_db_fail(gal, "verifying the audit log");
        return -1;
    }
    sqlite3_bind_text(s, 1, pdig, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, id);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        lk__gal_db_fail(gal, "verifying the audit log");
        return -1;
    }
    return rc == SQLITE_ROW;
}

static int same(const char *a, const char *b)
{
    return a && b ? !strcmp(a, b) : a == b;
}

/* Where the chain breaks before e: what its stored prev links to. */
static lk_status broken_link(verifier *v, const row *e, int64_t prev_id,
                             int self_ok)
{
    if (e->id > prev_id + 1)
        return fault(v, LK_AUDIT_DELETED, prev_id + 1, "entr%s %lld%s%.0lld "
                     "missing before entry %lld (deleted)",
                     e->id > prev_id + 2 ? "ies" : "y", (long long)prev_id + 1,
                     e->id > prev_id + 2 ? " to " : "",
                     e->id > prev_id + 2 ? (long long)e->id - 1 : 0LL,
                     (long long)e->id);
    int64_t j = entry_with_hash(v->gal, e->prev, e->id);
    if (j > e->id)
        return fault(v, LK_AUDIT_REORDERED, e->id, "entry %lld was chained "
                     "after entry %lld (entries reordered)", (long long)e->id,
                     (long long)j);
    if (j > 0 && j < prev_id)
        return fault(v, LK_AUDIT_INSERTED, j + 1, "entry %lld was chained "
                     "after entry %lld: entries %lld to %lld were never "
                     "chained there (inserted)", (long long)e->id,
                     (long long)j, (long long)j + 1, (long long)prev_id);
    if (self_ok)
        return fault(v, LK_AUDIT_DELETED, e->id, "the entry chained before "
                     "entry %lld is missing (deleted)", (long long)e->id);
    return fault(v, LK_AUDIT_INSERTED, e->id, "entry %lld does not belong to "
                 "the chain (inserted)", (long long)e->id);
}

/* Does what e shows (performer, detail, erasure) agree with its digests? */
static lk_status check_content(verifier *v, const row *e)
{
    long long id = (long long)e->id;
    char pd[HEX_BYTES], dd[HEX_BYTES];
    if (e->redacted) {
        if (e->perf || e->detail || !e->pdig)
            return fault(v, LK_AUDIT_CHANGED, e->id, "entry %lld is marked "
                         "erased but %s", id, e->pdig ? "keeps its performer "
                         "or detail" : "has no performer digest");
        int later = erased_later(v->gal, e->pdig, e->id);
        if (later < 0)
            return LK_ERR_DB;
        if (!later)
            return fault(v, LK_AUDIT_REDACTED, e->id, "entry %lld was emptied, "
                         "but no later remove entry erased its performer", id);
        return LK_OK;
    }
    if (e->perf) {
        uint8_t salt[SALT_BYTES];
        lk_status rs = perf_salt(v->gal, e->perf, salt);
        if (rs == LK_ERR_NOT_FOUND)
            return fault(v, LK_AUDIT_CHANGED, e->id, "entry %lld names "
                         "performer \"%s\", who is not registered (the entry "
                         "was changed, or the performer erased without it)",
                         id, e->perf);
        if (rs != LK_OK)
            return rs;
        field_digest(salt, SALT_BYTES, e->perf, pd);
        if (!same(pd, e->pdig))
            return fault(v, LK_AUDIT_CHANGED, e->id, "entry %lld: its "
                         "performer differs from what was chained", id);
        if (e->detail)
            field_digest(salt, SALT_BYTES, e->detail, dd);
    } else if (e->pdig) {
        /* Only an erasure's own entry keeps a performer's digest alone. */
        if (strcmp(e->action, "remove") != 0 || e->detail || e->ddig)
            return fault(v, LK_AUDIT_CHANGED, e->id, "entry %lld: its "
                         "performer or detail was taken out of it", id);
        return LK_OK;
    } else if (e->detail) {
        field_digest(NULL, 0, e->detail, dd);
    }
    if (!same(e->detail ? dd : NULL, e->ddig))
        return fault(v, LK_AUDIT_CHANGED, e->id, "entry %lld: its detail "
                     "differs from what was chained", id);
    return LK_OK;
}

static lk_status check_entry(verifier *v, const row *e, const char *prev_hash,
                             int64_t prev_id)
{
    long long id = (long long)e->id;
    if (e->id > v->head_id)
        return fault(v, LK_AUDIT_INSERTED, e->id, "entry %lld comes after the "
                     "head the log records (entry %lld): inserted", id,
                     (long long)v->head_id);
    if (!e->hash || !e->prev || !e->action)
        return fault(v, LK_AUDIT_CHANGED, e->id, "entry %lld is not chained "
                     "(no hash, link or action)", id);
    char own[HEX_BYTES];
    entry_hash(e->prev, e->id, e->time, e->action, e->pdig, e->ddig, own);
    int self_ok = !strcmp(own, e->hash);
    if (strcmp(e->prev, prev_hash) != 0)
        return broken_link(v, e, prev_id, self_ok);
    if (!self_ok)
        return fault(v, LK_AUDIT_CHANGED, e->id, "entry %lld: its time, "
                     "action or digests differ from what was chained", id);
    return check_content(v, e);
}

/* Read meta's head and where the chain of an upgraded gallery starts. */
static lk_status verify_meta(verifier *v)
{
    lk_status rs = read_head(v->gal, &v->head_id, v->head);
    if (rs != LK_OK)
        return rs;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(v->gal->db, "SELECT value FROM meta WHERE key = "
                           "'audit_upgraded_through'", -1, &s,
                           NULL) != SQLITE_OK)
        return lk__gal_db_fail(v->gal, "reading meta");
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        v->r.upgraded_through = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? LK_OK : lk__gal_db_fail(v->gal, "reading meta");
}

static lk_status walk(verifier *v, const char *anchor)
{
    lk_status rs = verify_meta(v);
    if (rs != LK_OK)
        return rs;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(v->gal->db, "SELECT id, time, action, performer, "
                           "detail, perf_digest, detail_digest, prev, hash, "
                           "redacted FROM audit ORDER BY id", -1, &s,
                           NULL) != SQLITE_OK)
        return lk__gal_db_fail(v->gal, "verifying the audit log");
    char prev[HEX_BYTES], last_hash[HEX_BYTES] = "";
    memcpy(prev, GENESIS, HEX_BYTES);
    int64_t prev_id = 0;
    int anchored = 0, rc;
    while (rs == LK_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        row e = { sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                  col_text(s, 2), col_text(s, 3), col_text(s, 4),
                  col_text(s, 5), col_text(s, 6), col_text(s, 7),
                  col_text(s, 8), sqlite3_column_int(s, 9) };
        v->r.entries++;
        v->r.redacted += e.redacted != 0;
        if ((rs = check_entry(v, &e, prev, prev_id)) != LK_OK)
            break;
        /* Checked above: a hash that verifies has 64 digits. */
        snprintf(prev, sizeof prev, "%s", e.hash);
        memcpy(last_hash, prev, HEX_BYTES);
        prev_id = e.id;
        anchored |= anchor && !strcmp(anchor, e.hash);
    }
    if (rs == LK_OK && rc != SQLITE_DONE)
        rs = lk__gal_db_fail(v->gal, "verifying the audit log");
    sqlite3_finalize(s);
    if (rs != LK_OK)
        return rs;
    if (prev_id < v->head_id)
        return fault(v, LK_AUDIT_TRUNCATED, prev_id + 1, "the log ends at "
                     "entry %lld, but its head is entry %lld: entr%s %lld%s%.0lld "
                     "missing (truncated)", (long long)prev_id,
                     (long long)v->head_id,
                     v->head_id > prev_id + 1 ? "ies" : "y",
                     (long long)prev_id + 1,
                     v->head_id > prev_id + 1 ? " to " : "",
                     v->head_id > prev_id + 1 ? (long long)v->head_id : 0LL);
    if (prev_id > 0 && strcmp(last_hash, v->head) != 0)
        return fault(v, LK_AUDIT_CHANGED, prev_id, "entry %lld is not the "
                     "entry the head records", (long long)prev_id);
    if (anchor && !anchored)
        return fault(v, LK_AUDIT_ANCHOR, 0, "no entry has the anchor hash %s "
                     "(the log was rewritten since it was taken, or it is of "
                     "another gallery)", anchor);
    return LK_OK;
}

lk_status lk_gallery_audit_verify(lk_gallery *gal, const char *anchor,
                                  lk_audit_report *out)
{
    if (!gal || !out)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_audit_verify: NULL "
                         "argument");
    size_t size = out->size;
    if (size < sizeof *out)
        return lk__error(LK_ERR_MISUSE, "%s: lk_gallery_audit_verify: report "
                         "size %zu, at least %zu needed", gal->dir, size,
                         sizeof *out);
    char want[HEX_BYTES];
    if (anchor) {
        size_t i = 0;
        for (; i < HEX_BYTES - 1 && anchor[i]; i++) {
            char c = anchor[i];
            want[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
            if (!((want[i] >= '0' && want[i] <= '9') ||
                  (want[i] >= 'a' && want[i] <= 'f')))
                break;
        }
        if (i != HEX_BYTES - 1 || anchor[i])
            return lk__error(LK_ERR_MISUSE, "anchor \"%.80s\" is not 64 hex "
                             "digits", anchor);
        want[i] = '\0';
    }
    verifier v = { .gal = gal };
    v.r.size = size;
    pthread_mutex_lock(&gal->mu);
    /* One read snapshot for the walk and its look-ups. */
    lk_status rs = lk__gal_exec(gal, "BEGIN");
    if (rs == LK_OK) {
        rs = walk(&v, anchor ? want : NULL);
        lk__gal_rollback(gal);
    }
    pthread_mutex_unlock(&gal->mu);
    v.r.head_id = v.head_id;
    memcpy(v.r.head, v.head_id ? v.head : "", v.head_id ? HEX_BYTES : 1);
    memcpy(out, &v.r, sizeof v.r);
    return rs;
}

/* ---- listing ------------------------------------------------------------------ */

typedef struct held {
    int64_t id, time;
    char *text[4];             /* action, performer, detail, hash */
    int redacted;
} held;

static void held_free(held *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++)
            free(v[i].text[k]);
    free(v);
}

lk_status lk_gallery_audit_entries(lk_gallery *gal, lk_audit_fn fn, void *user)
{
    if (!gal || !fn)
        return lk__error(LK_ERR_MISUSE, "lk_gallery_audit_entries: NULL "
                         "argument");
    /* Collected first and delivered without the lock held, so that fn may
     * call back into the gallery. */
    held *v = NULL;
    size_t n = 0, cap = 0;
    lk_status rs = LK_OK;
    sqlite3_stmt *s;
    pthread_mutex_lock(&gal->mu);
    if (sqlite3_prepare_v2(gal->db, "SELECT id, time, action, performer, "
                           "detail, hash, redacted FROM audit ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK) {
        rs = lk__gal_db_fail(gal, "listing the audit log");
    } else {
        int rc;
        while (rs == LK_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
            if ((rs = lk__grow(&v, &cap, n + 1, sizeof *v, 64)) != LK_OK)
                break;
            held *h = &v[n++];
            *h = (held){ sqlite3_column_int64(s, 0),
                         sqlite3_column_int64(s, 1), { NULL },
                         sqlite3_column_int(s, 6) };
            const int cols[4] = { 2, 3, 4, 5 };
            for (int k = 0; k < 4; k++) {
                const char *t = col_text(s, cols[k]);
                if (t && !(h->text[k] = lk__strdup(t)))
                    rs = LK_ERR_NOMEM;
            }
        }
        if (rs == LK_OK && rc != SQLITE_DONE)
            rs = lk__gal_db_fail(gal, "listing the audit log");
        sqlite3_finalize(s);
    }
    pthread_mutex_unlock(&gal->mu);
    for (size_t i = 0; rs == LK_OK && i < n; i++) {
        const lk_audit_entry e = { v[i].id, v[i].time,
                                   v[i].text[0] ? v[i].text[0] : "",
                                   v[i].text[1], v[i].text[2], v[i].redacted,
                                   v[i].text[3] ? v[i].text[3] : "" };
        if (fn(&e, user))
            rs = LK_DONE;
    }
    held_free(v, n);
    return rs;
}
