/*
 * index.c — the gallery's vector index: an exact inner-product index with
 * 64-bit ids (FAISS IndexIDMap2 over IndexFlatIP, through the FAISS C API
 * only), and the file it is kept in beside gallery.db.
 *
 * The file is a fixed header followed by FAISS's own serialisation:
 *
 *   offset size
 *        0    8  magic "LKINDEX\0"
 *        8    4  format version (1)
 *       12    4  dim
 *       16    8  generation of the database the index was built from
 *       24    8  vectors
 *       32    8  payload bytes (FAISS's serialisation, after the header)
 *       40   32  HMAC-SHA256, keyed with the tag, of bytes 0..39, bytes
 *                72..103 and the payload
 *       72   32  sha256 of the tag (which gallery and model it belongs to)
 *
 * all integers little-endian.  The tag holds the gallery's secret index
 * key (meta.index_key, in gallery.db alone), so the MAC says the file was
 * written by this gallery's library: one edited and re-checksummed (ids
 * swapped so that every face is one performer, a size crafted to make
 * FAISS allocate gigabytes) is refused, and FAISS parses nothing that
 * this code did not write.  The MAC is verified before FAISS reads a
 * byte: FAISS trusts the sizes it reads.  A plain checksum would not do:
 * anyone who can write the file can recompute it; a digest of the ids and
 * vectors kept in the database would, but costs a database write at every
 * save, which now happens under a read-only transaction.  Files are written to a temporary
 * name in the same directory and renamed into place, so a reader sees the
 * old file or the new one, never half of one.
 */
#include "gallery/gallery.h"
#include "core/bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/MetaIndexes_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/impl/AuxIndexStructures_c.h>
#include <faiss/c_api/index_io_c.h>
#include <faiss/c_api/utils/distances_c.h>

#include <omp.h>
#include <pthread.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#define HDR_BYTES 104
/* 2: the MAC (1 had a plain sha256 of the payload). */
#define FORMAT_VERSION 2
static const char MAGIC[8] = { 'L', 'K', 'I', 'N', 'D', 'E', 'X', '\0' };

struct lk__index {
    FaissIndexIDMap2 *map;     /* owns its IndexFlatIP */
    int dim;
};

static const char *faiss_msg(void)
{
    const char *m = faiss_get_last_error();
    return m && *m ? m : "unknown error";
}

static lk_status faiss_fail(const char *what)
{
    return lk__error(LK_ERR_BACKEND, "faiss %s: %s", what, faiss_msg());
}

lk_status lk__index_new(int dim, lk__index **out)
{
    *out = NULL;
    if (dim <= 0)
        return lk__error(LK_ERR_MISUSE, "index dimension %d", dim);
    lk__index *ix = lk__calloc(1, sizeof *ix);
    if (!ix)
        return LK_ERR_NOMEM;
    FaissIndexFlatIP *flat = NULL;
    if (faiss_IndexFlatIP_new_with(&flat, dim) != 0) {
        free(ix);
        return faiss_fail("IndexFlatIP");
    }
    if (faiss_IndexIDMap2_new(&ix->map, flat) != 0) {
        faiss_Index_free(flat);
        free(ix);
        return faiss_fail("IndexIDMap2");
    }
    faiss_IndexIDMap2_set_own_fields(ix->map, 1);
    ix->dim = dim;
    *out = ix;
    return LK_OK;
}

void lk__index_free(lk__index *ix)
{
    if (!ix)
        return;
    faiss_Index_free(ix->map);
    free(ix);
}

int64_t lk__index_count(const lk__index *ix)
{
    return ix ? faiss_Index_ntotal(ix->map) : 0;
}

lk_status lk__index_add(lk__index *ix, int64_t n, const float *x,
                        const int64_t *ids)
{
    if (n <= 0)
        return LK_OK;
    if (faiss_Index_add_with_ids(ix->map, n, x, ids) != 0)
        return faiss_fail("add");
    return LK_OK;
}

lk_status lk__index_remove(lk__index *ix, const int64_t *ids, size_t n)
{
    if (n == 0)
        return LK_OK;
    FaissIDSelectorBatch *sel = NULL;
    if (faiss_IDSelectorBatch_new(&sel, n, ids) != 0)
        return faiss_fail("IDSelectorBatch");
    size_t removed = 0;
    int rc = faiss_Index_remove_ids(ix->map, (FaissIDSelector *)sel, &removed);
    faiss_IDSelector_free((FaissIDSelector *)sel);
    if (rc != 0)
        return faiss_fail("remove_ids");
    return LK_OK;
}

/* OpenBLAS's own entry point (cblas.h of libopenblas); declared here so
 * that the include path of one OpenBLAS flavour is not needed. */
extern void openblas_set_num_threads(int n);

/* Below 20 queries Debian's FAISS scores vectors one by one in plain C
 * (fvec_inner_product_ref: no SIMD in that build); through BLAS the same
 * search runs at memory speed — measured 42 -> 18 ms a query at 100k x 512
 * on one core.  One BLAS thread: scans parallelise across files, and
 * OpenBLAS threads spinning against FAISS's OpenMP threads on two cores
 * made a two-query search 4x slower than one thread. */
static pthread_once_t search_once = PTHREAD_ONCE_INIT;

static void search_init(void)
{
    faiss_set_distance_compute_blas_threshold(1);
    openblas_set_num_threads(1);
}

lk_status lk__index_search(const lk__index *ix, int64_t nq, const float *q,
                           int k, float *D, int64_t *I)
{
    if (k <= 0 || nq <= 0)
        return lk__error(LK_ERR_MISUSE, "index search with k=%d nq=%lld", k,
                         (long long)nq);
    pthread_once(&search_once, search_init);
    /* One OpenMP thread for this caller's search (the setting is the
     * calling thread's own): FAISS's threads would only spin here. */
    int prev = omp_get_max_threads();
    omp_set_num_threads(1);
    int rc = faiss_Index_search(ix->map, nq, q, k, D, I);
    omp_set_num_threads(prev);
    if (rc != 0)
        return faiss_fail("search");
    return LK_OK;
}

void lk__index_ids(const lk__index *ix, const int64_t **ids, size_t *n)
{
    idx_t *p = NULL;
    size_t m = 0;
    faiss_IndexIDMap2_id_map(ix->map, &p, &m);
    *ids = p;
    *n = m;
}

/* ---- the file --------------------------------------------------------- */

static void tag_hash(const char *tag, uint8_t md[32])
{
    unsigned len = 0;
    const char *t = tag ? tag : "";
    EVP_Digest(t, strlen(t), md, &len, EVP_sha256(), NULL);
}

/* The header's MAC (see the top): HMAC-SHA256 keyed with tag ("" when
 * NULL) of hdr's bytes 0..39 and 72..103, then n bytes of f from its
 * current position.  -1 on a short read or a failure of OpenSSL. */
static int mac_stream(FILE *f, uint64_t n, const char *tag,
                      const uint8_t hdr[HDR_BYTES], uint8_t md[32])
{
    const char *key = tag ? tag : "";
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    size_t cap = 1 << 20;
    uint8_t *buf = ctx ? malloc(cap) : NULL;
    int rc = buf && EVP_MAC_init(ctx, (const unsigned char *)key,
                                 strlen(key), params) == 1 &&
             EVP_MAC_update(ctx, hdr, 40) == 1 &&
             EVP_MAC_update(ctx, hdr + 72, 32) == 1 ? 0 : -1;
    while (rc == 0 && n > 0) {
        size_t want = n < cap ? (size_t)n : cap;
        size_t got = fread(buf, 1, want, f);
        if (got != want || EVP_MAC_update(ctx, buf, got) != 1)
            rc = -1;
        n -= got;
    }
    size_t len = 0;
    if (rc == 0 && (EVP_MAC_final(ctx, md, &len, 32) != 1 || len != 32))
        rc = -1;
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    free(buf);
    return rc;
}

static void fsync_parent(const char *path)
{
    char *dir = lk__strdup(path);
    if (!dir)
        return;
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

lk_status lk__index_write_file(const lk__index *ix, const char *path,
                               int64_t generation, const char *tag)
{
    static atomic_uint counter;
    size_t n = strlen(path) + 64;
    char *tmp = lk__malloc(n);
    if (!tmp)
        return LK_ERR_NOMEM;
    snprintf(tmp, n, "%s" LK__INDEX_TMP_INFIX "%ld.%u", path, (long)getpid(),
             atomic_fetch_add(&counter, 1));

    lk_status st = LK_OK;
    /* Private, as every gallery file: the vectors are biometric. */
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w+b") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        st = lk__error(LK_ERR_IO, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return st;
    }
    uint8_t hdr[HDR_BYTES];
    memset(hdr, 0, sizeof hdr);
    if (fwrite(hdr, 1, sizeof hdr, f) != sizeof hdr) {
        st = lk__error(LK_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (faiss_write_index(ix->map, f) != 0) {
        st = lk__error(LK_ERR_IO, "%s: faiss write_index: %s", tmp,
                       faiss_msg());
        goto fail;
    }
    if (fflush(f) != 0) {
        st = lk__error(LK_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    off_t end = ftello(f);
    if (end < HDR_BYTES) {
        st = lk__error(LK_ERR_IO, "%s: cannot tell size", tmp);
        goto fail;
    }
    uint64_t payload = (uint64_t)end - HDR_BYTES;
    memcpy(hdr, MAGIC, 8);
    lk__put_le32(hdr + 8, FORMAT_VERSION);
    lk__put_le32(hdr + 12, (uint32_t)ix->dim);
    lk__put_le64(hdr + 16, (uint64_t)generation);
    lk__put_le64(hdr + 24, (uint64_t)lk__index_count(ix));
    lk__put_le64(hdr + 32, payload);
    tag_hash(tag, hdr + 72);
    /* MAC what reached the file, read back, rather than trusting what we
     * meant to write. */
    if (fseeko(f, HDR_BYTES, SEEK_SET) != 0 ||
        mac_stream(f, payload, tag, hdr, hdr + 40)) {
        st = lk__error(LK_ERR_IO, "%s: cannot read back", tmp);
        goto fail;
    }
    if (fseeko(f, 0, SEEK_SET) != 0 ||
        fwrite(hdr, 1, sizeof hdr, f) != sizeof hdr || fflush(f) != 0 ||
        fsync(fileno(f)) != 0) {
        st = lk__error(LK_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (fclose(f) != 0) {
        f = NULL;
        st = lk__error(LK_ERR_IO, "%s: %s", tmp, strerror(errno));
        goto fail;
    }
    f = NULL;
    if (rename(tmp, path) != 0) {
        st = lk__error(LK_ERR_IO, "%s: %s", path, strerror(errno));
        goto fail;
    }
    fsync_parent(path);
    free(tmp);
    return LK_OK;

fail:
    if (f)
        fclose(f);
    unlink(tmp);
    free(tmp);
    return st;
}

lk_status lk__index_read_file(const char *path, int dim, const char *tag,
                              int64_t want_generation, int64_t *generation,
                              lk__index **out)
{
    *out = NULL;
    if (generation)
        *generation = -1;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return lk__error(LK_ERR_NOT_FOUND, "%s: no index file", path);
        return lk__error(LK_ERR_IO, "%s: %s", path, strerror(errno));
    }
    lk_status st = LK_OK;
    FaissIndex *idx = NULL;
    uint8_t hdr[HDR_BYTES], md[32];
    struct stat sb;
    if (fread(hdr, 1, sizeof hdr, f) != sizeof hdr ||
        memcmp(hdr, MAGIC, 8) != 0) {
        st = lk__error(LK_ERR_FORMAT, "%s: not an index file", path);
        goto done;
    }
    if (lk__le32(hdr + 8) != FORMAT_VERSION) {
        st = lk__error(LK_ERR_FORMAT, "%s: index format %u, expected %d",
                       path, lk__le32(hdr + 8), FORMAT_VERSION);
        goto done;
    }
    if ((int)lk__le32(hdr + 12) != dim) {
        st = lk__error(LK_ERR_FORMAT, "%s: index of dimension %u, expected %d",
                       path, lk__le32(hdr + 12), dim);
        goto done;
    }
    if (tag) {
        tag_hash(tag, md);
        if (memcmp(md, hdr + 72, 32) != 0) {
            st = lk__error(LK_ERR_FORMAT, "%s: index of another gallery or "
                           "model", path);
            goto done;
        }
    }
    /* Only of this gallery's files (the tag holds its secret key). */
    int64_t gen = (int64_t)(lk__le64(hdr + 16) & (uint64_t)INT64_MAX);
    if (generation)
        *generation = gen;
    if (want_generation >= 0 && gen != want_generation) {
        st = lk__error(LK_ERR_FORMAT,
                       "%s: index of generation %lld, database is at %lld",
                       path, (long long)gen, (long long)want_generation);
        goto done;
    }
    uint64_t count = lk__le64(hdr + 24), payload = lk__le64(hdr + 32);
    if (fstat(fileno(f), &sb) != 0 || sb.st_size < HDR_BYTES ||
        (uint64_t)sb.st_size - HDR_BYTES != payload ||
        count > payload / ((uint64_t)dim * sizeof(float) + sizeof(int64_t))) {
        st = lk__error(LK_ERR_FORMAT, "%s: truncated or padded index file",
                       path);
        goto done;
    }
    if (mac_stream(f, payload, tag, hdr, md) != 0 ||
        CRYPTO_memcmp(md, hdr + 40, 32) != 0) {
        st = lk__error(LK_ERR_FORMAT, "%s: index MAC mismatch (damaged, or "
                       "altered by something other than this gallery's "
                       "library)", path);
        goto done;
    }
    if (fseeko(f, HDR_BYTES, SEEK_SET) != 0) {
        st = lk__error(LK_ERR_IO, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (faiss_read_index(f, 0, &idx) != 0) {
        st = lk__error(LK_ERR_FORMAT, "%s: faiss read_index: %s", path,
                       faiss_msg());
        goto done;
    }
    FaissIndexIDMap2 *map = faiss_IndexIDMap2_cast(idx);
    FaissIndex *sub = map ? faiss_IndexIDMap2_sub_index(map) : NULL;
    if (!map || !sub || !faiss_IndexFlat_cast(sub) ||
        faiss_Index_metric_type(sub) != METRIC_INNER_PRODUCT ||
        faiss_Index_d(idx) != dim ||
        (uint64_t)faiss_Index_ntotal(idx) != count) {
        st = lk__error(LK_ERR_FORMAT, "%s: not a flat inner-product index of "
                       "%llu vectors", path, (unsigned long long)count);
        goto done;
    }
    lk__index *ix = lk__calloc(1, sizeof *ix);
    if (!ix) {
        st = LK_ERR_NOMEM;
        goto done;
    }
    faiss_IndexIDMap2_set_own_fields(map, 1);
    ix->map = map;
    ix->dim = dim;
    idx = NULL;
    *out = ix;

done:
    if (idx)
        faiss_Index_free(idx);
    fclose(f);
    return st;
}
