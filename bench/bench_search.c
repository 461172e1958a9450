/*
 * bench_search.c — exact search throughput of lk__index (FAISS IndexIDMap2
 * over IndexFlatIP, through the FAISS C API) on synthetic galleries of unit
 * vectors: queries per second for one query per call and for 64 per call.
 *
 * The gallery (seed BENCH_SEED_GALLERY, ids 1..n) and the 64 queries (seed
 * BENCH_SEED_QUERIES) are generated exactly as bench_baseline.py generates
 * them, so FAISS's Python module searches the same data and the checksums
 * (sum of the k ids and of the k scores of every query) must agree.  One
 * warm-up repetition, then --reps; every repetition must give the same
 * checksum.  Each gallery is generated and added in chunks so that the
 * peak memory is the index itself (n * dim * 4 bytes: 2 GB at 1M).
 *
 *   bench_search [--sizes 100000,1000000] [--reps 5] [--dim 512]
 *                [--json OUT]
 *
 * FAISS's threads are OpenMP's: set OMP_NUM_THREADS (run.sh does).
 */
#include "likeness.h"

#include "gallery/gallery.h"

#include "bench_common.h"

#include <getopt.h>

enum { CHUNK = 65536, MAX_Q = 64 };

/* Calls of 1 query and of 64 per repetition; bench_baseline.py's
 * search_plan() must say the same. */
typedef struct plan {
    int batch, calls;
} plan;

static int make_plan(int64_t n, plan p[2])
{
    p[0].batch = 1;
    p[0].calls = n <= 200000 ? 16 : 4;
    p[1].batch = 64;
    p[1].calls = 1;
    return 2;
}

static void usage(FILE *f)
{
    fputs("usage: bench_search [--sizes N,N,...] [--reps N] [--dim N] "
          "[--json OUT]\n"
          "  --sizes     gallery sizes (default 100000,1000000)\n"
          "  --reps N    timed repetitions after one warm-up (default 5)\n"
          "  --json OUT  append one JSON line per size and batch to OUT\n",
          f);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"sizes", required_argument, 0, 's'},
        {"reps", required_argument, 0, 'r'},
        {"dim", required_argument, 0, 'd'},
        {"json", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *sizes = "100000,1000000", *json_path = NULL;
    int reps = 5, dim = 512, c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 's': sizes = optarg; break;
        case 'r': reps = atoi(optarg); break;
        case 'd': dim = atoi(optarg); break;
        case 'j': json_path = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (reps < 1 || dim < 1) {
        usage(stderr);
        return 2;
    }
    const char *omp = getenv("OMP_NUM_THREADS");
    printf("C lk__index search (FAISS C API, IndexIDMap2(IndexFlatIP(%d))), "
           "OMP_NUM_THREADS=%s, k=%d, %d repetitions\n", dim,
           omp ? omp : "(unset)", BENCH_SEARCH_K, reps);

    float *q = malloc((size_t)MAX_Q * (size_t)dim * sizeof *q);
    float *D = malloc((size_t)MAX_Q * BENCH_SEARCH_K * sizeof *D);
    int64_t *I = malloc((size_t)MAX_Q * BENCH_SEARCH_K * sizeof *I);
    float *buf = malloc((size_t)CHUNK * (size_t)dim * sizeof *buf);
    int64_t *ids = malloc((size_t)CHUNK * sizeof *ids);
    double *qps = malloc((size_t)reps * sizeof *qps);
    if (!q || !D || !I || !buf || !ids || !qps)
        return 2;
    bench_unit_vectors(BENCH_SEED_QUERIES, 0, MAX_Q, dim, q);
    FILE *jf = json_path ? fopen(json_path, "a") : NULL;
    if (json_path && !jf) {
        perror(json_path);
        return 2;
    }

    for (const char *p = sizes; *p;) {
        char *end;
        const int64_t n = strtoll(p, &end, 10);
        if (end == p || n < 1) {
            fprintf(stderr, "bench_search: bad --sizes '%s'\n", sizes);
            return 2;
        }
        p = *end == ',' ? end + 1 : end;

        lk__index *ix = NULL;
        lk_status s = lk__index_new(dim, &ix);
        double gen = 0, add = 0;
        for (int64_t at = 0; s == LK_OK && at < n; at += CHUNK) {
            const int64_t m = n - at < CHUNK ? n - at : CHUNK;
            const double t0 = bench_now();
            bench_unit_vectors(BENCH_SEED_GALLERY, at, m, dim, buf);
            for (int64_t i = 0; i < m; i++)
                ids[i] = at + i + 1;
            const double t1 = bench_now();
            s = lk__index_add(ix, m, buf, ids);
            add += bench_now() - t1;
            gen += t1 - t0;
        }
        if (s != LK_OK) {
            fprintf(stderr, "bench_search: index of %lld: %s\n", (long long)n,
                    lk_last_error());
            return 2;
        }
        printf("  gallery %lld: generated in %.1f s, added in %.2f s\n",
               (long long)n, gen, add);

        plan pl[2];
        const int n_plan = make_plan(n, pl);
        for (int k = 0; k < n_plan; k++) {
            long long id_ref = 0, id_sum = 0;
            double sc_ref = 0, sc_sum = 0;
            for (int rep = 0; rep <= reps; rep++) {
                id_sum = 0;
                sc_sum = 0;
                const double t0 = bench_now();
                for (int call = 0; call < pl[k].calls; call++) {
                    const int nq = pl[k].batch;
                    const float *qq = q + (size_t)(nq > 1 ? 0 : call) * dim;
                    s = lk__index_search(ix, nq, qq, BENCH_SEARCH_K, D, I);
                    if (s != LK_OK) {
                        fprintf(stderr, "bench_search: %s\n", lk_last_error());
                        return 2;
                    }
                    for (int j = 0; j < nq * BENCH_SEARCH_K; j++) {
                        id_sum += I[j];
                        sc_sum += D[j];
                    }
                }
                const double el = bench_now() - t0;
                sc_sum = round(sc_sum * 1e4) / 1e4;
                if (rep == 0) {
                    id_ref = id_sum;
                    sc_ref = sc_sum;
                    continue;
                }
                if (id_sum != id_ref || sc_sum != sc_ref) {
                    fprintf(stderr, "bench_search: checksum changed: id_sum "
                            "%lld != %lld or score_sum %.4f != %.4f\n", id_sum,
                            id_ref, sc_sum, sc_ref);
                    return 1;
                }
                qps[rep - 1] = pl[k].batch * pl[k].calls / el;
            }
            bench_stat st = bench_stats(qps, reps);
            printf("  n=%8lld batch=%3d %10.1f queries/s [%.1f .. %.1f]  "
                   "id_sum=%lld score_sum=%.4f\n", (long long)n, pl[k].batch,
                   st.median, st.min, st.max, id_ref, sc_ref);
            if (jf) {
                const char *wait = getenv("OMP_WAIT_POLICY");
                fprintf(jf, "{\"bench\":\"search\",\"side\":\"c\",\"threads\":"
                        "%d,\"omp_wait\":\"%s\",\"n\":%lld,\"batch\":%d,\"reps\":%d,"
                        "\"checksum\":{\"queries\":%d,\"id_sum\":%lld,"
                        "\"score_sum\":%.4f},\"qps\":", omp ? atoi(omp) : 0,
                        wait ? wait : "",
                        (long long)n, pl[k].batch, reps,
                        pl[k].batch * pl[k].calls, id_ref, sc_ref);
                bench_json_stat(jf, qps, reps);
                fputs("}\n", jf);
            }
        }
        lk__index_free(ix);
    }
    if (jf)
        fclose(jf);
    free(q);
    free(D);
    free(I);
    free(buf);
    free(ids);
    free(qps);
    return 0;
}
