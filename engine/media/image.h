/*
 * image.h — still-image decoding with libvips into upright 8-bit RGB.
 */
#ifndef LK_IMAGE_H
#define LK_IMAGE_H

#include "core/core.h"

typedef struct lk__image {
    uint8_t *data;         /* interleaved RGB, owned; rows of stride bytes */
    int w, h, stride;
} lk__image;

/* Initialise libvips once per process (thread-safe, idempotent). */
lk_status lk__media_init(void);

/* Decode path into upright RGB: EXIF orientation applied, grey expanded,
 * alpha flattened on white, 16-bit and CMYK converted, GIF's first frame.
 * The header is read first: images over max_pixels (w*h) are refused with
 * LK_ERR_TOO_LARGE before any pixel is decoded.  Errors name the file:
 * LK_ERR_IO (unreadable), LK_ERR_FORMAT (unknown, corrupt, truncated),
 * LK_ERR_TOO_LARGE, LK_ERR_NOMEM.  out is zeroed on failure. */
lk_status lk__image_load(const char *path, int64_t max_pixels, lk__image *out);

void lk__image_release(lk__image *img);

#endif
