/*
 * consent.h — licence records and their resolution against a finding.
 *
 * record.c reads a licence record (a JSON object, README.md "Licences and refusals"),
 * checks every field and gives its canonical form, which is what the
 * gallery stores (gallery/licence.c) and exports.  resolve.c decides, for
 * one finding, which licence (if any) covers the use its evidence shows,
 * from the performer's current licence versions and standing refusal: the
 * decision table of README.md "Licences and refusals".  Knows core/ only: the gallery
 * hands it records, the scan hands it findings.
 */
#ifndef LK_CONSENT_H
#define LK_CONSENT_H

#include "core/core.h"

#include <jansson.h>

/* modalities: bits 1 << lk_modality */
#define LK__MOD_BIT(m) (1u << (unsigned)(m))
#define LK__MOD_ALL                                                          \
    (LK__MOD_BIT(LK_MODALITY_FACE) | LK__MOD_BIT(LK_MODALITY_VOICE))

typedef struct lk__strs {
    char **v;
    int n;
} lk__strs;

/* One version of a licence record, parsed. */
typedef struct lk__licence {
    int64_t id;                /* licences.id; 0 before it is stored */
    int version;
    char *performer;
    unsigned modalities;       /* LK__MOD_BIT()s */
    unsigned uses;             /* lk_use bits */
    char *licensee;            /* the licensee's name */
    lk__strs keys;             /* licensee key SHA-256s, lower-case hex */
    lk__strs channels;         /* platform channel ids, as given */
    lk__strs domains;          /* lower case */
    lk__strs assets;           /* registered deliverables' SHA-256s */
    lk__strs territories;      /* ISO 3166-1 alpha-2; none: worldwide */
    int64_t from;              /* unix seconds of the term's first day */
    int64_t to;                /* ... of the day after its last; 0: open */
    int revoked;
    int64_t revoked_at;        /* unix seconds */
    json_t *body;              /* the canonical record (owned) */
} lk__licence;

/*
 * Parse and check a record.  text: the JSON; or, when text is NULL, obj
 * (borrowed).  what names the document in messages ("licence", "import:
 * record 3 version 2").  allow_revoked: a stored or imported version may
 * be revoked, a new one may not.  Returns LK_OK, LK_ERR_FORMAT (not a
 * JSON object), LK_ERR_MISUSE naming the field, LK_ERR_IO (the territory
 * list cannot be read), LK_ERR_NOMEM.
 */
lk_status lk__licence_parse(const char *text, json_t *obj, const char *what,
                            int allow_revoked, lk__licence **out);
void lk__licence_free(lk__licence *l);

/* The canonical text of l->body (sorted keys, compact); malloc'd. */
char *lk__licence_text(const lk__licence *l);

/* 1 when code is an ISO 3166-1 alpha-2 code (upper case), 0 when not, -1
 * (with the error set) when the list cannot be read. */
int lk__territory_known(const char *code);

/* What the scan knows, for resolving its findings. */
typedef struct lk__consent_ctx {
    const char *channel, *domain, *territory;
    unsigned uses;             /* the context's uses */
    int64_t time;              /* when the use is judged */
    const lk_provenance *prov;
    /* The file's SHA-256 (hex), computed on first call; NULL on failure. */
    const char *(*sha256)(void *user);
    void *user;
} lk__consent_ctx;

/* What a performer's records say, as the gallery gives them. */
typedef struct lk__consent_set {
    lk__licence **lic;         /* current versions, oldest record first */
    int n;
    unsigned never;            /* standing refusal */
    int64_t never_since;
} lk__consent_set;

void lk__consent_set_free(lk__consent_set *cs);

/* Set f's uses, licence fields and action from cs (NULL: the performer
 * has no records).  The strings it sets are malloc'd (the result frees
 * them).  f->decision must be LK_MATCH. */
lk_status lk__consent_resolve(const lk__consent_set *cs,
                              const lk__consent_ctx *ctx,
                              float synthetic_threshold, lk_finding *f);

#endif
