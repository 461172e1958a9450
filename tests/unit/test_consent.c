/*
 * test_consent.c — licence records and standing refusals: every field
 * checked (each error naming the field, nothing written), the canonical
 * form, versions (amend, revoke, the trigger that refuses an overwrite),
 * export and import (and their conflicts), erasure with the performer;
 * and the decision table (consent/resolve.c) over findings whose
 * provenance is real: files signed with c2pa_craft by a "licensee" key
 * and by another key.  Needs no model: the gallery is opened with model
 * ids of its own (lk__gallery_open_models()).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "likeness.h"
#include "c2pa_craft.h"
#include "consent/consent.h"
#include "gallery/gallery.h"
#include "test_tmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

static char tmpdir[512], gdir[600], pem_lic[600], pem_other[600];

static int setup(void **state)
{
    (void)state;
    if (lk_test_mkdtemp("consent", tmpdir, sizeof tmpdir) != 0)
        return -1;
    snprintf(gdir, sizeof gdir, "%s/gallery", tmpdir);
    snprintf(pem_lic, sizeof pem_lic, "%s/licensee.pem", tmpdir);
    snprintf(pem_other, sizeof pem_other, "%s/other.pem", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lk_test_rmtree(tmpdir);
    return 0;
}

static lk_gallery *open_gallery(const char *dir)
{
    const lk__gallery_model models[2] = {
        [LK_MODALITY_FACE] = {"test-face@1", 4},
        [LK_MODALITY_VOICE] = {"test-voice@1", 4},
    };
    lk_gallery *g = NULL;
    lk_status s = lk__gallery_open_models(dir, models, 2, LK_GALLERY_CREATE,
                                          &g);
    if (s != LK_OK)
        fail_msg("open %s: %s", dir, lk_last_error());
    return g;
}

/* A record of performer "ana", the JSON members given replacing its
 * own. */
static char *record(const char *members)
{
    static char buf[4096];
    char extra[2048];
    json_t *o = json_loads("{\"performer\":\"ana\",\"modalities\":"
                           "[\"face\"],\"uses\":[\"dubbing\"],\"licensee\":"
                           "{\"name\":\"Acme\",\"channels\":[\"yt:acme\"]},"
                           "\"from\":\"2026-01-01\"}", 0, NULL);
    snprintf(extra, sizeof extra, "{%s}", members);
    json_t *add = json_loads(extra, 0, NULL);
    assert_non_null(add);
    json_object_update(o, add);
    char *t = json_dumps(o, JSON_COMPACT);
    snprintf(buf, sizeof buf, "%s", t);
    free(t);
    json_decref(o);
    json_decref(add);
    return buf;
}

/* ---- one record: fields and canonical form ---------------------------------- */

static void test_canonical(void **state)
{
    (void)state;
    lk__licence *l = NULL;
    const char *in =
        "{\"performer\":\"ana\",\"modalities\":[\"voice\",\"face\",\"face\"],"
        "\"uses\":[\"ai-training\",\"voice-clone\"],"
        "\"licensee\":{\"name\":\"Acme\",\"key_sha256\":[\"ABCDEF0123456789"
        "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789\"],"
        "\"domains\":[\"Acme.Example\"]},"
        "\"territories\":[\"gb\",\"GB\",\"fr\"],\"from\":\"2026-02-28\","
        "\"to\":\"2028-02-29\",\"project\":{\"title\":\"Film\",\"ids\":"
        "[\"isrc:GB-ABC-26-00001\",\"eidr:10.5240/0000-1111-2222-3333-4444-C\"]},"
        "\"consent_evidence\":{\"sha256\":\"" "0123456789abcdef0123456789abcdef"
        "0123456789abcdef0123456789abcdef\",\"notice\":\"2025-12-01\"}}";
    assert_int_equal(lk__licence_parse(in, NULL, "t", 0, &l), LK_OK);
    assert_int_equal(l->modalities, LK__MOD_ALL);
    assert_int_equal(l->uses, LK_USE_AI_TRAINING | LK_USE_VOICE_CLONE);
    assert_int_equal(l->territories.n, 2);
    assert_string_equal(l->territories.v[0], "GB");
    assert_string_equal(l->territories.v[1], "FR");
    assert_string_equal(l->keys.v[0], "abcdef0123456789abcdef0123456789"
                                      "abcdef0123456789abcdef0123456789");
    assert_string_equal(l->domains.v[0], "acme.example");
    int64_t from, to;
    assert_int_equal(lk__parse_date("2026-02-28", &from), 0);
    assert_int_equal(lk__parse_date("2028-03-01", &to), 0);
    assert_true(l->from == from && l->to == to);   /* the last day counts */
    char *text = lk__licence_text(l);
    /* keys sorted, the vocabulary's order, repeats gone, status added */
    assert_non_null(strstr(text, "\"modalities\":[\"face\",\"voice\"]"));
    assert_non_null(strstr(text, "\"uses\":[\"voice-clone\",\"ai-training\"]"));
    assert_non_null(strstr(text, "\"status\":\"active\""));
    /* reading the canonical text again gives the same text */
    lk__licence *again = NULL;
    assert_int_equal(lk__licence_parse(text, NULL, "t", 0, &again), LK_OK);
    char *text2 = lk__licence_text(again);
    assert_string_equal(text, text2);
    free(text);
    free(text2);
    lk__licence_free(l);
    lk__licence_free(again);
}

static void test_field_errors(void **state)
{
    (void)state;
    static const struct {
        const char *members;   /* added to a valid record; a later key wins */
        lk_status status;
        const char *says;
    } cases[] = {
        {"\"colour\":\"red\"", LK_ERR_MISUSE, "\"colour\": unknown field"},
        {"\"uses\":[\"dubing\"]", LK_ERR_MISUSE, "'dubing' is not a use"},
        {"\"uses\":[]", LK_ERR_MISUSE, "\"uses\": empty"},
        {"\"modalities\":[\"smell\"]", LK_ERR_MISUSE, "not a modality"},
        {"\"territories\":[\"XX\"]", LK_ERR_MISUSE,
         "\"territories[0]\": 'XX' is not an ISO 3166-1"},
        {"\"territories\":[\"GBR\"]", LK_ERR_MISUSE, "territories[0]"},
        {"\"to\":\"2025-12-31\"", LK_ERR_MISUSE,
         "the term ends (2025-12-31) before it starts"},
        {"\"to\":\"2026-02-30\"", LK_ERR_MISUSE, "\"to\": '2026-02-30' is not a date"},
        {"\"to\":\"31/12/2026\"", LK_ERR_MISUSE, "is not a date"},
        {"\"assets\":[\"abc\"]", LK_ERR_MISUSE, "\"assets[0]\": 'abc' is not a SHA-256"},
        {"\"project\":{\"ids\":[\"isrc:123\"]}", LK_ERR_MISUSE,
         "an ISRC is 12 letters and digits"},
        {"\"project\":{\"ids\":[\"no-colon\"]}", LK_ERR_MISUSE, "SCHEME:ID"},
        {"\"licensee\":{\"name\":\"\"}", LK_ERR_MISUSE, "\"licensee.name\": empty"},
        {"\"licensee\":{\"name\":\"A\",\"domains\":[\"not a domain\"]}",
         LK_ERR_MISUSE, "not a domain name"},
        {"\"licensee\":{\"nom\":\"A\"}", LK_ERR_MISUSE, "\"licensee.nom\": unknown"},
        {"\"status\":\"revoked\",\"revoked_at\":\"2026-03-01\"", LK_ERR_MISUSE,
         "cannot be revoked"},
        {"\"revoked_at\":\"2026-03-01\"", LK_ERR_MISUSE, "only a revoked record"},
        {"\"description\":\"a\\u0000b\"", LK_ERR_MISUSE, "NUL"},
        {"\"description\":\"\\u0007\"", LK_ERR_MISUSE, "control"},
        {"\"consent_evidence\":{\"notice\":\"2026-01-01\"}", LK_ERR_MISUSE,
         "\"consent_evidence.sha256\": missing"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lk__licence *l = (lk__licence *)1;
        /* the case's members replace the valid record's */
        json_t *base = json_loads(record(""), 0, NULL);
        char extra[1024];
        snprintf(extra, sizeof extra, "{%s}", cases[i].members);
        json_t *add = json_loads(extra, JSON_ALLOW_NUL, NULL);
        assert_non_null(add);
        json_object_update(base, add);   /* (NULs survive only this way) */
        lk_status s = lk__licence_parse(NULL, base, "licence", 0, &l);
        if (s != cases[i].status || !strstr(lk_last_error(), cases[i].says))
            fail_msg("case %zu (%s): %s, \"%s\"", i, cases[i].members,
                     lk_status_name(s), lk_last_error());
        assert_null(l);
        json_decref(base);
        json_decref(add);
    }
    lk__licence *l;
    assert_int_equal(lk__licence_parse("{\"performer\":", NULL, "doc", 0, &l),
                     LK_ERR_FORMAT);
    assert_non_null(strstr(lk_last_error(), "doc: not JSON"));
    assert_int_equal(lk__licence_parse("[1]", NULL, "doc", 0, &l),
                     LK_ERR_FORMAT);
    assert_int_equal(lk__licence_parse("{\"performer\":\"a\",\"performer\":"
                                       "\"b\"}", NULL, "doc", 0, &l),
                     LK_ERR_FORMAT);
    /* each required field named when missing */
    const char *required[] = {"performer", "modalities", "uses", "licensee",
                              "from"};
    for (size_t i = 0; i < 5; i++) {
        json_t *o = json_loads(record(""), 0, NULL);
        json_object_del(o, required[i]);
        char want[64];
        snprintf(want, sizeof want, "\"%s\": missing", required[i]);
        assert_int_equal(lk__licence_parse(NULL, o, "licence", 0, &l),
                         LK_ERR_MISUSE);
        if (!strstr(lk_last_error(), want))
            fail_msg("%s: %s", required[i], lk_last_error());
        json_decref(o);
    }
}

static void test_dates(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(lk__parse_date("1970-01-01", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(lk__parse_date("2024-02-29", &t), 0);
    assert_int_equal(lk__parse_date("2023-02-29", &t), -1);
    assert_int_equal(lk__parse_date("2100-02-29", &t), -1);
    assert_int_equal(lk__parse_date("2000-02-29", &t), 0);
    assert_int_equal(lk__parse_date("2026-12-03T13:05:09Z", &t), 0);
    char day[11], at[21];
    lk__format_day(t, day);
    lk__format_time(t, at);
    assert_string_equal(day, "2026-12-03");
    assert_string_equal(at, "2026-12-03T13:05:09Z");
    assert_int_equal(lk__parse_date("2026-12-03T24:00:00Z", &t), -1);
    assert_int_equal(lk__parse_date("2026-1-03", &t), -1);
    assert_int_equal(lk__parse_date("+026-12-03", &t), -1);
    unsigned u;
    assert_int_equal(lk_uses_parse("voice-clone,dubbing", &u), LK_OK);
    assert_int_equal(u, LK_USE_VOICE_CLONE | LK_USE_DUBBING);
    assert_int_equal(lk_uses_parse("voice-clone,", &u), LK_ERR_MISUSE);
    assert_int_equal(u, 0);
    assert_string_equal(lk_use_name(LK_USE_AI_TRAINING), "ai-training");
    assert_string_equal(lk_licence_status_name(LK_LICENCE_OUT_OF_SCOPE),
                        "out-of-scope");
    assert_string_equal(lk_action_name(LK_ACTION_ALERT), "alert");
    assert_string_equal(lk_basis_name(LK_BASIS_ASSET_HASH), "asset-hash");
}

/* ---- the store -------------------------------------------------------------------- */

static int64_t add_ok(lk_gallery *g, const char *json)
{
    int64_t id = 0;
    if (lk_licence_add(g, json, &id) != LK_OK)
        fail_msg("add: %s", lk_last_error());
    assert_true(id > 0);
    return id;
}

static int count_rows(const char *dir, const char *table)
{
    char db[700], sql[128];
    snprintf(db, sizeof db, "%s/gallery.db", dir);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3 *h;
    sqlite3_stmt *s;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return n;
}

static void test_store(void **state)
{
    (void)state;
    char dir[700];
    snprintf(dir, sizeof dir, "%s/store", tmpdir);
    lk_gallery *g = open_gallery(dir);
    int64_t id = 0;
    /* an unknown performer: nothing written */
    assert_int_equal(lk_licence_add(g, record(""), &id), LK_ERR_NOT_FOUND);
    assert_non_null(strstr(lk_last_error(), "\"ana\""));
    assert_int_equal(lk_gallery_add_performer(g, "ana", "Ana"), LK_OK);
    assert_int_equal(lk_licence_add(g, record("\"uses\":[\"x\"]"), &id),
                     LK_ERR_MISUSE);
    assert_int_equal(count_rows(dir, "licences"), 0);
    id = add_ok(g, record("\"description\":\"first\""));

    /* amend: a new version, the old one kept; the performer is fixed */
    int v = 0;
    assert_int_equal(lk_licence_amend(g, id, record("\"description\":\"second\""),
                                      &v), LK_OK);
    assert_int_equal(v, 2);
    char *j = NULL;
    assert_int_equal(lk_licence_get(g, id, 1, &j), LK_OK);
    assert_non_null(strstr(j, "\"description\":\"first\""));
    assert_non_null(strstr(j, "\"superseded\":true"));
    lk_free(j);
    assert_int_equal(lk_licence_get(g, id, 0, &j), LK_OK);
    assert_non_null(strstr(j, "\"description\":\"second\""));
    assert_non_null(strstr(j, "\"version\":2"));
    lk_free(j);
    assert_int_equal(lk_gallery_add_performer(g, "bo", NULL), LK_OK);
    assert_int_equal(lk_licence_amend(g, id, record("\"performer\":\"bo\""),
                                      &v), LK_ERR_MISUSE);
    assert_non_null(strstr(lk_last_error(), "cannot change"));
    assert_int_equal(lk_licence_get(g, id, 3, &j), LK_ERR_NOT_FOUND);
    assert_int_equal(lk_licence_get(g, 999, 0, &j), LK_ERR_NOT_FOUND);
    assert_int_equal(lk_licence_revoke(g, 999, 0, NULL), LK_ERR_NOT_FOUND);

    /* a refused use cannot be licensed; refusal set and read back */
    assert_int_equal(lk_policy_set(g, "ana", LK_USE_AI_TRAINING), LK_OK);
    unsigned never;
    int64_t since;
    assert_int_equal(lk_policy_get(g, "ana", &never, &since), LK_OK);
    assert_int_equal(never, LK_USE_AI_TRAINING);
    assert_true(since > 0);
    assert_int_equal(lk_licence_add(g, record("\"uses\":[\"ai-training\"]"), &id),
                     LK_ERR_MISUSE);
    assert_non_null(strstr(lk_last_error(), "refuses ai-training"));
    assert_int_equal(lk_policy_set(g, "nobody", LK_USE_DUBBING),
                     LK_ERR_NOT_FOUND);
    assert_int_equal(lk_policy_set(g, "ana", 1u << 20), LK_ERR_MISUSE);

    /* revoke: a new version; twice is refused; amending after too */
    int64_t id2 = add_ok(g, record(""));
    assert_int_equal(lk_licence_revoke(g, id2, 1767225600, "breach"), LK_OK);
    assert_int_equal(lk_licence_revoke(g, id2, 0, NULL), LK_ERR_MISUSE);
    assert_int_equal(lk_licence_amend(g, id2, record(""), &v), LK_ERR_MISUSE);
    assert_int_equal(lk_licence_get(g, id2, 0, &j), LK_OK);
    assert_non_null(strstr(j, "\"status\":\"revoked\""));
    assert_non_null(strstr(j, "\"revoked_at\":\"2026-01-01T00:00:00Z\""));
    assert_non_null(strstr(j, "\"revocation_reason\":\"breach\""));
    lk_free(j);

    /* list: the current versions */
    assert_int_equal(lk_licence_list(g, "ana", &j), LK_OK);
    json_t *arr = json_loads(j, 0, NULL);
    lk_free(j);
    assert_int_equal(json_array_size(arr), 2);
    json_decref(arr);
    assert_int_equal(lk_licence_list(g, "nobody", &j), LK_ERR_NOT_FOUND);

    /* versions are never overwritten, even by hand */
    char db[800];
    snprintf(db, sizeof db, "%s/gallery.db", dir);
    sqlite3 *h;
    assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
    char *err = NULL;
    assert_int_not_equal(sqlite3_exec(h, "UPDATE licence_versions SET body = "
                                          "'{}'", NULL, NULL, &err), SQLITE_OK);
    assert_non_null(strstr(err, "never changed"));
    sqlite3_free(err);
    sqlite3_close(h);

    /* export, then import into a second gallery, twice (nothing new the
     * second time), and a conflicting version refused whole */
    char *doc = NULL;
    assert_int_equal(lk_licence_export(g, NULL, &doc), LK_OK);
    char dir2[700];
    snprintf(dir2, sizeof dir2, "%s/store2", tmpdir);
    lk_gallery *g2 = open_gallery(dir2);
    int nr = -1, nv = -1;
    if (lk_licence_import(g2, doc, &nr, &nv) != LK_ERR_NOT_FOUND)
        fail_msg("import: %s: %s", lk_last_error(), doc);
    assert_int_equal(count_rows(dir2, "licences"), 0);
    assert_int_equal(lk_gallery_add_performer(g2, "ana", NULL), LK_OK);
    assert_int_equal(lk_licence_import(g2, doc, &nr, &nv), LK_OK);
    assert_int_equal(nr, 2);
    assert_int_equal(nv, 4);
    assert_int_equal(lk_policy_get(g2, "ana", &never, NULL), LK_OK);
    assert_int_equal(never, LK_USE_AI_TRAINING);
    assert_int_equal(lk_licence_import(g2, doc, &nr, &nv), LK_OK);
    assert_true(nr == 0 && nv == 0);
    char *again = NULL;
    assert_int_equal(lk_licence_export(g2, NULL, &again), LK_OK);
    json_t *a = json_loads(doc, 0, NULL), *b = json_loads(again, 0, NULL);
    assert_true(json_equal(json_object_get(a, "licences"),
                           json_object_get(b, "licences")));
    json_decref(b);
    lk_free(again);
    /* alter version 1's body: a conflict, and nothing of the document
     * (its new record included) is written */
    json_t *v1 = json_object_get(json_array_get(
        json_object_get(json_array_get(json_object_get(a, "licences"), 0),
                        "versions"), 0), "body");
    json_object_set_new(v1, "description", json_string("forged"));
    json_array_append_new(json_object_get(a, "licences"), json_pack(
        "{s:s,s:s,s:[{s:i,s:O}]}", "uuid", "0123456789abcdef0123456789abcdef",
        "performer", "ana", "versions", "version", 1, "body", v1));
    char *forged = json_dumps(a, JSON_COMPACT);
    assert_int_equal(lk_licence_import(g2, forged, &nr, &nv), LK_ERR_EXISTS);
    assert_non_null(strstr(lk_last_error(), "differs"));
    assert_int_equal(count_rows(dir2, "licences"), 2);
    free(forged);
    json_decref(a);
    assert_int_equal(lk_licence_import(g2, "{\"format\":\"x\"}", &nr, &nv),
                     LK_ERR_FORMAT);
    assert_int_equal(lk_licence_import(g2, "not json", &nr, &nv),
                     LK_ERR_FORMAT);
    lk_free(doc);
    lk_gallery_close(g2);

    /* read-only handles read, and refuse changes */
    lk_gallery_close(g);
    assert_int_equal(lk_gallery_open(dir, NULL, LK_GALLERY_READONLY, &g),
                     LK_OK);
    assert_int_equal(lk_licence_list(g, NULL, &j), LK_OK);
    lk_free(j);
    assert_int_equal(lk_licence_add(g, record(""), &id), LK_ERR_MISUSE);
    assert_int_equal(lk_policy_set(g, "ana", 0), LK_ERR_MISUSE);
    lk_gallery_close(g);
}

/* No byte of a string anywhere in a file. */
static int file_holds(const char *path, const char *needle)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    size_t cap = 1 << 20, n = 0, k;
    char *b = malloc(cap);
    while (b && (k = fread(b + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap) {
            char *g = realloc(b, cap *= 2);
            if (!g)
                break;
            b = g;
        }
    }
    fclose(f);
    int found = b && memmem(b, n, needle, strlen(needle)) != NULL;
    free(b);
    return found;
}

static void test_erasure(void **state)
{
    (void)state;
    char dir[700], db[800], wal[800];
    snprintf(dir, sizeof dir, "%s/erase", tmpdir);
    snprintf(db, sizeof db, "%s/gallery.db", dir);
    snprintf(wal, sizeof wal, "%s/gallery.db-wal", dir);
    lk_gallery *g = open_gallery(dir);
    assert_int_equal(lk_gallery_add_performer(g, "ana", NULL), LK_OK);
    assert_int_equal(lk_gallery_add_performer(g, "keep", NULL), LK_OK);
    const char *secret = "Confidential Pictures Ltd of Zzyzx";
    char members[256];
    snprintf(members, sizeof members, "\"description\":\"%s\",\"compensation_ref\":"
             "\"REF-Qx7-31337\"", secret);
    int64_t id = add_ok(g, record(members));
    assert_int_equal(lk_licence_revoke(g, id, 0, "Reason-Kx9"), LK_OK);
    assert_int_equal(lk_policy_set(g, "ana", LK_USE_AI_TRAINING), LK_OK);
    json_t *k = json_loads(record("\"description\":\"kept-Wq4\""), 0, NULL);
    json_object_set_new(k, "performer", json_string("keep"));
    char *kt = json_dumps(k, 0);
    add_ok(g, kt);
    free(kt);
    json_decref(k);
    assert_true(file_holds(db, secret) || file_holds(wal, secret));
    assert_int_equal(lk_gallery_remove_performer(g, "ana"), LK_OK);
    lk_gallery_close(g);
    const char *gone[] = {secret, "REF-Qx7-31337", "Reason-Kx9"};
    for (int i = 0; i < 3; i++) {
        if (file_holds(db, gone[i]) || file_holds(wal, gone[i]))
            fail_msg("'%s' survived the erasure", gone[i]);
    }
    assert_true(file_holds(db, "kept-Wq4") || file_holds(wal, "kept-Wq4"));
    assert_int_equal(count_rows(dir, "licences"), 1);
    assert_int_equal(count_rows(dir, "licence_versions"), 1);
    assert_int_equal(count_rows(dir, "refusals"), 0);
}

/* ---- the decision table ----------------------------------------------------------- */

/* A finding of performer ana with this evidence. */
static lk_finding finding(lk_modality m, lk_verdict v, int speech_synthetic)
{
    lk_finding f;
    memset(&f, 0, sizeof f);
    f.performer_id = "ana";
    f.decision = LK_MATCH;
    f.modality = m;
    f.evidence.verdict = v;
    if (speech_synthetic >= 0) {
        f.evidence.speech_scored = 1;
        f.evidence.synthetic_score = speech_synthetic ? 2.0f : -9.0f;
    }
    return f;
}

static const char *fixed_sha(void *user) { return user; }

static lk__consent_set *set_of(const char *const *records, int n,
                               unsigned never)
{
    lk__consent_set *cs = calloc(1, sizeof *cs);
    cs->lic = calloc((size_t)n + 1, sizeof *cs->lic);
    for (int i = 0; i < n; i++) {
        if (lk__licence_parse(records[i], NULL, "t", 1, &cs->lic[i]) != LK_OK)
            fail_msg("record %d: %s", i, lk_last_error());
        cs->lic[i]->id = 10 + i;
        cs->lic[i]->version = 1;
        cs->n++;
    }
    cs->never = never;
    cs->never_since = 1767225600;
    return cs;
}

typedef struct want {
    lk_licence_status status;
    lk_action action;
    int64_t record;
    unsigned basis;
    const char *reason;        /* a part of the sentence */
} want;

static void expect(const lk__consent_set *cs, const lk__consent_ctx *ctx,
                   lk_finding f, want w, const char *what)
{
    assert_int_equal(lk__consent_resolve(cs, ctx, 0.0f, &f), LK_OK);
    if (f.licence != w.status || f.action != w.action ||
        f.licence_record != w.record || f.licence_basis != w.basis ||
        !strstr(f.licence_reason, w.reason))
        fail_msg("%s: %s/%s record %lld basis %u: \"%s\"", what,
                 lk_licence_status_name(f.licence), lk_action_name(f.action),
                 (long long)f.licence_record, f.licence_basis,
                 f.licence_reason);
    free((char *)f.licensee);
    free((char *)f.licence_reason);
}

static void test_decisions(void **state)
{
    (void)state;
    int64_t now;
    lk__parse_date("2026-06-01", &now);
    const char *asset = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    lk__consent_ctx ctx = {.time = now, .sha256 = fixed_sha, .user = (void *)asset};
    const char *recs[] = {
        /* 10: Acme's channel, dubbing and digital doubles of the face, GB */
        "{\"performer\":\"ana\",\"modalities\":[\"face\"],\"uses\":[\"dubbing\","
        "\"digital-double\"],\"licensee\":{\"name\":\"Acme\",\"channels\":"
        "[\"yt:acme\"],\"domains\":[\"acme.example\"]},\"territories\":[\"GB\"],"
        "\"from\":\"2026-01-01\",\"to\":\"2026-12-31\"}",
        /* 11: a deliverable of Beta's, voice clones */
        "{\"performer\":\"ana\",\"modalities\":[\"voice\"],\"uses\":"
        "[\"voice-clone\"],\"licensee\":{\"name\":\"Beta\"},\"assets\":[\"AAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"],"
        "\"from\":\"2026-01-01\"}",
        /* 12: Gamma's channel, revoked in March */
        "{\"performer\":\"ana\",\"modalities\":[\"face\",\"voice\"],\"uses\":"
        "[\"digital-double\"],\"licensee\":{\"name\":\"Gamma\",\"channels\":"
        "[\"yt:gamma\"]},\"from\":\"2026-01-01\",\"status\":\"revoked\","
        "\"revoked_at\":\"2026-03-01T00:00:00Z\"}",
        /* 13: Delta's channel, ended in May */
        "{\"performer\":\"ana\",\"modalities\":[\"face\"],\"uses\":"
        "[\"digital-double\"],\"licensee\":{\"name\":\"Delta\",\"channels\":"
        "[\"yt:delta\"]},\"from\":\"2026-01-01\",\"to\":\"2026-05-31\"}",
        /* 14: Eps's channel, from 2027 */
        "{\"performer\":\"ana\",\"modalities\":[\"face\"],\"uses\":"
        "[\"digital-double\"],\"licensee\":{\"name\":\"Eps\",\"channels\":"
        "[\"yt:eps\"]},\"from\":\"2027-01-01\"}",
    };
    lk__consent_set *cs = set_of(recs, 5, 0);
    const lk_finding ai_face = finding(LK_MODALITY_FACE,
                                       LK_VERDICT_DECLARED_AI, -1);
    const lk_finding plain_face = finding(LK_MODALITY_FACE,
                                          LK_VERDICT_NO_SIGNAL, -1);
    const lk_finding clone = finding(LK_MODALITY_VOICE,
                                     LK_VERDICT_LIKELY_SYNTHETIC, 1);

    /* no records, no proof */
    expect(NULL, &ctx, plain_face, (want){LK_LICENCE_UNLICENSED,
           LK_ACTION_REVIEW, 0, 0, "no licence on record for ana"}, "none");
    expect(NULL, &ctx, ai_face, (want){LK_LICENCE_UNLICENSED,
           LK_ACTION_ALERT, 0, 0, "AI evidence: digital-double"}, "none, AI");
    ctx.user = (void *)"bbbb";
    expect(cs, &ctx, clone, (want){LK_LICENCE_UNLICENSED, LK_ACTION_ALERT, 0,
           0, "no licence of ana (5 on record)"}, "unproven");
    ctx.user = (void *)asset;

    /* by asset hash: the voice clone licensed */
    expect(cs, &ctx, clone, (want){LK_LICENCE_LICENSED, LK_ACTION_LICENSED, 11,
           LK_BASIS_ASSET_HASH, "a registered deliverable of Beta, licence 11 "
           "covers voice-clone worldwide"}, "asset");
    ctx.user = (void *)"bbbb";

    /* by context: channel, territory known and not */
    ctx.channel = "yt:acme";
    ctx.territory = "GB";
    expect(cs, &ctx, ai_face, (want){LK_LICENCE_LICENSED, LK_ACTION_LICENSED,
           10, LK_BASIS_CONTEXT, "found on Acme's channel yt:acme, licence 10 "
           "covers digital-double in GB until 2026-12-31"}, "channel");
    ctx.territory = NULL;
    expect(cs, &ctx, ai_face, (want){LK_LICENCE_LICENSED, LK_ACTION_LICENSED,
           10, LK_BASIS_CONTEXT, "(where this was found is not known)"},
           "territory unknown");
    /* wrong territory, wrong use, wrong modality */
    ctx.territory = "US";
    expect(cs, &ctx, ai_face, (want){LK_LICENCE_OUT_OF_SCOPE, LK_ACTION_ALERT,
           10, LK_BASIS_CONTEXT, "licence 10 covers GB, not US"}, "territory");
    ctx.territory = "GB";
    ctx.uses = LK_USE_ADVERTISING;
    expect(cs, &ctx, plain_face, (want){LK_LICENCE_OUT_OF_SCOPE,
           LK_ACTION_REVIEW, 10, LK_BASIS_CONTEXT, "not advertising"}, "use");
    ctx.uses = 0;
    lk_finding heard = plain_face;
    heard.voice_segments = 3;
    expect(cs, &ctx, heard, (want){LK_LICENCE_OUT_OF_SCOPE, LK_ACTION_REVIEW,
           10, LK_BASIS_CONTEXT, "licence 10 covers face, not voice"},
           "modality");
    /* a subdomain of the licensee's domain */
    ctx.channel = NULL;
    ctx.domain = "www.acme.example";
    expect(cs, &ctx, plain_face, (want){LK_LICENCE_LICENSED,
           LK_ACTION_LICENSED, 10, LK_BASIS_CONTEXT,
           "found on www.acme.example, Acme's"}, "domain");
    ctx.domain = "notacme.example";
    expect(cs, &ctx, plain_face, (want){LK_LICENCE_UNLICENSED,
           LK_ACTION_REVIEW, 0, 0, "no licence"}, "look-alike domain");
    ctx.domain = NULL;

    /* revoked, then judged before the revocation; expired; not yet */
    ctx.channel = "yt:gamma";
    expect(cs, &ctx, ai_face, (want){LK_LICENCE_REVOKED, LK_ACTION_ALERT, 12,
           LK_BASIS_CONTEXT, "licence 12 was revoked on 2026-03-01"},
           "revoked");
    int64_t feb;
    lk__parse_date("2026-02-01", &feb);
    ctx.time = feb;
    expect(cs, &ctx, ai_face, (want){LK_LICENCE_LICENSED, LK_ACTION_LICENSED,
           12, LK_BASIS_CONTEXT, "licence 12 covers"}, "before revocation");
    ctx.time = now;
    ctx.channel = "yt:delta";
    expect(cs, &ctx, ai_face, (want){LK_LICENCE_EXPIRED, LK_ACTION_ALERT, 13,
           LK_BASIS_CONTEXT, "licence 13 expired on 2026-05-31"}, "expired");
    ctx.channel = "yt:eps";
    expect(cs, &ctx, plain_face, (want){LK_LICENCE_OUT_OF_SCOPE,
           LK_ACTION_REVIEW, 14, LK_BASIS_CONTEXT,
           "licence 14's term starts 2027-01-01"}, "not yet");
    lk__consent_set_free(cs);

    /* a standing refusal wins over a licence that covers the use */
    cs = set_of(recs, 1, LK_USE_DIGITAL_DOUBLE);
    ctx.channel = "yt:acme";
    expect(cs, &ctx, ai_face, (want){LK_LICENCE_REFUSED, LK_ACTION_ALERT, 0, 0,
           "ana refuses digital-double (a standing refusal since 2026-01-01)"},
           "refused");
    /* ... and does not touch a use it does not name */
    expect(cs, &ctx, plain_face, (want){LK_LICENCE_LICENSED,
           LK_ACTION_LICENSED, 10, LK_BASIS_CONTEXT, "covers face"},
           "refusal elsewhere");
    lk__consent_set_free(cs);

    /* a face heard with synthetic speech is a voice clone too */
    lk_finding both = finding(LK_MODALITY_FACE, LK_VERDICT_LIKELY_SYNTHETIC, 1);
    both.voice_segments = 2;
    assert_int_equal(lk__consent_resolve(NULL, &ctx, 0.0f, &both), LK_OK);
    assert_int_equal(both.uses, LK_USE_DIGITAL_DOUBLE | LK_USE_VOICE_CLONE);
    free((char *)both.licence_reason);
    /* ... but a real face over someone else's synthetic speech is neither:
     * the pictures are judged by the file's provenance, the speech only
     * when it is the performer's voice */
    lk_provenance real = {.active = -1, .verdict = LK_VERDICT_NO_SIGNAL};
    ctx.prov = &real;
    lk_finding narrated = finding(LK_MODALITY_FACE,
                                  LK_VERDICT_LIKELY_SYNTHETIC, 1);
    expect(NULL, &ctx, narrated, (want){LK_LICENCE_UNLICENSED,
           LK_ACTION_REVIEW, 0, 0, "no licence"}, "narrated");
    ctx.prov = NULL;
}

/* The signer basis with real provenance: JPEGs signed by the licensee's
 * key, by another key, and by the licensee's but altered after signing. */
static void test_signer(void **state)
{
    (void)state;
    char ok_jpg[700], other_jpg[700], bad_jpg[700];
    snprintf(ok_jpg, sizeof ok_jpg, "%s/signed.jpg", tmpdir);
    snprintf(other_jpg, sizeof other_jpg, "%s/other.jpg", tmpdir);
    snprintf(bad_jpg, sizeof bad_jpg, "%s/altered.jpg", tmpdir);
    c2pa_craft_params p = c2pa_craft_default_params();
    p.signer_pem = pem_lic;
    assert_int_equal(c2pa_craft_write(ok_jpg, &p), 0);
    p.damage = C2PA_CRAFT_PIXELS;
    assert_int_equal(c2pa_craft_write(bad_jpg, &p), 0);
    p.damage = C2PA_CRAFT_INTACT;
    p.signer_pem = pem_other;
    assert_int_equal(c2pa_craft_write(other_jpg, &p), 0);

    char key[65];
    assert_int_equal(lk_certificate_key_sha256(pem_lic, key), LK_OK);
    assert_int_equal(lk_certificate_key_sha256(ok_jpg, key + 0) == LK_OK, 0);
    assert_non_null(strstr(lk_last_error(), "not a PEM certificate"));
    assert_int_equal(lk_certificate_key_sha256(pem_lic, key), LK_OK);
    char rec[1024];
    snprintf(rec, sizeof rec,
             "{\"performer\":\"ana\",\"modalities\":[\"face\"],\"uses\":"
             "[\"digital-double\"],\"licensee\":{\"name\":\"Acme Films\","
             "\"key_sha256\":[\"%s\"]},\"territories\":[\"GB\"],\"from\":"
             "\"2026-01-01\",\"to\":\"2027-06-30\"}", key);
    const char *recs[] = {rec};
    lk__consent_set *cs = set_of(recs, 1, 0);
    int64_t now;
    lk__parse_date("2026-06-01", &now);

    struct {
        const char *path;
        lk_licence_status status;
        lk_action action;
    } cases[] = {
        {ok_jpg, LK_LICENCE_LICENSED, LK_ACTION_LICENSED},
        {other_jpg, LK_LICENCE_UNLICENSED, LK_ACTION_ALERT},
        {bad_jpg, LK_LICENCE_UNLICENSED, LK_ACTION_ALERT},
    };
    for (int i = 0; i < 3; i++) {
        lk_provenance *pr = NULL;
        assert_int_equal(lk_provenance_read(cases[i].path, &pr), LK_OK);
        const lk_prov_manifest *m = lk_provenance_manifest(pr, pr->active);
        assert_non_null(m);
        assert_non_null(m->signer_key);
        assert_int_equal(strcmp(m->signer_key, key) == 0, i != 1);
        lk__consent_ctx ctx = {.time = now, .prov = pr, .territory = "GB"};
        lk_finding f = finding(LK_MODALITY_FACE, pr->verdict, -1);
        assert_int_equal(f.evidence.verdict, LK_VERDICT_DECLARED_AI);
        assert_int_equal(lk__consent_resolve(cs, &ctx, 0.0f, &f), LK_OK);
        if (f.licence != cases[i].status || f.action != cases[i].action)
            fail_msg("%s: %s/%s: %s", cases[i].path,
                     lk_licence_status_name(f.licence),
                     lk_action_name(f.action), f.licence_reason);
        if (i == 0) {
            assert_int_equal(f.licence_basis, LK_BASIS_C2PA_SIGNER);
            assert_string_equal(f.licensee, "Acme Films");
            assert_non_null(strstr(f.licence_reason, "signed by Acme Films, "
                                   "licence 10 covers digital-double in GB "
                                   "until 2027-06-30"));
        }
        free((char *)f.licensee);
        free((char *)f.licence_reason);
        lk_provenance_free(pr);
    }
    lk__consent_set_free(cs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_canonical),
        cmocka_unit_test(test_field_errors),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_store),
        cmocka_unit_test(test_erasure),
        cmocka_unit_test(test_decisions),
        cmocka_unit_test(test_signer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
