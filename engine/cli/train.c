/*
 * train.c — the trainers: `likeness train-voice` (a speaker embedder) and
 * `likeness train-spoof` (a synthetic-speech detector).
 */
#include "cli.h"

#include <getopt.h>

enum { OPT_COMPONENTS = CLI_LONG_ONLY, OPT_ITERS, OPT_FRAME_STEP };

/* The entries both tables hold alike. */
#define OPTION_OUT {"out", 'o', "FILE", "the model file to write"}
#define OPTION_ITERS                                                        \
    {"iters", OPT_ITERS, "N", "EM iterations after each split (default 10)"}

/* What both trainers take: Gaussians, iterations, frame step. */
static int train_number(int key, const char *arg, int *components,
                        int *iters, int *frame_step)
{
    switch (key) {
    case OPT_COMPONENTS:
        return cli_int_arg("components", arg, 1, 4096, "in 1..4096",
                           components);
    case OPT_ITERS:
        return cli_int_arg("iters", arg, 1, 4096, "in 1..4096", iters);
    case OPT_FRAME_STEP:
        return cli_int_arg("frame-step", arg, 1, 4096, "in 1..4096",
                           frame_step);
    default: return CLI_SET_USAGE;
    }
}

/* ---- train-voice --------------------------------------------------------- */

typedef struct {
    lk_voice_train_params tp;
    const char *out;
} voice_args;

static const cli_option train_voice_options[] = {
    OPTION_OUT,
    {"components", OPT_COMPONENTS, "N",
     "Gaussians (default 256; 64-512 suit 10 min to\n"
     "hours of speech)"},
    OPTION_ITERS,
    {"frame-step", OPT_FRAME_STEP, "N",
     "use every N-th speech frame (default 2)"},
    CLI_OPTION_HELP,
    {0}};

static int train_voice_set(void *ctx, int key, const char *arg)
{
    voice_args *a = ctx;
    if (key == 'o') {
        a->out = arg;
        return CLI_SET_OK;
    }
    return train_number(key, arg, &a->tp.components, &a->tp.iters,
                        &a->tp.frame_step);
}

static const cli_command train_voice_command = {
    "usage: likeness train-voice --out FILE [options] FILE|DIR...\n"
    "\n"
    "Train a speaker embedder (a GMM background model over MFCC features)\n"
    "on the speech in audio or video files; directories are walked.  No\n"
    "speaker labels are needed; use many speakers (the shipped model: 57\n"
    "speakers, 11 min of speech) and none you will evaluate on.  Files that\n"
    "cannot be read or hold no speech are skipped with a warning.\n"
    "\n",
    train_voice_options,
    "\n"
    "Prints the model's sha256 and dimension for its manifest entry (role\n"
    "voice_embed; see models/voice/README.md).  Exit: 0 trained, 2 error.\n",
    train_voice_set};

int cmd_train_voice(int argc, char **argv)
{
    voice_args a = {.tp = lk_voice_train_default_params()};
    switch (cli_parse(&train_voice_command, argc, argv, &a)) {
    case CLI_HELP: return EXIT_NONE;
    case CLI_BAD: return EXIT_ERROR;
    }
    const lk_voice_train_params tp = a.tp;
    const char *out = a.out;
    if (!out || optind >= argc) {
        cli_fail("train-voice needs --out and at least one file or "
                 "directory");
        cli_usage(&train_voice_command, stderr);
        return EXIT_ERROR;
    }
    strvec files = {0}, bad = {0};
    cli_collect(argv + optind, argc - optind, &files, &bad);
    for (size_t i = 1; i < bad.n; i += 2)
        cli_fail("%s", bad.v[i]);
    int rc = EXIT_ERROR;
    if (files.n == 0) {
        cli_fail("train-voice: no files to train on");
    } else {
        fprintf(stderr, "likeness: training %d Gaussians on %zu files...\n",
                tp.components, files.n);
        lk_status s = lk_voice_train((const char *const *)files.v,
                                     (int)files.n, &tp, out);
        if (s != LK_OK) {
            cli_fail_status(s);
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

/* ---- train-spoof --------------------------------------------------------- */

typedef struct {
    lk_spoof_train_params tp;
    const char *out;
    strvec bona, synth, bad;
} spoof_args;

static const cli_option train_spoof_options[] = {
    {"bonafide", 'b', "LIST", "real speech"},
    {"synthetic", 's', "LIST", "synthetic speech"},
    OPTION_OUT,
    {"components", OPT_COMPONENTS, "N", "Gaussians per class (default 512)"},
    OPTION_ITERS,
    {"frame-step", OPT_FRAME_STEP, "N",
     "use every N-th speech frame (default 1)"},
    CLI_OPTION_HELP,
    {0}};

static int train_spoof_set(void *ctx, int key, const char *arg)
{
    spoof_args *a = ctx;
    switch (key) {
    case 'b': cli_read_list(arg, &a->bona, &a->bad); return CLI_SET_OK;
    case 's': cli_read_list(arg, &a->synth, &a->bad); return CLI_SET_OK;
    case 'o': a->out = arg; return CLI_SET_OK;
    default:
        return train_number(key, arg, &a->tp.components, &a->tp.iters,
                            &a->tp.frame_step);
    }
}

static const cli_command train_spoof_command = {
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
    "\n",
    train_spoof_options,
    "\n"
    "The model stores its threshold: the equal-error point of two-fold\n"
    "cross-validation over the training files.  Add it to the manifest as\n"
    "role spoof_detect.  Exit: 0 trained, 2 error.\n",
    train_spoof_set};

/* The training itself, once the options are parsed; the exit code. */
static int train_spoof(const spoof_args *a, int argc)
{
    for (size_t i = 1; i < a->bad.n; i += 2)
        cli_fail("%s", a->bad.v[i]);
    if (!a->out || optind < argc || a->bona.n < 2 || a->synth.n < 2) {
        cli_fail("train-spoof needs --out and two or more files each of "
                 "--bonafide and --synthetic");
        cli_usage(&train_spoof_command, stderr);
        return EXIT_ERROR;
    }
    fprintf(stderr, "likeness: training 2 x %d Gaussians on %zu bona fide "
            "and %zu synthetic files...\n", a->tp.components, a->bona.n,
            a->synth.n);
    lk_status s = lk_spoof_train(
        (const char *const *)a->bona.v, (int)a->bona.n,
        (const char *const *)a->synth.v, (int)a->synth.n, &a->tp, a->out);
    if (s != LK_OK) {
        cli_fail_status(s);
        return EXIT_ERROR;
    }
    printf("wrote %s: spoof_detect model (2 x %d Gaussians)\n", a->out,
           a->tp.components);
    return a->bad.n ? EXIT_ERROR : EXIT_NONE;
}

int cmd_train_spoof(int argc, char **argv)
{
    spoof_args a = {.tp = lk_spoof_train_default_params()};
    int rc = cli_parse(&train_spoof_command, argc, argv, &a);
    rc = rc == CLI_PARSED ? train_spoof(&a, argc)
       : rc == CLI_HELP ? EXIT_NONE : EXIT_ERROR;
    strvec_free(&a.bona);
    strvec_free(&a.synth);
    strvec_free(&a.bad);
    return rc;
}
