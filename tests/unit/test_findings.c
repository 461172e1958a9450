/*
 * test_findings.c — the findings store (review/findings.c) on scan results
 * made by hand (match/result.h): a rescan of the same content updates its
 * findings instead of adding any, another place it is seen is kept beside
 * the first, review states move only as allowed and always with a reason,
 * marks survive a rescan, filters, and a read-only store refuses changes.
 * Needs no model.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "likeness.h"
#include "match/result.h"
#include "test_tmp.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char tmpdir[512], store[600];

static int setup(void **state)
{
    (void)state;
    if (lk_test_mkdtemp("findings", tmpdir, sizeof tmpdir) != 0)
        return -1;
    snprintf(store, sizeof store, "%s/cases.db", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lk_test_rmtree(tmpdir);
    return 0;
}

/* A video result of two matched appearances and one face matching no one
 * (the caller frees it with free_result). */
static lk_scan_result *result(const char *path, const char *sha,
                              lk_action action)
{
    lk_scan_result *r = calloc(1, sizeof *r);
    r->path = strdup(path);
    r->kind = LK_MEDIA_VIDEO;
    snprintf(r->sha256, sizeof r->sha256, "%s", sha);
    r->n_findings = 3;
    r->findings = calloc(3, sizeof *r->findings);
    for (int i = 0; i < 3; i++) {
        lk_finding *f = &r->findings[i];
        f->decision = i < 2 ? LK_MATCH : LK_NO_MATCH;
        f->performer_id = strdup(i == 0 ? "ana" : i == 1 ? "bo" : "ana");
        f->performer_name = strdup("");
        f->modality = LK_MODALITY_FACE;
        f->start = 1.5 + 10 * i;
        f->end = 4.25 + 10 * i;
        f->score = 0.8f;
        f->fmr = 1e-5;
        f->fmr_below = 0;
        f->voice_fmr = -1;
        f->licence = i < 2 ? LK_LICENCE_UNLICENSED : LK_LICENCE_NONE;
        f->action = i < 2 ? action : LK_ACTION_NONE;
        f->licence_reason = i < 2 ? strdup("no licence on record") : NULL;
    }
    return r;
}

static lk_findings *open_store(unsigned flags)
{
    lk_findings *fs = NULL;
    if (lk_findings_open(store, flags, &fs) != LK_OK)
        fail_msg("%s", lk_last_error());
    return fs;
}

static json_t *list(lk_findings *fs, const char *state, const char *action,
                    const char *performer)
{
    char *j = NULL;
    if (lk_findings_list(fs, state, action, performer, &j) != LK_OK)
        fail_msg("%s", lk_last_error());
    json_t *a = json_loads(j, 0, NULL);
    lk_free(j);
    assert_true(json_is_array(a));
    return a;
}

static void test_record(void **state)
{
    (void)state;
    lk_findings *fs = NULL;
    assert_int_equal(lk_findings_open(store, 0, &fs), LK_ERR_NOT_FOUND);
    fs = open_store(LK_FINDINGS_CREATE);
    struct stat st;
    assert_int_equal(stat(store, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);   /* private, whatever umask */
    const char *sha = "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12";
    lk_scan_result *r = result("/media/clip.mp4", sha, LK_ACTION_REVIEW);
    /* the first finding has a crop, the content a context picture */
    static const uint8_t crop[] = {0xFF, 0xD8, 1, 2, 3, 0xFF, 0xD9};
    r->findings[0].crop_jpeg = memcpy(malloc(sizeof crop), crop, sizeof crop);
    r->findings[0].crop_jpeg_size = sizeof crop;
    r->context_jpeg = memcpy(malloc(4), "\xFF\xD8\xFF\xD9", 4);
    r->context_jpeg_size = 4;
    int added = -1, updated = -1;
    assert_int_equal(lk_findings_record(fs, r, NULL, NULL, &added, &updated),
                     LK_OK);
    assert_int_equal(added, 2);          /* the unmatched face is not kept */
    assert_int_equal(updated, 0);
    json_t *a = list(fs, NULL, NULL, NULL);
    assert_int_equal(json_array_size(a), 2);
    json_t *f0 = json_array_get(a, 0);
    assert_string_equal(json_string_value(json_object_get(f0, "sha256")), sha);
    assert_string_equal(json_string_value(json_object_get(f0, "state")), "new");
    assert_true(json_number_value(json_object_get(f0, "start")) == 1.5);
    assert_string_equal(json_string_value(json_object_get(json_object_get(
        json_object_get(f0, "finding"), "licence"), "reason")),
        "no licence on record");
    const json_int_t id = json_integer_value(json_object_get(f0, "id"));
    json_decref(a);
    uint8_t *ev = NULL;
    size_t evn = 0;
    assert_int_equal(lk_findings_evidence(fs, id, "crop", &ev, &evn), LK_OK);
    assert_int_equal(evn, sizeof crop);
    assert_memory_equal(ev, crop, sizeof crop);
    lk_free(ev);
    assert_int_equal(lk_findings_evidence(fs, id, "context", &ev, &evn), LK_OK);
    assert_int_equal(evn, 4);
    lk_free(ev);
    assert_int_equal(lk_findings_evidence(fs, id + 1, "crop", &ev, &evn),
                     LK_ERR_NOT_FOUND);
    assert_null(ev);

    /* review: a reason always; only the allowed moves */
    assert_int_equal(lk_findings_mark(fs, id, LK_REVIEW_CONFIRMED, "rev", NULL),
                     LK_ERR_MISUSE);
    assert_non_null(strstr(lk_last_error(), "reason is required"));
    assert_int_equal(lk_findings_mark(fs, id, LK_REVIEW_CONFIRMED, "rev", ""),
                     LK_ERR_MISUSE);
    assert_int_equal(lk_findings_mark(fs, id, LK_REVIEW_RESOLVED, "rev",
                                      "done"), LK_ERR_MISUSE);
    assert_non_null(strstr(lk_last_error(), "cannot become resolved"));
    assert_int_equal(lk_findings_mark(fs, 999, LK_REVIEW_CONFIRMED, "rev",
                                      "x"), LK_ERR_NOT_FOUND);
    assert_int_equal(lk_findings_mark(fs, id, LK_REVIEW_CONFIRMED, "rev",
                                      "her face"), LK_OK);
    assert_int_equal(lk_findings_mark(fs, id, LK_REVIEW_NOTICE_SENT, "rev",
                                      "notice 7"), LK_OK);

    /* the rescan (now an alert, found elsewhere) updates, keeps the mark,
     * and keeps both places it was seen */
    lk_scan_result *again = result("/mirror/clip-copy.mp4", sha,
                                   LK_ACTION_ALERT);
    assert_int_equal(lk_findings_record(fs, again, "https://example.com/v/1",
                                        "{\"channel\":\"yt:x\"}", &added,
                                        &updated), LK_OK);
    assert_int_equal(added, 0);
    assert_int_equal(updated, 2);
    a = list(fs, NULL, NULL, NULL);
    assert_int_equal(json_array_size(a), 2);
    json_decref(a);
    char *j = NULL;
    assert_int_equal(lk_findings_get(fs, id, &j), LK_OK);
    json_t *o = json_loads(j, 0, NULL);
    lk_free(j);
    assert_string_equal(json_string_value(json_object_get(o, "state")),
                        "notice-sent");
    assert_string_equal(json_string_value(json_object_get(o, "action")),
                        "alert");
    assert_int_equal(json_integer_value(json_object_get(o, "scans")), 2);
    assert_int_equal(json_array_size(json_object_get(o, "seen")), 2);
    assert_int_equal(json_array_size(json_object_get(o, "evidence")), 2);
    json_t *rv = json_object_get(o, "reviews");
    assert_int_equal(json_array_size(rv), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rv, 1),
                                                          "reason")),
                        "notice 7");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(o, "context"), "channel")),
                        "yt:x");
    json_decref(o);

    /* other content: new findings */
    lk_scan_result *other = result("/media/other.mp4",
        "cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34cd34",
        LK_ACTION_REVIEW);
    assert_int_equal(lk_findings_record(fs, other, NULL, NULL, &added,
                                        &updated), LK_OK);
    assert_int_equal(added, 2);
    /* filters */
    a = list(fs, "notice-sent", NULL, NULL);
    assert_int_equal(json_array_size(a), 1);
    json_decref(a);
    a = list(fs, NULL, "review", "bo");
    assert_int_equal(json_array_size(a), 1);
    json_decref(a);
    a = list(fs, NULL, "alert", NULL);
    assert_int_equal(json_array_size(a), 2);
    json_decref(a);
    assert_int_equal(lk_findings_list(fs, "pending", NULL, NULL, &j),
                     LK_ERR_MISUSE);
    assert_int_equal(lk_findings_list(fs, NULL, "block", NULL, &j),
                     LK_ERR_MISUSE);

    /* bad input: a context that is not an object, a result without hash */
    assert_int_equal(lk_findings_record(fs, r, NULL, "[1]", NULL, NULL),
                     LK_ERR_MISUSE);
    r->sha256[0] = '\0';
    assert_int_equal(lk_findings_record(fs, r, NULL, NULL, NULL, NULL),
                     LK_ERR_MISUSE);
    lk_scan_result_free(r);
    lk_scan_result_free(again);
    lk_scan_result_free(other);
    lk_findings_close(fs);

    /* reviews are never rewritten; read-only refuses changes */
    sqlite3 *h;
    assert_int_equal(sqlite3_open(store, &h), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(h, "UPDATE reviews SET reason = 'x'",
                                      NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
    fs = open_store(LK_FINDINGS_READONLY);
    assert_int_equal(lk_findings_mark(fs, id, LK_REVIEW_RESOLVED, "rev", "x"),
                     LK_ERR_MISUSE);
    lk_findings_close(fs);
    /* not a store */
    char junk[700];
    snprintf(junk, sizeof junk, "%s/junk.db", tmpdir);
    assert_int_equal(sqlite3_open(junk, &h), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "CREATE TABLE t (x)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(h);
    assert_int_equal(lk_findings_open(junk, LK_FINDINGS_CREATE, &fs),
                     LK_ERR_DB);
    assert_non_null(strstr(lk_last_error(), "not a Likeness findings store"));
}

/* Two faces of one performer in one photo are two findings, and stay two
 * on a rescan. */
static void test_two_faces(void **state)
{
    (void)state;
    char path[700];
    snprintf(path, sizeof path, "%s/faces.db", tmpdir);
    lk_findings *fs = NULL;
    assert_int_equal(lk_findings_open(path, LK_FINDINGS_CREATE, &fs), LK_OK);
    lk_scan_result *r = result("/media/twins.jpg",
        "ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56ef56",
        LK_ACTION_REVIEW);
    r->kind = LK_MEDIA_IMAGE;
    for (int i = 0; i < 2; i++) {
        lk_finding *f = &r->findings[i];
        free((char *)f->performer_id);
        f->performer_id = strdup("ana");
        f->start = f->end = 0;
        f->face_index = i;
    }
    int added = 0, updated = 0;
    assert_int_equal(lk_findings_record(fs, r, NULL, NULL, &added, &updated),
                     LK_OK);
    assert_true(added == 2 && updated == 0);
    assert_int_equal(lk_findings_record(fs, r, NULL, NULL, &added, &updated),
                     LK_OK);
    assert_true(added == 0 && updated == 2);
    lk_scan_result_free(r);
    lk_findings_close(fs);
}

static void test_states(void **state)
{
    (void)state;
    lk_review_state s;
    static const char *names[] = {"new", "confirmed", "dismissed",
                                  "notice-sent", "resolved"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(lk_review_state_from_name(names[i], &s), LK_OK);
        assert_int_equal((int)s, i);
        assert_string_equal(lk_review_state_name(s), names[i]);
    }
    assert_int_equal(lk_review_state_from_name("open", &s), LK_ERR_MISUSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record),
        cmocka_unit_test(test_two_faces),
        cmocka_unit_test(test_states),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
