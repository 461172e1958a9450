/*
 * enroll.c — `likeness enroll`: register a performer and add a template
 * from each file, a face from a photo or a voice from a recording.
 */
#include "cli.h"

#include <getopt.h>

typedef struct {
    cli_opts o;
    const char *performer, *name;
    unsigned flags;
} enroll_args;

enum { OPT_LARGEST = CLI_LONG_ONLY, OPT_JSON };

static const cli_option enroll_options[] = {
    {"gallery", 'g', "DIR", "gallery directory (created when missing)"},
    {"performer", 'p', "ID", "the performer's id (your reference, any text)"},
    {"name", 'n', "NAME", "display name (kept when omitted)"},
    {"largest", OPT_LARGEST, NULL, "photos with several faces: take the "
                                   "largest\n(default: refuse such photos)"},
    {"json", OPT_JSON, NULL, "JSON Lines output"},
    CLI_OPTION_MODELS,
    CLI_OPTION_HELP,
    {0}};

static int enroll_set(void *ctx, int key, const char *arg)
{
    enroll_args *a = ctx;
    switch (key) {
    case 'g': a->o.gallery = arg; break;
    case 'p': a->performer = arg; break;
    case 'n': a->name = arg; break;
    case OPT_LARGEST: a->flags |= LK_ENROLL_LARGEST; break;
    case OPT_JSON: a->o.json = 1; break;
    case 'm': a->o.models = arg; break;
    default: return CLI_SET_USAGE;
    }
    return CLI_SET_OK;
}

static const cli_command enroll_command = {
    "usage: likeness enroll --gallery DIR --performer ID [options] FILE|DIR...\n"
    "\n"
    "Register a performer (created when new) and add a template from each\n"
    "file: a face from a photo (it must show one face), a voice from an\n"
    "audio recording or a video's sound track (at least 1 s of speech,\n"
    "16 kHz or better, not clipped; a few recordings of 10 s or more make a\n"
    "good voice).  Files are told apart by their contents; directories are\n"
    "walked.  A file already enrolled for the performer is skipped.\n"
    "\n",
    enroll_options,
    "\n"
    "Exit: 0 every file enrolled or already present, 2 any error.\n",
    enroll_set};

int cmd_enroll(int argc, char **argv)
{
    enroll_args a = {0};
    switch (cli_parse(&enroll_command, argc, argv, &a)) {
    case CLI_HELP: return EXIT_NONE;
    case CLI_BAD: return EXIT_ERROR;
    }
    const cli_opts o = a.o;
    const char *performer = a.performer, *name = a.name;
    const unsigned flags = a.flags;
    if (!o.gallery || !performer || optind >= argc) {
        cli_fail("enroll needs --gallery, --performer and at least one file");
        cli_usage(&enroll_command, stderr);
        return EXIT_ERROR;
    }

    lk_engine *eng = NULL;
    lk_session *ses = NULL;
    lk_gallery *gal = NULL;
    int rc = EXIT_ERROR;
    lk_status s;
    if (cli_open_engine(&o, 0, &eng) != LK_OK)
        goto out;
    if ((s = lk_session_new(eng, &ses)) != LK_OK ||
        (s = lk_gallery_open(o.gallery, eng, LK_GALLERY_CREATE, &gal)) !=
            LK_OK ||
        (s = lk_gallery_add_performer(gal, performer, name)) != LK_OK) {
        cli_fail_status(s);
        goto out;
    }

    strvec files = {0}, bad = {0};
    cli_collect(argv + optind, argc - optind, &files, &bad);
    int errors = (int)bad.n / 2, added = 0;
    for (size_t i = 1; i < bad.n; i += 2)
        cli_fail("%s", bad.v[i]);
    for (size_t i = 0; i < files.n; i++) {
        lk_enroll_result r;
        s = lk_gallery_enroll(gal, ses, performer, LK_MODALITY_AUTO,
                              files.v[i], flags, &r);
        if (s != LK_OK) {
            errors++;
            if (o.json)
                cli_print_json_line(
                    lk_error_json(files.v[i], s, lk_last_error()));
            else
                cli_fail_status(s);
            continue;
        }
        if (r.modality == LK_MODALITY_VOICE) {
            added += !r.duplicate;
            if (o.json)
                cli_print_json(json_pack(
                    "{s:s,s:s,s:s,s:I,s:b,s:f,s:f}", "path", files.v[i],
                    "performer", performer, "modality", "voice", "template",
                    (json_int_t)r.template_id, "duplicate", r.duplicate,
                    "seconds", r.seconds, "speech_seconds",
                    r.speech_seconds));
            else if (r.duplicate)
                printf("%s: already enrolled for %s\n", cli_text(files.v[i]),
                       cli_text(performer));
            else
                printf("%s: voice enrolled for %s (template %lld, %.1f s of "
                       "speech in %.1f s)\n", cli_text(files.v[i]), cli_text(performer),
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
            cli_print_json(j);
        } else if (r.duplicate) {
            printf("%s: already enrolled for %s\n", cli_text(files.v[i]),
                       cli_text(performer));
        } else {
            printf("%s: enrolled for %s (template %lld, face %.0fx%.0f at "
                   "%.0f,%.0f%s)\n", cli_text(files.v[i]), cli_text(performer),
                   (long long)r.template_id, r.face.w, r.face.h, r.face.x,
                   r.face.y, r.faces_found > 1 ? ", largest of several" : "");
        }
    }
    if (!o.json)
        printf("%d template%s added for %s, %d error%s\n", added,
               added == 1 ? "" : "s", cli_text(performer), errors,
               errors == 1 ? "" : "s");
    rc = errors ? EXIT_ERROR : EXIT_NONE;
    strvec_free(&files);
    strvec_free(&bad);
out:
    lk_gallery_close(gal);
    lk_session_free(ses);
    lk_engine_free(eng);
    return rc;
}
