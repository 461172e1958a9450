/*
 * resolve.c — one finding against its performer's licences and standing
 * refusal: the decision table of README.md "Licences and refusals".
 *
 *   1. The use: a face in a file declared AI or likely synthetic is a
 *      digital double; a voice judged synthetic, or heard in such a file,
 *      a voice clone (synthetic speech over a face appearance is a voice
 *      clone only when it is the performer's voice); the context's uses
 *      are added.
 *   2. A use the performer refuses: refused (alert), whatever a licence says.
 *   3. A licence counts only when its licensee is proven: a valid, intact
 *      C2PA manifest signed by one of its keys, the file's hash among its
 *      deliverables, or the context's channel or domain its own.  Of the
 *      proven ones the best decides: licensed over out-of-scope over
 *      expired over revoked.  None proven: unlicensed.
 *   4. The action: licensed; alert for a refused use or AI evidence
 *      without a licence; otherwise review (likeness alone never blocks).
 */
#include "consent/consent.h"
#include "core/names.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int in(const lk__strs *s, const char *x)
{
    if (!x)
        return 0;
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], x))
            return 1;
    return 0;
}

/* d is domain or one of its subdomains (case already folded by caller). */
static int domain_in(const lk__strs *s, const char *d)
{
    if (!d)
        return 0;
    size_t dn = strlen(d);
    for (int i = 0; i < s->n; i++) {
        size_t n = strlen(s->v[i]);
        if (dn == n ? !strcmp(d, s->v[i])
                    : dn > n && d[dn - n - 1] == '.' &&
                          !strcmp(d + dn - n, s->v[i]))
            return 1;
    }
    return 0;
}

/* A growing sentence. */
typedef struct text {
    char b[1024];
    size_t n;
} text;

static void put(text *t, const char *fmt, ...) LK__PRINTF(2, 3);

static void put(text *t, const char *fmt, ...)
{
    if (t->n >= sizeof t->b - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(t->b + t->n, sizeof t->b - t->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        t->n = t->n + (size_t)k < sizeof t->b ? t->n + (size_t)k
                                               : sizeof t->b - 1;
}

static void put_uses(text *t, unsigned uses)
{
    char u[256];
    lk__uses_text(uses, ", ", u, sizeof u);
    put(t, "%s", u);
}

static void put_mods(text *t, unsigned mods)
{
    put(t, "%s", mods == LK__MOD_ALL ? "face and voice"
                 : mods == LK__MOD_BIT(LK_MODALITY_VOICE) ? "voice" : "face");
}

static void put_strs(text *t, const lk__strs *s)
{
    for (int i = 0; i < s->n; i++)
        put(t, "%s%s", i ? (i == s->n - 1 ? " and " : ", ") : "", s->v[i]);
}

/* What proves l's licensee for this file. */
static unsigned basis_of(const lk__licence *l, const lk__consent_ctx *ctx,
                         const char **key)
{
    unsigned b = 0;
    const lk_provenance *p = ctx->prov;
    *key = NULL;
    if (p && p->active >= 0 && p->signature == LK_SIGNATURE_VALID &&
        p->binding == LK_BINDING_MATCH && l->keys.n) {
        const lk_prov_manifest *m = lk_provenance_manifest(p, p->active);
        if (m && in(&l->keys, m->signer_key)) {
            b |= LK_BASIS_C2PA_SIGNER;
            *key = m->signer_key;
        }
    }
    if (l->assets.n && ctx->sha256) {
        const char *h = ctx->sha256(ctx->user);
        if (h && in(&l->assets, h))
            b |= LK_BASIS_ASSET_HASH;
    }
    if (in(&l->channels, ctx->channel) || domain_in(&l->domains, ctx->domain))
        b |= LK_BASIS_CONTEXT;
    return b;
}

static void put_basis(text *t, const lk__licence *l, unsigned basis,
                      const lk__consent_ctx *ctx)
{
    const char *sep = "";
    if (basis & LK_BASIS_C2PA_SIGNER) {
        put(t, "signed by %s", l->licensee);
        sep = " and ";
    }
    if (basis & LK_BASIS_ASSET_HASH) {
        put(t, "%sa registered deliverable of %s", sep, l->licensee);
        sep = " and ";
    }
    if (basis & LK_BASIS_CONTEXT) {
        if (in(&l->channels, ctx->channel))
            put(t, "%sfound on %s's channel %s", sep, l->licensee,
                ctx->channel);
        else
            put(t, "%sfound on %s, %s's", sep, ctx->domain, l->licensee);
    }
}

/* l's status for this use, and the end of the sentence after the basis. */
static lk_licence_status judge(const lk__licence *l, unsigned uses,
                               unsigned mods, const lk__consent_ctx *ctx,
                               text *t)
{
    char day[11];
    if (l->revoked && l->revoked_at <= ctx->time) {
        lk__format_day(l->revoked_at, day);
        put(t, ", but licence %lld was revoked on %s", (long long)l->id, day);
        return LK_LICENCE_REVOKED;
    }
    if (l->to && ctx->time >= l->to) {
        lk__format_day(l->to - 86400, day);
        put(t, ", but licence %lld expired on %s", (long long)l->id, day);
        return LK_LICENCE_EXPIRED;
    }
    if (ctx->time < l->from) {
        lk__format_day(l->from, day);
        put(t, ", but licence %lld's term starts %s", (long long)l->id, day);
        return LK_LICENCE_OUT_OF_SCOPE;
    }
    if (mods & ~l->modalities) {
        put(t, ", but licence %lld covers ", (long long)l->id);
        put_mods(t, l->modalities);
        put(t, ", not ");
        put_mods(t, mods & ~l->modalities);
        return LK_LICENCE_OUT_OF_SCOPE;
    }
    if (uses & ~l->uses) {
        put(t, ", but licence %lld covers ", (long long)l->id);
        put_uses(t, l->uses);
        put(t, ", not ");
        put_uses(t, uses & ~l->uses);
        return LK_LICENCE_OUT_OF_SCOPE;
    }
    if (l->territories.n && ctx->territory &&
        !in(&l->territories, ctx->territory)) {
        put(t, ", but licence %lld covers ", (long long)l->id);
        put_strs(t, &l->territories);
        put(t, ", not %s", ctx->territory);
        return LK_LICENCE_OUT_OF_SCOPE;
    }
    put(t, ", licence %lld covers ", (long long)l->id);
    if (uses)
        put_uses(t, uses);
    else
        put_mods(t, mods);
    if (l->territories.n) {
        put(t, " in ");
        put_strs(t, &l->territories);
        if (!ctx->territory)
            put(t, " (where this was found is not known)");
    } else {
        put(t, " worldwide");
    }
    if (l->to) {
        lk__format_day(l->to - 86400, day);
        put(t, " until %s", day);
    }
    return LK_LICENCE_LICENSED;
}

static int rank(lk_licence_status s)
{
    switch (s) {
    case LK_LICENCE_LICENSED: return 4;
    case LK_LICENCE_OUT_OF_SCOPE: return 3;
    case LK_LICENCE_EXPIRED: return 2;
    case LK_LICENCE_REVOKED: return 1;
    default: return 0;
    }
}

lk_status lk__consent_resolve(const lk__consent_set *cs,
                              const lk__consent_ctx *ctx,
                              float synthetic_threshold, lk_finding *f)
{
    const lk_evidence *e = &f->evidence;
    /* The file's own verdict (its provenance: declared AI, or AI software
     * named) says whether the pictures are synthetic; the finding's may
     * also be raised by synthetic speech, which says so of the voice. */
    const lk_verdict file = ctx->prov ? ctx->prov->verdict : e->verdict;
    const int ai_file = file >= LK_VERDICT_LIKELY_SYNTHETIC;
    const int synthetic_speech = e->speech_scored &&
                                 e->synthetic_score > synthetic_threshold;
    unsigned ai = 0, mods;
    if (f->modality == LK_MODALITY_VOICE) {
        mods = LK__MOD_BIT(LK_MODALITY_VOICE);
        if (ai_file || synthetic_speech)
            ai |= LK_USE_VOICE_CLONE;
    } else {
        mods = LK__MOD_BIT(LK_MODALITY_FACE);
        if (ai_file)
            ai |= LK_USE_DIGITAL_DOUBLE;
        if (f->voice_segments > 0) {
            mods |= LK__MOD_BIT(LK_MODALITY_VOICE);
            if (ai_file || synthetic_speech)
                ai |= LK_USE_VOICE_CLONE;
        }
    }
    const unsigned uses = ai | ctx->uses;
    f->uses = uses;
    f->licence_record = 0;
    f->licence_version = 0;
    f->licence_basis = 0;

    text t = {.n = 0};
    lk_licence_status st = LK_LICENCE_UNLICENSED;
    const lk__licence *chosen = NULL;
    if (cs && (cs->never & uses)) {
        char day[11];
        lk__format_day(cs->never_since, day);
        st = LK_LICENCE_REFUSED;
        put(&t, "%s refuses ", f->performer_id);
        put_uses(&t, cs->never & uses);
        put(&t, " (a standing refusal since %s)", day);
    } else {
        text best = {.n = 0};
        unsigned best_basis = 0;
        for (int i = 0; cs && i < cs->n; i++) {
            const lk__licence *l = cs->lic[i];
            const char *key;
            unsigned b = basis_of(l, ctx, &key);
            if (!b)
                continue;
            text cand = {.n = 0};
            put_basis(&cand, l, b, ctx);
            lk_licence_status s = judge(l, uses, mods, ctx, &cand);
            /* the best; of equals the oldest record */
            if (rank(s) > rank(chosen ? st : LK_LICENCE_NONE)) {
                st = s;
                chosen = l;
                best = cand;
                best_basis = b;
            }
        }
        if (chosen) {
            t = best;
            f->licence_basis = best_basis;
        } else if (!cs || cs->n == 0) {
            put(&t, "no licence on record for %s", f->performer_id);
        } else {
            put(&t, "no licence of %s (%d on record) names this file's "
                    "signer, its hash or where it was found",
                f->performer_id, cs->n);
        }
    }
    if (ai && st != LK_LICENCE_LICENSED && st != LK_LICENCE_REFUSED) {
        put(&t, "; AI evidence: ");
        put_uses(&t, ai);
    }
    f->licence = st;
    f->action = st == LK_LICENCE_LICENSED ? LK_ACTION_LICENSED
                : st == LK_LICENCE_REFUSED || ai ? LK_ACTION_ALERT
                                                 : LK_ACTION_REVIEW;
    if (chosen) {
        f->licence_record = chosen->id;
        f->licence_version = chosen->version;
        if (!(f->licensee = lk__strdup(chosen->licensee)))
            return LK_ERR_NOMEM;
    }
    f->licence_reason = lk__strdup(t.b);
    return f->licence_reason ? LK_OK : LK_ERR_NOMEM;
}
