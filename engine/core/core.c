/*
 * core.c — the version, the thread-local last error, the log callback,
 * checked allocation and file hashing.
 */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

static _Thread_local char last_error[LK__MSG_MAX];

static lk_log_fn log_fn;
static void *log_user;
static _Atomic int log_max = LK_LOG_ERROR;

const char *lk_version(void) { return LK_VERSION_STRING; }

int lk_version_number(void) { return LK_VERSION_NUMBER; }

const char *lk_last_error(void) { return last_error; }

void lk__error_clear(void) { last_error[0] = '\0'; }

/* The marker a message cut to fit ends with. */
static const char cut_marker[] = " [...]";

void lk__msg_fit(char *buf, size_t cap, int n)
{
    if (n < 0 || (size_t)n < cap || cap < sizeof cut_marker)
        return;
    /* Back to the start of a UTF-8 sequence, so that the cut never leaves
     * half a character before the marker. */
    size_t end = cap - sizeof cut_marker;
    while (end > 0 && ((unsigned char)buf[end] & 0xc0) == 0x80)
        end--;
    memcpy(buf + end, cut_marker, sizeof cut_marker);
}

lk_status lk__error(lk_status s, const char *fmt, ...)
{
    /* Formatted aside first: callers may pass lk_last_error() itself as an
     * argument, to add context to a lower layer's message. */
    char buf[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    lk__msg_fit(buf, sizeof buf, n);
    memcpy(last_error, buf, sizeof buf);
    lk__log(LK_LOG_DEBUG, "%s (%s)", last_error, lk_status_str(s));
    return s;
}

void lk_log_set(lk_log_fn fn, lk_log_level max_level, void *user)
{
    log_fn = fn;
    log_user = user;
    atomic_store(&log_max, (int)max_level);
}

void lk__log(lk_log_level level, const char *fmt, ...)
{
    if (!log_fn || (int)level > atomic_load(&log_max))
        return;
    char buf[LK__MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    lk__msg_fit(buf, sizeof buf, n);
    log_fn(level, buf, log_user);
}

void lk_free(void *p) { free(p); }

void *lk__malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        lk__error(LK_ERR_NOMEM, "out of memory allocating %zu bytes", n);
    return p;
}

void *lk__calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        lk__error(LK_ERR_NOMEM, "out of memory allocating %zu x %zu bytes",
                  n, size);
    return p;
}

void *lk__realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        lk__error(LK_ERR_NOMEM, "out of memory allocating %zu bytes", n);
    return q;
}

char *lk__path_join(const char *dir, const char *name)
{
    if (name[0] == '/')
        return lk__strdup(name);
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = lk__malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

char *lk__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = lk__malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void lk__hex(const unsigned char *md, unsigned n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * n] = '\0';
}

void lk__sha256_hex(const void *data, size_t n, char hex[65])
{
    const lk__span one = { data, n };
    lk__sha256_hex_spans(&one, 1, hex);
}

void lk__sha256_hex_spans(const lk__span *spans, int n, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (int i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(ctx, spans[i].data, spans[i].n);
    ok = ok && EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    /* Only out of memory fails; no digest then matches any stored one. */
    if (!ok)
        len = 0;
    lk__hex(md, len, hex);
}

lk_status lk__random_bytes(void *buf, size_t n)
{
    if (n > INT_MAX || RAND_bytes(buf, (int)n) != 1)
        return lk__error(LK_ERR_BACKEND, "no random bytes from OpenSSL "
                         "(RAND_bytes, %zu bytes)", n);
    return LK_OK;
}

lk_status lk__read_file(const char *path, size_t max_bytes, uint8_t **out,
                        size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    int fd;
    lk_status s = lk__open_regular(path, &fd, NULL);
    if (s != LK_OK)
        return s;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        return lk__error(LK_ERR_IO, "%s: %s", path, strerror(e));
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = lk__malloc(cap);
    if (!buf) {
        fclose(f);
        return LK_ERR_NOMEM;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max_bytes) {
                free(buf);
                fclose(f);
                return lk__error(LK_ERR_TOO_LARGE, "%s: larger than %zu bytes",
                                 path, max_bytes);
            }
            size_t ncap = cap * 2 > max_bytes ? max_bytes + 1 : cap * 2;
            uint8_t *nb = lk__realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return LK_ERR_NOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return lk__error(LK_ERR_IO, "%s: read error", path);
    }
    if (n > max_bytes) {
        free(buf);
        return lk__error(LK_ERR_TOO_LARGE, "%s: larger than %zu bytes", path,
                         max_bytes);
    }
    *out = buf;
    *n_out = n;
    return LK_OK;
}

lk_status lk__open_regular(const char *path, int *fd_out, size_t *size_out)
{
    *fd_out = -1;
    /* O_NONBLOCK: a FIFO must not block the open; it is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return lk__error(LK_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return lk__error(LK_ERR_IO, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return lk__error(LK_ERR_IO, "%s: %s", path,
                         S_ISDIR(st.st_mode) ? "is a directory"
                                             : "not a regular file");
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags != -1)
        (void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    *fd_out = fd;
    if (size_out)
        *size_out = (size_t)st.st_size;
    return LK_OK;
}

/* ---- dates: ISO 8601 days and UTC times ------------------------------------ */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's days_from_civil: days since 1970-01-01. */
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int lk__parse_date(const char *s, int64_t *t)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
                                  30, 31};
    if (!s)
        return -1;
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
    size_t len = strlen(s);
    if (len == 10) {
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
            return -1;
    } else if (len == 20) {
        if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se,
                   &n) != 6 || n != 20)
            return -1;
    } else {
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if (!strchr("0123456789-T:Z", s[i]))
            return -1;
    if (y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1] + (mo == 2 && is_leap(y)) || h > 23 || mi > 59 ||
        se > 59)
        return -1;
    *t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
         mi * 60 + se;
    return 0;
}

void lk__format_day(int64_t t, char buf[11])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, 11, "%Y-%m-%d", &tm);
}

void lk__format_time(int64_t t, char buf[21])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
