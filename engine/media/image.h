/*
 * image.h — still-image decoding with libvips into upright 8-bit RGB.
 */
#ifndef LK_IMAGE_H
#define LK_IMAGE_H

#include "core/budget.h"
#include "core/core.h"

typedef struct lk__image {
    uint8_t *data;         /* interleaved RGB, owned; rows of stride bytes */
    int w, h, stride;
    lk__budget *budget;    /* what the decoding reserved, given back by */
    int64_t reserved;      /* lk__image_release() */
} lk__image;

/* Bytes a picture holds per pixel while it is decoded and searched: the
 * RGB copy and libvips' and the detector's working copies (a 100-Mpx photo
 * peaked at 412 MB: 4.1 bytes a pixel). */
#define LK__IMAGE_BYTES_PER_PIXEL 5

/* Initialise libvips once per process (thread-safe, idempotent). */
lk_status lk__media_init(void);

/* Decode path into upright RGB: EXIF orientation applied, grey expanded,
 * alpha flattened on white, 16-bit and CMYK converted, GIF's first frame.
 * The header is read first: images over max_pixels (w*h) are refused with
 * LK_ERR_TOO_LARGE before any pixel is decoded.  Errors name the file:
 * LK_ERR_IO (unreadable), LK_ERR_FORMAT (unknown, corrupt, truncated),
 * LK_ERR_TOO_LARGE, LK_ERR_NOMEM.  out is zeroed on failure.
 * max_pixels <= 0: no limit of our own.  Only regular files are read;
 * other formats libvips knows (PDF, SVG, ImageMagick's) are refused with
 * LK_ERR_FORMAT.  Thread-safe; initialises libvips on first use.  Release
 * with lk__image_release(). */
lk_status lk__image_load(const char *path, int64_t max_pixels, lk__image *out);

/* As lk__image_load() on n bytes in memory (kept unchanged during the
 * call); name stands for them in messages.  budget (NULL: none): what the
 * picture will hold (LK__IMAGE_BYTES_PER_PIXEL a pixel) is taken from it
 * after the header is read and before any pixel is decoded, waiting for
 * other holders, or LK_ERR_TOO_LARGE when it exceeds the whole cap. */
lk_status lk__image_load_memory(const char *name, const void *data, size_t n,
                                int64_t max_pixels, lk__budget *budget,
                                lk__image *out);

/* The region (x, y, rw, rh) of an RGB picture (clamped to it), scaled to
 * at most max_side pixels on its longer side, as a JPEG (quality 85, no
 * metadata) in *out (malloc'd), *n bytes.
 * LK_ERR_MISUSE (an empty region), LK_ERR_BACKEND. */
lk_status lk__jpeg_region(const uint8_t *rgb, int w, int h, int stride,
                          double x, double y, double rw, double rh,
                          int max_side, uint8_t **out, size_t *n);

/* Free img->data and zero *img; NULL or an already released image is fine. */
void lk__image_release(lk__image *img);

/* As lk__image_load(), reduced by shrink (1, 2, 4 or 8) in each direction,
 * sizes rounded down (a smaller shrink is used for an image narrower or
 * shorter than shrink).  JPEG uses libjpeg's DCT scaling (shrink on load: much
 * less work); other formats are decoded in full and box-filtered.
 * max_pixels applies to the full stored size.  For previews and quick
 * passes only: small faces need full resolution.  LK_ERR_MISUSE for any
 * other shrink. */
lk_status lk__image_load_shrink(const char *path, int64_t max_pixels,
                                int shrink, lk__image *out);

/* 1 when the n bytes at head (a file's first 16 or more) start a photo
 * format read here (JPEG, PNG, GIF, WebP, TIFF, HEIF/AVIF), by their magic
 * bytes; 0 otherwise (video, audio, anything else). */
int lk__image_sniff(const uint8_t *head, size_t n);

/* 1 when this libvips can read format ("JPEG", "PNG", "WebP", "TIFF",
 * "GIF", "HEIF"; case-insensitive), else 0. */
int lk__image_format_supported(const char *format);

#endif
