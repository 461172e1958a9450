/*
 * test_report.c — the human-readable report (engine/report/text.c) on real
 * scan results and provenance records: a line per finding, in order, each
 * naming the file, the decision, the performer, the face or the times and
 * the evidence; the decoding warnings; `inspect`'s text.  Uses the
 * evaluation data (eval_dir.h) and the models; skips without them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "likeness.h"
#include "eval_dir.h"

#include <jansson.h>
#include <math.h>
#include "test_tmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OBAMA "faces_face_recognition/obama/obama.jpg"
#define LMM "faces_face_recognition/lin_manuel_miranda/lin-manuel-miranda.png"
#define GROUP "faces_face_recognition/_group/obama_and_biden.jpg"
#define HAMILTON "video_faces/hamilton/short_hamilton_clip.mp4"
#define SPEAKER "voices_librispeech_resemblyzer/test-other/1688/"
#define C2PA "provenance_c2pa_iptc/c2pa/"

static char eval[1024], tmpdir[512];
static lk_engine *eng;
static lk_session *ses;
static lk_gallery *gal;

static const char *eval_path(const char *rel)
{
    static char p[2048];
    snprintf(p, sizeof p, "%s/%s", eval, rel);
    return p;
}

static int setup(void **state)
{
    (void)state;
    const char *e = lk_test_eval_dir();
    if (!e)
        return 0;
    snprintf(eval, sizeof eval, "%s", e);
    if (access(eval_path(OBAMA), R_OK) != 0 ||
        access(eval_path(HAMILTON), R_OK) != 0) {
        eval[0] = '\0';
        return 0;
    }
    lk_engine_params ep = lk_engine_default_params();
    if (lk_engine_open(&ep, &eng) != LK_OK || !lk_engine_voice_model_id(eng))
        return 0;
    char dir[600];
    if (lk_test_mkdtemp("report", tmpdir, sizeof tmpdir) != 0)
        return -1;
    snprintf(dir, sizeof dir, "%s/gallery", tmpdir);
    if (lk_session_new(eng, &ses) != LK_OK ||
        lk_gallery_open(dir, eng, LK_GALLERY_CREATE, &gal) != LK_OK ||
        lk_gallery_add_performer(gal, "obama", NULL) != LK_OK ||
        lk_gallery_add_performer(gal, "lmm", "Lin-Manuel Miranda") != LK_OK ||
        lk_gallery_add_performer(gal, "spk", NULL) != LK_OK ||
        lk_gallery_enroll(gal, ses, "obama", LK_MODALITY_FACE,
                          eval_path(OBAMA), 0, NULL) != LK_OK ||
        lk_gallery_enroll(gal, ses, "lmm", LK_MODALITY_FACE, eval_path(LMM),
                          0, NULL) != LK_OK ||
        lk_gallery_enroll(gal, ses, "spk", LK_MODALITY_VOICE,
                          eval_path(SPEAKER "1688-142285-0000.flac"), 0,
                          NULL) != LK_OK) {
        fprintf(stderr, "setup: %s\n", lk_last_error());
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lk_gallery_close(gal);
    lk_session_free(ses);
    lk_engine_free(eng);
    lk_test_rmtree(tmpdir);
    return 0;
}

#define NEED_DATA()                                                         \
    do {                                                                    \
        if (!gal)                                                           \
            skip();                                                         \
    } while (0)

/* The lines of a text, each ending in a newline (the last included). */
static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* A copy of line i (0-based) without its newline, in buf. */
static const char *line(const char *s, int i, char *buf, size_t n)
{
    for (; i > 0 && s; i--)
        if ((s = strchr(s, '\n')))
            s++;
    assert_non_null(s);
    size_t len = strcspn(s, "\n");
    assert_true(len < n);
    memcpy(buf, s, len);
    buf[len] = '\0';
    return buf;
}

static lk_scan_result *scan(const char *path, int all)
{
    lk_scan_params sp = lk_scan_default_params();
    sp.report_all = all;
    lk_scan_result *r = NULL;
    lk_status s = lk_scan_file(gal, ses, path, &sp, &r);
    if (s != LK_OK)
        fail_msg("%s", lk_last_error());
    return r;
}

/* After key in buf: ", fmr 1 in 50,000" (or "< 1 in"), its odds within the
 * two significant digits of fmr's, and the bound said when it is one. */
static void check_fmr_words(const char *buf, const char *key, double fmr,
                            int below)
{
    const char *p = strstr(buf, key);
    assert_non_null(p);
    p = strstr(p, ", fmr ");
    if (!p)
        fail_msg("no fmr in '%s'", buf);
    p += 6;
    assert_int_equal(strncmp(p, "< ", 2) == 0, below);
    p += below ? 2 : 0;
    assert_int_equal(strncmp(p, "1 in ", 5), 0);
    char digits[32];
    size_t o = 0;
    for (p += 5; (*p >= '0' && *p <= '9') || *p == ',' || *p == '.'; p++)
        if (*p != ',' && o + 1 < sizeof digits)
            digits[o++] = *p;
    digits[o] = '\0';
    double odds = atof(digits);
    if (!(fabs(odds * fmr - 1.0) < 0.05))
        fail_msg("'%s': 1 in %s for fmr %g", buf, digits, fmr);
}

/* The JSON record's findings carry the same fmr (3 significant digits),
 * null only where the finding's is unknown, and the same licence check. */
static void check_json_fmr(const lk_scan_result *r)
{
    char *js = lk_scan_result_json(r);
    json_error_t err;
    json_t *root = json_loads(js, 0, &err);
    assert_non_null(root);
    json_t *fs = json_object_get(root, "findings");
    assert_int_equal(json_array_size(fs), lk_scan_result_count(r));
    for (int i = 0; i < lk_scan_result_count(r); i++) {
        const lk_finding *x = lk_scan_result_finding(r, i);
        json_t *f = json_array_get(fs, (size_t)i);
        json_t *v = json_object_get(f, "fmr");
        assert_non_null(v);
        if (x->fmr < 0) {
            assert_true(json_is_null(v));
        } else {
            assert_true(fabs(json_number_value(v) / x->fmr - 1) < 0.005);
            assert_int_equal(json_is_true(json_object_get(f, "fmr_below")),
                             x->fmr_below);
        }
        json_t *vo = json_object_get(f, "voice");
        if (vo && x->voice_fmr >= 0)
            assert_true(fabs(json_number_value(json_object_get(vo, "fmr")) /
                             x->voice_fmr - 1) < 0.005);
        /* the licence check as the struct has it, null without a match */
        json_t *lic = json_object_get(f, "licence");
        assert_string_equal(json_string_value(json_object_get(f, "action")),
                            lk_action_name(x->action));
        if (x->licence == LK_LICENCE_NONE) {
            assert_true(json_is_null(lic));
            continue;
        }
        assert_int_equal(x->decision, LK_MATCH);
        assert_string_equal(json_string_value(json_object_get(lic, "status")),
                            lk_licence_status_name(x->licence));
        assert_string_equal(json_string_value(json_object_get(lic, "reason")),
                            x->licence_reason);
        assert_true(json_is_array(json_object_get(lic, "basis")));
        assert_true(json_is_array(json_object_get(lic, "uses")));
    }
    json_decref(root);
    lk_free(js);
}

/* Every finding has its line, in order, starting with the path and the
 * decision, naming the performer and ending with the evidence, and with
 * its false-match rate (the shipped models are calibrated), then the
 * licence check and the action when a performer matched. */
static void check_lines(const lk_scan_result *r, const char *text)
{
    const int n = lk_scan_result_count(r);
    assert_int_equal(count_lines(text), n);
    assert_true(n == 0 || text[strlen(text) - 1] == '\n');
    for (int i = 0; i < n; i++) {
        const lk_finding *x = lk_scan_result_finding(r, i);
        char buf[2048], want[600];
        line(text, i, buf, sizeof buf);
        if (x->performer_id)
            snprintf(want, sizeof want, "%s: %s %s", lk_scan_result_path(r),
                     x->decision == LK_MATCH ? "MATCH" : "no match",
                     x->performer_id);
        else
            snprintf(want, sizeof want, "%s: no match (empty gallery)",
                     lk_scan_result_path(r));
        assert_ptr_equal(strstr(buf, want), buf);
        if (x->performer_name && *x->performer_name) {
            snprintf(want, sizeof want, " (%s)", x->performer_name);
            assert_non_null(strstr(buf, want));
        }
        snprintf(want, sizeof want, " [%s",
                 lk_verdict_name(x->evidence.verdict));
        assert_non_null(strstr(buf, want));
        if (x->licence == LK_LICENCE_NONE) {
            assert_int_equal(x->action, LK_ACTION_NONE);
            assert_int_equal(buf[strlen(buf) - 1], ']');
        } else {
            /* the licence check after the evidence, the action last */
            snprintf(want, sizeof want, "] licence %s (%s); action %s",
                     lk_licence_status_name(x->licence), x->licence_reason,
                     lk_action_name(x->action));
            const char *at = strstr(buf, want);
            assert_non_null(at);
            assert_string_equal(at, want);
        }
        if (x->modality == LK_MODALITY_FACE) {
            snprintf(want, sizeof want, "face %.0fx%.0f at %.0f,%.0f",
                     x->face.w, x->face.h, x->face.x, x->face.y);
            assert_non_null(strstr(buf, want));
        }
        if (x->evidence.speech_scored)
            assert_non_null(strstr(buf, "; synthetic speech "));
        if (x->performer_id) {
            assert_true(x->fmr > 0 && x->fmr <= 1);
            check_fmr_words(buf, "score ", x->fmr, x->fmr_below);
        }
        if (x->modality == LK_MODALITY_FACE && x->voice_segments > 0) {
            assert_true(x->voice_fmr > 0 && x->voice_fmr <= 1);
            check_fmr_words(buf, "voice heard too", x->voice_fmr,
                            x->voice_fmr_below);
        }
    }
    check_json_fmr(r);
}

static void test_image(void **state)
{
    (void)state;
    NEED_DATA();
    lk_scan_result *r = scan(eval_path(GROUP), 1);
    assert_true(lk_scan_result_count(r) >= 2);
    char *text = lk_scan_result_text(r, LK_TEXT_FINDINGS);
    assert_non_null(text);
    check_lines(r, text);
    /* obama matches, best first, with a score; the others are no match */
    char buf[2048];
    line(text, 0, buf, sizeof buf);
    assert_non_null(strstr(buf, ": MATCH obama score 0."));
    assert_non_null(strstr(buf, "[no-signal by Adobe Photoshop CS5"));
    line(text, 1, buf, sizeof buf);
    assert_non_null(strstr(buf, ": no match "));
    /* 0 is LK_TEXT_FINDINGS; a clean file has no warnings */
    char *same = lk_scan_result_text(r, 0);
    assert_string_equal(same, text);
    char *warn = lk_scan_result_text(r, LK_TEXT_WARNINGS);
    assert_string_equal(warn, "");
    lk_free(warn);
    lk_free(same);
    lk_free(text);
    lk_scan_result_free(r);
    assert_null(lk_scan_result_text(NULL, LK_TEXT_FINDINGS));
}

/* Scan a file: its text has the finding lines, and the first holds each
 * of want (NULL-terminated). */
static void check_first_line(const char *path, lk_media_kind kind,
                             const char *const *want)
{
    lk_scan_result *r = scan(path, 0);
    assert_int_equal(lk_scan_result_kind(r), kind);
    assert_true(lk_scan_result_count(r) >= 1);
    char *text = lk_scan_result_text(r, LK_TEXT_FINDINGS);
    assert_non_null(text);
    check_lines(r, text);
    char buf[2048];
    line(text, 0, buf, sizeof buf);
    for (; *want; want++)
        if (!strstr(buf, *want))
            fail_msg("no '%s' in '%s'", *want, buf);
    lk_free(text);
    lk_scan_result_free(r);
}

static void test_video(void **state)
{
    (void)state;
    NEED_DATA();
    static const char *const want[] = {
        ": MATCH lmm (Lin-Manuel Miranda) ", " s, score 0.", " (peak 0.",
        " frames, face ", NULL};
    check_first_line(eval_path(HAMILTON), LK_MEDIA_VIDEO, want);
}

static void test_voice(void **state)
{
    (void)state;
    NEED_DATA();
    static const char *const want[] = {
        ": MATCH spk 0.", " s, voice score 0.", " speech window", NULL};
    check_first_line(eval_path(SPEAKER "1688-142285-0001.flac"),
                     LK_MEDIA_AUDIO, want);
}

/* A recording with bytes flipped past its first quarter: decoding warnings
 * a line each, then one for those counted but not kept. */
static void test_warnings(void **state)
{
    (void)state;
    NEED_DATA();
    FILE *f = fopen(eval_path(SPEAKER "1688-142285-0001.flac"), "rb");
    assert_non_null(f);
    static unsigned char data[1 << 20];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    assert_true(n > 4096 && n < sizeof data);
    uint32_t seed = 1;
    for (int i = 0; i < 300; i++) {
        seed = seed * 1103515245u + 12345u;
        data[n / 4 + (seed >> 8) % (n - n / 4)] ^= 0x5A;
    }
    lk_scan_params sp = lk_scan_default_params();
    lk_scan_result *r = NULL;
    assert_int_equal(lk_scan_memory(gal, ses, "damaged.flac", data, n, &sp,
                                    &r), LK_OK);
    const int all = lk_scan_result_warning_count(r);
    assert_true(all > 0);
    int kept = 0;
    while (lk_scan_result_warning(r, kept))
        kept++;
    char *warn = lk_scan_result_text(r, LK_TEXT_WARNINGS);
    assert_non_null(warn);
    assert_int_equal(count_lines(warn), kept + (all > kept));
    char buf[2048];
    for (int i = 0; i < kept; i++) {
        line(warn, i, buf, sizeof buf);
        assert_ptr_equal(strstr(buf, "likeness: warning: "), buf);
        assert_string_equal(buf + strlen("likeness: warning: "),
                            lk_scan_result_warning(r, i));
    }
    if (all > kept) {
        char want[128];
        snprintf(want, sizeof want, "likeness: warning: damaged.flac: %d more "
                 "decoding warnings", all - kept);
        assert_string_equal(line(warn, kept, buf, sizeof buf), want);
    }
    /* both parts: the warnings first */
    char *findings = lk_scan_result_text(r, LK_TEXT_FINDINGS);
    char *both = lk_scan_result_text(r, LK_TEXT_FINDINGS | LK_TEXT_WARNINGS);
    assert_non_null(findings);
    assert_non_null(both);
    assert_int_equal(strlen(both), strlen(warn) + strlen(findings));
    assert_memory_equal(both, warn, strlen(warn));
    assert_string_equal(both + strlen(warn), findings);
    lk_free(both);
    lk_free(findings);
    lk_free(warn);
    lk_scan_result_free(r);
}

static void test_provenance(void **state)
{
    (void)state;
    if (!eval[0])
        skip();
    lk_provenance *p = NULL;
    const char *path = eval_path(C2PA "C.jpg");
    assert_int_equal(lk_provenance_read(path, &p), LK_OK);
    char *text = lk_provenance_text(p, 0);
    assert_non_null(text);
    char buf[2048], want[2100];
    snprintf(want, sizeof want, "%s: %s", path, lk_verdict_name(p->verdict));
    assert_string_equal(line(text, 0, buf, sizeof buf), want);
    assert_non_null(strstr(text, "\n  declared: algorithmicMedia (c2pa) by "));
    assert_non_null(strstr(text, "\n  C2PA: 1 manifest, signature valid, "
                                 "content intact (hash matches)\n"));
    assert_non_null(strstr(text, "\n  active manifest "));
    assert_non_null(strstr(text, "\n    action: c2pa.created, "
                                 "algorithmicMedia, by "));
    /* a note per problem, last */
    int notes = 0;
    for (const char *s = text; (s = strstr(s, "\n  note: ")); s++)
        notes++;
    assert_int_equal(notes, p->n_problems);
    assert_int_equal(text[strlen(text) - 1], '\n');
    lk_free(text);
    lk_provenance_free(p);

    assert_int_equal(lk_provenance_read(eval_path(C2PA "E-sig-CA.jpg"), &p),
                     LK_OK);
    text = lk_provenance_text(p, 0);
    assert_non_null(text);
    assert_non_null(strstr(text, ": invalid-manifest\n"));
    assert_non_null(strstr(text, ", signature INVALID, "));
    assert_non_null(strstr(text, " (INVALID)\n"));
    assert_non_null(strstr(text, "\n    ingredient: A.jpg\n"));
    lk_free(text);
    lk_provenance_free(p);
    assert_null(lk_provenance_text(NULL, 0));
}

/* keep_evidence: each matched face of a photo and the photo itself as
 * JPEGs (decodable, at most 256 and 640 pixels a side); none without it,
 * none for a face that matched no one. */
static void test_evidence(void **state)
{
    (void)state;
    NEED_DATA();
    lk_scan_result *r = scan(eval_path(GROUP), 1);
    size_t n = 1;
    assert_null(lk_scan_result_context_jpeg(r, &n));
    assert_int_equal(n, 0);
    for (int i = 0; i < lk_scan_result_count(r); i++)
        assert_null(lk_scan_result_finding(r, i)->crop_jpeg);
    lk_scan_result_free(r);
    lk_scan_params sp = lk_scan_default_params();
    sp.report_all = 1;
    sp.keep_evidence = 1;
    assert_int_equal(lk_scan_file(gal, ses, eval_path(GROUP), &sp, &r), LK_OK);
    int crops = 0;
    for (int i = 0; i < lk_scan_result_count(r); i++) {
        const lk_finding *f = lk_scan_result_finding(r, i);
        if (f->decision != LK_MATCH) {
            assert_null(f->crop_jpeg);
            continue;
        }
        assert_non_null(f->crop_jpeg);
        assert_true(f->crop_jpeg_size > 100);
        assert_true(f->crop_jpeg[0] == 0xFF && f->crop_jpeg[1] == 0xD8);
        lk_faces *faces = NULL;
        /* the crop is a picture with the face in it */
        char p[700];
        snprintf(p, sizeof p, "%s/crop.jpg", tmpdir);
        FILE *fp = fopen(p, "wb");
        fwrite(f->crop_jpeg, 1, f->crop_jpeg_size, fp);
        fclose(fp);
        assert_int_equal(lk_faces_from_file(ses, p, NULL, &faces), LK_OK);
        assert_true(lk_faces_count(faces) >= 1);
        assert_true(lk_faces_width(faces) <= 256 && lk_faces_height(faces) <= 256);
        lk_faces_free(faces);
        crops++;
    }
    assert_true(crops >= 1);
    const uint8_t *ctx = lk_scan_result_context_jpeg(r, &n);
    assert_non_null(ctx);
    assert_true(n > 100 && ctx[0] == 0xFF && ctx[1] == 0xD8);
    lk_scan_result_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image),
        cmocka_unit_test(test_evidence),
        cmocka_unit_test(test_video),
        cmocka_unit_test(test_voice),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_provenance),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
