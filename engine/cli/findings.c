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
#include <time.h>

enum { OPT_JSON = CLI_LONG_ONLY, OPT_STATUS, OPT_ACTION, OPT_REVIEWER,
       OPT_REASON, OPT_FORMAT, OPT_TEMPLATE, OPT_PRINT_TEMPLATE };

typedef struct {
    const char *record, *status, *action, *performer, *reviewer, *reason,
        *format, *output, *template_path;
    int json, print_template;
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

static const cli_option notice_options[] = {
    OPTION_RECORD,
    {"template", OPT_TEMPLATE, "FILE", "the notice's text, with {{field}}s\n"
                                       "(default: the built-in one)"},
    {"print-template", OPT_PRINT_TEMPLATE, NULL,
     "print the built-in template, to edit"},
    CLI_OPTION_HELP, {0}};

/* The notice a union sends, with the facts it needs; {{field}}s are
 * filled from the finding (README.md, "The findings store"). */
static const char DEFAULT_TEMPLATE[] =
    "Subject: Unlicensed use of the likeness of {{performer_name}}\n"
    "\n"
    "Date: {{date}}\n"
    "\n"
    "We act for the performer {{performer_name}} (id {{performer}}).  The\n"
    "content identified below uses their {{modality}} without a licence,\n"
    "and we ask that it be removed.\n"
    "\n"
    "Where: {{where}}\n"
    "When in the content: {{time}}\n"
    "Content SHA-256: {{sha256}}\n"
    "\n"
    "The evidence:\n"
    "- Likeness: score {{score}} (estimated false-match rate {{fmr}})\n"
    "- Provenance: {{provenance}}\n"
    "- AI evidence: {{verdict}}\n"
    "- Licence: {{licence}}\n"
    "\n"
    "Reviewed by {{reviewer}} on {{reviewed}}: {{review_reason}}\n"
    "Finding {{id}} of our records.\n";

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
    case OPT_TEMPLATE: a->template_path = arg; break;
    case OPT_PRINT_TEMPLATE: a->print_template = 1; break;
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
static const cli_command notice_command = {
    "usage: likeness findings notice --record CASES.db [--template FILE] ID\n"
    "       likeness findings notice --print-template\n"
    "\n"
    "Draft a take-down notice for a confirmed finding: where and when in the\n"
    "content, whose likeness, the evidence and the content's hash, and that\n"
    "no licence covers it, from a template the union can edit ({{field}}s:\n"
    "date, performer, performer_name, modality, where, time, sha256, score,\n"
    "fmr, provenance, verdict, licence, reviewer, reviewed, review_reason,\n"
    "id).\n"
    "\n",
    notice_options, NULL, findings_set};

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

/* The value of {{field}} for finding f (its JSON, as lk_findings_get()
 * gives it) into buf. */
static const char *field_of(json_t *f, const char *name, char *buf,
                            size_t n)
{
    json_t *fi = json_object_get(f, "finding");
    json_t *pr = json_object_get(f, "provenance");
    json_t *rv = json_object_get(f, "reviews");
    json_t *last = json_array_get(rv, json_array_size(rv) - 1);
    buf[0] = '\0';
    if (!strcmp(name, "date")) {
        time_t t = time(NULL);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, n, "%Y-%m-%d", &tm);
    } else if (!strcmp(name, "performer_name")) {
        const char *nm = json_string_value(json_object_get(fi, "name"));
        snprintf(buf, n, "%s", nm && *nm ? nm : json_string_value(
                                   json_object_get(f, "performer")));
    } else if (!strcmp(name, "where")) {
        size_t k = 0, i;
        json_t *e;
        json_array_foreach(json_object_get(f, "seen"), i, e) {
            json_t *c = json_object_get(e, "context");
            char *ctx = json_is_object(c) ? json_dumps(c, JSON_COMPACT |
                                                       JSON_SORT_KEYS)
                                          : NULL;
            if (k < n)
                k += (size_t)snprintf(buf + k, n - k, "%s%s (%s%sfirst seen "
                                      "%s)", i ? "; " : "",
                                      json_string_value(json_object_get(
                                          e, "path")),
                                      ctx ? ctx : "", ctx ? ", " : "",
                                      json_string_value(json_object_get(
                                          e, "first_seen")));
            free(ctx);
        }
    } else if (!strcmp(name, "time")) {
        const char *type = json_string_value(json_object_get(f, "type"));
        if (type && !strcmp(type, "image"))
            snprintf(buf, n, "the whole image");
        else
            snprintf(buf, n, "%.2f s to %.2f s",
                     json_number_value(json_object_get(f, "start")),
                     json_number_value(json_object_get(f, "end")));
    } else if (!strcmp(name, "score")) {
        snprintf(buf, n, "%.3f", json_number_value(json_object_get(f,
                                                                   "score")));
    } else if (!strcmp(name, "fmr")) {
        double v = json_number_value(json_object_get(f, "fmr"));
        snprintf(buf, n, v > 0 ? "1 in %.0f" : "not known", v > 0 ? 1 / v : 0);
    } else if (!strcmp(name, "provenance")) {
        const char *st = json_string_value(json_object_get(pr, "source_type"));
        const char *sg = json_string_value(json_object_get(pr, "signer"));
        snprintf(buf, n, "C2PA %s, signature %s%s%s%s%s",
                 json_is_true(json_object_get(pr, "c2pa")) ? "present"
                                                           : "absent",
                 json_string_value(json_object_get(pr, "signature")),
                 sg ? ", signed by " : "", sg ? sg : "",
                 st ? ", declared source type " : "", st ? st : "");
    } else if (!strcmp(name, "licence")) {
        json_t *l = json_object_get(fi, "licence");
        snprintf(buf, n, "%s: %s",
                 json_string_value(json_object_get(l, "status")),
                 json_string_value(json_object_get(l, "reason")));
    } else if (!strcmp(name, "reviewer") || !strcmp(name, "reviewed") ||
               !strcmp(name, "review_reason")) {
        const char *k = !strcmp(name, "reviewer") ? "reviewer"
                        : !strcmp(name, "reviewed") ? "time" : "reason";
        snprintf(buf, n, "%s", json_string_value(json_object_get(last, k)));
    } else if (!strcmp(name, "id")) {
        snprintf(buf, n, "%lld",
                 (long long)json_integer_value(json_object_get(f, "id")));
    } else {
        json_t *v = json_object_get(f, name);
        if (!json_is_string(v))
            return NULL;
        snprintf(buf, n, "%s", json_string_value(v));
    }
    return buf;
}

/* The template with every {{field}} filled; -1 naming an unknown one. */
static int write_notice(const char *tmpl, json_t *f, FILE *out)
{
    for (const char *p = tmpl; *p;) {
        const char *o = strstr(p, "{{");
        if (!o) {
            fputs(p, out);
            break;
        }
        fwrite(p, 1, (size_t)(o - p), out);
        const char *c = strstr(o + 2, "}}");
        char name[64], buf[4096];
        size_t len = c ? (size_t)(c - o - 2) : 0;
        if (!c || len == 0 || len >= sizeof name) {
            cli_fail("template: an unclosed or empty {{field}}");
            return -1;
        }
        memcpy(name, o + 2, len);
        name[len] = '\0';
        const char *v = field_of(f, name, buf, sizeof buf);
        if (!v) {
            cli_fail("template: unknown field {{%s}} (see likeness findings "
                     "notice --help)", name);
            return -1;
        }
        fputs(v, out);
        p = c + 2;
    }
    return 0;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_fail("%s: cannot read the template", path);
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *b = malloc(cap + 1);
    if (b)
        n = fread(b, 1, cap, f);
    int more = b && fgetc(f) != EOF;
    fclose(f);
    if (!b || more) {
        cli_fail("%s: %s", path, b ? "a template is at most 64 KiB"
                                   : "out of memory");
        free(b);
        return NULL;
    }
    b[n] = '\0';
    return b;
}

static int findings_main(const cli_command *cmd, const char *name, int argc,
                         char **argv)
{
    findings_args a = {0};
    switch (cli_parse(cmd, argc, argv, &a)) {
    case CLI_HELP: return EXIT_NONE;
    case CLI_BAD: return EXIT_ERROR;
    }
    if (cmd == &notice_command && a.print_template) {
        fputs(DEFAULT_TEMPLATE, stdout);
        return EXIT_NONE;
    }
    const int want_id = cmd == &show_command || cmd == &mark_command ||
                        cmd == &notice_command;
    if (!a.record || (want_id ? optind != argc - 1 : optind != argc)) {
        cli_fail(!a.record ? "findings %s needs --record"
                 : want_id ? "findings %s needs one finding ID"
                           : "findings %s takes no operand", name);
        cli_usage(cmd, stderr);
        return EXIT_ERROR;
    }
    int64_t id = 0;
    if (want_id && cli_id_arg(argv[optind], "finding", "findings list", &id) != 0)
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
    } else if (cmd == &notice_command) {
        if ((s = lk_findings_get(fs, id, &json)) == LK_OK) {
            json_t *o = json_loads(json, 0, NULL);
            const char *st = json_string_value(json_object_get(o, "state"));
            char *tmpl = a.template_path ? read_text(a.template_path) : NULL;
            if (st && strcmp(st, "confirmed") && strcmp(st, "notice-sent"))
                cli_fail("finding %lld is %s: a notice is drafted for a "
                         "confirmed finding (findings mark --status "
                         "confirmed)", (long long)id, st);
            else if (tmpl || !a.template_path) {
                /* all or nothing: a bad field prints no half notice */
                char *text = NULL;
                size_t len = 0;
                FILE *m = open_memstream(&text, &len);
                int w = m ? write_notice(tmpl ? tmpl : DEFAULT_TEMPLATE, o,
                                         m) : -1;
                if (m && fclose(m) != 0)
                    w = -1;
                if (w == 0) {
                    fwrite(text, 1, len, stdout);
                    rc = EXIT_NONE;
                }
                free(text);
            }
            free(tmpl);
            json_decref(o);
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
        {"notice", &notice_command},
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
    fputs("usage: likeness findings <list|show|mark|export|notice> --record "
          "CASES.db "
          "[options]\n\n"
          "The findings store that `likeness scan --record` fills: review\n"
          "states, reasons, exports.  `likeness findings <sub> --help`\n"
          "describes each.\n", help ? stdout : stderr);
    return help ? EXIT_NONE : EXIT_ERROR;
}
