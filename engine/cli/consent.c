/*
 * consent.c — `likeness consent` (add, amend, list, show, revoke, export,
 * import) and `likeness policy`: licence records and standing refusals.
 * The record is built here as the JSON object the library reads
 * (README.md "Licences"); the library checks every field and names the
 * one at fault.  No model is loaded.
 */
#include "cli.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    OPT_JSON = CLI_LONG_ONLY, OPT_USE, OPT_MODALITY, OPT_LICENSEE,
    OPT_LICENSEE_CERT, OPT_LICENSEE_KEY, OPT_CHANNEL, OPT_DOMAIN,
    OPT_PROJECT, OPT_PROJECT_ID, OPT_ASSET_SHA, OPT_ASSET, OPT_TERRITORY,
    OPT_FROM, OPT_TO, OPT_REF, OPT_EVIDENCE, OPT_NOTICE, OPT_DESCRIPTION,
    OPT_VERSION, OPT_AT, OPT_REASON, OPT_NEVER, OPT_CLEAR, OPT_OUTPUT
};

/* What the options say of a record: each field given replaces the
 * record's (amend starts from the record as it stands). */
typedef struct {
    cli_opts o;
    const char *performer, *modality, *licensee, *project, *from, *to, *ref,
        *evidence, *notice, *description, *at, *reason, *never, *output;
    strvec uses, keys, certs, channels, domains, project_ids, assets,
        asset_files, territories;
    int version, clear;
} consent_args;

static const cli_option record_options[] = {
    {"gallery", 'g', "DIR", "gallery directory"},
    {"performer", 'p', "ID", "the performer (add; must be registered)"},
    {"use", OPT_USE, "USE[,USE]",
     "permitted uses (repeatable): digital-double,\n"
     "voice-clone, de-ageing, dubbing,\n"
     "synthetic-performance, advertising, ai-training"},
    {"modality", OPT_MODALITY, "M", "what is licensed: face, voice or all"},
    {"licensee", OPT_LICENSEE, "NAME", "who is licensed"},
    {"licensee-cert", OPT_LICENSEE_CERT, "PEM",
     "a certificate the licensee signs C2PA content\n"
     "with (its public key's SHA-256 is kept)"},
    {"licensee-key-sha256", OPT_LICENSEE_KEY, "HEX",
     "the SHA-256 of such a public key (repeatable)"},
    {"channel", OPT_CHANNEL, "ID", "a platform channel id of the licensee's\n"
                                   "(repeatable)"},
    {"domain", OPT_DOMAIN, "NAME", "a domain of the licensee's (repeatable;\n"
                                   "its subdomains count too)"},
    {"project", OPT_PROJECT, "TITLE", "the project's title"},
    {"project-id", OPT_PROJECT_ID, "SCHEME:ID",
     "an identifier of the project: eidr:10.5240/…,\n"
     "isan:…, isrc:… (repeatable)"},
    {"asset-sha256", OPT_ASSET_SHA, "HEX",
     "the SHA-256 of a licensed deliverable\n(repeatable)"},
    {"asset", OPT_ASSET, "FILE", "a licensed deliverable, hashed here\n"
                                 "(repeatable)"},
    {"territory", OPT_TERRITORY, "CC[,CC]",
     "ISO 3166-1 alpha-2 codes (default: worldwide)"},
    {"from", OPT_FROM, "DATE", "first day of the term, YYYY-MM-DD"},
    {"to", OPT_TO, "DATE", "last day of the term (default: open)"},
    {"ref", OPT_REF, "TEXT", "compensation reference"},
    {"evidence", OPT_EVIDENCE, "FILE",
     "the signed consent document (its SHA-256 is\nkept, not the file)"},
    {"notice", OPT_NOTICE, "DATE", "when notice was given (with --evidence)"},
    {"description", OPT_DESCRIPTION, "TEXT", "the use, in words"},
    {"json", OPT_JSON, NULL, "print the record as JSON, not its id"},
    CLI_OPTION_HELP,
    {0}};

static const cli_option list_options[] = {
    {"gallery", 'g', "DIR", "gallery directory"},
    {"performer", 'p', "ID", "only this performer's records"},
    {"json", OPT_JSON, NULL, "JSON Lines: one record per line"},
    CLI_OPTION_HELP,
    {0}};

static const cli_option show_options[] = {
    {"gallery", 'g', "DIR", "gallery directory"},
    {"version", OPT_VERSION, "N", "this version (default: the current one)"},
    {"json", OPT_JSON, NULL, "one line of JSON (default: indented)"},
    CLI_OPTION_HELP,
    {0}};

static const cli_option revoke_options[] = {
    {"gallery", 'g', "DIR", "gallery directory"},
    {"at", OPT_AT, "DATE", "revoked from (YYYY-MM-DD or\n"
                           "YYYY-MM-DDTHH:MM:SSZ; default: now)"},
    {"reason", OPT_REASON, "TEXT", "why, in words"},
    CLI_OPTION_HELP,
    {0}};

static const cli_option export_options[] = {
    {"gallery", 'g', "DIR", "gallery directory"},
    {"performer", 'p', "ID", "only this performer's records and refusal"},
    {"output", 'o', "FILE", "write there (default: standard output)"},
    CLI_OPTION_HELP,
    {0}};

static const cli_option import_options[] = {
    {"gallery", 'g', "DIR", "gallery directory"},
    CLI_OPTION_HELP,
    {0}};

static const cli_option policy_options[] = {
    {"gallery", 'g', "DIR", "gallery directory"},
    {"performer", 'p', "ID", "the performer"},
    {"never", OPT_NEVER, "USE[,USE]",
     "uses the performer never allows (replaces\n"
     "the refusal): digital-double, voice-clone,\n"
     "de-ageing, dubbing, synthetic-performance,\n"
     "advertising, ai-training"},
    {"clear", OPT_CLEAR, NULL, "withdraw the standing refusal"},
    {"json", OPT_JSON, NULL, "print the refusal as JSON"},
    CLI_OPTION_HELP,
    {0}};

static int push(strvec *v, const char *arg)
{
    if (strvec_push(v, arg) != 0) {
        cli_fail("out of memory");
        return CLI_SET_FAIL;
    }
    return CLI_SET_OK;
}

/* "a,b" pushed as a and b. */
static int push_list(strvec *v, const char *arg)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", arg);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
         t = strtok_r(NULL, ",", &save))
        if (push(v, t) != CLI_SET_OK)
            return CLI_SET_FAIL;
    return CLI_SET_OK;
}

static int consent_set(void *ctx, int key, const char *arg)
{
    consent_args *a = ctx;
    switch (key) {
    case 'g': a->o.gallery = arg; break;
    case 'p': a->performer = arg; break;
    case 'o': a->output = arg; break;
    case OPT_JSON: a->o.json = 1; break;
    case OPT_USE: return push_list(&a->uses, arg);
    case OPT_MODALITY: a->modality = arg; break;
    case OPT_LICENSEE: a->licensee = arg; break;
    case OPT_LICENSEE_CERT: return push(&a->certs, arg);
    case OPT_LICENSEE_KEY: return push(&a->keys, arg);
    case OPT_CHANNEL: return push(&a->channels, arg);
    case OPT_DOMAIN: return push(&a->domains, arg);
    case OPT_PROJECT: a->project = arg; break;
    case OPT_PROJECT_ID: return push(&a->project_ids, arg);
    case OPT_ASSET_SHA: return push(&a->assets, arg);
    case OPT_ASSET: return push(&a->asset_files, arg);
    case OPT_TERRITORY: return push_list(&a->territories, arg);
    case OPT_FROM: a->from = arg; break;
    case OPT_TO: a->to = arg; break;
    case OPT_REF: a->ref = arg; break;
    case OPT_EVIDENCE: a->evidence = arg; break;
    case OPT_NOTICE: a->notice = arg; break;
    case OPT_DESCRIPTION: a->description = arg; break;
    case OPT_VERSION:
        return cli_int_arg("version", arg, 1, INT_MAX, "a version number",
                           &a->version);
    case OPT_AT: a->at = arg; break;
    case OPT_REASON: a->reason = arg; break;
    case OPT_NEVER: a->never = arg; break;
    case OPT_CLEAR: a->clear = 1; break;
    default: return CLI_SET_USAGE;
    }
    return CLI_SET_OK;
}

static void args_free(consent_args *a)
{
    strvec *v[] = {&a->uses, &a->keys, &a->certs, &a->channels, &a->domains,
                   &a->project_ids, &a->assets, &a->asset_files,
                   &a->territories};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        strvec_free(v[i]);
}

static json_t *strs_json(const strvec *v)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < v->n; i++)
        json_array_append_new(a, json_string(v->v[i]));
    return a;
}

/* The sub-object key of o, made when absent. */
static json_t *sub(json_t *o, const char *key)
{
    json_t *s = json_object_get(o, key);
    if (!json_is_object(s)) {
        s = json_object();
        json_object_set_new(o, key, s);
    }
    return s;
}

static void set_str(json_t *o, const char *key, const char *v)
{
    if (v)
        json_object_set_new(o, key, json_string(v));
}

static void set_strs(json_t *o, const char *key, const strvec *v)
{
    if (v->n)
        json_object_set_new(o, key, strs_json(v));
}

/* Apply the options to record r.  0, or -1 with the message printed. */
static int apply(const consent_args *a, json_t *r)
{
    set_str(r, "performer", a->performer);
    if (a->modality) {
        json_t *m = !strcmp(a->modality, "all")
                        ? json_pack("[s,s]", "face", "voice")
                        : json_pack("[s]", a->modality);
        json_object_set_new(r, "modalities", m);
    }
    set_strs(r, "uses", &a->uses);
    set_str(r, "description", a->description);
    if (a->licensee || a->keys.n || a->certs.n || a->channels.n ||
        a->domains.n) {
        json_t *l = sub(r, "licensee");
        set_str(l, "name", a->licensee);
        if (a->keys.n || a->certs.n) {
            json_t *keys = strs_json(&a->keys);
            for (size_t i = 0; i < a->certs.n; i++) {
                char h[65];
                lk_status s = lk_certificate_key_sha256(a->certs.v[i], h);
                if (s != LK_OK) {
                    cli_fail("--licensee-cert: %s", lk_last_error());
                    json_decref(keys);
                    return -1;
                }
                json_array_append_new(keys, json_string(h));
            }
            json_object_set_new(l, "key_sha256", keys);
        }
        set_strs(l, "channels", &a->channels);
        set_strs(l, "domains", &a->domains);
    }
    if (a->project || a->project_ids.n) {
        json_t *p = sub(r, "project");
        set_str(p, "title", a->project);
        set_strs(p, "ids", &a->project_ids);
    }
    if (a->assets.n || a->asset_files.n) {
        json_t *as = strs_json(&a->assets);
        for (size_t i = 0; i < a->asset_files.n; i++) {
            char h[65];
            if (lk_file_sha256(a->asset_files.v[i], h) != LK_OK) {
                cli_fail("--asset: %s", lk_last_error());
                json_decref(as);
                return -1;
            }
            json_array_append_new(as, json_string(h));
        }
        json_object_set_new(r, "assets", as);
    }
    set_strs(r, "territories", &a->territories);
    set_str(r, "from", a->from);
    set_str(r, "to", a->to);
    set_str(r, "compensation_ref", a->ref);
    if (a->evidence) {
        char h[65];
        if (lk_file_sha256(a->evidence, h) != LK_OK) {
            cli_fail("--evidence: %s", lk_last_error());
            return -1;
        }
        json_t *e = sub(r, "consent_evidence");
        set_str(e, "sha256", h);
    }
    if (a->notice)
        set_str(sub(r, "consent_evidence"), "notice", a->notice);
    return 0;
}

static int open_gallery(const consent_args *a, unsigned flags,
                        lk_gallery **gal)
{
    if (!a->o.gallery) {
        cli_fail("--gallery is needed");
        return -1;
    }
    lk_status s = lk_gallery_open(a->o.gallery, NULL, flags, gal);
    if (s != LK_OK) {
        cli_fail_status(s);
        return -1;
    }
    return 0;
}

static int print_record(lk_gallery *gal, int64_t id, int version, int json)
{
    char *rec = NULL;
    lk_status s = lk_licence_get(gal, id, version, &rec);
    if (s != LK_OK) {
        cli_fail_status(s);
        return EXIT_ERROR;
    }
    if (json) {
        cli_print_json_line(rec);
        return EXIT_NONE;
    }
    json_t *o = json_loads(rec, 0, NULL);
    lk_free(rec);
    char *pretty = o ? json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (pretty)
        puts(pretty);
    free(pretty);
    return pretty ? EXIT_NONE : EXIT_ERROR;
}

static const cli_command add_command = {
    "usage: likeness consent add --gallery DIR --performer ID --use USE[,USE]\n"
    "         --modality face|voice|all --licensee NAME [--licensee-cert PEM]\n"
    "         [--licensee-key-sha256 HEX] [--channel ID] [--domain NAME]\n"
    "         [--project TITLE] [--project-id SCHEME:ID] [--asset-sha256 HEX]\n"
    "         [--asset FILE] [--territory CC,…] --from DATE [--to DATE]\n"
    "         [--ref TEXT] [--evidence FILE [--notice DATE]]\n"
    "\n"
    "Record a licence: version 1 of a new record, whose id is printed.  A\n"
    "finding is licensed only when the content proves the licensee: a valid\n"
    "C2PA manifest signed by one of its keys, a registered deliverable's\n"
    "hash, or the channel or domain the scan's --context names.\n"
    "\n",
    record_options, NULL, consent_set};

static const cli_command amend_command = {
    "usage: likeness consent amend --gallery DIR [record options] ID\n"
    "\n"
    "A new version of record ID: the options given replace those fields\n"
    "(a list option replaces the whole list); the rest stays as it is.\n"
    "The versions before stay readable (consent show --version).\n"
    "\n",
    record_options, NULL, consent_set};

static const cli_command list_command = {
    "usage: likeness consent list --gallery DIR [--performer ID] [--json]\n"
    "\n"
    "The current version of every licence record.\n"
    "\n",
    list_options, NULL, consent_set};

static const cli_command show_command = {
    "usage: likeness consent show --gallery DIR [--version N] [--json] ID\n"
    "\n"
    "One licence record, as JSON.\n"
    "\n",
    show_options, NULL, consent_set};

static const cli_command revoke_command = {
    "usage: likeness consent revoke --gallery DIR [--at DATE] [--reason TEXT] ID\n"
    "\n"
    "Revoke record ID: a new version with status revoked.  Findings judged\n"
    "at or after that time are \"revoked\", not licensed.\n"
    "\n",
    revoke_options, NULL, consent_set};

static const cli_command export_command = {
    "usage: likeness consent export --gallery DIR [--performer ID] [-o FILE]\n"
    "\n"
    "Every version of every licence record and the standing refusals, as\n"
    "one JSON document that `likeness consent import` reads.\n"
    "\n",
    export_options, NULL, consent_set};

static const cli_command import_command = {
    "usage: likeness consent import --gallery DIR FILE\n"
    "\n"
    "Read an export: records new here are added, known ones gain the\n"
    "versions they lack, newer refusals replace older ones; all or nothing.\n"
    "A version that differs from the one held here is refused.\n"
    "\n",
    import_options, NULL, consent_set};

static const cli_command policy_command = {
    "usage: likeness policy --gallery DIR --performer ID [--never USE[,USE] | --clear]\n"
    "\n"
    "A performer's standing refusal: uses they never allow, kept apart from\n"
    "any licence.  A finding whose use is refused is \"refused\" and an\n"
    "alert, whatever a licence says; a licence cannot be added for a refused\n"
    "use.  Without --never or --clear, shows the refusal.\n"
    "\n",
    policy_options, NULL, consent_set};

static void uses_names(unsigned uses, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = 0;
    for (unsigned b = 1; b && b <= uses && k < n; b <<= 1)
        if (uses & b)
            k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? "," : "",
                                  lk_use_name((lk_use)b));
}

/* A list of strings of a JSON array joined by sep into buf. */
static const char *joined(json_t *arr, const char *sep, char *buf, size_t n)
{
    size_t k = 0, i;
    json_t *e;
    buf[0] = 0;
    json_array_foreach(arr, i, e)
        if (k < n)
            k += (size_t)snprintf(buf + k, n - k, "%s%s", i ? sep : "",
                                  json_string_value(e));
    return buf;
}

static void list_line(json_t *r)
{
    char uses[256], mods[32], terr[256];
    const char *to = json_string_value(json_object_get(r, "to"));
    json_t *t = json_object_get(r, "territories");
    printf("%-6lld %-20s v%-3lld %-8s %-24s %-28s %-11s %-12s %s..%s\n",
           (long long)json_integer_value(json_object_get(r, "id")),
           cli_text(json_string_value(json_object_get(r, "performer"))),
           (long long)json_integer_value(json_object_get(r, "version")),
           json_string_value(json_object_get(r, "status")),
           cli_text(json_string_value(json_object_get(
               json_object_get(r, "licensee"), "name"))),
           joined(json_object_get(r, "uses"), ",", uses, sizeof uses),
           joined(json_object_get(r, "modalities"), ",", mods, sizeof mods),
           t ? joined(t, ",", terr, sizeof terr) : "worldwide",
           json_string_value(json_object_get(r, "from")), to ? to : "");
}

static int consent_main(const cli_command *cmd, const char *sub_name,
                        int argc, char **argv)
{
    consent_args a = {0};
    int rc = EXIT_ERROR;
    lk_gallery *gal = NULL;
    switch (cli_parse(cmd, argc, argv, &a)) {
    case CLI_HELP: args_free(&a); return EXIT_NONE;
    case CLI_BAD: args_free(&a); return EXIT_ERROR;
    }
    const int want_operand = cmd == &amend_command || cmd == &show_command ||
                             cmd == &revoke_command || cmd == &import_command;
    if ((want_operand && optind != argc - 1) ||
        (!want_operand && optind != argc)) {
        if (want_operand && optind >= argc)
            cli_fail("consent %s needs %s", sub_name,
                     cmd == &import_command ? "a FILE" : "a record ID");
        else
            cli_fail("unexpected argument '%s'", argv[want_operand ? optind + 1
                                                                    : optind]);
        cli_usage(cmd, stderr);
        goto out;
    }
    const char *operand = want_operand ? argv[optind] : NULL;
    lk_status s;
    int64_t id = 0;
    if (cmd == &add_command || cmd == &amend_command) {
        json_t *r = NULL;
        if (cmd == &amend_command) {
            char *cur = NULL;
            if (cli_id_arg(operand, "licence record", "consent list", &id) != 0 ||
                open_gallery(&a, 0, &gal) != 0)
                goto out;
            if ((s = lk_licence_get(gal, id, 0, &cur)) != LK_OK) {
                cli_fail_status(s);
                goto out;
            }
            r = json_loads(cur, 0, NULL);
            lk_free(cur);
        } else {
            if (!a.performer || !a.uses.n || !a.modality || !a.licensee ||
                !a.from) {
                cli_fail("consent add needs --performer, --use, --modality, "
                         "--licensee and --from");
                cli_usage(cmd, stderr);
                goto out;
            }
            r = json_object();
        }
        if (a.modality && strcmp(a.modality, "face") &&
            strcmp(a.modality, "voice") && strcmp(a.modality, "all")) {
            cli_fail("--modality: '%s' is not face, voice or all", a.modality);
            json_decref(r);
            goto out;
        }
        if (!r || apply(&a, r) != 0) {
            json_decref(r);
            goto out;
        }
        char *text = json_dumps(r, JSON_COMPACT);
        json_decref(r);
        if (!gal && open_gallery(&a, 0, &gal) != 0) {
            free(text);
            goto out;
        }
        int version = 1;
        s = cmd == &add_command ? lk_licence_add(gal, text, &id)
                                : lk_licence_amend(gal, id, text, &version);
        free(text);
        if (s != LK_OK) {
            cli_fail_status(s);
            goto out;
        }
        if (a.o.json)
            rc = print_record(gal, id, 0, 1);
        else {
            printf(cmd == &add_command ? "%lld\n" : "%lld version %d\n",
                   (long long)id, version);
            rc = EXIT_NONE;
        }
    } else if (cmd == &list_command) {
        char *list = NULL;
        if (open_gallery(&a, LK_GALLERY_READONLY, &gal) != 0)
            goto out;
        if ((s = lk_licence_list(gal, a.performer, &list)) != LK_OK) {
            cli_fail_status(s);
            goto out;
        }
        json_t *arr = json_loads(list, 0, NULL);
        lk_free(list);
        size_t i;
        json_t *e;
        if (!a.o.json && json_array_size(arr))
            printf("%-6s %-20s %-4s %-8s %-24s %-28s %-11s %-12s %s\n", "id",
                   "performer", "ver", "status", "licensee", "uses",
                   "modalities", "territories", "term");
        json_array_foreach(arr, i, e) {
            if (a.o.json)
                cli_print_json(json_incref(e));
            else
                list_line(e);
        }
        json_decref(arr);
        rc = EXIT_NONE;
    } else if (cmd == &show_command) {
        if (cli_id_arg(operand, "licence record", "consent list", &id) == 0 &&
            open_gallery(&a, LK_GALLERY_READONLY, &gal) == 0)
            rc = print_record(gal, id, a.version, a.o.json);
    } else if (cmd == &revoke_command) {
        int64_t at = 0;
        if (a.at) {
            struct tm tm = {0};
            const char *end = strptime(a.at, strlen(a.at) == 10 ? "%Y-%m-%d"
                                                 : "%Y-%m-%dT%H:%M:%SZ", &tm);
            if (!end || *end) {
                cli_fail("--at: '%s' is not a date (YYYY-MM-DD or "
                         "YYYY-MM-DDTHH:MM:SSZ)", a.at);
                goto out;
            }
            at = (int64_t)timegm(&tm);
        }
        if (cli_id_arg(operand, "licence record", "consent list", &id) != 0 || open_gallery(&a, 0, &gal) != 0)
            goto out;
        if ((s = lk_licence_revoke(gal, id, at, a.reason)) != LK_OK) {
            cli_fail_status(s);
            goto out;
        }
        rc = EXIT_NONE;
    } else if (cmd == &export_command) {
        char *doc = NULL;
        if (open_gallery(&a, LK_GALLERY_READONLY, &gal) != 0)
            goto out;
        if ((s = lk_licence_export(gal, a.performer, &doc)) != LK_OK) {
            cli_fail_status(s);
            goto out;
        }
        FILE *f = a.output ? fopen(a.output, "w") : stdout;
        if (!f) {
            cli_fail("%s: cannot write", a.output);
            lk_free(doc);
            goto out;
        }
        int ok = fputs(doc, f) >= 0 && fputc('\n', f) != EOF;
        if (a.output)
            ok &= fclose(f) == 0;
        lk_free(doc);
        if (!ok) {
            cli_fail("%s: write failed", a.output ? a.output : "stdout");
            goto out;
        }
        rc = EXIT_NONE;
    } else if (cmd == &import_command) {
        json_error_t je;
        json_t *doc = json_load_file(operand, 0, &je);
        if (!doc) {
            cli_fail("%s: %s (line %d)", operand, je.text, je.line);
            goto out;
        }
        char *text = json_dumps(doc, JSON_COMPACT);
        json_decref(doc);
        int records = 0, versions = 0;
        if (open_gallery(&a, 0, &gal) != 0) {
            free(text);
            goto out;
        }
        s = lk_licence_import(gal, text, &records, &versions);
        free(text);
        if (s != LK_OK) {
            cli_fail("%s: %s", operand, lk_last_error());
            goto out;
        }
        printf("%s: %d new record%s, %d new version%s\n", operand, records,
               records == 1 ? "" : "s", versions, versions == 1 ? "" : "s");
        rc = EXIT_NONE;
    }
out:
    lk_gallery_close(gal);
    args_free(&a);
    return rc;
}

int cmd_consent(int argc, char **argv)
{
    static const struct {
        const char *name;
        const cli_command *cmd;
    } subs[] = {
        {"add", &add_command},       {"amend", &amend_command},
        {"list", &list_command},     {"show", &show_command},
        {"revoke", &revoke_command}, {"export", &export_command},
        {"import", &import_command},
    };
    if (argc >= 2) {
        for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
            if (!strcmp(argv[1], subs[i].name))
                return consent_main(subs[i].cmd, subs[i].name, argc - 1,
                                    argv + 1);
    }
    FILE *f = argc >= 2 && (!strcmp(argv[1], "--help") ||
                            !strcmp(argv[1], "-h")) ? stdout : stderr;
    if (f == stderr)
        cli_fail(argc >= 2 ? "consent: unknown subcommand '%s'"
                           : "consent needs a subcommand%s",
                 argc >= 2 ? argv[1] : "");
    fputs("usage: likeness consent <add|amend|list|show|revoke|export|import> "
          "[options]\n\n"
          "Licence records: who may use a performer's face or voice, for\n"
          "what, where and until when.  `likeness consent <sub> --help`\n"
          "describes each; `likeness policy` sets standing refusals.\n", f);
    return f == stdout ? EXIT_NONE : EXIT_ERROR;
}

int cmd_policy(int argc, char **argv)
{
    consent_args a = {0};
    lk_gallery *gal = NULL;
    int rc = EXIT_ERROR;
    switch (cli_parse(&policy_command, argc, argv, &a)) {
    case CLI_HELP: return EXIT_NONE;
    case CLI_BAD: return EXIT_ERROR;
    }
    if (optind != argc || !a.performer || (a.never && a.clear)) {
        cli_fail(optind != argc ? "unexpected argument" : !a.performer
                     ? "policy needs --performer"
                     : "--never and --clear exclude each other");
        cli_usage(&policy_command, stderr);
        goto out;
    }
    unsigned never = 0;
    lk_status s;
    if (a.never && (s = lk_uses_parse(a.never, &never)) != LK_OK) {
        cli_fail("--never: %s", lk_last_error());
        goto out;
    }
    const int change = a.never || a.clear;
    if (open_gallery(&a, change ? 0 : LK_GALLERY_READONLY, &gal) != 0)
        goto out;
    if (change && (s = lk_policy_set(gal, a.performer, never)) != LK_OK) {
        cli_fail_status(s);
        goto out;
    }
    int64_t since;
    if ((s = lk_policy_get(gal, a.performer, &never, &since)) != LK_OK) {
        cli_fail_status(s);
        goto out;
    }
    char names[512];
    uses_names(never, names, sizeof names);
    if (a.o.json) {
        json_t *arr = json_array();
        for (unsigned b = 1; b && b <= never; b <<= 1)
            if (never & b)
                json_array_append_new(arr, json_string(lk_use_name((lk_use)b)));
        char at[32] = "";
        time_t t = (time_t)since;
        struct tm tm;
        if (never && gmtime_r(&t, &tm))
            strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
        cli_print_json(json_pack("{s:s,s:o,s:o}", "performer", a.performer,
                                 "never", arr, "since",
                                 never ? json_string(at) : json_null()));
    } else if (never) {
        printf("%s never allows: %s\n", cli_text(a.performer), names);
    } else {
        printf("%s: no standing refusal\n", cli_text(a.performer));
    }
    rc = EXIT_NONE;
out:
    lk_gallery_close(gal);
    args_free(&a);
    return rc;
}
