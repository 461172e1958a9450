/*
 * findings.c — `likeness findings` (list, show, mark, export): the
 * findings store that `likeness scan --record` fills, as a review team
 * works from it.  No model and no gallery are loaded.
 */
#include "cli.h"

#include <getopt.h>
#include <pwd.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_JSON = CLI_LONG_ONLY, OPT_STATUS, OPT_ACTION, OPT_REVIEWER,
       OPT_REASON, OPT_FORMAT };

typedef struct {
    const char *record, *status, *action, *performer, *reviewer, *reason,
        *format, *output;
    int json;
} findings_args;

#define OPTION_RECORD {"record", 'r', "CASES.db", "the findings store"}
#define OPTION_FILTERS                                                      \
    {"status", OPT_STATUS, "S", "only findings in this review state: new,\n" \
                                "confirmed, dismissed, notice-sent,\n"       \
                                "resolved"},                                \
    {"action", OPT_ACTION, "A", "only this action: alert, review, licensed"}, \
    {"performer", 'p', "ID", "only this performer's"}

static const cli_option list_options[] = {
    OPTION_RECORD, OPTION_FILTERS,
    {"json", OPT_JSON, NULL, "JSON Lines: one finding per line"},
    CLI_OPTION_HELP, {0}};
static const cli_option show_options[] = {
    OPTION_RECORD,
    {"json", OPT_JSON, NULL, "one line of JSON (default: indented)"},
    CLI_OPTION_HELP, {0}};
static const cli_option mark_options[] = {
    OPTION_RECORD,
    {"status", OPT_STATUS, "S", "the new state: confirmed, dismissed,\n"
                                "notice-sent, resolved"},
    {"reviewer", OPT_REVIEWER, "NAME", "who decides (default: $LOGNAME, else\n"
                                       "the user's name)"},
    {"reason", OPT_REASON, "TEXT", "why (required)"},
    CLI_OPTION_HELP, {0}};
static const cli_option export_options[] = {
    OPTION_RECORD, OPTION_FILTERS,
    {"format", OPT_FORMAT, "F", "csv (default) or jsonl"},
    {"output", 'o', "FILE", "write there (default: standard output)"},
    CLI_OPTION_HELP, {0}};

static int findings_set(void *ctx, int key, const char *arg)
{
    findings_args *a = ctx;
    switch (key) {
    case 'r': a->record = arg; break;
    case 'p': a->performer = arg; break;
    case 'o': a->output = arg; break;
    case OPT_JSON: a->json = 1; break;
    case OPT_STATUS: a->status = arg; break;
    case OPT_ACTION: a->action = arg; break;
    case OPT_REVIEWER: a->reviewer = arg; break;
    case OPT_REASON: a->reason = arg; break;
    case OPT_FORMAT:
        if (strcmp(arg, "csv") && strcmp(arg, "jsonl")) {
            cli_fail("--format: '%s' is not csv or jsonl", arg);
            return CLI_SET_FAIL;
        }
        a->format = arg;
        break;
    default: return CLI_SET_USAGE;
    }
    return CLI_SET_OK;
}

static const cli_command list_command = {
    "usage: likeness findings list --record CASES.db [--status S]\n"
    "         [--action A] [--performer ID] [--json]\n"
    "\n"
    "The findings of the store, oldest first: id, state, action, licence,\n"
    "performer, where and when in the file, score and false-match rate.\n"
    "\n",
    list_options, NULL, findings_set};
static const cli_command show_command = {
    "usage: likeness findings show --record CASES.db [--json] ID\n"
    "\n"
    "One finding: what the scan said, every place it was seen, and every\n"
    "change of its review state.\n"
    "\n",
    show_options, NULL, findings_set};
static const cli_command mark_command = {
    "usage: likeness findings mark --record CASES.db --status S --reason TEXT\n"
    "         [--reviewer NAME] ID\n"
    "\n"
    "Move a finding's review state: new -> confirmed | dismissed;\n"
    "confirmed -> notice-sent | dismissed; dismissed -> confirmed;\n"
    "notice-sent -> resolved.  Every change keeps the reviewer, the time and\n"
    "the reason.\n"
    "\n",
    mark_options, NULL, findings_set};
static const cli_command export_command = {
    "usage: likeness findings export --record CASES.db [--format csv|jsonl]\n"
    "         [filters] [-o FILE]\n"
    "\n"
    "The findings as CSV (a header line, then one row each: RFC 4180\n"
    "quoting) or JSON Lines.\n"
    "\n",
    export_options, NULL, findings_set};

/* A CSV field, quoted when it must be (RFC 4180); a leading =, +, - or @
 * gets a ' in front, so that a spreadsheet does not run it as a formula. */
static void csv_field(FILE *f, const char *s, int last)
{
    s = s ? s : "";
    int quote = strpbrk(s, ",\"\r\n") != NULL;
    int guard = strchr("=+-@", s[0]) && s[0];
    if (quote || guard)
        fputc('"', f);
    if (guard)
        fputc('\'', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    if (quote || guard)
        fputc('"', f);
    fputs(last ? "\r\n" : ",", f);
}

static const char *CSV_COLUMNS[] = {
    "id", "state", "action", "licence", "performer", "modality", "type",
    "path", "start", "end", "score", "fmr", "verdict", "sha256",
    "first_seen", "last_seen", "scans", "reason", NULL};

static void csv_row(FILE *f, json_t *r)
{
    for (int c = 0; CSV_COLUMNS[c]; c++) {
        const char *k = CSV_COLUMNS[c];
        json_t *v = !strcmp(k, "reason")
                        ? json_object_get(json_object_get(json_object_get(
                              r, "finding"), "licence"), "reason")
                        : json_object_get(r, k);
        char buf[64];
        const char *s = json_string_value(v);
        if (json_is_integer(v)) {
            snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
            s = buf;
        } else if (json_is_real(v)) {
            snprintf(buf, sizeof buf, "%.6g", json_real_value(v));
            s = buf;
        }
        csv_field(f, s, CSV_COLUMNS[c + 1] == NULL);
    }
}

static void text_row(json_t *r)
{
    char fmr[32] = "-";
    json_t *v = json_object_get(r, "fmr");
    if (json_is_number(v) && json_number_value(v) > 0)
        snprintf(fmr, sizeof fmr, "1 in %.0f", 1.0 / json_number_value(v));
    char when[64] = "";
    const char *type = json_string_value(json_object_get(r, "type"));
    if (type && strcmp(type, "image"))
        snprintf(when, sizeof when, " %.2f-%.2f s",
                 json_number_value(json_object_get(r, "start")),
                 json_number_value(json_object_get(r, "end")));
    printf("%-6lld %-11s %-8s %-12s %-16s %-5s %s%s score %.3f fmr %s\n",
           (long long)json_integer_value(json_object_get(r, "id")),
           json_string_value(json_object_get(r, "state")),
           json_string_value(json_object_get(r, "action")),
           json_string_value(json_object_get(r, "licence")),
           json_string_value(json_object_get(r, "performer")),
           json_string_value(json_object_get(r, "modality")),
           json_string_value(json_object_get(r, "path")), when,
           json_number_value(json_object_get(r, "score")), fmr);
}

static int parse_id(const char *arg, int64_t *id)
{
    char *end;
    long long v = arg ? strtoll(arg, &end, 10) : 0;
    if (!arg || *end || end == arg || v <= 0) {
        cli_fail("'%s' is not a finding id (a positive number, as "
                 "`likeness findings list` shows)", arg ? arg : "");
        return -1;
    }
    *id = v;
    return 0;
}

static int findings_main(const cli_command *cmd, const char *name, int argc,
                         char **argv)
{
    findings_args a = {0};
    switch (cli_parse(cmd, argc, argv, &a)) {
    case CLI_HELP: return EXIT_NONE;
    case CLI_BAD: return EXIT_ERROR;
    }
    const int want_id = cmd == &show_command || cmd == &mark_command;
    if (!a.record || (want_id ? optind != argc - 1 : optind != argc)) {
        cli_fail(!a.record ? "findings %s needs --record"
                 : want_id ? "findings %s needs one finding ID"
                           : "findings %s takes no operand", name);
        cli_usage(cmd, stderr);
        return EXIT_ERROR;
    }
    int64_t id = 0;
    if (want_id && parse_id(argv[optind], &id) != 0)
        return EXIT_ERROR;
    lk_review_state to = LK_REVIEW_NEW;
    if (cmd == &mark_command) {
        if (!a.status || !a.reason) {
            cli_fail("findings mark needs --status and --reason");
            return EXIT_ERROR;
        }
        if (lk_review_state_from_name(a.status, &to) != LK_OK) {
            cli_fail("--status: %s", lk_last_error());
            return EXIT_ERROR;
        }
        if (!a.reviewer)
            a.reviewer = getenv("LOGNAME");
        struct passwd *pw;
        if (!a.reviewer && (pw = getpwuid(geteuid())))
            a.reviewer = pw->pw_name;
        if (!a.reviewer || !*a.reviewer) {
            cli_fail("findings mark needs --reviewer (no $LOGNAME, no user "
                     "name)");
            return EXIT_ERROR;
        }
    }
    lk_findings *fs = NULL;
    lk_status s = lk_findings_open(a.record, cmd == &mark_command
                                                 ? 0 : LK_FINDINGS_READONLY,
                                   &fs);
    int rc = EXIT_ERROR;
    char *json = NULL;
    if (s != LK_OK) {
        cli_fail_status(s);
        return EXIT_ERROR;
    }
    if (cmd == &mark_command) {
        s = lk_findings_mark(fs, id, to, a.reviewer, a.reason);
        if (s == LK_OK) {
            printf("finding %lld: %s\n", (long long)id, a.status);
            rc = EXIT_NONE;
        }
    } else if (cmd == &show_command) {
        if ((s = lk_findings_get(fs, id, &json)) == LK_OK) {
            json_t *o = json_loads(json, 0, NULL);
            char *out = a.json ? NULL
                               : json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
            puts(out ? out : json);
            free(out);
            json_decref(o);
            rc = EXIT_NONE;
        }
    } else if ((s = lk_findings_list(fs, a.status, a.action, a.performer,
                                     &json)) == LK_OK) {
        json_t *arr = json_loads(json, 0, NULL);
        FILE *f = stdout;
        if (cmd == &export_command && a.output && !(f = fopen(a.output, "w")))
            cli_fail("%s: cannot write", a.output);
        size_t i;
        json_t *e;
        const int csv = cmd == &export_command &&
                        (!a.format || !strcmp(a.format, "csv"));
        if (f && csv)
            for (int c = 0; CSV_COLUMNS[c]; c++)
                csv_field(f, CSV_COLUMNS[c], CSV_COLUMNS[c + 1] == NULL);
        json_array_foreach(arr, i, e) {
            if (!f)
                break;
            if (csv) {
                csv_row(f, e);
            } else if (cmd == &export_command || a.json) {
                char *line = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
                if (line)
                    fprintf(f, "%s\n", line);
                free(line);
            } else {
                text_row(e);
            }
        }
        if (f && f != stdout && fclose(f) != 0)
            f = NULL;
        rc = f ? EXIT_NONE : EXIT_ERROR;
        json_decref(arr);
    }
    if (s != LK_OK)
        cli_fail_status(s);
    lk_free(json);
    lk_findings_close(fs);
    return rc;
}

int cmd_findings(int argc, char **argv)
{
    static const struct {
        const char *name;
        const cli_command *cmd;
    } subs[] = {
        {"list", &list_command}, {"show", &show_command},
        {"mark", &mark_command}, {"export", &export_command},
    };
    for (size_t i = 0; argc >= 2 && i < sizeof subs / sizeof *subs; i++)
        if (!strcmp(argv[1], subs[i].name))
            return findings_main(subs[i].cmd, subs[i].name, argc - 1,
                                 argv + 1);
    const int help = argc >= 2 && (!strcmp(argv[1], "--help") ||
                                   !strcmp(argv[1], "-h"));
    if (!help)
        cli_fail(argc >= 2 ? "findings: unknown subcommand '%s'"
                           : "findings needs a subcommand%s",
                 argc >= 2 ? argv[1] : "");
    fputs("usage: likeness findings <list|show|mark|export> --record CASES.db "
          "[options]\n\n"
          "The findings store that `likeness scan --record` fills: review\n"
          "states, reasons, exports.  `likeness findings <sub> --help`\n"
          "describes each.\n", help ? stdout : stderr);
    return help ? EXIT_NONE : EXIT_ERROR;
}
