/*
 * test_core.c — the enums' names and status text, the version, the
 * last-error slot, hashing, the model manifest, the scan result's
 * accessors and the JSON Lines records.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "core/core.h"
#include "core/manifest.h"
#include "media/source.h"
#include "core/budget.h"
#include "core/bytes.h"
#include "core/grow.h"
#include "core/utf8.h"
#include "match/result.h"
#include "test_tmp.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[512];

static int setup_tmp(void **state)
{
    (void)state;
    return lk_test_mkdtemp("core", tmpdir, sizeof tmpdir);
}

static int teardown_tmp(void **state)
{
    (void)state;
    lk_test_rmtree(tmpdir);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_status_strings(void **state)
{
    (void)state;
    for (int s = 0; s <= LK_ERR_ALTERED; s++) {
        assert_non_null(lk_status_str((lk_status)s));
        assert_non_null(lk_status_name((lk_status)s));
    }
    assert_string_equal(lk_status_name(LK_ERR_FORMAT), "format");
    assert_string_equal(lk_status_str((lk_status)9999), "unknown status");
}

/* Every value of an enum, first..last, has a name that is not "unknown"
 * and no other value's; a value past last is "unknown". */
static void check_names(const char *what, const char *const *names, int n,
                        const char *past)
{
    for (int i = 0; i < n; i++) {
        assert_non_null(names[i]);
        if (!strcmp(names[i], "unknown"))
            fail_msg("%s value %d has no name", what, i);
        for (int k = 0; k < i; k++)
            if (!strcmp(names[i], names[k]))
                fail_msg("%s values %d and %d are both '%s'", what, k, i,
                         names[i]);
    }
    assert_string_equal(past, "unknown");
}

#define CHECK_NAMES(fn, type, first, last)                                   \
    do {                                                                     \
        const char *names[(last) - (first) + 1];                             \
        for (int v = (first); v <= (last); v++)                              \
            names[v - (first)] = fn((type)v);                                \
        check_names(#type, names, (last) - (first) + 1,                      \
                    fn((type)((last) + 1)));                                 \
    } while (0)

static void test_enum_names(void **state)
{
    (void)state;
    CHECK_NAMES(lk_verdict_name, lk_verdict, LK_VERDICT_NO_SIGNAL,
                LK_VERDICT_DECLARED_AI);
    CHECK_NAMES(lk_signature_name, lk_signature, LK_SIGNATURE_NONE,
                LK_SIGNATURE_EXPIRED);
    CHECK_NAMES(lk_binding_name, lk_binding, LK_BINDING_NONE,
                LK_BINDING_UNCHECKED);
    CHECK_NAMES(lk_source_class_name, lk_source_class, LK_SOURCE_UNDECLARED,
                LK_SOURCE_GENERATIVE);
    CHECK_NAMES(lk_modality_name, lk_modality, LK_MODALITY_FACE,
                LK_MODALITY_VOICE);
    CHECK_NAMES(lk_decision_name, lk_decision, LK_NO_MATCH, LK_MATCH);
    CHECK_NAMES(lk_audit_fault_name, lk_audit_fault, LK_AUDIT_INTACT,
                LK_AUDIT_ANCHOR);
    CHECK_NAMES(lk_media_kind_name, lk_media_kind, LK_MEDIA_IMAGE,
                LK_MEDIA_AUDIO);
    CHECK_NAMES(lk_sampling_name, lk_sampling, LK_SAMPLE_SCENE,
                LK_SAMPLE_KEYFRAMES);
    /* Status codes: 0, 1, then 10 on; 2..9 are none. */
    CHECK_NAMES(lk_status_name, lk_status, LK_OK, LK_DONE);
    CHECK_NAMES(lk_status_name, lk_status, LK_ERR_IO, LK_ERR_ALTERED);
    const char *names[LK_ERR_ALTERED + 1], *texts[LK_ERR_ALTERED + 1];
    int n = 0;
    for (int v = LK_OK; v <= LK_ERR_ALTERED; v++) {
        if (v > LK_DONE && v < LK_ERR_IO) {
            assert_string_equal(lk_status_name((lk_status)v), "unknown");
            assert_string_equal(lk_status_str((lk_status)v), "unknown status");
            continue;
        }
        names[n] = lk_status_name((lk_status)v);
        texts[n++] = lk_status_str((lk_status)v);
    }
    check_names("lk_status", names, n, "unknown");
    for (int i = 0; i < n; i++)
        assert_string_not_equal(texts[i], "unknown status");
    /* the policy names read back */
    for (int v = LK_SAMPLE_SCENE; v <= LK_SAMPLE_KEYFRAMES; v++) {
        lk_sampling p = LK_SAMPLE_RATE;
        assert_int_equal(lk_sampling_from_name(lk_sampling_name((lk_sampling)v),
                                               &p), LK_OK);
        assert_int_equal(p, v);
    }
    lk_sampling p = LK_SAMPLE_RATE;
    assert_int_equal(lk_sampling_from_name("fast", &p), LK_ERR_MISUSE);
    assert_int_equal(p, LK_SAMPLE_SCENE);
    assert_int_equal(lk_sampling_from_name(NULL, &p), LK_ERR_MISUSE);
}

/* The library's version is the headers' (the generated
 * likeness_version.h), in both forms, and the forms agree. */
static void test_version(void **state)
{
    (void)state;
    assert_int_equal(lk_version_number(), LK_VERSION_NUMBER);
    assert_string_equal(lk_version(), LK_VERSION_STRING);
    assert_int_equal(LK_VERSION_NUMBER, LK_VERSION_MAJOR * 1000000 +
                                            LK_VERSION_MINOR * 1000 +
                                            LK_VERSION_PATCH);
    char s[64];
    snprintf(s, sizeof s, "%d.%d.%d", LK_VERSION_MAJOR, LK_VERSION_MINOR,
             LK_VERSION_PATCH);
    assert_string_equal(s, LK_VERSION_STRING);
}

static void *other_thread(void *arg)
{
    (void)arg;
    lk__error(LK_ERR_IO, "other thread's error");
    return NULL;
}

static void test_last_error_is_thread_local(void **state)
{
    (void)state;
    assert_int_equal(lk__error(LK_ERR_FORMAT, "%s: bad %d", "x.jpg", 7),
                     LK_ERR_FORMAT);
    pthread_t t;
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, NULL);
    assert_string_equal(lk_last_error(), "x.jpg: bad 7");
    /* context added around a lower layer's message, which is the buffer */
    lk__error(LK_ERR_MODEL, "model m: %s (fetch it)", lk_last_error());
    assert_string_equal(lk_last_error(), "model m: x.jpg: bad 7 (fetch it)");
    lk__error_clear();
    assert_string_equal(lk_last_error(), "");
}

/* A message the length of a deep path is kept whole; one longer than the
 * buffer is cut at a character boundary, and says so. */
static void test_last_error_long(void **state)
{
    (void)state;
    static char path[4097], big[3 * LK__MSG_MAX];
    memset(path, 'a', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    lk__error(LK_ERR_IO, "%s: %s", path, "No such file or directory");
    assert_int_equal(strlen(lk_last_error()), 4096 + 27);
    assert_non_null(strstr(lk_last_error(), "a: No such file or directory"));
    /* two-byte characters: a cut at a fixed size would split one */
    for (size_t i = 0; i + 2 < sizeof big; i += 2)
        memcpy(big + i, "\xc3\xa9", 2);
    for (int odd = 0; odd < 2; odd++) {
        lk__error(LK_ERR_IO, "%s%s", odd ? "x" : "", big);
        const char *e = lk_last_error();
        size_t n = strlen(e);
        assert_true(n < LK__MSG_MAX && n > LK__MSG_MAX - 16);
        assert_string_equal(e + n - 6, " [...]");
        assert_null(lk__utf8_check(e, LK__MSG_MAX, 0));
    }
}

static void test_sha256(void **state)
{
    (void)state;
    char hex[65], path[600];
    lk__sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
    snprintf(path, sizeof path, "%s/abc.txt", tmpdir);
    write_file(path, "abc");
    /* a source hashes the bytes it holds, file or memory alike */
    lk__source *src;
    assert_int_equal(lk__source_open_file(path, &src), LK_OK);
    assert_string_equal(lk__source_sha256(src),
                        "ba7816bf8f01cfea414140de5dae2223"
                        "b00361a396177a9cb410ff61f20015ad");
    lk__source_close(src);
    assert_int_equal(lk__source_open_memory("abc", "abc", 3, &src), LK_OK);
    assert_string_equal(lk__source_sha256(src), hex);
    lk__source_close(src);
    snprintf(path, sizeof path, "%s/missing", tmpdir);
    assert_int_equal(lk__source_open_file(path, &src), LK_ERR_IO);
    assert_null(src);
    assert_non_null(strstr(lk_last_error(), "missing"));
    /* a FIFO is refused without blocking; an empty file is no media */
    snprintf(path, sizeof path, "%s/fifo", tmpdir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(lk__source_open_file(path, &src), LK_ERR_IO);
    assert_non_null(strstr(lk_last_error(), "not a regular file"));
    snprintf(path, sizeof path, "%s/empty", tmpdir);
    write_file(path, "");
    assert_int_equal(lk__source_open_file(path, &src), LK_ERR_FORMAT);
    assert_non_null(strstr(lk_last_error(), "empty"));
}

static void test_grow_and_bytes(void **state)
{
    (void)state;
    int *v = NULL;
    size_t cap = 0;
    assert_int_equal(lk__grow(&v, &cap, 1, sizeof *v, 4), LK_OK);
    assert_int_equal(cap, 4);
    assert_int_equal(lk__grow(&v, &cap, 4, sizeof *v, 4), LK_OK);
    assert_int_equal(cap, 4);
    assert_int_equal(lk__grow(&v, &cap, 9, sizeof *v, 4), LK_OK);
    assert_int_equal(cap, 16);
    for (int i = 0; i < 16; i++)
        v[i] = i;
    /* an impossible size fails and leaves the array as it was */
    assert_int_equal(lk__grow(&v, &cap, SIZE_MAX / 2, sizeof *v, 4),
                     LK_ERR_NOMEM);
    assert_int_equal(cap, 16);
    assert_int_equal(v[15], 15);
    free(v);

    const uint8_t b[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(lk__be16(b), 0x0102);
    assert_int_equal(lk__be32(b), 0x01020304u);
    assert_true(lk__be64(b) == 0x0102030405060708ull);
    assert_int_equal(lk__le16(b), 0x0201);
    assert_int_equal(lk__le32(b), 0x04030201u);
    assert_true(lk__le64(b) == 0x0807060504030201ull);
    uint8_t w[4];
    lk__put_le_f32(w, -1.5f);
    assert_true(lk__le_f32(w) == -1.5f);
    lk__put_le32(w, 0xdeadbeefu);
    assert_int_equal(lk__le32(w), 0xdeadbeefu);
}

static void test_read_file_limit(void **state)
{
    (void)state;
    char path[700];
    uint8_t *buf;
    size_t n;
    snprintf(path, sizeof path, "%s/ten.bin", tmpdir);
    write_file(path, "0123456789");
    assert_int_equal(lk__read_file(path, 10, &buf, &n), LK_OK);
    assert_int_equal(n, 10);
    assert_memory_equal(buf, "0123456789", 10);
    free(buf);
    assert_int_equal(lk__read_file(path, 9, &buf, &n), LK_ERR_TOO_LARGE);
    assert_null(buf);
    /* what is not a regular file is refused at once, naming it: a FIFO
     * without a writer would block an open or a read for ever (the alarm
     * kills the test if it does), a device would be read without end */
    snprintf(path, sizeof path, "%s/fifo.json", tmpdir);
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(10);
    assert_int_equal(lk__read_file(path, 1 << 20, &buf, &n), LK_ERR_IO);
    assert_null(buf);
    assert_non_null(strstr(lk_last_error(), "fifo.json: not a regular file"));
    assert_int_equal(lk__read_file("/dev/zero", 1 << 20, &buf, &n),
                     LK_ERR_IO);
    assert_non_null(strstr(lk_last_error(), "/dev/zero: not a regular file"));
    assert_int_equal(lk__read_file(tmpdir, 1 << 20, &buf, &n), LK_ERR_IO);
    assert_non_null(strstr(lk_last_error(), "is a directory"));
    /* the model manifest is read so too */
    lk__manifest m;
    char dir[600];
    snprintf(dir, sizeof dir, "%s/fifomodels", tmpdir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(lk__manifest_load(dir, &m), LK_ERR_MODEL);
    assert_non_null(strstr(lk_last_error(), "manifest.json: not a regular "
                                            "file"));
    alarm(0);
}

static const char good_manifest[] =
    "{\"models\":["
    "{\"id\":\"a@1\",\"role\":\"face_embed\",\"file\":\"weights/a.bin\","
    "\"sha256\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\","
    "\"input\":{\"width\":112,\"height\":112,\"channels\":\"rgb\",\"mean\":127,"
    "\"scale\":0.0078125},\"dim\":512,\"threshold\":0.3},"
    "{\"id\":\"b@2\",\"role\":\"face_embed\",\"default\":true,\"file\":\"b.bin\","
    "\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\","
    "\"input\":{\"width\":96,\"height\":128,\"channels\":\"bgr\",\"mean\":0},"
    "\"dim\":128,\"threshold\":0.5}]}";

static void test_manifest(void **state)
{
    (void)state;
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/models", tmpdir);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    write_file(path, good_manifest);
    snprintf(path, sizeof path, "%s/weights", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/weights/a.bin", dir);
    write_file(path, "abc");
    snprintf(path, sizeof path, "%s/b.bin", dir);
    write_file(path, "not what the manifest says");

    lk__manifest mf;
    assert_int_equal(lk__manifest_load(dir, &mf), LK_OK);
    assert_int_equal(mf.n, 2);
    lk__model *def = lk__manifest_find(&mf, "face_embed", NULL);
    assert_non_null(def);
    assert_string_equal(def->id, "b@2");    /* the one marked default */
    assert_int_equal(def->channels, LK__CH_BGR);
    assert_int_equal(def->input_w, 96);
    assert_int_equal(def->input_h, 128);
    assert_true(def->scale == 1.0f);
    lk__model *a = lk__manifest_find(&mf, "face_embed", "a@1");
    assert_non_null(a);
    assert_int_equal(a->dim, 512);
    assert_null(lk__manifest_find(&mf, "face_embed", "c@3"));
    assert_null(lk__manifest_find(&mf, "face_detect", NULL));

    assert_int_equal(lk__model_load_weights(a, 1), LK_OK);
    assert_int_equal(a->n_weights, 3);
    assert_int_equal(lk__model_load_weights(def, 1), LK_ERR_MODEL);
    assert_non_null(strstr(lk_last_error(), "b.bin"));
    assert_non_null(strstr(lk_last_error(), "sha256"));
    lk__manifest_free(&mf);
}

static void test_manifest_bad(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "{",
        "{\"models\":[]}",
        "{\"models\":[{\"id\":\"x\"}]}",
        "{\"models\":[{\"id\":\"x\",\"role\":\"face_embed\",\"file\":\"f\","
        "\"sha256\":\"00\",\"input\":{\"width\":1,\"height\":1}}]}",
        "{\"models\":[{\"id\":\"x\",\"role\":\"face_embed\",\"file\":\"f\","
        "\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\","
        "\"input\":{\"width\":112,\"height\":112},\"dim\":0}]}",
        "{\"models\":[{\"id\":\"x\",\"role\":\"face_detect\",\"file\":\"f\","
        "\"sha256\":\"0000000000000000000000000000000000000000000000000000000000000000\","
        "\"input\":{\"width\":-5,\"height\":112}}]}",
    };
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/badmodels", tmpdir);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(path, bad[i]);
        lk__manifest mf;
        assert_int_equal(lk__manifest_load(dir, &mf), LK_ERR_MODEL);
        assert_null(mf.models);
        assert_non_null(strstr(lk_last_error(), "manifest.json"));
    }
}

/* The accessors read the result's parts, refuse out-of-range indexes and
 * a NULL result. */
static void test_scan_result_accessors(void **state)
{
    (void)state;
    lk_finding f[2];
    memset(f, 0, sizeof f);
    f[1].decision = LK_MATCH;
    char path[] = "clip.mp4", w0[] = "clip.mp4: 1.00 s: corrupt packet";
    char *warnings[] = {w0, NULL};
    lk_provenance prov;
    memset(&prov, 0, sizeof prov);
    lk_scan_result r = {.path = path, .kind = LK_MEDIA_VIDEO, .width = 640,
                        .height = 360, .faces = 4, .threshold = 0.35f,
                        .n_findings = 2, .findings = f, .duration = 12.5,
                        .frames_decoded = 300, .frames_sampled = 25,
                        .cuts = 2, .n_warnings = 3, .warnings = warnings,
                        .speech_seconds = 7.5, .voice_segments = 3,
                        .voice_threshold = 0.2f, .speech_scored = 1,
                        .synthetic_score = -4.0f,
                        .synthetic_threshold = -6.0f, .provenance = &prov};
    assert_string_equal(lk_scan_result_path(&r), "clip.mp4");
    assert_int_equal(lk_scan_result_kind(&r), LK_MEDIA_VIDEO);
    assert_int_equal(lk_scan_result_width(&r), 640);
    assert_int_equal(lk_scan_result_height(&r), 360);
    assert_int_equal(lk_scan_result_faces(&r), 4);
    assert_float_equal(lk_scan_result_threshold(&r), 0.35, 1e-6);
    assert_int_equal(lk_scan_result_count(&r), 2);
    assert_ptr_equal(lk_scan_result_finding(&r, 0), &f[0]);
    assert_ptr_equal(lk_scan_result_finding(&r, 1), &f[1]);
    assert_null(lk_scan_result_finding(&r, 2));
    assert_null(lk_scan_result_finding(&r, -1));
    assert_float_equal(lk_scan_result_duration(&r), 12.5, 1e-9);
    assert_int_equal(lk_scan_result_frames_decoded(&r), 300);
    assert_int_equal(lk_scan_result_frames_sampled(&r), 25);
    assert_int_equal(lk_scan_result_cuts(&r), 2);
    /* three seen, one kept */
    assert_int_equal(lk_scan_result_warning_count(&r), 3);
    assert_string_equal(lk_scan_result_warning(&r, 0), w0);
    assert_null(lk_scan_result_warning(&r, 1));
    assert_null(lk_scan_result_warning(&r, 2));
    assert_null(lk_scan_result_warning(&r, -1));
    assert_float_equal(lk_scan_result_speech_seconds(&r), 7.5, 1e-9);
    assert_int_equal(lk_scan_result_voice_segments(&r), 3);
    assert_float_equal(lk_scan_result_voice_threshold(&r), 0.2, 1e-6);
    assert_int_equal(lk_scan_result_speech_scored(&r), 1);
    assert_float_equal(lk_scan_result_synthetic_score(&r), -4.0, 1e-6);
    assert_float_equal(lk_scan_result_synthetic_threshold(&r), -6.0, 1e-6);
    assert_ptr_equal(lk_scan_result_provenance(&r), &prov);

    r.warnings = NULL;
    assert_null(lk_scan_result_warning(&r, 0));
    assert_null(lk_scan_result_path(NULL));
    assert_int_equal(lk_scan_result_count(NULL), 0);
    assert_null(lk_scan_result_finding(NULL, 0));
    assert_int_equal(lk_scan_result_warning_count(NULL), 0);
    assert_null(lk_scan_result_warning(NULL, 0));
    assert_null(lk_scan_result_provenance(NULL));
}

static void test_scan_json(void **state)
{
    (void)state;
    lk_finding f = {0};
    f.face_index = 2;
    f.face.x = 10.123456f;
    f.face.y = 20;
    f.face.w = 30;
    f.face.h = 40;
    f.face.score = 0.99f;
    f.performer_id = "p\"1\n";
    f.performer_name = "Zo\xc3\xab";
    f.score = 0.7123f;
    f.decision = LK_MATCH;
    char path[] = "dir/bad\xff\xfename.jpg";
    lk_scan_result r = {.path = path, .width = 640, .height = 480,
                        .faces = 3, .threshold = 0.35f, .n_findings = 1,
                        .findings = &f};
    char *s = lk_scan_result_json(&r);
    assert_non_null(s);
    assert_null(strchr(s, '\n'));
    json_error_t err;
    json_t *j = json_loads(s, 0, &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "path")),
                        "dir/bad\xef\xbf\xbd\xef\xbf\xbdname.jpg");
    /* the exact bytes beside it, base64: two such names stay apart */
    assert_string_equal(json_string_value(json_object_get(j, "path_bytes")),
                        "ZGlyL2JhZP/+bmFtZS5qcGc=");
    assert_int_equal(json_integer_value(json_object_get(j, "matches")), 1);
    json_t *f0 = json_array_get(json_object_get(j, "findings"), 0);
    assert_string_equal(json_string_value(json_object_get(f0, "performer")),
                        "p\"1\n");
    assert_string_equal(json_string_value(json_object_get(f0, "decision")),
                        "match");
    assert_float_equal(json_real_value(json_object_get(f0, "score")), 0.7123,
                       1e-6);
    assert_float_equal(json_real_value(json_array_get(
                           json_object_get(f0, "box"), 0)), 10.1235, 1e-6);
    json_decref(j);
    lk_free(s);

    /* a name that is UTF-8 has no path_bytes */
    char good[] = "dir/Zo\xc3\xab.jpg";
    r.path = good;
    s = lk_scan_result_json(&r);
    assert_non_null(s);
    assert_null(strstr(s, "path_bytes"));
    lk_free(s);
    s = lk_error_json("x\xfe.jpg", LK_ERR_IO, "x\xfe.jpg: gone");
    j = json_loads(s, 0, &err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "path_bytes")),
                        "eP4uanBn");
    json_decref(j);
    lk_free(s);

    s = lk_error_json("x.jpg", LK_ERR_TOO_LARGE, "x.jpg: too big");
    j = json_loads(s, 0, &err);
    assert_non_null(j);
    assert_null(json_object_get(j, "path_bytes"));
    json_t *e = json_object_get(j, "error");
    assert_string_equal(json_string_value(json_object_get(e, "status")),
                        "too_large");
    json_decref(j);
    lk_free(s);
}

/* The text writer: one line per finding whatever the strings hold (a
 * name with a newline forged a MATCH line), each string escaped as
 * lk_text_escape() says. */
static void test_scan_text_escaped(void **state)
{
    (void)state;
    char *e = lk_text_escape("a\\b\nc\rd\te\x01\x7f\xff\xc3\xa9"
                             "\xc2\x85\xe2\x80\xae.jpg");
    assert_string_equal(e, "a\\\\b\\nc\\rd\\te\\x01\\x7f\\xff\xc3\xa9"
                           "\\u0085\\u202e.jpg");
    lk_free(e);
    assert_null(lk_text_escape(NULL));

    lk_finding f = {0};
    f.decision = LK_MATCH;
    f.score = 0.9f;
    f.performer_id = "perf\nx.jpg: MATCH mallory";
    f.performer_name = "Eve\r\n";
    f.licence = LK_LICENCE_UNLICENSED;
    f.licence_reason = "no\nlicence";
    char path[] = "dir/a.jpg\nb.jpg: MATCH mallory (Mallory) score 0.999";
    char w0[] = "a warning\nlikeness: forged";
    char *warnings[] = {w0, NULL};
    lk_scan_result r = {.path = path, .width = 64, .height = 64, .faces = 1,
                        .threshold = 0.35f, .n_findings = 1, .findings = &f,
                        .n_warnings = 1, .warnings = warnings};
    char *t = lk_scan_result_text(&r, LK_TEXT_FINDINGS | LK_TEXT_WARNINGS);
    assert_non_null(t);
    /* two lines: the warning and the finding */
    int lines = 0;
    for (const char *c = t; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 2);
    assert_non_null(strstr(t, "likeness: warning: a warning\\nlikeness: "
                              "forged\n"));
    assert_non_null(strstr(t, "dir/a.jpg\\nb.jpg: MATCH mallory (Mallory) "
                              "score 0.999: MATCH perf\\nx.jpg: MATCH "
                              "mallory (Eve\\r\\n) score 0.900"));
    assert_non_null(strstr(t, "(no\\nlicence)"));
    lk_free(t);
}

/* The memory budget: a taker that does not fit waits for a holder to give
 * back, and one that needs more than the whole cap is refused at once. */
typedef struct taker {
    lk__budget *b;
    volatile int got;
} taker;

static void *take_half(void *arg)
{
    taker *t = arg;
    if (lk__budget_take(t->b, 60, "second") == LK_OK)
        t->got = 1;
    return NULL;
}

static void test_budget(void **state)
{
    (void)state;
    lk__budget *b;
    assert_int_equal(lk__budget_new(0, &b), LK_ERR_MISUSE);
    assert_int_equal(lk__budget_new(100, &b), LK_OK);
    assert_int_equal(lk__budget_total(b), 100);
    assert_int_equal(lk__budget_take(b, 101, "huge.png"), LK_ERR_TOO_LARGE);
    assert_non_null(strstr(lk_last_error(), "huge.png"));
    assert_int_equal(lk__budget_take(NULL, 1 << 30, "x"), LK_OK);
    assert_int_equal(lk__budget_take(b, 60, "first"), LK_OK);
    taker t = {b, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, take_half, &t), 0);
    usleep(100 * 1000);
    assert_int_equal(t.got, 0);          /* 60 + 60 > 100: it waits */
    lk__budget_give(b, 60);
    pthread_join(th, NULL);
    assert_int_equal(t.got, 1);
    lk__budget_give(b, 60);
    lk__budget_free(b);
    assert_true(lk__budget_default() >= (int64_t)256 << 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_strings),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_enum_names),
        cmocka_unit_test(test_last_error_is_thread_local),
        cmocka_unit_test(test_last_error_long),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_grow_and_bytes),
        cmocka_unit_test(test_read_file_limit),
        cmocka_unit_test(test_manifest),
        cmocka_unit_test(test_manifest_bad),
        cmocka_unit_test(test_scan_result_accessors),
        cmocka_unit_test(test_scan_json),
        cmocka_unit_test(test_scan_text_escaped),
    };
    return cmocka_run_group_tests(tests, setup_tmp, teardown_tmp);
}
