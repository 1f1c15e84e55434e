/* \summary: unit tests for the bounded byte cursor (src/cursor.h) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cursor.h"

static const uint8_t B[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c};

static void test_init(void **state)
{
	(void)state;
	struct cur c;
	memset(&c, 0xff, sizeof c);
	cur_init(&c, B, sizeof B);
	assert_ptr_equal(c.base, B);
	assert_int_equal(c.len, sizeof B);
	assert_int_equal(c.off, 0);
	assert_int_equal(c.trunc, 0);
	assert_int_equal(cur_left(&c), sizeof B);
	assert_int_equal(cur_off(&c), 0);
	assert_true(cur_ok(&c));
	assert_ptr_equal(cur_pos(&c), B);
}

static void test_init_null(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, NULL, 100);	/* NULL data: the length is forced to 0 */
	assert_int_equal(c.len, 0);
	assert_int_equal(cur_left(&c), 0);
	assert_true(cur_ok(&c));
	assert_true(cur_has(&c, 0));
	assert_false(cur_has(&c, 1));
	/* zero bytes are always available, even without data: success is a
	 * non-NULL pointer (NULL means "truncated" everywhere else) */
	assert_non_null(cur_take(&c, 0));
	assert_true(cur_skip(&c, 0));
	assert_true(cur_ok(&c));
	int clamped = -1;
	struct cur s = cur_sub(&c, 0, &clamped);
	assert_int_equal(clamped, 0);
	assert_int_equal(s.len, 0);
	assert_true(cur_ok(&c));
	assert_int_equal(cur_u8(&c), 0);
	assert_false(cur_ok(&c));
	assert_int_equal(cur_off(&c), 0);
	uint8_t v = 0x5a;
	assert_int_equal(cur_peek_u8(&c, 0, &v), 0);
	assert_int_equal(v, 0x5a);
}

static void test_init_zero_len(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, B, 0);
	assert_int_equal(cur_left(&c), 0);
	assert_int_equal(cur_be16(&c), 0);
	assert_false(cur_ok(&c));
	assert_int_equal(cur_off(&c), 0);
}

static void test_u8_all_then_past_end(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, B, 3);
	assert_int_equal(cur_u8(&c), 0x01);
	assert_int_equal(cur_u8(&c), 0x02);
	assert_int_equal(cur_u8(&c), 0x03);
	assert_true(cur_ok(&c));
	assert_int_equal(cur_left(&c), 0);
	assert_int_equal(cur_u8(&c), 0);	/* B[3] exists in memory but is outside the window */
	assert_false(cur_ok(&c));
	assert_int_equal(cur_off(&c), 3);
	assert_int_equal(cur_u8(&c), 0);
	assert_int_equal(cur_off(&c), 3);
}

static void test_be_le_16(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, B, 4);
	assert_int_equal(cur_be16(&c), 0x0102);
	assert_int_equal(cur_le16(&c), 0x0403);
	assert_true(cur_ok(&c));
	assert_int_equal(cur_off(&c), 4);

	static const uint8_t hi[] = {0xff, 0xfe};
	cur_init(&c, hi, 2);
	assert_int_equal(cur_be16(&c), 0xfffe);
	cur_init(&c, hi, 2);
	assert_int_equal(cur_le16(&c), 0xfeff);
}

static void test_be_le_32_64(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, B, sizeof B);
	assert_int_equal(cur_be32(&c), 0x01020304u);
	assert_int_equal(cur_le32(&c), 0x08070605u);
	assert_int_equal(cur_off(&c), 8);
	assert_true(cur_ok(&c));

	cur_init(&c, B, 8);
	assert_true(cur_le64(&c) == 0x0807060504030201ull);
	assert_int_equal(cur_off(&c), 8);
	assert_true(cur_ok(&c));

	static const uint8_t hi[] = {0x80, 0x00, 0x00, 0xff, 0xf0, 0xde, 0xbc, 0x9a};
	cur_init(&c, hi, sizeof hi);
	assert_true(cur_be32(&c) == 0x800000ffu);	/* no sign extension */
	cur_init(&c, hi, sizeof hi);
	assert_true(cur_le32(&c) == 0xff000080u);
	cur_init(&c, hi, sizeof hi);
	assert_true(cur_le64(&c) == 0x9abcdef0ff000080ull);
}

static void test_u16x_u32x(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, B, sizeof B);
	assert_int_equal(cur_u16x(&c, 1), 0x0201);
	assert_int_equal(cur_u16x(&c, 0), 0x0304);
	assert_int_equal(cur_u32x(&c, 1), 0x08070605u);
	assert_int_equal(cur_u32x(&c, 0), 0x090a0b0cu);
	assert_true(cur_ok(&c));
	assert_int_equal(cur_u32x(&c, 1), 0);
	assert_false(cur_ok(&c));
	assert_int_equal(cur_off(&c), 12);
}

/* A multi-byte read that does not fit returns 0, sets trunc and keeps the offset. */
static void test_partial_reads_fail_whole(void **state)
{
	(void)state;
	struct cur c;

	cur_init(&c, B, 1);
	assert_int_equal(cur_be16(&c), 0);
	assert_false(cur_ok(&c));
	assert_int_equal(cur_off(&c), 0);

	cur_init(&c, B, 1);
	assert_int_equal(cur_le16(&c), 0);
	assert_int_equal(cur_off(&c), 0);
	assert_false(cur_ok(&c));

	cur_init(&c, B, 3);
	assert_int_equal(cur_be32(&c), 0);
	assert_int_equal(cur_off(&c), 0);
	assert_false(cur_ok(&c));

	cur_init(&c, B, 3);
	assert_int_equal(cur_le32(&c), 0);
	assert_int_equal(cur_off(&c), 0);

	cur_init(&c, B, 7);
	assert_true(cur_le64(&c) == 0);
	assert_int_equal(cur_off(&c), 0);
	assert_false(cur_ok(&c));

	cur_init(&c, B, 5);
	cur_u8(&c);
	cur_u8(&c);
	assert_int_equal(cur_be32(&c), 0);	/* 3 left, wanted 4 */
	assert_int_equal(cur_off(&c), 2);
	assert_int_equal(cur_left(&c), 3);
}

/* The flag is sticky: later successful reads do not clear it. */
static void test_trunc_sticky(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, B, 3);
	assert_int_equal(cur_be32(&c), 0);
	assert_false(cur_ok(&c));
	assert_int_equal(cur_u8(&c), 0x01);	/* still readable ... */
	assert_int_equal(cur_be16(&c), 0x0203);
	assert_false(cur_ok(&c));		/* ... but the group already failed */
	assert_int_equal(cur_off(&c), 3);
}

static void test_has_no_flag(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, B, 4);
	assert_true(cur_has(&c, 0));
	assert_true(cur_has(&c, 4));
	assert_false(cur_has(&c, 5));
	assert_false(cur_has(&c, SIZE_MAX));
	assert_true(cur_ok(&c));
	cur_skip(&c, 3);
	assert_true(cur_has(&c, 1));
	assert_false(cur_has(&c, 2));
	assert_true(cur_ok(&c));
}

static void test_take(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, B, 6);
	const uint8_t *p = cur_take(&c, 2);
	assert_ptr_equal(p, B);
	assert_int_equal(cur_off(&c), 2);
	p = cur_take(&c, 4);
	assert_ptr_equal(p, B + 2);
	assert_int_equal(cur_left(&c), 0);
	assert_true(cur_ok(&c));
	assert_null(cur_take(&c, 1));
	assert_false(cur_ok(&c));
	assert_int_equal(cur_off(&c), 6);
}

static void test_take_zero(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, B, 4);
	assert_ptr_equal(cur_take(&c, 0), B);
	assert_int_equal(cur_off(&c), 0);
	assert_true(cur_ok(&c));
	cur_skip(&c, 4);
	/* at the end: a zero-length take is still fine (one-past-end pointer) */
	assert_ptr_equal(cur_take(&c, 0), B + 4);
	assert_true(cur_ok(&c));
	assert_int_equal(cur_off(&c), 4);
	assert_true(cur_skip(&c, 0));
	assert_true(cur_ok(&c));
}

static void test_take_huge_no_overflow(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, B, sizeof B);
	cur_skip(&c, 5);
	assert_null(cur_take(&c, SIZE_MAX));
	assert_null(cur_take(&c, SIZE_MAX - 4));
	assert_false(cur_ok(&c));
	assert_int_equal(cur_off(&c), 5);
	assert_false(cur_skip(&c, (size_t)-1));
	assert_int_equal(cur_off(&c), 5);
}

static void test_skip(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, B, 5);
	assert_true(cur_skip(&c, 3));
	assert_int_equal(cur_off(&c), 3);
	assert_int_equal(cur_u8(&c), 0x04);
	assert_false(cur_skip(&c, 2));
	assert_int_equal(cur_off(&c), 4);
	assert_false(cur_ok(&c));
	assert_true(cur_skip(&c, 1));	/* fits, though the flag stays set */
	assert_int_equal(cur_off(&c), 5);
}

static void test_copy(void **state)
{
	(void)state;
	struct cur c;
	uint8_t dst[6];
	cur_init(&c, B, 8);
	memset(dst, 0xee, sizeof dst);
	assert_int_equal(cur_copy(&c, dst, 4), 1);
	assert_memory_equal(dst, B, 4);
	assert_int_equal(dst[4], 0xee);
	assert_int_equal(cur_off(&c), 4);

	memset(dst, 0xee, sizeof dst);
	assert_int_equal(cur_copy(&c, dst, 6), 0);	/* 4 left */
	static const uint8_t zero[6];
	assert_memory_equal(dst, zero, 6);		/* zeroed on failure */
	assert_int_equal(cur_off(&c), 4);
	assert_false(cur_ok(&c));
}

static void test_pos(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, B, 4);
	cur_skip(&c, 3);
	assert_ptr_equal(cur_pos(&c), B + 3);
	cur_u8(&c);
	assert_ptr_equal(cur_pos(&c), B + 4);
	cur_u8(&c);		/* fails: the position stays */
	assert_ptr_equal(cur_pos(&c), B + 4);
}

static void test_peek(void **state)
{
	(void)state;
	struct cur c;
	uint8_t v = 0;
	cur_init(&c, B, 4);
	assert_int_equal(cur_peek_u8(&c, 0, &v), 1);
	assert_int_equal(v, 0x01);
	assert_int_equal(cur_peek_u8(&c, 3, &v), 1);
	assert_int_equal(v, 0x04);
	v = 0x77;
	assert_int_equal(cur_peek_u8(&c, 4, &v), 0);	/* B[4] exists but is outside */
	assert_int_equal(v, 0x77);
	assert_int_equal(cur_peek_u8(&c, SIZE_MAX, &v), 0);
	assert_int_equal(v, 0x77);
	assert_int_equal(cur_off(&c), 0);
	assert_true(cur_ok(&c));	/* a failed peek never sets the flag */

	/* `at` is absolute within the window, not relative to the offset */
	cur_skip(&c, 2);
	assert_int_equal(cur_peek_u8(&c, 0, &v), 1);
	assert_int_equal(v, 0x01);
	assert_int_equal(cur_peek_u8(&c, cur_off(&c), &v), 1);
	assert_int_equal(v, 0x03);
	assert_int_equal(cur_off(&c), 2);
}

static void test_sub_within(void **state)
{
	(void)state;
	struct cur c;
	int clamped = 42;
	cur_init(&c, B, sizeof B);
	cur_skip(&c, 2);
	struct cur s = cur_sub(&c, 4, &clamped);
	assert_int_equal(clamped, 0);
	assert_ptr_equal(s.base, B + 2);
	assert_int_equal(s.len, 4);
	assert_int_equal(s.off, 0);
	assert_true(cur_ok(&s));
	assert_int_equal(cur_off(&c), 6);	/* parent advanced by the child length */
	assert_int_equal(cur_be32(&s), 0x03040506u);
	/* the child cannot read the parent's trailing bytes */
	assert_int_equal(cur_u8(&s), 0);
	assert_false(cur_ok(&s));
	assert_true(cur_ok(&c));		/* child failure does not taint the parent */
	assert_int_equal(cur_u8(&c), 0x07);
	uint8_t v;
	assert_int_equal(cur_peek_u8(&s, 4, &v), 0);
}

static void test_sub_exact(void **state)
{
	(void)state;
	struct cur c;
	int clamped = 42;
	cur_init(&c, B, 6);
	cur_skip(&c, 2);
	struct cur s = cur_sub(&c, 4, &clamped);
	assert_int_equal(clamped, 0);
	assert_int_equal(s.len, 4);
	assert_int_equal(cur_left(&c), 0);
	assert_true(cur_ok(&c));
}

static void test_sub_clamped(void **state)
{
	(void)state;
	struct cur c;
	int clamped = 0;
	cur_init(&c, B, 6);
	cur_skip(&c, 2);
	struct cur s = cur_sub(&c, 100, &clamped);
	assert_int_equal(clamped, 1);
	assert_ptr_equal(s.base, B + 2);
	assert_int_equal(s.len, 4);
	assert_int_equal(cur_off(&c), 6);
	assert_int_equal(cur_left(&c), 0);
	assert_true(cur_ok(&c));	/* clamping is not a truncated read */
	assert_true(cur_ok(&s));

	/* clamped pointer may be NULL */
	cur_init(&c, B, 6);
	s = cur_sub(&c, SIZE_MAX, NULL);
	assert_int_equal(s.len, 6);
	assert_int_equal(cur_left(&c), 0);

	/* zero-length child */
	cur_init(&c, B, 6);
	clamped = 42;
	s = cur_sub(&c, 0, &clamped);
	assert_int_equal(clamped, 0);
	assert_int_equal(s.len, 0);
	assert_int_equal(cur_off(&c), 0);
	assert_int_equal(cur_u8(&s), 0);
	assert_false(cur_ok(&s));

	/* child of an exhausted parent */
	cur_init(&c, B, 2);
	cur_skip(&c, 2);
	s = cur_sub(&c, 1, &clamped);
	assert_int_equal(clamped, 1);
	assert_int_equal(s.len, 0);
}

static void test_sub_of_sub(void **state)
{
	(void)state;
	struct cur c;
	int cl1 = -1, cl2 = -1;
	cur_init(&c, B, sizeof B);
	struct cur s1 = cur_sub(&c, 8, &cl1);
	cur_skip(&s1, 1);
	struct cur s2 = cur_sub(&s1, 10, &cl2);	/* clamped to the child's 7 */
	assert_int_equal(cl1, 0);
	assert_int_equal(cl2, 1);
	assert_int_equal(s2.len, 7);
	assert_int_equal(cur_u8(&s2), 0x02);
	assert_true(cur_skip(&s2, 6));
	assert_int_equal(cur_u8(&s2), 0);	/* would be B[8] */
	assert_false(cur_ok(&s2));
}

static void test_limit(void **state)
{
	(void)state;
	struct cur c;
	cur_init(&c, B, 10);
	cur_skip(&c, 2);
	cur_limit(&c, 3);
	assert_int_equal(c.len, 5);
	assert_int_equal(cur_left(&c), 3);
	assert_int_equal(cur_u8(&c), 0x03);
	assert_int_equal(cur_be16(&c), 0x0405);
	assert_int_equal(cur_u8(&c), 0);
	assert_false(cur_ok(&c));
	assert_int_equal(cur_off(&c), 5);

	/* never grows */
	cur_init(&c, B, 4);
	cur_limit(&c, 100);
	assert_int_equal(c.len, 4);
	cur_skip(&c, 1);
	cur_limit(&c, 3);	/* equal to what is left: unchanged */
	assert_int_equal(c.len, 4);
	cur_limit(&c, 0);
	assert_int_equal(c.len, 1);
	assert_int_equal(cur_left(&c), 0);
	assert_true(cur_ok(&c));
	assert_int_equal(cur_u8(&c), 0);
	assert_false(cur_ok(&c));
}

/* Every getter at every window length: value only when it fits. */
static void test_getters_every_length(void **state)
{
	(void)state;
	for (size_t len = 0; len <= 8; len++) {
		uint8_t *buf = malloc(len ? len : 1);	/* exact size so ASan sees over-reads */
		assert_non_null(buf);
		memcpy(buf, B, len);
		struct cur c;

		cur_init(&c, buf, len);
		uint8_t u8 = cur_u8(&c);
		assert_int_equal(cur_ok(&c), len >= 1);
		assert_int_equal(u8, len >= 1 ? 0x01 : 0);
		assert_int_equal(cur_off(&c), len >= 1 ? 1 : 0);

		cur_init(&c, buf, len);
		uint16_t be16 = cur_be16(&c);
		assert_int_equal(cur_ok(&c), len >= 2);
		assert_int_equal(be16, len >= 2 ? 0x0102 : 0);
		assert_int_equal(cur_off(&c), len >= 2 ? 2 : 0);

		cur_init(&c, buf, len);
		uint16_t le16 = cur_le16(&c);
		assert_int_equal(le16, len >= 2 ? 0x0201 : 0);

		cur_init(&c, buf, len);
		uint32_t be32 = cur_be32(&c);
		assert_int_equal(cur_ok(&c), len >= 4);
		assert_int_equal(be32, len >= 4 ? 0x01020304u : 0);
		assert_int_equal(cur_off(&c), len >= 4 ? 4 : 0);

		cur_init(&c, buf, len);
		uint32_t le32 = cur_le32(&c);
		assert_int_equal(le32, len >= 4 ? 0x04030201u : 0);

		cur_init(&c, buf, len);
		uint64_t le64 = cur_le64(&c);
		assert_int_equal(cur_ok(&c), len >= 8);
		assert_true(le64 == (len >= 8 ? 0x0807060504030201ull : 0));
		assert_int_equal(cur_off(&c), len >= 8 ? 8 : 0);

		cur_init(&c, buf, len);
		uint8_t tmp[8];
		assert_int_equal(cur_copy(&c, tmp, 5), len >= 5);
		assert_int_equal(cur_off(&c), len >= 5 ? 5 : 0);

		cur_init(&c, buf, len);
		for (size_t i = 0; i < 10; i++)
			cur_u8(&c);
		assert_int_equal(cur_off(&c), len);
		assert_true(cur_off(&c) <= c.len);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_init_null),
		cmocka_unit_test(test_init_zero_len),
		cmocka_unit_test(test_u8_all_then_past_end),
		cmocka_unit_test(test_be_le_16),
		cmocka_unit_test(test_be_le_32_64),
		cmocka_unit_test(test_u16x_u32x),
		cmocka_unit_test(test_partial_reads_fail_whole),
		cmocka_unit_test(test_trunc_sticky),
		cmocka_unit_test(test_has_no_flag),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_take_zero),
		cmocka_unit_test(test_take_huge_no_overflow),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_pos),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_sub_within),
		cmocka_unit_test(test_sub_exact),
		cmocka_unit_test(test_sub_clamped),
		cmocka_unit_test(test_sub_of_sub),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_getters_every_length),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
