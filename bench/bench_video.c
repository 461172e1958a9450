/*
 * bench_video.c — video scan speed against the decode-only floor.
 *
 *   bench_video --mode floor|scan [--sampling scene|rate|keyframes]
 *               [--gallery DIR] [--reps N] [--threads N] [--label TEXT]
 *               [--json OUT] FILE
 *
 * --threads: the engine's inference threads (0, the default: OpenCV's);
 * --decode-threads: the decoder's (0, the default: the library's, 2)
 *
 * floor: the decoder thread alone, with the sampling policy's frame
 * skipping, every sampled frame handed over and dropped — what scanning
 * could cost if faces were free.  scan: lk_scan_file() with the default
 * video parameters and the policy, against the gallery.  One process per
 * mode and policy, so that its peak RSS is its own; run.sh alternates them.
 * Each line reports the median wall time of the repetitions as a multiple
 * of real time, and a checksum of what was found (frames, or findings with
 * their times) that must agree across repetitions.
 */
#include "bench_common.h"

#include "likeness.h"
#include "media/demux.h"

#include <getopt.h>
#include <sys/resource.h>

static uint64_t mix(uint64_t h, uint64_t v)
{
    return (h ^ v) * 0x100000001B3ull;
}

static uint64_t str_hash(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = mix(h, (unsigned char)*s);
    return h;
}

typedef struct outcome {
    double wall, cpu, duration;
    int64_t decoded, sampled;
    int tracks, matches;
    uint64_t checksum;
} outcome;

static int decode_threads;   /* 0: the library's default */

static int run_floor(const char *path, lk_sampling pol, outcome *o)
{
    /* the scan's defaults, so that the same frames are decoded */
    const lk_video_params d = lk_video_default_params();
    lk__demux_opts vo = lk__demux_default_opts();
    vo.video = 1;
    vo.audio = 1;            /* the sound too, when there is any */
    vo.min_audio_rate = 16000;
    vo.sampling = pol;
    vo.fps = d.fps;
    vo.scene_threshold = d.scene_threshold;
    vo.threads = decode_threads ? decode_threads : d.threads;
    vo.max_pixels = lk_detect_default_params().max_pixels;
    const double t0 = bench_now(), c0 = bench_cpu();
    lk__source *src;
    lk__demux *v = NULL;
    if (lk__source_open_file(path, &src) != LK_OK ||
        lk__demux_open(src, NULL, &vo, &v) != LK_OK) {
        fprintf(stderr, "bench_video: %s\n", lk_last_error());
        return -1;
    }
    lk__item it;
    uint64_t h = 1469598103934665603ull;
    lk_status s;
    while ((s = lk__demux_next(v, &it)) == LK_OK) {
        if (it.frame)
            h = mix(h, (uint64_t)llround(it.frame->t * 1000.0));
        lk__demux_release(v, &it);
    }
    lk__demux_info info;
    lk__demux_get_info(v, &info);
    lk__demux_close(v);
    lk__source_close(src);
    o->wall = bench_now() - t0;
    o->cpu = bench_cpu() - c0;
    if (s != LK_DONE) {
        fprintf(stderr, "bench_video: %s\n", lk_last_error());
        return -1;
    }
    o->duration = info.duration;
    o->decoded = info.frames_decoded;
    o->sampled = info.frames_sampled;
    o->checksum = mix(h, (uint64_t)info.frames_decoded);
    return 0;
}

static int run_scan(lk_gallery *gal, lk_session *ses, const char *path,
                    lk_sampling pol, outcome *o)
{
    lk_scan_params sp = lk_scan_default_params();
    sp.video.sampling = pol;
    sp.video.threads = decode_threads;
    lk_scan_result *r;
    const double t0 = bench_now(), c0 = bench_cpu();
    lk_status s = lk_scan_file(gal, ses, path, &sp, &r);
    o->wall = bench_now() - t0;
    o->cpu = bench_cpu() - c0;
    if (s != LK_OK) {
        fprintf(stderr, "bench_video: %s\n", lk_last_error());
        return -1;
    }
    uint64_t h = 1469598103934665603ull;
    o->matches = 0;
    for (int i = 0; i < lk_scan_result_count(r); i++) {
        const lk_finding *f = lk_scan_result_finding(r, i);
        o->matches += f->decision == LK_MATCH;
        h = str_hash(h, f->performer_id);
        h = mix(h, (uint64_t)llround(f->start * 100.0));
        h = mix(h, (uint64_t)llround(f->end * 100.0));
    }
    o->duration = lk_scan_result_duration(r);
    o->decoded = lk_scan_result_frames_decoded(r);
    o->sampled = lk_scan_result_frames_sampled(r);
    o->tracks = lk_scan_result_faces(r);
    o->checksum = h;
    lk_scan_result_free(r);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"mode", required_argument, 0, 'm'},
        {"sampling", required_argument, 0, 's'},
        {"gallery", required_argument, 0, 'g'},
        {"reps", required_argument, 0, 'r'},
        {"label", required_argument, 0, 'l'},
        {"json", required_argument, 0, 'j'},
        {"threads", required_argument, 0, 't'},
        {"decode-threads", required_argument, 0, 'd'},
        {0, 0, 0, 0}};
    const char *mode = "scan", *gallery = NULL, *label = "", *json = NULL;
    lk_sampling pol = LK_SAMPLE_SCENE;
    int reps = 3, threads = 0, c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'm': mode = optarg; break;
        case 's':
            if (lk_sampling_from_name(optarg, &pol) != LK_OK)
                pol = LK_SAMPLE_SCENE; /* as it always was */
            break;
        case 'g': gallery = optarg; break;
        case 'r': reps = atoi(optarg); break;
        case 'l': label = optarg; break;
        case 'j': json = optarg; break;
        case 't': threads = atoi(optarg); break;
        case 'd': decode_threads = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: bench_video --mode floor|scan "
                    "[--sampling P] [--gallery DIR] [--reps N] [--threads N] "
                    "[--decode-threads N] [--label T] "
                    "[--json OUT] FILE\n");
            return 2;
        }
    }
    const int scan = !strcmp(mode, "scan");
    if (optind != argc - 1 || reps < 1 || reps > 100 ||
        (scan && !gallery)) {
        fprintf(stderr, "bench_video: one FILE, --reps 1..100, and --gallery "
                "for --mode scan\n");
        return 2;
    }
    const char *path = argv[optind];

    lk_engine *eng = NULL;
    lk_session *ses = NULL;
    lk_gallery *gal = NULL;
    if (scan) {
        lk_engine_params ep = lk_engine_default_params();
        ep.threads = threads;
        if (lk_engine_open(&ep, &eng) != LK_OK ||
            lk_session_new(eng, &ses) != LK_OK ||
            lk_gallery_open(gallery, eng, LK_GALLERY_READONLY, &gal) != LK_OK) {
            fprintf(stderr, "bench_video: %s\n", lk_last_error());
            return BENCH_SKIP;
        }
    }
    double wall[100], cpu[100];
    outcome o = {0}, first = {0};
    for (int i = 0; i < reps; i++) {
        int rc = scan ? run_scan(gal, ses, path, pol, &o)
                      : run_floor(path, pol, &o);
        if (rc != 0)
            return 1;
        if (i == 0)
            first = o;
        else if (o.checksum != first.checksum) {
            fprintf(stderr, "bench_video: %s: results differ between "
                    "repetitions\n", path);
            return 1;
        }
        wall[i] = o.wall;
        cpu[i] = o.cpu;
    }
    bench_stat w = bench_stats(wall, reps), cs = bench_stats(cpu, reps);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%-28s %-5s %-9s %6.1f s of video: %6.2f s (%5.1fx real time), "
           "cpu %.2f s, %lld decoded, %lld sampled, %d tracks, %d matches, "
           "peak RSS %ld MB\n", label, mode, lk_sampling_name(pol), o.duration,
           w.median, o.duration / w.median, cs.median, (long long)o.decoded,
           (long long)o.sampled, o.tracks, o.matches, ru.ru_maxrss / 1024);
    if (json) {
        FILE *f = fopen(json, "a");
        if (!f) {
            perror(json);
            return 1;
        }
        fprintf(f, "{\"bench\":\"video\",\"label\":\"%s\",\"mode\":\"%s\","
                "\"sampling\":\"%s\",\"duration_s\":%.3f,\"wall_s\":",
                label, mode, lk_sampling_name(pol), o.duration);
        bench_json_stat(f, wall, reps);
        fprintf(f, ",\"cpu_s\":");
        bench_json_stat(f, cpu, reps);
        fprintf(f, ",\"decoded\":%lld,\"sampled\":%lld,\"tracks\":%d,"
                "\"matches\":%d,\"checksum\":\"%016llx\",\"maxrss_kb\":%ld}\n",
                (long long)o.decoded, (long long)o.sampled, o.tracks,
                o.matches, (unsigned long long)o.checksum, ru.ru_maxrss);
        fclose(f);
    }
    lk_gallery_close(gal);
    lk_session_free(ses);
    lk_engine_free(eng);
    return 0;
}
