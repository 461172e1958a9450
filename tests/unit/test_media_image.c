/*
 * test_media_image.c — engine/media/image.c: every input is made at test
 * time, good images with libvips itself and bad files byte by byte, in a
 * fresh directory under $LK_TEST_TMP.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vips/vips.h>

#include "media/image.h"
#include "test_tmp.h"

static char tmp_dir[PATH_MAX / 2];

/* Making a HEIC test file runs libheif's x265 encoder, which keeps one
 * global allocation until exit; the library never encodes.  Carried in the
 * binary so the sanitizer run passes without LSAN_OPTIONS; the same entry
 * is in tests/lsan.supp. */
#if defined(__SANITIZE_ADDRESS__)
#define LK_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LK_TEST_ASAN 1
#endif
#endif
#ifdef LK_TEST_ASAN
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libx265.so\n";
}
#endif

/* ------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------- */

/* name inside the scratch directory; one buffer per thread, so use the
 * result before the next call. */
static const char *tpath(const char *name)
{
    static _Thread_local char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s/%s", tmp_dir, name);
    return buf;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static uint8_t *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len > 0);
    rewind(f);
    uint8_t *buf = malloc((size_t)len);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

/* A libvips image from pixels in memory, labelled interp. */
static VipsImage *mk(const void *px, int w, int h, int bands,
                     VipsBandFormat fmt, VipsInterpretation interp)
{
    size_t size = (size_t)w * h * bands * vips_format_sizeof(fmt);
    VipsImage *m = vips_image_new_from_memory_copy(px, size, w, h, bands, fmt);
    assert_non_null(m);
    VipsImage *o = NULL;
    assert_int_equal(vips_copy(m, &o, "interpretation", interp, NULL), 0);
    g_object_unref(m);
    return o;
}

/* w x h RGB filled with bg, with solid rectangles painted over it. */
typedef struct { int x, y, w, h; uint8_t r, g, b; } patch;

static VipsImage *mk_rgb(int w, int h, const uint8_t bg[3],
                         const patch *p, int np)
{
    uint8_t *px = malloc((size_t)w * h * 3);
    assert_non_null(px);
    for (int i = 0; i < w * h; i++)
        memcpy(px + i * 3, bg, 3);
    for (int k = 0; k < np; k++)
        for (int y = p[k].y; y < p[k].y + p[k].h; y++)
            for (int x = p[k].x; x < p[k].x + p[k].w; x++) {
                uint8_t *d = px + ((size_t)y * w + x) * 3;
                d[0] = p[k].r;
                d[1] = p[k].g;
                d[2] = p[k].b;
            }
    VipsImage *im = mk(px, w, h, 3, VIPS_FORMAT_UCHAR,
                       VIPS_INTERPRETATION_sRGB);
    free(px);
    return im;
}

static void save(VipsImage *im, const char *path)
{
    if (vips_image_write_to_file(im, path, NULL) != 0)
        fail_msg("saving %s: %s", path, vips_error_buffer());
}

static const uint8_t *px_at(const lk__image *img, int x, int y)
{
    return img->data + (size_t)y * img->stride + (size_t)x * 3;
}

#define assert_px_near(img, x, y, R, G, B, tol) do {                        \
        const uint8_t *p_ = px_at((img), (x), (y));                          \
        if (abs(p_[0] - (R)) > (tol) || abs(p_[1] - (G)) > (tol)             \
            || abs(p_[2] - (B)) > (tol))                                     \
            fail_msg("pixel (%d,%d) is %d,%d,%d, expected %d,%d,%d +-%d",    \
                     (x), (y), p_[0], p_[1], p_[2], (R), (G), (B), (tol));   \
    } while (0)

/* Load that must fail with status s and name the file in the error. */
static void expect_fail(const char *path, int64_t max_pixels, lk_status s,
                        const char *words)
{
    lk__image img = {.data = (uint8_t *)1, .w = 7, .h = 7, .stride = 7};
    lk_status st = lk__image_load(path, max_pixels, &img);
    if (st != s)
        fail_msg("%s: status %d (%s), expected %d; error: %s", path, st,
                 lk_status_str(st), s, lk_last_error());
    assert_null(img.data);
    assert_int_equal(img.w, 0);
    assert_int_equal(img.h, 0);
    assert_int_equal(img.stride, 0);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!strstr(lk_last_error(), base))
        fail_msg("error \"%s\" does not name %s", lk_last_error(), base);
    if (words && !strstr(lk_last_error(), words))
        fail_msg("error \"%s\" does not say \"%s\"", lk_last_error(), words);
}

static void load_ok(const char *path, lk__image *img)
{
    lk_status st = lk__image_load(path, 100000000, img);
    if (st != LK_OK)
        fail_msg("%s: %s: %s", path, lk_status_str(st), lk_last_error());
    assert_non_null(img->data);
    assert_int_equal(img->stride, img->w * 3);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* ------------------------------------------------------------------------
 * Set-up
 * ---------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    if (lk_test_mkdtemp("media_image", tmp_dir, sizeof tmp_dir) != 0)
        return -1;
    return lk__media_init() == LK_OK ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    lk_test_rmtree(tmp_dir);
    return 0;
}

/* ------------------------------------------------------------------------
 * Files that are not images
 * ---------------------------------------------------------------------- */

static void test_missing_file(void **state)
{
    (void)state;
    expect_fail(tpath("no-such-photo.jpg"), 100000000, LK_ERR_IO,
                strerror(ENOENT));
}

static void test_directory(void **state)
{
    (void)state;
    assert_int_equal(mkdir(tpath("album.jpg"), 0755), 0);
    expect_fail(tpath("album.jpg"), 100000000, LK_ERR_IO, "directory");
}

static void test_empty_file(void **state)
{
    (void)state;
    write_bytes(tpath("empty.jpg"), "", 0);
    expect_fail(tpath("empty.jpg"), 100000000, LK_ERR_FORMAT,
                "file is empty");
}

static void test_text_file(void **state)
{
    (void)state;
    const char *text = "These are my holiday notes, not a photo.\n"
                       "Day 1: beach.  Day 2: more beach.\n";
    write_bytes(tpath("notes.jpg"), text, strlen(text));
    expect_fail(tpath("notes.jpg"), 100000000, LK_ERR_FORMAT,
                "not a recognised image format");
}

static void test_random_bytes(void **state)
{
    (void)state;
    uint8_t buf[8192];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof buf; i++) {
        x = x * 1664525u + 1013904223u;
        buf[i] = (uint8_t)(x >> 24);
    }
    write_bytes(tpath("noise.png"), buf, sizeof buf);
    expect_fail(tpath("noise.png"), 100000000, LK_ERR_FORMAT,
                "not a recognised image format");
}

/* libvips would rasterise SVG with librsvg: it is refused, not decoded. */
static void test_svg_refused(void **state)
{
    (void)state;
    const char *svg = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3."
                      "org/2000/svg\" width=\"64\" height=\"64\"><rect "
                      "width=\"64\" height=\"64\" fill=\"red\"/></svg>\n";
    write_bytes(tpath("drawing.jpg"), svg, strlen(svg));
    expect_fail(tpath("drawing.jpg"), 100000000, LK_ERR_FORMAT,
                vips_type_find("VipsOperation", "svgload_source")
                ? "not a supported image format (SVG"
                : "not a recognised image format");
}

static void test_truncated_jpeg(void **state)
{
    (void)state;
    /* Busy content so that the entropy-coded data is long. */
    int w = 256, h = 256;
    uint8_t *px = malloc((size_t)w * h * 3);
    assert_non_null(px);
    for (int i = 0; i < w * h * 3; i++)
        px[i] = (uint8_t)((i * 7919) ^ (i >> 5));
    VipsImage *im = mk(px, w, h, 3, VIPS_FORMAT_UCHAR,
                       VIPS_INTERPRETATION_sRGB);
    free(px);
    save(im, tpath("whole.jpg"));
    g_object_unref(im);

    lk__image img;
    load_ok(tpath("whole.jpg"), &img);   /* the intact file is fine */
    assert_int_equal(img.w, 256);
    lk__image_release(&img);

    size_t n;
    uint8_t *bytes = read_bytes(tpath("whole.jpg"), &n);
    write_bytes(tpath("half.jpg"), bytes, n / 2);
    write_bytes(tpath("header-only.jpg"), bytes, 200);
    free(bytes);
    expect_fail(tpath("half.jpg"), 100000000, LK_ERR_FORMAT,
                "truncated or corrupt image data");
    expect_fail(tpath("header-only.jpg"), 100000000, LK_ERR_FORMAT,
                "truncated or corrupt image data");
}

static void test_truncated_png(void **state)
{
    (void)state;
    int w = 200, h = 200;
    uint8_t *px = malloc((size_t)w * h * 3);
    assert_non_null(px);
    for (int i = 0; i < w * h * 3; i++)
        px[i] = (uint8_t)((i * 2654435761u) >> 13);
    VipsImage *im = mk(px, w, h, 3, VIPS_FORMAT_UCHAR,
                       VIPS_INTERPRETATION_sRGB);
    free(px);
    save(im, tpath("whole.png"));
    g_object_unref(im);
    size_t n;
    uint8_t *bytes = read_bytes(tpath("whole.png"), &n);
    write_bytes(tpath("half.png"), bytes, n / 2);
    free(bytes);
    expect_fail(tpath("half.png"), 100000000, LK_ERR_FORMAT,
                "truncated or corrupt image data");
}

/* ------------------------------------------------------------------------
 * The pixel limit
 * ---------------------------------------------------------------------- */

static uint32_t crc32_png(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
    }
    return c ^ 0xffffffffu;
}

static size_t put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return 4;
}

static size_t put_chunk(uint8_t *p, const char *type, const uint8_t *data,
                        uint32_t n)
{
    size_t o = put_be32(p, n);
    memcpy(p + o, type, 4);
    if (n)
        memcpy(p + o + 4, data, n);
    o += 4 + n;
    o += put_be32(p + o, crc32_png(p + 4, 4 + (size_t)n));
    return o;
}

/* A 100-byte PNG whose header declares 50000 x 50000 RGB (7.5 GB). */
static void test_huge_png_header_refused_fast(void **state)
{
    (void)state;
    uint8_t png[128];
    size_t o = 0;
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a,
                                   0x0a};
    memcpy(png, sig, 8);
    o = 8;
    uint8_t ihdr[13];
    put_be32(ihdr, 50000);
    put_be32(ihdr + 4, 50000);
    ihdr[8] = 8;    /* bit depth */
    ihdr[9] = 2;    /* RGB */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    o += put_chunk(png + o, "IHDR", ihdr, 13);
    static const uint8_t idat[] = {0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00,
                                   0x01};
    o += put_chunk(png + o, "IDAT", idat, sizeof idat);
    o += put_chunk(png + o, "IEND", NULL, 0);
    write_bytes(tpath("bomb.png"), png, o);

    long rss0 = max_rss_kb();
    double t0 = now_s();
    expect_fail(tpath("bomb.png"), 100000000, LK_ERR_TOO_LARGE,
                "50000x50000 pixels exceeds the limit of 100000000");
    double dt = now_s() - t0;
    long grew_kb = max_rss_kb() - rss0;
    /* Decoding would take seconds and 7.5 GB; the header costs nothing. */
    if (dt > 0.5)
        fail_msg("refusal took %.3f s", dt);
    if (grew_kb > 32 * 1024)
        fail_msg("peak memory grew by %ld kB", grew_kb);
}

static void test_limit_boundary(void **state)
{
    (void)state;
    static const uint8_t bg[3] = {10, 20, 30};
    VipsImage *im = mk_rgb(100, 50, bg, NULL, 0);
    save(im, tpath("limit.png"));
    g_object_unref(im);
    lk__image img;
    assert_int_equal(lk__image_load(tpath("limit.png"), 5000, &img), LK_OK);
    lk__image_release(&img);
    assert_int_equal(lk__image_load(tpath("limit.png"), 0, &img), LK_OK);
    lk__image_release(&img);
    expect_fail(tpath("limit.png"), 4999, LK_ERR_TOO_LARGE,
                "100x50 pixels exceeds the limit of 4999");
}

/* The memory cap: a picture takes its need from the budget before a pixel
 * is decoded, holds it until released, and is refused (naming the file)
 * when it needs more than the whole cap. */
static void test_budget(void **state)
{
    (void)state;
    static const uint8_t bg[3] = {10, 20, 30};
    VipsImage *im = mk_rgb(100, 50, bg, NULL, 0);
    save(im, tpath("budget.png"));
    g_object_unref(im);
    gchar *bytes = NULL;
    gsize n = 0;
    assert_true(g_file_get_contents(tpath("budget.png"), &bytes, &n, NULL));
    const int64_t need = 100 * 50 * LK__IMAGE_BYTES_PER_PIXEL;
    lk__budget *b;
    assert_int_equal(lk__budget_new(need - 1, &b), LK_OK);
    lk__image img;
    assert_int_equal(lk__image_load_memory("budget.png", bytes, n, 0, b, &img),
                     LK_ERR_TOO_LARGE);
    assert_non_null(strstr(lk_last_error(), "budget.png"));
    assert_non_null(strstr(lk_last_error(), "memory cap"));
    assert_null(img.data);
    lk__budget_free(b);
    /* room for exactly one: a second holder would wait, so take the rest
     * ourselves and check it is all there again after the release */
    assert_int_equal(lk__budget_new(need, &b), LK_OK);
    assert_int_equal(lk__image_load_memory("budget.png", bytes, n, 0, b, &img),
                     LK_OK);
    assert_int_equal(img.reserved, need);
    lk__image_release(&img);
    assert_int_equal(lk__budget_take(b, need, "all"), LK_OK);
    lk__budget_give(b, need);
    /* a decoding that fails gives back what it took */
    assert_int_equal(lk__image_load_memory("budget.png", bytes, n / 2, 0, b,
                                           &img), LK_ERR_FORMAT);
    assert_int_equal(lk__budget_take(b, need, "all"), LK_OK);
    lk__budget_give(b, need);
    lk__budget_free(b);
    g_free(bytes);
}

/* ------------------------------------------------------------------------
 * Pixel formats
 * ---------------------------------------------------------------------- */

static void test_one_pixel(void **state)
{
    (void)state;
    static const uint8_t bg[3] = {200, 100, 50};
    VipsImage *im = mk_rgb(1, 1, bg, NULL, 0);
    save(im, tpath("dot.png"));
    g_object_unref(im);
    lk__image img;
    load_ok(tpath("dot.png"), &img);
    assert_int_equal(img.w, 1);
    assert_int_equal(img.h, 1);
    assert_int_equal(img.stride, 3);
    assert_px_near(&img, 0, 0, 200, 100, 50, 0);
    lk__image_release(&img);
}

static void test_grey_png(void **state)
{
    (void)state;
    uint8_t px[64 * 4];
    for (int i = 0; i < 64 * 4; i++)
        px[i] = (uint8_t)(i % 64 * 4);
    VipsImage *im = mk(px, 64, 4, 1, VIPS_FORMAT_UCHAR,
                       VIPS_INTERPRETATION_B_W);
    save(im, tpath("grey.png"));
    g_object_unref(im);
    lk__image img;
    load_ok(tpath("grey.png"), &img);
    assert_int_equal(img.w, 64);
    assert_int_equal(img.h, 4);
    for (int x = 0; x < 64; x++)
        assert_px_near(&img, x, 2, x * 4, x * 4, x * 4, 0);
    lk__image_release(&img);
}

static void test_grey_alpha_png(void **state)
{
    (void)state;
    /* Columns: grey 40 opaque, grey 40 transparent, grey 40 half. */
    uint8_t px[3 * 2 * 2] = {40, 255, 40, 0, 40, 128,
                             40, 255, 40, 0, 40, 128};
    VipsImage *im = mk(px, 3, 2, 2, VIPS_FORMAT_UCHAR,
                       VIPS_INTERPRETATION_B_W);
    save(im, tpath("grey-alpha.png"));
    g_object_unref(im);
    lk__image img;
    load_ok(tpath("grey-alpha.png"), &img);
    assert_int_equal(img.w, 3);
    assert_px_near(&img, 0, 1, 40, 40, 40, 0);
    assert_px_near(&img, 1, 1, 255, 255, 255, 0);
    int half = (40 * 128 + 255 * 127 + 127) / 255;   /* 148 */
    assert_px_near(&img, 2, 1, half, half, half, 1);
    lk__image_release(&img);
}

static void test_rgba_png_flattened_on_white(void **state)
{
    (void)state;
    int w = 8, h = 8;
    uint8_t px[8 * 8 * 4];
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = px + (y * w + x) * 4;
            if (x < 4) {          /* left: opaque red */
                p[0] = 255, p[1] = 0, p[2] = 0, p[3] = 255;
            } else if (y < 4) {   /* top right: transparent (black) */
                p[0] = 0, p[1] = 0, p[2] = 0, p[3] = 0;
            } else {              /* bottom right: half-transparent blue */
                p[0] = 0, p[1] = 0, p[2] = 255, p[3] = 128;
            }
        }
    VipsImage *im = mk(px, w, h, 4, VIPS_FORMAT_UCHAR,
                       VIPS_INTERPRETATION_sRGB);
    save(im, tpath("rgba.png"));
    g_object_unref(im);
    lk__image img;
    load_ok(tpath("rgba.png"), &img);
    assert_int_equal(img.w, 8);
    assert_int_equal(img.h, 8);
    assert_px_near(&img, 1, 1, 255, 0, 0, 0);
    assert_px_near(&img, 6, 1, 255, 255, 255, 0);
    int wh = (255 * 127 + 127) / 255;                 /* white part: 127 */
    assert_px_near(&img, 6, 6, wh, wh, 255, 1);
    lk__image_release(&img);
}

static void test_palette_png(void **state)
{
    (void)state;
    static const uint8_t bg[3] = {0, 0, 255};
    static const patch p[] = {{0, 0, 8, 16, 255, 255, 0}};
    VipsImage *im = mk_rgb(16, 16, bg, p, 1);
    assert_int_equal(vips_pngsave(im, tpath("palette.png"), "palette", TRUE,
                                  NULL), 0);
    g_object_unref(im);
    /* The file really is a colour-mapped PNG (colour type 3). */
    size_t n;
    uint8_t *bytes = read_bytes(tpath("palette.png"), &n);
    assert_true(n > 26);
    assert_int_equal(bytes[25], 3);
    free(bytes);
    lk__image img;
    load_ok(tpath("palette.png"), &img);
    assert_px_near(&img, 2, 8, 255, 255, 0, 2);
    assert_px_near(&img, 12, 8, 0, 0, 255, 2);
    lk__image_release(&img);
}

static void test_16bit_png(void **state)
{
    (void)state;
    uint16_t rgb[2 * 3] = {65535, 32896, 0, 257 * 200, 257 * 10, 257 * 77};
    VipsImage *im = mk(rgb, 2, 1, 3, VIPS_FORMAT_USHORT,
                       VIPS_INTERPRETATION_RGB16);
    save(im, tpath("deep.png"));
    g_object_unref(im);
    size_t n;
    uint8_t *bytes = read_bytes(tpath("deep.png"), &n);
    assert_int_equal(bytes[24], 16);   /* IHDR bit depth */
    free(bytes);

    lk__image img;
    load_ok(tpath("deep.png"), &img);
    assert_int_equal(img.w, 2);
    assert_px_near(&img, 0, 0, 255, 128, 0, 1);
    assert_px_near(&img, 1, 0, 200, 10, 77, 1);
    lk__image_release(&img);

    uint16_t grey[2] = {257 * 99, 65535};
    im = mk(grey, 2, 1, 1, VIPS_FORMAT_USHORT, VIPS_INTERPRETATION_GREY16);
    save(im, tpath("deep-grey.png"));
    g_object_unref(im);
    load_ok(tpath("deep-grey.png"), &img);
    assert_px_near(&img, 0, 0, 99, 99, 99, 1);
    assert_px_near(&img, 1, 0, 255, 255, 255, 0);
    lk__image_release(&img);

    /* 16-bit alpha scales with the colour: transparent, opaque, half. */
    uint16_t ga[3 * 2] = {257 * 99, 0, 257 * 99, 65535, 0, 32896};
    im = mk(ga, 3, 1, 2, VIPS_FORMAT_USHORT, VIPS_INTERPRETATION_GREY16);
    save(im, tpath("deep-grey-alpha.png"));
    g_object_unref(im);
    load_ok(tpath("deep-grey-alpha.png"), &img);
    assert_px_near(&img, 0, 0, 255, 255, 255, 0);
    assert_px_near(&img, 1, 0, 99, 99, 99, 1);
    assert_px_near(&img, 2, 0, 127, 127, 127, 1);
    lk__image_release(&img);

    uint16_t rgba[4] = {65535, 0, 0, 32896};
    im = mk(rgba, 1, 1, 4, VIPS_FORMAT_USHORT, VIPS_INTERPRETATION_RGB16);
    save(im, tpath("deep-rgba.png"));
    g_object_unref(im);
    load_ok(tpath("deep-rgba.png"), &img);
    assert_px_near(&img, 0, 0, 255, 127, 127, 1);
    lk__image_release(&img);
}

/* Red, green and blue squares in three corners of a grey field. */
static VipsImage *mk_markers(int w, int h)
{
    static const uint8_t bg[3] = {128, 128, 128};
    const patch p[] = {
        {0, 0, 8, 8, 255, 0, 0},
        {w - 8, 0, 8, 8, 0, 255, 0},
        {0, h - 8, 8, 8, 0, 0, 255},
    };
    return mk_rgb(w, h, bg, p, 3);
}

/* Corner (0 TL, 1 TR, 2 BL, 3 BR) of the upright image whose colour is
 * red / green / blue: which way each EXIF orientation turns the markers. */
static void assert_corner(const lk__image *img, int corner, int r, int g,
                          int b)
{
    int x = corner & 1 ? img->w - 4 : 3;
    int y = corner & 2 ? img->h - 4 : 3;
    assert_px_near(img, x, y, r, g, b, 40);
}

static void test_exif_orientation(void **state)
{
    (void)state;
    /* [orientation-1] = {red corner, green corner, blue corner} */
    static const int where[8][3] = {
        {0, 1, 2}, {1, 0, 3}, {3, 2, 1}, {2, 3, 0},
        {0, 2, 1}, {1, 3, 0}, {3, 1, 2}, {2, 0, 3},
    };
    const int w = 48, h = 32;
    for (int o = 1; o <= 8; o++) {
        char name[32];
        snprintf(name, sizeof name, "orient-%d.jpg", o);
        VipsImage *im = mk_markers(w, h);
        vips_image_set_int(im, VIPS_META_ORIENTATION, o);
        assert_int_equal(vips_jpegsave(im, tpath(name), "Q", 95, NULL), 0);
        g_object_unref(im);

        /* The tag is in the file, so the test is meaningful. */
        VipsImage *back = vips_image_new_from_file(tpath(name), "access",
                                                   VIPS_ACCESS_RANDOM, NULL);
        assert_non_null(back);
        int tag = 0;
        assert_int_equal(vips_image_get_int(back, VIPS_META_ORIENTATION,
                                            &tag), 0);
        assert_int_equal(tag, o);

        lk__image img;
        load_ok(tpath(name), &img);
        assert_int_equal(img.w, o >= 5 ? h : w);
        assert_int_equal(img.h, o >= 5 ? w : h);
        assert_corner(&img, where[o - 1][0], 255, 0, 0);
        assert_corner(&img, where[o - 1][1], 0, 255, 0);
        assert_corner(&img, where[o - 1][2], 0, 0, 255);

        /* And byte for byte what vips_autorot() makes of the same file. */
        VipsImage *rot = NULL;
        assert_int_equal(vips_autorot(back, &rot, NULL), 0);
        assert_int_equal(rot->Xsize, img.w);
        assert_int_equal(rot->Ysize, img.h);
        size_t n = 0;
        uint8_t *ref = vips_image_write_to_memory(rot, &n);
        assert_non_null(ref);
        assert_int_equal(n, (size_t)img.stride * img.h);
        assert_memory_equal(ref, img.data, n);
        g_free(ref);
        g_object_unref(rot);
        g_object_unref(back);
        lk__image_release(&img);
    }
}

static void check_cmyk_file(const char *name)
{
    static const uint8_t bg[3] = {255, 255, 255};
    static const patch p[] = {{0, 0, 16, 32, 200, 30, 30},
                              {16, 16, 16, 16, 0, 0, 0}};
    VipsImage *rgb = mk_rgb(32, 32, bg, p, 2);
    VipsImage *cmyk = NULL;
    if (vips_icc_transform(rgb, &cmyk, "cmyk", NULL) != 0) {
        g_object_unref(rgb);
        vips_error_clear();
        skip();
    }
    g_object_unref(rgb);
    assert_int_equal(cmyk->Bands, 4);
    save(cmyk, tpath(name));
    g_object_unref(cmyk);
    VipsImage *back = vips_image_new_from_file(tpath(name), NULL);
    assert_non_null(back);
    assert_int_equal(vips_image_guess_interpretation(back),
                     VIPS_INTERPRETATION_CMYK);
    g_object_unref(back);

    lk__image img;
    load_ok(tpath(name), &img);
    assert_int_equal(img.w, 32);
    assert_int_equal(img.h, 32);
    /* Through a CMYK profile and back: near, not exact. */
    assert_px_near(&img, 4, 4, 200, 30, 30, 30);
    assert_px_near(&img, 28, 4, 255, 255, 255, 12);
    assert_px_near(&img, 24, 24, 0, 0, 0, 40);
    lk__image_release(&img);
}

static void test_cmyk_jpeg(void **state)
{
    (void)state;
    check_cmyk_file("cmyk.jpg");
}

static void test_cmyk_tiff(void **state)
{
    (void)state;
    check_cmyk_file("cmyk.tif");
}

/* Two pages, red then blue, each 16 x 12. */
static VipsImage *mk_two_pages(void)
{
    static const uint8_t red[3] = {255, 0, 0}, blue[3] = {0, 0, 255};
    VipsImage *pages[2] = {mk_rgb(16, 12, red, NULL, 0),
                           mk_rgb(16, 12, blue, NULL, 0)};
    VipsImage *tall = NULL;
    assert_int_equal(vips_arrayjoin(pages, &tall, 2, "across", 1, NULL), 0);
    g_object_unref(pages[0]);
    g_object_unref(pages[1]);
    VipsImage *out = NULL;
    assert_int_equal(vips_copy(tall, &out, NULL), 0);
    g_object_unref(tall);
    vips_image_set_int(out, VIPS_META_PAGE_HEIGHT, 12);
    return out;
}

static void test_gif_first_frame(void **state)
{
    (void)state;
    VipsImage *im = mk_two_pages();
    save(im, tpath("anim.gif"));
    g_object_unref(im);
    lk__image img;
    load_ok(tpath("anim.gif"), &img);
    assert_int_equal(img.w, 16);
    assert_int_equal(img.h, 12);
    assert_px_near(&img, 8, 6, 255, 0, 0, 8);
    assert_px_near(&img, 8, 11, 255, 0, 0, 8);
    lk__image_release(&img);
}

static void test_tiff_first_page(void **state)
{
    (void)state;
    VipsImage *im = mk_two_pages();
    save(im, tpath("pages.tif"));
    g_object_unref(im);
    lk__image img;
    load_ok(tpath("pages.tif"), &img);
    assert_int_equal(img.w, 16);
    assert_int_equal(img.h, 12);
    assert_px_near(&img, 8, 6, 255, 0, 0, 0);
    lk__image_release(&img);
}

static void test_tiff_and_webp_exact(void **state)
{
    (void)state;
    static const uint8_t bg[3] = {17, 34, 51};
    static const patch p[] = {{3, 2, 5, 4, 250, 128, 1}};
    VipsImage *im = mk_rgb(21, 13, bg, p, 1);
    save(im, tpath("plain.tif"));
    assert_int_equal(vips_webpsave(im, tpath("plain.webp"), "lossless", TRUE,
                                   NULL), 0);
    g_object_unref(im);
    const char *names[] = {"plain.tif", "plain.webp"};
    for (int i = 0; i < 2; i++) {
        lk__image img;
        load_ok(tpath(names[i]), &img);
        assert_int_equal(img.w, 21);
        assert_int_equal(img.h, 13);
        assert_px_near(&img, 0, 0, 17, 34, 51, 0);
        assert_px_near(&img, 5, 4, 250, 128, 1, 0);
        assert_px_near(&img, 20, 12, 17, 34, 51, 0);
        lk__image_release(&img);
    }
}

static void test_webp_lossy_with_alpha(void **state)
{
    (void)state;
    uint8_t px[32 * 32 * 4];
    for (int i = 0; i < 32 * 32; i++) {
        int x = i % 32;
        px[i * 4 + 0] = 0;
        px[i * 4 + 1] = 160;
        px[i * 4 + 2] = 0;
        px[i * 4 + 3] = x < 16 ? 255 : 0;
    }
    VipsImage *im = mk(px, 32, 32, 4, VIPS_FORMAT_UCHAR,
                       VIPS_INTERPRETATION_sRGB);
    assert_int_equal(vips_webpsave(im, tpath("alpha.webp"), "Q", 90, NULL), 0);
    g_object_unref(im);
    lk__image img;
    load_ok(tpath("alpha.webp"), &img);
    assert_px_near(&img, 4, 16, 0, 160, 0, 12);
    assert_px_near(&img, 28, 16, 255, 255, 255, 12);
    lk__image_release(&img);
}

static void test_heif(void **state)
{
    (void)state;
    if (!lk__image_format_supported("HEIF"))
        skip();
    static const struct {
        const char *name;
        VipsForeignHeifCompression compression;
    } kinds[] = {
        {"photo.avif", VIPS_FOREIGN_HEIF_COMPRESSION_AV1},
        {"photo.heic", VIPS_FOREIGN_HEIF_COMPRESSION_HEVC},
    };
    int tried = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        static const uint8_t bg[3] = {30, 60, 200};
        VipsImage *im = mk_rgb(64, 48, bg, NULL, 0);
        int rc = vips_heifsave(im, tpath(kinds[i].name), "compression",
                               kinds[i].compression, "Q", 90, NULL);
        g_object_unref(im);
        if (rc != 0) {      /* libheif without this encoder */
            vips_error_clear();
            continue;
        }
        lk__image img;
        lk_status st = lk__image_load(tpath(kinds[i].name), 0, &img);
        if (st == LK_ERR_FORMAT && strstr(lk_last_error(), "decoder"))
            continue;       /* an encoder but no decoder plugin */
        if (st != LK_OK)
            fail_msg("%s: %s", kinds[i].name, lk_last_error());
        tried++;
        assert_int_equal(img.w, 64);
        assert_int_equal(img.h, 48);
        assert_px_near(&img, 32, 24, 30, 60, 200, 16);
        lk__image_release(&img);
    }
    if (!tried)
        skip();
}

/* Forty samples per pixel is no photo: refused from the header. */
static void test_many_band_tiff(void **state)
{
    (void)state;
    uint8_t *px = calloc(8 * 8, 40);
    assert_non_null(px);
    VipsImage *im = mk(px, 8, 8, 40, VIPS_FORMAT_UCHAR,
                       VIPS_INTERPRETATION_MULTIBAND);
    free(px);
    save(im, tpath("bands.tif"));
    g_object_unref(im);
    expect_fail(tpath("bands.tif"), 0, LK_ERR_FORMAT,
                "unsupported pixel layout (40 bands");
}

/* libvips would parse "[...]" at the end of a name as load options: the
 * file is opened as named, options and all. */
static void test_name_with_brackets(void **state)
{
    (void)state;
    static const uint8_t bg[3] = {1, 2, 3};
    VipsImage *im = mk_rgb(10, 8, bg, NULL, 0);
    save(im, tpath("odd.png"));
    g_object_unref(im);
    char from[PATH_MAX];
    snprintf(from, sizeof from, "%s", tpath("odd.png"));
    assert_int_equal(rename(from, tpath("odd.png[shrink=2]")), 0);
    lk__image img;
    load_ok(tpath("odd.png[shrink=2]"), &img);
    assert_int_equal(img.w, 10);
    assert_int_equal(img.h, 8);
    lk__image_release(&img);
    expect_fail(tpath("odd.png"), 0, LK_ERR_IO, "odd.png");
}

static void test_shrink(void **state)
{
    (void)state;
    VipsImage *im = mk_markers(101, 51);
    save(im, tpath("shrink.jpg"));
    save(im, tpath("shrink.png"));
    g_object_unref(im);
    const char *names[] = {"shrink.jpg", "shrink.png"};
    for (int i = 0; i < 2; i++) {
        lk__image img;
        assert_int_equal(lk__image_load_shrink(tpath(names[i]), 100000000, 2,
                                               &img), LK_OK);
        assert_int_equal(img.w, 50);
        assert_int_equal(img.h, 25);
        assert_int_equal(img.stride, 50 * 3);
        assert_px_near(&img, 1, 1, 255, 0, 0, 40);
        lk__image_release(&img);
        /* The limit is on the stored size, not the shrunk one. */
        assert_int_equal(lk__image_load_shrink(tpath(names[i]), 101 * 51 - 1,
                                               2, &img), LK_ERR_TOO_LARGE);
        assert_null(img.data);
    }
    /* Smaller than the shrink: still one pixel, not none. */
    static const uint8_t bg[3] = {9, 99, 199};
    im = mk_rgb(3, 1, bg, NULL, 0);
    save(im, tpath("tiny.jpg"));
    save(im, tpath("tiny.png"));
    g_object_unref(im);
    lk__image img;
    assert_int_equal(lk__image_load_shrink(tpath("tiny.jpg"), 0, 8, &img),
                     LK_OK);
    assert_int_equal(img.w, 3);
    assert_int_equal(img.h, 1);
    lk__image_release(&img);
    assert_int_equal(lk__image_load_shrink(tpath("tiny.png"), 0, 2, &img),
                     LK_OK);
    assert_int_equal(img.w, 3);
    assert_int_equal(img.h, 1);
    assert_px_near(&img, 2, 0, 9, 99, 199, 0);
    lk__image_release(&img);
    assert_int_equal(lk__image_load_shrink(tpath("shrink.jpg"), 0, 3, &img),
                     LK_ERR_MISUSE);
    assert_null(img.data);
}

static void test_misuse_and_release(void **state)
{
    (void)state;
    lk__image img = {.data = (uint8_t *)1, .w = 1, .h = 1, .stride = 3};
    assert_int_equal(lk__image_load(NULL, 0, &img), LK_ERR_MISUSE);
    assert_null(img.data);
    assert_int_equal(lk__image_load(tpath("x.jpg"), 0, NULL), LK_ERR_MISUSE);
    lk__image_release(NULL);
    lk__image_release(&img);   /* already empty */
    assert_int_equal(lk__media_init(), LK_OK);   /* idempotent */
    assert_true(lk__image_format_supported("jpeg"));
    assert_true(lk__image_format_supported("PNG"));
    assert_false(lk__image_format_supported("pdf"));
}

/* ------------------------------------------------------------------------
 * Quiet and thread-safe
 * ---------------------------------------------------------------------- */

static int n_logged;
static void count_log(lk_log_level level, const char *msg, void *user)
{
    (void)level;
    (void)user;
    if (strstr(msg, "libvips"))
        __atomic_add_fetch(&n_logged, 1, __ATOMIC_RELAXED);
}

/* libvips warns through g_log; nothing may reach stderr, the log callback
 * gets it instead. */
static void test_never_prints(void **state)
{
    (void)state;
    /* A JPEG whose scan data is garbage past the middle: libjpeg warns. */
    static const uint8_t bg[3] = {90, 90, 90};
    VipsImage *im = mk_rgb(128, 128, bg, NULL, 0);
    save(im, tpath("quiet.jpg"));
    g_object_unref(im);
    size_t n;
    uint8_t *bytes = read_bytes(tpath("quiet.jpg"), &n);
    for (size_t i = n / 2; i < n - 2; i++)
        bytes[i] = (uint8_t)(i * 31);
    write_bytes(tpath("garbled.jpg"), bytes, n);
    write_bytes(tpath("cut.jpg"), bytes, n / 2 + 10);
    free(bytes);

    lk_log_set(count_log, LK_LOG_DEBUG, NULL);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    FILE *cap = fopen(tpath("stderr.txt"), "w+");
    assert_non_null(cap);
    assert_true(dup2(fileno(cap), 2) >= 0);

    lk__image img;
    lk_status s1 = lk__image_load(tpath("garbled.jpg"), 0, &img);
    lk__image_release(&img);
    lk_status s2 = lk__image_load(tpath("cut.jpg"), 0, &img);
    lk__image_release(&img);
    g_log("VIPS", G_LOG_LEVEL_WARNING, "a warning in the VIPS domain");

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lk_log_set(NULL, LK_LOG_ERROR, NULL);
    long printed = (fseek(cap, 0, SEEK_END), ftell(cap));
    fclose(cap);

    assert_int_equal(s2, LK_ERR_FORMAT);
    assert_true(s1 == LK_OK || s1 == LK_ERR_FORMAT);
    assert_int_equal(printed, 0);
    assert_true(n_logged > 0);
}

enum { N_THREADS = 8, N_ROUNDS = 12 };

static void *thread_main(void *arg)
{
    intptr_t id = (intptr_t)arg;
    intptr_t bad = 0;
    for (int r = 0; r < N_ROUNDS; r++) {
        lk__image img;
        char name[64];
        switch ((id + r) % 4) {
        case 0:   /* this thread's own image: size and colour are its id */
            snprintf(name, sizeof name, "thread-%d.jpg", (int)id);
            if (lk__image_load(tpath(name), 0, &img) != LK_OK
                || img.w != 40 + (int)id || img.h != 30
                || abs(px_at(&img, 5, 5)[0] - (int)id * 20) > 6)
                bad++;
            lk__image_release(&img);
            break;
        case 1:
            if (lk__image_load(tpath("orient-6.jpg"), 0, &img) != LK_OK
                || img.w != 32 || img.h != 48)
                bad++;
            lk__image_release(&img);
            break;
        case 2:   /* failures name this thread's file, not another's */
            snprintf(name, sizeof name, "absent-%d.jpg", (int)id);
            if (lk__image_load(tpath(name), 0, &img) != LK_ERR_IO
                || !strstr(lk_last_error(), name))
                bad++;
            break;
        default:
            if (lk__image_load(tpath("half.jpg"), 0, &img) != LK_ERR_FORMAT
                || !strstr(lk_last_error(), "half.jpg"))
                bad++;
            break;
        }
    }
    return (void *)bad;
}

static void test_threads(void **state)
{
    (void)state;
    /* Uses orient-6.jpg and half.jpg made by earlier tests. */
    struct stat st;
    if (stat(tpath("orient-6.jpg"), &st) != 0
        || stat(tpath("half.jpg"), &st) != 0)
        skip();
    for (int i = 0; i < N_THREADS; i++) {
        uint8_t bg[3] = {(uint8_t)(i * 20), 50, 50};
        VipsImage *im = mk_rgb(40 + i, 30, bg, NULL, 0);
        char name[64];
        snprintf(name, sizeof name, "thread-%d.jpg", i);
        save(im, tpath(name));
        g_object_unref(im);
    }
    pthread_t th[N_THREADS];
    for (intptr_t i = 0; i < N_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, thread_main, (void *)i),
                         0);
    intptr_t bad = 0;
    for (int i = 0; i < N_THREADS; i++) {
        void *r;
        pthread_join(th[i], &r);
        bad += (intptr_t)r;
    }
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_text_file),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_svg_refused),
        cmocka_unit_test(test_truncated_jpeg),
        cmocka_unit_test(test_truncated_png),
        cmocka_unit_test(test_huge_png_header_refused_fast),
        cmocka_unit_test(test_limit_boundary),
        cmocka_unit_test(test_one_pixel),
        cmocka_unit_test(test_grey_png),
        cmocka_unit_test(test_grey_alpha_png),
        cmocka_unit_test(test_rgba_png_flattened_on_white),
        cmocka_unit_test(test_palette_png),
        cmocka_unit_test(test_16bit_png),
        cmocka_unit_test(test_exif_orientation),
        cmocka_unit_test(test_cmyk_jpeg),
        cmocka_unit_test(test_cmyk_tiff),
        cmocka_unit_test(test_gif_first_frame),
        cmocka_unit_test(test_tiff_first_page),
        cmocka_unit_test(test_tiff_and_webp_exact),
        cmocka_unit_test(test_webp_lossy_with_alpha),
        cmocka_unit_test(test_heif),
        cmocka_unit_test(test_name_with_brackets),
        cmocka_unit_test(test_many_band_tiff),
        cmocka_unit_test(test_shrink),
        cmocka_unit_test(test_misuse_and_release),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_never_prints),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
