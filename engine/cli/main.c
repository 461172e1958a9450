/*
 * main.c — the `likeness` command: each subcommand parses its options and
 * makes a few public API calls.  Exit codes follow clamscan: 0 nothing
 * found, 1 findings, 2 an error (which wins, so a batch job notices it).
 */
#include "likeness.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { EXIT_NONE = 0, EXIT_FOUND = 1, EXIT_ERROR = 2 };

static int verbose;

static void log_to_stderr(lk_log_level level, const char *msg, void *user)
{
    (void)user;
    static const char *names[] = {"error", "warning", "info", "debug"};
    fprintf(stderr, "likeness: %s: %s\n", names[level], msg);
}

static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("likeness: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* The library's detail already names the file and the cause. */
static void fail_status(lk_status s)
{
    const char *d = lk_last_error();
    fail("%s", *d ? d : lk_status_str(s));
}

/* ---- collecting input files ------------------------------------------- */

typedef struct {
    char **v;
    size_t n, cap;
} strvec;

static int strvec_push(strvec *sv, const char *s)
{
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 64;
        char **v = realloc(sv->v, cap * sizeof *v);
        if (!v)
            return -1;
        sv->v = v;
        sv->cap = cap;
    }
    if (!(sv->v[sv->n] = strdup(s)))
        return -1;
    sv->n++;
    return 0;
}

static void strvec_free(strvec *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk a directory in name order.  Symbolic links to directories are not
 * followed (no loops); links to files are scanned as the files. */
/* A directory that cannot be walked: its path, then "path: cause", as the
 * next two entries of errors. */
static void walk_error(strvec *errors, const char *dir, const char *cause)
{
    size_t n = strlen(dir) + strlen(cause) + 3;
    char *m = malloc(n);
    if (m) {
        snprintf(m, n, "%s: %s", dir, cause);
        strvec_push(errors, dir);
        strvec_push(errors, m);
        free(m);
    }
}

static void walk(const char *dir, strvec *files, strvec *errors, int depth)
{
    if (depth > 64) {
        walk_error(errors, dir, "directories nested too deep (over 64)");
        return;
    }
    DIR *d = opendir(dir);
    if (!d) {
        walk_error(errors, dir, strerror(errno));
        return;
    }
    strvec names = {0};
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        strvec_push(&names, e->d_name);
    }
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof *names.v, cmp_str);
    for (size_t i = 0; i < names.n; i++) {
        size_t len = strlen(dir) + strlen(names.v[i]) + 2;
        char *p = malloc(len);
        if (!p)
            break;
        snprintf(p, len, "%s%s%s", dir,
                 dir[strlen(dir) - 1] == '/' ? "" : "/", names.v[i]);
        struct stat lst, st;
        if (lstat(p, &lst) == 0 && S_ISDIR(lst.st_mode))
            walk(p, files, errors, depth + 1);
        else if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            strvec_push(files, p);
        else if (!(lstat(p, &lst) == 0 && S_ISLNK(lst.st_mode) &&
                   stat(p, &st) == 0 && S_ISDIR(st.st_mode)))
            strvec_push(files, p); /* the library names what is wrong */
        free(p);
    }
    strvec_free(&names);
}

static void collect(char **args, int n, strvec *files, strvec *errors)
{
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(args[i], &st) == 0 && S_ISDIR(st.st_mode))
            walk(args[i], files, errors, 0);
        else
            strvec_push(files, args[i]);
    }
}

/* ---- shared options ---------------------------------------------------- */

typedef struct {
    const char *gallery;
    const char *models;
    int json;
    int jobs;
} common_opts;

static lk_status open_engine(const common_opts *o, int threads, lk_engine **eng)
{
    lk_engine_params ep = lk_engine_default_params();
    ep.model_dir = o->models;
    ep.threads = threads;
    lk_status s = lk_engine_open(&ep, eng);
    if (s != LK_OK)
        fail_status(s);
    return s;
}

static int default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* CLI-only records (enrol, list, info); scan records come from the
 * library so that other callers produce the same schema. */
static void print_json(json_t *j)
{
    if (j) {
        char *line = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                   JSON_REAL_PRECISION(6));
        if (line) {
            puts(line);
            free(line);
        }
        json_decref(j);
    }
}

static void print_json_line(char *line)
{
    if (line) {
        fputs(line, stdout);
        fputc('\n', stdout);
        lk_free(line);
    }
}

/* ---- enroll -------------------------------------------------------------- */

static const char enroll_usage[] =
    "usage: likeness enroll --gallery DIR --performer ID [options] FILE|DIR...\n"
    "\n"
    "Register a performer (created when new) and add a template from each\n"
    "file: a face from a photo (it must show one face), a voice from an\n"
    "audio recording or a video's sound track (at least 1 s of speech,\n"
    "16 kHz or better, not clipped; a few recordings of 10 s or more make a\n"
    "good voice).  Files are told apart by their contents; directories are\n"
    "walked.  A file already enrolled for the performer is skipped.\n"
    "\n"
    "  -g, --gallery DIR     gallery directory (created when missing)\n"
    "  -p, --performer ID    the performer's id (your reference, any text)\n"
    "  -n, --name NAME       display name (kept when omitted)\n"
    "      --largest         photos with several faces: take the largest\n"
    "                        (default: refuse such photos)\n"
    "      --json            JSON Lines output\n"
    "  -m, --models DIR      model directory (default: built-in)\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit: 0 every file enrolled or already present, 2 any error.\n";

static int cmd_enroll(int argc, char **argv)
{
    static const struct option lo[] = {
        {"gallery", required_argument, 0, 'g'},
        {"performer", required_argument, 0, 'p'},
        {"name", required_argument, 0, 'n'},
        {"largest", no_argument, 0, 'L'},
        {"json", no_argument, 0, 'J'},
        {"models", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    common_opts o = {0};
    const char *performer = NULL, *name = NULL;
    unsigned flags = 0;
    int c;
    while ((c = getopt_long(argc, argv, "g:p:n:m:h", lo, NULL)) != -1) {
        switch (c) {
        case 'g': o.gallery = optarg; break;
        case 'p': performer = optarg; break;
        case 'n': name = optarg; break;
        case 'L': flags |= LK_ENROLL_LARGEST; break;
        case 'J': o.json = 1; break;
        case 'm': o.models = optarg; break;
        case 'h': fputs(enroll_usage, stdout); return EXIT_NONE;
        default: fputs(enroll_usage, stderr); return EXIT_ERROR;
        }
    }
    if (!o.gallery || !performer || optind >= argc) {
        fail("enroll needs --gallery, --performer and at least one file");
        fputs(enroll_usage, stderr);
        return EXIT_ERROR;
    }

    lk_engine *eng = NULL;
    lk_session *ses = NULL;
    lk_gallery *gal = NULL;
    int rc = EXIT_ERROR;
    lk_status s;
    if (open_engine(&o, 0, &eng) != LK_OK)
        goto out;
    if ((s = lk_session_new(eng, &ses)) != LK_OK ||
        (s = lk_gallery_open(o.gallery, eng, LK_GALLERY_CREATE, &gal)) != LK_OK ||
        (s = lk_gallery_add_performer(gal, performer, name)) != LK_OK) {
        fail_status(s);
        goto out;
    }

    strvec files = {0}, bad = {0};
    collect(argv + optind, argc - optind, &files, &bad);
    int errors = (int)bad.n / 2, added = 0;
    for (size_t i = 1; i < bad.n; i += 2)
        fail("%s", bad.v[i]);
    for (size_t i = 0; i < files.n; i++) {
        lk_enroll_result r;
        s = lk_gallery_enroll(gal, ses, performer, LK_MODALITY_AUTO,
                              files.v[i], flags, &r);
        if (s != LK_OK) {
            errors++;
            if (o.json)
                print_json_line(lk_error_json(files.v[i], s, lk_last_error()));
            else
                fail_status(s);
            continue;
        }
        if (r.modality == LK_MODALITY_VOICE) {
            added += !r.duplicate;
            if (o.json)
                print_json(json_pack("{s:s,s:s,s:s,s:I,s:b,s:f,s:f}", "path",
                                     files.v[i], "performer", performer,
                                     "modality", "voice", "template",
                                     (json_int_t)r.template_id, "duplicate",
                                     r.duplicate, "seconds", r.seconds,
                                     "speech_seconds", r.speech_seconds));
            else if (r.duplicate)
                printf("%s: already enrolled for %s\n", files.v[i], performer);
            else
                printf("%s: voice enrolled for %s (template %lld, %.1f s of "
                       "speech in %.1f s)\n", files.v[i], performer,
                       (long long)r.template_id, r.speech_seconds,
                       r.seconds);
            continue;
        }
        added += !r.duplicate;
        if (o.json) {
            json_t *j = json_pack(
                "{s:s,s:s,s:s,s:I,s:b,s:i,s:[f,f,f,f]}", "path", files.v[i],
                "performer", performer, "modality", "face",
                "template", (json_int_t)r.template_id,
                "duplicate", r.duplicate, "faces", r.faces_found, "box",
                (double)r.face.x, (double)r.face.y, (double)r.face.w,
                (double)r.face.h);
            print_json(j);
        } else if (r.duplicate) {
            printf("%s: already enrolled for %s\n", files.v[i], performer);
        } else {
            printf("%s: enrolled for %s (template %lld, face %.0fx%.0f at "
                   "%.0f,%.0f%s)\n", files.v[i], performer,
                   (long long)r.template_id, r.face.w, r.face.h, r.face.x,
                   r.face.y, r.faces_found > 1 ? ", largest of several" : "");
        }
    }
    if (!o.json)
        printf("%d template%s added for %s, %d error%s\n", added,
               added == 1 ? "" : "s", performer, errors, errors == 1 ? "" : "s");
    rc = errors ? EXIT_ERROR : EXIT_NONE;
    strvec_free(&files);
    strvec_free(&bad);
out:
    lk_gallery_close(gal);
    lk_session_free(ses);
    lk_engine_free(eng);
    return rc;
}

/* ---- scan ---------------------------------------------------------------- */

static const char scan_usage[] =
    "usage: likeness scan --gallery DIR [options] FILE|DIR...\n"
    "\n"
    "Find registered performers' faces in images and videos, and their\n"
    "voices in audio and videos' sound tracks (files told apart by their\n"
    "contents).  Directories are walked recursively; files are scanned\n"
    "in parallel; a file that cannot be read is reported and the scan goes\n"
    "on.  A video's finding is one appearance of a performer: start and end\n"
    "time, the best frame's time and face, mean and peak score.\n"
    "\n"
    "  -g, --gallery DIR     gallery directory\n"
    "  -t, --threshold T     cosine score at or above which a face matches\n"
    "                        (default: the recogniser's calibrated value,\n"
    "                        shown by `likeness info`)\n"
    "      --all             also report faces that match no one\n"
    "      --min-face PX     smallest face side to consider (default 24)\n"
    "      --no-pyramid      skip the tiled search for small faces in large\n"
    "                        images (faster; misses faces under ~1/15 of\n"
    "                        the image width)\n"
    "  -j, --jobs N          files scanned at once (default: cores)\n"
    "      --json            JSON Lines: one record per file\n"
    "  -m, --models DIR      model directory (default: built-in)\n"
    "  -q, --quiet           print findings and errors only, no summary\n"
    "  -h, --help            this text\n"
    "\n"
    "Video (frames are decoded on a second thread; the costs below are for\n"
    "a typical 25-30 fps H.264 stream):\n"
    "      --sampling P      which frames are searched for faces:\n"
    "                        scene      (default) every 1/FPS s and the first\n"
    "                                   frame of each new shot; costs what\n"
    "                                   `rate` costs plus a detector call per\n"
    "                                   cut; misses faces seen < 1/FPS s\n"
    "                                   within one shot\n"
    "                        rate       every 1/FPS s; frames nobody refers to\n"
    "                                   are not decoded (about half of H.264);\n"
    "                                   misses faces and shots < 1/FPS s\n"
    "                        keyframes  keyframes only, the rest undecoded:\n"
    "                                   7-30x less decoding, for triage;\n"
    "                                   misses what lies between keyframes\n"
    "                                   (often several seconds)\n"
    "      --fps N           samples per second for scene and rate (default 2)\n"
    "      --scene-threshold S\n"
    "                        frame change (0..1, on 64x36 grey thumbnails)\n"
    "                        that is a cut when also 3x the recent mean\n"
    "                        (default 0.12; lower finds more cuts)\n"
    "      --max-side PX     faces are embedded from frames scaled to at most\n"
    "                        this longer side (default 1280; 0: full size)\n"
    "      --embeds N        embeddings kept per face track, from its best\n"
    "                        frames; at most 2N computed (default 4)\n"
    "      --merge-gap S     a performer's sightings closer than S seconds\n"
    "                        are one appearance (default 2)\n"
    "\n"
    "Voice (audio files and videos' sound tracks, when the gallery holds\n"
    "voice templates; speech is searched in 4 s windows every 2 s, at\n"
    "about 600x real time per core, decoding included):\n"
    "      --voice-threshold T\n"
    "                        cosine at or above which a voice matches\n"
    "                        (default: the speaker embedder's calibrated\n"
    "                        value, shown by `likeness info`)\n"
    "      --no-voice        do not listen (faces only; sound not decoded)\n"
    "\n"
    "Exit: 0 nothing found, 1 findings, 2 an error on any file (findings are\n"
    "still reported).\n";

typedef struct {
    char *text;     /* what to print for this file, once done: the
                       library's (lk_free) unless error in human mode */
    char *warn;     /* human mode: decoding warnings, for stderr (lk_free) */
    int done;
    int matches;
    int faces;
    int error;
} scan_slot;

typedef struct {
    lk_engine *eng;
    lk_gallery *gal;
    const lk_scan_params *sp;
    const strvec *files;
    scan_slot *slots;
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
        lk_status s = ss != LK_OK ? ss
                                  : lk_scan_file(job->gal, ses, path, job->sp, &r);
        if (s != LK_OK) {
            const char *msg = ss != LK_OK ? ses_err : lk_last_error();
            out.error = 1;
            if (job->json) {
                out.text = lk_error_json(path, s, msg);
            } else {
                size_t n = strlen(msg) + strlen(path) + 32;
                out.text = malloc(n);
                if (out.text)
                    snprintf(out.text, n, "%s%s%s", strstr(msg, path) ? "" : path,
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

static int cmd_scan(int argc, char **argv)
{
    static const struct option lo[] = {
        {"gallery", required_argument, 0, 'g'},
        {"threshold", required_argument, 0, 't'},
        {"all", no_argument, 0, 'A'},
        {"min-face", required_argument, 0, 'F'},
        {"no-pyramid", no_argument, 0, 'P'},
        {"jobs", required_argument, 0, 'j'},
        {"json", no_argument, 0, 'J'},
        {"models", required_argument, 0, 'm'},
        {"quiet", no_argument, 0, 'q'},
        {"sampling", required_argument, 0, 'S'},
        {"fps", required_argument, 0, 'R'},
        {"scene-threshold", required_argument, 0, 'C'},
        {"max-side", required_argument, 0, 'X'},
        {"embeds", required_argument, 0, 'E'},
        {"merge-gap", required_argument, 0, 'G'},
        {"voice-threshold", required_argument, 0, 'V'},
        {"no-voice", no_argument, 0, 'N'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    common_opts o = {0};
    lk_scan_params sp = lk_scan_default_params();
    int quiet = 0, c;
    char *end;
    o.jobs = default_jobs();
    while ((c = getopt_long(argc, argv, "g:t:j:m:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'g': o.gallery = optarg; break;
        case 't':
            sp.threshold = strtof(optarg, &end);
            if (*end || end == optarg || sp.threshold < -1 || sp.threshold > 1) {
                fail("--threshold: '%s' is not a number in -1..1", optarg);
                return EXIT_ERROR;
            }
            break;
        case 'A': sp.report_all = 1; break;
        case 'F':
            sp.detect.min_face = (int)strtol(optarg, &end, 10);
            if (*end || sp.detect.min_face < 1) {
                fail("--min-face: '%s' is not a positive integer", optarg);
                return EXIT_ERROR;
            }
            break;
        case 'P': sp.detect.pyramid = 0; break;
        case 'j':
            o.jobs = (int)strtol(optarg, &end, 10);
            if (*end || o.jobs < 1 || o.jobs > 256) {
                fail("--jobs: '%s' is not in 1..256", optarg);
                return EXIT_ERROR;
            }
            break;
        case 'J': o.json = 1; break;
        case 'm': o.models = optarg; break;
        case 'q': quiet = 1; break;
        case 'S':
            if (lk_sampling_from_name(optarg, &sp.video.sampling) != LK_OK) {
                fail("--sampling: '%s' is not scene, rate or keyframes",
                     optarg);
                return EXIT_ERROR;
            }
            break;
        case 'R':
            sp.video.fps = strtod(optarg, &end);
            if (*end || end == optarg || !(sp.video.fps > 0) ||
                sp.video.fps > 1000) {
                fail("--fps: '%s' is not a number in (0, 1000]", optarg);
                return EXIT_ERROR;
            }
            break;
        case 'C':
            sp.video.scene_threshold = strtof(optarg, &end);
            if (*end || end == optarg || !(sp.video.scene_threshold > 0) ||
                sp.video.scene_threshold > 1) {
                fail("--scene-threshold: '%s' is not a number in (0, 1]",
                     optarg);
                return EXIT_ERROR;
            }
            break;
        case 'X':
            sp.video.max_side = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || sp.video.max_side < 0 ||
                (sp.video.max_side > 0 && sp.video.max_side < 64)) {
                fail("--max-side: '%s' is not 0 or a size of 64 or more",
                     optarg);
                return EXIT_ERROR;
            }
            break;
        case 'E':
            sp.video.embeds_per_track = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || sp.video.embeds_per_track < 1 ||
                sp.video.embeds_per_track > 64) {
                fail("--embeds: '%s' is not in 1..64", optarg);
                return EXIT_ERROR;
            }
            break;
        case 'G':
            sp.video.merge_gap = strtod(optarg, &end);
            if (*end || end == optarg || !(sp.video.merge_gap >= 0) ||
                sp.video.merge_gap > 86400) {
                fail("--merge-gap: '%s' is not a number of seconds", optarg);
                return EXIT_ERROR;
            }
            break;
        case 'V':
            sp.voice_threshold = strtof(optarg, &end);
            if (*end || end == optarg || sp.voice_threshold < -1 ||
                sp.voice_threshold > 1) {
                fail("--voice-threshold: '%s' is not a number in -1..1",
                     optarg);
                return EXIT_ERROR;
            }
            break;
        case 'N': sp.voice = 0; break;
        case 'h': fputs(scan_usage, stdout); return EXIT_NONE;
        default: fputs(scan_usage, stderr); return EXIT_ERROR;
        }
    }
    if (!o.gallery || optind >= argc) {
        fail("scan needs --gallery and at least one file or directory");
        fputs(scan_usage, stderr);
        return EXIT_ERROR;
    }

    strvec files = {0}, bad = {0};
    collect(argv + optind, argc - optind, &files, &bad);
    int jobs = o.jobs > (int)files.n ? (int)files.n : o.jobs;
    if (jobs < 1)
        jobs = 1;

    lk_engine *eng = NULL;
    lk_gallery *gal = NULL;
    int rc = EXIT_ERROR;
    lk_status s;
    /* One inference thread per worker when files run in parallel: whole
     * files are the cheaper unit of parallelism. */
    if (open_engine(&o, jobs > 1 ? 1 : 0, &eng) != LK_OK)
        goto out;
    if ((s = lk_gallery_open(o.gallery, eng, 0, &gal)) != LK_OK) {
        fail_status(s);
        goto out;
    }

    int errors = 0, found = 0, faces = 0, matched_files = 0;
    for (size_t i = 0; i + 1 < bad.n; i += 2) {
        errors++;
        if (o.json)
            print_json_line(lk_error_json(bad.v[i], LK_ERR_IO, bad.v[i + 1]));
        else
            fail("%s", bad.v[i + 1]);
    }

    scan_job job = {.eng = eng, .gal = gal, .sp = &sp, .files = &files,
                    .json = o.json};
    job.slots = calloc(files.n ? files.n : 1, sizeof *job.slots);
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    if (!job.slots || !th) {
        fail("out of memory");
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
    int tty = isatty(STDERR_FILENO);
    for (size_t i = 0; i < files.n; i++) {
        pthread_mutex_lock(&job.mu);
        while (!job.slots[i].done)
            pthread_cond_wait(&job.cv, &job.mu);
        scan_slot r = job.slots[i];
        job.slots[i].text = NULL;
        job.slots[i].warn = NULL;
        pthread_mutex_unlock(&job.mu);
        if (r.warn) {
            fflush(stdout);
            fputs(r.warn, stderr);
            lk_free(r.warn);
        }
        if (r.error) {
            errors++;
            if (o.json)
                print_json_line(r.text);
            else {
                fail("%s", r.text ? r.text : "out of memory");
                free(r.text);
            }
        } else {
            faces += r.faces;
            found += r.matches;
            matched_files += r.matches > 0;
            if (o.json)
                print_json_line(r.text);
            else if (r.text) {
                fputs(r.text, stdout);
                lk_free(r.text);
            }
        }
        if (tty && !quiet)
            fprintf(stderr, "\r%zu/%zu files", i + 1, files.n);
    }
    if (tty && !quiet)
        fputc('\n', stderr);
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
    char detail[160];
    snprintf(detail, sizeof detail, "files=%zu faces=%d matches=%d errors=%d",
             files.n, faces, found, errors);
    lk_gallery_audit(gal, "scan", NULL, detail);
    rc = errors ? EXIT_ERROR : found ? EXIT_FOUND : EXIT_NONE;
out:
    strvec_free(&files);
    strvec_free(&bad);
    lk_gallery_close(gal);
    lk_engine_free(eng);
    return rc;
}

/* ---- inspect --------------------------------------------------------------- */

static const char inspect_usage[] =
    "usage: likeness inspect [--json] FILE|DIR...\n"
    "\n"
    "Print what files say about their provenance, without any gallery:\n"
    "C2PA content credentials (JPEG, PNG, MP4/MOV/HEIF, WAV, MP3: each\n"
    "manifest's claim generator, signer, actions with their IPTC digital\n"
    "source types, ingredients; the active manifest's COSE signature\n"
    "verified and its hash of the file's bytes checked), XMP\n"
    "DigitalSourceType, EXIF/XMP software, and the verdict: declared-ai,\n"
    "likely-synthetic, invalid-manifest (signature invalid, credential\n"
    "expired without a time stamp, or content edited after signing),\n"
    "declared-capture or no-signal.  The signing certificate is not checked\n"
    "against a trust list (none is shipped), nor time stamps.\n"
    "Directories are walked.\n"
    "\n"
    "  --json                JSON Lines: one record per file\n"
    "  -h, --help            this text\n"
    "\n"
    "Exit status: 0 every file no-signal or declared-capture, 1 a file\n"
    "declared-ai, likely-synthetic or invalid-manifest, 2 a file could not be read.\n";

static int cmd_inspect(int argc, char **argv)
{
    static const struct option lo[] = {
        {"json", no_argument, 0, 'J'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int json = 0, c, rc = EXIT_NONE;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'J': json = 1; break;
        case 'h': fputs(inspect_usage, stdout); return EXIT_NONE;
        default: fputs(inspect_usage, stderr); return EXIT_ERROR;
        }
    }
    if (optind >= argc) {
        fputs(inspect_usage, stderr);
        return EXIT_ERROR;
    }
    strvec files = {0}, bad = {0};
    collect(argv + optind, argc - optind, &files, &bad);
    for (size_t i = 0; i + 1 < bad.n; i += 2) {
        if (json)
            print_json_line(lk_error_json(bad.v[i], LK_ERR_IO, bad.v[i + 1]));
        else
            fail("%s", bad.v[i + 1]);
        rc = EXIT_ERROR;
    }
    for (size_t i = 0; i < files.n; i++) {
        lk_provenance *p = NULL;
        lk_status s = lk_provenance_read(files.v[i], &p);
        if (s != LK_OK) {
            if (json)
                print_json_line(lk_error_json(files.v[i], s, lk_last_error()));
            else
                fail_status(s);
            rc = EXIT_ERROR;
            continue;
        }
        char *text = json ? lk_provenance_json(p) : lk_provenance_text(p, 0);
        if (!text) {
            fail("%s: out of memory", files.v[i]);
            rc = EXIT_ERROR;
        } else if (json) {
            print_json_line(text);
        } else {
            fputs(text, stdout);
            lk_free(text);
        }
        if (p->verdict >= LK_VERDICT_INVALID_MANIFEST && rc == EXIT_NONE)
            rc = EXIT_FOUND;
        lk_provenance_free(p);
    }
    strvec_free(&files);
    strvec_free(&bad);
    return rc;
}

/* ---- list, remove, info -------------------------------------------------- */

static const char list_usage[] =
    "usage: likeness list --gallery DIR [--json]\n"
    "\n"
    "List the registered performers with their template counts.\n"
    "\n"
    "  -g, --gallery DIR     gallery directory\n"
    "      --json            JSON Lines: one record per performer\n"
    "  -m, --models DIR      accepted, not used: no model is loaded\n"
    "  -h, --help            this text\n";

static const char remove_usage[] =
    "usage: likeness remove --gallery DIR --performer ID\n"
    "\n"
    "Erase a performer: their record, consent records and every template,\n"
    "from the database and the index.  Freed database pages are overwritten\n"
    "so no embedding bytes remain; the audit log keeps the id and the time.\n"
    "\n"
    "  -g, --gallery DIR     gallery directory\n"
    "  -p, --performer ID    the performer to erase\n"
    "  -m, --models DIR      accepted, not used: no model is loaded\n"
    "  -h, --help            this text\n";

static const char info_usage[] =
    "usage: likeness info [--gallery DIR] [--json]\n"
    "\n"
    "Show the version, the models in use (file, sha256, input, dimension,\n"
    "calibrated threshold) and, with --gallery, the gallery's statistics\n"
    "and the models it records (read from the gallery, not the models).\n"
    "\n"
    "  -g, --gallery DIR     gallery directory\n"
    "      --json            one JSON object\n"
    "  -m, --models DIR      model directory (default: built-in)\n"
    "  -h, --help            this text\n";

/* list/remove/info share one option set; performer is remove's. */
static int parse_simple(int argc, char **argv, const char *usage,
                        common_opts *o, const char **performer, int *help)
{
    static const struct option lo[] = {
        {"gallery", required_argument, 0, 'g'},
        {"performer", required_argument, 0, 'p'},
        {"json", no_argument, 0, 'J'},
        {"models", required_argument, 0, 'm'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    *help = 0;
    while ((c = getopt_long(argc, argv, "g:p:m:h", lo, NULL)) != -1) {
        switch (c) {
        case 'g': o->gallery = optarg; break;
        case 'p':
            if (!performer)
                goto bad;
            *performer = optarg;
            break;
        case 'J': o->json = 1; break;
        case 'm': o->models = optarg; break;
        case 'h': fputs(usage, stdout); *help = 1; return 0;
        default: goto bad;
        }
    }
    if (optind < argc) {
        fail("unexpected argument '%s'", argv[optind]);
        goto bad;
    }
    return 0;
bad:
    fputs(usage, stderr);
    return -1;
}

static int templates_of(const lk_performer_info *p, lk_modality m)
{
    return (int)m < p->n_modalities ? p->templates[m] : 0;
}

static int list_cb(const lk_performer_info *p, void *user)
{
    int json = *(int *)user;
    const int n_face = templates_of(p, LK_MODALITY_FACE);
    const int n_voice = templates_of(p, LK_MODALITY_VOICE);
    if (json)
        print_json(json_pack("{s:s,s:s,s:I,s:i,s:i}", "performer", p->id,
                             "name", p->name, "created",
                             (json_int_t)p->created, "face_templates",
                             n_face, "voice_templates", n_voice));
    else
        printf("%-24s %-32s %d face template%s, %d voice template%s\n",
               p->id, p->name, n_face, n_face == 1 ? "" : "s", n_voice,
               n_voice == 1 ? "" : "s");
    return 0;
}

/* list and remove need no model: the gallery opens with the ones it
 * records (--models is accepted and not used). */
static int with_gallery(const common_opts *o, unsigned flags, lk_gallery **gal)
{
    lk_status s;
    if ((s = lk_gallery_open(o->gallery, NULL, flags, gal)) != LK_OK) {
        fail_status(s);
        return -1;
    }
    return 0;
}

static int cmd_list(int argc, char **argv)
{
    common_opts o = {0};
    int help;
    if (parse_simple(argc, argv, list_usage, &o, NULL, &help) < 0)
        return EXIT_ERROR;
    if (help)
        return EXIT_NONE;
    if (!o.gallery) {
        fail("list needs --gallery");
        return EXIT_ERROR;
    }
    lk_gallery *gal = NULL;
    int rc = EXIT_ERROR;
    if (with_gallery(&o, LK_GALLERY_READONLY, &gal) == 0) {
        lk_status s = lk_gallery_performers(gal, list_cb, &o.json);
        if (s != LK_OK && s != LK_DONE)
            fail_status(s);
        else
            rc = EXIT_NONE;
    }
    lk_gallery_close(gal);
    return rc;
}

static int cmd_remove(int argc, char **argv)
{
    common_opts o = {0};
    const char *performer = NULL;
    int help;
    if (parse_simple(argc, argv, remove_usage, &o, &performer, &help) < 0)
        return EXIT_ERROR;
    if (help)
        return EXIT_NONE;
    if (!o.gallery || !performer) {
        fail("remove needs --gallery and --performer");
        return EXIT_ERROR;
    }
    lk_gallery *gal = NULL;
    int rc = EXIT_ERROR;
    if (with_gallery(&o, 0, &gal) == 0) {
        lk_status s = lk_gallery_remove_performer(gal, performer);
        if (s != LK_OK)
            fail_status(s);
        else {
            printf("removed %s\n", performer);
            rc = EXIT_NONE;
        }
    }
    lk_gallery_close(gal);
    return rc;
}

static int cmd_info(int argc, char **argv)
{
    common_opts o = {0};
    int help;
    if (parse_simple(argc, argv, info_usage, &o, NULL, &help) < 0)
        return EXIT_ERROR;
    if (help)
        return EXIT_NONE;
    lk_engine *eng = NULL;
    lk_gallery *gal = NULL;
    if (open_engine(&o, 0, &eng) != LK_OK)
        return EXIT_ERROR;
    int rc = EXIT_NONE;
    json_t *root = json_pack("{s:s}", "version", lk_version());
    json_t *models = json_array();
    lk_model_info mi;
    for (int i = 0; lk_engine_model(eng, i, &mi) == LK_OK; i++) {
        json_t *m = json_pack("{s:s,s:s,s:s,s:s,s:[i,i,i]}", "id", mi.id,
                              "role", mi.role, "file", mi.file, "sha256",
                              mi.sha256, "input", mi.input_w, mi.input_h,
                              mi.input_c);
        if (mi.sample_rate)
            json_object_set_new(m, "sample_rate", json_integer(mi.sample_rate));
        if (mi.dim)
            json_object_set_new(m, "dim", json_integer(mi.dim));
        if (mi.dim || !strcmp(mi.role, "spoof_detect"))
            json_object_set_new(m, "threshold", json_real(mi.threshold));
        json_array_append_new(models, m);
    }
    json_object_set_new(root, "models", models);
    if (o.gallery) {
        /* What the gallery records, not what the engine would load. */
        lk_status s = lk_gallery_open(o.gallery, NULL, LK_GALLERY_READONLY,
                                      &gal);
        lk_gallery_stats st;
        lk_gallery_modality face, voice;
        if (s == LK_OK &&
            (s = lk_gallery_stats_get(gal, &st)) == LK_OK &&
            (s = lk_gallery_modality_info(gal, LK_MODALITY_FACE, &face)) ==
                LK_OK)
            s = lk_gallery_modality_info(gal, LK_MODALITY_VOICE, &voice);
        if (s != LK_OK) {
            fail_status(s);
            rc = EXIT_ERROR;
        } else {
            json_object_set_new(root, "gallery", json_pack(
                "{s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:i,s:o,s:i}", "path", o.gallery,
                "performers", (json_int_t)st.performers,
                "templates", (json_int_t)face.templates,
                "voice_templates", (json_int_t)voice.templates,
                "generation", (json_int_t)st.generation,
                "db_bytes", (json_int_t)st.db_bytes,
                "face_model", face.model ? face.model : "",
                "face_dim", face.dim,
                "voice_model", voice.model ? json_string(voice.model)
                                           : json_null(),
                "voice_dim", voice.dim));
        }
    }
    if (o.json) {
        print_json(root);
    } else {
        printf("likeness %s\n\nmodels:\n", lk_version());
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(root, "models"), i, m) {
            printf("  %-14s %s\n    file   %s\n    sha256 %s\n",
                   json_string_value(json_object_get(m, "role")),
                   json_string_value(json_object_get(m, "id")),
                   json_string_value(json_object_get(m, "file")),
                   json_string_value(json_object_get(m, "sha256")));
            json_t *in = json_object_get(m, "input");
            if (json_object_get(m, "sample_rate"))
                printf("    input  %lld Hz mono",
                       json_integer_value(json_object_get(m, "sample_rate")));
            else
                printf("    input  %lldx%lldx%lld",
                       json_integer_value(json_array_get(in, 0)),
                       json_integer_value(json_array_get(in, 1)),
                       json_integer_value(json_array_get(in, 2)));
            if (json_object_get(m, "dim"))
                printf(", output %lld-D, calibrated threshold %.3f",
                       json_integer_value(json_object_get(m, "dim")),
                       json_real_value(json_object_get(m, "threshold")));
            else if (json_object_get(m, "threshold"))
                printf(", threshold %.3f (mean log-likelihood ratio)",
                       json_real_value(json_object_get(m, "threshold")));
            putchar('\n');
        }
        json_t *g = json_object_get(root, "gallery");
        if (g) {
            printf("\ngallery %s:\n  performers %lld\n  templates  %lld face, "
                   "%lld voice\n  generation %lld\n  database   %lld bytes\n"
                   "  face model %s (%lld-D)\n", o.gallery,
                   json_integer_value(json_object_get(g, "performers")),
                   json_integer_value(json_object_get(g, "templates")),
                   json_integer_value(json_object_get(g, "voice_templates")),
                   json_integer_value(json_object_get(g, "generation")),
                   json_integer_value(json_object_get(g, "db_bytes")),
                   json_string_value(json_object_get(g, "face_model")),
                   json_integer_value(json_object_get(g, "face_dim")));
            if (json_string_value(json_object_get(g, "voice_model")))
                printf("  voice model %s (%lld-D)\n",
                       json_string_value(json_object_get(g, "voice_model")),
                       json_integer_value(json_object_get(g, "voice_dim")));
        }
        json_decref(root);
    }
    lk_gallery_close(gal);
    lk_engine_free(eng);
    return rc;
}

/* ---- train-voice ----------------------------------------------------------- */

static const char train_voice_usage[] =
    "usage: likeness train-voice --out FILE [options] FILE|DIR...\n"
    "\n"
    "Train a speaker embedder (a GMM background model over MFCC features)\n"
    "on the speech in audio or video files; directories are walked.  No\n"
    "speaker labels are needed; use many speakers (the shipped model: 57\n"
    "speakers, 11 min of speech) and none you will evaluate on.  Files that\n"
    "cannot be read or hold no speech are skipped with a warning.\n"
    "\n"
    "  -o, --out FILE        the model file to write\n"
    "      --components N    Gaussians (default 256; 64-512 suit 10 min to\n"
    "                        hours of speech)\n"
    "      --iters N         EM iterations after each split (default 10)\n"
    "      --frame-step N    use every N-th speech frame (default 2)\n"
    "  -h, --help            this text\n"
    "\n"
    "Prints the model's sha256 and dimension for its manifest entry (role\n"
    "voice_embed; see models/voice/README.md).  Exit: 0 trained, 2 error.\n";

static int cmd_train_voice(int argc, char **argv)
{
    static const struct option lo[] = {
        {"out", required_argument, 0, 'o'},
        {"components", required_argument, 0, 'c'},
        {"iters", required_argument, 0, 'i'},
        {"frame-step", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    lk_voice_train_params tp = lk_voice_train_default_params();
    const char *out = NULL;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        long v = 0;
        if (c == 'c' || c == 'i' || c == 's') {
            v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > 4096) {
                fail("--%s: '%s' is not in 1..4096",
                     c == 'c' ? "components" : c == 'i' ? "iters" : "frame-step",
                     optarg);
                return EXIT_ERROR;
            }
        }
        switch (c) {
        case 'o': out = optarg; break;
        case 'c': tp.components = (int)v; break;
        case 'i': tp.iters = (int)v; break;
        case 's': tp.frame_step = (int)v; break;
        case 'h': fputs(train_voice_usage, stdout); return EXIT_NONE;
        default: fputs(train_voice_usage, stderr); return EXIT_ERROR;
        }
    }
    if (!out || optind >= argc) {
        fail("train-voice needs --out and at least one file or directory");
        fputs(train_voice_usage, stderr);
        return EXIT_ERROR;
    }
    strvec files = {0}, bad = {0};
    collect(argv + optind, argc - optind, &files, &bad);
    for (size_t i = 1; i < bad.n; i += 2)
        fail("%s", bad.v[i]);
    int rc = EXIT_ERROR;
    if (files.n == 0) {
        fail("train-voice: no files to train on");
    } else {
        fprintf(stderr, "likeness: training %d Gaussians on %zu files...\n",
                tp.components, files.n);
        lk_status s = lk_voice_train((const char *const *)files.v,
                                     (int)files.n, &tp, out);
        if (s != LK_OK) {
            fail_status(s);
        } else {
            printf("wrote %s: voice_embed model, dim %d (%d Gaussians x 60)\n",
                   out, tp.components * 60, tp.components);
            rc = bad.n ? EXIT_ERROR : EXIT_NONE;
        }
    }
    strvec_free(&files);
    strvec_free(&bad);
    return rc;
}

/* ---- train-spoof ----------------------------------------------------------- */

static const char train_spoof_usage[] =
    "usage: likeness train-spoof --bonafide LIST --synthetic LIST --out FILE\n"
    "                            [options]\n"
    "\n"
    "Train a synthetic-speech detector (two GMMs over linear-frequency\n"
    "cepstra, bona fide and synthetic) on recordings of real speech and of\n"
    "cloned or synthesised speech.  LIST is a text file of audio or video\n"
    "paths, one per line (blank lines and lines starting with # skipped),\n"
    "or a directory, which is walked; both options may be repeated.  Train\n"
    "on many speakers and several synthesis systems, and evaluate on others\n"
    "(models/spoof/README.md).  Files that cannot be read or hold no speech\n"
    "are skipped with a warning.\n"
    "\n"
    "  -b, --bonafide LIST   real speech\n"
    "  -s, --synthetic LIST  synthetic speech\n"
    "  -o, --out FILE        the model file to write\n"
    "      --components N    Gaussians per class (default 512)\n"
    "      --iters N         EM iterations after each split (default 10)\n"
    "      --frame-step N    use every N-th speech frame (default 1)\n"
    "  -h, --help            this text\n"
    "\n"
    "The model stores its threshold: the equal-error point of two-fold\n"
    "cross-validation over the training files.  Add it to the manifest as\n"
    "role spoof_detect.  Exit: 0 trained, 2 error.\n";

/* The paths a LIST names: a directory's files, or a list file's lines. */
static void read_list(const char *list, strvec *files, strvec *errors)
{
    struct stat st;
    if (stat(list, &st) == 0 && S_ISDIR(st.st_mode)) {
        walk(list, files, errors, 0);
        return;
    }
    FILE *f = fopen(list, "r");
    if (!f) {
        walk_error(errors, list, strerror(errno));
        return;
    }
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] && line[0] != '#')
            strvec_push(files, line);
    }
    fclose(f);
}

static int cmd_train_spoof(int argc, char **argv)
{
    static const struct option lo[] = {
        {"bonafide", required_argument, 0, 'b'},
        {"synthetic", required_argument, 0, 's'},
        {"out", required_argument, 0, 'o'},
        {"components", required_argument, 0, 'c'},
        {"iters", required_argument, 0, 'i'},
        {"frame-step", required_argument, 0, 'f'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    lk_spoof_train_params tp = lk_spoof_train_default_params();
    strvec bona = {0}, synth = {0}, bad = {0};
    const char *out = NULL;
    int c, rc = EXIT_ERROR;
    char *end;
    while ((c = getopt_long(argc, argv, "b:s:o:h", lo, NULL)) != -1) {
        long v = 0;
        if (c == 'c' || c == 'i' || c == 'f') {
            v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > 4096) {
                fail("--%s: '%s' is not in 1..4096",
                     c == 'c' ? "components" : c == 'i' ? "iters" : "frame-step",
                     optarg);
                goto done;
            }
        }
        switch (c) {
        case 'b': read_list(optarg, &bona, &bad); break;
        case 's': read_list(optarg, &synth, &bad); break;
        case 'o': out = optarg; break;
        case 'c': tp.components = (int)v; break;
        case 'i': tp.iters = (int)v; break;
        case 'f': tp.frame_step = (int)v; break;
        case 'h': fputs(train_spoof_usage, stdout); rc = EXIT_NONE; goto done;
        default: fputs(train_spoof_usage, stderr); goto done;
        }
    }
    for (size_t i = 1; i < bad.n; i += 2)
        fail("%s", bad.v[i]);
    if (!out || optind < argc || bona.n < 2 || synth.n < 2) {
        fail("train-spoof needs --out and two or more files each of "
             "--bonafide and --synthetic");
        fputs(train_spoof_usage, stderr);
        goto done;
    }
    fprintf(stderr, "likeness: training 2 x %d Gaussians on %zu bona fide "
            "and %zu synthetic files...\n", tp.components, bona.n, synth.n);
    lk_status s = lk_spoof_train((const char *const *)bona.v, (int)bona.n,
                                 (const char *const *)synth.v, (int)synth.n,
                                 &tp, out);
    if (s != LK_OK) {
        fail_status(s);
    } else {
        printf("wrote %s: spoof_detect model (2 x %d Gaussians)\n", out,
               tp.components);
        rc = bad.n ? EXIT_ERROR : EXIT_NONE;
    }
done:
    strvec_free(&bona);
    strvec_free(&synth);
    strvec_free(&bad);
    return rc;
}

/* ---- main ---------------------------------------------------------------- */

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"enroll", cmd_enroll, "register a performer: faces from photos, voice from recordings"},
    {"scan", cmd_scan, "find registered performers in images, videos and audio"},
    {"list", cmd_list, "list registered performers"},
    {"remove", cmd_remove, "erase a performer and all their templates"},
    {"info", cmd_info, "show models and gallery statistics"},
    {"inspect", cmd_inspect, "show a file's provenance: C2PA credentials, AI labels"},
    {"train-voice", cmd_train_voice, "train a speaker embedder on recordings of speech"},
    {"train-spoof", cmd_train_spoof, "train a synthetic-speech detector on real and synthetic speech"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: likeness [--verbose] <command> [options] [args]\n\n"
               "Likeness %s finds registered performers' faces in media.\n\n"
               "commands:\n", lk_version());
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fputs("\n`likeness <command> --help` describes each command.\n"
          "Exit codes: 0 nothing found, 1 findings, 2 error.\n", f);
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
            verbose++;
        else if (!strcmp(argv[i], "--version")) {
            printf("likeness %s\n", lk_version());
            return EXIT_NONE;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return EXIT_NONE;
        } else {
            fail("unknown option '%s'", argv[i]);
            usage(stderr);
            return EXIT_ERROR;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_ERROR;
    }
    lk_log_set(log_to_stderr, verbose >= 2 ? LK_LOG_DEBUG
                              : verbose ? LK_LOG_INFO : LK_LOG_WARN, NULL);
    if (!strcmp(argv[i], "help")) {
        usage(stdout);
        return EXIT_NONE;
    }
    for (size_t c = 0; c < sizeof commands / sizeof *commands; c++) {
        if (!strcmp(argv[i], commands[c].name)) {
            optind = 1;
            return commands[c].fn(argc - i, argv + i);
        }
    }
    fail("unknown command '%s'", argv[i]);
    usage(stderr);
    return EXIT_ERROR;
}
