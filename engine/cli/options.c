/*
 * options.c — the one options parser of the `likeness` command: each
 * command declares its options in a table (cli_option), from which both
 * getopt_long's arguments and the command's --help are made, so that the
 * help and the parsing cannot disagree.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* The help's option column: "  -g, --gallery DIR" then the text from
 * column 24, or on the next line when the option is wider. */
enum { HELP_COLUMN = 24 };

static int is_short(int key)
{
    return key > 0 && key < CLI_LONG_ONLY &&
           ((key >= 'a' && key <= 'z') || (key >= 'A' && key <= 'Z'));
}

static void option_help(const cli_option *o, FILE *f)
{
    int w;
    if (is_short(o->key))
        w = fprintf(f, "  -%c, --%s", o->key, o->name);
    else
        w = fprintf(f, "      --%s", o->name);
    if (o->arg)
        w += fprintf(f, " %s", o->arg);
    if (w > HELP_COLUMN - 2) {
        fputc('\n', f);
        w = 0;
    }
    for (const char *s = o->help; *s; s++) {
        for (; w < HELP_COLUMN; w++)
            fputc(' ', f);
        fputc(*s, f);
        w = *s == '\n' ? 0 : w + 1;
    }
    fputc('\n', f);
}

void cli_usage(const cli_command *cmd, FILE *f)
{
    fputs(cmd->synopsis, f);
    for (const cli_option *o = cmd->options; o->name || o->help; o++) {
        if (!o->name)
            fprintf(f, "%s\n", o->help);
        else if (o->help)
            option_help(o, f);
    }
    if (cmd->epilog)
        fputs(cmd->epilog, f);
}

int cli_parse(const cli_command *cmd, int argc, char **argv, void *ctx)
{
    size_t n = 0;
    for (const cli_option *o = cmd->options; o->name || o->help; o++)
        n += o->name != NULL;
    struct option *lo = calloc(n + 1, sizeof *lo);
    char *shorts = malloc(2 * n + 1);
    int rc = CLI_BAD;
    if (!lo || !shorts) {
        cli_fail("out of memory");
        goto out;
    }
    size_t k = 0, s = 0;
    for (const cli_option *o = cmd->options; o->name || o->help; o++) {
        if (!o->name)
            continue;
        lo[k++] = (struct option){o->name, o->arg ? required_argument
                                                  : no_argument, 0, o->key};
        if (is_short(o->key)) {
            shorts[s++] = (char)o->key;
            if (o->arg)
                shorts[s++] = ':';
        }
    }
    shorts[s] = '\0';
    int c;
    while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        if (c == 'h') {
            cli_usage(cmd, stdout);
            rc = CLI_HELP;
            goto out;
        }
        int set = c == '?' || c == ':' ? CLI_SET_USAGE
                                       : cmd->set(ctx, c, optarg);
        if (set == CLI_SET_USAGE)
            cli_usage(cmd, stderr);
        if (set != CLI_SET_OK)
            goto out;
    }
    rc = CLI_PARSED;
out:
    free(lo);
    free(shorts);
    return rc;
}

int cli_int_arg(const char *name, const char *arg, long lo, long hi,
                const char *what, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (*end || end == arg || errno || v < lo || v > hi) {
        cli_fail("--%s: '%s' is not %s", name, arg, what);
        return CLI_SET_FAIL;
    }
    *out = (int)v;
    return CLI_SET_OK;
}

int cli_double_arg(const char *name, const char *arg, double lo, double hi,
                   int open_lo, const char *what, double *out)
{
    char *end;
    double v = strtod(arg, &end);
    if (*end || end == arg || !(open_lo ? v > lo : v >= lo) || !(v <= hi)) {
        cli_fail("--%s: '%s' is not %s", name, arg, what);
        return CLI_SET_FAIL;
    }
    *out = v;
    return CLI_SET_OK;
}

int cli_id_arg(const char *arg, const char *what, const char *listing,
               int64_t *id)
{
    char *end;
    long long v = arg ? strtoll(arg, &end, 10) : 0;
    if (!arg || *end || end == arg || v <= 0) {
        cli_fail("'%s' is not a %s id (a positive number, as `likeness %s` "
                 "shows)", arg ? arg : "", what, listing);
        return -1;
    }
    *id = v;
    return 0;
}
