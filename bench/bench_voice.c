/*
 * bench_voice.c — speed of the voice pipeline, in multiples of real time.
 *
 *   bench_voice [--reps N] [--json OUT] --pcm FILE      stages on one core
 *   bench_voice [--reps N] [--json OUT] --gallery DIR --scan FILE
 *
 * --pcm: FILE is decoded once to 16 kHz mono in memory; then, on this one
 * thread, timed by its CPU clock: the front end (MFCC, deltas, VAD,
 * normalisation) alone, and whole embeddings (front end + UBM statistics +
 * the MAP supervector) of 10 s pieces.  "Per core" is exactly that: audio
 * seconds per CPU second of the one thread that does the work.
 * --scan: lk_scan_file() on FILE (decode, resample, segment into 4 s
 * windows, embed and search each) against a gallery with voice templates,
 * wall and process CPU time.
 * The checksum (speech frames; the sum of embedding components; the
 * findings) must agree across repetitions.
 */
#include "bench_common.h"

#include "pipeline/engine.h"
#include "media/audio.h"
#include "voice/voice.h"
#include "voice/voice_impl.h"

#include <getopt.h>

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static lk_status count_frames(void *user, const float *frames,
                              const double *times, const uint8_t *clipped,
                              int n)
{
    (void)frames;
    (void)times;
    (void)clipped;
    *(long *)user += n;
    return LK_OK;
}

static int load_pcm(const char *path, float **pcm, size_t *n)
{
    lk__audio *a;
    if (lk__audio_open(path, 0, &a) != LK_OK)
        return -1;
    size_t cap = 1 << 20;
    *pcm = malloc(cap * sizeof **pcm);
    *n = 0;
    const float *chunk;
    size_t k;
    double t0;
    lk_status s;
    while (*pcm && (s = lk__audio_read(a, &chunk, &k, &t0)) == LK_OK) {
        if (*n + k > cap) {
            while (*n + k > cap)
                cap *= 2;
            float *p = realloc(*pcm, cap * sizeof *p);
            if (!p) {
                free(*pcm);
                *pcm = NULL;
                break;
            }
            *pcm = p;
        }
        memcpy(*pcm + *n, chunk, k * sizeof *chunk);
        *n += k;
    }
    lk__audio_close(a);
    return *pcm && *n ? 0 : -1;
}

static void emit(FILE *jf, const char *what, const char *file, double audio_s,
                 const double *t, int reps, const char *unit, double checksum)
{
    bench_stat st = bench_stats(t, reps);
    printf("%-9s %-34s %8.1f s of audio: %7.3f s %s (%7.1fx real time)\n",
           what, file, audio_s, st.median, unit, audio_s / st.median);
    if (jf) {
        fprintf(jf, "{\"bench\":\"voice\",\"stage\":\"%s\",\"file\":\"%s\","
                "\"audio_s\":%.3f,\"clock\":\"%s\",\"time_s\":", what, file,
                audio_s, unit);
        bench_json_stat(jf, t, reps);
        fprintf(jf, ",\"checksum\":%.6g}\n", checksum);
    }
}

static int run_pcm(const char *path, int reps, FILE *jf)
{
    float *pcm;
    size_t n;
    if (load_pcm(path, &pcm, &n) != 0) {
        fprintf(stderr, "bench_voice: %s: %s\n", path, lk_last_error());
        return 1;
    }
    const double audio_s = (double)n / LK__AUDIO_RATE;
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

    double t[100];
    long first = -1;
    lk__voice_front f;
    if (lk__voice_front_init(&f) != LK_OK)
        return 1;
    for (int r = 0; r < reps; r++) {
        long frames = 0;
        lk__voice_front_reset(&f, count_frames, &frames);
        const double c0 = thread_cpu();
        lk__voice_front_push(&f, pcm, n, 0.0);
        lk__voice_front_finish(&f);
        t[r] = thread_cpu() - c0;
        if (first < 0)
            first = frames;
        else if (frames != first) {
            fprintf(stderr, "bench_voice: front end differs between runs\n");
            return 1;
        }
    }
    lk__voice_front_free(&f);
    emit(jf, "features", name, audio_s, t, reps, "cpu", (double)first);

    /* The manifest's speaker embedder, as the engine loads it. */
    lk_engine_params ep = lk_engine_default_params();
    lk_engine *eng;
    lk__voice *v;
    if (lk_engine_open(&ep, &eng) != LK_OK || !eng->voice_model ||
        lk__voice_new(eng->voice_model, &v) != LK_OK) {
        fprintf(stderr, "bench_voice: no speaker embedder (%s)\n",
                lk_last_error());
        return BENCH_SKIP;
    }
    const lk__voice_model *m = eng->voice_model;
    const int dim = lk__voice_model_dim(m);
    float *e = malloc((size_t)dim * sizeof *e);
    const size_t piece = 10 * LK__AUDIO_RATE;
    double sum0 = NAN;
    double embedded = 0;
    for (int r = 0; r < reps; r++) {
        double sum = 0;
        embedded = 0;
        const double c0 = thread_cpu();
        for (size_t at = 0; at + piece <= n; at += piece) {
            lk__voice_info info;
            if (lk__voice_embed_pcm(v, name, pcm + at, piece, e, &info) ==
                LK_OK)
                sum += e[0] + e[dim - 1];
            embedded += (double)piece / LK__AUDIO_RATE;
        }
        t[r] = thread_cpu() - c0;
        if (r == 0)
            sum0 = sum;
        else if (sum != sum0) {
            fprintf(stderr, "bench_voice: embeddings differ between runs\n");
            return 1;
        }
    }
    emit(jf, "embed", name, embedded, t, reps, "cpu", sum0);
    free(e);
    lk__voice_free(v);
    lk_engine_free(eng);
    free(pcm);
    return 0;
}

static int run_scan(const char *gallery, const char *path, int reps, FILE *jf)
{
    lk_engine_params ep = lk_engine_default_params();
    lk_engine *eng;
    lk_session *ses;
    lk_gallery *gal;
    if (lk_engine_open(&ep, &eng) != LK_OK || lk_session_new(eng, &ses) != LK_OK ||
        lk_gallery_open(gallery, eng, LK_GALLERY_READONLY, &gal) != LK_OK) {
        fprintf(stderr, "bench_voice: %s\n", lk_last_error());
        return BENCH_SKIP;
    }
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    lk_scan_params sp = lk_scan_default_params();
    double wall[100], cpu[100], dur = 0, sum0 = 0;
    int segs = 0, found = 0;
    for (int r = 0; r < reps; r++) {
        lk_scan_result *res;
        const double t0 = bench_now(), c0 = bench_cpu();
        if (lk_scan_file(gal, ses, path, &sp, &res) != LK_OK) {
            fprintf(stderr, "bench_voice: %s\n", lk_last_error());
            return 1;
        }
        wall[r] = bench_now() - t0;
        cpu[r] = bench_cpu() - c0;
        double sum = lk_scan_result_speech_seconds(res);
        for (int i = 0; i < lk_scan_result_count(res); i++) {
            const lk_finding *f = lk_scan_result_finding(res, i);
            sum += f->start + f->score;
        }
        if (r == 0)
            sum0 = sum;
        else if (sum != sum0) {
            fprintf(stderr, "bench_voice: scan results differ\n");
            return 1;
        }
        dur = lk_scan_result_duration(res);
        segs = lk_scan_result_voice_segments(res);
        found = lk_scan_result_count(res);
        lk_scan_result_free(res);
    }
    emit(jf, "scan", name, dur, wall, reps, "wall", sum0);
    emit(jf, "scan", name, dur, cpu, reps, "cpu", sum0);
    printf("          %d speech windows searched, %d findings\n", segs, found);
    lk_gallery_close(gal);
    lk_session_free(ses);
    lk_engine_free(eng);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"reps", required_argument, 0, 'r'},
        {"json", required_argument, 0, 'j'},
        {"pcm", required_argument, 0, 'p'},
        {"scan", required_argument, 0, 's'},
        {"gallery", required_argument, 0, 'g'},
        {0, 0, 0, 0}};
    int reps = 3, c;
    const char *json = NULL, *pcm = NULL, *scan = NULL, *gallery = NULL;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'r': reps = atoi(optarg); break;
        case 'j': json = optarg; break;
        case 'p': pcm = optarg; break;
        case 's': scan = optarg; break;
        case 'g': gallery = optarg; break;
        default:
            fprintf(stderr, "usage: bench_voice [--reps N] [--json OUT] "
                    "(--pcm FILE | --gallery DIR --scan FILE)\n");
            return 2;
        }
    }
    if (reps < 1 || reps > 100 || (!pcm && !(scan && gallery))) {
        fprintf(stderr, "bench_voice: --pcm FILE, or --gallery and --scan\n");
        return 2;
    }
    FILE *jf = json ? fopen(json, "a") : NULL;
    if (json && !jf) {
        perror(json);
        return 1;
    }
    int rc = pcm ? run_pcm(pcm, reps, jf) : run_scan(gallery, scan, reps, jf);
    if (jf)
        fclose(jf);
    return rc;
}
