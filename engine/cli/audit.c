/*
 * audit.c — `likeness audit verify` (check the audit log's hash chain:
 * exit 0 intact, 1 altered, naming the first altered entry) and
 * `likeness audit list` (its entries, erased ones shown as such).  Both
 * open the gallery read-only and load no model.
 */
#include "cli.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

typedef struct {
    const char *gallery;
    const char *expect;        /* verify's anchor */
    int json;
} audit_args;

enum { OPT_JSON = CLI_LONG_ONLY, OPT_EXPECT };

static const cli_option verify_options[] = {
    {"gallery", 'g', "DIR", "gallery directory"},
    {"expect", OPT_EXPECT, "HASH", "a head hash recorded earlier (64 hex "
     "digits):\nit must be the hash of an entry of the chain"},
    {"json", OPT_JSON, NULL, "one JSON object"},
    CLI_OPTION_HELP,
    {0}};

static const cli_option list_options[] = {
    {"gallery", 'g', "DIR", "gallery directory"},
    {"json", OPT_JSON, NULL, "JSON Lines: one record per entry"},
    CLI_OPTION_HELP,
    {0}};

static int audit_set(void *ctx, int key, const char *arg)
{
    audit_args *a = ctx;
    switch (key) {
    case 'g': a->gallery = arg; break;
    case OPT_EXPECT: a->expect = arg; break;
    case OPT_JSON: a->json = 1; break;
    default: return CLI_SET_USAGE;
    }
    return CLI_SET_OK;
}

static const cli_command verify_command = {
    "usage: likeness audit verify --gallery DIR [--expect HASH] [--json]\n"
    "\n"
    "Check the audit log's hash chain, from its first entry to the head the\n"
    "gallery records, and print the head (its id and hash).  Exit 0 when\n"
    "intact; 1 when altered, naming the first altered entry and what is\n"
    "wrong (changed, deleted, inserted, reordered, truncated, redacted\n"
    "without an erasure, or the --expect hash not in the chain); 2 on error.\n"
    "Tamper-evident, not tamper-proof: whoever can rewrite the whole\n"
    "database can rewrite the chain and its head.  Keep the head hash\n"
    "elsewhere and give it back with --expect to catch that.\n"
    "\n",
    verify_options, NULL, audit_set};

static const cli_command list_command = {
    "usage: likeness audit list --gallery DIR [--json]\n"
    "\n"
    "List the audit log's entries in order, as stored (this does not verify\n"
    "them: see `likeness audit verify`).  An entry of an erased performer\n"
    "shows as erased: the erasure kept only its digests.\n"
    "\n",
    list_options, NULL, audit_set};

static const char usage_text[] =
    "usage: likeness audit verify --gallery DIR [--expect HASH] [--json]\n"
    "       likeness audit list --gallery DIR [--json]\n"
    "\n"
    "  verify   check the audit log's hash chain (exit 1: altered)\n"
    "  list     show its entries\n"
    "\n"
    "`likeness audit <verify|list> --help` describes each.\n";

/* Parse a subcommand's options (no operands) and open its gallery
 * read-only: 0, or -1 with the exit code in *rc. */
static int open_for(const cli_command *cmd, int argc, char **argv,
                    audit_args *a, lk_gallery **gal, int *rc)
{
    switch (cli_parse(cmd, argc, argv, a)) {
    case CLI_HELP: *rc = EXIT_NONE; return -1;
    case CLI_BAD: *rc = EXIT_ERROR; return -1;
    }
    *rc = EXIT_ERROR;
    if (optind < argc) {
        cli_fail("unexpected argument '%s'", argv[optind]);
        cli_usage(cmd, stderr);
        return -1;
    }
    if (!a->gallery) {
        cli_fail("audit %s needs --gallery", argv[0]);
        return -1;
    }
    lk_status s = lk_gallery_open(a->gallery, NULL, LK_GALLERY_READONLY, gal);
    if (s != LK_OK) {
        cli_fail_status(s);
        return -1;
    }
    return 0;
}

static int audit_verify(lk_gallery *gal, const audit_args *ap)
{
    const audit_args a = *ap;
    lk_audit_report r = { .size = sizeof r };
    lk_status s = lk_gallery_audit_verify(gal, a.expect, &r);
    if (s != LK_OK && s != LK_ERR_ALTERED) {
        cli_fail_status(s);
        return EXIT_ERROR;
    }
    if (a.json) {
        json_t *j = json_pack("{s:s,s:b,s:I,s:I,s:I,s:s,s:I}", "gallery",
                              a.gallery, "intact", s == LK_OK, "entries",
                              (json_int_t)r.entries, "redacted",
                              (json_int_t)r.redacted, "head_id",
                              (json_int_t)r.head_id, "head", r.head,
                              "upgraded_through",
                              (json_int_t)r.upgraded_through);
        if (j && s != LK_OK) {
            json_object_set_new(j, "fault", json_string(
                                    lk_audit_fault_name(r.fault)));
            json_object_set_new(j, "entry", json_integer(r.fault_id));
            json_object_set_new(j, "why", json_string(r.why));
        }
        cli_print_json(j);
    } else if (s == LK_OK) {
        printf("audit log intact: %lld entr%s (%lld erased), head %lld %s\n",
               (long long)r.entries, r.entries == 1 ? "y" : "ies",
               (long long)r.redacted, (long long)r.head_id,
               r.head_id ? r.head : "(empty)");
        if (r.upgraded_through)
            printf("entries 1 to %lld were written before the chain and "
                   "chained by the upgrade\n", (long long)r.upgraded_through);
    } else {
        printf("audit log altered: entry %lld: %s: %s\n",
               (long long)r.fault_id, lk_audit_fault_name(r.fault), r.why);
        printf("head recorded: %lld %s\n", (long long)r.head_id,
               r.head_id ? r.head : "(empty)");
    }
    return s == LK_OK ? EXIT_NONE : EXIT_FOUND;
}

static int list_entry(const lk_audit_entry *e, void *user)
{
    int json = *(int *)user;
    int erased = e->redacted || (!e->performer && !strcmp(e->action, "remove"));
    char when[32];
    time_t t = (time_t)e->time;
    struct tm tm;
    if (!gmtime_r(&t, &tm) ||
        !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(when, sizeof when, "%lld", (long long)e->time);
    if (json) {
        cli_print_json(json_pack("{s:I,s:I,s:s,s:s,s:o,s:o,s:b,s:s}", "id",
                                 (json_int_t)e->id, "time",
                                 (json_int_t)e->time, "utc", when, "action",
                                 e->action, "performer",
                                 e->performer ? json_string(e->performer)
                                              : json_null(),
                                 "detail", e->detail ? json_string(e->detail)
                                                     : json_null(),
                                 "redacted", e->redacted != 0, "hash",
                                 e->hash));
    } else {
        printf("%6lld  %s  %-8s %s%s%s\n", (long long)e->id, when,
               cli_text(e->action),
               e->performer ? cli_text(e->performer)
                            : erased ? "(erased)" : "-",
               e->detail ? "  " : "", cli_text(e->detail));
    }
    return 0;
}

static int audit_list(lk_gallery *gal, const audit_args *a)
{
    int json = a->json;
    lk_status s = lk_gallery_audit_entries(gal, list_entry, &json);
    if (s != LK_OK) {
        cli_fail_status(s);
        return EXIT_ERROR;
    }
    return EXIT_NONE;
}

static const struct {
    const char *name;
    const cli_command *cmd;
    int (*run)(lk_gallery *gal, const audit_args *a);
} subcommands[] = {
    {"verify", &verify_command, audit_verify},
    {"list", &list_command, audit_list},
};

int cmd_audit(int argc, char **argv)
{
    for (size_t i = 0; argc >= 2 && i < sizeof subcommands /
                                            sizeof *subcommands; i++) {
        if (strcmp(argv[1], subcommands[i].name) != 0)
            continue;
        audit_args a = {0};
        lk_gallery *gal = NULL;
        int rc;
        if (open_for(subcommands[i].cmd, argc - 1, argv + 1, &a, &gal,
                     &rc) == 0) {
            rc = subcommands[i].run(gal, &a);
            lk_gallery_close(gal);
        }
        return rc;
    }
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(usage_text, stdout);
        return EXIT_NONE;
    }
    if (argc >= 2)
        cli_fail("audit: unknown subcommand '%s'", argv[1]);
    fputs(usage_text, stderr);
    return EXIT_ERROR;
}
