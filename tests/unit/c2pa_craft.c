/*
 * c2pa_craft.c — test-only C2PA signer (see c2pa_craft.h).  The layout
 * follows what c2pa-rs and Truepic's library write (checked box by box
 * against their signed files in the evaluation set):
 *
 *   jumb "c2pa" (manifest store, UUID c2pa-0011-0010-8000-00aa00389b71)
 *     jumb "urn:uuid:…" (manifest, c2ma)
 *       jumb "c2pa.assertions" (c2as)
 *         jumb "c2pa.actions" (cbor) + cbor box   …one per assertion
 *         jumb "c2pa.hash.data" (cbor) + cbor box
 *       jumb "c2pa.claim" (c2cl) + cbor box
 *       jumb "c2pa.signature" (c2cs) + cbor box: COSE_Sign1, tag 18
 *
 * An assertion's hashed URI holds the sha256 of its superbox without the
 * superbox's own 8-byte header.  The signature is COSE_Sign1 with a
 * detached payload: Sig_structure ["Signature1", protected, h'', claim
 * CBOR], ES256 as raw r||s, the certificate (DER) under x5chain (33) in
 * the protected header.  The hard binding excludes exactly the bytes the
 * store adds to the file (all APP11 segments; the whole caBX chunk), so
 * its hash is the sha256 of the unsigned image.
 *
 * Audio and video follow c2pa-rs's layout and exclusions: WAV, a "C2PA"
 * chunk appended to the RIFF (exclusion: the chunk and its 8-byte header,
 * not the pad byte), the RIFF size grown; MP3, an ID3v2.4 tag in front
 * with a GEOB frame (exclusion: the store's bytes only, the tag and frame
 * headers are hashed); MP4, a C2PA uuid box after ftyp (exclusion: the
 * whole box), every stco/co64 chunk offset moved past it.  There the
 * container's own fields change with the store, so the hash is taken over
 * the signed layout (built with a store of the final size) minus the
 * exclusion, as a real signer does with its placeholder.
 *
 * Built also as a program (-DC2PA_CRAFT_MAIN): c2pa_craft --make-seeds DIR,
 * or c2pa_craft [options] OUT to write one file for inspection.
 */
#include "c2pa_craft.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <vips/vips.h>

static char craft_err[512];

static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(craft_err, sizeof craft_err, fmt, ap);
    va_end(ap);
    return -1;
}

const char *c2pa_craft_error(void)
{
    return craft_err;
}

c2pa_craft_params c2pa_craft_default_params(void)
{
    c2pa_craft_params p;
    memset(&p, 0, sizeof p);
    p.container = C2PA_CRAFT_JPEG;
    p.width = 96;
    p.height = 64;
    p.action = "c2pa.created";
    p.source_type = "trainedAlgorithmicMedia";
    p.software_agent = "Likeness Test Diffusion 1.0";
    p.claim_generator = "c2pa_craft/1.0 likeness-tests";
    p.title = "c2pa_craft.jpg";
    p.damage = C2PA_CRAFT_INTACT;
    p.xl_size = (uint64_t)1 << 40;
    return p;
}

static const char *const damage_names[C2PA_CRAFT_DAMAGE_COUNT] = {
    "intact", "pixels", "claim", "other-key", "truncated", "file-cut",
    "box-overlong", "box-short", "box-xl", "cbor-deep", "cbor-huge",
    "cbor-open",
};

const char *c2pa_craft_extension(c2pa_craft_container c)
{
    static const char *const ext[C2PA_CRAFT_CONTAINER_COUNT] = {
        "jpg", "png", "wav", "mp3", "mp4"};
    return (unsigned)c < C2PA_CRAFT_CONTAINER_COUNT ? ext[c] : "bin";
}

const char *c2pa_craft_damage_name(c2pa_craft_damage d)
{
    return (unsigned)d < C2PA_CRAFT_DAMAGE_COUNT ? damage_names[d] : "?";
}

/* ------------------------------------------------------------------------
 * Byte buffers
 * ---------------------------------------------------------------------- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} buf;

static void b_put(buf *b, const void *d, size_t n)
{
    if (b->oom || n == 0)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void b_u8(buf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    b_put(b, &c, 1);
}

static void b_be16(buf *b, unsigned v)
{
    uint8_t c[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    b_put(b, c, 2);
}

static void b_be32(buf *b, uint32_t v)
{
    uint8_t c[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
                    (uint8_t)v};
    b_put(b, c, 4);
}

static void b_free(buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* ------------------------------------------------------------------------
 * JUMBF
 * ---------------------------------------------------------------------- */

/* C2PA box types are a 4CC followed by the ISO common suffix. */
static void c2pa_uuid(uint8_t u[16], const char fourcc[4])
{
    static const uint8_t tail[12] = {0x00, 0x11, 0x00, 0x10, 0x80, 0x00,
                                     0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};
    memcpy(u, fourcc, 4);
    memcpy(u + 4, tail, 12);
}

static void b_box(buf *out, const char type[4], const void *payload, size_t n)
{
    b_be32(out, (uint32_t)(8 + n));
    b_put(out, type, 4);
    b_put(out, payload, n);
}

/* jumb { jumd {uuid, toggles 3 (requestable, label), label}, children } */
static void b_superbox(buf *out, const char fourcc[4], const char *label,
                       const buf *children)
{
    uint8_t u[16];
    c2pa_uuid(u, fourcc);
    size_t ll = strlen(label) + 1;
    size_t jumd = 8 + 16 + 1 + ll;
    b_be32(out, (uint32_t)(8 + jumd + children->n));
    b_put(out, "jumb", 4);
    b_be32(out, (uint32_t)jumd);
    b_put(out, "jumd", 4);
    b_put(out, u, 16);
    b_u8(out, 3);
    b_put(out, label, ll);
    b_put(out, children->p, children->n);
}

/* The superbox labelled label, depth first: the offset of its header and
 * of its first box after the description.  0 or -1. */
static int find_label(const uint8_t *d, size_t off, size_t end,
                      const char *label, size_t *jumb, size_t *content)
{
    while (off + 8 <= end) {
        size_t len = get_be32(d + off);
        if (len < 8 || len > end - off)
            return -1;
        if (memcmp(d + off + 4, "jumb", 4) == 0 && len >= 16) {
            size_t dl = get_be32(d + off + 8);
            if (dl < 25 || dl > len - 8)
                return -1;
            const char *lab = (const char *)d + off + 8 + 25;
            size_t room = dl - 25;
            if (strnlen(lab, room) < room && strcmp(lab, label) == 0) {
                *jumb = off;
                *content = off + 8 + dl;
                return 0;
            }
            if (find_label(d, off + 8 + dl, off + len, label, jumb,
                           content) == 0)
                return 0;
        }
        off += len;
    }
    return -1;
}

/* ------------------------------------------------------------------------
 * CBOR
 * ---------------------------------------------------------------------- */

/* Serialized item, consumed (decref'd).  0 or -1. */
static int cbor_bytes(cbor_item_t *item, buf *out)
{
    if (!item)
        return fail("out of memory building CBOR");
    unsigned char *p = NULL;
    size_t cap = 0;
    size_t n = cbor_serialize_alloc(item, &p, &cap);
    cbor_decref(&item);
    if (n == 0) {
        free(p);
        return fail("cbor_serialize_alloc failed");
    }
    b_put(out, p, n);
    free(p);
    return out->oom ? fail("out of memory") : 0;
}

/* Unsigned integer in its shortest encoding, as serde_cbor writes it. */
static cbor_item_t *cb_uint(uint64_t v)
{
    if (v <= 0xff)
        return cbor_build_uint8((uint8_t)v);
    if (v <= 0xffff)
        return cbor_build_uint16((uint16_t)v);
    if (v <= 0xffffffffu)
        return cbor_build_uint32((uint32_t)v);
    return cbor_build_uint64(v);
}

static cbor_item_t *cb_str(const char *s)
{
    return cbor_build_string(s);
}

static void cb_put(cbor_item_t *map, const char *key, cbor_item_t *value)
{
    cbor_map_add(map, (struct cbor_pair){.key = cbor_move(cb_str(key)),
                                         .value = cbor_move(value)});
}

/* ------------------------------------------------------------------------
 * Keys, certificate, ES256
 * ---------------------------------------------------------------------- */

typedef struct signer {
    EVP_PKEY *key;             /* the certificate's */
    EVP_PKEY *other;           /* another P-256 key */
    uint8_t *cert;             /* DER */
    int cert_n;
} signer;

static void signer_free(signer *s)
{
    EVP_PKEY_free(s->key);
    EVP_PKEY_free(s->other);
    OPENSSL_free(s->cert);
    memset(s, 0, sizeof *s);
}

/* The key and certificate of a PEM file, as signer_new() wrote it. */
static int signer_read(signer *s, FILE *f, const char *pem)
{
    X509 *x = NULL;
    s->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    if (s->key)
        x = PEM_read_X509(f, NULL, NULL, NULL);
    s->other = EVP_EC_gen("P-256");
    if (x && s->other)
        s->cert_n = i2d_X509(x, &s->cert);
    X509_free(x);
    if (!s->key || !s->other || s->cert_n <= 0) {
        signer_free(s);
        return fail("%s: no private key followed by a certificate", pem);
    }
    return 0;
}

/* A new P-256 key and self-signed certificate; with pem, the ones that
 * file holds, or new ones written to it when it does not exist (so that
 * several files can be signed by one "licensee"). */
static int signer_new(signer *s, const char *pem)
{
    memset(s, 0, sizeof *s);
    FILE *f = pem ? fopen(pem, "r") : NULL;
    if (f) {
        int r = signer_read(s, f, pem);
        fclose(f);
        return r;
    }
    s->key = EVP_EC_gen("P-256");
    s->other = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    int ok = s->key && s->other && x;
    if (ok) {
        X509_NAME *name = X509_get_subject_name(x);
        ok = X509_set_version(x, 2) &&
             ASN1_INTEGER_set(X509_get_serialNumber(x), 20260101) &&
             X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
             X509_gmtime_adj(X509_getm_notAfter(x), 365L * 24 * 3600) &&
             X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC,
                                        (const unsigned char *)"US", -1, -1,
                                        0) &&
             X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                        (const unsigned char *)
                                        "Likeness Test Signer", -1, -1, 0) &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                        (const unsigned char *)"c2pa_craft",
                                        -1, -1, 0) &&
             X509_set_issuer_name(x, name) && X509_set_pubkey(x, s->key) &&
             X509_sign(x, s->key, EVP_sha256()) > 0;
    }
    if (ok) {
        s->cert_n = i2d_X509(x, &s->cert);
        ok = s->cert_n > 0;
    }
    if (ok && pem) {
        FILE *w = fopen(pem, "w");
        ok = w && PEM_write_PrivateKey(w, s->key, NULL, NULL, 0, NULL, NULL) &&
             PEM_write_X509(w, x);
        if (w && fclose(w) != 0)
            ok = 0;
    }
    X509_free(x);
    if (!ok) {
        signer_free(s);
        return fail("cannot make a P-256 key and certificate");
    }
    return 0;
}

/* ES256 over msg: raw r||s, 32 bytes each. */
static int es256(EVP_PKEY *key, const uint8_t *msg, size_t n, uint8_t rs[64])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char der[80];
    size_t dn = sizeof der;
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) ==
                        1 &&
             EVP_DigestSign(ctx, der, &dn, msg, n) == 1;
    EVP_MD_CTX_free(ctx);
    ECDSA_SIG *sig = NULL;
    if (ok) {
        const unsigned char *q = der;
        sig = d2i_ECDSA_SIG(NULL, &q, (long)dn);
        ok = sig != NULL;
    }
    if (ok) {
        const BIGNUM *r, *s;
        ECDSA_SIG_get0(sig, &r, &s);
        ok = BN_bn2binpad(r, rs, 32) == 32 && BN_bn2binpad(s, rs + 32, 32) == 32;
    }
    ECDSA_SIG_free(sig);
    return ok ? 0 : fail("ES256 signing failed");
}

/* ------------------------------------------------------------------------
 * The manifest store
 * ---------------------------------------------------------------------- */

/* The actions assertion's CBOR: the declaration, or a bomb. */
static int actions_cbor(const c2pa_craft_params *p, buf *out)
{
    static const uint8_t actions_key[] = {0x67, 'a', 'c', 't', 'i', 'o', 'n',
                                          's'};
    switch (p->damage) {
    case C2PA_CRAFT_CBOR_DEEP:
        for (int i = 0; i < 100000; i++)
            b_u8(out, 0x81);   /* array of one */
        b_u8(out, 0x00);
        return out->oom ? fail("out of memory") : 0;
    case C2PA_CRAFT_CBOR_HUGE:
        b_u8(out, 0xa1);
        b_put(out, actions_key, sizeof actions_key);
        b_u8(out, 0x5b);       /* byte string, 64-bit length: 2^62 */
        b_be32(out, 0x40000000u);
        b_be32(out, 0);
        b_put(out, "not that many bytes", 19);
        return out->oom ? fail("out of memory") : 0;
    case C2PA_CRAFT_CBOR_OPEN:
        b_u8(out, 0xa1);
        b_put(out, actions_key, sizeof actions_key);
        b_u8(out, 0x7f);       /* indefinite text string, no 0xff */
        for (int i = 0; i < 64; i++) {
            b_u8(out, 0x61);
            b_u8(out, 'a');
        }
        return out->oom ? fail("out of memory") : 0;
    default:
        break;
    }
    cbor_item_t *act = cbor_new_definite_map(3);
    cb_put(act, "action", cb_str(p->action ? p->action : "c2pa.created"));
    if (p->software_agent) {
        if (p->claim_v2) {
            cbor_item_t *agent = cbor_new_definite_map(1);
            cb_put(agent, "name", cb_str(p->software_agent));
            cb_put(act, "softwareAgent", agent);
        } else {
            cb_put(act, "softwareAgent", cb_str(p->software_agent));
        }
    }
    if (p->source_type) {
        char uri[256];
        snprintf(uri, sizeof uri,
                 "http://cv.iptc.org/newscodes/digitalsourcetype/%s",
                 p->source_type);
        cb_put(act, "digitalSourceType", cb_str(uri));
    }
    cbor_item_t *list = cbor_new_definite_array(1);
    cbor_array_push(list, cbor_move(act));
    cbor_item_t *root = cbor_new_definite_map(1);
    cb_put(root, "actions", list);
    return cbor_bytes(root, out);
}

static int hash_data_cbor(uint64_t start, uint64_t length,
                          const uint8_t hash[32], buf *out)
{
    cbor_item_t *ex = cbor_new_definite_map(2);
    cb_put(ex, "start", cb_uint(start));
    cb_put(ex, "length", cb_uint(length));
    cbor_item_t *exs = cbor_new_definite_array(1);
    cbor_array_push(exs, cbor_move(ex));
    cbor_item_t *root = cbor_new_definite_map(5);
    cb_put(root, "exclusions", exs);
    cb_put(root, "name", cb_str("jumbf manifest"));
    cb_put(root, "alg", cb_str("sha256"));
    cb_put(root, "hash", cbor_build_bytestring(hash, 32));
    static const uint8_t pad[8];
    cb_put(root, "pad", cbor_build_bytestring(pad, sizeof pad));
    return cbor_bytes(root, out);
}

static const uint8_t BMFF_C2PA_UUID[16] = {0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e,
                                           0x48, 0x3c, 0x92, 0x97, 0x58, 0x28,
                                           0x87, 0x7e, 0xc4, 0x81};

/* c2pa.hash.bmff.v2 as c2pa-rs writes it for an MP4 without Merkle trees:
 * the mandatory exclusions (/ftyp, the C2PA /uuid matched by its usertype
 * at offset 8, /mfra), sha256. */
static int hash_bmff_cbor(const uint8_t hash[32], buf *out)
{
    cbor_item_t *exs = cbor_new_definite_array(3);
    cbor_item_t *uuid = cbor_new_definite_map(2);
    cb_put(uuid, "xpath", cb_str("/uuid"));
    cbor_item_t *data = cbor_new_definite_array(1);
    cbor_item_t *d = cbor_new_definite_map(2);
    cb_put(d, "offset", cb_uint(8));
    cb_put(d, "value", cbor_build_bytestring(BMFF_C2PA_UUID, 16));
    cbor_array_push(data, cbor_move(d));
    cb_put(uuid, "data", data);
    cbor_array_push(exs, cbor_move(uuid));
    static const char *const boxes[] = {"/ftyp", "/mfra"};
    for (int i = 0; i < 2; i++) {
        cbor_item_t *x = cbor_new_definite_map(1);
        cb_put(x, "xpath", cb_str(boxes[i]));
        cbor_array_push(exs, cbor_move(x));
    }
    cbor_item_t *root = cbor_new_definite_map(4);
    cb_put(root, "exclusions", exs);
    cb_put(root, "alg", cb_str("sha256"));
    cb_put(root, "hash", cbor_build_bytestring(hash, 32));
    cb_put(root, "name", cb_str("jumbf manifest"));
    return cbor_bytes(root, out);
}

typedef struct assertion {
    const char *label;
    buf box;                   /* the assertion's superbox */
    uint8_t hash[32];
} assertion;

static int make_assertion(assertion *a, const char *label, const buf *cbor)
{
    buf content = {0};
    b_box(&content, "cbor", cbor->p, cbor->n);
    a->label = label;
    b_superbox(&a->box, "cbor", label, &content);
    b_free(&content);
    if (a->box.oom)
        return fail("out of memory");
    SHA256(a->box.p + 8, a->box.n - 8, a->hash);
    return 0;
}

static int claim_cbor(const c2pa_craft_params *p, const char *manifest,
                      const assertion *as, int n, buf *out)
{
    cbor_item_t *refs = cbor_new_definite_array((size_t)n);
    for (int i = 0; i < n; i++) {
        char url[512];
        if (p->claim_v2)
            snprintf(url, sizeof url,
                     "self#jumbf=/c2pa/%s/c2pa.assertions/%s", manifest,
                     as[i].label);
        else
            snprintf(url, sizeof url, "self#jumbf=c2pa.assertions/%s",
                     as[i].label);
        cbor_item_t *r = cbor_new_definite_map(3);
        cb_put(r, "url", cb_str(url));
        cb_put(r, "hash", cbor_build_bytestring(as[i].hash, 32));
        cb_put(r, "alg", cb_str("sha256"));
        cbor_array_push(refs, cbor_move(r));
    }
    static const char *const formats[C2PA_CRAFT_CONTAINER_COUNT] = {
        "image/jpeg", "image/png", "audio/wav", "audio/mpeg", "video/mp4"};
    const char *format = (unsigned)p->container < C2PA_CRAFT_CONTAINER_COUNT
                             ? formats[p->container]
                             : "image/jpeg";
    cbor_item_t *c = cbor_new_definite_map(8);
    if (p->title)
        cb_put(c, "dc:title", cb_str(p->title));
    cb_put(c, "dc:format", cb_str(format));
    cb_put(c, "instanceID",
           cb_str("xmp:iid:5f1c6b2e-0d3a-4c1e-9a7b-c2a0c2a0c2a0"));
    if (p->claim_v2) {
        cbor_item_t *gi = cbor_new_definite_map(2);
        cb_put(gi, "name", cb_str(p->claim_generator ? p->claim_generator
                                                     : "c2pa_craft"));
        cb_put(gi, "version", cb_str("1.0"));
        cb_put(c, "claim_generator_info", gi);
        cb_put(c, "signature", cb_str("self#jumbf=c2pa.signature"));
        cb_put(c, "created_assertions", refs);
    } else {
        if (p->claim_generator)
            cb_put(c, "claim_generator", cb_str(p->claim_generator));
        cbor_item_t *gil = cbor_new_definite_array(1);
        cbor_item_t *gi = cbor_new_definite_map(2);
        cb_put(gi, "name", cb_str("c2pa_craft"));
        cb_put(gi, "version", cb_str("1.0"));
        cbor_array_push(gil, cbor_move(gi));
        cb_put(c, "claim_generator_info", gil);
        cb_put(c, "signature", cb_str("self#jumbf=c2pa.signature"));
        cb_put(c, "assertions", refs);
    }
    cb_put(c, "alg", cb_str("sha256"));
    return cbor_bytes(c, out);
}

/* COSE_Sign1 (tag 18) over the claim, detached payload. */
static int cose_sign1(const c2pa_craft_params *p, const signer *s,
                      const buf *claim, buf *out)
{
    cbor_item_t *ph = cbor_new_definite_map(2);
    cbor_map_add(ph, (struct cbor_pair){.key = cbor_move(cbor_build_uint8(1)),
                                        .value = cbor_move(
                                            cbor_build_negint8(6))}); /* -7 */
    cbor_map_add(ph, (struct cbor_pair){
                         .key = cbor_move(cbor_build_uint8(33)),
                         .value = cbor_move(cbor_build_bytestring(
                             s->cert, (size_t)s->cert_n))});
    buf prot = {0};
    if (cbor_bytes(ph, &prot) != 0)
        return -1;

    cbor_item_t *ss = cbor_new_definite_array(4);
    cbor_array_push(ss, cbor_move(cb_str("Signature1")));
    cbor_array_push(ss, cbor_move(cbor_build_bytestring(prot.p, prot.n)));
    cbor_array_push(ss, cbor_move(cbor_build_bytestring(NULL, 0)));
    cbor_array_push(ss, cbor_move(cbor_build_bytestring(claim->p, claim->n)));
    buf tbs = {0};
    uint8_t rs[64];
    if (cbor_bytes(ss, &tbs) != 0 ||
        es256(p->damage == C2PA_CRAFT_OTHER_KEY ? s->other : s->key, tbs.p,
              tbs.n, rs) != 0) {
        b_free(&prot);
        b_free(&tbs);
        return -1;
    }
    b_free(&tbs);

    cbor_item_t *arr = cbor_new_definite_array(4);
    cbor_array_push(arr, cbor_move(cbor_build_bytestring(prot.p, prot.n)));
    cbor_array_push(arr, cbor_move(cbor_new_definite_map(0)));
    cbor_array_push(arr, cbor_move(p->cose_float_payload
                                       ? cbor_build_float4(1.5f)
                                       : cbor_new_null()));
    cbor_array_push(arr, cbor_move(cbor_build_bytestring(rs, sizeof rs)));
    b_free(&prot);
    if (p->tag_long) {
        b_u8(out, 0xd8);
        b_u8(out, 18);
        return cbor_bytes(arr, out);
    }
    return cbor_bytes(cbor_build_tag(18, cbor_move(arr)), out);
}

/* The whole store for a hard binding of [start, start + length). */
static int build_store(const c2pa_craft_params *p, const signer *s,
                       const char *manifest, uint64_t start, uint64_t length,
                       const uint8_t hash[32], buf *store)
{
    assertion as[3];
    int na = 0, rc = -1;
    memset(as, 0, sizeof as);
    buf cb = {0}, claim = {0}, cose = {0}, tmp = {0}, man = {0};

    if (actions_cbor(p, &cb) != 0 ||
        make_assertion(&as[na++], p->claim_v2 ? "c2pa.actions.v2"
                                              : "c2pa.actions", &cb) != 0)
        goto out;
    if (p->filler) {
        cb.n = 0;
        uint8_t *f = malloc(p->filler);
        if (!f) {
            fail("out of memory");
            goto out;
        }
        for (size_t i = 0; i < p->filler; i++)
            f[i] = (uint8_t)(i * 7 + (i >> 8));
        cbor_item_t *m = cbor_new_definite_map(1);
        cb_put(m, "data", cbor_build_bytestring(f, p->filler));
        free(f);
        if (cbor_bytes(m, &cb) != 0 ||
            make_assertion(&as[na++], "org.likeness.test.filler", &cb) != 0)
            goto out;
    }
    cb.n = 0;
    if (p->bmff_hash) {
        if (hash_bmff_cbor(hash, &cb) != 0 ||
            make_assertion(&as[na++], "c2pa.hash.bmff.v2", &cb) != 0)
            goto out;
    } else if (hash_data_cbor(start, length, hash, &cb) != 0 ||
               make_assertion(&as[na++], "c2pa.hash.data", &cb) != 0) {
        goto out;
    }

    if (claim_cbor(p, manifest, as, na, &claim) != 0 ||
        cose_sign1(p, s, &claim, &cose) != 0)
        goto out;

    /* assertion store, claim, signature */
    for (int i = 0; i < na; i++)
        b_put(&tmp, as[i].box.p, as[i].box.n);
    b_superbox(&man, "c2as", "c2pa.assertions", &tmp);
    tmp.n = 0;
    b_box(&tmp, "cbor", claim.p, claim.n);
    b_superbox(&man, "c2cl", p->claim_v2 ? "c2pa.claim.v2" : "c2pa.claim",
               &tmp);
    tmp.n = 0;
    b_box(&tmp, "cbor", cose.p, cose.n);
    b_superbox(&man, "c2cs", "c2pa.signature", &tmp);
    tmp.n = 0;
    b_superbox(&tmp, "c2ma", manifest, &man);
    store->n = 0;
    b_superbox(store, "c2pa", "c2pa", &tmp);
    rc = store->oom || tmp.oom || man.oom ? fail("out of memory") : 0;
out:
    for (int i = 0; i < 3; i++)
        b_free(&as[i].box);
    b_free(&cb);
    b_free(&claim);
    b_free(&cose);
    b_free(&tmp);
    b_free(&man);
    return rc;
}

/* ------------------------------------------------------------------------
 * Containers
 * ---------------------------------------------------------------------- */

#define APP11_MAX 65517u       /* 65535 - 2 (Lp) - 8 (JP, En, Z) - 8 */

static size_t seg_max(const c2pa_craft_params *p)
{
    return p->segment_max && p->segment_max < APP11_MAX ? p->segment_max
                                                        : APP11_MAX;
}

/* Bytes the store adds to a JPEG: every APP11 segment repeats the store's
 * LBox/TBox after its 'JP', En, Z header. */
static size_t app11_total(size_t n, size_t max)
{
    size_t body = n > 8 ? n - 8 : 0;
    size_t k = body ? (body + max - 1) / max : 1;
    return k * 20 + body;
}

static void app11_write(buf *out, const uint8_t *store, size_t n, size_t max)
{
    size_t body = n > 8 ? n - 8 : 0, off = 8;
    uint32_t z = 1;
    do {
        size_t chunk = body < max ? body : max;
        b_u8(out, 0xff);
        b_u8(out, 0xeb);
        b_be16(out, (unsigned)(2 + 8 + 8 + chunk));
        b_put(out, "JP", 2);
        b_be16(out, 1);                 /* box instance number */
        b_be32(out, z++);               /* packet sequence number */
        b_put(out, store, 8);
        b_put(out, store + off, chunk);
        off += chunk;
        body -= chunk;
    } while (body);
}

/* After SOI and the leading APPn segments (JFIF, Exif, XMP). */
static int jpeg_insert_pos(const uint8_t *d, size_t n, size_t *pos)
{
    if (n < 4 || d[0] != 0xff || d[1] != 0xd8)
        return fail("not a JPEG");
    size_t i = 2;
    while (i + 4 <= n && d[i] == 0xff && d[i + 1] >= 0xe0 && d[i + 1] <= 0xef)
        i += 2 + ((size_t)d[i + 2] << 8 | d[i + 3]);
    if (i > n)
        return fail("JPEG segment runs past the end");
    *pos = i;
    return 0;
}

static int png_insert_pos(const uint8_t *d, size_t n, size_t *pos)
{
    if (n < 33 || memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0 ||
        memcmp(d + 12, "IHDR", 4) != 0)
        return fail("not a PNG");
    *pos = 8 + 12 + get_be32(d + 8);
    return *pos <= n ? 0 : fail("PNG IHDR runs past the end");
}

static uint32_t crc32_png(const uint8_t *d, size_t n)
{
    static uint32_t table[256];
    if (!table[1])
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = table[(c ^ d[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

static void png_chunk(buf *out, const char type[4], const uint8_t *d,
                      size_t n)
{
    size_t at = out->n;
    b_be32(out, (uint32_t)n);
    b_put(out, type, 4);
    b_put(out, d, n);
    if (!out->oom)
        b_be32(out, crc32_png(out->p + at + 4, n + 4));
}

/* ------------------------------------------------------------------------
 * Audio and video: WAV, MP3, MP4
 * ---------------------------------------------------------------------- */

static int is_av(c2pa_craft_container c)
{
    return c == C2PA_CRAFT_WAV || c == C2PA_CRAFT_MP3 || c == C2PA_CRAFT_MP4;
}

static void b_le16(buf *b, unsigned v)
{
    uint8_t c[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    b_put(b, c, 2);
}

static void b_le32(buf *b, uint32_t v)
{
    uint8_t c[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                    (uint8_t)(v >> 24)};
    b_put(b, c, 4);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 |
           p[0];
}

static void b_zeros(buf *b, size_t n)
{
    static const uint8_t z[64];
    while (n) {
        size_t k = n < sizeof z ? n : sizeof z;
        b_put(b, z, k);
        n -= k;
    }
}

#define TONE_RATE 16000
#define TONE_SAMPLES (TONE_RATE / 2)

/* 0.5 s of a 500 Hz triangle, 16-bit little-endian mono: no libm. */
static void b_tone(buf *b)
{
    for (int i = 0; i < TONE_SAMPLES; i++) {
        int ph = i % 32;
        int v = ph < 16 ? -8000 + ph * 1000 : 8000 - (ph - 16) * 1000;
        b_le16(b, (unsigned)(uint16_t)(int16_t)v);
    }
}

static void make_wav(buf *b)
{
    b_put(b, "RIFF", 4);
    b_le32(b, 4 + 8 + 16 + 8 + TONE_SAMPLES * 2);
    b_put(b, "WAVE", 4);
    b_put(b, "fmt ", 4);
    b_le32(b, 16);
    b_le16(b, 1);                      /* PCM */
    b_le16(b, 1);                      /* mono */
    b_le32(b, TONE_RATE);
    b_le32(b, TONE_RATE * 2);          /* bytes per second */
    b_le16(b, 2);                      /* block align */
    b_le16(b, 16);
    b_put(b, "data", 4);
    b_le32(b, TONE_SAMPLES * 2);
    b_tone(b);
}

/* MPEG-1 Layer III, 32 kbit/s, 32 kHz, mono, no CRC: 144-byte frames.
 * All-zero side information is a silent granule (part2_3_length 0). */
#define MP3_FRAME 144
#define MP3_FRAMES 16

static void make_mp3(buf *b)
{
    static const uint8_t hdr[4] = {0xff, 0xfb, 0x18, 0xc4};
    for (int i = 0; i < MP3_FRAMES; i++) {
        b_put(b, hdr, 4);
        b_zeros(b, MP3_FRAME - 4);
    }
}

/* Start a box; close_box() fills in its size. */
static size_t open_box(buf *b, const char type[4])
{
    size_t at = b->n;
    b_be32(b, 0);
    b_put(b, type, 4);
    return at;
}

static void close_box(buf *b, size_t at)
{
    if (!b->oom)
        put_be32(b->p + at, (uint32_t)(b->n - at));
}

static void b_matrix(buf *b)
{
    static const uint32_t m[9] = {0x00010000, 0, 0, 0, 0x00010000, 0,
                                  0, 0, 0x40000000};
    for (int i = 0; i < 9; i++)
        b_be32(b, m[i]);
}

/* ftyp, moov (one 'sowt' PCM track: the tone as one chunk of 8000
 * two-byte samples), mdat. */
static void make_mp4(buf *b)
{
    size_t ftyp = open_box(b, "ftyp");
    b_put(b, "isom", 4);
    b_be32(b, 0x200);
    b_put(b, "isommp41", 8);
    close_box(b, ftyp);

    size_t moov = open_box(b, "moov");
    size_t mvhd = open_box(b, "mvhd");
    b_be32(b, 0);                      /* version, flags */
    b_be32(b, 0);                      /* creation, modification time */
    b_be32(b, 0);
    b_be32(b, 1000);                   /* timescale */
    b_be32(b, 500);                    /* duration */
    b_be32(b, 0x00010000);             /* rate */
    b_be16(b, 0x0100);                 /* volume */
    b_zeros(b, 10);
    b_matrix(b);
    b_zeros(b, 24);
    b_be32(b, 2);                      /* next track ID */
    close_box(b, mvhd);

    size_t trak = open_box(b, "trak");
    size_t tkhd = open_box(b, "tkhd");
    b_be32(b, 7);                      /* enabled, in movie, in preview */
    b_be32(b, 0);
    b_be32(b, 0);
    b_be32(b, 1);                      /* track ID */
    b_be32(b, 0);
    b_be32(b, 500);
    b_zeros(b, 8);
    b_be16(b, 0);                      /* layer */
    b_be16(b, 0);                      /* alternate group */
    b_be16(b, 0x0100);                 /* volume */
    b_be16(b, 0);
    b_matrix(b);
    b_be32(b, 0);                      /* width, height */
    b_be32(b, 0);
    close_box(b, tkhd);

    size_t mdia = open_box(b, "mdia");
    size_t mdhd = open_box(b, "mdhd");
    b_be32(b, 0);
    b_be32(b, 0);
    b_be32(b, 0);
    b_be32(b, TONE_RATE);
    b_be32(b, TONE_SAMPLES);
    b_be16(b, 0x55c4);                 /* "und" */
    b_be16(b, 0);
    close_box(b, mdhd);
    size_t hdlr = open_box(b, "hdlr");
    b_be32(b, 0);
    b_be32(b, 0);
    b_put(b, "soun", 4);
    b_zeros(b, 12);
    b_put(b, "SoundHandler", 13);
    close_box(b, hdlr);

    size_t minf = open_box(b, "minf");
    size_t smhd = open_box(b, "smhd");
    b_be32(b, 0);
    b_be32(b, 0);                      /* balance, reserved */
    close_box(b, smhd);
    size_t dinf = open_box(b, "dinf");
    size_t dref = open_box(b, "dref");
    b_be32(b, 0);
    b_be32(b, 1);
    size_t url = open_box(b, "url ");
    b_be32(b, 1);                      /* self-contained */
    close_box(b, url);
    close_box(b, dref);
    close_box(b, dinf);

    size_t stbl = open_box(b, "stbl");
    size_t stsd = open_box(b, "stsd");
    b_be32(b, 0);
    b_be32(b, 1);
    size_t sowt = open_box(b, "sowt");
    b_zeros(b, 6);
    b_be16(b, 1);                      /* data reference index */
    b_zeros(b, 8);
    b_be16(b, 1);                      /* channels */
    b_be16(b, 16);                     /* bits per sample */
    b_be32(b, 0);
    b_be32(b, (uint32_t)TONE_RATE << 16);
    close_box(b, sowt);
    close_box(b, stsd);
    size_t stts = open_box(b, "stts");
    b_be32(b, 0);
    b_be32(b, 1);
    b_be32(b, TONE_SAMPLES);
    b_be32(b, 1);
    close_box(b, stts);
    size_t stsc = open_box(b, "stsc");
    b_be32(b, 0);
    b_be32(b, 1);
    b_be32(b, 1);
    b_be32(b, TONE_SAMPLES);
    b_be32(b, 1);
    close_box(b, stsc);
    size_t stsz = open_box(b, "stsz");
    b_be32(b, 0);
    b_be32(b, 2);                      /* every sample 2 bytes */
    b_be32(b, TONE_SAMPLES);
    close_box(b, stsz);
    size_t stco = open_box(b, "stco");
    b_be32(b, 0);
    b_be32(b, 1);
    size_t chunk_offset = b->n;
    b_be32(b, 0);
    close_box(b, stco);
    close_box(b, stbl);
    close_box(b, minf);
    close_box(b, mdia);
    close_box(b, trak);
    close_box(b, moov);

    size_t mdat = open_box(b, "mdat");
    if (!b->oom)
        put_be32(b->p + chunk_offset, (uint32_t)b->n);
    b_tone(b);
    close_box(b, mdat);
}

/* Add delta to every stco/co64 chunk offset under [off, end).  0 or -1. */
static int bmff_move_chunks(uint8_t *d, size_t off, size_t end,
                            uint64_t delta, int depth)
{
    static const char *const containers[] = {"moov", "trak", "mdia", "minf",
                                             "stbl", "edts", "moof", "traf"};
    if (depth > 8)
        return fail("ISO BMFF boxes nested too deep");
    while (off + 8 <= end) {
        size_t len = get_be32(d + off);
        if (len < 8 || len > end - off)
            return fail("ISO BMFF box at %zu: size %zu unsupported", off,
                        len);
        const uint8_t *t = d + off + 4;
        int is_container = 0;
        for (size_t i = 0; i < sizeof containers / sizeof *containers; i++)
            is_container |= memcmp(t, containers[i], 4) == 0;
        if (is_container) {
            if (bmff_move_chunks(d, off + 8, off + len, delta, depth + 1))
                return -1;
        } else if (memcmp(t, "stco", 4) == 0 || memcmp(t, "co64", 4) == 0) {
            size_t w = t[3] == '4' ? 8 : 4;
            if (len < 16)
                return fail("short %.4s box", (const char *)t);
            size_t count = get_be32(d + off + 12);
            if (count > (len - 16) / w)
                return fail("%.4s box overflows", (const char *)t);
            for (size_t i = 0; i < count; i++) {
                uint8_t *e = d + off + 16 + i * w;
                if (w == 8) {
                    uint64_t v = (uint64_t)get_be32(e) << 32 | get_be32(e + 4);
                    v += delta;
                    put_be32(e, (uint32_t)(v >> 32));
                    put_be32(e + 4, (uint32_t)v);
                } else {
                    uint64_t v = get_be32(e) + delta;
                    if (v > 0xffffffffu)
                        return fail("stco offset overflows");
                    put_be32(e, (uint32_t)v);
                }
            }
        }
        off += len;
    }
    return 0;
}

static void b_syncsafe(buf *b, uint32_t v)
{
    b_u8(b, (v >> 21) & 0x7f);
    b_u8(b, (v >> 14) & 0x7f);
    b_u8(b, (v >> 7) & 0x7f);
    b_u8(b, v & 0x7f);
}

/* The signed file: media with the store where its container keeps it,
 * into out (emptied first); the hard binding's exclusion into *start,
 * *length.  0 or -1. */
static int av_wrap(const c2pa_craft_params *p, const uint8_t *m, size_t n,
                   const uint8_t *store, size_t sn, buf *out,
                   uint64_t *start, uint64_t *length)
{
    out->n = 0;
    switch (p->container) {
    case C2PA_CRAFT_WAV: {
        if (n < 12 || memcmp(m, "RIFF", 4) != 0 ||
            memcmp(m + 8, "WAVE", 4) != 0)
            return fail("not a WAV");
        if (sn > 0xfffffff0u - n)
            return fail("store too large for RIFF");
        b_put(out, m, n);
        if (n & 1)
            b_u8(out, 0);
        *start = out->n;
        *length = 8 + (uint64_t)sn;
        b_put(out, "C2PA", 4);
        b_le32(out, (uint32_t)sn);
        b_put(out, store, sn);
        if (sn & 1)
            b_u8(out, 0);
        if (!out->oom)
            put_le32(out->p + 4, (uint32_t)(out->n - 8));
        break;
    }
    case C2PA_CRAFT_MP3: {
        if (n >= 3 && memcmp(m, "ID3", 3) == 0)
            return fail("MP3 already has an ID3 tag");
        const char *mime = p->geob_mime ? p->geob_mime
                                        : "application/x-c2pa-manifest-store";
        static const char name[] = "c2pa", desc[] = "c2pa manifest store";
        size_t body = 1 + strlen(mime) + 1 + sizeof name + sizeof desc + sn;
        /* Padding after the frame, as tag writers leave (exiftool takes a
         * last frame that ends the tag exactly for an iTunes size bug). */
        size_t pad = 32;
        if (10 + body + pad >= (size_t)1 << 28)
            return fail("store too large for an ID3 tag");
        b_put(out, "ID3", 3);
        b_u8(out, 4);                   /* v2.4.0 */
        b_u8(out, 0);
        b_u8(out, 0);                   /* no flags */
        b_syncsafe(out, (uint32_t)(10 + body + pad));
        b_put(out, "GEOB", 4);
        b_syncsafe(out, (uint32_t)body);
        b_be16(out, 0);                 /* frame flags */
        b_u8(out, 0);                   /* ISO-8859-1 strings */
        b_put(out, mime, strlen(mime) + 1);
        b_put(out, name, sizeof name);
        b_put(out, desc, sizeof desc);
        *start = out->n;
        *length = sn;
        b_put(out, store, sn);
        b_zeros(out, pad);
        b_put(out, m, n);
        break;
    }
    case C2PA_CRAFT_MP4: {
        if (n < 16 || memcmp(m + 4, "ftyp", 4) != 0)
            return fail("not an ISO BMFF file starting with ftyp");
        size_t ftyp = get_be32(m);
        if (ftyp < 8 || ftyp > n)
            return fail("ftyp box size %zu", ftyp);
        size_t box = 8 + 16 + 4 + 9 + 8 + sn;
        if (box > 0xffffffffu)
            return fail("store too large for a uuid box");
        b_put(out, m, ftyp);
        *start = out->n;
        *length = box;
        b_be32(out, (uint32_t)box);
        b_put(out, "uuid", 4);
        b_put(out, BMFF_C2PA_UUID, 16);
        b_be32(out, 0);                 /* version, flags */
        b_put(out, "manifest", 9);
        b_zeros(out, 8);                /* no Merkle data */
        b_put(out, store, sn);
        size_t rest = out->n;
        b_put(out, m + ftyp, n - ftyp);
        if (!out->oom &&
            bmff_move_chunks(out->p, rest, out->n, box, 0) != 0)
            return -1;
        break;
    }
    default:
        return fail("not an audio or video container");
    }
    return out->oom ? fail("out of memory") : 0;
}

/* A byte of the media itself changed (WAV data chunk, MP3 audio after the
 * tag, MP4 mdat), never an MPEG frame header's (the three bytes after a
 * 0xff) nor making a 0xff sync byte, so only the hash changes. */
static int av_damage_media(const c2pa_craft_params *p, uint8_t *d, size_t n)
{
    size_t from = 0, to = 0;
    if (p->container == C2PA_CRAFT_WAV) {
        for (size_t i = 12; i + 8 <= n;) {
            size_t len = get_le32(d + i + 4);
            if (memcmp(d + i, "data", 4) == 0) {
                from = i + 8;
                to = len < n - from ? from + len : n;
                break;
            }
            i += 8 + len + (len & 1);
        }
    } else if (p->container == C2PA_CRAFT_MP3) {
        if (n >= 10 && memcmp(d, "ID3", 3) == 0)
            from = 10 + ((size_t)(d[6] & 0x7f) << 21 |
                         (size_t)(d[7] & 0x7f) << 14 |
                         (size_t)(d[8] & 0x7f) << 7 | (d[9] & 0x7f));
        to = n;
    } else {
        for (size_t i = 0; i + 8 <= n;) {
            size_t len = get_be32(d + i);
            if (len < 8)
                break;
            if (memcmp(d + i + 4, "mdat", 4) == 0) {
                from = i + 8;
                to = len < n - i ? i + len : n;
                break;
            }
            i += len;
        }
    }
    if (from + 16 > to)
        return fail("no media data to change");
    for (size_t k = from + (to - from) / 2 + 3; k + 1 < to; k++) {
        uint8_t v = d[k] ^ 0x55;
        if (d[k] != 0xff && d[k - 1] != 0xff && d[k - 2] != 0xff &&
            d[k - 3] != 0xff && v != 0xff) {
            d[k] = v;
            return 0;
        }
    }
    return fail("nothing to change");
}

/* ------------------------------------------------------------------------
 * Damage
 * ---------------------------------------------------------------------- */

static int damage_store(const c2pa_craft_params *p, buf *store)
{
    const char *claim_label = p->claim_v2 ? "c2pa.claim.v2" : "c2pa.claim";
    size_t jumb, content;
    uint8_t *d = store->p;
    size_t n = store->n;

    switch (p->damage) {
    case C2PA_CRAFT_CLAIM: {
        if (find_label(d, 0, n, claim_label, &jumb, &content) != 0)
            return fail("no claim box");
        size_t end = jumb + get_be32(d + jumb);
        const char *needle = p->title ? p->title : "c2pa_craft";
        size_t ln = strlen(needle);
        for (size_t i = content + 8; i + ln <= end; i++)
            if (memcmp(d + i, needle, ln) == 0) {
                d[i] ^= 0x20;   /* case of the first letter */
                return 0;
            }
        return fail("title not found in the claim");
    }
    case C2PA_CRAFT_TRUNCATED:
        if (find_label(d, 0, n, claim_label, &jumb, &content) != 0)
            return fail("no claim box");
        store->n = content + 20;   /* inside the claim's CBOR */
        return 0;
    case C2PA_CRAFT_BOX_OVERLONG:
    case C2PA_CRAFT_BOX_SHORT:
    case C2PA_CRAFT_BOX_XL: {
        const char *label = p->damage_label ? p->damage_label : claim_label;
        if (find_label(d, 0, n, label, &jumb, &content) != 0)
            return fail("no box labelled %s", label);
        size_t at = p->damage_superbox ? jumb : content;
        size_t parent_end = jumb + get_be32(d + jumb);
        if (p->damage_superbox) {
            /* the superbox's parent: the enclosing box it sits in */
            parent_end = n;
        }
        if (p->damage == C2PA_CRAFT_BOX_OVERLONG) {
            put_be32(d + at, (uint32_t)(parent_end - at + 4096));
        } else if (p->damage == C2PA_CRAFT_BOX_SHORT) {
            put_be32(d + at, 4);
        } else {
            if (at + 16 > n)
                return fail("box too small for an XLBox");
            put_be32(d + at, 1);
            put_be32(d + at + 8, (uint32_t)(p->xl_size >> 32));
            put_be32(d + at + 12, (uint32_t)p->xl_size);
        }
        return 0;
    }
    default:
        return 0;
    }
}

/* Flip bytes in the middle of the image data (JPEG entropy-coded data,
 * never making or breaking a marker; PNG IDAT, CRC kept valid), so only
 * the hash changes. */
static int damage_pixels(const c2pa_craft_params *p, uint8_t *d, size_t n)
{
    if (p->container == C2PA_CRAFT_PNG) {
        size_t i = 8;
        while (i + 12 <= n) {
            size_t len = get_be32(d + i);
            if (len > n - i - 12)
                break;
            if (memcmp(d + i + 4, "IDAT", 4) == 0 && len > 4) {
                d[i + 8 + len / 2] ^= 0x55;
                put_be32(d + i + 8 + len, crc32_png(d + i + 4, len + 4));
                return 0;
            }
            i += 12 + len;
        }
        return fail("no IDAT");
    }
    size_t i = 2;
    while (i + 4 <= n && d[i] == 0xff && d[i + 1] != 0xda)
        i += 2 + ((size_t)d[i + 2] << 8 | d[i + 3]);
    if (i + 4 > n || d[i + 1] != 0xda)
        return fail("no SOS");
    size_t start = i + 2 + ((size_t)d[i + 2] << 8 | d[i + 3]);
    size_t end = n - 2;
    if (start + 64 > end)
        return fail("scan too short");
    int flipped = 0;
    for (size_t k = start + (end - start) / 3; k < end - 1 && flipped < 8;
         k += 5) {
        uint8_t v = d[k] ^ 0x10;
        if (d[k] != 0xff && d[k - 1] != 0xff && v != 0xff) {
            d[k] = v;
            flipped++;
        }
    }
    return flipped ? 0 : fail("nothing to flip");
}

/* ------------------------------------------------------------------------
 * Signing
 * ---------------------------------------------------------------------- */

/* sha256 of d without [start, start + length); with skip_head, without
 * everything before start either (the bmff binding's /ftyp). */
static int sha256_except(const uint8_t *d, size_t n, uint64_t start,
                         uint64_t length, int skip_head, uint8_t hash[32])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned hn = 0;
    int ok = ctx && start + length <= n &&
             EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             (skip_head || EVP_DigestUpdate(ctx, d, (size_t)start) == 1) &&
             EVP_DigestUpdate(ctx, d + start + length,
                              n - (size_t)(start + length)) == 1 &&
             EVP_DigestFinal_ex(ctx, hash, &hn) == 1 && hn == 32;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : fail("sha256 failed");
}

/* c2pa_craft_sign() for WAV, MP3 and MP4: the container's fields (RIFF
 * size, ID3 sizes, chunk offsets) change with the store, so the hash is
 * taken over the signed layout, built with a store of the final size. */
static int av_sign(const uint8_t *m, size_t n, const c2pa_craft_params *p,
                   const signer *s, const char *manifest, uint8_t **out,
                   size_t *outn)
{
    uint8_t hash[32] = {0};
    buf store = {0}, file = {0};
    uint64_t start = 0, length = 0, s2 = 0, l2 = 0;
    int rc = -1;
    for (int it = 0;; it++) {
        if (build_store(p, s, manifest, start, length, hash, &store) != 0 ||
            av_wrap(p, m, n, store.p, store.n, &file, &s2, &l2) != 0)
            goto out;
        if (s2 == start && l2 == length)
            break;
        if (it == 8) {
            fail("store size does not settle");
            goto out;
        }
        start = s2;
        length = l2;
    }
    if (sha256_except(file.p, file.n, start, length, p->bmff_hash, hash))
        goto out;
    size_t before = store.n;
    if (build_store(p, s, manifest, start, length, hash, &store) != 0)
        goto out;
    if (store.n != before) {
        fail("store size changed with the hash");
        goto out;
    }
    if (damage_store(p, &store) != 0 ||
        av_wrap(p, m, n, store.p, store.n, &file, &s2, &l2) != 0)
        goto out;
    if (p->damage == C2PA_CRAFT_PIXELS &&
        av_damage_media(p, file.p, file.n) != 0)
        goto out;
    if (p->damage == C2PA_CRAFT_FILE_CUT)
        file.n = (size_t)(start + length / 2);
    *out = file.p;
    *outn = file.n;
    file.p = NULL;
    rc = 0;
out:
    b_free(&store);
    b_free(&file);
    return rc;
}

int c2pa_craft_sign(const uint8_t *img, size_t n, const c2pa_craft_params *p,
                    uint8_t **out, size_t *outn)
{
    *out = NULL;
    *outn = 0;
    size_t pos = 0;
    int av = is_av(p->container);
    int jpeg = p->container == C2PA_CRAFT_JPEG;
    if ((unsigned)p->container >= C2PA_CRAFT_CONTAINER_COUNT)
        return fail("unknown container %d", (int)p->container);
    if (p->bmff_hash && p->container != C2PA_CRAFT_MP4)
        return fail("a c2pa.hash.bmff binding is for MP4 only");
    if (!av &&
        (jpeg ? jpeg_insert_pos(img, n, &pos) : png_insert_pos(img, n, &pos)))
        return -1;

    signer s;
    if (signer_new(&s, p->signer_pem) != 0)
        return -1;
    uint8_t u[16];
    char manifest[64];
    RAND_bytes(u, sizeof u);
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
    snprintf(manifest, sizeof manifest,
             "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
             u[10], u[11], u[12], u[13], u[14], u[15]);
    if (av) {
        int r = av_sign(img, n, p, &s, manifest, out, outn);
        signer_free(&s);
        return r;
    }

    /* The exclusion's length depends on the store's size, which depends
     * (through the CBOR integer widths) on the length: iterate. */
    uint8_t hash[32] = {0};
    buf store = {0}, file = {0};
    uint64_t length = 0;
    int rc = -1;
    for (int it = 0;; it++) {
        if (build_store(p, &s, manifest, pos, length, hash, &store) != 0)
            goto out;
        uint64_t need = jpeg ? app11_total(store.n, seg_max(p))
                             : store.n + 12;
        if (need == length)
            break;
        if (it == 8) {
            fail("store size does not settle");
            goto out;
        }
        length = need;
    }
    /* Everything but the excluded range is the unsigned image. */
    SHA256(img, n, hash);
    size_t before = store.n;
    if (build_store(p, &s, manifest, pos, length, hash, &store) != 0)
        goto out;
    if (store.n != before) {
        fail("store size changed with the hash");
        goto out;
    }
    if (damage_store(p, &store) != 0)
        goto out;

    b_put(&file, img, pos);
    if (jpeg)
        app11_write(&file, store.p, store.n, seg_max(p));
    else
        png_chunk(&file, "caBX", store.p, store.n);
    b_put(&file, img + pos, n - pos);
    if (file.oom) {
        fail("out of memory");
        goto out;
    }
    if (p->damage == C2PA_CRAFT_PIXELS &&
        damage_pixels(p, file.p, file.n) != 0)
        goto out;
    if (p->damage == C2PA_CRAFT_FILE_CUT)
        file.n = pos + (size_t)length / 2;
    *out = file.p;
    *outn = file.n;
    file.p = NULL;
    rc = 0;
out:
    b_free(&store);
    b_free(&file);
    signer_free(&s);
    return rc;
}

/* ------------------------------------------------------------------------
 * Images and files
 * ---------------------------------------------------------------------- */

int c2pa_craft_image(c2pa_craft_container c, int w, int h, uint8_t **out,
                     size_t *n)
{
    *out = NULL;
    *n = 0;
    if (is_av(c)) {
        buf b = {0};
        if (c == C2PA_CRAFT_WAV)
            make_wav(&b);
        else if (c == C2PA_CRAFT_MP3)
            make_mp3(&b);
        else
            make_mp4(&b);
        if (b.oom) {
            b_free(&b);
            return fail("out of memory");
        }
        *out = b.p;
        *n = b.n;
        return 0;
    }
    if (w < 8 || h < 8 || w > 4096 || h > 4096)
        return fail("image size %dx%d out of range", w, h);
    if (VIPS_INIT("c2pa_craft") != 0)
        return fail("vips_init failed");
    uint8_t *px = malloc((size_t)w * h * 3);
    if (!px)
        return fail("out of memory");
    uint32_t r = 12345;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            r = r * 1103515245u + 12345u;
            uint8_t *q = px + ((size_t)y * w + x) * 3;
            q[0] = (uint8_t)(x * 255 / w);
            q[1] = (uint8_t)(y * 255 / h);
            q[2] = (uint8_t)(((x ^ y) & 0x3f) + (r >> 26));
        }
    VipsImage *im = vips_image_new_from_memory_copy(px, (size_t)w * h * 3, w,
                                                    h, 3, VIPS_FORMAT_UCHAR);
    free(px);
    if (!im)
        return fail("vips_image_new_from_memory_copy failed");
    void *data = NULL;
    size_t len = 0;
    int err = c == C2PA_CRAFT_PNG
                  ? vips_pngsave_buffer(im, &data, &len, NULL)
                  : vips_jpegsave_buffer(im, &data, &len, "Q", 90, NULL);
    g_object_unref(im);
    if (err) {
        vips_error_clear();
        return fail("libvips could not encode");
    }
    *out = malloc(len);
    if (*out)
        memcpy(*out, data, len);
    g_free(data);
    if (!*out)
        return fail("out of memory");
    *n = len;
    return 0;
}

int c2pa_craft_png_add_text(const uint8_t *png, size_t n, const char *key,
                            const char *text, uint8_t **out, size_t *outn)
{
    *out = NULL;
    *outn = 0;
    size_t pos;
    if (png_insert_pos(png, n, &pos) != 0)
        return -1;
    buf t = {0}, file = {0};
    b_put(&t, key, strlen(key) + 1);
    b_put(&t, text, strlen(text));
    b_put(&file, png, pos);
    png_chunk(&file, "tEXt", t.p, t.n);
    b_put(&file, png + pos, n - pos);
    int oom = t.oom || file.oom;
    b_free(&t);
    if (oom) {
        b_free(&file);
        return fail("out of memory");
    }
    *out = file.p;
    *outn = file.n;
    return 0;
}

int c2pa_craft_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return fail("%s: %s", path, strerror(errno));
    int ok = (n == 0 || fwrite(data, 1, n, f) == n);
    ok &= fclose(f) == 0;
    return ok ? 0 : fail("%s: write failed", path);
}

int c2pa_craft_sign_file(const char *in, const char *out,
                         const c2pa_craft_params *p)
{
    FILE *f = fopen(in, "rb");
    if (!f)
        return fail("%s: cannot open", in);
    uint8_t *img = NULL, *signed_ = NULL;
    size_t n = 0, cap = 0, sn = 0;
    for (;;) {
        if (n == cap) {
            uint8_t *g = realloc(img, cap = cap ? 2 * cap : 65536);
            if (!g) {
                free(img);
                fclose(f);
                return fail("out of memory");
            }
            img = g;
        }
        size_t k = fread(img + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    fclose(f);
    int rc = c2pa_craft_sign(img, n, p, &signed_, &sn);
    if (rc == 0)
        rc = c2pa_craft_write_file(out, signed_, sn);
    free(img);
    free(signed_);
    return rc;
}

int c2pa_craft_write(const char *path, const c2pa_craft_params *p)
{
    uint8_t *img = NULL, *signed_ = NULL;
    size_t n = 0, sn = 0;
    int rc = c2pa_craft_image(p->container, p->width, p->height, &img, &n);
    if (rc == 0)
        rc = c2pa_craft_sign(img, n, p, &signed_, &sn);
    if (rc == 0)
        rc = c2pa_craft_write_file(path, signed_, sn);
    free(img);
    free(signed_);
    return rc;
}

int c2pa_craft_make_seeds(const char *dir)
{
    int count = 0;
    char path[4096];
    for (int c = 0; c < C2PA_CRAFT_CONTAINER_COUNT; c++)
        for (int d = 0; d < C2PA_CRAFT_DAMAGE_COUNT; d++) {
            c2pa_craft_params p = c2pa_craft_default_params();
            p.container = (c2pa_craft_container)c;
            p.damage = (c2pa_craft_damage)d;
            if (d == C2PA_CRAFT_CBOR_DEEP)
                continue;      /* 100 kB of 0x81: the fuzzer can grow it */
            snprintf(path, sizeof path, "%s/c2pa-%s.%s", dir,
                     c2pa_craft_damage_name(p.damage),
                     c2pa_craft_extension(p.container));
            if (c2pa_craft_write(path, &p) != 0)
                return -1;
            count++;
        }
    struct {
        const char *name;
        int v2, split;
        const char *source;
        c2pa_craft_container container;
        int bmff;
        const char *mime;
    } extra[] = {
        {"c2pa-split.jpg", 0, 700, "trainedAlgorithmicMedia",
         C2PA_CRAFT_JPEG, 0, NULL},
        {"c2pa-v2.jpg", 1, 0, "compositeWithTrainedAlgorithmicMedia",
         C2PA_CRAFT_JPEG, 0, NULL},
        {"c2pa-capture.jpg", 0, 0, "digitalCapture", C2PA_CRAFT_JPEG, 0,
         NULL},
        {"c2pa-bmff.mp4", 0, 0, "trainedAlgorithmicMedia", C2PA_CRAFT_MP4, 1,
         NULL},
        {"c2pa-v2.wav", 1, 0, "trainedAlgorithmicMedia", C2PA_CRAFT_WAV, 0,
         NULL},
        {"c2pa-mime.mp3", 0, 0, "trainedAlgorithmicMedia", C2PA_CRAFT_MP3, 0,
         "application/c2pa"},
    };
    for (size_t i = 0; i < sizeof extra / sizeof *extra; i++) {
        c2pa_craft_params p = c2pa_craft_default_params();
        p.claim_v2 = extra[i].v2;
        p.segment_max = (size_t)extra[i].split;
        p.source_type = extra[i].source;
        p.container = extra[i].container;
        p.bmff_hash = extra[i].bmff;
        p.geob_mime = extra[i].mime;
        snprintf(path, sizeof path, "%s/%s", dir, extra[i].name);
        if (c2pa_craft_write(path, &p) != 0)
            return -1;
        count++;
    }
    return count;
}

#ifdef C2PA_CRAFT_MAIN
static int usage(void)
{
    fprintf(stderr,
            "usage: c2pa_craft --make-seeds DIR\n"
            "       c2pa_craft [--png|--wav|--mp3|--mp4] [--bmff]\n"
            "                  [--geob-mime TYPE] [--v2] [--tag-long]\n"
            "                  [--split BYTES]\n"
            "                  [--filler BYTES]\n"
            "                  [--source TERM|none] [--agent NAME]\n"
            "                  [--damage NAME] [--signer PEM] [--title T]\n"
            "                  [--input FILE] OUT\n"
            "--signer: sign with the key and certificate in PEM (made and\n"
            "written there when it does not exist); --input: sign FILE (a\n"
            "JPEG, PNG, ...) instead of a generated pattern\n"
            "damages:");
    for (int d = 0; d < C2PA_CRAFT_DAMAGE_COUNT; d++)
        fprintf(stderr, " %s", c2pa_craft_damage_name((c2pa_craft_damage)d));
    fprintf(stderr, "\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--make-seeds") == 0) {
        int n = c2pa_craft_make_seeds(argv[2]);
        if (n < 0) {
            fprintf(stderr, "c2pa_craft: %s\n", c2pa_craft_error());
            return 2;
        }
        printf("%d seeds in %s\n", n, argv[2]);
        return 0;
    }
    c2pa_craft_params p = c2pa_craft_default_params();
    const char *outp = NULL, *input = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--png") == 0) {
            p.container = C2PA_CRAFT_PNG;
            p.title = "c2pa_craft.png";
        } else if (strcmp(a, "--wav") == 0) {
            p.container = C2PA_CRAFT_WAV;
            p.title = "c2pa_craft.wav";
        } else if (strcmp(a, "--mp3") == 0) {
            p.container = C2PA_CRAFT_MP3;
            p.title = "c2pa_craft.mp3";
        } else if (strcmp(a, "--mp4") == 0) {
            p.container = C2PA_CRAFT_MP4;
            p.title = "c2pa_craft.mp4";
        } else if (strcmp(a, "--bmff") == 0) {
            p.bmff_hash = 1;
        } else if (strcmp(a, "--geob-mime") == 0 && v) {
            p.geob_mime = v;
            i++;
        } else if (strcmp(a, "--tag-long") == 0) {
            p.tag_long = 1;
        } else if (strcmp(a, "--v2") == 0) {
            p.claim_v2 = 1;
        } else if (strcmp(a, "--split") == 0 && v) {
            p.segment_max = strtoul(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--filler") == 0 && v) {
            p.filler = strtoul(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--source") == 0 && v) {
            p.source_type = strcmp(v, "none") == 0 ? NULL : v;
            i++;
        } else if (strcmp(a, "--title") == 0 && v) {
            p.title = v;
            i++;
        } else if (strcmp(a, "--signer") == 0 && v) {
            p.signer_pem = v;
            i++;
        } else if (strcmp(a, "--input") == 0 && v) {
            input = v;
            i++;
        } else if (strcmp(a, "--agent") == 0 && v) {
            p.software_agent = v;
            i++;
        } else if (strcmp(a, "--damage") == 0 && v) {
            int d = 0;
            while (d < C2PA_CRAFT_DAMAGE_COUNT &&
                   strcmp(v, c2pa_craft_damage_name((c2pa_craft_damage)d)))
                d++;
            if (d == C2PA_CRAFT_DAMAGE_COUNT)
                return usage();
            p.damage = (c2pa_craft_damage)d;
            i++;
        } else if (a[0] != '-' && !outp) {
            outp = a;
        } else {
            return usage();
        }
    }
    if (!outp)
        return usage();
    if (input ? c2pa_craft_sign_file(input, outp, &p) != 0
              : c2pa_craft_write(outp, &p) != 0) {
        fprintf(stderr, "c2pa_craft: %s\n", c2pa_craft_error());
        return 2;
    }
    return 0;
}
#endif
