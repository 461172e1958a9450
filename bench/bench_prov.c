/*
 * bench_prov.c — the cost of reading a file's provenance
 * (lk_provenance_read: container walk, C2PA manifests, COSE verification,
 * the hard-binding hash over the file, XMP/EXIF) beside the floor any
 * validator pays: reading the file and hashing every byte with SHA-256
 * once (OpenSSL, 1 MiB reads).  Floor and read alternate, `reps` times
 * each, after one warm-up of each (the page cache then holds the file for
 * both: this measures CPU, not the disk).
 *
 *   bench_prov [--reps N] FILE...
 *
 * One JSON line per file: bytes, manifest found, verdict, and for floor
 * and read the median/min/max seconds; the checksum is the verdict and
 * the number of problems, so a faster reader that reads less shows.
 */
#include "likeness.h"
#include "bench_common.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

static double floor_once(const char *path, size_t *bytes)
{
    static unsigned char buf[1 << 20];
    double t0 = bench_now();
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    ssize_t r;
    size_t n = 0;
    while ((r = read(fd, buf, sizeof buf)) > 0) {
        EVP_DigestUpdate(ctx, buf, (size_t)r);
        n += (size_t)r;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdn;
    EVP_DigestFinal_ex(ctx, md, &mdn);
    EVP_MD_CTX_free(ctx);
    close(fd);
    *bytes = n;
    return bench_now() - t0;
}

static double read_once(const char *path, lk_provenance **keep)
{
    lk_provenance *p = NULL;
    double t0 = bench_now();
    lk_status s = lk_provenance_read(path, &p);
    double t = bench_now() - t0;
    if (s != LK_OK) {
        fprintf(stderr, "bench_prov: %s\n", lk_last_error());
        return -1;
    }
    if (keep && !*keep)
        *keep = p;
    else
        lk_provenance_free(p);
    return t;
}

int main(int argc, char **argv)
{
    int reps = 20, first = 1;
    if (argc > 2 && !strcmp(argv[1], "--reps")) {
        reps = atoi(argv[2]);
        first = 3;
    }
    if (first >= argc || reps < 1) {
        fprintf(stderr, "usage: bench_prov [--reps N] FILE...\n");
        return 2;
    }
    double *fl = malloc(sizeof *fl * (size_t)reps);
    double *rd = malloc(sizeof *rd * (size_t)reps);
    if (!fl || !rd)
        return 2;
    for (int a = first; a < argc; a++) {
        size_t bytes = 0;
        lk_provenance *p = NULL;
        if (floor_once(argv[a], &bytes) < 0 || read_once(argv[a], &p) < 0)
            return 2;
        for (int i = 0; i < reps; i++) {
            fl[i] = floor_once(argv[a], &bytes);
            rd[i] = read_once(argv[a], NULL);
        }
        const char *name = strrchr(argv[a], '/');
        printf("{\"bench\":\"provenance\",\"file\":\"%s\",\"bytes\":%zu,"
               "\"c2pa\":%d,\"verdict\":\"%s\",\"checksum\":\"%s/%d\","
               "\"floor\":", name ? name + 1 : argv[a], bytes, p->c2pa,
               lk_verdict_name(p->verdict), lk_verdict_name(p->verdict),
               p->n_problems);
        bench_json_stat(stdout, fl, reps);
        printf(",\"read\":");
        bench_json_stat(stdout, rd, reps);
        printf("}\n");
        bench_stat f = bench_stats(fl, reps), r = bench_stats(rd, reps);
        fprintf(stderr, "%-40s %9.2f MB %-17s floor %8.3f ms  read %8.3f ms "
                "(%.2fx)\n", name ? name + 1 : argv[a], (double)bytes / 1e6,
                lk_verdict_name(p->verdict), f.median * 1e3, r.median * 1e3,
                r.median / f.median);
        lk_provenance_free(p);
    }
    free(fl);
    free(rd);
    return 0;
}
