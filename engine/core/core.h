/*
 * core.h — shared-but-private helpers of the engine: error recording,
 * logging, checked allocation, hashing.  Every engine file includes it.
 */
#ifndef LK_CORE_H
#define LK_CORE_H

#include "likeness.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define LK__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LK__PRINTF(a, b)
#endif

/* The longest message lk_last_error(), the log callback and a scan's
 * warnings hold, with its NUL: two paths of PATH_MAX and the cause fit. */
#define LK__MSG_MAX 10240

/* buf (cap bytes) holds what vsnprintf() returned n for: when n says the
 * text was cut, end it at a UTF-8 character boundary with " [...]", so
 * that a cut message says so and stays valid UTF-8. */
void lk__msg_fit(char *buf, size_t cap, int n);

/* Record a failure for lk_last_error() and return s, so that a caller can
 * write `return lk__error(LK_ERR_IO, "%s: %s", path, strerror(errno));`.
 * lk_last_error() may be among the arguments (to add context). */
lk_status lk__error(lk_status s, const char *fmt, ...) LK__PRINTF(2, 3);
void lk__error_clear(void);

void lk__log(lk_log_level level, const char *fmt, ...) LK__PRINTF(2, 3);

/* malloc/calloc/realloc that record LK_ERR_NOMEM in lk_last_error(). */
void *lk__malloc(size_t n);
void *lk__calloc(size_t n, size_t size);
void *lk__realloc(void *p, size_t n);
char *lk__strdup(const char *s);
/* dir/name, or name alone when it is absolute; malloc'd, NULL (recorded)
 * when out of memory. */
char *lk__path_join(const char *dir, const char *name);

/* n bytes as lower-case hex into hex (2n + 1 bytes with the NUL). */
void lk__hex(const unsigned char *b, unsigned n, char *hex);
/* Lower-case hex sha256 of n bytes (65 bytes with the NUL). */
void lk__sha256_hex(const void *data, size_t n, char hex[65]);
/* The same of n spans hashed one after the other, as if concatenated. */
typedef struct lk__span {
    const void *data;
    size_t n;
} lk__span;
void lk__sha256_hex_spans(const lk__span *spans, int n, char hex[65]);
/* n bytes from the operating system's random source (OpenSSL's
 * RAND_bytes): LK_OK, or LK_ERR_BACKEND recorded. */
lk_status lk__random_bytes(void *buf, size_t n);

/* Open path for reading, refusing what is not a regular file (a
 * directory, a FIFO, a device: a FIFO does not block the open).  *fd_out
 * (-1 on failure) and *size_out (may be NULL) on LK_OK; LK_ERR_IO naming
 * the file otherwise. */
lk_status lk__open_regular(const char *path, int *fd_out, size_t *size_out);

/* Read a whole file, refusing files over max_bytes and what is not a
 * regular file (as lk__open_regular(): a FIFO does not block).  *out is
 * malloc'd. */
lk_status lk__read_file(const char *path, size_t max_bytes, uint8_t **out,
                        size_t *n_out);

/* Unix seconds of a "YYYY-MM-DD" day's start (UTC), or of a
 * "YYYY-MM-DDTHH:MM:SSZ" time: 0 and *t set, -1 when malformed. */
int lk__parse_date(const char *s, int64_t *t);
/* "YYYY-MM-DD" of unix seconds t (UTC) into buf (11 bytes). */
void lk__format_day(int64_t t, char buf[11]);
/* "YYYY-MM-DDTHH:MM:SSZ" of t into buf (21 bytes). */
void lk__format_time(int64_t t, char buf[21]);

#endif
