/*
 * bench_common.h — what the benchmark programs share: the monotonic clock,
 * median and spread of repetitions, the fixed inputs (the eval photo list
 * and the synthetic unit vectors, generated bit for bit as
 * bench_baseline.py generates them) and the JSON result lines run.sh and
 * report.py read.  Header-only: each bench is one translation unit.
 */
#ifndef LK_BENCH_COMMON_H
#define LK_BENCH_COMMON_H

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* meson's "skipped" */
#define BENCH_SKIP 77

/* Seeds of the synthetic sets; bench_baseline.py has the same numbers. */
#define BENCH_SEED_GALLERY 0x5EED0001u
#define BENCH_SEED_QUERIES 0x5EED0002u
#define BENCH_SEED_PIPELINE_GALLERY 0x5EED0003u
#define BENCH_PIPELINE_GALLERY 10000 /* synthetic templates the pipeline searches */
#define BENCH_PIPELINE_K 10
#define BENCH_SEARCH_K 10

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the whole process, all threads: less disturbed than the wall
 * clock when other programs share the cores, though spinning worker threads
 * count in it. */
static inline double bench_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- median and spread ------------------------------------------------ */

typedef struct bench_stat {
    double median, min, max;
} bench_stat;

static int bench_cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline bench_stat bench_stats(const double *v, int n)
{
    bench_stat s = {0, 0, 0};
    if (n <= 0)
        return s;
    double *t = malloc((size_t)n * sizeof *t);
    if (!t)
        abort();
    memcpy(t, v, (size_t)n * sizeof *t);
    qsort(t, (size_t)n, sizeof *t, bench_cmp_double);
    s.min = t[0];
    s.max = t[n - 1];
    s.median = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    free(t);
    return s;
}

/* {"median":…,"min":…,"max":…,"samples":[…]} */
static inline void bench_json_stat(FILE *f, const double *v, int n)
{
    bench_stat s = bench_stats(v, n);
    fprintf(f, "{\"median\":%.6g,\"min\":%.6g,\"max\":%.6g,\"samples\":[",
            s.median, s.min, s.max);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%.6g", i ? "," : "", v[i]);
    fputs("]}", f);
}

/* ---- synthetic unit vectors ------------------------------------------- */

/* Output j of the splitmix64 stream `seed`, in counter form. */
static inline uint64_t bench_splitmix64(uint64_t seed, uint64_t j)
{
    uint64_t z = seed + (j + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Rows first..first+n-1 of the synthetic set `seed` into out (n * dim).
 * A coordinate is the sum of the four 16-bit lanes of one splitmix64
 * output, centred (Irwin-Hall: close to Gaussian, so directions are close
 * to uniform on the sphere); a row is divided by its exact integer norm.
 * Integer arithmetic up to that division, so numpy gets the same bits. */
static inline void bench_unit_vectors(uint64_t seed, int64_t first, int64_t n,
                                      int dim, float *out)
{
    int64_t *v = malloc((size_t)dim * sizeof *v);
    if (!v)
        abort();
    for (int64_t r = 0; r < n; r++) {
        const uint64_t base = (uint64_t)(first + r) * (uint64_t)dim;
        int64_t ss = 0;
        for (int d = 0; d < dim; d++) {
            const uint64_t z = bench_splitmix64(seed, base + (uint64_t)d);
            v[d] = (int64_t)((z & 0xFFFF) + ((z >> 16) & 0xFFFF) +
                             ((z >> 32) & 0xFFFF) + (z >> 48)) -
                   131070;
            ss += v[d] * v[d];
        }
        const double norm = sqrt((double)ss);
        float *o = out + r * dim;
        for (int d = 0; d < dim; d++)
            o[d] = (float)((double)v[d] / norm);
    }
    free(v);
}

/* ---- the eval photos -------------------------------------------------- */

/* $LIKENESS_EVAL_DIR, else /work/shared/eval or ../shared/eval beside the
 * source tree (LK_SOURCE_ROOT) when they exist; NULL otherwise.  The data
 * is read in place and never copied. */
static inline const char *bench_eval_dir(const char *arg)
{
    static char buf[4096];
    struct stat st;
    if (arg && *arg)
        return arg;
    const char *env = getenv("LIKENESS_EVAL_DIR");
    if (env && *env)
        return env;
    const char *src = getenv("LK_SOURCE_ROOT");
    if (src && *src) {
        snprintf(buf, sizeof buf, "%s/../shared/eval", src);
        if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
            return buf;
    }
    if (stat("/work/shared/eval", &st) == 0 && S_ISDIR(st.st_mode))
        return "/work/shared/eval";
    return NULL;
}

typedef struct bench_image {
    char *name; /* "faces_x/dir/file.jpg" as in the dumps */
    char *path;
} bench_image;

static int bench_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file named in faces_* / MANIFEST.tsv: sets in name order (bytewise,
 * as Python's sorted()), files in manifest order.  Returns the count, 0
 * when there is none. */
static inline int bench_eval_images(const char *root, bench_image **out)
{
    *out = NULL;
    DIR *d = opendir(root);
    if (!d)
        return 0;
    char *sets[256];
    int n_sets = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n_sets < 256)
        if (strncmp(e->d_name, "faces_", 6) == 0)
            sets[n_sets++] = strdup(e->d_name);
    closedir(d);
    qsort(sets, (size_t)n_sets, sizeof *sets, bench_cmp_str);

    bench_image *v = NULL;
    int n = 0, cap = 0;
    for (int s = 0; s < n_sets; s++) {
        char path[4096], line[8192];
        snprintf(path, sizeof path, "%s/%s/MANIFEST.tsv", root, sets[s]);
        FILE *f = fopen(path, "r");
        if (f) {
            int first = 1;
            while (fgets(line, sizeof line, f)) {
                if (first) { /* header */
                    first = 0;
                    continue;
                }
                line[strcspn(line, "\t\r\n")] = 0;
                if (!*line)
                    continue;
                if (n == cap) {
                    cap = cap ? 2 * cap : 256;
                    v = realloc(v, (size_t)cap * sizeof *v);
                    if (!v)
                        abort();
                }
                size_t ln = strlen(sets[s]) + strlen(line) + 2;
                v[n].name = malloc(ln);
                snprintf(v[n].name, ln, "%s/%s", sets[s], line);
                ln += strlen(root) + 1;
                v[n].path = malloc(ln);
                snprintf(v[n].path, ln, "%s/%s/%s", root, sets[s], line);
                n++;
            }
            fclose(f);
        }
        free(sets[s]);
    }
    *out = v;
    return n;
}

static inline void bench_images_free(bench_image *v, int n)
{
    for (int i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].path);
    }
    free(v);
}

#endif
