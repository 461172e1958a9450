/*
 * utf8.c — UTF-8 validation (see utf8.h).
 */
#include "core/utf8.h"
#include "core/core.h"

#include <stdio.h>
#include <string.h>

int lk__utf8_decode(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    int n;
    uint32_t c, min;
    if ((s[0] & 0xe0) == 0xc0) {
        n = 2; c = s[0] & 0x1f; min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3; c = s[0] & 0x0f; min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4; c = s[0] & 0x07; min = 0x10000;
    } else {
        return 0;
    }
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

const char *lk__utf8_check(const char *s, size_t max, int allow_controls)
{
    size_t len = strnlen(s, max + 1);
    if (len == 0)
        return "empty";
    if (len > max)
        return "too long";
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        int n = lk__utf8_decode(p, &cp);
        if (!n)
            return "not valid UTF-8";
        if (!allow_controls &&
            (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)))
            return "holds a control character";
        p += n;
    }
    return NULL;
}

/* Code points that are not controls in C's sense but still change how a
 * line reads: C1 controls, the line and paragraph separators, and the
 * bidirectional marks, embeddings, overrides and isolates (which can show
 * a name's letters in another order). */
static int invisible(uint32_t cp)
{
    return (cp >= 0x80 && cp < 0xa0) || cp == 0x200e || cp == 0x200f ||
           cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

size_t lk__escape(const char *s, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    while (*p) {
        uint32_t cp;
        int n = lk__utf8_decode(p, &cp);
        if (n == 1 && (cp == '\\' || cp == '\n' || cp == '\r' || cp == '\t')) {
            out[o++] = '\\';
            out[o++] = cp == '\\' ? '\\' : cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't';
        } else if (n == 0 || (n == 1 && (cp < 0x20 || cp == 0x7f))) {
            out[o++] = '\\';     /* a control byte, or a byte not UTF-8 */
            out[o++] = 'x';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
            n = 1;
        } else if (invisible(cp)) {
            o += (size_t)sprintf(out + o, "\\u%04x", (unsigned)cp);
        } else {
            memcpy(out + o, p, (size_t)n);
            o += (size_t)n;
        }
        p += n;
    }
    out[o] = '\0';
    return o;
}

char *lk_text_escape(const char *s)
{
    if (!s)
        return NULL;
    char *out = lk__malloc(LK__ESCAPE_MAX(strlen(s)));
    if (out)
        lk__escape(s, out);
    return out;
}
