/*
 * image.c — still-image decoding with libvips into upright 8-bit RGB.
 *
 * Owns libvips's process-wide set-up (init, cache, concurrency, logging) and
 * the one path from a file on disk to an lk__image.  Uploads are untrusted,
 * so the file is opened here (not by libvips), its type is sniffed and
 * checked against a short list of photo formats, its header is checked
 * against the pixel limit, and only then are pixels decoded.
 */
#include "media/image.h"
#include "media/source.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <vips/vips.h>

#if VIPS_MAJOR_VERSION > 8 || (VIPS_MAJOR_VERSION == 8 && VIPS_MINOR_VERSION >= 12)
#define LK__FAIL_OPTION "fail_on", VIPS_FAIL_ON_ERROR
#else
#define LK__FAIL_OPTION "fail", TRUE
#endif

/* ------------------------------------------------------------------------
 * Process-wide set-up
 * ---------------------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static lk_status init_status = LK_OK;
static char init_msg[512];

/* libvips reports warnings (a corrupt JPEG segment, "error in tile …")
 * through g_log in the "VIPS" domain; GLib's default handler would print
 * them on stderr.  The library never prints: hand them to the log callback. */
static void vips_log_handler(const gchar *domain, GLogLevelFlags flags,
                             const gchar *msg, gpointer user)
{
    (void)domain;
    (void)user;
    lk_log_level level;
    if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        level = LK_LOG_ERROR;
    else if (flags & G_LOG_LEVEL_WARNING)
        level = LK_LOG_WARN;
    else if (flags & G_LOG_LEVEL_MESSAGE)
        level = LK_LOG_INFO;
    else
        level = LK_LOG_DEBUG;
    lk__log(level, "libvips: %s", msg ? msg : "");
}

/* Copy libvips's error buffer into buf as one line and clear it, so the
 * global buffer never grows.  The buffer is shared by all threads: when two
 * loads fail at the same instant one may read the other's text. */
static void take_vips_error(char *buf, size_t n)
{
    char *e = vips_error_buffer_copy();
    size_t j = 0;
    int pending_sep = 0;
    for (const char *p = e ? e : ""; *p && j + 3 < n; p++) {
        if (*p == '\n' || *p == '\r') {
            pending_sep = j > 0;
            continue;
        }
        if (pending_sep) {
            buf[j++] = ';';
            buf[j++] = ' ';
            pending_sep = 0;
            if (j + 3 >= n)
                break;
        }
        buf[j++] = *p;
    }
    buf[j] = '\0';
    if (j == 0 && n > 0)
        snprintf(buf, n, "no detail from libvips");
    g_free(e);
}

static void init_fn(void)
{
    g_log_set_handler("VIPS",
                      G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                      vips_log_handler, NULL);
    if (VIPS_INIT("likeness") != 0) {
        char detail[400];
        take_vips_error(detail, sizeof detail);
        snprintf(init_msg, sizeof init_msg, "libvips failed to start: %s",
                 detail);
        init_status = LK_ERR_BACKEND;
        return;
    }
    /* Every load is a different file, so cached operations are never
     * reused; worse, the cache would hold decoded images (memory) and
     * could return a stale image for a file rewritten in place. */
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    /* Callers parallelise across files; one worker per decode avoids
     * oversubscription and is no slower (JPEG entropy decoding is serial).
     * An explicit VIPS_CONCURRENCY in the environment wins. */
    if (!getenv("VIPS_CONCURRENCY"))
        vips_concurrency_set(1);
    lk__log(LK_LOG_DEBUG, "libvips %s ready, concurrency %d",
            vips_version_string(), vips_concurrency_get());
}

lk_status lk__media_init(void)
{
    pthread_once(&init_once, init_fn);
    if (init_status != LK_OK)
        return lk__error(init_status, "%s", init_msg);
    return LK_OK;
}

/* ------------------------------------------------------------------------
 * Loaders we accept
 * ---------------------------------------------------------------------- */

/* libvips can also read PDF, SVG, FITS, Matlab, raw matrices and anything
 * ImageMagick knows; none are photos, and each is attack surface.  Only
 * the formats of the public contract are decoded. */
static const struct {
    const char *loader;   /* type vips_foreign_find_load_source() names */
    const char *name;     /* for messages */
} allowed_loaders[] = {
    {"VipsForeignLoadJpegSource", "JPEG"},
    {"VipsForeignLoadPngSource", "PNG"},
    {"VipsForeignLoadWebpSource", "WebP"},
    {"VipsForeignLoadTiffSource", "TIFF"},
    {"VipsForeignLoadNsgifSource", "GIF"},
    {"VipsForeignLoadGifSource", "GIF"},      /* giflib, before 8.11 */
    {"VipsForeignLoadHeifSource", "HEIF"},
};

static int loader_allowed(const char *loader)
{
    for (size_t i = 0; i < sizeof allowed_loaders / sizeof allowed_loaders[0];
         i++)
        if (strcmp(loader, allowed_loaders[i].loader) == 0)
            return 1;
    return 0;
}

/* "VipsForeignLoadPdfSource" -> "PDF", for "not a supported image format". */
static void loader_short_name(const char *loader, char *buf, size_t n)
{
    static const char prefix[] = "VipsForeignLoad";
    if (strncmp(loader, prefix, sizeof prefix - 1) == 0)
        loader += sizeof prefix - 1;
    size_t len = strlen(loader);
    if (len > 6 && strcmp(loader + len - 6, "Source") == 0)
        len -= 6;
    if (len >= n)
        len = n - 1;
    for (size_t i = 0; i < len; i++)
        buf[i] = g_ascii_toupper(loader[i]);
    buf[len] = '\0';
}

int lk__image_sniff(const uint8_t *h, size_t n)
{
    if (n >= 3 && h[0] == 0xFF && h[1] == 0xD8 && h[2] == 0xFF)
        return 1;                                         /* JPEG */
    if (n >= 8 && !memcmp(h, "\x89PNG\r\n\x1a\n", 8))
        return 1;
    if (n >= 4 && !memcmp(h, "GIF8", 4))
        return 1;
    if (n >= 12 && !memcmp(h, "RIFF", 4) && !memcmp(h + 8, "WEBP", 4))
        return 1;
    if (n >= 4 && (!memcmp(h, "II*\0", 4) || !memcmp(h, "MM\0*", 4)))
        return 1;                                         /* TIFF */
    if (n >= 12 && !memcmp(h + 4, "ftyp", 4)) {
        /* ISO base media: HEIF and AVIF stills, unlike MP4 and MOV, name
         * an image brand first. */
        static const char brands[][5] = {"heic", "heix", "heim", "heis",
                                         "hevc", "hevx", "mif1", "msf1",
                                         "avif", "avis"};
        for (size_t i = 0; i < sizeof brands / sizeof brands[0]; i++)
            if (!memcmp(h + 8, brands[i], 4))
                return 1;
    }
    return 0;
}

int lk__image_format_supported(const char *format)
{
    if (!format || lk__media_init() != LK_OK)
        return 0;
    for (size_t i = 0; i < sizeof allowed_loaders / sizeof allowed_loaders[0];
         i++)
        if (g_ascii_strcasecmp(format, allowed_loaders[i].name) == 0)
            return vips_type_find("VipsOperation",
                                  allowed_loaders[i].loader) != 0;
    return 0;
}

/* ------------------------------------------------------------------------
 * Conversion to 8-bit sRGB, three bands
 * ---------------------------------------------------------------------- */

/* Replace *cur by *next, the result of one operation (rc its return
 * code), dropping the old image.  next is passed by address because it is
 * written by the operation in the same call's argument list.  On failure
 * *cur is left as it was and -1 returned. */
static int step(VipsImage **cur, int rc, VipsImage **next)
{
    if (rc != 0) {
        if (*next)
            g_object_unref(*next);
        *next = NULL;
        return -1;
    }
    g_object_unref(*cur);
    *cur = *next;
    *next = NULL;
    return 0;
}

static VipsInterpretation fallback_interpretation(const VipsImage *im)
{
    int wide = im->BandFmt == VIPS_FORMAT_USHORT
               || im->BandFmt == VIPS_FORMAT_SHORT;
    if (im->Bands >= 3)
        return wide ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB;
    return wide ? VIPS_INTERPRETATION_GREY16 : VIPS_INTERPRETATION_B_W;
}

/* *img (a reference the caller owns) becomes uchar sRGB with 3 bands:
 * grey expanded, 16-bit scaled (not clipped), CMYK and Lab converted through
 * colour management, alpha flattened onto white. */
static int to_rgb8(VipsImage **img)
{
    VipsImage *t = NULL;

    /* Coded images (LabQ from some TIFFs) must be decoded to be handled. */
    if ((*img)->Coding != VIPS_CODING_NONE
        && step(img, vips_image_decode(*img, &t), &t))
        return -1;

    VipsInterpretation interp = vips_image_guess_interpretation(*img);
    if (interp == VIPS_INTERPRETATION_MULTIBAND
        || interp == VIPS_INTERPRETATION_HISTOGRAM
        || interp == VIPS_INTERPRETATION_FOURIER
        || interp == VIPS_INTERPRETATION_MATRIX) {
        if (step(img, vips_copy(*img, &t, "interpretation",
                                fallback_interpretation(*img), NULL), &t))
            return -1;
        interp = (*img)->Type;
    }
    if (interp != VIPS_INTERPRETATION_sRGB) {
        if (step(img, vips_colourspace(*img, &t, VIPS_INTERPRETATION_sRGB,
                                       "source_space", interp, NULL), &t))
            return -1;
    }
    /* 16-bit data still labelled sRGB (some TIFFs): keep the top byte
     * rather than letting the cast clip everything above 255. */
    if ((*img)->BandFmt == VIPS_FORMAT_USHORT) {
        if (step(img, vips_rshift_const1(*img, &t, 8, NULL), &t))
            return -1;
    }
    if ((*img)->BandFmt != VIPS_FORMAT_UCHAR) {
        if (step(img, vips_cast(*img, &t, VIPS_FORMAT_UCHAR, NULL), &t))
            return -1;
    }
    if (vips_image_hasalpha(*img)) {
        VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
        int rc = vips_flatten(*img, &t, "background", white,
                              "max_alpha", 255.0, NULL);
        vips_area_unref(VIPS_AREA(white));
        if (step(img, rc, &t))
            return -1;
        if ((*img)->BandFmt != VIPS_FORMAT_UCHAR) {
            if (step(img, vips_cast(*img, &t, VIPS_FORMAT_UCHAR, NULL), &t))
                return -1;
        }
    }
    if ((*img)->Bands == 1) {
        VipsImage *three[3] = {*img, *img, *img};
        if (step(img, vips_bandjoin(three, &t, 3, NULL), &t))
            return -1;
    } else if ((*img)->Bands > 3) {
        if (step(img, vips_extract_band(*img, &t, 0, "n", 3, NULL), &t))
            return -1;
    } else if ((*img)->Bands == 2) {
        /* Two bands without alpha: treat the first as grey. */
        if (step(img, vips_extract_band(*img, &t, 0, NULL), &t))
            return -1;
        VipsImage *three[3] = {*img, *img, *img};
        if (step(img, vips_bandjoin(three, &t, 3, NULL), &t))
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Writing pixels out, upright
 * ---------------------------------------------------------------------- */

typedef struct sink_ctx {
    uint8_t *dst;
    size_t dst_stride;
    int sw, sh;            /* size as stored (before orientation) */
    int orientation;       /* EXIF 1..8 */
} sink_ctx;

/* Called by vips_sink_disc() with successive strips of the stored image,
 * top to bottom; each pixel goes straight to its upright place, so the
 * rotation costs no second buffer and no random access to the decoder.
 * EXIF orientation o says where stored row 0 and column 0 belong:
 *   1 as is    2 mirrored     3 rotated 180    4 flipped
 *   5 transposed   6 needs 90 cw   7 transversed   8 needs 90 ccw
 * Runs on a libvips thread: must not touch the thread-local error. */
static int sink_write(VipsRegion *region, VipsRect *area, void *a)
{
    const sink_ctx *c = a;
    const int o = c->orientation;
    const int x0 = area->left, x1 = area->left + area->width;
    const int y0 = area->top, y1 = area->top + area->height;

    if (o <= 4) {
        for (int sy = y0; sy < y1; sy++) {
            const uint8_t *s = (const uint8_t *)VIPS_REGION_ADDR(region, x0, sy);
            int dy = (o == 3 || o == 4) ? c->sh - 1 - sy : sy;
            uint8_t *row = c->dst + (size_t)dy * c->dst_stride;
            if (o == 1 || o == 4) {
                memcpy(row + (size_t)x0 * 3, s, (size_t)(x1 - x0) * 3);
            } else {
                for (int sx = x0; sx < x1; sx++, s += 3) {
                    uint8_t *d = row + (size_t)(c->sw - 1 - sx) * 3;
                    d[0] = s[0];
                    d[1] = s[1];
                    d[2] = s[2];
                }
            }
        }
        return 0;
    }
    /* Transposing orientations: stored row sy becomes upright column dx,
     * stored column sx upright row dy.  Walk columns outermost so that the
     * writes for one column land side by side in one upright row (strips
     * are ~128 rows tall, so a run of ~384 bytes); square tiles measured no
     * faster.  About 30 ms of CPU for 12 megapixels, against 3 for a copy. */
    const VipsPel *base = VIPS_REGION_ADDR(region, x0, y0);
    const size_t sstride = VIPS_REGION_LSKIP(region);
    for (int sx = x0; sx < x1; sx++) {
        const int dy = (o == 5 || o == 6) ? sx : c->sw - 1 - sx;
        uint8_t *row = c->dst + (size_t)dy * c->dst_stride;
        const uint8_t *s = base + (size_t)(sx - x0) * 3;
        for (int sy = y0; sy < y1; sy++, s += sstride) {
            const int dx = (o == 5 || o == 8) ? sy : c->sh - 1 - sy;
            uint8_t *d = row + (size_t)dx * 3;
            d[0] = s[0];
            d[1] = s[1];
            d[2] = s[2];
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Loading
 * ---------------------------------------------------------------------- */

/* The status and message for a libvips failure while reading path. */
static lk_status decode_error(const char *path, const char *stage)
{
    char detail[600];
    take_vips_error(detail, sizeof detail);
    if (strstr(detail, "out of memory") || strstr(detail, "Out of memory"))
        return lk__error(LK_ERR_NOMEM, "%s: out of memory %s (%s)", path,
                         stage, detail);
    return lk__error(LK_ERR_FORMAT, "%s: truncated or corrupt image data (%s)",
                     path, detail);
}

/* Run the named loader on source: header only, pixels come later. */
static VipsImage *open_loader(const char *loader, VipsSource *source,
                              int jpeg_shrink)
{
    VipsImage *im = NULL;
    int rc;
    if (jpeg_shrink > 1)
        rc = vips_call(loader, source, &im, "access", VIPS_ACCESS_SEQUENTIAL,
                       LK__FAIL_OPTION, "shrink", jpeg_shrink, NULL);
    else
        rc = vips_call(loader, source, &im, "access", VIPS_ACCESS_SEQUENTIAL,
                       LK__FAIL_OPTION, NULL);
    if (rc != 0) {
        if (im)
            g_object_unref(im);
        return NULL;
    }
    return im;
}

/* Check the arguments every loader takes; LK_OK to go on. */
static lk_status load_args(const char *path, int shrink, lk__image *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!path || !out)
        return lk__error(LK_ERR_MISUSE, "image load: NULL %s",
                         path ? "output" : "path");
    if (shrink != 1 && shrink != 2 && shrink != 4 && shrink != 8)
        return lk__error(LK_ERR_MISUSE, "%s: shrink must be 1, 2, 4 or 8, "
                         "not %d", path, shrink);
    return lk__media_init();
}

static lk_status load_source(const char *path, VipsSource *source,
                             int64_t max_pixels, int shrink,
                             lk__budget *budget, lk__image *out);

lk_status lk__image_load_shrink(const char *path, int64_t max_pixels,
                                int shrink, lk__image *out)
{
    lk_status st = load_args(path, shrink, out);
    if (st != LK_OK)
        return st;
    /* Read as every file is: one source (media/source.h). */
    lk__source *src;
    if ((st = lk__source_open_file(path, &src)) != LK_OK)
        return st;
    VipsSource *source = vips_source_new_from_memory(lk__source_data(src),
                                                     lk__source_size(src));
    if (!source) {
        char detail[400];
        take_vips_error(detail, sizeof detail);
        st = lk__error(LK_ERR_NOMEM, "%s: cannot read (%s)", path, detail);
    } else {
        st = load_source(path, source, max_pixels, shrink, NULL, out);
    }
    lk__source_close(src);
    return st;
}

lk_status lk__image_load_memory(const char *name, const void *data, size_t n,
                                int64_t max_pixels, lk__budget *budget,
                                lk__image *out)
{
    lk_status st = load_args(name, 1, out);
    if (st != LK_OK)
        return st;
    if (!data || n == 0)
        return lk__error(LK_ERR_FORMAT, "%s: no bytes", name);
    VipsSource *source = vips_source_new_from_memory(data, n);
    if (!source) {
        char detail[400];
        take_vips_error(detail, sizeof detail);
        return lk__error(LK_ERR_NOMEM, "%s: cannot read (%s)", name, detail);
    }
    return load_source(name, source, max_pixels, 1, budget, out);
}

/* Decode from source, which this takes over. */
static lk_status load_source(const char *path, VipsSource *source,
                             int64_t max_pixels, int shrink,
                             lk__budget *budget, lk__image *out)
{
    lk_status st;
    int64_t taken = 0;
    VipsImage *img = NULL;
    const char *loader = vips_foreign_find_load_source(source);
    if (!loader) {
        vips_error_clear();
        st = lk__error(LK_ERR_FORMAT, "%s: not a recognised image format",
                       path);
        goto done;
    }
    if (!loader_allowed(loader)) {
        char name[32];
        loader_short_name(loader, name, sizeof name);
        st = lk__error(LK_ERR_FORMAT, "%s: not a supported image format "
                       "(%s; JPEG, PNG, WebP, TIFF, GIF and HEIF are read)",
                       path, name);
        goto done;
    }
    int is_jpeg = strcmp(loader, "VipsForeignLoadJpegSource") == 0;

    if (!(img = open_loader(loader, source, 1))) {
        st = decode_error(path, "reading the header");
        goto done;
    }
    const int64_t w = img->Xsize, h = img->Ysize;
    if (w <= 0 || h <= 0) {
        st = lk__error(LK_ERR_FORMAT, "%s: image has no pixels (%" PRId64
                       "x%" PRId64 ")", path, w, h);
        goto done;
    }
    if (max_pixels > 0 && w * h > max_pixels) {
        st = lk__error(LK_ERR_TOO_LARGE, "%s: %" PRId64 "x%" PRId64
                       " pixels exceeds the limit of %" PRId64, path, w, h,
                       max_pixels);
        goto done;
    }

    /* Photos have 1 to 5 bands (CMYK and alpha) of at most 4 bytes.  A
     * TIFF declaring hundreds of double samples would make every decoded
     * strip huge while passing the pixel count. */
    const int sample = (int)vips_format_sizeof(img->BandFmt);
    if (img->Bands > 16 || img->Bands * sample > 32
        || vips_band_format_iscomplex(img->BandFmt)) {
        st = lk__error(LK_ERR_FORMAT, "%s: unsupported pixel layout (%d "
                       "bands of %d-byte %s samples)", path, img->Bands,
                       sample, vips_band_format_iscomplex(img->BandFmt)
                       ? "complex" : "real");
        goto done;
    }

    /* Shrunk sizes round down, as libvips's JPEG shrink-on-load does; a
     * shrink larger than the image is reduced so that a pixel remains. */
    while (shrink > 1 && (w < shrink || h < shrink))
        shrink /= 2;
    /* What decoding and searching the picture will hold, reserved before
     * a pixel is decoded (held until lk__image_release()). */
    const int64_t need = (w / shrink) * (h / shrink) * LK__IMAGE_BYTES_PER_PIXEL;
    if ((st = lk__budget_take(budget, need, path)) != LK_OK)
        goto done;
    taken = budget ? need : 0;
    if (shrink > 1) {
        VipsImage *t = NULL;
        if (is_jpeg) {
            /* libjpeg's DCT scaling: decodes a fraction of the data. */
            g_object_unref(img);
            img = NULL;
            if (vips_source_rewind(source) != 0
                || !(img = open_loader(loader, source, shrink))) {
                st = decode_error(path, "reading the header");
                goto done;
            }
        } else if (step(&img, vips_crop(img, &t, 0, 0,
                                        (int)(w / shrink * shrink),
                                        (int)(h / shrink * shrink), NULL),
                        &t)
                   || step(&img, vips_shrink(img, &t, (double)shrink,
                                             (double)shrink, NULL), &t)) {
            st = decode_error(path, "shrinking");
            goto done;
        }
    }

    int orientation = 1;
    if (vips_image_get_typeof(img, VIPS_META_ORIENTATION)
        && vips_image_get_int(img, VIPS_META_ORIENTATION, &orientation) != 0)
        vips_error_clear();
    if (orientation < 1 || orientation > 8)
        orientation = 1;

    if (to_rgb8(&img) != 0) {
        st = decode_error(path, "converting to RGB");
        goto done;
    }

    const int sw = img->Xsize, sh = img->Ysize;
    const int swap = orientation >= 5;
    const int dw = swap ? sh : sw, dh = swap ? sw : sh;
    /* Rows are addressed with int stride by the face pipeline. */
    if (dw > INT_MAX / 3 || (size_t)dh > SIZE_MAX / ((size_t)dw * 3)) {
        st = lk__error(LK_ERR_TOO_LARGE, "%s: %dx%d pixels do not fit in "
                       "memory", path, dw, dh);
        goto done;
    }
    const size_t stride = (size_t)dw * 3;
    uint8_t *data = malloc(stride * (size_t)dh);
    if (!data) {
        st = lk__error(LK_ERR_NOMEM, "%s: out of memory for %dx%d pixels",
                       path, dw, dh);
        goto done;
    }
    sink_ctx ctx = {data, stride, sw, sh, orientation};
    if (vips_sink_disc(img, sink_write, &ctx) != 0) {
        free(data);
        st = decode_error(path, "decoding");
        goto done;
    }
    out->data = data;
    out->w = dw;
    out->h = dh;
    out->stride = (int)stride;
    out->budget = budget;
    out->reserved = taken;
    taken = 0;
    st = LK_OK;

done:
    lk__budget_give(budget, taken);
    if (img)
        g_object_unref(img);
    g_object_unref(source);
    return st;
}

lk_status lk__image_load(const char *path, int64_t max_pixels, lk__image *out)
{
    return lk__image_load_shrink(path, max_pixels, 1, out);
}

void lk__image_release(lk__image *img)
{
    if (!img)
        return;
    lk__budget_give(img->budget, img->reserved);
    free(img->data);
    memset(img, 0, sizeof *img);
}

lk_status lk__jpeg_region(const uint8_t *rgb, int w, int h, int stride,
                          double x, double y, double rw, double rh,
                          int max_side, uint8_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    lk_status st = lk__media_init();
    if (st != LK_OK)
        return st;
    /* the region, clamped to the picture; at least a pixel */
    int x0 = (int)fmax(0, floor(x)), y0 = (int)fmax(0, floor(y));
    int x1 = (int)fmin(w, ceil(x + rw)), y1 = (int)fmin(h, ceil(y + rh));
    if (!rgb || w <= 0 || h <= 0 || stride < 3 * w || max_side < 1 ||
        x1 <= x0 || y1 <= y0)
        return lk__error(LK_ERR_MISUSE, "lk__jpeg_region: an empty region");
    VipsImage *img = vips_image_new_from_memory(rgb, (size_t)stride * h,
                                                stride / 3, h, 3,
                                                VIPS_FORMAT_UCHAR);
    VipsImage *t = NULL;
    void *buf = NULL;
    size_t len = 0;
    const double scale = fmin(1.0, (double)max_side / fmax(x1 - x0, y1 - y0));
    if (!img ||
        step(&img, vips_extract_area(img, &t, x0, y0, x1 - x0, y1 - y0, NULL),
             &t) ||
        (scale < 1.0 && step(&img, vips_resize(img, &t, scale, NULL), &t)) ||
        vips_jpegsave_buffer(img, &buf, &len, "Q", 85, "strip", TRUE, NULL)) {
        char detail[400];
        take_vips_error(detail, sizeof detail);
        st = lk__error(LK_ERR_BACKEND, "encoding a JPEG: %s", detail);
    } else if (!(*out = malloc(len ? len : 1))) {
        st = LK_ERR_NOMEM;
    } else {
        memcpy(*out, buf, len);
        *n = len;
    }
    g_free(buf);
    if (img)
        g_object_unref(img);
    return st;
}
