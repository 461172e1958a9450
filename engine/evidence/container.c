/*
 * container.c — where each file type keeps its metadata, and handing it
 * to the readers: JPEG segments (APP1 EXIF and XMP, APP11 JUMBF), PNG
 * chunks (caBX, iTXt/tEXt), ISO BMFF top-level boxes (the C2PA and XMP
 * uuid boxes), RIFF chunks (C2PA, _PMX/XMP, EXIF, INFO/ISFT) and MP3's
 * ID3v2 tag (GEOB C2PA store, PRIV XMP, TSSE/TENC software).
 *
 * Only the places the C2PA 2.x specification (and XMP's own) name are
 * looked at; a file that hides a store elsewhere has none.
 */
#include "core/grow.h"
#include "evidence/evidence.h"
#include "core/bytes.h"

#include <stdlib.h>
#include <string.h>


/* Largest manifest store or XMP packet assembled in memory: real stores
 * are tens of kB to a few MB (thumbnails included). */
#define MAX_STORE ((size_t)64 << 20)

static const uint8_t C2PA_UUID[16] = {0xd8, 0xfe, 0xc3, 0xd6, 0x1b, 0x0e,
                                      0x48, 0x3c, 0x92, 0x97, 0x58, 0x28,
                                      0x87, 0x7e, 0xc4, 0x81};
static const uint8_t XMP_UUID[16] = {0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9,
                                     0x42, 0xe8, 0x9c, 0x71, 0x99, 0x94,
                                     0x91, 0xe3, 0xaf, 0xac};

/* A JUMBF store is C2PA's when its first description box says so (type
 * UUID 63327061-0011-0010-8000-00AA00389B71, "c2pa"). */
static int is_c2pa_store(const uint8_t *s, size_t n)
{
    size_t h = 8;
    if (n >= 16 && lk__be32(s) == 1)
        h = 16;
    return n >= h + 8 + 4 && memcmp(s + 4, "jumb", 4) == 0 &&
           memcmp(s + h + 4, "jumd", 4) == 0 &&
           memcmp(s + h + 8, "c2pa", 4) == 0;
}

static void store_found(lk__prov *pr, const uint8_t *file, size_t n,
                        const uint8_t *store, size_t store_n)
{
    if (pr->pub.c2pa) {
        lk__prov_problem(pr, "a second C2PA manifest store, ignored (a file "
                             "carries one)");
        return;
    }
    lk__c2pa_read(pr, file, n, store, store_n);
}

/* A place only C2PA uses (where: "PNG caBX chunk", …) holding bytes from
 * store (NULL: none found) to end: the store is read, or, not readable as
 * one, it is a damaged store. */
static void c2pa_place(lk__prov *pr, const uint8_t *file, size_t n,
                       const char *where, const uint8_t *store,
                       const uint8_t *end)
{
    if (store && is_c2pa_store(store, (size_t)(end - store))) {
        store_found(pr, file, n, store, (size_t)(end - store));
        return;
    }
    pr->pub.c2pa = pr->damaged = 1;
    lk__prov_problem(pr, "%s without a readable C2PA manifest store", where);
}

/* ------------------------------------------------------------------------
 * JPEG
 * ---------------------------------------------------------------------- */

typedef struct app11 {
    uint16_t instance;
    uint32_t seq;
    const uint8_t *box;             /* the box as carried by this segment */
    size_t n;
} app11;

static int by_instance_seq(const void *a, const void *b)
{
    const app11 *x = a, *y = b;
    if (x->instance != y->instance)
        return x->instance < y->instance ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* JPEG APP11 segments carry a JUMBF box in pieces: "JP", a box instance
 * number, a packet sequence number from 1, then the box's header (LBox,
 * TBox, XLBox when LBox is 1) repeated in every piece, then its next
 * bytes.  Pieces of one instance are concatenated in sequence order. */
static void jpeg_jumbf(lk__prov *pr, const uint8_t *file, size_t n,
                       app11 *parts, int n_parts)
{
    qsort(parts, (size_t)n_parts, sizeof *parts, by_instance_seq);
    for (int i = 0; i < n_parts;) {
        int j = i;
        while (j < n_parts && parts[j].instance == parts[i].instance)
            j++;
        size_t hdr = parts[i].n >= 8 && lk__be32(parts[i].box) == 1 ? 16 : 8;
        size_t total = 0;
        int ok = parts[i].seq == 1 && parts[i].n >= hdr;
        for (int k = i; ok && k < j; k++) {
            ok = parts[k].n >= hdr && parts[k].seq == (uint32_t)(k - i + 1) &&
                 memcmp(parts[k].box, parts[i].box, hdr) == 0;
            total += parts[k].n - (k > i ? hdr : 0);
        }
        if (!ok) {
            lk__prov_problem(pr, "APP11 JUMBF segments (box instance %u) "
                                 "missing, repeated or inconsistent",
                             parts[i].instance);
        } else if (total > MAX_STORE) {
            lk__prov_problem(pr, "APP11 JUMBF box of %zu bytes, over the "
                                 "%zu MB limit", total, MAX_STORE >> 20);
        } else {
            uint8_t *buf = lk__malloc(total ? total : 1);
            if (!buf) {
                pr->nomem = 1;
                return;
            }
            size_t o = 0;
            for (int k = i; k < j; k++) {
                size_t skip = k > i ? hdr : 0;
                memcpy(buf + o, parts[k].box + skip, parts[k].n - skip);
                o += parts[k].n - skip;
            }
            if (is_c2pa_store(buf, total))
                store_found(pr, file, n, buf, total);
            else
                lk__prov_problem(pr, "APP11 JUMBF box (instance %u) is not a "
                                     "readable C2PA store: ignored",
                                 parts[i].instance);
            free(buf);
        }
        i = j;
    }
}

static void scan_jpeg(lk__prov *pr, const uint8_t *b, size_t n)
{
    static const char EXIF[] = "Exif\0";
    static const char XMP[] = "http://ns.adobe.com/xap/1.0/";
    app11 *parts = NULL;
    int n_parts = 0;
    size_t cap = 0;
    size_t i = 2;
    while (i + 4 <= n) {
        if (b[i] != 0xFF) {
            lk__prov_problem(pr, "JPEG marker expected at byte %zu", i);
            break;
        }
        uint8_t m = b[i + 1];
        if (m == 0xFF) {            /* fill byte */
            i++;
            continue;
        }
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) {
            i += 2;
            continue;
        }
        if (m == 0xD9 || m == 0xDA) /* metadata precedes the scan */
            break;
        size_t len = lk__be16(b + i + 2);
        if (len < 2 || i + 2 + len > n) {
            /* A store cut off with the file is still a store. */
            if (m == 0xEB && i + 6 <= n && b[i + 4] == 'J' && b[i + 5] == 'P')
                pr->pub.c2pa = pr->damaged = 1;
            lk__prov_problem(pr, "JPEG %ssegment at byte %zu runs past the "
                                 "end of the file (truncated)",
                             pr->pub.c2pa ? "APP11 (C2PA) " : "", i);
            break;
        }
        const uint8_t *seg = b + i + 4;
        size_t sn = len - 2;
        if (m == 0xE1 && sn >= 6 && memcmp(seg, EXIF, 6) == 0) {
            lk__exif_read(pr, seg + 6, sn - 6);
        } else if (m == 0xE1 && sn >= sizeof XMP &&
                   memcmp(seg, XMP, sizeof XMP) == 0) {
            lk__xmp_read(pr, seg + sizeof XMP, sn - sizeof XMP);
        } else if (m == 0xEB && sn >= 16 && seg[0] == 'J' && seg[1] == 'P') {
            if (lk__grow(&parts, &cap, (size_t)n_parts + 1, sizeof *parts, 16) !=
                LK_OK) {
                pr->nomem = 1;
                break;
            }
            parts[n_parts++] = (app11){
                .instance = lk__be16(seg + 2),
                .seq = lk__be32(seg + 4), .box = seg + 8, .n = sn - 8};
        }
        i += 2 + len;
    }
    if (n_parts)
        jpeg_jumbf(pr, b, n, parts, n_parts);
    free(parts);
}

/* ------------------------------------------------------------------------
 * PNG
 * ---------------------------------------------------------------------- */

static void scan_png(lk__prov *pr, const uint8_t *b, size_t n)
{
    size_t i = 8;
    while (i + 12 <= n) {
        uint32_t len = lk__be32(b + i);
        const uint8_t *type = b + i + 4, *d = b + i + 8;
        if (len > n - i - 12) {
            if (memcmp(type, "caBX", 4) == 0)
                pr->pub.c2pa = pr->damaged = 1;
            lk__prov_problem(pr, "PNG %.4s chunk at byte %zu runs past the end "
                                 "of the file (truncated)", (const char *)type,
                             i);
            return;
        }
        if (memcmp(type, "caBX", 4) == 0) {
            c2pa_place(pr, b, n, "PNG caBX chunk", d, d + len);
        } else if (memcmp(type, "tEXt", 4) == 0 ||
                   memcmp(type, "iTXt", 4) == 0) {
            const uint8_t *z = memchr(d, 0, len);
            if (z && z - d < 80) {
                char key[80];
                memcpy(key, d, (size_t)(z - d));
                key[z - d] = '\0';
                const uint8_t *t = z + 1, *end = d + len;
                if (type[0] == 'i') {
                    /* compression flag, method, language\0, translated\0 */
                    int compressed = t < end && *t;
                    t = t + 2 <= end ? t + 2 : end;
                    for (int k = 0; k < 2 && t < end; k++) {
                        const uint8_t *e = memchr(t, 0, (size_t)(end - t));
                        t = e ? e + 1 : end;
                    }
                    if (compressed)  /* XMP writers store it plain */
                        t = end;
                }
                if (strcmp(key, "XML:com.adobe.xmp") == 0)
                    lk__xmp_read(pr, t, (size_t)(end - t));
                else
                    lk__png_text(pr, key, t, (size_t)(end - t));
            }
        } else if (memcmp(type, "eXIf", 4) == 0) {
            lk__exif_read(pr, d, len);
        } else if (memcmp(type, "IEND", 4) == 0) {
            return;
        }
        i += 12 + (size_t)len;
    }
}

/* ------------------------------------------------------------------------
 * ISO BMFF (MP4, MOV, HEIF, AVIF, M4A)
 * ---------------------------------------------------------------------- */

static void scan_bmff(lk__prov *pr, const uint8_t *b, size_t n)
{
    size_t i = 0;
    while (i + 8 <= n) {
        uint64_t size = lk__be32(b + i);
        size_t h = 8;
        if (size == 1) {
            if (i + 16 > n)
                break;
            size = lk__be64(b + i + 8);
            h = 16;
        } else if (size == 0) {
            size = n - i;
        }
        if (size < h || size > n - i) {
            if (memcmp(b + i + 4, "uuid", 4) == 0 && i + h + 16 <= n &&
                memcmp(b + i + h, C2PA_UUID, 16) == 0)
                pr->pub.c2pa = pr->damaged = 1;
            lk__prov_problem(pr, "ISO BMFF %sbox at byte %zu runs past the "
                                 "end of the file (truncated)",
                             pr->pub.c2pa ? "C2PA uuid " : "", i);
            return;
        }
        const uint8_t *d = b + i + h;
        size_t dn = (size_t)size - h;
        if (memcmp(b + i + 4, "uuid", 4) == 0 && dn >= 16) {
            if (memcmp(d, C2PA_UUID, 16) == 0) {
                /* version+flags, purpose\0, for "manifest" an offset to the
                 * Merkle data, then the store */
                const uint8_t *p = d + 20, *end = d + dn;
                const uint8_t *z = p < end ? memchr(p, 0, (size_t)(end - p))
                                           : NULL;
                if (!z) {
                    lk__prov_problem(pr, "C2PA uuid box without its purpose");
                } else if (z - p == 8 && memcmp(p, "manifest", 8) == 0) {
                    c2pa_place(pr, b, n, "C2PA uuid box",
                               end - z > 9 ? z + 9 : NULL, end);
                }
            } else if (memcmp(d, XMP_UUID, 16) == 0) {
                lk__xmp_read(pr, d + 16, dn - 16);
            }
        }
        i += (size_t)size;
    }
}

/* ------------------------------------------------------------------------
 * RIFF (WAV, AVI, WebP)
 * ---------------------------------------------------------------------- */

static void scan_riff(lk__prov *pr, const uint8_t *b, size_t n)
{
    size_t i = 12;
    while (i + 8 <= n) {
        uint32_t len = lk__le32(b + i + 4);
        const uint8_t *id = b + i, *d = b + i + 8;
        if (len > n - i - 8) {
            if (memcmp(id, "C2PA", 4) == 0)
                pr->pub.c2pa = pr->damaged = 1;
            lk__prov_problem(pr, "RIFF %.4s chunk at byte %zu runs past the "
                                 "end of the file (truncated)",
                             (const char *)id, i);
            return;
        }
        if (memcmp(id, "C2PA", 4) == 0) {
            c2pa_place(pr, b, n, "RIFF C2PA chunk", d, d + len);
        } else if (memcmp(id, "_PMX", 4) == 0 || memcmp(id, "XMP ", 4) == 0) {
            lk__xmp_read(pr, d, len);
        } else if (memcmp(id, "EXIF", 4) == 0) {
            lk__exif_read(pr, d, len);
        } else if (memcmp(id, "LIST", 4) == 0 && len >= 4 &&
                   memcmp(d, "INFO", 4) == 0) {
            for (size_t k = 4; k + 8 <= len;) {
                uint32_t sl = lk__le32(d + k + 4);
                if (sl > len - k - 8)
                    break;
                if (memcmp(d + k, "ISFT", 4) == 0 && !pr->exif_software)
                    pr->exif_software = lk__prov_keepn(pr, d + k + 8, sl);
                k += 8 + sl + (sl & 1);
            }
        }
        i += 8 + (size_t)len + (len & 1);
    }
}

/* ------------------------------------------------------------------------
 * MP3: ID3v2
 * ---------------------------------------------------------------------- */

static uint32_t syncsafe(const uint8_t *p)
{
    return (uint32_t)(p[0] & 0x7f) << 21 | (uint32_t)(p[1] & 0x7f) << 14 |
           (uint32_t)(p[2] & 0x7f) << 7 | (p[3] & 0x7f);
}

/* The end of an ID3 string in encoding enc (0/3: one NUL; 1/2: two). */
static const uint8_t *id3_skip_string(const uint8_t *p, const uint8_t *end,
                                      int enc)
{
    if (enc == 1 || enc == 2) {
        for (; p + 1 < end; p += 2)
            if (!p[0] && !p[1])
                return p + 2;
        return NULL;
    }
    const uint8_t *z = p < end ? memchr(p, 0, (size_t)(end - p)) : NULL;
    return z ? z + 1 : NULL;
}

/* After a GEOB frame's MIME type naming a C2PA store: C2PA 2.x's
 * "application/c2pa", or 1.x's "application/x-c2pa-manifest-store".
 * NULL for other types. */
static const uint8_t *is_c2pa_mime(const uint8_t *mime, const uint8_t *end)
{
    static const char *const types[] = {"application/c2pa",
                                        "application/x-c2pa-manifest-store"};
    const uint8_t *p = id3_skip_string(mime, end, 0);
    for (size_t t = 0; p && t < 2; t++)
        if ((size_t)(p - mime) == strlen(types[t]) + 1 &&
            memcmp(mime, types[t], (size_t)(p - mime)) == 0)
            return p;
    return NULL;
}

static void scan_id3(lk__prov *pr, const uint8_t *b, size_t n)
{
    int ver = b[3];
    size_t tag = 10 + (size_t)syncsafe(b + 6);
    if (ver < 3 || ver > 4)
        return;                     /* v2.2 frames predate GEOB's use here */
    int cut = tag > n;
    if (cut)
        tag = n;
    size_t i = 10;
    if (b[5] & 0x40 && i + 4 <= tag)  /* extended header */
        i += ver == 4 ? syncsafe(b + i) : 4 + lk__be32(b + i);
    while (i + 10 <= tag && b[i]) {
        const uint8_t *id = b + i;
        size_t len = ver == 4 ? syncsafe(b + i + 4) : lk__be32(b + i + 4);
        const uint8_t *d = b + i + 10;
        if (len > tag - i - 10) {
            const uint8_t *end = b + tag;
            if (memcmp(id, "GEOB", 4) == 0 && d < end &&
                is_c2pa_mime(d + 1, end))
                pr->pub.c2pa = pr->damaged = 1;
            lk__prov_problem(pr, "ID3 %.4s frame at byte %zu runs past %s "
                                 "(truncated)", (const char *)id, i,
                             cut ? "the end of the file" : "its tag");
            return;
        }
        const uint8_t *end = d + len;
        if (memcmp(id, "GEOB", 4) == 0 && len > 1) {
            int enc = d[0];
            const uint8_t *p = is_c2pa_mime(d + 1, end);
            if (p) {
                p = id3_skip_string(p, end, enc);      /* file name */
                p = p ? id3_skip_string(p, end, enc) : NULL;  /* description */
                c2pa_place(pr, b, n, "ID3 GEOB C2PA frame", p, end);
            }
        } else if (memcmp(id, "PRIV", 4) == 0 && len > 4 &&
                   memcmp(d, "XMP\0", 4) == 0) {
            lk__xmp_read(pr, d + 4, len - 4);
        } else if ((memcmp(id, "TSSE", 4) == 0 ||
                    memcmp(id, "TENC", 4) == 0) && len > 1 &&
                   (d[0] == 0 || d[0] == 3) && !pr->exif_software) {
            pr->exif_software = lk__prov_keepn(pr, d + 1, len - 1);
        }
        i += 10 + len;
    }
    if (cut)
        lk__prov_problem(pr, "ID3 tag runs past the end of the file "
                             "(truncated)");
}

void lk__prov_scan(lk__prov *pr, const uint8_t *b, size_t n)
{
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        scan_jpeg(pr, b, n);
    else if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        scan_png(pr, b, n);
    else if (n >= 12 && memcmp(b + 4, "ftyp", 4) == 0)
        scan_bmff(pr, b, n);
    else if (n >= 12 && memcmp(b, "RIFF", 4) == 0)
        scan_riff(pr, b, n);
    else if (n >= 10 && memcmp(b, "ID3", 3) == 0)
        scan_id3(pr, b, n);
}
