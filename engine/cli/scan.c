/*
 * scan.c — `likeness scan`: files scanned in parallel, one session per
 * worker thread, and printed in input order as they finish: the library's
 * text or JSON Lines per file, decoding warnings on stderr, a summary.
 */
#include "cli.h"

#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    cli_opts o;
    lk_scan_params sp;
    int quiet;
    char context[4096];        /* --context, split in place: sp points in */
    const char *record;        /* --record: the findings store */
} scan_args;

enum {
    OPT_ALL = CLI_LONG_ONLY, OPT_MIN_FACE, OPT_NO_PYRAMID, OPT_JSON,
    OPT_SAMPLING, OPT_FPS, OPT_SCENE_THRESHOLD, OPT_MAX_SIDE, OPT_EMBEDS,
    OPT_MERGE_GAP, OPT_VOICE_THRESHOLD, OPT_NO_VOICE, OPT_CONTEXT, OPT_RECORD, OPT_MAX_MEMORY
};

static const cli_option scan_options[] = {
    {"gallery", 'g', "DIR", "gallery directory"},
    {"threshold", 't', "T", "cosine score at or above which a face matches\n"
                            "(default: the recogniser's calibrated value,\n"
                            "shown by `likeness info`)"},
    {"all", OPT_ALL, NULL, "also report faces that match no one"},
    {"min-face", OPT_MIN_FACE, "PX",
     "smallest face side to consider (default 24)"},
    {"no-pyramid", OPT_NO_PYRAMID, NULL,
     "skip the tiled search for small faces in large\n"
     "images (faster; misses faces under ~1/15 of\n"
     "the image width)"},
    {"jobs", 'j', "N", "files scanned at once (default: cores)"},
    {"max-memory", OPT_MAX_MEMORY, "MB",
     "what the files scanned at once may hold for\n"
     "their pictures together (default: half the\n"
     "machine's memory); a file needing more is an\n"
     "error, the others go on"},
    {"json", OPT_JSON, NULL, "JSON Lines: one record per file"},
    CLI_OPTION_MODELS,
    {"quiet", 'q', NULL, "print findings and errors only: no summary, and\n"
                         "no progress line (shown on a terminal's stderr:\n"
                         "files done, findings, time left, the current\n"
                         "file)"},
    {"context", OPT_CONTEXT, "K=V,…",
     "where the files were found, for the licence\n"
     "check: channel=ID, domain=NAME, territory=CC\n"
     "(ISO 3166-1), use=USE[+USE] (what they are put\n"
     "to: advertising, dubbing, …), date=YYYY-MM-DD\n"
     "(when published; default: now)"},
    {"record", OPT_RECORD, "CASES.db",
     "add the findings to this findings store (made\n"
     "when absent); a rescan of the same content\n"
     "updates them, keeping their review state\n"
     "(likeness findings)"},
    CLI_OPTION_HELP,
    {NULL, 0, NULL,
     "\n"
     "Video (frames are decoded on a second thread; the costs below are for\n"
     "a typical 25-30 fps H.264 stream):"},
    {"sampling", OPT_SAMPLING, "P",
     "which frames are searched for faces:\n"
     "scene      (default) every 1/FPS s and the first\n"
     "           frame of each new shot; costs what\n"
     "           `rate` costs plus a detector call per\n"
     "           cut; misses faces seen < 1/FPS s\n"
     "           within one shot\n"
     "rate       every 1/FPS s; frames nobody refers to\n"
     "           are not decoded (about half of H.264);\n"
     "           misses faces and shots < 1/FPS s\n"
     "keyframes  keyframes only, the rest undecoded:\n"
     "           7-30x less decoding, for triage;\n"
     "           misses what lies between keyframes\n"
     "           (often several seconds)"},
    {"fps", OPT_FPS, "N",
     "samples per second for scene and rate (default 2)"},
    {"scene-threshold", OPT_SCENE_THRESHOLD, "S",
     "frame change (0..1, on 64x36 grey thumbnails)\n"
     "that is a cut when also 3x the recent mean\n"
     "(default 0.12; lower finds more cuts)"},
    {"max-side", OPT_MAX_SIDE, "PX",
     "faces are embedded from frames scaled to at most\n"
     "this longer side (default 1280; 0: full size)"},
    {"embeds", OPT_EMBEDS, "N",
     "embeddings kept per face track, from its best\n"
     "frames; at most 2N computed (default 4)"},
    {"merge-gap", OPT_MERGE_GAP, "S",
     "a performer's sightings closer than S seconds\n"
     "are one appearance (default 2)"},
    {NULL, 0, NULL,
     "\n"
     "Voice (audio files and videos' sound tracks, when the gallery holds\n"
     "voice templates; speech is searched in 4 s windows every 2 s, at\n"
     "about 600x real time per core, decoding included):"},
    {"voice-threshold", OPT_VOICE_THRESHOLD, "T",
     "cosine at or above which a voice matches\n"
     "(default: the speaker embedder's calibrated\n"
     "value, shown by `likeness info`)"},
    {"no-voice", OPT_NO_VOICE, NULL,
     "do not listen (faces only; sound not decoded)"},
    {0}};

/* A float option's value, checked as a double. */
static int float_arg(const char *name, const char *arg, double lo, double hi,
                     int open_lo, const char *what, float *out)
{
    double v;
    int s = cli_double_arg(name, arg, lo, hi, open_lo, what, &v);
    if (s == CLI_SET_OK)
        *out = (float)v;
    return s;
}

/* --context K=V,… into sp (the strings point into a->context). */
static int context_arg(scan_args *a, const char *arg)
{
    lk_scan_params *sp = &a->sp;
    if (strlen(arg) >= sizeof a->context) {
        cli_fail("--context: longer than %zu bytes", sizeof a->context - 1);
        return CLI_SET_FAIL;
    }
    strcpy(a->context, arg);
    for (char *save = NULL, *kv = strtok_r(a->context, ",", &save); kv;
         kv = strtok_r(NULL, ",", &save)) {
        char *v = strchr(kv, '=');
        if (!v || !v[1]) {
            cli_fail("--context: '%s' is not KEY=VALUE", kv);
            return CLI_SET_FAIL;
        }
        *v++ = '\0';
        if (!strcmp(kv, "channel")) {
            sp->context_channel = v;
        } else if (!strcmp(kv, "domain")) {
            for (char *c = v; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
            sp->context_domain = v;
        } else if (!strcmp(kv, "territory")) {
            for (char *c = v; *c; c++)
                *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
            sp->context_territory = v;
        } else if (!strcmp(kv, "use")) {
            unsigned u;
            for (char *c = v; *c; c++)
                if (*c == '+')
                    *c = ',';
            if (lk_uses_parse(v, &u) != LK_OK) {
                cli_fail("--context: use: %s", lk_last_error());
                return CLI_SET_FAIL;
            }
            sp->context_uses |= u;
        } else if (!strcmp(kv, "date")) {
            struct tm tm = {0};
            const char *end = strptime(v, "%Y-%m-%d", &tm);
            if (!end || *end) {
                cli_fail("--context: date: '%s' is not YYYY-MM-DD", v);
                return CLI_SET_FAIL;
            }
            sp->context_time = (int64_t)timegm(&tm);
        } else {
            cli_fail("--context: unknown key '%s' (channel, domain, "
                     "territory, use, date)", kv);
            return CLI_SET_FAIL;
        }
    }
    return CLI_SET_OK;
}

/* What --context said, as the JSON object the findings store keeps;
 * NULL when it said nothing.  malloc'd. */
static char *context_as_json(const lk_scan_params *sp)
{
    json_t *o = json_object();
    if (sp->context_channel)
        json_object_set_new(o, "channel", json_string(sp->context_channel));
    if (sp->context_domain)
        json_object_set_new(o, "domain", json_string(sp->context_domain));
    if (sp->context_territory)
        json_object_set_new(o, "territory",
                            json_string(sp->context_territory));
    if (sp->context_uses) {
        json_t *u = json_array();
        for (unsigned b = 1; b && b <= sp->context_uses; b <<= 1)
            if (sp->context_uses & b)
                json_array_append_new(u, json_string(lk_use_name((lk_use)b)));
        json_object_set_new(o, "uses", u);
    }
    if (sp->context_time)
        json_object_set_new(o, "time", json_integer(sp->context_time));
    char *t = json_object_size(o) ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)
                                  : NULL;
    json_decref(o);
    return t;
}

static int scan_set(void *ctx, int key, const char *arg)
{
    scan_args *a = ctx;
    lk_scan_params *sp = &a->sp;
    switch (key) {
    case 'g': a->o.gallery = arg; return CLI_SET_OK;
    case 't':
        return float_arg("threshold", arg, -1, 1, 0, "a number in -1..1",
                         &sp->threshold);
    case OPT_ALL: sp->report_all = 1; return CLI_SET_OK;
    case OPT_MIN_FACE:
        return cli_int_arg("min-face", arg, 1, 65536, "in 1..65536",
                           &sp->detect.min_face);
    case OPT_NO_PYRAMID: sp->detect.pyramid = 0; return CLI_SET_OK;
    case 'j': return cli_int_arg("jobs", arg, 1, 256, "in 1..256", &a->o.jobs);
    case OPT_JSON: a->o.json = 1; return CLI_SET_OK;
    case 'm': a->o.models = arg; return CLI_SET_OK;
    case 'q': a->quiet = 1; return CLI_SET_OK;
    case OPT_SAMPLING:
        if (lk_sampling_from_name(arg, &sp->video.sampling) != LK_OK) {
            cli_fail("--sampling: '%s' is not scene, rate or keyframes", arg);
            return CLI_SET_FAIL;
        }
        return CLI_SET_OK;
    case OPT_FPS:
        return cli_double_arg("fps", arg, 0, 1000, 1, "a number in (0, 1000]",
                              &sp->video.fps);
    case OPT_SCENE_THRESHOLD:
        return float_arg("scene-threshold", arg, 0, 1, 1,
                         "a number in (0, 1]", &sp->video.scene_threshold);
    case OPT_MAX_SIDE: {
        const char *what = "0 or a size in 64..65536";
        int s = cli_int_arg("max-side", arg, 0, 65536, what,
                            &sp->video.max_side);
        if (s == CLI_SET_OK && sp->video.max_side > 0 &&
            sp->video.max_side < 64) {
            cli_fail("--max-side: '%s' is not %s", arg, what);
            return CLI_SET_FAIL;
        }
        return s;
    }
    case OPT_EMBEDS:
        return cli_int_arg("embeds", arg, 1, 64, "in 1..64",
                           &sp->video.embeds_per_track);
    case OPT_MERGE_GAP:
        return cli_double_arg("merge-gap", arg, 0, 86400, 0,
                              "a number of seconds", &sp->video.merge_gap);
    case OPT_VOICE_THRESHOLD:
        return float_arg("voice-threshold", arg, -1, 1, 0, "a number in -1..1",
                         &sp->voice_threshold);
    case OPT_NO_VOICE: sp->voice = 0; return CLI_SET_OK;
    case OPT_CONTEXT: return context_arg(a, arg);
    case OPT_RECORD:
        a->record = arg;
        a->sp.keep_evidence = 1;     /* the store keeps what a reviewer sees */
        return CLI_SET_OK;
    case OPT_MAX_MEMORY:
        return cli_int_arg("max-memory", arg, 1, 1 << 24,
                           "a number of megabytes (1 or more)",
                           &a->o.max_memory_mb);
    default: return CLI_SET_USAGE;
    }
}

static const cli_command scan_command = {
    "usage: likeness scan --gallery DIR [options] FILE|DIR...\n"
    "\n"
    "Find registered performers' faces in images and videos, and their\n"
    "voices in audio and videos' sound tracks (files told apart by their\n"
    "contents).  Directories are walked recursively, following symbolic\n"
    "links (a link back to an enclosing directory, a loop, is reported as\n"
    "an error and not followed); files are scanned in parallel; a file\n"
    "that cannot be read is reported and the scan goes on.  A video's\n"
    "finding is one appearance of a performer: start and end time, the\n"
    "best frame's time and face, mean and peak score.  Each finding ends\n"
    "with its licence check (licensed, unlicensed, refused, revoked,\n"
    "expired, out-of-scope) and the action for a reviewer: alert (AI\n"
    "evidence without a licence, or a refused use), review (a likeness\n"
    "match alone), licensed.\n"
    "\n",
    scan_options,
    "\n"
    "Exit: 0 nothing found, 1 findings, 2 an error on any file (findings are\n"
    "still reported).\n",
    scan_set};

typedef struct {
    char *text;     /* what to print for this file, once done: the
                       library's (lk_free) unless error in human mode */
    char *warn;     /* human mode: decoding warnings, for stderr (lk_free) */
    char *rec_err;  /* the findings store refused the record (malloc'd) */
    char *log;      /* the library's log messages while scanning it, for
                       stderr (free) */
    int done;
    int matches;
    int faces;
    int error;
    int added, updated;   /* findings new to the store, and seen again */
} scan_slot;

typedef struct {
    lk_engine *eng;
    lk_gallery *gal;
    const lk_scan_params *sp;
    const strvec *files;
    scan_slot *slots;
    lk_findings *store;        /* --record, else NULL */
    const char *context;       /* the context as JSON, for the store */
    int json;
    size_t next;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} scan_job;

static void *scan_worker(void *arg)
{
    scan_job *job = arg;
    lk_session *ses = NULL;
    lk_status ss = lk_session_new(job->eng, &ses);
    char ses_err[1024];
    snprintf(ses_err, sizeof ses_err, "%s", lk_last_error());
    for (;;) {
        pthread_mutex_lock(&job->mu);
        size_t i = job->next++;
        pthread_mutex_unlock(&job->mu);
        if (i >= job->files->n)
            break;
        const char *path = job->files->v[i];
        scan_slot out = {0};
        lk_scan_result *r = NULL;
        /* the file's log messages printed with it, in input order, not
         * between other files' as they happen */
        cli_log_capture(&out.log);
        lk_status s = ss != LK_OK
                          ? ss
                          : lk_scan_file(job->gal, ses, path, job->sp, &r);
        cli_log_capture(NULL);
        if (s != LK_OK) {
            const char *msg = ss != LK_OK ? ses_err : lk_last_error();
            out.error = 1;
            if (job->json) {
                out.text = lk_error_json(path, s, msg);
            } else {
                size_t n = strlen(msg) + strlen(path) + 32;
                out.text = malloc(n);
                if (out.text)
                    snprintf(out.text, n, "%s%s%s",
                             strstr(msg, path) ? "" : path,
                             strstr(msg, path) ? "" : ": ", msg);
            }
        } else {
            out.faces = lk_scan_result_faces(r);
            for (int k = 0; k < lk_scan_result_count(r); k++)
                out.matches +=
                    lk_scan_result_finding(r, k)->decision == LK_MATCH;
            out.text = job->json ? lk_scan_result_json(r)
                                 : lk_scan_result_text(r, LK_TEXT_FINDINGS);
            if (!job->json && lk_scan_result_warning_count(r) > 0)
                out.warn = lk_scan_result_text(r, LK_TEXT_WARNINGS);
            if (job->store &&
                lk_findings_record(job->store, r, NULL, job->context,
                                   &out.added, &out.updated) != LK_OK)
                out.rec_err = strdup(lk_last_error());
            lk_scan_result_free(r);
        }
        pthread_mutex_lock(&job->mu);
        out.done = 1;
        job->slots[i] = out;
        pthread_cond_broadcast(&job->cv);
        pthread_mutex_unlock(&job->mu);
    }
    lk_session_free(ses);
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One line on a terminal's stderr, redrawn in place: files done of all,
 * findings so far, the time left at the pace so far, the file being
 * scanned (its name's end, control characters as '?'). */
static void show_progress(size_t done, size_t n, int found, double elapsed,
                          const char *current)
{
    double left = elapsed / (double)done * (double)(n - done);
    const char *base = strrchr(current, '/');
    base = base ? base + 1 : current;
    size_t len = strlen(base);
    if (len > 40)
        base += len - 40;
    char name[48];
    size_t k = 0;
    for (; base[k] && k < 40; k++)
        name[k] = (unsigned char)base[k] < 0x20 || base[k] == 0x7f ? '?'
                                                                   : base[k];
    name[k] = '\0';
    fprintf(stderr, "\r%zu/%zu files, %d finding%s, %d:%02d left, %s%s",
            done, n, found, found == 1 ? "" : "s", (int)(left / 60),
            (int)left % 60, len > 40 ? "..." : "", name);
}

int cmd_scan(int argc, char **argv)
{
    scan_args a = {.sp = lk_scan_default_params()};
    a.o.jobs = cli_default_jobs();
    switch (cli_parse(&scan_command, argc, argv, &a)) {
    case CLI_HELP: return EXIT_NONE;
    case CLI_BAD: return EXIT_ERROR;
    }
    const cli_opts o = a.o;
    const lk_scan_params sp = a.sp;
    const int quiet = a.quiet;
    if (!o.gallery || optind >= argc) {
        cli_fail("scan needs --gallery and at least one file or directory");
        cli_usage(&scan_command, stderr);
        return EXIT_ERROR;
    }

    strvec files = {0}, bad = {0};
    cli_collect(argv + optind, argc - optind, &files, &bad);
    int jobs = o.jobs > (int)files.n ? (int)files.n : o.jobs;
    if (jobs < 1)
        jobs = 1;

    lk_engine *eng = NULL;
    lk_gallery *gal = NULL;
    lk_findings *store = NULL;
    int rc = EXIT_ERROR;
    lk_status s;
    /* One inference thread per worker when files run in parallel: whole
     * files are the cheaper unit of parallelism. */
    if (cli_open_engine(&o, jobs > 1 ? 1 : 0, &eng) != LK_OK)
        goto out;
    if ((s = lk_gallery_open(o.gallery, eng, 0, &gal)) != LK_OK) {
        cli_fail_status(s);
        goto out;
    }

    int errors = 0, found = 0, faces = 0, matched_files = 0, added = 0,
        updated = 0;
    char *context_json = NULL;
    if (a.record) {
        if ((s = lk_findings_open(a.record, LK_FINDINGS_CREATE, &store)) !=
            LK_OK) {
            cli_fail_status(s);
            goto out;
        }
        context_json = context_as_json(&sp);
    }
    for (size_t i = 0; i + 1 < bad.n; i += 2) {
        errors++;
        if (o.json)
            cli_print_json_line(
                lk_error_json(bad.v[i], LK_ERR_IO, bad.v[i + 1]));
        else
            cli_fail("%s", bad.v[i + 1]);
    }

    scan_job job = {.eng = eng, .gal = gal, .sp = &sp, .files = &files,
                    .store = store, .context = context_json, .json = o.json};
    job.slots = calloc(files.n ? files.n : 1, sizeof *job.slots);
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    if (!job.slots || !th) {
        cli_fail("out of memory");
        free(job.slots);
        free(th);
        goto out;
    }
    pthread_mutex_init(&job.mu, NULL);
    pthread_cond_init(&job.cv, NULL);
    int started = 0;
    for (int t = 0; t < jobs; t++)
        started += pthread_create(&th[t], NULL, scan_worker, &job) == 0;
    if (!started)
        scan_worker(&job);

    /* Print in input order as results arrive, so output is deterministic
     * whatever the number of workers. */
    const int progress = isatty(STDERR_FILENO) && !quiet;
    const double t0 = now_s();
    for (size_t i = 0; i < files.n; i++) {
        pthread_mutex_lock(&job.mu);
        while (!job.slots[i].done)
            pthread_cond_wait(&job.cv, &job.mu);
        scan_slot r = job.slots[i];
        job.slots[i].text = NULL;
        job.slots[i].warn = NULL;
        size_t next = job.next;
        job.slots[i].log = NULL;
        pthread_mutex_unlock(&job.mu);
        if (progress)
            fputs("\r\033[K", stderr);   /* the results print clear of it */
        if (r.log) {
            fflush(stdout);
            fputs(r.log, stderr);
            free(r.log);
        }
        if (r.warn) {
            fflush(stdout);
            fputs(r.warn, stderr);
            lk_free(r.warn);
        }
        if (r.error) {
            errors++;
            if (o.json)
                cli_print_json_line(r.text);
            else {
                cli_fail("%s", r.text ? r.text : "out of memory");
                free(r.text);
            }
        } else {
            faces += r.faces;
            found += r.matches;
            matched_files += r.matches > 0;
            if (o.json)
                cli_print_json_line(r.text);
            else if (r.text) {
                fputs(r.text, stdout);
                lk_free(r.text);
            }
        }
        if (r.rec_err) {
            errors++;
            cli_fail("%s: not recorded: %s", files.v[i], r.rec_err);
            free(r.rec_err);
        }
        added += r.added;
        updated += r.updated;
        if (progress && i + 1 < files.n) {
            fflush(stdout);
            show_progress(i + 1, files.n, found, now_s() - t0,
                          files.v[next < files.n ? next - 1 : files.n - 1]);
        }
    }
    if (progress)
        fputs("\r\033[K", stderr);
    for (int t = 0; t < jobs && started; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&job.mu);
    pthread_cond_destroy(&job.cv);
    free(job.slots);
    free(th);

    if (!o.json && !quiet)
        printf("scanned %zu file%s: %d face%s, %d match%s in %d file%s, "
               "%d error%s\n", files.n, files.n == 1 ? "" : "s", faces,
               faces == 1 ? "" : "s", found, found == 1 ? "" : "es",
               matched_files, matched_files == 1 ? "" : "s", errors,
               errors == 1 ? "" : "s");
    if (store && !quiet)
        fprintf(o.json ? stderr : stdout, "recorded in %s: %d new finding%s, "
                "%d seen again\n", a.record, added, added == 1 ? "" : "s",
                updated);
    free(context_json);
    char detail[160];
    snprintf(detail, sizeof detail, "files=%zu faces=%d matches=%d errors=%d",
             files.n, faces, found, errors);
    /* A gallery that cannot be written (a read-only mount) is still
     * scanned; that the scan went unrecorded is said. */
    if (lk_gallery_audit(gal, "scan", NULL, detail) != LK_OK)
        fprintf(stderr, "likeness: warning: the scan is not recorded in the "
                "audit log: %s\n", lk_last_error());
    rc = errors ? EXIT_ERROR : found ? EXIT_FOUND : EXIT_NONE;
out:
    strvec_free(&files);
    strvec_free(&bad);
    lk_findings_close(store);
    lk_gallery_close(gal);
    lk_engine_free(eng);
    return rc;
}
