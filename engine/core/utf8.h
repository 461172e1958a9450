/*
 * utf8.h — validation of UTF-8 text the library stores or hands out
 * (performer ids and names, audit entries).
 */
#ifndef LK_UTF8_H
#define LK_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the UTF-8 sequence at s, with its code point in *cp;
 * 0 when malformed: overlong forms, surrogates and code points past
 * U+10FFFF are refused.  s must be NUL-terminated (a truncated sequence
 * stops at the NUL). */
int lk__utf8_decode(const unsigned char *s, uint32_t *cp);

/* NULL when s is valid UTF-8 of 1..max bytes (C0 and C1 controls and DEL
 * refused unless allow_controls), else what is wrong, as static text:
 * "empty", "too long", "not valid UTF-8", "holds a control character". */
const char *lk__utf8_check(const char *s, size_t max, int allow_controls);

/* s as one unambiguous line of text (lk_text_escape(), README "Text
 * output"): a backslash, \n, \r and \t escaped as in C; other control
 * bytes and bytes that are not UTF-8 as \xHH; C1 controls, U+2028/2029
 * and the bidirectional controls as \uXXXX; anything else as it is.
 * out holds LK__ESCAPE_MAX(strlen(s)) bytes; returns the length written
 * (without the NUL). */
#define LK__ESCAPE_MAX(len) (4 * (len) + 1)
size_t lk__escape(const char *s, char *out);

#endif
