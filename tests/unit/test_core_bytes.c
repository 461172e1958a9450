/*
 * test_core_bytes.c — little-endian integers and floats
 * (engine/core/bytes.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/bytes.h"

static void test_integers(void **state)
{
    (void)state;
    uint8_t b[8];
    lk__put_le32(b, 0x11223344u);
    const uint8_t want32[4] = { 0x44, 0x33, 0x22, 0x11 };
    assert_memory_equal(b, want32, 4);
    assert_int_equal(lk__le32(b), 0x11223344u);
    lk__put_le64(b, 0x0102030405060708ULL);
    const uint8_t want64[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
    assert_memory_equal(b, want64, 8);
    assert_true(lk__le64(b) == 0x0102030405060708ULL);
    lk__put_le64(b, UINT64_MAX);
    assert_true(lk__le64(b) == UINT64_MAX);
}

static void test_floats(void **state)
{
    (void)state;
    const float x[3] = { 1.0f, -2.5f, 0.1f };
    uint8_t le[12];
    lk__floats_to_le(le, x, 3);
    /* 1.0f is 0x3f800000: stored 00 00 80 3f whatever the host. */
    const uint8_t one[4] = { 0x00, 0x00, 0x80, 0x3f };
    assert_memory_equal(le, one, 4);
    assert_int_equal(lk__le32(le + 4), 0xc0200000u);   /* -2.5f */
    float back[3];
    lk__le_to_floats(back, le, 3);
    assert_memory_equal(back, x, sizeof x);
    lk__floats_to_le(le, x, 0);                            /* nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_floats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
