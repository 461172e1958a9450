/*
 * inspect.c — `likeness inspect`: what files say about their provenance
 * (the library's record, as text or JSON Lines), without any gallery.
 */
#include "cli.h"

#include <getopt.h>

enum { OPT_JSON = CLI_LONG_ONLY };

static const cli_option inspect_options[] = {
    {"json", OPT_JSON, NULL, "JSON Lines: one record per file"},
    CLI_OPTION_HELP,
    {0}};

static int inspect_set(void *ctx, int key, const char *arg)
{
    (void)arg;
    if (key != OPT_JSON)
        return CLI_SET_USAGE;
    *(int *)ctx = 1;
    return CLI_SET_OK;
}

static const cli_command inspect_command = {
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
    "\n",
    inspect_options,
    "\n"
    "Exit status: 0 every file no-signal or declared-capture, 1 a file\n"
    "declared-ai, likely-synthetic or invalid-manifest, 2 a file could not "
    "be read.\n",
    inspect_set};

int cmd_inspect(int argc, char **argv)
{
    int json = 0, rc = EXIT_NONE;
    switch (cli_parse(&inspect_command, argc, argv, &json)) {
    case CLI_HELP: return EXIT_NONE;
    case CLI_BAD: return EXIT_ERROR;
    }
    if (optind >= argc) {
        cli_usage(&inspect_command, stderr);
        return EXIT_ERROR;
    }
    strvec files = {0}, bad = {0};
    cli_collect(argv + optind, argc - optind, &files, &bad);
    for (size_t i = 0; i + 1 < bad.n; i += 2) {
        if (json)
            cli_print_json_line(
                lk_error_json(bad.v[i], LK_ERR_IO, bad.v[i + 1]));
        else
            cli_fail("%s", bad.v[i + 1]);
        rc = EXIT_ERROR;
    }
    for (size_t i = 0; i < files.n; i++) {
        lk_provenance *p = NULL;
        lk_status s = lk_provenance_read(files.v[i], &p);
        if (s != LK_OK) {
            if (json)
                cli_print_json_line(
                    lk_error_json(files.v[i], s, lk_last_error()));
            else
                cli_fail_status(s);
            rc = EXIT_ERROR;
            continue;
        }
        char *text = json ? lk_provenance_json(p) : lk_provenance_text(p, 0);
        if (!text) {
            cli_fail("%s: out of memory", files.v[i]);
            rc = EXIT_ERROR;
        } else if (json) {
            cli_print_json_line(text);
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
