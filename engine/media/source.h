/*
 * source.h — one media file, or one buffer, opened once.
 *
 * Everything that reads a file's bytes — sniffing, the image decoder, the
 * demuxer, provenance, the content hash — reads them from its source: a
 * read-only mapping of the file, or the caller's memory.  So a scan opens
 * the file once (one open(2) of its path) and the kernel reads each byte
 * from disk once, however many stages look at it.
 *
 * A mapped file's pages are dropped from the process once a sequential
 * reader (the demuxer) is well past them (lk__source_consumed()), so that
 * scanning a long video does not make its whole file resident.
 *
 * Threads: a source is read-only after open and may be read from any
 * thread; lk__source_sha256() caches and must not race with itself.
 */
#ifndef LK_SOURCE_H
#define LK_SOURCE_H

#include "core/core.h"

typedef struct lk__source lk__source;

/* Open path: a regular file (a FIFO, device or directory is refused without
 * blocking), mapped read-only.  Errors name the file: LK_ERR_IO (missing,
 * unreadable, not a regular file), LK_ERR_FORMAT (empty), LK_ERR_NOMEM.
 * *out is NULL on failure. */
lk_status lk__source_open_file(const char *path, lk__source **out);

/* n bytes at data, which the caller keeps unchanged until the source is
 * closed; name stands for it in messages and results ("upload.mp4").
 * LK_ERR_MISUSE (NULL data or name), LK_ERR_FORMAT (n == 0),
 * LK_ERR_NOMEM. */
lk_status lk__source_open_memory(const char *name, const void *data, size_t n,
                                 lk__source **out);

/* Freeing NULL does nothing. */
void lk__source_close(lk__source *src);

/* The path or name given at open. */
const char *lk__source_name(const lk__source *src);
const uint8_t *lk__source_data(const lk__source *src);
size_t lk__source_size(const lk__source *src);

/* 1 when the bytes start as a photo format read by libvips (JPEG, PNG,
 * GIF, WebP, TIFF, HEIF/AVIF: lk__image_sniff()), sniffed once at open;
 * 0 for anything else (video, audio, junk: the demuxer says what). */
int lk__source_is_image(const lk__source *src);

/* Lower-case hex SHA-256 of the bytes, computed on the first call. */
const char *lk__source_sha256(lk__source *src);

/* A sequential reader is done with the bytes before off: a mapped file
 * may drop those pages from the process (they stay in the page cache, and
 * are read back in if touched again).  A memory source ignores it. */
void lk__source_consumed(lk__source *src, size_t off);

#endif
