/*
 * test_core_i64map.c — the int64 -> int32 hash map (engine/core/i64map.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "core/i64map.h"

static void test_basic(void **state)
{
    (void)state;
    lk__i64map m = { 0 };
    assert_int_equal(lk__i64map_get(&m, 5), -1);     /* empty, unallocated */
    lk__i64map_del(&m, 5);                            /* nothing happens */
    assert_int_equal(lk__i64map_put(&m, 5, 50), 0);
    assert_int_equal(lk__i64map_put(&m, -7, 70), 0);
    assert_int_equal(lk__i64map_put(&m, INT64_MAX, 1), 0);
    assert_int_equal(lk__i64map_get(&m, 5), 50);
    assert_int_equal(lk__i64map_get(&m, -7), 70);
    assert_int_equal(lk__i64map_get(&m, INT64_MAX), 1);
    assert_int_equal(lk__i64map_put(&m, 5, 55), 0);  /* replaced */
    assert_int_equal(lk__i64map_get(&m, 5), 55);
    assert_int_equal(m.n, 3);
    lk__i64map_del(&m, 5);
    assert_int_equal(lk__i64map_get(&m, 5), -1);
    assert_int_equal(m.n, 2);
    lk__i64map_free(&m);
    assert_int_equal(m.cap, 0);
    lk__i64map_free(&m);                              /* twice is fine */
}

/* Many keys, deleted and re-added in random order: every lookup agrees
 * with a plain array, and churn does not grow the table. */
static void test_churn(void **state)
{
    (void)state;
    enum { N = 5000 };
    static int32_t truth[N];
    lk__i64map m = { 0 };
    assert_int_equal(lk__i64map_reserve(&m, N), 0);
    const size_t cap = m.cap;
    for (int i = 0; i < N; i++)
        truth[i] = -1;
    uint64_t s = 12345;
    for (int it = 0; it < 200000; it++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        int k = (int)(s % N);
        /* Keys spread over a wide range, with colliding low bits. */
        int64_t key = (int64_t)k * 1048576 - 77;
        if (s & 0x100) {
            lk__i64map_del(&m, key);
            truth[k] = -1;
        } else {
            assert_int_equal(lk__i64map_put(&m, key, it), 0);
            truth[k] = it;
        }
    }
    size_t live = 0;
    for (int k = 0; k < N; k++) {
        assert_int_equal(lk__i64map_get(&m, (int64_t)k * 1048576 - 77),
                         truth[k]);
        live += truth[k] >= 0;
    }
    assert_int_equal(m.n, live);
    assert_int_equal(m.cap, cap);
    lk__i64map_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),
        cmocka_unit_test(test_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
