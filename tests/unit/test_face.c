/*
 * test_face.c — the face pipeline (engine/face, engine/cv): the similarity
 * fit and the bridge's warp on known inputs; detection, landmarks and
 * embeddings on real photos from the evaluation set; hostile image sizes.
 * Exits 77 (skip) when the model weights are absent; the tests on photos
 * skip when LIKENESS_EVAL_DIR is absent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval_dir.h"
#include "core/core.h"
#include "face/face.h"
#include "media/image.h"

static lk__manifest manifest;
static lk__face_nets *nets;
static int dim;
static char eval_dir[4096];

/* ---- helpers ---------------------------------------------------------- */

/* 0: loaded; 77: weights absent (skip); 1: present but unusable. */
static int load_models(void)
{
    const char *dir = getenv("LIKENESS_MODEL_DIR");
    if (!dir || !*dir) {
        fprintf(stderr, "LIKENESS_MODEL_DIR not set: skipping\n");
        return 77;
    }
    if (lk__manifest_load(dir, &manifest) != LK_OK) {
        fprintf(stderr, "%s\n", lk_last_error());
        return 77;
    }
    lk__model *m[3] = {lk__manifest_find(&manifest, "face_detect", NULL),
                       lk__manifest_find(&manifest, "face_landmark", NULL),
                       lk__manifest_find(&manifest, "face_embed", NULL)};
    for (int i = 0; i < 3; i++) {
        if (!m[i] || access(m[i]->path, R_OK) != 0) {
            fprintf(stderr, "model weights absent (%s): skipping\n",
                    m[i] ? m[i]->path : "no entry");
            return 77;
        }
        if (lk__model_load_weights(m[i], 1) != LK_OK) {
            fprintf(stderr, "%s\n", lk_last_error());
            return 1;
        }
    }
    if (lk__face_nets_new(m[0], m[1], m[2], &nets) != LK_OK) {
        fprintf(stderr, "%s\n", lk_last_error());
        return 1;
    }
    dim = m[2]->dim;
    return 0;
}

static void find_eval_dir(void)
{
    const char *e = lk_test_eval_dir();
    snprintf(eval_dir, sizeof eval_dir, "%s", e ? e : "");
}

/* Decode an evaluation photo; skips the calling test when the set is not
 * there. */
static void load_eval(const char *rel, lk__image *img)
{
    if (!eval_dir[0])
        skip();
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", eval_dir, rel);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "%s absent\n", path);
        skip();
    }
    lk_status s = lk__image_load(path, 0, img);
    if (s != LK_OK)
        fail_msg("%s", lk_last_error());
}

/* Skip before a test allocates: skip() leaves the test by longjmp, and
 * what it had allocated would leak. */
static void need_eval(void)
{
    if (!eval_dir[0])
        skip();
}

static lk_detect_params params(int pyramid)
{
    lk_detect_params p = lk_detect_default_params();
    p.pyramid = pyramid;
    return p;
}

static int detect(const lk__image *img, const lk_detect_params *p,
                  lk_face **faces)
{
    int n = -1;
    lk_status s = lk__face_detect(nets, img->data, img->w, img->h,
                                  img->stride, p, faces, &n);
    if (s != LK_OK)
        fail_msg("detect: %s", lk_last_error());
    return n;
}

static int count_faces(const char *rel, int pyramid)
{
    lk__image img;
    load_eval(rel, &img);
    lk_detect_params p = params(pyramid);
    lk_face *f = NULL;
    int n = detect(&img, &p, &f);
    free(f);
    lk__image_release(&img);
    return n;
}

static double cosine(const float *a, const float *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* Embedding of the largest face in an evaluation photo. */
static void embed_largest(const char *rel, float *out)
{
    lk__image img;
    load_eval(rel, &img);
    lk_detect_params p = params(0);
    lk_face *f = NULL;
    int n = detect(&img, &p, &f);
    assert_true(n >= 1);
    assert_int_equal(lk__face_embed(nets, img.data, img.w, img.h, img.stride,
                                    f, 1, out),
                     LK_OK);
    free(f);
    lk__image_release(&img);
}

/* ---- the similarity fit ----------------------------------------------- */

static void similarity_recovers_known_transform(void **state)
{
    (void)state;
    const double ang = 0.3, sc = 1.7, tx = 5.0, ty = -3.0;
    const double a = sc * cos(ang), b = sc * sin(ang);
    float src[5][2] = {{10, 20}, {40, 18}, {25, 35}, {12, 50}, {38, 52}};
    float dst[5][2];
    for (int i = 0; i < 5; i++) {
        dst[i][0] = (float)(a * src[i][0] - b * src[i][1] + tx);
        dst[i][1] = (float)(b * src[i][0] + a * src[i][1] + ty);
    }
    double m[6];
    assert_int_equal(lk__similarity_fit(&src[0][0], &dst[0][0], 5, m), 0);
    const double want[6] = {a, -b, tx, b, a, ty};
    for (int i = 0; i < 6; i++)
        assert_true(fabs(m[i] - want[i]) < 1e-4);

    /* With noise the fit is the least-squares one: no other similarity
     * (here: the exact one) has a smaller residual. */
    const float noise[5][2] = {{0.4f, -0.3f}, {-0.5f, 0.2f}, {0.1f, 0.6f},
                               {-0.2f, -0.4f}, {0.3f, 0.1f}};
    for (int i = 0; i < 5; i++)
        for (int k = 0; k < 2; k++)
            dst[i][k] += noise[i][k];
    assert_int_equal(lk__similarity_fit(&src[0][0], &dst[0][0], 5, m), 0);
    double r_fit = 0, r_true = 0;
    for (int i = 0; i < 5; i++) {
        double fx = m[0] * src[i][0] + m[1] * src[i][1] + m[2] - dst[i][0];
        double fy = m[3] * src[i][0] + m[4] * src[i][1] + m[5] - dst[i][1];
        double gx = want[0] * src[i][0] + want[1] * src[i][1] + want[2] -
                    dst[i][0];
        double gy = want[3] * src[i][0] + want[4] * src[i][1] + want[5] -
                    dst[i][1];
        r_fit += fx * fx + fy * fy;
        r_true += gx * gx + gy * gy;
    }
    assert_true(r_fit <= r_true + 1e-9);
    /* a similarity, never a reflection */
    assert_true(fabs(m[0] - m[4]) < 1e-9 && fabs(m[1] + m[3]) < 1e-9);
}

static void similarity_refuses_degenerate_points(void **state)
{
    (void)state;
    float same[5][2] = {{3, 3}, {3, 3}, {3, 3}, {3, 3}, {3, 3}};
    float dst[5][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {2, 2}};
    double m[6];
    assert_int_equal(lk__similarity_fit(&same[0][0], &dst[0][0], 5, m), -1);
    same[2][0] = NAN;
    assert_int_equal(lk__similarity_fit(&same[0][0], &dst[0][0], 5, m), -1);
    assert_int_equal(lk__similarity_fit(&dst[0][0], &dst[0][0], 0, m), -1);
}

/* ---- the bridge's warp ------------------------------------------------- */

static void warp_identity_orders_and_normalises(void **state)
{
    (void)state;
    /* 4x2 image, stride padded with garbage that must not be read */
    uint8_t px[2][16];
    memset(px, 0xEE, sizeof px);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 4; x++) {
            px[y][3 * x] = (uint8_t)(10 * x + y);
            px[y][3 * x + 1] = 100;
            px[y][3 * x + 2] = 200;
        }
    const lk__cv_image img = {&px[0][0], 4, 2, 16, 3};
    const double id[6] = {1, 0, 0, 0, 1, 0};
    float out[3 * 8];
    assert_int_equal(lk__cv_warp_to_blob(&img, id, 4, 2, LK__CH_RGB, 127.0f,
                                         1 / 128.0f, 0, out),
                     LK_OK);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 4; x++) {
            assert_float_equal(out[y * 4 + x], (10 * x + y - 127) / 128.0f,
                               1e-6);
            assert_float_equal(out[8 + y * 4 + x], (100 - 127) / 128.0f, 1e-6);
            assert_float_equal(out[16 + y * 4 + x], (200 - 127) / 128.0f,
                               1e-6);
        }
    assert_int_equal(lk__cv_warp_to_blob(&img, id, 4, 2, LK__CH_BGR, 0, 1, 0,
                                         out),
                     LK_OK);
    assert_float_equal(out[0], 200, 1e-6);
    assert_float_equal(out[16 + 3], 30, 1e-6);

    /* a shift by the whole image leaves only border */
    const double away[6] = {1, 0, 100, 0, 1, 0};
    assert_int_equal(lk__cv_warp_to_blob(&img, away, 4, 2, LK__CH_GRAY, 0, 1,
                                         7, out),
                     LK_OK);
    for (int i = 0; i < 8; i++)
        assert_float_equal(out[i], 7, 1e-6);
}

static void warp_reduction_averages(void **state)
{
    (void)state;
    /* A fine checkerboard reduced 50x must come out mid-grey everywhere:
     * point sampling would alias it to black or white. */
    const int w = 1000, h = 800;
    uint8_t *px = malloc((size_t)w * h * 3);
    assert_non_null(px);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            memset(px + ((size_t)y * w + x) * 3, ((x + y) & 1) ? 255 : 0, 3);
    const lk__cv_image img = {px, w, h, w * 3, 3};
    const double m[6] = {0.02, 0, 0, 0, 0.02, 0};
    float out[20 * 16];
    assert_int_equal(lk__cv_warp_to_blob(&img, m, 20, 16, LK__CH_GRAY, 0, 1,
                                         0, out),
                     LK_OK);
    for (int i = 0; i < 20 * 16; i++)
        assert_true(fabsf(out[i] - 127.5f) < 3.0f);
    free(px);
}

static void warp_refuses_bad_arguments(void **state)
{
    (void)state;
    uint8_t px[3] = {1, 2, 3};
    const lk__cv_image img = {px, 1, 1, 3, 3};
    const lk__cv_image bad = {px, 1, 1, 2, 3};
    const double id[6] = {1, 0, 0, 0, 1, 0};
    const double flat[6] = {0, 0, 0, 0, 0, 0};
    const double inf[6] = {INFINITY, 0, 0, 0, 1, 0};
    float out[3 * 4];
    assert_int_equal(lk__cv_warp_to_blob(&bad, id, 2, 2, LK__CH_RGB, 0, 1, 0,
                                         out),
                     LK_ERR_MISUSE);
    assert_int_equal(lk__cv_warp_to_blob(&img, flat, 2, 2, LK__CH_RGB, 0, 1,
                                         0, out),
                     LK_ERR_MISUSE);
    assert_int_equal(lk__cv_warp_to_blob(&img, inf, 2, 2, LK__CH_RGB, 0, 1, 0,
                                         out),
                     LK_ERR_MISUSE);
    assert_int_equal(lk__cv_warp_to_blob(&img, id, 0, 2, LK__CH_RGB, 0, 1, 0,
                                         out),
                     LK_ERR_MISUSE);
    assert_true(strlen(lk_last_error()) > 0);
    /* a 1-pixel image blown up is fine */
    assert_int_equal(lk__cv_warp_to_blob(&img, id, 2, 2, LK__CH_RGB, 0, 1, 0,
                                         out),
                     LK_OK);
}

/* ---- networks ---------------------------------------------------------- */

static void nets_refuse_bad_models(void **state)
{
    (void)state;
    lk__model *d = lk__manifest_find(&manifest, "face_detect", NULL);
    lk__model *l = lk__manifest_find(&manifest, "face_landmark", NULL);
    lk__model *e = lk__manifest_find(&manifest, "face_embed", NULL);
    lk__face_nets *n = (lk__face_nets *)1;

    lk__model junk = *e;
    static const uint8_t garbage[] = "this is not an ONNX file at all";
    junk.weights = (uint8_t *)garbage;
    junk.n_weights = sizeof garbage;
    assert_int_equal(lk__face_nets_new(d, l, &junk, &n), LK_ERR_MODEL);
    assert_null(n);
    assert_non_null(strstr(lk_last_error(), e->id));

    lk__model none = *e;
    none.weights = NULL;
    none.n_weights = 0;
    assert_int_equal(lk__face_nets_new(d, l, &none, &n), LK_ERR_MODEL);

    lk__model other = *e;
    char unknown[] = "insightface128";
    other.align = unknown;
    assert_int_equal(lk__face_nets_new(d, l, &other, &n), LK_ERR_MODEL);
    assert_non_null(strstr(lk_last_error(), "insightface128"));

    assert_int_equal(lk__face_nets_new(d, l, NULL, &n), LK_ERR_MODEL);
    lk__face_nets_free(NULL);
}

/* ---- hostile images ---------------------------------------------------- */

static int detect_raw(const uint8_t *px, int w, int h, int stride,
                      int pyramid)
{
    lk_detect_params p = params(pyramid);
    lk_face *f = (lk_face *)1;
    int n = -1;
    lk_status s = lk__face_detect(nets, px, w, h, stride, &p, &f, &n);
    if (s != LK_OK)
        fail_msg("%dx%d: %s", w, h, lk_last_error());
    if (n == 0)
        assert_null(f);
    free(f);
    return n;
}

static void tiny_and_blank_images_have_no_face(void **state)
{
    (void)state;
    static uint8_t buf[3 * 6000 * 2];
    memset(buf, 128, sizeof buf);
    assert_int_equal(detect_raw(buf, 1, 1, 3, 1), 0);
    assert_int_equal(detect_raw(buf, 2, 1, 6, 1), 0);
    assert_int_equal(detect_raw(buf, 1, 6000, 3, 1), 0);
    assert_int_equal(detect_raw(buf, 6000, 1, 18000, 1), 0);
    assert_int_equal(detect_raw(buf, 6000, 2, 18000, 1), 0);
    assert_int_equal(detect_raw(buf, 17, 13, 60, 1), 0);

    const int w = 1920, h = 1080;
    uint8_t *img = malloc((size_t)w * h * 3);
    assert_non_null(img);
    memset(img, 0, (size_t)w * h * 3);
    assert_int_equal(detect_raw(img, w, h, w * 3, 1), 0);
    memset(img, 255, (size_t)w * h * 3);
    assert_int_equal(detect_raw(img, w, h, w * 3, 1), 0);
    free(img);
}

static void extreme_aspect_is_bounded(void **state)
{
    (void)state;
    /* A sliver 200000 pixels long: the tiles stay within their budget, so
     * this returns quickly and finds nothing. */
    const int w = 200000, h = 3;
    uint8_t *img = malloc((size_t)w * h * 3);
    assert_non_null(img);
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        img[i] = (uint8_t)(i * 2654435761u >> 24);
    assert_int_equal(detect_raw(img, w, h, w * 3, 1), 0);
    assert_int_equal(detect_raw(img, h, w / 3, 9, 1), 0);
    free(img);
}

static void bad_arguments_are_refused(void **state)
{
    (void)state;
    uint8_t px[12] = {0};
    lk_detect_params p = params(1);
    lk_face *f = (lk_face *)1;
    int n = 5;
    assert_int_equal(lk__face_detect(nets, NULL, 2, 2, 6, &p, &f, &n),
                     LK_ERR_MISUSE);
    assert_null(f);
    assert_int_equal(n, 0);
    assert_int_equal(lk__face_detect(nets, px, 0, 2, 6, &p, &f, &n),
                     LK_ERR_MISUSE);
    assert_int_equal(lk__face_detect(nets, px, 2, 2, 5, &p, &f, &n),
                     LK_ERR_MISUSE);
    assert_int_equal(lk__face_detect(nets, px, 2, -1, 6, &p, &f, &n),
                     LK_ERR_MISUSE);
    assert_int_equal(lk__face_detect(nets, px, 2, 2, 6, NULL, &f, &n),
                     LK_ERR_MISUSE);
    lk_detect_params q = p;
    q.nms_iou = NAN;
    assert_int_equal(lk__face_detect(nets, px, 2, 2, 6, &q, &f, &n),
                     LK_ERR_MISUSE);
    q = p;
    q.max_faces = 0;
    assert_int_equal(lk__face_detect(nets, px, 2, 2, 6, &q, &f, &n),
                     LK_ERR_MISUSE);
    q = p;
    q.max_pixels = 3;
    assert_int_equal(lk__face_detect(nets, px, 2, 2, 6, &q, &f, &n),
                     LK_ERR_TOO_LARGE);

    float e[4];
    lk_face none;
    memset(&none, 0, sizeof none);
    none.landmarks[0][0] = NAN;
    assert_int_equal(lk__face_embed(nets, px, 2, 2, 6, &none, 1, e),
                     LK_ERR_MISUSE);
    assert_int_equal(lk__face_embed(nets, px, 2, 2, 6, NULL, 0, NULL), LK_OK);
    assert_int_equal(lk__face_landmarks(nets, px, 2, 2, 6, &none, 1),
                     LK_ERR_MISUSE);
}

/* A face whose landmarks land anywhere, even far outside the image, gets
 * an embedding from the black border without trouble. */
static void faces_outside_the_image_embed(void **state)
{
    (void)state;
    uint8_t px[4 * 4 * 3];
    memset(px, 90, sizeof px);
    lk_face f;
    memset(&f, 0, sizeof f);
    f.x = -1e5f, f.y = 1e5f, f.w = 50, f.h = 60;
    const float lm[5][2] = {{-1e5f, 1e5f}, {-1e5f + 30, 1e5f},
                            {-1e5f + 15, 1e5f + 20}, {-1e5f + 5, 1e5f + 40},
                            {-1e5f + 25, 1e5f + 40}};
    memcpy(f.landmarks, lm, sizeof lm);
    float *e = malloc((size_t)dim * sizeof *e);
    assert_non_null(e);
    lk_status s = lk__face_embed(nets, px, 4, 4, 12, &f, 1, e);
    assert_true(s == LK_OK || s == LK_ERR_BACKEND);
    free(e);
    assert_int_equal(lk__face_landmarks(nets, px, 4, 4, 12, &f, 1), LK_OK);
}

/* ---- real photos ------------------------------------------------------- */

static void group_photos_have_their_faces(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int faces;
    } want[] = {
        {"faces_face_recognition/_group/kit_with_rose.jpg", 2},
        {"faces_face_recognition/_group/two_people.jpg", 2},
        /* Obama, Biden and a child at the lower right */
        {"faces_face_recognition/_group/obama_and_biden.jpg", 3},
        {"faces_misc_pairs/openface/longoria-cooper.jpg", 2},
        {"faces_impostors_distractors/dlib/2008_004176.jpg", 7},
        {"faces_impostors_distractors/dlib/2007_007763.jpg", 7},
        {"faces_faceapi_bbt/_group/bbt4.jpg", 6},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int n = count_faces(want[i].file, 1);
        if (n != want[i].faces)
            fail_msg("%s: %d faces, expected %d", want[i].file, n,
                     want[i].faces);
    }
    /* 24 faces of a collage, all upright, found by the full pass */
    int n = count_faces("faces_impostors_distractors/dlib/bald_guys.jpg", 0);
    assert_int_equal(n, 24);
}

static void portraits_have_one_face(void **state)
{
    (void)state;
    static const char *const files[] = {
        "faces_face_recognition/obama/obama.jpg",
        "faces_face_recognition/obama/obama2.jpg",
        "faces_face_recognition/biden/biden.jpg",
        "faces_face_recognition/kit_harington/john2.jpeg",
        "faces_face_recognition/rose_leslie/img2.jpg",
        "faces_face_recognition/obama/_resolutions/obama-240p.jpg",
        "faces_face_recognition/_group/32bit.png",
        "faces_misc_pairs/lfw/Anthony_Hopkins_0001.jpg",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        int n = count_faces(files[i], 0);
        if (n != 1)
            fail_msg("%s: %d faces", files[i], n);
    }
}

static void faces_are_sorted_limited_and_filtered(void **state)
{
    (void)state;
    lk__image img;
    load_eval("faces_impostors_distractors/dlib/bald_guys.jpg", &img);
    lk_detect_params p = params(0);
    lk_face *f = NULL;
    int n = detect(&img, &p, &f);
    assert_true(n > 10);
    for (int i = 0; i < n; i++) {
        assert_true(f[i].x >= 0 && f[i].y >= 0 && f[i].w > 0 && f[i].h > 0);
        assert_true(f[i].x + f[i].w <= img.w && f[i].y + f[i].h <= img.h);
        assert_true(f[i].score >= p.min_score && f[i].score <= 1.0f);
        if (i > 0)
            assert_true(f[i - 1].w * f[i - 1].h >= f[i].w * f[i].h);
    }
    const float third = f[2].w * f[2].h;
    free(f);

    p.max_faces = 3;
    n = detect(&img, &p, &f);
    assert_int_equal(n, 3);
    assert_float_equal(f[2].w * f[2].h, third, 1e-3);
    free(f);

    p = params(0);
    p.min_face = 300;
    n = detect(&img, &p, &f);
    assert_true(n >= 1 && n < 10);
    for (int i = 0; i < n; i++)
        assert_true(fmaxf(f[i].w, f[i].h) >= 300);
    free(f);
    lk__image_release(&img);
}

/* The pyramid finds faces too small for the whole-image pass: a group
 * photo at its own size in the middle of a large empty frame. */
static void pyramid_finds_small_faces(void **state)
{
    (void)state;
    lk__image grp;
    load_eval("faces_impostors_distractors/dlib/2008_004176.jpg", &grp);
    const int w = 1600, h = 1200, ox = 560, oy = 380;
    assert_true(grp.w + ox <= w && grp.h + oy <= h);
    uint8_t *big = malloc((size_t)w * h * 3);
    assert_non_null(big);
    memset(big, 110, (size_t)w * h * 3);
    for (int y = 0; y < grp.h; y++)
        memcpy(big + ((size_t)(y + oy) * w + ox) * 3,
               grp.data + (size_t)y * grp.stride, (size_t)grp.w * 3);
    lk__image img = {.data = big, .w = w, .h = h, .stride = w * 3};
    lk_detect_params p = params(0);
    lk_face *f = NULL;
    const int flat = detect(&img, &p, &f);
    free(f);
    p.pyramid = 1;
    const int pyr = detect(&img, &p, &f);
    for (int i = 0; i < pyr; i++)
        assert_true(f[i].x >= ox - 20 && f[i].y >= oy - 20 &&
                    f[i].x + f[i].w <= ox + grp.w + 20 &&
                    f[i].y + f[i].h <= oy + grp.h + 20);
    free(f);
    free(big);
    lk__image_release(&grp);
    if (!(pyr >= 6 && pyr > flat))
        fail_msg("pyramid found %d of 7 faces, whole image %d", pyr, flat);
}

static void landmarks_sit_on_the_face(void **state)
{
    (void)state;
    static const char *const files[] = {
        "faces_face_recognition/_group/obama_and_biden.jpg",
        "faces_impostors_distractors/dlib/2008_002079.jpg",
        "faces_face_recognition/kit_harington/john1.jpeg",
        "faces_misc_pairs/openface/clapton-1.jpg",
    };
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        lk__image img;
        load_eval(files[k], &img);
        lk_detect_params p = params(0);
        lk_face *f = NULL;
        int n = detect(&img, &p, &f);
        assert_true(n >= 1);
        for (int i = 0; i < n; i++) {
            const lk_face *a = &f[i];
            const float mx = 0.1f * a->w, my = 0.1f * a->h;
            for (int j = 0; j < 5; j++) {
                const float x = a->landmarks[j][0], y = a->landmarks[j][1];
                if (!(x >= a->x - mx && x <= a->x + a->w + mx &&
                      y >= a->y - my && y <= a->y + a->h + my))
                    fail_msg("%s face %d point %d (%.1f, %.1f) outside box "
                             "%.1f %.1f %.1f %.1f", files[k], i, j, x, y,
                             a->x, a->y, a->w, a->h);
            }
            /* eyes left to right as seen, above the nose, above the mouth */
            assert_true(a->landmarks[0][0] < a->landmarks[1][0]);
            assert_true(a->landmarks[3][0] < a->landmarks[4][0]);
            const float (*l)[2] = a->landmarks;
            const float eyes = 0.5f * (l[0][1] + l[1][1]);
            const float mouth = 0.5f * (l[3][1] + l[4][1]);
            assert_true(eyes < a->landmarks[2][1]);
            assert_true(a->landmarks[2][1] < mouth);
        }
        /* batched landmarks equal one-by-one landmarks */
        lk_face *one = malloc((size_t)n * sizeof *one);
        assert_non_null(one);
        memcpy(one, f, (size_t)n * sizeof *one);
        for (int i = 0; i < n; i++) {
            assert_int_equal(lk__face_landmarks(nets, img.data, img.w, img.h,
                                                img.stride, &one[i], 1),
                             LK_OK);
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < 5; j++)
                for (int c = 0; c < 2; c++)
                    assert_true(fabsf(one[i].landmarks[j][c] -
                                      f[i].landmarks[j][c]) < 0.5f);
        free(one);
        free(f);
        lk__image_release(&img);
    }
}

static void embeddings_are_unit_and_batch_equals_single(void **state)
{
    (void)state;
    /* 24 faces: more than one batch of the recogniser */
    lk__image img;
    load_eval("faces_impostors_distractors/dlib/bald_guys.jpg", &img);
    lk_detect_params p = params(0);
    lk_face *f = NULL;
    const int n = detect(&img, &p, &f);
    assert_true(n > 16);
    float *all = malloc((size_t)n * dim * sizeof *all);
    float *one = malloc((size_t)dim * sizeof *one);
    assert_non_null(all);
    assert_non_null(one);
    assert_int_equal(lk__face_embed(nets, img.data, img.w, img.h, img.stride,
                                    f, n, all),
                     LK_OK);
    for (int i = 0; i < n; i++) {
        const float *e = all + (size_t)i * dim;
        assert_float_equal(cosine(e, e, dim), 1.0, 1e-5);
        assert_int_equal(lk__face_embed(nets, img.data, img.w, img.h,
                                        img.stride, &f[i], 1, one),
                         LK_OK);
        const double c = cosine(e, one, dim);
        if (c < 1.0 - 1e-4)
            fail_msg("face %d: batched vs single cosine %.6f", i, c);
    }
    free(all);
    free(one);
    free(f);
    lk__image_release(&img);
}

static void identities_separate(void **state)
{
    (void)state;
    static const struct {
        const char *file, *who;
    } photos[] = {
        {"faces_face_recognition/obama/obama.jpg", "obama"},
        {"faces_face_recognition/obama/obama1.jpg", "obama"},
        {"faces_face_recognition/obama/obama2.jpg", "obama"},
        {"faces_face_recognition/obama/obama3.jpg", "obama"},
        {"faces_face_recognition/biden/biden.jpg", "biden"},
        {"faces_face_recognition/biden/biden2.jpg", "biden"},
        {"faces_face_recognition/kit_harington/john1.jpeg", "kit"},
        {"faces_face_recognition/kit_harington/john2.jpeg", "kit"},
        {"faces_face_recognition/kit_harington/johnsnow_test1.jpg", "kit"},
        {"faces_face_recognition/rose_leslie/img1.jpg", "rose"},
        {"faces_face_recognition/rose_leslie/img2.jpg", "rose"},
        {"faces_face_recognition/alex_lacamoire/img1.jpg", "alex"},
        {"faces_face_recognition/alex_lacamoire/alex_lacamoire1.jpg", "alex"},
        {"faces_misc_pairs/openface/lennon-1.jpg", "lennon"},
        {"faces_misc_pairs/openface/lennon-2.jpg", "lennon"},
        {"faces_misc_pairs/openface/clapton-1.jpg", "clapton"},
        {"faces_misc_pairs/openface/clapton-2.jpg", "clapton"},
    };
    enum { N = sizeof photos / sizeof photos[0] };
    need_eval();
    float *e = malloc((size_t)N * dim * sizeof *e);
    assert_non_null(e);
    for (int i = 0; i < N; i++)
        embed_largest(photos[i].file, e + (size_t)i * dim);
    double same = 0, diff = 0;
    int ns = 0, nd = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) {
            const double c = cosine(e + (size_t)i * dim, e + (size_t)j * dim,
                                    dim);
            const int match = !strcmp(photos[i].who, photos[j].who);
            /* 0.35: a fixed margin below the calibrated threshold 0.40 */
            if (match && c < 0.35)
                fail_msg("%s vs %s: same person, cosine %.3f", photos[i].file,
                         photos[j].file, c);
            if (!match && c >= 0.35)
                fail_msg("%s vs %s: different people, cosine %.3f",
                         photos[i].file, photos[j].file, c);
            if (match)
                same += c, ns++;
            else
                diff += c, nd++;
        }
    assert_true(same / ns > 0.55);
    assert_true(fabs(diff / nd) < 0.1);
    free(e);
}

/* Faces found in a group photo match each person's own portrait, and the
 * same photo at 240p and 1080p gives nearly the same embedding. */
static void group_faces_match_portraits(void **state)
{
    (void)state;
    need_eval();
    float *obama = malloc((size_t)dim * sizeof *obama);
    float *biden = malloc((size_t)dim * sizeof *biden);
    float *lo = malloc((size_t)dim * sizeof *lo);
    float *hi = malloc((size_t)dim * sizeof *hi);
    assert_true(obama && biden && lo && hi);
    embed_largest("faces_face_recognition/obama/obama.jpg", obama);
    embed_largest("faces_face_recognition/biden/biden.jpg", biden);

    lk__image img;
    load_eval("faces_face_recognition/_group/obama_and_biden.jpg", &img);
    lk_detect_params p = params(1);
    lk_face *f = NULL;
    const int n = detect(&img, &p, &f);
    assert_true(n >= 2);
    float *e = malloc((size_t)n * dim * sizeof *e);
    assert_non_null(e);
    assert_int_equal(lk__face_embed(nets, img.data, img.w, img.h, img.stride,
                                    f, n, e),
                     LK_OK);
    int best_o = -1, best_b = -1;
    double co = -2, cb = -2;
    for (int i = 0; i < n; i++) {
        double a = cosine(e + (size_t)i * dim, obama, dim);
        double b = cosine(e + (size_t)i * dim, biden, dim);
        if (a > co)
            co = a, best_o = i;
        if (b > cb)
            cb = b, best_b = i;
    }
    assert_true(best_o != best_b);
    assert_true(co > 0.35 && cb > 0.35);
    /* Obama stands right of Biden in this photo */
    assert_true(f[best_o].x > f[best_b].x);
    free(e);
    free(f);
    lk__image_release(&img);

    embed_largest("faces_face_recognition/obama/_resolutions/obama-240p.jpg",
                  lo);
    embed_largest("faces_face_recognition/obama/_resolutions/obama-1080p.jpg",
                  hi);
    const double c = cosine(lo, hi, dim);
    if (c < 0.8)
        fail_msg("240p vs 1080p of one photo: cosine %.3f", c);
    free(obama);
    free(biden);
    free(lo);
    free(hi);
}

/* A face without landmarks is aligned by its box, close enough to the
 * landmark alignment to pass a cosine of 0.35 (below the calibrated 0.40)
 * for the same face and stay far from the other one. */
static void box_alignment_is_a_usable_fallback(void **state)
{
    (void)state;
    lk__image img;
    load_eval("faces_face_recognition/_group/kit_with_rose.jpg", &img);
    lk_detect_params p = params(0);
    lk_face *f = NULL;
    const int n = detect(&img, &p, &f);
    assert_int_equal(n, 2);
    float *by_lm = malloc((size_t)2 * dim * sizeof *by_lm);
    float *by_box = malloc((size_t)2 * dim * sizeof *by_box);
    assert_true(by_lm && by_box);
    assert_int_equal(lk__face_embed(nets, img.data, img.w, img.h, img.stride,
                                    f, n, by_lm),
                     LK_OK);
    for (int i = 0; i < n; i++)
        memset(f[i].landmarks, 0, sizeof f[i].landmarks);
    assert_int_equal(lk__face_embed(nets, img.data, img.w, img.h, img.stride,
                                    f, n, by_box),
                     LK_OK);
    for (int i = 0; i < n; i++) {
        const double own = cosine(by_lm + (size_t)i * dim,
                                  by_box + (size_t)i * dim, dim);
        const double other = cosine(by_lm + (size_t)i * dim,
                                    by_box + (size_t)(1 - i) * dim, dim);
        if (!(own >= 0.35 && own > other + 0.3))
            fail_msg("face %d: box vs landmark alignment cosine %.3f, other "
                     "face %.3f", i, own, other);
    }
    free(by_lm);
    free(by_box);
    free(f);
    lk__image_release(&img);
}

/* Two sessions' networks used by two threads at once give what one
 * thread alone gives. */
typedef struct worker {
    lk__face_nets *nets;
    const lk__image *img;
    const float *want;  /* embeddings of the faces, one thread alone */
    int n_want;
    int ok;
} worker;

static void *work(void *arg)
{
    worker *wk = arg;
    lk_detect_params p = params(1);
    wk->ok = 1;
    for (int r = 0; r < 3 && wk->ok; r++) {
        lk_face *f = NULL;
        int n = 0;
        float *e = NULL;
        if (lk__face_detect(wk->nets, wk->img->data, wk->img->w, wk->img->h,
                            wk->img->stride, &p, &f, &n) != LK_OK ||
            n != wk->n_want ||
            !(e = malloc((size_t)n * dim * sizeof *e)) ||
            lk__face_embed(wk->nets, wk->img->data, wk->img->w, wk->img->h,
                           wk->img->stride, f, n, e) != LK_OK)
            wk->ok = 0;
        for (int i = 0; wk->ok && i < n; i++)
            if (cosine(e + (size_t)i * dim, wk->want + (size_t)i * dim, dim) <
                1.0 - 1e-5)
                wk->ok = 0;
        free(e);
        free(f);
    }
    return NULL;
}

static void sessions_run_in_parallel(void **state)
{
    (void)state;
    lk__image img;
    load_eval("faces_face_recognition/_group/obama_and_biden.jpg", &img);
    lk_detect_params p = params(1);
    lk_face *f = NULL;
    const int n = detect(&img, &p, &f);
    assert_true(n >= 2);
    float *want = malloc((size_t)n * dim * sizeof *want);
    assert_non_null(want);
    assert_int_equal(lk__face_embed(nets, img.data, img.w, img.h, img.stride,
                                    f, n, want),
                     LK_OK);
    free(f);

    lk__face_nets *other = NULL;
    assert_int_equal(lk__face_nets_new(nets->detect_m, nets->landmark_m,
                                       nets->embed_m, &other),
                     LK_OK);
    worker wk[2] = {{nets, &img, want, n, 0}, {other, &img, want, n, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, work, &wk[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_true(wk[0].ok && wk[1].ok);
    lk__face_nets_free(other);
    free(want);
    lk__image_release(&img);
}

/* Padding bytes at the end of each row are not pixels. */
static void stride_padding_is_ignored(void **state)
{
    (void)state;
    lk__image img;
    load_eval("faces_face_recognition/_group/kit_with_rose.jpg", &img);
    const int stride = img.w * 3 + 61;
    uint8_t *pad = malloc((size_t)stride * img.h);
    assert_non_null(pad);
    memset(pad, 0xA5, (size_t)stride * img.h);
    for (int y = 0; y < img.h; y++)
        memcpy(pad + (size_t)y * stride, img.data + (size_t)y * img.stride,
               (size_t)img.w * 3);
    lk_detect_params p = params(1);
    lk_face *a = NULL, *b = NULL;
    int na = detect(&img, &p, &a), nb = -1;
    assert_int_equal(lk__face_detect(nets, pad, img.w, img.h, stride, &p, &b,
                                     &nb),
                     LK_OK);
    assert_int_equal(na, nb);
    for (int i = 0; i < na; i++) {
        assert_float_equal(a[i].x, b[i].x, 1e-3);
        assert_float_equal(a[i].w, b[i].w, 1e-3);
        assert_float_equal(a[i].landmarks[2][1], b[i].landmarks[2][1], 1e-3);
    }
    free(a);
    free(b);
    free(pad);
    lk__image_release(&img);
}

int main(void)
{
    int rc = load_models();
    if (rc != 0) {
        lk__manifest_free(&manifest);
        return rc;
    }
    find_eval_dir();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(similarity_recovers_known_transform),
        cmocka_unit_test(similarity_refuses_degenerate_points),
        cmocka_unit_test(warp_identity_orders_and_normalises),
        cmocka_unit_test(warp_reduction_averages),
        cmocka_unit_test(warp_refuses_bad_arguments),
        cmocka_unit_test(nets_refuse_bad_models),
        cmocka_unit_test(tiny_and_blank_images_have_no_face),
        cmocka_unit_test(extreme_aspect_is_bounded),
        cmocka_unit_test(bad_arguments_are_refused),
        cmocka_unit_test(faces_outside_the_image_embed),
        cmocka_unit_test(group_photos_have_their_faces),
        cmocka_unit_test(portraits_have_one_face),
        cmocka_unit_test(faces_are_sorted_limited_and_filtered),
        cmocka_unit_test(pyramid_finds_small_faces),
        cmocka_unit_test(landmarks_sit_on_the_face),
        cmocka_unit_test(embeddings_are_unit_and_batch_equals_single),
        cmocka_unit_test(identities_separate),
        cmocka_unit_test(group_faces_match_portraits),
        cmocka_unit_test(box_alignment_is_a_usable_fallback),
        cmocka_unit_test(stride_padding_is_ignored),
        cmocka_unit_test(sessions_run_in_parallel),
    };
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    lk__face_nets_free(nets);
    lk__manifest_free(&manifest);
    return rc;
}
