/*
 * source.c — a media file mapped once, or a caller's buffer (source.h).
 */
#include "media/source.h"
#include "media/image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

/* Pages a sequential reader has left behind are dropped in steps of this
 * much, keeping the last KEEP_BYTES (a demuxer seeks back a little). */
#define DROP_STEP ((size_t)16 << 20)
#define KEEP_BYTES ((size_t)4 << 20)

struct lk__source {
    char *name;
    const uint8_t *data;
    size_t n;
    int mapped;              /* 1: data is our mapping of the file */
    int is_image;
    size_t dropped;          /* pages before this offset were dropped */
    char sha[65];            /* "" until computed */
};

static lk_status finish_open(lk__source *src, lk__source **out)
{
    src->is_image = lk__image_sniff(src->data, src->n);
    *out = src;
    return LK_OK;
}

lk_status lk__source_open_file(const char *path, lk__source **out)
{
    if (out)
        *out = NULL;
    if (!path || !out)
        return lk__error(LK_ERR_MISUSE, "source: NULL argument");
    int fd;
    size_t n;
    lk_status s = lk__open_regular(path, &fd, &n);
    if (s != LK_OK)
        return s;
    if (n == 0) {
        close(fd);
        return lk__error(LK_ERR_FORMAT, "%s: file is empty", path);
    }
    void *map = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED)
        return lk__error(e == ENOMEM ? LK_ERR_NOMEM : LK_ERR_IO, "%s: %s",
                         path, strerror(e));
    lk__source *src = lk__calloc(1, sizeof *src);
    if (!src || !(src->name = lk__strdup(path))) {
        free(src);
        munmap(map, n);
        return LK_ERR_NOMEM;
    }
    src->data = map;
    src->n = n;
    src->mapped = 1;
    return finish_open(src, out);
}

lk_status lk__source_open_memory(const char *name, const void *data, size_t n,
                                 lk__source **out)
{
    if (out)
        *out = NULL;
    if (!name || !data || !out)
        return lk__error(LK_ERR_MISUSE, "source: NULL argument");
    if (n == 0)
        return lk__error(LK_ERR_FORMAT, "%s: no bytes (size 0)", name);
    lk__source *src = lk__calloc(1, sizeof *src);
    if (!src || !(src->name = lk__strdup(name))) {
        free(src);
        return LK_ERR_NOMEM;
    }
    src->data = data;
    src->n = n;
    return finish_open(src, out);
}

void lk__source_close(lk__source *src)
{
    if (!src)
        return;
    if (src->mapped)
        munmap((void *)src->data, src->n);
    free(src->name);
    free(src);
}

const char *lk__source_name(const lk__source *src) { return src->name; }
const uint8_t *lk__source_data(const lk__source *src) { return src->data; }
size_t lk__source_size(const lk__source *src) { return src->n; }
int lk__source_is_image(const lk__source *src) { return src->is_image; }

void lk__source_consumed(lk__source *src, size_t off)
{
    if (!src->mapped || off <= KEEP_BYTES)
        return;
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t end = (off - KEEP_BYTES) / page * page;
    if (end > src->n)
        end = src->n / page * page;
    if (end < src->dropped + DROP_STEP && end < src->n / page * page)
        return;
    if (end > src->dropped)
        (void)madvise((void *)(src->data + src->dropped), end - src->dropped,
                      MADV_DONTNEED);
    src->dropped = end;
}

const char *lk__source_sha256(lk__source *src)
{
    if (src->sha[0])
        return src->sha;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
        /* In steps, letting go of what was hashed: a long video's pages
         * need not stay resident for the hash's sake. */
        for (size_t off = 0; off < src->n; off += DROP_STEP) {
            size_t k = src->n - off < DROP_STEP ? src->n - off : DROP_STEP;
            EVP_DigestUpdate(ctx, src->data + off, k);
            lk__source_consumed(src, off + k);
        }
        EVP_DigestFinal_ex(ctx, md, &len);
    }
    EVP_MD_CTX_free(ctx);
    if (len == 0) {
        /* OpenSSL out of memory: the one-shot form needs no context. */
        lk__sha256_hex(src->data, src->n, src->sha);
        return src->sha;
    }
    lk__hex(md, len < 32 ? len : 32, src->sha);
    return src->sha;
}

lk_status lk_file_sha256(const char *path, char out[65])
{
    if (!path || !out)
        return lk__error(LK_ERR_MISUSE, "lk_file_sha256: NULL argument");
    out[0] = '\0';
    lk__source *src;
    lk_status s = lk__source_open_file(path, &src);
    if (s != LK_OK)
        return s;
    memcpy(out, lk__source_sha256(src), 65);
    lk__source_close(src);
    return LK_OK;
}
