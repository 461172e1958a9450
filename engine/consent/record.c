/*
 * record.c — a licence record: every field checked, each error naming the
 * field, and the canonical form the gallery keeps (keys sorted, hex lower
 * case, territories upper case, repeats dropped).
 */
#include "consent/consent.h"
#include "core/names.h"
#include "core/utf8.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lk_config.h"

/* Longest free text a field holds, and most entries of a list. */
#define MAX_TEXT 4096
#define MAX_LIST 10000

/* ---- territories: Debian's iso-codes list ------------------------------------- */

static pthread_once_t iso_once = PTHREAD_ONCE_INIT;
static char (*iso_codes)[3];
static size_t n_iso;
static char iso_error[512];

static void load_iso(void)
{
    json_error_t je;
    json_t *root = json_load_file(LK_ISO3166_JSON, 0, &je);
    json_t *list = root ? json_object_get(root, "3166-1") : NULL;
    if (!json_is_array(list)) {
        snprintf(iso_error, sizeof iso_error, "%s: %s (the territory codes "
                 "come from Debian's iso-codes package)", LK_ISO3166_JSON,
                 root ? "no \"3166-1\" list" : je.text);
        json_decref(root);
        return;
    }
    size_t n = json_array_size(list);
    iso_codes = calloc(n ? n : 1, sizeof *iso_codes);
    for (size_t i = 0; iso_codes && i < n; i++) {
        const char *a2 = json_string_value(
            json_object_get(json_array_get(list, i), "alpha_2"));
        if (a2 && strlen(a2) == 2)
            memcpy(iso_codes[n_iso++], a2, 3);
    }
    if (!iso_codes)
        snprintf(iso_error, sizeof iso_error, "out of memory reading %s",
                 LK_ISO3166_JSON);
    json_decref(root);
}

int lk__territory_known(const char *code)
{
    pthread_once(&iso_once, load_iso);
    if (!iso_codes) {
        lk__error(LK_ERR_IO, "%s", iso_error);
        return -1;
    }
    for (size_t i = 0; i < n_iso; i++)
        if (!strcmp(iso_codes[i], code))
            return 1;
    return 0;
}

/* ---- fields ----------------------------------------------------------------------- */

typedef struct reader {
    const char *what;          /* the document, for messages */
    lk_status st;
} reader;

static lk_status bad(reader *r, const char *field, const char *fmt, ...)
    LK__PRINTF(3, 4);

static lk_status bad(reader *r, const char *field, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->st = lk__error(LK_ERR_MISUSE, "%s: field \"%s\": %s", r->what, field,
                      msg);
    return r->st;
}

/* A string field: NULL when absent; bad when not a string, empty, not
 * UTF-8 or too long. */
static const char *text_field(reader *r, json_t *o, const char *key,
                              const char *field, int required)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) {
        if (required)
            bad(r, field, "missing");
        return NULL;
    }
    const char *s = json_string_value(v);
    if (!s) {
        bad(r, field, "not a string");
        return NULL;
    }
    size_t n = json_string_length(v);
    const char *why = strlen(s) != n ? "holds a NUL"
                                     : lk__utf8_check(s, MAX_TEXT, 0);
    if (why) {
        bad(r, field, "%s (at most %d bytes of UTF-8 text)", why, MAX_TEXT);
        return NULL;
    }
    return s;
}

static int is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (int i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int is_domain(const char *s)
{
    size_t n = strlen(s), label = 0;
    if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.' || !strchr(s, '.'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if (isalnum(c) || c == '-') {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return 1;
}

/* A project identifier "scheme:id": eidr (10.5240/…), isan (24 or 26 hex
 * digits, dashes allowed), isrc (12 letters and digits, dashes allowed),
 * or another scheme of lower-case letters and digits with any id. */
static const char *check_project_id(const char *s)
{
    const char *colon = strchr(s, ':');
    if (!colon || colon == s || !colon[1])
        return "not SCHEME:ID (eidr:10.5240/…, isan:…, isrc:…)";
    for (const char *p = s; p < colon; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p))
            return "the scheme is not lower-case letters and digits";
    const size_t sn = (size_t)(colon - s);
    const char *id = colon + 1;
    size_t alnum = 0, hex = 0, other = 0;
    for (const char *p = id; *p; p++) {
        if (*p == '-')
            continue;
        alnum += isalnum((unsigned char)*p) != 0;
        hex += isxdigit((unsigned char)*p) != 0;
        other += !isalnum((unsigned char)*p);
    }
    if (sn == 4 && !strncmp(s, "eidr", 4) && strncmp(id, "10.5240/", 8))
        return "an EIDR id starts 10.5240/";
    if (sn == 4 && !strncmp(s, "isan", 4) &&
        (other || hex != alnum || (hex != 24 && hex != 26)))
        return "an ISAN is 24 or 26 hexadecimal digits";
    if (sn == 4 && !strncmp(s, "isrc", 4) && (other || alnum != 12))
        return "an ISRC is 12 letters and digits";
    return NULL;
}

enum { L_PLAIN, L_HEX, L_DOMAIN, L_TERRITORY, L_PROJECT_ID };

/* A list of strings of one kind, canonical and without repeats, into
 * out (a new array) and *strs (when not NULL: pointers into out). */
static json_t *list_field(reader *r, json_t *o, const char *key,
                          const char *field, int kind, int required)
{
    json_t *v = json_object_get(o, key);
    json_t *out = json_array();
    if (!out) {
        r->st = LK_ERR_NOMEM;
        return NULL;
    }
    if (!v || json_is_null(v)) {
        if (required)
            bad(r, field, "missing");
        return out;
    }
    if (!json_is_array(v) || json_array_size(v) > MAX_LIST) {
        bad(r, field, json_is_array(v) ? "more than %d entries"
                                       : "not a list", MAX_LIST);
        return out;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        char sub[64];
        snprintf(sub, sizeof sub, "%s[%zu]", field, i);
        json_t *holder = json_pack("{s:O}", "x", e);
        const char *s = holder ? text_field(r, holder, "x", sub, 1) : NULL;
        if (!s) {
            json_decref(holder);
            if (r->st == LK_OK)
                r->st = LK_ERR_NOMEM;
            return out;
        }
        char c[MAX_TEXT + 1];
        snprintf(c, sizeof c, "%s", s);
        json_decref(holder);
        const char *why = NULL;
        switch (kind) {
        case L_HEX:
            if (!is_hex64(c))
                why = "not a SHA-256 (64 hexadecimal digits)";
            for (char *p = c; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            break;
        case L_DOMAIN:
            for (char *p = c; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            if (!is_domain(c))
                why = "not a domain name (example.com)";
            break;
        case L_TERRITORY: {
            for (char *p = c; *p; p++)
                *p = (char)toupper((unsigned char)*p);
            int k = strlen(c) == 2 ? lk__territory_known(c) : 0;
            if (k < 0) {
                r->st = LK_ERR_IO;
                return out;
            }
            if (!k)
                why = "not an ISO 3166-1 alpha-2 country code (GB, US, FR)";
            break;
        }
        case L_PROJECT_ID:
            why = check_project_id(c);
            break;
        }
        if (why) {
            bad(r, sub, "'%s' is %s", s, why);
            return out;
        }
        int seen = 0;
        size_t k;
        json_t *x;
        json_array_foreach(out, k, x)
            seen |= !strcmp(json_string_value(x), c);
        if (!seen && json_array_append_new(out, json_string(c)) != 0) {
            r->st = LK_ERR_NOMEM;
            return out;
        }
    }
    return out;
}

/* Copy the strings of a canonical list into s. */
static lk_status keep_strs(json_t *list, lk__strs *s)
{
    size_t n = json_array_size(list);
    s->v = n ? lk__calloc(n, sizeof *s->v) : NULL;
    if (n && !s->v)
        return LK_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        s->v[i] = lk__strdup(json_string_value(json_array_get(list, i)));
        if (!s->v[i])
            return LK_ERR_NOMEM;
        s->n++;
    }
    return LK_OK;
}

static void free_strs(lk__strs *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

/* Refuse keys of o that are not in allowed (NULL-terminated). */
static lk_status only_keys(reader *r, json_t *o, const char *const *allowed,
                           const char *prefix)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, k);
        if (!ok) {
            char f[300];
            snprintf(f, sizeof f, "%s%s", prefix, k);
            return bad(r, f, "unknown field (README.md, \"Licences\", lists "
                             "them)");
        }
    }
    return LK_OK;
}

static const char *const TOP_KEYS[] = {
    "performer", "modalities", "uses", "description", "licensee", "project",
    "assets", "territories", "from", "to", "compensation_ref",
    "consent_evidence", "status", "revoked_at", "revocation_reason",
    /* what lk_licence_get() adds: accepted and ignored, so a record read
     * back can be amended */
    "id", "uuid", "version", "created", "superseded", NULL};
static const char *const LICENSEE_KEYS[] = {"name", "key_sha256", "channels",
                                            "domains", NULL};
static const char *const PROJECT_KEYS[] = {"title", "ids", NULL};
static const char *const EVIDENCE_KEYS[] = {"sha256", "notice", NULL};

/* A date field into canon (as given, checked) and *t. */
static void date_field(reader *r, json_t *o, const char *key,
                       const char *field, int required, int day_only,
                       json_t *canon, int64_t *t)
{
    const char *s = text_field(r, o, key, field, required);
    if (!s)
        return;
    if (lk__parse_date(s, t) != 0 || (day_only && strlen(s) != 10)) {
        bad(r, field, "'%s' is not a date (YYYY-MM-DD%s)", s,
            day_only ? "" : ", or YYYY-MM-DDTHH:MM:SSZ");
        return;
    }
    if (json_object_set_new(canon, key, json_string(s)) != 0)
        r->st = LK_ERR_NOMEM;
}

static void set_text(reader *r, json_t *canon, const char *key,
                     const char *s)
{
    if (s && r->st == LK_OK && json_object_set_new(canon, key,
                                                   json_string(s)) != 0)
        r->st = LK_ERR_NOMEM;
}

static void set_list(reader *r, json_t *canon, const char *key, json_t *l)
{
    if (!l)
        return;
    if (r->st == LK_OK && json_array_size(l) > 0)
        json_object_set_new(canon, key, l);
    else
        json_decref(l);
}

/* The parts of a record that are objects: licensee, project, evidence. */
static void read_licensee(reader *r, json_t *o, json_t *canon, lk__licence *l)
{
    json_t *lo = json_object_get(o, "licensee");
    if (!json_is_object(lo)) {
        bad(r, "licensee", lo ? "not an object" : "missing");
        return;
    }
    if (only_keys(r, lo, LICENSEE_KEYS, "licensee.") != LK_OK)
        return;
    json_t *c = json_object();
    json_object_set_new(canon, "licensee", c);
    const char *name = text_field(r, lo, "name", "licensee.name", 1);
    set_text(r, c, "name", name);
    if (r->st == LK_OK && !(l->licensee = lk__strdup(name)))
        r->st = LK_ERR_NOMEM;
    static const struct {
        const char *key, *field;
        int kind;
        size_t off;
    } lists[3] = {
        {"key_sha256", "licensee.key_sha256", L_HEX,
         offsetof(lk__licence, keys)},
        {"channels", "licensee.channels", L_PLAIN,
         offsetof(lk__licence, channels)},
        {"domains", "licensee.domains", L_DOMAIN,
         offsetof(lk__licence, domains)},
    };
    for (int i = 0; i < 3 && r->st == LK_OK; i++) {
        json_t *v = list_field(r, lo, lists[i].key, lists[i].field,
                               lists[i].kind, 0);
        if (r->st == LK_OK)
            r->st = keep_strs(v, (lk__strs *)((char *)l + lists[i].off));
        set_list(r, c, lists[i].key, v);
    }
}

static void read_project(reader *r, json_t *o, json_t *canon)
{
    json_t *po = json_object_get(o, "project");
    if (!po || json_is_null(po))
        return;
    if (!json_is_object(po)) {
        bad(r, "project", "not an object");
        return;
    }
    if (only_keys(r, po, PROJECT_KEYS, "project.") != LK_OK)
        return;
    json_t *c = json_object();
    json_object_set_new(canon, "project", c);
    set_text(r, c, "title", text_field(r, po, "title", "project.title", 0));
    if (r->st == LK_OK)
        set_list(r, c, "ids", list_field(r, po, "ids", "project.ids",
                                         L_PROJECT_ID, 0));
}

static void read_evidence(reader *r, json_t *o, json_t *canon)
{
    json_t *eo = json_object_get(o, "consent_evidence");
    if (!eo || json_is_null(eo))
        return;
    if (!json_is_object(eo)) {
        bad(r, "consent_evidence", "not an object");
        return;
    }
    if (only_keys(r, eo, EVIDENCE_KEYS, "consent_evidence.") != LK_OK)
        return;
    json_t *c = json_object();
    json_object_set_new(canon, "consent_evidence", c);
    const char *h = text_field(r, eo, "sha256", "consent_evidence.sha256", 1);
    if (h && !is_hex64(h)) {
        bad(r, "consent_evidence.sha256", "'%s' is not a SHA-256 (64 "
            "hexadecimal digits)", h);
        return;
    }
    if (h) {
        char lower[65];
        for (int i = 0; i < 65; i++)
            lower[i] = (char)tolower((unsigned char)h[i]);
        set_text(r, c, "sha256", lower);
    }
    int64_t t;
    if (r->st == LK_OK)
        date_field(r, eo, "notice", "consent_evidence.notice", 0, 0, c, &t);
}

lk_status lk__licence_parse(const char *text, json_t *obj, const char *what,
                            int allow_revoked, lk__licence **out)
{
    *out = NULL;
    json_t *o = obj;
    if (text) {
        json_error_t je;
        o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
        if (!o)
            return lk__error(LK_ERR_FORMAT, "%s: not JSON: %s (line %d, "
                             "column %d)", what, je.text, je.line, je.column);
    } else {
        json_incref(o);
    }
    reader r = {.what = what, .st = LK_OK};
    lk__licence *l = lk__calloc(1, sizeof *l);
    json_t *canon = json_object();
    if (!l || !canon) {
        r.st = LK_ERR_NOMEM;
        goto out;
    }
    l->body = canon;
    if (!json_is_object(o)) {
        r.st = lk__error(LK_ERR_FORMAT, "%s: a licence record is a JSON "
                         "object", what);
        goto out;
    }
    if (only_keys(&r, o, TOP_KEYS, "") != LK_OK)
        goto out;
    const char *perf = text_field(&r, o, "performer", "performer", 1);
    if (!perf)
        goto out;
    if (strlen(perf) > LK_ID_MAX) {
        bad(&r, "performer", "longer than %d bytes", LK_ID_MAX);
        goto out;
    }
    set_text(&r, canon, "performer", perf);
    if (r.st != LK_OK || !(l->performer = lk__strdup(perf))) {
        r.st = r.st != LK_OK ? r.st : LK_ERR_NOMEM;
        goto out;
    }

    /* modalities: "face", "voice" */
    json_t *mods = list_field(&r, o, "modalities", "modalities", L_PLAIN, 1);
    size_t i;
    json_t *e;
    json_array_foreach(mods, i, e) {
        const char *m = json_string_value(e);
        if (!strcmp(m, "face"))
            l->modalities |= LK__MOD_BIT(LK_MODALITY_FACE);
        else if (!strcmp(m, "voice"))
            l->modalities |= LK__MOD_BIT(LK_MODALITY_VOICE);
        else if (r.st == LK_OK)
            bad(&r, "modalities", "'%s' is not a modality (face, voice)", m);
    }
    if (r.st == LK_OK && !l->modalities)
        bad(&r, "modalities", "empty: name face, voice or both");
    json_decref(mods);
    if (r.st != LK_OK)
        goto out;
    json_t *mc = json_array();
    if (l->modalities & LK__MOD_BIT(LK_MODALITY_FACE))
        json_array_append_new(mc, json_string("face"));
    if (l->modalities & LK__MOD_BIT(LK_MODALITY_VOICE))
        json_array_append_new(mc, json_string("voice"));
    json_object_set_new(canon, "modalities", mc);

    /* uses, in the vocabulary's order */
    json_t *uses = list_field(&r, o, "uses", "uses", L_PLAIN, 1);
    json_array_foreach(uses, i, e) {
        unsigned bit;
        if (r.st != LK_OK)
            break;
        if (lk_uses_parse(json_string_value(e), &bit) != LK_OK)
            bad(&r, "uses", "'%s' is not a use (%s)", json_string_value(e),
                lk__use_vocabulary());
        l->uses |= bit;
    }
    json_decref(uses);
    if (r.st == LK_OK && !l->uses)
        bad(&r, "uses", "empty: name at least one use (%s)",
            lk__use_vocabulary());
    if (r.st != LK_OK)
        goto out;
    json_object_set_new(canon, "uses", lk__uses_json(l->uses));

    set_text(&r, canon, "description",
             text_field(&r, o, "description", "description", 0));
    if (r.st == LK_OK)
        read_licensee(&r, o, canon, l);
    if (r.st == LK_OK)
        read_project(&r, o, canon);
    json_t *assets = r.st == LK_OK ? list_field(&r, o, "assets", "assets",
                                                L_HEX, 0) : NULL;
    if (r.st == LK_OK)
        r.st = keep_strs(assets, &l->assets);
    set_list(&r, canon, "assets", assets);
    json_t *terr = r.st == LK_OK
                       ? list_field(&r, o, "territories", "territories",
                                    L_TERRITORY, 0)
                       : NULL;
    if (r.st == LK_OK)
        r.st = keep_strs(terr, &l->territories);
    set_list(&r, canon, "territories", terr);
    if (r.st != LK_OK)
        goto out;

    date_field(&r, o, "from", "from", 1, 1, canon, &l->from);
    if (r.st == LK_OK && json_object_get(o, "to") &&
        !json_is_null(json_object_get(o, "to"))) {
        int64_t to;
        date_field(&r, o, "to", "to", 0, 1, canon, &to);
        if (r.st == LK_OK && to < l->from)
            bad(&r, "to", "the term ends (%s) before it starts (%s)",
                json_string_value(json_object_get(o, "to")),
                json_string_value(json_object_get(o, "from")));
        l->to = to + 86400;    /* the last day is in the term */
    }
    if (r.st != LK_OK)
        goto out;
    set_text(&r, canon, "compensation_ref",
             text_field(&r, o, "compensation_ref", "compensation_ref", 0));
    if (r.st == LK_OK)
        read_evidence(&r, o, canon);
    if (r.st != LK_OK)
        goto out;

    const char *status = text_field(&r, o, "status", "status", 0);
    if (r.st != LK_OK)
        goto out;
    if (status && strcmp(status, "active") && strcmp(status, "revoked")) {
        bad(&r, "status", "'%s' is neither active nor revoked", status);
        goto out;
    }
    l->revoked = status && !strcmp(status, "revoked");
    if (l->revoked && !allow_revoked) {
        bad(&r, "status", "a new record or version cannot be revoked: "
                          "revoke the record instead");
        goto out;
    }
    set_text(&r, canon, "status", l->revoked ? "revoked" : "active");
    if (l->revoked) {
        date_field(&r, o, "revoked_at", "revoked_at", 1, 0, canon,
                   &l->revoked_at);
        set_text(&r, canon, "revocation_reason",
                 text_field(&r, o, "revocation_reason", "revocation_reason",
                            0));
    } else if (json_object_get(o, "revoked_at") ||
               json_object_get(o, "revocation_reason")) {
        bad(&r, json_object_get(o, "revoked_at") ? "revoked_at"
                                                 : "revocation_reason",
            "only a revoked record has one");
    }
out:
    json_decref(o);
    if (r.st != LK_OK) {
        lk__licence_free(l);
        return r.st;
    }
    *out = l;
    return LK_OK;
}

char *lk__licence_text(const lk__licence *l)
{
    return json_dumps(l->body, JSON_SORT_KEYS | JSON_COMPACT);
}

void lk__licence_free(lk__licence *l)
{
    if (!l)
        return;
    free(l->performer);
    free(l->licensee);
    free_strs(&l->keys);
    free_strs(&l->channels);
    free_strs(&l->domains);
    free_strs(&l->assets);
    free_strs(&l->territories);
    json_decref(l->body);
    free(l);
}

void lk__consent_set_free(lk__consent_set *cs)
{
    if (!cs)
        return;
    for (int i = 0; i < cs->n; i++)
        lk__licence_free(cs->lic[i]);
    free(cs->lic);
    free(cs);
}
