/*
 * utf8.c — UTF-8 validation (see utf8.h).
 */
#include "core/utf8.h"

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
