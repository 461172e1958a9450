/*
 * c2pa.c — a C2PA manifest store: its manifests, the active manifest's
 * COSE signature (OpenSSL) and hard binding (c2pa.hash.data), and what the
 * manifests declare (actions and their IPTC digital source types,
 * ingredients, claim generator).
 *
 * The store is JUMBF (ISO 19566-5): superboxes "jumb" holding a
 * description box "jumd" (type UUID, toggles, label) and content boxes.
 * C2PA (2.x specification, also read back to the 2022 1.x layout):
 *   c2pa                         the store
 *     <manifest label>           one per manifest; the last is active
 *       c2pa.assertions          assertion superboxes (cbor/json content)
 *       c2pa.claim | .claim.v2   cbor: what is signed
 *       c2pa.signature           cbor: COSE_Sign1, payload detached (the
 *                                claim's CBOR bytes)
 * The claim lists its assertions as hashed URIs: the hash of the
 * assertion's superbox without its 8-byte header (checked here: that is
 * how an edited assertion is caught).  What is not checked, and said so in
 * the record: the certificate chain against a trust list (none shipped),
 * time stamps, OCSP responses, and hard bindings other than c2pa.hash.data.
 */
#include "evidence/evidence.h"
#include "core/bytes.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds on what one store may make us keep: the walk itself only goes
 * the 4 levels C2PA uses (store, manifest, assertions, assertion). */
#define MAX_MANIFESTS 64
#define MAX_ASSERTIONS 512
/* A manifest holds an assertion store, a claim, a signature and perhaps
 * credential and data box stores. */
#define MAX_MANIFEST_PARTS 32
#define MAX_ACTIONS 256

typedef struct box {
    char type[5];
    const uint8_t *data;            /* content after the header */
    size_t n;
} box;

/* The box at *off in p[0..n): 1, 0 at the end, -1 when malformed. */
static int next_box(const uint8_t *p, size_t n, size_t *off, box *b)
{
    size_t o = *off;
    if (o >= n)
        return 0;
    if (n - o < 8)
        return -1;
    uint64_t len = lk__be32(p + o);
    size_t h = 8;
    if (len == 1) {
        if (n - o < 16)
            return -1;
        len = (uint64_t)lk__be32(p + o + 8) << 32 | lk__be32(p + o + 12);
        h = 16;
    } else if (len == 0) {
        len = n - o;
    }
    if (len < h || len > n - o)
        return -1;
    memcpy(b->type, p + o + 4, 4);
    b->type[4] = '\0';
    b->data = p + o + h;
    b->n = (size_t)len - h;
    *off = o + (size_t)len;
    return 1;
}

/* A superbox's description: its label (NUL-terminated in the box, or
 * NULL) and the offset of its first content box in sb->data. */
typedef struct jsuper {
    const uint8_t *uuid;
    const char *label;
    size_t label_n;
    const uint8_t *data;            /* the superbox's content */
    size_t n;
    size_t first;                   /* offset of the box after jumd */
} jsuper;

static int super_open(const box *b, jsuper *s)
{
    box d;
    size_t off = 0;
    if (strcmp(b->type, "jumb") != 0 || next_box(b->data, b->n, &off, &d) != 1 ||
        strcmp(d.type, "jumd") != 0 || d.n < 17)
        return 0;
    *s = (jsuper){.uuid = d.data, .data = b->data, .n = b->n, .first = off};
    if (d.data[16] & 0x02) {
        const uint8_t *z = memchr(d.data + 17, 0, d.n - 17);
        if (z) {
            s->label = (const char *)d.data + 17;
            s->label_n = (size_t)(z - (d.data + 17));
        }
    }
    return 1;
}

static int label_is(const jsuper *s, const char *l)
{
    size_t n = strlen(l);
    return s->label && s->label_n == n && memcmp(s->label, l, n) == 0;
}

/* Labels may carry an instance suffix: "c2pa.actions__1". */
static int label_has_prefix(const jsuper *s, const char *l)
{
    size_t n = strlen(l);
    return s->label && s->label_n >= n && memcmp(s->label, l, n) == 0 &&
           (s->label_n == n || s->label[n] == '_' || s->label[n] == '.');
}

/* The first content box (after jumd) of a superbox. */
static int super_content(const jsuper *s, box *c)
{
    size_t off = s->first;
    return next_box(s->data, s->n, &off, c) == 1;
}

/* The superboxes inside parent, in order, at most max of them into out
 * (other boxes are skipped).  owner (a manifest label, or NULL for the
 * store) and what ("assertions", "manifests") name them in problems; a
 * malformed box marks the store damaged.  Returns how many were read. */
static int sub_superboxes(lk__prov *pr, const jsuper *parent, jsuper *out,
                          int max, const char *owner, const char *what)
{
    box b;
    size_t off = parent->first;
    int n = 0, r;
    while ((r = next_box(parent->data, parent->n, &off, &b)) == 1) {
        if (n == max) {
            lk__prov_problem(pr, "%s%s%sover %d %s: the rest not read",
                             owner ? "manifest " : "", owner ? owner : "",
                             owner ? ": " : "", max, what);
            break;
        }
        n += super_open(&b, &out[n]);
    }
    if (r < 0) {
        pr->damaged = 1;
        lk__prov_problem(pr, "%s%s%s%s malformed after %d (truncated?)",
                         owner ? "manifest " : "", owner ? owner : "",
                         owner ? ": " : "", what, n);
    }
    return n;
}

/* ------------------------------------------------------------------------
 * Digests
 * ---------------------------------------------------------------------- */

static const EVP_MD *md_by_name(const char *alg)
{
    if (!alg || strcmp(alg, "sha256") == 0)
        return EVP_sha256();
    if (strcmp(alg, "sha384") == 0)
        return EVP_sha384();
    if (strcmp(alg, "sha512") == 0)
        return EVP_sha512();
    return NULL;
}

typedef struct range {
    uint64_t start, length;
} range;

/* Digest of p[0..n) minus the ranges (sorted, checked by the caller). */
static int digest_except(const EVP_MD *md, const uint8_t *p, size_t n,
                         const range *r, int nr, uint8_t *out,
                         unsigned *out_n)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, md, NULL);
    size_t at = 0;
    for (int i = 0; ok && i <= nr; i++) {
        size_t end = i < nr ? (size_t)r[i].start : n;
        if (end > at)
            ok = EVP_DigestUpdate(ctx, p + at, end - at);
        if (i < nr)
            at = (size_t)(r[i].start + r[i].length);
    }
    ok = ok && EVP_DigestFinal_ex(ctx, out, out_n);
    EVP_MD_CTX_free(ctx);
    return ok;
}

static int by_start(const void *a, const void *b)
{
    const range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* c2pa.hash.data: the file's bytes outside the exclusions (the store's
 * own bytes) hash to the signed value, or the file was edited. */
static lk_binding check_data_hash(lk__prov *pr, const cbor_item_t *a,
                                  const char *claim_alg, const uint8_t *file,
                                  size_t n)
{
    char *alg = lk__cbor_text(lk__cbor_get(a, "alg"));
    const EVP_MD *md = md_by_name(alg ? alg : claim_alg);
    const uint8_t *want;
    size_t want_n;
    lk_binding result = LK_BINDING_UNCHECKED;
    range *r = NULL;
    if (!md) {
        lk__prov_problem(pr, "c2pa.hash.data uses hash algorithm \"%s\", "
                             "which this version does not know: not checked",
                         alg ? alg : claim_alg);
        goto out;
    }
    if (!lk__cbor_bytes(lk__cbor_get(a, "hash"), &want, &want_n)) {
        lk__prov_problem(pr, "c2pa.hash.data without a hash: not checked");
        goto out;
    }
    cbor_item_t *ex = lk__cbor_get(a, "exclusions");
    int nr = ex && cbor_isa_array(ex) ? (int)cbor_array_size(ex) : 0;
    r = lk__calloc((size_t)nr + 1, sizeof *r);
    if (!r) {
        pr->nomem = 1;
        goto out;
    }
    for (int i = 0; i < nr; i++) {
        cbor_item_t *e = cbor_array_handle(ex)[i];
        int64_t s, l;
        if (!lk__cbor_int(lk__cbor_get(e, "start"), &s) ||
            !lk__cbor_int(lk__cbor_get(e, "length"), &l) || s < 0 || l < 0) {
            lk__prov_problem(pr, "c2pa.hash.data exclusion %d unreadable: "
                                 "not checked", i);
            goto out;
        }
        r[i] = (range){(uint64_t)s, (uint64_t)l};
    }
    qsort(r, (size_t)nr, sizeof *r, by_start);
    for (int i = 0; i < nr; i++) {
        uint64_t end = r[i].start + r[i].length;
        if (end > n || end < r[i].start ||
            (i + 1 < nr && end > r[i + 1].start)) {
            lk__prov_problem(pr, "c2pa.hash.data excludes bytes the file does "
                                 "not have (%llu+%llu of %zu): edited after "
                                 "signing",
                             (unsigned long long)r[i].start,
                             (unsigned long long)r[i].length, n);
            result = LK_BINDING_MISMATCH;
            goto out;
        }
    }
    uint8_t got[EVP_MAX_MD_SIZE];
    unsigned got_n = 0;
    if (!digest_except(md, file, n, r, nr, got, &got_n)) {
        lk__prov_problem(pr, "c2pa.hash.data: digest failed: not checked");
        goto out;
    }
    if (got_n == want_n && memcmp(got, want, got_n) == 0) {
        result = LK_BINDING_MATCH;
    } else {
        result = LK_BINDING_MISMATCH;
        lk__prov_problem(pr, "the file's bytes do not match the manifest's "
                             "c2pa.hash.data: edited after signing");
    }
out:
    free(r);
    free(alg);
    return result;
}

/* ------------------------------------------------------------------------
 * COSE_Sign1 (RFC 9052) over the claim
 * ---------------------------------------------------------------------- */

/* A COSE header value by integer label, or by the text label early C2PA
 * writers used before IANA assigned the number. */
static cbor_item_t *cose_header(const cbor_item_t *prot,
                                const cbor_item_t *unprot, int64_t label,
                                const char *text)
{
    cbor_item_t *v = lk__cbor_get_int(prot, label);
    if (!v)
        v = lk__cbor_get_int(unprot, label);
    if (!v && text)
        v = lk__cbor_get(prot, text);
    if (!v && text)
        v = lk__cbor_get(unprot, text);
    return v;
}

/* Hex SHA-256 of a certificate's DER SubjectPublicKeyInfo: 0, or -1 when
 * it cannot be encoded. */
static int key_sha256(X509 *cert, char out[65])
{
    unsigned char *der = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    if (n <= 0)
        return -1;
    lk__sha256_hex(der, (size_t)n, out);
    OPENSSL_free(der);
    return 0;
}

lk_status lk_certificate_key_sha256(const char *pem_path, char out[65])
{
    if (!pem_path || !out)
        return lk__error(LK_ERR_MISUSE, "lk_certificate_key_sha256: NULL "
                                        "argument");
    out[0] = 0;
    /* Read as any file the library reads: a FIFO is refused, not waited
     * on; a certificate is a few kilobytes. */
    uint8_t *pem;
    size_t n;
    lk_status s = lk__read_file(pem_path, (size_t)1 << 20, &pem, &n);
    if (s != LK_OK)
        return s;
    BIO *bio = BIO_new_mem_buf(pem, (int)n);
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    free(pem);
    if (!cert)
        return lk__error(LK_ERR_FORMAT, "%s: not a PEM certificate (no "
                         "\"BEGIN CERTIFICATE\" block that parses)",
                         pem_path);
    int rc = key_sha256(cert, out);
    X509_free(cert);
    return rc == 0 ? LK_OK
                   : lk__error(LK_ERR_FORMAT, "%s: the certificate's public "
                               "key cannot be encoded", pem_path);
}

/* "CN=…, O=…" of a certificate's subject; malloc'd. */
static char *subject_of(X509 *cert)
{
    X509_NAME *name = X509_get_subject_name(cert);
    char cn[256] = "", o[256] = "";
    X509_NAME_get_text_by_NID(name, NID_commonName, cn, sizeof cn);
    X509_NAME_get_text_by_NID(name, NID_organizationName, o, sizeof o);
    size_t n = strlen(cn) + strlen(o) + 16;
    char *s = lk__malloc(n);
    if (!s)
        return NULL;
    if (*cn && *o)
        snprintf(s, n, "CN=%s, O=%s", cn, o);
    else if (*cn || *o)
        snprintf(s, n, "%s=%s", *cn ? "CN" : "O", *cn ? cn : o);
    else
        snprintf(s, n, "(no subject name)");
    return s;
}

/* ECDSA in COSE is r||s of the curve's size; OpenSSL verifies DER. */
static unsigned char *ecdsa_der(const uint8_t *sig, size_t n, size_t *der_n)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)(n / 2), NULL);
    BIGNUM *s = BN_bin2bn(sig + n / 2, (int)(n / 2), NULL);
    unsigned char *der = NULL;
    if (es && r && s && ECDSA_SIG_set0(es, r, s)) {
        r = s = NULL;               /* owned by es now */
        int len = i2d_ECDSA_SIG(es, &der);
        *der_n = len > 0 ? (size_t)len : 0;
        if (len <= 0)
            der = NULL;
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return der;
}

/* A signature that verifies still needs a credential valid when it was
 * made.  Without a time stamp that time is unproven, so the certificate
 * must be valid now (C2PA's signingCredential.expired); with one, the
 * time stamp is trusted unverified (RFC 3161 checking is not done yet)
 * and said so. */
static lk_signature credential_in_time(lk__prov *pr, const lk_prov_manifest *m,
                                       X509 *cert, const cbor_item_t *prot,
                                       const cbor_item_t *unprot)
{
    int expired = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
    int early = X509_cmp_current_time(X509_get0_notBefore(cert)) > 0;
    if (!expired && !early)
        return LK_SIGNATURE_VALID;
    int stamped = cose_header(prot, unprot, -1, "sigTst") ||
                  cose_header(prot, unprot, -1, "sigTst2");
    if (stamped) {
        lk__prov_problem(pr, "manifest %s: the signing certificate is %s; "
                             "the signature's time stamp was not verified",
                         m->label, expired ? "expired" : "not yet valid");
        return LK_SIGNATURE_VALID;
    }
    lk__prov_problem(pr, "manifest %s: the signing certificate is %s and no "
                         "time stamp shows it signed while valid",
                     m->label, expired ? "expired" : "not yet valid");
    return LK_SIGNATURE_EXPIRED;
}

/* Verify the COSE_Sign1 in sig[0..sig_n) over claim[0..claim_n).  Sets
 * m->signer.  The reason for INVALID/UNVERIFIED goes to the problems. */
static lk_signature verify_cose(lk__prov *pr, lk_prov_manifest *m,
                                const uint8_t *sig, size_t sig_n,
                                const uint8_t *claim, size_t claim_n)
{
    const char *why = NULL;
    lk_signature res = LK_SIGNATURE_UNVERIFIED;
    /* COSE_Sign1 is tag 18, one byte 0xD2 (or 0xD8 0x12).  libcbor 0.8
     * refuses the unassigned tags 6-20 as malformed (fixed in 0.9), so the
     * tag is taken off here and the array decoded alone; an untagged
     * COSE_Sign1 is allowed too. */
    if (sig_n >= 1 && sig[0] == 0xD2) {
        sig++;
        sig_n--;
    } else if (sig_n >= 2 && sig[0] == 0xD8 && sig[1] == 0x12) {
        sig += 2;
        sig_n -= 2;
    }
    cbor_item_t *top = lk__cbor_load(sig, sig_n, &why), *prot = NULL;
    X509 *cert = NULL;
    EVP_MD_CTX *ctx = NULL;
    unsigned char *tbs = NULL, *der = NULL;
    if (!top) {
        pr->damaged = 1;
        lk__prov_problem(pr, "manifest %s: signature unreadable (%s): not "
                             "verified", m->label, why);
        return res;
    }
    cbor_item_t *arr = top;
    if (!arr || !cbor_isa_array(arr) || cbor_array_size(arr) != 4)
        goto shape;
    cbor_item_t **f = cbor_array_handle(arr);
    const uint8_t *pb, *sb;
    size_t pn, sn;
    if (!lk__cbor_bytes(f[0], &pb, &pn) || !cbor_isa_map(f[1]) ||
        !lk__cbor_bytes(f[3], &sb, &sn))
        goto shape;
    if (pn) {
        prot = lk__cbor_load(pb, pn, &why);
        if (!prot || !cbor_isa_map(prot))
            goto shape;
    }
    const uint8_t *payload = claim;
    size_t payload_n = claim_n;
    if (!lk__cbor_is_null(f[2]) &&
        !lk__cbor_bytes(f[2], &payload, &payload_n))
        goto shape;
    int64_t alg = 0;
    if (!lk__cbor_int(cose_header(prot, f[1], 1, NULL), &alg)) {
        lk__prov_problem(pr, "manifest %s: signature names no algorithm: not "
                             "verified", m->label);
        goto out;
    }
    cbor_item_t *chain = cose_header(prot, f[1], 33, "x5chain");
    if (chain && cbor_isa_array(chain))
        chain = cbor_array_size(chain) ? cbor_array_handle(chain)[0] : NULL;
    const uint8_t *cb;
    size_t cn;
    if (!lk__cbor_bytes(chain, &cb, &cn)) {
        lk__prov_problem(pr, "manifest %s: signature carries no certificate: "
                             "not verified", m->label);
        goto out;
    }
    const unsigned char *cp = cb;
    cert = d2i_X509(NULL, &cp, (long)cn);
    if (!cert) {
        lk__prov_problem(pr, "manifest %s: signing certificate unreadable: "
                             "not verified", m->label);
        goto out;
    }
    m->signer = lk__prov_keep(pr, subject_of(cert));
    char kh[65];
    if (key_sha256(cert, kh) == 0)
        m->signer_key = lk__prov_keepn(pr, kh, 64);
    EVP_PKEY *key = X509_get0_pubkey(cert);
    const EVP_MD *md = NULL;
    int want_type = 0, pss = 0;
    size_t ec_len = 0;
    switch (alg) {
    case -7: md = EVP_sha256(); want_type = EVP_PKEY_EC; ec_len = 64; break;
    case -35: md = EVP_sha384(); want_type = EVP_PKEY_EC; ec_len = 96; break;
    case -36: md = EVP_sha512(); want_type = EVP_PKEY_EC; ec_len = 132; break;
    case -37: md = EVP_sha256(); want_type = EVP_PKEY_RSA; pss = 1; break;
    case -38: md = EVP_sha384(); want_type = EVP_PKEY_RSA; pss = 1; break;
    case -39: md = EVP_sha512(); want_type = EVP_PKEY_RSA; pss = 1; break;
    case -8: want_type = EVP_PKEY_ED25519; break;
    default:
        lk__prov_problem(pr, "manifest %s: signature algorithm %lld is not "
                             "one C2PA allows: not verified",
                         m->label, (long long)alg);
        goto out;
    }
    int type = key ? EVP_PKEY_get_base_id(key) : 0;
    if (type == EVP_PKEY_RSA_PSS && want_type == EVP_PKEY_RSA)
        type = EVP_PKEY_RSA;
    if (type != want_type) {
        lk__prov_problem(pr, "manifest %s: the certificate's key does not fit "
                             "signature algorithm %lld: signature invalid",
                         m->label, (long long)alg);
        res = LK_SIGNATURE_INVALID;
        goto out;
    }
    /* Sig_structure = ["Signature1", protected, external_aad, payload] */
    cbor_item_t *ss = cbor_new_definite_array(4);
    int built = ss &&
        cbor_array_push(ss, cbor_move(cbor_build_string("Signature1"))) &&
        cbor_array_push(ss, cbor_move(cbor_build_bytestring(pb, pn))) &&
        cbor_array_push(ss, cbor_move(cbor_build_bytestring(NULL, 0))) &&
        cbor_array_push(ss, cbor_move(cbor_build_bytestring(payload,
                                                            payload_n)));
    size_t tbs_cap = 0, tbs_n = built ? cbor_serialize_alloc(ss, &tbs, &tbs_cap)
                                      : 0;
    if (ss)
        cbor_decref(&ss);
    if (!tbs_n) {
        pr->nomem = 1;
        goto out;
    }
    const uint8_t *s = sb;
    size_t s_n = sn;
    if (ec_len) {
        if (sn != ec_len) {
            lk__prov_problem(pr, "manifest %s: ECDSA signature of %zu bytes, "
                                 "not %zu: signature invalid",
                             m->label, sn, ec_len);
            res = LK_SIGNATURE_INVALID;
            goto out;
        }
        der = ecdsa_der(sb, sn, &s_n);
        if (!der) {
            pr->nomem = 1;
            goto out;
        }
        s = der;
    }
    EVP_PKEY_CTX *pctx = NULL;
    ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key) == 1;
    if (ok && pss)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) > 0;
    if (!ok) {
        lk__prov_problem(pr, "manifest %s: OpenSSL could not set up "
                             "verification: not verified", m->label);
        goto out;
    }
    if (EVP_DigestVerify(ctx, s, s_n, tbs, tbs_n) == 1) {
        res = credential_in_time(pr, m, cert, prot, f[1]);
    } else {
        res = LK_SIGNATURE_INVALID;
        lk__prov_problem(pr, "manifest %s: the claim signature does not "
                             "verify: the claim was altered after signing, "
                             "or signed by a key other than its "
                             "certificate's", m->label);
    }
    goto out;
shape:
    pr->damaged = 1;
    lk__prov_problem(pr, "manifest %s: signature is not a COSE_Sign1%s%s: "
                         "not verified", m->label, why ? " " : "",
                     why ? why : "");
out:
    EVP_MD_CTX_free(ctx);
    OPENSSL_free(der);
    free(tbs);
    X509_free(cert);
    if (prot)
        cbor_decref(&prot);
    cbor_decref(&top);
    return res;
}

/* ------------------------------------------------------------------------
 * Manifests
 * ---------------------------------------------------------------------- */

/* An assertion's content loaded as CBOR (NULL for other content). */
static cbor_item_t *assertion_cbor(lk__prov *pr, const lk_prov_manifest *m,
                                   const jsuper *a)
{
    box c;
    const char *why;
    if (!super_content(a, &c) || strcmp(c.type, "cbor") != 0)
        return NULL;
    cbor_item_t *item = lk__cbor_load(c.data, c.n, &why);
    if (!item) {
        pr->damaged = 1;
        lk__prov_problem(pr, "manifest %s: assertion %.*s unreadable (%s)",
                         m->label, (int)a->label_n, a->label, why);
    }
    return item;
}

/* The name of a softwareAgent (text in actions v1, a generator-info map
 * in v2) or of claim_generator_info. */
static char *agent_name(const cbor_item_t *v)
{
    if (v && cbor_isa_array(v) && cbor_array_size(v))
        v = cbor_array_handle(v)[0];
    if (v && cbor_isa_map(v)) {
        char *name = lk__cbor_text(lk__cbor_get(v, "name"));
        char *ver = lk__cbor_text(lk__cbor_get(v, "version"));
        if (name && ver) {
            size_t n = strlen(name) + strlen(ver) + 2;
            char *s = lk__malloc(n);
            if (s)
                snprintf(s, n, "%s/%s", name, ver);
            free(name);
            name = s;
        }
        free(ver);
        return name;
    }
    return lk__cbor_text(v);
}

static void read_actions(lk__prov *pr, lk__prov_manifest *m,
                         const cbor_item_t *a)
{
    cbor_item_t *list = lk__cbor_get(a, "actions");
    if (!list || !cbor_isa_array(list))
        return;
    size_t n = cbor_array_size(list);
    if (n > MAX_ACTIONS)
        n = MAX_ACTIONS;
    if (n == 0)
        return;
    lk_prov_action *na = lk__realloc(m->actions,
                                     ((size_t)m->pub.n_actions + n) *
                                         sizeof *na);
    if (!na) {
        pr->nomem = 1;
        return;
    }
    m->actions = na;
    for (size_t i = 0; i < n; i++) {
        cbor_item_t *e = cbor_array_handle(list)[i];
        lk_prov_action *x = &m->actions[m->pub.n_actions++];
        *x = (lk_prov_action){0};
        x->action = lk__prov_keep(pr, lk__cbor_text(lk__cbor_get(e, "action")));
        x->software = lk__prov_keep(pr, agent_name(lk__cbor_get(e, "softwareAgent")));
        char *dst = lk__cbor_text(lk__cbor_get(e, "digitalSourceType"));
        if (dst) {
            const char *term;
            size_t tn;
            lk__source_class(dst, &term, &tn);
            x->source_type = lk__prov_keepn(pr, term, tn);
            free(dst);
        }
    }
}

/* A signed EXIF camera make or model (stds.exif is JSON-LD). */
static int exif_names_camera(const jsuper *a)
{
    box c;
    if (!super_content(a, &c) || strcmp(c.type, "json") != 0)
        return 0;
    json_t *j = json_loadb((const char *)c.data, c.n, JSON_REJECT_DUPLICATES,
                           NULL);
    int found = 0;
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v) {
        const char *colon = strrchr(k, ':');
        const char *name = colon ? colon + 1 : k;
        if ((strcmp(name, "Make") == 0 || strcmp(name, "Model") == 0) &&
            json_is_string(v) && json_string_length(v) > 0)
            found = 1;
    }
    json_decref(j);
    return found;
}

/* Check the claim's hashed URIs against the assertion boxes. */
static void check_assertion_hashes(lk__prov *pr, lk_prov_manifest *m,
                                   const cbor_item_t *claim,
                                   const jsuper *asserts, int n_asserts,
                                   const char *claim_alg, int active)
{
    static const char *const lists[] = {"assertions", "created_assertions",
                                        "gathered_assertions"};
    for (int l = 0; l < 3; l++) {
        cbor_item_t *list = lk__cbor_get(claim, lists[l]);
        if (!list || !cbor_isa_array(list))
            continue;
        for (size_t i = 0; i < cbor_array_size(list); i++) {
            cbor_item_t *u = cbor_array_handle(list)[i];
            char *url = lk__cbor_text(lk__cbor_get(u, "url"));
            char *alg = lk__cbor_text(lk__cbor_get(u, "alg"));
            const uint8_t *want;
            size_t want_n;
            const char *slash = url ? strrchr(url, '/') : NULL;
            const char *label = slash ? slash + 1 : NULL;
            const EVP_MD *md = md_by_name(alg ? alg : claim_alg);
            if (!label || !md || !lk__cbor_bytes(lk__cbor_get(u, "hash"),
                                                 &want, &want_n)) {
                lk__prov_problem(pr, "manifest %s: claim lists an assertion "
                                     "it does not name or hash usably",
                                 m->label);
            } else {
                int k = 0;
                while (k < n_asserts && !label_is(&asserts[k], label))
                    k++;
                uint8_t got[EVP_MAX_MD_SIZE];
                unsigned got_n = 0;
                /* The superbox's content: description and content boxes. */
                if (k == n_asserts) {
                    lk__prov_problem(pr, "manifest %s: assertion %s is "
                                         "signed but missing", m->label,
                                     label);
                    pr->bad_assertions += active;
                } else if (!EVP_Digest(asserts[k].data, asserts[k].n, got,
                                       &got_n, md, NULL) ||
                           got_n != want_n || memcmp(got, want, got_n)) {
                    lk__prov_problem(pr, "manifest %s: assertion %s does not "
                                         "match the hash its claim signed: "
                                         "altered after signing",
                                     m->label, label);
                    pr->bad_assertions += active;
                }
            }
            free(url);
            free(alg);
        }
    }
}

static void read_manifest(lk__prov *pr, lk__prov_manifest *mm,
                          const jsuper *ms, const uint8_t *file, size_t n,
                          int active)
{
    lk_prov_manifest *m = &mm->pub;
    jsuper asserts[MAX_ASSERTIONS], parts[MAX_MANIFEST_PARTS];
    int n_asserts = 0;
    box c;
    const uint8_t *claim = NULL, *sig = NULL;
    size_t claim_n = 0, sig_n = 0;
    const int n_parts = sub_superboxes(pr, ms, parts, MAX_MANIFEST_PARTS,
                                       m->label, "boxes");
    for (int i = 0; i < n_parts; i++) {
        const jsuper *s = &parts[i];
        if (label_is(s, "c2pa.assertions")) {
            n_asserts += sub_superboxes(pr, s, asserts + n_asserts,
                                        MAX_ASSERTIONS - n_asserts, m->label,
                                        "assertions");
        } else if ((label_is(s, "c2pa.claim") ||
                    label_is(s, "c2pa.claim.v2")) && super_content(s, &c)) {
            claim = c.data;
            claim_n = c.n;
        } else if (label_is(s, "c2pa.signature") && super_content(s, &c)) {
            sig = c.data;
            sig_n = c.n;
        }
    }

    const char *why = NULL;
    cbor_item_t *cl = claim ? lk__cbor_load(claim, claim_n, &why) : NULL;
    if (!cl || !cbor_isa_map(cl)) {
        pr->damaged = 1;
        lk__prov_problem(pr, "manifest %s: %s", m->label,
                         claim ? "claim unreadable" : "no claim");
        m->signature = LK_SIGNATURE_UNVERIFIED;
        if (cl)
            cbor_decref(&cl);
        return;
    }
    char *gen = lk__cbor_text(lk__cbor_get(cl, "claim_generator"));
    if (!gen)
        gen = agent_name(lk__cbor_get(cl, "claim_generator_info"));
    m->claim_generator = lk__prov_keep(pr, gen);
    m->title = lk__prov_keep(pr, lk__cbor_text(lk__cbor_get(cl, "dc:title")));
    char *claim_alg = lk__cbor_text(lk__cbor_get(cl, "alg"));

    if (sig)
        m->signature = verify_cose(pr, m, sig, sig_n, claim, claim_n);
    else {
        m->signature = LK_SIGNATURE_UNVERIFIED;
        pr->damaged = 1;
        lk__prov_problem(pr, "manifest %s: no signature", m->label);
    }
    check_assertion_hashes(pr, m, cl, asserts, n_asserts,
                           claim_alg ? claim_alg : "sha256", active);

    int exif_camera = 0;
    for (int i = 0; i < n_asserts; i++) {
        const jsuper *a = &asserts[i];
        if (label_has_prefix(a, "c2pa.actions")) {
            cbor_item_t *item = assertion_cbor(pr, m, a);
            if (item) {
                read_actions(pr, mm, item);
                cbor_decref(&item);
            }
        } else if (label_has_prefix(a, "c2pa.ingredient")) {
            cbor_item_t *item = assertion_cbor(pr, m, a);
            const char **ni = lk__realloc(m->ingredients,
                                          ((size_t)m->n_ingredients + 1) *
                                              sizeof *ni);
            if (!ni) {
                pr->nomem = 1;
            } else {
                m->ingredients = ni;
                ni[m->n_ingredients++] = lk__prov_keep(
                    pr, lk__cbor_text(lk__cbor_get(item, "dc:title")));
            }
            if (item)
                cbor_decref(&item);
        } else if (active && label_has_prefix(a, "c2pa.hash.data")) {
            cbor_item_t *item = assertion_cbor(pr, m, a);
            if (item && pr->pub.binding == LK_BINDING_NONE)
                pr->pub.binding = check_data_hash(
                    pr, item, claim_alg ? claim_alg : "sha256", file, n);
            if (item)
                cbor_decref(&item);
        } else if (active && (label_has_prefix(a, "c2pa.hash.bmff") ||
                              label_has_prefix(a, "c2pa.hash.boxes") ||
                              label_has_prefix(a, "c2pa.hash.collection"))) {
            if (pr->pub.binding == LK_BINDING_NONE) {
                pr->pub.binding = LK_BINDING_UNCHECKED;
                lk__prov_problem(pr, "hard binding %.*s is not checked by "
                                     "this version",
                                 (int)a->label_n, a->label);
            }
        } else if (label_has_prefix(a, "stds.exif")) {
            exif_camera |= exif_names_camera(a);
        }
    }
    if (active && exif_camera && m->n_ingredients == 0) {
        int declared = 0;
        for (int i = 0; i < m->n_actions; i++)
            declared |= mm->actions[i].source_type != NULL;
        pr->implied_capture = !declared;
    }
    free(claim_alg);
    cbor_decref(&cl);
}

void lk__c2pa_read(lk__prov *pr, const uint8_t *file, size_t n,
                   const uint8_t *store, size_t store_n)
{
    box b;
    jsuper st;
    size_t off = 0;
    pr->pub.c2pa = 1;
    if (next_box(store, store_n, &off, &b) != 1 || !super_open(&b, &st)) {
        pr->damaged = 1;
        lk__prov_problem(pr, "C2PA manifest store malformed (truncated?)");
        return;
    }
    /* The manifests, in order: the last is the active one. */
    jsuper ms[MAX_MANIFESTS];
    const int n_ms = sub_superboxes(pr, &st, ms, MAX_MANIFESTS, NULL,
                                    "manifests");
    if (!n_ms) {
        pr->damaged = 1;
        lk__prov_problem(pr, "C2PA manifest store without a manifest");
        return;
    }
    pr->manifests = lk__calloc((size_t)n_ms, sizeof *pr->manifests);
    if (!pr->manifests) {
        pr->nomem = 1;
        return;
    }
    pr->pub.n_manifests = n_ms;
    pr->pub.active = n_ms - 1;
    for (int i = 0; i < n_ms; i++) {
        lk__prov_manifest *m = &pr->manifests[i];
        m->pub.label = ms[i].label
                           ? lk__prov_keepn(pr, ms[i].label, ms[i].label_n)
                           : "(unlabelled)";
        read_manifest(pr, m, &ms[i], file, n, i == n_ms - 1);
    }
    const lk_prov_manifest *act = &pr->manifests[n_ms - 1].pub;
    pr->pub.signature = act->signature;
    /* What the store declares: the strongest source type of any of its
     * manifests (an ingredient made by AI stays AI after a crop). */
    for (int i = n_ms - 1; i >= 0; i--) {
        const lk__prov_manifest *m = &pr->manifests[i];
        for (int k = 0; k < m->pub.n_actions; k++) {
            const lk_prov_action *x = &m->actions[k];
            if (!x->source_type)
                continue;
            lk_source_class c = lk__source_class(x->source_type, NULL, NULL);
            if (c > pr->c2pa_class) {
                pr->c2pa_class = c;
                pr->c2pa_type = x->source_type;
                pr->c2pa_agent = x->software ? x->software
                                             : m->pub.claim_generator;
            }
        }
    }
}
