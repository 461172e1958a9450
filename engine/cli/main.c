/*
 * main.c — the `likeness` command: the global options, the list of
 * commands and their dispatch.  Each command lives in a file of its own
 * (cli.h says which) and makes a few public API calls.  Exit codes follow
 * clamscan: 0 nothing found, 1 findings, 2 an error (which wins, so a
 * batch job notices it).
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static int verbose;

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
    {"consent", cmd_consent, "record, list, revoke, export and import licences"},
    {"policy", cmd_policy, "set or show a performer's standing refusal"},
    {"findings", cmd_findings, "review the findings a scan recorded: list, show, mark, export, notice"},
    {"report", cmd_report, "write the recorded findings as a self-contained HTML page"},
    {"audit", cmd_audit, "verify the gallery's tamper-evident audit log, or list it"},
    {"inspect", cmd_inspect, "show a file's provenance: C2PA credentials, AI labels"},
    {"train-voice", cmd_train_voice, "train a speaker embedder on recordings of speech"},
    {"train-spoof", cmd_train_spoof, "train a synthetic-speech detector on real and synthetic speech"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: likeness [--verbose] <command> [options] [args]\n\n"
               "Likeness %s finds registered performers' faces and voices in media.\n\n"
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
            cli_fail("unknown option '%s'", argv[i]);
            usage(stderr);
            return EXIT_ERROR;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return EXIT_ERROR;
    }
    lk_log_set(cli_log, verbose >= 2 ? LK_LOG_DEBUG
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
    cli_fail("unknown command '%s'", argv[i]);
    usage(stderr);
    return EXIT_ERROR;
}
