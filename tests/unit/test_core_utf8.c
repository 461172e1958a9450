/*
 * test_core_utf8.c — UTF-8 validation (engine/core/utf8.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/utf8.h"

static void test_decode(void **state)
{
    (void)state;
    struct { const char *s; int n; uint32_t cp; } ok[] = {
        { "A", 1, 0x41 },
        { "\xc3\xa9", 2, 0xe9 },              /* é */
        { "\xe6\xbc\x94", 3, 0x6f14 },        /* 演 */
        { "\xf0\x9f\x98\x80", 4, 0x1f600 },   /* emoji */
        { "\xf4\x8f\xbf\xbf", 4, 0x10ffff },  /* the last code point */
        { "\x7f", 1, 0x7f },
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        uint32_t cp = 0;
        assert_int_equal(lk__utf8_decode((const unsigned char *)ok[i].s, &cp),
                         ok[i].n);
        assert_int_equal(cp, ok[i].cp);
    }
    const char *bad[] = {
        "\x80",                 /* a continuation byte first */
        "\xc0\xaf",             /* overlong '/' */
        "\xe0\x80\xaf",         /* overlong, 3 bytes */
        "\xed\xa0\x80",         /* a surrogate */
        "\xf4\x90\x80\x80",     /* past U+10FFFF */
        "\xe2\x82",             /* truncated at the NUL */
        "\xff",
        "\xc3\x41",             /* not a continuation */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint32_t cp = 0;
        if (lk__utf8_decode((const unsigned char *)bad[i], &cp) != 0)
            fail_msg("malformed sequence %zu accepted", i);
    }
}

static void test_check(void **state)
{
    (void)state;
    assert_null(lk__utf8_check("performer-01", 256, 0));
    assert_null(lk__utf8_check("演员-01 é", 256, 0));
    assert_string_equal(lk__utf8_check("", 256, 0), "empty");
    char big[300];
    memset(big, 'x', sizeof big);
    big[257] = '\0';
    assert_string_equal(lk__utf8_check(big, 256, 0), "too long");
    big[256] = '\0';
    assert_null(lk__utf8_check(big, 256, 0));        /* exactly max */
    assert_string_equal(lk__utf8_check("a\xff", 256, 0), "not valid UTF-8");
    assert_string_equal(lk__utf8_check("a\nb", 256, 0),
                        "holds a control character");
    assert_string_equal(lk__utf8_check("del\x7f", 256, 0),
                        "holds a control character");
    assert_string_equal(lk__utf8_check("c1\xc2\x85", 256, 0),
                        "holds a control character");
    /* Controls allowed (paths, details), malformed still refused. */
    assert_null(lk__utf8_check("line\nnext\ttab", 256, 1));
    assert_string_equal(lk__utf8_check("\xed\xa0\x80", 256, 1),
                        "not valid UTF-8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
