/*
 * report.c — `likeness report --record CASES.db --out DIR`: the findings
 * store as one static, self-contained HTML page (DIR/index.html: no
 * network, no external script, style or font; it works from file://).
 * A card per finding: performer, where and when, score and false-match
 * rate, a timeline of the performer's appearances in that content, the AI
 * evidence as separate items, the licence with its reason, the review
 * state; filters by action, state, performer and verdict (also from the
 * page's #fragment, "#action=alert&state=new"); a summary on top.  Every
 * text taken from files and metadata is escaped: nothing of it becomes
 * markup.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const char *record, *out;
} report_args;

static const cli_option report_options[] = {
    {"record", 'r', "CASES.db", "the findings store"},
    {"out", 'o', "DIR", "where to write index.html (made when absent)"},
    CLI_OPTION_HELP, {0}};

static int report_set(void *ctx, int key, const char *arg)
{
    report_args *a = ctx;
    switch (key) {
    case 'r': a->record = arg; break;
    case 'o': a->out = arg; break;
    default: return CLI_SET_USAGE;
    }
    return CLI_SET_OK;
}

static const cli_command report_command = {
    "usage: likeness report --record CASES.db --out DIR\n"
    "\n"
    "Write the findings store as one self-contained page, DIR/index.html,\n"
    "to review from a browser (file:// is enough): a card per finding with\n"
    "its score and false-match rate, the timeline of the performer in that\n"
    "content, the AI evidence, the licence and the review state; filters\n"
    "by action, state, performer and verdict; a summary.\n"
    "\n",
    report_options, NULL, report_set};

/* Text as HTML: & < > " ' escaped, control characters as U+FFFD. */
static void esc(FILE *f, const char *s)
{
    for (s = s ? s : ""; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fputs("&#xFFFD;", f);
            else
                fputc(c, f);
        }
    }
}

static const char *sv(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static const char STYLE[] =
    "body{font:14px/1.4 sans-serif;margin:1em 2em;color:#222}"
    "h1{font-size:1.4em}.summary span{margin-right:1.5em}"
    ".filters label{margin-right:1em}"
    ".card{border:1px solid #ccc;border-left:6px solid #999;padding:.6em 1em;"
    "margin:.8em 0;border-radius:4px}"
    ".card.alert{border-left-color:#c00}.card.review{border-left-color:#e90}"
    ".card.licensed{border-left-color:#2a2}"
    ".card h2{font-size:1.1em;margin:.2em 0}.tag{display:inline-block;"
    "padding:0 .4em;border-radius:3px;background:#eee;margin-right:.4em}"
    ".tag.alert{background:#fdd}.tag.review{background:#fec}"
    ".tag.licensed{background:#dfd}.path{font-family:monospace;"
    "word-break:break-all}ul.evidence{margin:.3em 0 .3em 1.2em;padding:0}"
    "svg.timeline{width:100%;height:14px;background:#f4f4f4}"
    "img.crop{float:right;max-height:128px;margin-left:.5em}"
    "img.context{float:right;max-height:128px;margin-left:.5em}"
    ".card::after{content:'';display:block;clear:both}"
    "svg.timeline rect{fill:#999}svg.timeline rect.this{fill:#c00}";

/* Filters: a select each, and the fragment they are read from and kept
 * in.  Cards carry data-* attributes; nothing of a card is markup made of
 * data (the script sets no innerHTML). */
static const char SCRIPT[] =
    "(function(){var keys=['action','state','performer','verdict'];"
    "function sel(k){return document.getElementById('f-'+k);}"
    "function apply(){var n=0;document.querySelectorAll('.card').forEach("
    "function(c){var ok=keys.every(function(k){var v=sel(k).value;"
    "return !v||c.dataset[k]===v;});c.style.display=ok?'':'none';"
    "if(ok)n++;});document.getElementById('shown').textContent=n;"
    "var h=keys.filter(function(k){return sel(k).value;}).map(function(k){"
    "return k+'='+encodeURIComponent(sel(k).value);}).join('&');"
    "if(('#'+h)!==location.hash&&(h||location.hash))"
    "history.replaceState(null,'',h?'#'+h:location.pathname);}"
    "function fromHash(){var p=new URLSearchParams(location.hash.slice(1));"
    "keys.forEach(function(k){var v=p.get(k);if(v!==null){var s=sel(k);"
    "s.value=v;if(s.value!==v)s.value='';}});}"
    "keys.forEach(function(k){sel(k).addEventListener('change',apply);});"
    "window.addEventListener('hashchange',function(){fromHash();apply();});"
    "fromHash();apply();})();";

/* The distinct values of key over the findings, as <option>s. */
static void options_of(FILE *f, json_t *arr, const char *key)
{
    json_t *seen = json_object();
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        const char *v = sv(e, key);
        if (*v && !json_object_get(seen, v)) {
            json_object_set_new(seen, v, json_true());
            fputs("<option value=\"", f);
            esc(f, v);
            fputs("\">", f);
            esc(f, v);
            fputs("</option>", f);
        }
    }
    json_decref(seen);
}

/* The performer's appearances in this content (same sha256 and performer)
 * along the longest end seen, this one highlighted. */
static void timeline(FILE *f, json_t *arr, json_t *me)
{
    double span = 0;
    size_t i;
    json_t *e;
    const char *sha = sv(me, "sha256"), *who = sv(me, "performer");
    json_array_foreach(arr, i, e)
        if (!strcmp(sv(e, "sha256"), sha))
            span = fmax(span, json_number_value(json_object_get(e, "end")));
    if (!(span > 0))
        return;
    fputs("<svg class=\"timeline\" viewBox=\"0 0 1000 10\" "
          "preserveAspectRatio=\"none\" role=\"img\" aria-label=\"when in "
          "the content\">", f);
    json_array_foreach(arr, i, e) {
        if (strcmp(sv(e, "sha256"), sha) || strcmp(sv(e, "performer"), who))
            continue;
        double s = json_number_value(json_object_get(e, "start"));
        double t = json_number_value(json_object_get(e, "end"));
        double w = fmax(2, 1000 * (t - s) / span);
        fprintf(f, "<rect x=\"%.1f\" y=\"0\" width=\"%.1f\" height=\"10\"%s>"
                "<title>%.2f-%.2f s</title></rect>", 1000 * s / span, w,
                e == me ? " class=\"this\"" : "", s, t);
    }
    fputs("</svg>", f);
}

/* The evidence of kind kept for finding id as an <img> of a data: URI
 * (base64 of the JPEG's bytes: nothing in it is markup); nothing when
 * none was kept. */
static void picture(FILE *f, lk_findings *fs, json_int_t id,
                    const char *kind, const char *alt)
{
    uint8_t *jpeg = NULL;
    size_t n = 0;
    if (lk_findings_evidence(fs, id, kind, &jpeg, &n) != LK_OK || !n ||
        n > 16 << 20) {
        lk_free(jpeg);
        return;
    }
    unsigned char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (b64) {
        EVP_EncodeBlock(b64, jpeg, (int)n);
        fprintf(f, "<img class=\"%s\" alt=\"%s\" src=\"data:image/jpeg;base64,"
                "%s\">", kind, alt, b64);
    }
    free(b64);
    lk_free(jpeg);
}

static void card(FILE *f, lk_findings *fs, json_t *arr, json_t *r)
{
    json_t *fi = json_object_get(r, "finding");
    json_t *lic = json_object_get(fi, "licence");
    json_t *pr = json_object_get(r, "provenance");
    json_t *ev = json_object_get(fi, "evidence");
    const char *action = sv(r, "action");
    fputs("<div class=\"card ", f);
    esc(f, action);
    fputs("\"", f);
    static const char *const data[] = {"action", "state", "performer",
                                       "verdict"};
    for (int k = 0; k < 4; k++) {
        fprintf(f, " data-%s=\"", data[k]);
        esc(f, sv(r, data[k]));
        fputs("\"", f);
    }
    fprintf(f, " id=\"finding-%lld\"><h2>",
            (long long)json_integer_value(json_object_get(r, "id")));
    fputs("<span class=\"tag ", f);
    esc(f, action);
    fputs("\">", f);
    esc(f, action);
    fputs("</span>", f);
    const char *name = sv(fi, "name");
    esc(f, *name ? name : sv(r, "performer"));
    fputs(" <small>(", f);
    esc(f, sv(r, "performer"));
    fputs(", ", f);
    esc(f, sv(r, "modality"));
    fputs(")</small></h2>", f);
    const json_int_t id = json_integer_value(json_object_get(r, "id"));
    picture(f, fs, id, "crop", "the face");
    picture(f, fs, id, "context", "the picture");
    fputs("<div class=\"path\">", f);
    esc(f, sv(r, "path"));
    fputs("</div><div>", f);
    if (strcmp(sv(r, "type"), "image"))
        fprintf(f, "%.2f-%.2f s, ",
                json_number_value(json_object_get(r, "start")),
                json_number_value(json_object_get(r, "end")));
    fprintf(f, "score %.3f", json_number_value(json_object_get(r, "score")));
    double fmr = json_number_value(json_object_get(r, "fmr"));
    if (fmr > 0)
        fprintf(f, ", false-match rate 1 in %.0f", 1 / fmr);
    fputs("</div>", f);
    timeline(f, arr, r);
    fputs("<ul class=\"evidence\"><li>verdict: ", f);
    esc(f, sv(r, "verdict"));
    fputs("</li><li>C2PA: ", f);
    if (json_is_true(json_object_get(pr, "c2pa"))) {
        fputs("signature ", f);
        esc(f, sv(pr, "signature"));
        fputs(", content ", f);
        esc(f, sv(pr, "binding"));
        if (*sv(pr, "signer")) {
            fputs(", signed by ", f);
            esc(f, sv(pr, "signer"));
        }
    } else {
        fputs("none", f);
    }
    fputs("</li>", f);
    if (*sv(pr, "title")) {
        fputs("<li>title: <q>", f);
        esc(f, sv(pr, "title"));
        fputs("</q></li>", f);
    }
    if (*sv(pr, "source_type")) {
        fputs("<li>declared source type: ", f);
        esc(f, sv(pr, "source_type"));
        if (*sv(pr, "generator")) {
            fputs(" by ", f);
            esc(f, sv(pr, "generator"));
        }
        fputs("</li>", f);
    }
    json_t *sp = json_object_get(ev, "synthetic_speech");
    if (json_is_object(sp))
        fprintf(f, "<li>synthetic speech: %.2f (threshold %.2f)</li>",
                json_number_value(json_object_get(sp, "score")),
                json_number_value(json_object_get(sp, "threshold")));
    fputs("<li>licence: ", f);
    esc(f, sv(lic, "status"));
    fputs(" &mdash; ", f);
    esc(f, sv(lic, "reason"));
    fputs("</li></ul><div>review: <span class=\"tag\">", f);
    esc(f, sv(r, "state"));
    fprintf(f, "</span> seen %lld time%s, last ",
            (long long)json_integer_value(json_object_get(r, "scans")),
            json_integer_value(json_object_get(r, "scans")) == 1 ? "" : "s");
    esc(f, sv(r, "last_seen"));
    fputs(" &middot; sha256 <span class=\"path\">", f);
    esc(f, sv(r, "sha256"));
    fputs("</span></div></div>\n", f);
}

static int write_report(FILE *f, lk_findings *fs, json_t *arr,
                        const char *record)
{
    size_t i;
    json_t *e;
    int alert = 0, review = 0, licensed = 0;
    json_t *files = json_object();
    json_array_foreach(arr, i, e) {
        const char *a = sv(e, "action");
        alert += !strcmp(a, "alert");
        review += !strcmp(a, "review");
        licensed += !strcmp(a, "licensed");
        json_object_set_new(files, sv(e, "sha256"), json_true());
    }
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
          "'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
          "img-src data:\">"
          "<title>Likeness findings</title><style>", f);
    fputs(STYLE, f);
    fputs("</style></head><body><h1>Likeness findings</h1><p>", f);
    esc(f, record);
    fprintf(f, ", written %s by likeness %s</p>", when, lk_version());
    fprintf(f, "<div class=\"summary\"><span id=\"files\">%zu file%s</span>"
            "<span id=\"total\">%zu finding%s</span><span>alert %d</span>"
            "<span>review %d</span><span>licensed %d</span>"
            "<span>shown <b id=\"shown\">%zu</b></span></div>",
            json_object_size(files), json_object_size(files) == 1 ? "" : "s",
            json_array_size(arr), json_array_size(arr) == 1 ? "" : "s",
            alert, review, licensed, json_array_size(arr));
    json_decref(files);
    fputs("<div class=\"filters\">", f);
    static const char *const keys[] = {"action", "state", "performer",
                                       "verdict"};
    for (int k = 0; k < 4; k++) {
        fprintf(f, "<label>%s <select id=\"f-%s\"><option value=\"\">all"
                "</option>", keys[k], keys[k]);
        options_of(f, arr, keys[k]);
        fputs("</select></label>", f);
    }
    fputs("</div>\n", f);
    json_array_foreach(arr, i, e)
        card(f, fs, arr, e);
    if (!json_array_size(arr))
        fputs("<p>No findings recorded.</p>", f);
    fputs("<script>", f);
    fputs(SCRIPT, f);
    fputs("</script></body></html>\n", f);
    return ferror(f) ? -1 : 0;
}

int cmd_report(int argc, char **argv)
{
    report_args a = {0};
    switch (cli_parse(&report_command, argc, argv, &a)) {
    case CLI_HELP: return EXIT_NONE;
    case CLI_BAD: return EXIT_ERROR;
    }
    if (!a.record || !a.out || optind != argc) {
        cli_fail("report needs --record and --out, and no operand");
        cli_usage(&report_command, stderr);
        return EXIT_ERROR;
    }
    lk_findings *fs = NULL;
    char *json = NULL;
    lk_status s = lk_findings_open(a.record, LK_FINDINGS_READONLY, &fs);
    if (s == LK_OK)
        s = lk_findings_list(fs, NULL, NULL, NULL, &json);
    if (s != LK_OK) {
        cli_fail_status(s);
        lk_findings_close(fs);
        return EXIT_ERROR;
    }
    json_t *arr = json_loads(json, 0, NULL);
    lk_free(json);
    if (mkdir(a.out, 0700) != 0 && errno != EEXIST) {
        cli_fail("%s: %s", a.out, strerror(errno));
        json_decref(arr);
        lk_findings_close(fs);
        return EXIT_ERROR;
    }
    size_t n = strlen(a.out) + 32;
    char *path = malloc(n), *tmp = malloc(n);
    int rc = EXIT_ERROR;
    if (path && tmp) {
        snprintf(path, n, "%s/index.html", a.out);
        snprintf(tmp, n, "%s/.index.html.tmp", a.out);
        /* private: the page shows faces */
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (fd >= 0 && !f)
            close(fd);
        int ok = f && write_report(f, fs, arr, a.record) == 0;
        if (f && fclose(f) != 0)
            ok = 0;
        if (ok && rename(tmp, path) == 0) {
            printf("%s: %zu finding%s\n", path, json_array_size(arr),
                   json_array_size(arr) == 1 ? "" : "s");
            rc = EXIT_NONE;
        } else {
            cli_fail("%s: cannot write: %s", path, strerror(errno));
            unlink(tmp);
        }
    }
    free(path);
    free(tmp);
    json_decref(arr);
    lk_findings_close(fs);
    return rc;
}
