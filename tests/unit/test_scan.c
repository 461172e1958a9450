/*
 * test_scan.c — enrol and scan end to end through the public API, on
 * public-domain portraits that Debian packages ship (scikit-image's
 * astronaut.png: Eileen Collins, NASA; matplotlib's grace_hopper.jpg:
 * U.S. Navy).  Skips when the models or those photos are absent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "likeness.h"
#include "media/image.h"
#include "test_tmp.h"

#include <math.h>
#include <pthread.h>
#include <vips/vips.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* scripts/setup.sh extracts the two photos from their .deb files into
 * .deps/demo/root; an installed package serves as well. */
#define ASTRONAUT_REL "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
#define HOPPER_REL "/usr/share/matplotlib/mpl-data/sample_data/grace_hopper.jpg"
static char ASTRONAUT[1024], HOPPER[1024];

static char tmpdir[512];
static char mirrored[600], scene[600], blank[600];
static lk_engine *eng;

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static void write_png(const char *path, const uint8_t *rgb, int w, int h,
                      int stride)
{
    uint8_t *packed = malloc((size_t)w * h * 3);
    assert_non_null(packed);
    for (int y = 0; y < h; y++)
        memcpy(packed + (size_t)y * w * 3, rgb + (size_t)y * stride,
               (size_t)w * 3);
    VipsImage *im = vips_image_new_from_memory_copy(packed, (size_t)w * h * 3,
                                                    w, h, 3, VIPS_FORMAT_UCHAR);
    assert_non_null(im);
    assert_int_equal(vips_image_write_to_file(im, path, NULL), 0);
    g_object_unref(im);
    free(packed);
}

static void find_photo(char *out, size_t n, const char *rel)
{
    const char *root = getenv("LK_SOURCE_ROOT");
    snprintf(out, n, "%s/.deps/demo/root%s", root ? root : ".", rel);
    if (!exists(out))
        snprintf(out, n, "%s", rel);
}

static int setup(void **state)
{
    (void)state;
    find_photo(ASTRONAUT, sizeof ASTRONAUT, ASTRONAUT_REL);
    find_photo(HOPPER, sizeof HOPPER, HOPPER_REL);
    if (!exists(ASTRONAUT) || !exists(HOPPER))
        return 0;
    lk_engine_params ep = lk_engine_default_params();
    if (lk_engine_open(&ep, &eng) != LK_OK)
        return 0;
    if (lk_test_mkdtemp("scan", tmpdir, sizeof tmpdir) != 0)
        return -1;

    /* The astronaut mirrored and shrunk to 60%: a new image of the same
     * face.  And a 1600x1000 grey scene with her small in one corner and
     * Grace Hopper in the other. */
    lk__image a, g;
    if (lk__image_load(ASTRONAUT, 0, &a) != LK_OK ||
        lk__image_load(HOPPER, 0, &g) != LK_OK)
        return -1;
    int mw = a.w * 6 / 10, mh = a.h * 6 / 10;
    uint8_t *m = malloc((size_t)mw * mh * 3);
    for (int y = 0; y < mh; y++)
        for (int x = 0; x < mw; x++) {
            const uint8_t *src = a.data + (size_t)(y * 10 / 6) * a.stride +
                                 (size_t)(a.w - 1 - x * 10 / 6) * 3;
            memcpy(m + ((size_t)y * mw + x) * 3, src, 3);
        }
    snprintf(mirrored, sizeof mirrored, "%s/mirrored.png", tmpdir);
    write_png(mirrored, m, mw, mh, mw * 3);

    int sw = 1600, sh = 1000;
    uint8_t *s = malloc((size_t)sw * sh * 3);
    memset(s, 128, (size_t)sw * sh * 3);
    for (int y = 0; y < mh && y < sh; y++)
        memcpy(s + ((size_t)(y + 20) * sw + 20) * 3, m + (size_t)y * mw * 3,
               (size_t)mw * 3);
    int gw = g.w / 2, gh = g.h / 2;
    for (int y = 0; y < gh && y + 300 < sh; y++)
        for (int x = 0; x < gw && x + 1000 < sw; x++)
            memcpy(s + ((size_t)(y + 300) * sw + x + 1000) * 3,
                   g.data + (size_t)(y * 2) * g.stride + (size_t)(x * 2) * 3, 3);
    snprintf(scene, sizeof scene, "%s/scene.png", tmpdir);
    write_png(scene, s, sw, sh, sw * 3);

    memset(s, 200, (size_t)sw * sh * 3);
    snprintf(blank, sizeof blank, "%s/blank.png", tmpdir);
    write_png(blank, s, 320, 200, sw * 3);
    free(m);
    free(s);
    lk__image_release(&a);
    lk__image_release(&g);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    lk_engine_free(eng);
    lk_test_rmtree(tmpdir);
    return 0;
}

#define NEED_MEDIA()                                                        \
    do {                                                                    \
        if (!eng)                                                           \
            skip();                                                         \
    } while (0)

static lk_gallery *new_gallery(const char *name)
{
    char dir[700];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, name);
    lk_gallery *gal;
    assert_int_equal(lk_gallery_open(dir, eng, LK_GALLERY_CREATE, &gal), LK_OK);
    return gal;
}

static void test_enrol_and_find(void **state)
{
    (void)state;
    NEED_MEDIA();
    lk_session *ses;
    assert_int_equal(lk_session_new(eng, &ses), LK_OK);
    lk_gallery *gal = new_gallery("g1");
    assert_int_equal(lk_gallery_add_performer(gal, "collins", "Eileen Collins"),
                     LK_OK);
    assert_int_equal(lk_gallery_add_performer(gal, "hopper", "Grace Hopper"),
                     LK_OK);
    lk_enroll_result er;
    assert_int_equal(lk_gallery_enroll(gal, ses, "collins", LK_MODALITY_FACE, ASTRONAUT, 0,
                                            &er), LK_OK);
    assert_int_equal(er.faces_found, 1);
    assert_int_equal(er.duplicate, 0);
    assert_int_equal(lk_gallery_enroll(gal, ses, "hopper", LK_MODALITY_FACE, HOPPER, 0, &er),
                     LK_OK);

    lk_scan_params sp = lk_scan_default_params();
    lk_scan_result *r;
    assert_int_equal(lk_scan_file(gal, ses, mirrored, &sp, &r), LK_OK);
    assert_int_equal(lk_scan_result_faces(r), 1);
    assert_int_equal(lk_scan_result_count(r), 1);
    const lk_finding *f0 = lk_scan_result_finding(r, 0);
    float threshold = lk_scan_result_threshold(r);
    assert_string_equal(f0->performer_id, "collins");
    assert_string_equal(f0->performer_name, "Eileen Collins");
    assert_int_equal(f0->decision, LK_MATCH);
    assert_true(f0->score >= threshold);
    assert_true(threshold > 0.2f && threshold < 0.8f);
    assert_null(lk_scan_result_finding(r, 1));
    lk_scan_result_free(r);

    /* Both people in one scene, each found where they are. */
    assert_int_equal(lk_scan_file(gal, ses, scene, &sp, &r), LK_OK);
    assert_int_equal(lk_scan_result_faces(r), 2);
    assert_int_equal(lk_scan_result_count(r), 2);
    for (int i = 0; i < 2; i++) {
        const lk_finding *f = lk_scan_result_finding(r, i);
        float cx = f->face.x + f->face.w / 2;
        if (!strcmp(f->performer_id, "collins"))
            assert_true(cx < 800);
        else
            assert_true(!strcmp(f->performer_id, "hopper") && cx > 1000);
    }
    lk_scan_result_free(r);

    /* A threshold no cosine reaches: no findings, unless asked for all. */
    sp.threshold = 1.0f;
    assert_int_equal(lk_scan_file(gal, ses, scene, &sp, &r), LK_OK);
    assert_int_equal(lk_scan_result_count(r), 0);
    lk_scan_result_free(r);
    sp.report_all = 1;
    assert_int_equal(lk_scan_file(gal, ses, scene, &sp, &r), LK_OK);
    assert_int_equal(lk_scan_result_count(r), 2);
    assert_int_equal(lk_scan_result_finding(r, 0)->decision, LK_NO_MATCH);
    assert_non_null(lk_scan_result_finding(r, 0)->performer_id);
    lk_scan_result_free(r);

    /* No face at all. */
    sp = lk_scan_default_params();
    assert_int_equal(lk_scan_file(gal, ses, blank, &sp, &r), LK_OK);
    assert_int_equal(lk_scan_result_faces(r), 0);
    assert_int_equal(lk_scan_result_count(r), 0);
    lk_scan_result_free(r);

    lk_gallery_close(gal);
    lk_session_free(ses);
}

static void test_enrol_rules(void **state)
{
    (void)state;
    NEED_MEDIA();
    lk_session *ses;
    assert_int_equal(lk_session_new(eng, &ses), LK_OK);
    lk_gallery *gal = new_gallery("g2");
    lk_enroll_result er;
    assert_int_equal(lk_gallery_enroll(gal, ses, "nobody", LK_MODALITY_FACE, ASTRONAUT, 0,
                                            &er), LK_ERR_NOT_FOUND);
    assert_int_equal(lk_gallery_add_performer(gal, "p", NULL), LK_OK);
    assert_int_equal(lk_gallery_enroll(gal, ses, "p", LK_MODALITY_FACE, blank, 0, &er),
                     LK_ERR_NO_FACE);
    assert_non_null(strstr(lk_last_error(), "blank.png"));
    assert_int_equal(lk_gallery_enroll(gal, ses, "p", LK_MODALITY_FACE, scene, 0, &er),
                     LK_ERR_MANY_FACES);
    assert_non_null(strstr(lk_last_error(), "scene.png"));
    assert_int_equal(lk_gallery_enroll(gal, ses, "p", LK_MODALITY_FACE, scene,
                                            LK_ENROLL_LARGEST, &er), LK_OK);
    assert_int_equal(er.faces_found, 2);
    assert_int_equal(lk_gallery_enroll(gal, ses, "p", LK_MODALITY_FACE, scene,
                                            LK_ENROLL_LARGEST, &er), LK_OK);
    assert_int_equal(er.duplicate, 1);
    lk_gallery_modality face;
    assert_int_equal(lk_gallery_modality_info(gal, LK_MODALITY_FACE, &face),
                     LK_OK);
    assert_int_equal(face.templates, 1);
    lk_gallery_close(gal);
    lk_session_free(ses);
}

typedef struct {
    lk_gallery *gal;
    int ok;
} thread_arg;

static void *scan_thread(void *p)
{
    thread_arg *t = p;
    lk_session *ses;
    if (lk_session_new(eng, &ses) != LK_OK)
        return NULL;
    lk_scan_params sp = lk_scan_default_params();
    t->ok = 1;
    for (int i = 0; i < 3; i++) {
        lk_scan_result *r;
        if (lk_scan_file(t->gal, ses, i % 2 ? scene : mirrored, &sp, &r) != LK_OK) {
            t->ok = 0;
            break;
        }
        t->ok &= lk_scan_result_count(r) == (i % 2 ? 2 : 1);
        lk_scan_result_free(r);
    }
    lk_session_free(ses);
    return NULL;
}

/* One engine and one gallery, a session per thread. */
static void test_threads_share_engine_and_gallery(void **state)
{
    (void)state;
    NEED_MEDIA();
    lk_session *ses;
    assert_int_equal(lk_session_new(eng, &ses), LK_OK);
    lk_gallery *gal = new_gallery("g3");
    lk_gallery_add_performer(gal, "collins", NULL);
    lk_gallery_add_performer(gal, "hopper", NULL);
    assert_int_equal(lk_gallery_enroll(gal, ses, "collins", LK_MODALITY_FACE, ASTRONAUT, 0,
                                            NULL), LK_OK);
    assert_int_equal(lk_gallery_enroll(gal, ses, "hopper", LK_MODALITY_FACE, HOPPER, 0, NULL),
                     LK_OK);
    lk_session_free(ses);
    pthread_t th[2];
    thread_arg args[2] = {{gal, 0}, {gal, 0}};
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, scan_thread, &args[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_true(args[0].ok);
    assert_true(args[1].ok);
    lk_gallery_close(gal);
}

typedef struct {
    lk_gallery *gal;
    const char *path;
    int ok;
} av_arg;

/* Scans of a video with a sound track: the demux thread, the decoder's,
 * the face and voice stages and the gallery, per thread. */
static void *scan_av_thread(void *p)
{
    av_arg *t = p;
    lk_session *ses;
    if (lk_session_new(eng, &ses) != LK_OK)
        return NULL;
    lk_scan_params sp = lk_scan_default_params();
    t->ok = 1;
    for (int i = 0; i < 2 && t->ok; i++) {
        lk_scan_result *r;
        if (lk_scan_file(t->gal, ses, t->path, &sp, &r) != LK_OK) {
            t->ok = 0;
            break;
        }
        char *j = lk_scan_result_json(r);
        t->ok = j && strstr(j, "\"type\":\"video\"") &&
                strstr(j, "\"performer\":\"collins\"") &&
                strstr(j, "\"speech_seconds\"");
        lk_free(j);
        lk_scan_result_free(r);
    }
    lk_session_free(ses);
    return NULL;
}

/* Enrolments (from memory) into the gallery the scans search. */
static void *enrol_thread(void *p)
{
    av_arg *t = p;
    lk_session *ses;
    if (lk_session_new(eng, &ses) != LK_OK)
        return NULL;
    size_t n;
    FILE *f = fopen(HOPPER, "rb");
    uint8_t *b = malloc(1 << 22);
    n = f && b ? fread(b, 1, 1 << 22, f) : 0;
    if (f)
        fclose(f);
    t->ok = n > 0;
    for (int i = 0; i < 3 && t->ok; i++) {
        char id[32], name[32];
        snprintf(id, sizeof id, "hopper-%d", i);
        snprintf(name, sizeof name, "hopper%d.jpg", i);
        lk_enroll_result er;
        t->ok = lk_gallery_add_performer(t->gal, id, NULL) == LK_OK &&
                lk_gallery_enroll_memory(t->gal, ses, id, LK_MODALITY_AUTO,
                                         name, b, n, 0, &er) == LK_OK &&
                er.modality == LK_MODALITY_FACE;
    }
    free(b);
    lk_session_free(ses);
    return NULL;
}

/* Concurrent scans of a video with sound while another thread enrols:
 * the test ThreadSanitizer runs (scripts/test.sh). */
static void test_threads_video_and_enrol(void **state)
{
    (void)state;
    NEED_MEDIA();
    char video[700], cmd[2400];
    snprintf(video, sizeof video, "%s/astronaut_sound.mp4", tmpdir);
    snprintf(cmd, sizeof cmd, "ffmpeg -nostdin -hide_banner -loglevel error "
             "-y -loop 1 -framerate 10 -i '%s' -f lavfi -i sine=frequency=300:"
             "sample_rate=44100:duration=3 -t 3 -vf scale=256:256 -c:v mpeg4 "
             "-c:a aac -shortest '%s'", ASTRONAUT, video);
    if (system(cmd) != 0)
        skip();
    lk_session *ses;
    assert_int_equal(lk_session_new(eng, &ses), LK_OK);
    lk_gallery *gal = new_gallery("g5");
    lk_gallery_add_performer(gal, "collins", NULL);
    assert_int_equal(lk_gallery_enroll(gal, ses, "collins", LK_MODALITY_FACE,
                                       ASTRONAUT, 0, NULL), LK_OK);
    lk_session_free(ses);
    pthread_t th[3];
    av_arg args[3] = {{gal, video, 0}, {gal, video, 0}, {gal, NULL, 0}};
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, scan_av_thread, &args[i]);
    pthread_create(&th[2], NULL, enrol_thread, &args[2]);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    assert_true(args[0].ok);
    assert_true(args[1].ok);
    assert_true(args[2].ok);
    lk_gallery_close(gal);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

/* The JSON record of a scan with its "path" value cut out. */
static char *json_without_path(const lk_scan_result *r)
{
    char *j = lk_scan_result_json(r);
    assert_non_null(j);
    const size_t n = strlen(j);
    char *a = strstr(j, "\"path\":\""), *b = a ? strchr(a + 8, '"') : NULL;
    assert_non_null(b);
    const size_t from = (size_t)(b + 1 - j);
    memmove(a, j + from, n - from + 1);
    return j;
}

/* Scanning and enrolling from memory: what an upload service does.  The
 * bytes give what the same file gives, and are known as that file. */
static void test_memory(void **state)
{
    (void)state;
    NEED_MEDIA();
    lk_session *ses;
    assert_int_equal(lk_session_new(eng, &ses), LK_OK);
    lk_gallery *gal = new_gallery("gmem");
    assert_int_equal(lk_gallery_add_performer(gal, "collins", NULL), LK_OK);
    size_t n;
    uint8_t *b = slurp(ASTRONAUT, &n);
    lk_enroll_result er;
    assert_int_equal(lk_gallery_enroll_memory(gal, ses, "collins",
                                              LK_MODALITY_AUTO, "upload.png",
                                              b, n, 0, &er), LK_OK);
    assert_int_equal(er.modality, LK_MODALITY_FACE);
    assert_int_equal(er.faces_found, 1);
    assert_int_equal(er.duplicate, 0);
    /* the same bytes as a file: recognised by their hash */
    assert_int_equal(lk_gallery_enroll(gal, ses, "collins", LK_MODALITY_FACE,
                                       ASTRONAUT, 0, &er), LK_OK);
    assert_int_equal(er.duplicate, 1);
    free(b);

    lk_scan_params sp = lk_scan_default_params();
    b = slurp(mirrored, &n);
    lk_scan_result *rf, *rm;
    assert_int_equal(lk_scan_file(gal, ses, mirrored, &sp, &rf), LK_OK);
    assert_int_equal(lk_scan_memory(gal, ses, "upload.jpg", b, n, &sp, &rm),
                     LK_OK);
    char *jf = json_without_path(rf), *jm = json_without_path(rm);
    assert_string_equal(jf, jm);
    assert_non_null(strstr(jf, "\"collins\""));
    lk_free(jf);
    lk_free(jm);
    jm = lk_scan_result_json(rm);
    assert_non_null(strstr(jm, "\"path\":\"upload.jpg\""));
    lk_free(jm);
    lk_scan_result_free(rf);
    lk_scan_result_free(rm);

    /* damaged bytes: an error naming the upload, and the session goes on */
    lk_scan_result *r = (lk_scan_result *)1;
    lk_status s = lk_scan_memory(gal, ses, "cut.jpg", b, n / 3, &sp, &r);
    assert_true(s == LK_ERR_FORMAT || s == LK_OK);
    if (s == LK_OK)
        lk_scan_result_free(r);
    else
        assert_non_null(strstr(lk_last_error(), "cut.jpg"));
    assert_int_equal(lk_scan_memory(gal, ses, "none", b, 0, &sp, &r),
                     LK_ERR_FORMAT);
    assert_null(r);
    assert_int_equal(lk_scan_memory(gal, ses, "junk", "not media at all", 16,
                                    &sp, &r), LK_ERR_FORMAT);
    assert_non_null(strstr(lk_last_error(), "junk: "));
    assert_int_equal(lk_scan_memory(gal, ses, NULL, b, n, &sp, &r),
                     LK_ERR_MISUSE);
    free(b);
    lk_gallery_close(gal);
    lk_session_free(ses);
}

/* The faces of a scene, through the accessors: two, each with a unit
 * embedding of the engine's dimension; nothing out of range. */
static void test_faces_accessors(void **state)
{
    (void)state;
    lk_session *ses;
    assert_int_equal(lk_session_new(eng, &ses), LK_OK);
    lk_faces *faces;
    assert_int_equal(lk_faces_from_file(ses, scene, NULL, &faces), LK_OK);
    assert_int_equal(lk_faces_count(faces), 2);
    assert_true(lk_faces_width(faces) > 0 && lk_faces_height(faces) > 0);
    int dim = lk_faces_dim(faces);
    assert_int_equal(dim, lk_engine_face_dim(eng));
    for (int i = 0; i < 2; i++) {
        const lk_face *f = lk_faces_face(faces, i);
        assert_non_null(f);
        assert_true(f->w > 0 && f->x + f->w <= lk_faces_width(faces));
        const float *e = lk_faces_embedding(faces, i);
        assert_non_null(e);
        double norm = 0;
        for (int k = 0; k < dim; k++)
            norm += (double)e[k] * e[k];
        assert_float_equal(norm, 1.0, 1e-3);
    }
    assert_true(lk_faces_face(faces, 0)->w >= lk_faces_face(faces, 1)->w ||
                lk_faces_face(faces, 0)->h >= lk_faces_face(faces, 1)->h);
    assert_null(lk_faces_face(faces, 2));
    assert_null(lk_faces_face(faces, -1));
    assert_null(lk_faces_embedding(faces, 2));
    assert_int_equal(lk_faces_count(NULL), 0);
    assert_null(lk_faces_face(NULL, 0));
    lk_faces_free(faces);
    lk_session_free(ses);
}

static void test_bad_files(void **state)
{
    (void)state;
    NEED_MEDIA();
    lk_session *ses;
    assert_int_equal(lk_session_new(eng, &ses), LK_OK);
    lk_gallery *gal = new_gallery("g4");
    char path[700];
    snprintf(path, sizeof path, "%s/empty.jpg", tmpdir);
    fclose(fopen(path, "wb"));
    lk_scan_params sp = lk_scan_default_params();
    lk_scan_result *r = (lk_scan_result *)1;
    lk_status s = lk_scan_file(gal, ses, path, &sp, &r);
    assert_true(s == LK_ERR_FORMAT || s == LK_ERR_IO);
    assert_null(r);
    assert_non_null(strstr(lk_last_error(), "empty.jpg"));
    /* and the session still works after the failure */
    assert_int_equal(lk_scan_file(gal, ses, mirrored, &sp, &r), LK_OK);
    assert_int_equal(lk_scan_result_faces(r), 1);
    lk_scan_result_free(r);
    lk_gallery_close(gal);
    lk_session_free(ses);
}

/* Parameters out of range, NaN above all, are refused naming the field,
 * before the file is read: a NaN threshold would match nothing and say
 * nothing. */
static void test_bad_params(void **state)
{
    (void)state;
    NEED_MEDIA();
    lk_session *ses;
    assert_int_equal(lk_session_new(eng, &ses), LK_OK);
    lk_gallery *gal = new_gallery("gparams");
    const lk_scan_params d = lk_scan_default_params();
    struct {
        const char *field;
        lk_scan_params p;
    } bad[16];
    int n = 0;
#define BAD(name, assign)                                                   \
    do {                                                                    \
        bad[n].field = name;                                                \
        bad[n].p = d;                                                       \
        bad[n].p.assign;                                                    \
        n++;                                                                \
    } while (0)
    BAD("threshold", threshold = NAN);
    BAD("threshold", threshold = 1.5f);
    BAD("threshold", threshold = -INFINITY);
    BAD("voice_threshold", voice_threshold = NAN);
    BAD("voice_threshold", voice_threshold = INFINITY);
    BAD("min_face", detect.min_face = 1 << 30);
    BAD("min_score", detect.min_score = NAN);
    BAD("max_pixels", detect.max_pixels = -1);
    BAD("video.fps", video.fps = NAN);
    BAD("video.fps", video.fps = INFINITY);
    BAD("video.fps", video.fps = 0);
    BAD("video.merge_gap", video.merge_gap = NAN);
    BAD("video.scene_threshold", video.scene_threshold = NAN);
    BAD("video.sampling", video.sampling = (lk_sampling)7);
    BAD("video.embeds_per_track", video.embeds_per_track = 0);
    BAD("video.max_side", video.max_side = 10);
#undef BAD
    for (int i = 0; i < n; i++) {
        lk_scan_result *r = (lk_scan_result *)1;
        assert_int_equal(lk_scan_file(gal, ses, mirrored, &bad[i].p, &r),
                         LK_ERR_MISUSE);
        assert_null(r);
        if (!strstr(lk_last_error(), bad[i].field))
            fail_msg("case %d: '%s' not in \"%s\"", i, bad[i].field,
                     lk_last_error());
    }
    /* the limits themselves are fine */
    lk_scan_params p = d;
    p.threshold = 1.0f;
    p.voice_threshold = -1.0f;
    p.video.fps = 1000;
    p.video.merge_gap = 0;
    lk_scan_result *r;
    assert_int_equal(lk_scan_file(gal, ses, mirrored, &p, &r), LK_OK);
    lk_scan_result_free(r);
    lk_gallery_close(gal);
    lk_session_free(ses);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_enrol_and_find),
        cmocka_unit_test(test_enrol_rules),
        cmocka_unit_test(test_threads_share_engine_and_gallery),
        cmocka_unit_test(test_threads_video_and_enrol),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_faces_accessors),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_bad_params),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
