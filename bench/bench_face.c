/*
 * bench_face.c — per-stage time of the face pipeline on the eval photos:
 * decode (lk__image_load), detect, landmarks, embed (lk__face_embed:
 * alignment and the recogniser) and search (lk__index_search against a
 * synthetic gallery of 10,000 templates), and images per second end to end.
 *
 * lk__face_detect runs the landmark net itself.  So that the two can be
 * told apart, every image's landmarks are run a second time on their own
 * (lk__face_landmarks on the same boxes): "landmarks" is that time and
 * "detect" is detect's time less it.  End to end is decode + detect (with
 * its landmarks) + embed + search: the second landmark run is not counted.
 *
 * One untimed warm-up pass (of the first --warmup images), then --reps
 * timed passes over the same fixed list of photos (every file of
 * faces_* / MANIFEST.tsv).  Every timed pass must give the same checksum
 * (faces, sums of boxes, embeddings, top-1 scores and ids), or the run
 * fails: a speed-up may not change results.
 *
 *   bench_face [--eval DIR] [--reps 5] [--threads 2] [--warmup N] [--pyramid]
 *              [--json OUT] [--dump OUT]
 *
 * Exit 77 (skipped) without the eval photos or the models.
 */
#include "likeness.h"

#include "pipeline/engine.h"
#include "face/face.h"
#include "gallery/gallery.h"
#include "media/image.h"

#include "bench_common.h"

#include <getopt.h>

enum { ST_DECODE, ST_DETECT, ST_LANDMARKS, ST_EMBED, ST_SEARCH, N_ST };

/* Decode time is also kept per file type: decoders differ by format. */
enum { FMT_JPEG, FMT_PNG, FMT_WEBP, FMT_OTHER, N_FMT };
static const char *const fmt_names[N_FMT] = {"jpeg", "png", "webp", "other"};

static int fmt_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot)
        return FMT_OTHER;
    char e[8] = {0};
    for (int i = 0; i < 7 && dot[1 + i]; i++)
        e[i] = (char)(dot[1 + i] | 0x20);
    if (!strcmp(e, "jpg") || !strcmp(e, "jpeg"))
        return FMT_JPEG;
    if (!strcmp(e, "png"))
        return FMT_PNG;
    if (!strcmp(e, "webp"))
        return FMT_WEBP;
    return FMT_OTHER;
}
static const char *const stage_names[N_ST] = {"decode", "detect", "landmarks",
                                              "embed", "search"};

typedef struct checksum {
    int images, errors, faces;
    double box_sum, emb_sum, top1_sum;
    long long top1_id_sum;
} checksum;

/* Rounded as bench_baseline.py rounds them, so equal runs print equal. */
static void checksum_round(checksum *c)
{
    c->box_sum = round(c->box_sum);
    c->emb_sum = round(c->emb_sum * 1e3) / 1e3;
    c->top1_sum = round(c->top1_sum * 1e3) / 1e3;
}

static int checksum_eq(const checksum *a, const checksum *b)
{
    return a->images == b->images && a->errors == b->errors &&
           a->faces == b->faces && a->box_sum == b->box_sum &&
           a->emb_sum == b->emb_sum && a->top1_sum == b->top1_sum &&
           a->top1_id_sum == b->top1_id_sum;
}

static void checksum_print(FILE *f, const checksum *c, int json)
{
    if (json)
        fprintf(f, "{\"images\":%d,\"errors\":%d,\"faces\":%d,"
                "\"box_sum\":%.1f,\"emb_sum\":%.3f,\"top1_sum\":%.3f,"
                "\"top1_id_sum\":%lld}", c->images, c->errors, c->faces,
                c->box_sum, c->emb_sum, c->top1_sum, c->top1_id_sum);
    else
        fprintf(f, "images=%d errors=%d faces=%d box_sum=%.1f emb_sum=%.3f "
                "top1_sum=%.3f top1_id_sum=%lld", c->images, c->errors,
                c->faces, c->box_sum, c->emb_sum, c->top1_sum,
                c->top1_id_sum);
}

static void usage(FILE *f)
{
    fputs("usage: bench_face [--eval DIR] [--reps N] [--threads N] "
          "[--warmup N] [--pyramid] [--json OUT] [--dump OUT]\n"
          "  --eval DIR    eval data (default $LIKENESS_EVAL_DIR, "
          "/work/shared/eval)\n"
          "  --reps N      timed passes after the warm-up (default 5)\n"
          "  --warmup N    images in the untimed warm-up pass (default: all)\n"
          "  --threads N   threads one inference may use (default 2)\n"
          "  --pyramid     the library's default detection (tiles of large\n"
          "                images for small faces); default off, as the\n"
          "                baseline makes one detector pass per image\n"
          "  --json OUT    append the result as a JSON line to OUT\n"
          "  --dump OUT    write every face (box, embedding) of the first "
          "timed pass\n", f);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"eval", required_argument, 0, 'e'},
        {"reps", required_argument, 0, 'r'},
        {"threads", required_argument, 0, 't'},
        {"warmup", required_argument, 0, 'w'},
        {"pyramid", no_argument, 0, 'p'},
        {"json", required_argument, 0, 'j'},
        {"dump", required_argument, 0, 'd'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *eval_arg = NULL, *json_path = NULL, *dump_path = NULL;
    int reps = 5, threads = 2, pyramid = 0, warmup = -1, c;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'e': eval_arg = optarg; break;
        case 'r': reps = atoi(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'w': warmup = atoi(optarg); break;
        case 'p': pyramid = 1; break;
        case 'j': json_path = optarg; break;
        case 'd': dump_path = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (reps < 1 || threads < 0) {
        usage(stderr);
        return 2;
    }

    const char *root = bench_eval_dir(eval_arg);
    bench_image *images = NULL;
    const int n_img = root ? bench_eval_images(root, &images) : 0;
    if (n_img == 0) {
        printf("bench_face: no eval photos (faces_*/MANIFEST.tsv under "
               "$LIKENESS_EVAL_DIR); skipped\n");
        return BENCH_SKIP;
    }

    lk_engine_params ep = lk_engine_default_params();
    ep.threads = threads;
    lk_engine *eng = NULL;
    lk_session *ses = NULL;
    lk_status s = lk_engine_open(&ep, &eng);
    if (s == LK_ERR_MODEL) {
        printf("bench_face: models unavailable (%s); skipped\n", lk_last_error());
        bench_images_free(images, n_img);
        return BENCH_SKIP;
    }
    if (s != LK_OK || (s = lk_session_new(eng, &ses)) != LK_OK) {
        fprintf(stderr, "bench_face: %s: %s\n", lk_status_str(s), lk_last_error());
        return 2;
    }
    lk__face_nets *nets = ses->face;
    const int dim = lk_engine_face_dim(eng);

    /* The gallery the faces are searched in: fixed synthetic templates. */
    lk__index *ix = NULL;
    float *gal = malloc((size_t)BENCH_PIPELINE_GALLERY * (size_t)dim * sizeof *gal);
    int64_t *gal_ids = malloc((size_t)BENCH_PIPELINE_GALLERY * sizeof *gal_ids);
    if (!gal || !gal_ids)
        return 2;
    bench_unit_vectors(BENCH_SEED_PIPELINE_GALLERY, 0, BENCH_PIPELINE_GALLERY,
                       dim, gal);
    for (int i = 0; i < BENCH_PIPELINE_GALLERY; i++)
        gal_ids[i] = i + 1;
    if ((s = lk__index_new(dim, &ix)) != LK_OK ||
        (s = lk__index_add(ix, BENCH_PIPELINE_GALLERY, gal, gal_ids)) != LK_OK) {
        fprintf(stderr, "bench_face: index: %s\n", lk_last_error());
        return 2;
    }
    free(gal);
    free(gal_ids);

    lk_detect_params dp = lk_detect_default_params();
    dp.pyramid = pyramid;

    double *stage = calloc((size_t)reps * N_ST, sizeof *stage); /* ms/image */
    double *cpu = calloc((size_t)reps * N_ST, sizeof *cpu);     /* CPU ms/image */
    double *ips = calloc((size_t)reps, sizeof *ips);
    double *cpu_img = calloc((size_t)reps, sizeof *cpu_img);    /* CPU ms/image */
    double *dec_fmt = calloc((size_t)reps * N_FMT, sizeof *dec_fmt); /* ms/file */
    int n_fmt[N_FMT] = {0};
    for (int i = 0; i < n_img; i++)
        n_fmt[fmt_of(images[i].path)]++;
    checksum ref;
    memset(&ref, 0, sizeof ref);
    int max_n = 0;
    float *emb = NULL, *D = NULL;
    int64_t *I = NULL;

    for (int rep = 0; rep <= reps; rep++) { /* rep 0 warms up, untimed */
        double t[N_ST] = {0}, u[N_ST] = {0}; /* wall, CPU */
        double tf[N_FMT] = {0};
        checksum cs;
        memset(&cs, 0, sizeof cs);
        cs.images = n_img;
        FILE *dump = rep == 1 && dump_path ? fopen(dump_path, "w") : NULL;
        const int upto = rep == 0 && warmup >= 0 && warmup < n_img ? warmup
                                                                  : n_img;
        for (int i = 0; i < upto; i++) {
            lk__image img;
            lk_face *faces = NULL, *copy = NULL;
            int n = 0;
            const double t0 = bench_now(), u0 = bench_cpu();
            s = lk__image_load(images[i].path, dp.max_pixels, &img);
            const double t1 = bench_now(), u1 = bench_cpu();
            t[ST_DECODE] += t1 - t0;
            u[ST_DECODE] += u1 - u0;
            tf[fmt_of(images[i].path)] += t1 - t0;
            if (s != LK_OK) {
                if (rep == 0)
                    fprintf(stderr, "bench_face: %s\n", lk_last_error());
                cs.errors++;
                continue;
            }
            s = lk__face_detect(nets, img.data, img.w, img.h, img.stride, &dp,
                                &faces, &n);
            const double t2 = bench_now(), u2 = bench_cpu();
            if (s != LK_OK) {
                fprintf(stderr, "bench_face: %s: detect: %s\n", images[i].name,
                        lk_last_error());
                cs.errors++;
                lk__image_release(&img);
                continue;
            }
            if (n > max_n) {
                max_n = n;
                emb = realloc(emb, (size_t)n * (size_t)dim * sizeof *emb);
                D = realloc(D, (size_t)n * BENCH_PIPELINE_K * sizeof *D);
                I = realloc(I, (size_t)n * BENCH_PIPELINE_K * sizeof *I);
                if (!emb || !D || !I)
                    return 2;
            }
            double t_lm = 0, t_emb = 0, t_search = 0;
            double u_lm = 0, u_emb = 0, u_search = 0;
            if (n > 0) {
                copy = malloc((size_t)n * sizeof *copy);
                if (!copy)
                    return 2;
                memcpy(copy, faces, (size_t)n * sizeof *copy);
                const double a = bench_now(), ua = bench_cpu();
                s = lk__face_landmarks(nets, img.data, img.w, img.h, img.stride,
                                       copy, n);
                const double b = bench_now(), ub = bench_cpu();
                t_lm = b - a;
                u_lm = ub - ua;
                if (s == LK_OK)
                    s = lk__face_embed(nets, img.data, img.w, img.h, img.stride,
                                       faces, n, emb);
                const double c2 = bench_now(), uc = bench_cpu();
                t_emb = c2 - b;
                u_emb = uc - ub;
                if (s == LK_OK)
                    s = lk__index_search(ix, n, emb, BENCH_PIPELINE_K, D, I);
                t_search = bench_now() - c2;
                u_search = bench_cpu() - uc;
                free(copy);
                if (s != LK_OK) {
                    fprintf(stderr, "bench_face: %s: %s\n", images[i].name,
                            lk_last_error());
                    return 2;
                }
            }
            t[ST_DETECT] += (t2 - t1) - t_lm;
            t[ST_LANDMARKS] += t_lm;
            t[ST_EMBED] += t_emb;
            t[ST_SEARCH] += t_search;
            u[ST_DETECT] += (u2 - u1) - u_lm;
            u[ST_LANDMARKS] += u_lm;
            u[ST_EMBED] += u_emb;
            u[ST_SEARCH] += u_search;
            cs.faces += n;
            for (int f = 0; f < n; f++) {
                cs.box_sum += (double)faces[f].x + faces[f].y +
                              (faces[f].x + faces[f].w) + (faces[f].y + faces[f].h);
                for (int d = 0; d < dim; d++)
                    cs.emb_sum += emb[(size_t)f * dim + d];
                cs.top1_sum += D[(size_t)f * BENCH_PIPELINE_K];
                cs.top1_id_sum += I[(size_t)f * BENCH_PIPELINE_K];
                if (dump) {
                    fprintf(dump, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.4f\t",
                            images[i].name, f, faces[f].x, faces[f].y,
                            faces[f].w, faces[f].h, faces[f].score);
                    for (int d = 0; d < dim; d++)
                        fprintf(dump, "%s%.6f", d ? " " : "",
                                emb[(size_t)f * dim + d]);
                    fputc('\n', dump);
                }
            }
            free(faces);
            lk__image_release(&img);
        }
        if (dump)
            fclose(dump);
        checksum_round(&cs);
        if (rep == 0)
            continue;
        if (rep == 1)
            ref = cs;
        if (!checksum_eq(&cs, &ref)) {
            fprintf(stderr, "bench_face: checksum changed in repetition %d:\n  ",
                    rep);
            checksum_print(stderr, &cs, 0);
            fputs("\n  ", stderr);
            checksum_print(stderr, &ref, 0);
            fputc('\n', stderr);
            return 1;
        }
        double total = 0, utotal = 0;
        for (int k = 0; k < N_ST; k++) {
            stage[k * reps + rep - 1] = 1e3 * t[k] / n_img;
            cpu[k * reps + rep - 1] = 1e3 * u[k] / n_img;
            total += t[k];
            utotal += u[k];
        }
        ips[rep - 1] = n_img / total;
        for (int k = 0; k < N_FMT; k++)
            dec_fmt[k * reps + rep - 1] = n_fmt[k] ? 1e3 * tf[k] / n_fmt[k] : 0;
        cpu_img[rep - 1] = 1e3 * utotal / n_img;
    }

    printf("C library (likeness %s), %d images, %d thread(s), pyramid %s, "
           "%d repetitions\n", lk_version(), n_img, threads,
           pyramid ? "on" : "off", reps);
    for (int k = 0; k < N_ST; k++) {
        bench_stat st = bench_stats(stage + k * reps, reps);
        printf("  %-10s %8.2f ms/image  [%.2f .. %.2f]%s\n", stage_names[k],
               st.median, st.min, st.max,
               k == ST_DETECT ? "  (detect's time less its landmarks)" : "");
    }
    bench_stat st = bench_stats(ips, reps);
    printf("  end to end %8.2f images/s  [%.2f .. %.2f]\n", st.median, st.min,
           st.max);
    st = bench_stats(cpu_img, reps);
    printf("  CPU time   %8.2f ms/image  [%.2f .. %.2f]  (all threads)\n",
           st.median, st.min, st.max);
    printf("  decode by type:");
    for (int k = 0; k < N_FMT; k++)
        if (n_fmt[k])
            printf(" %s %.2f ms (%d files)", fmt_names[k],
                   bench_stats(dec_fmt + k * reps, reps).median, n_fmt[k]);
    putchar('\n');
    printf("  checksum   ");
    checksum_print(stdout, &ref, 0);
    putchar('\n');

    if (json_path) {
        FILE *f = fopen(json_path, "a");
        if (!f) {
            perror(json_path);
            return 2;
        }
        fprintf(f, "{\"bench\":\"pipeline\",\"side\":\"c\",\"threads\":%d,"
                "\"pyramid\":%d,\"reps\":%d,\"checksum\":", threads, pyramid,
                reps);
        checksum_print(f, &ref, 1);
        fputs(",\"stage_ms\":{", f);
        for (int k = 0; k < N_ST; k++) {
            fprintf(f, "%s\"%s\":", k ? "," : "", stage_names[k]);
            bench_json_stat(f, stage + k * reps, reps);
        }
        fputs("},\"stage_cpu_ms\":{", f);
        for (int k = 0; k < N_ST; k++) {
            fprintf(f, "%s\"%s\":", k ? "," : "", stage_names[k]);
            bench_json_stat(f, cpu + k * reps, reps);
        }
        fputs("},\"images_per_s\":", f);
        bench_json_stat(f, ips, reps);
        fputs(",\"cpu_ms_per_image\":", f);
        bench_json_stat(f, cpu_img, reps);
        fputs(",\"decode_ms_by_type\":{", f);
        for (int k = 0, first = 1; k < N_FMT; k++)
            if (n_fmt[k]) {
                fprintf(f, "%s\"%s\":", first ? "" : ",", fmt_names[k]);
                bench_json_stat(f, dec_fmt + k * reps, reps);
                first = 0;
            }
        fputc('}', f);
        fputs("}\n", f);
        fclose(f);
    }

    free(stage);
    free(cpu);
    free(ips);
    free(cpu_img);
    free(dec_fmt);
    free(emb);
    free(D);
    free(I);
    lk__index_free(ix);
    lk_session_free(ses);
    lk_engine_free(eng);
    bench_images_free(images, n_img);
    return 0;
}
