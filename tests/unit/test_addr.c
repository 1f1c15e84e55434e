/* \summary: unit tests for the address value type (src/addr.c) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "addr.h"

static const uint8_t A4[4] = {198, 18, 0, 1};
static const uint8_t B4[4] = {198, 18, 0, 2};
static const uint8_t C4[4] = {198, 19, 255, 254};
static const uint8_t A6[16] = {0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
static const uint8_t B6[16] = {0x20, 0x01, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};
static const uint8_t C6[16] = {0x20, 0x01, 0x00, 0x02, 0x00, 0x00, 0xff, 0xff,
			       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void test_set4(void **state)
{
	(void)state;
	struct addr x;
	memset(&x, 0xab, sizeof x);
	addr_set4(&x, A4);
	assert_int_equal(x.family, 4);
	assert_memory_equal(x.a, A4, 4);
	for (int i = 4; i < 16; i++)
		assert_int_equal(x.a[i], 0);	/* stale bytes cleared */
}

static void test_set6(void **state)
{
	(void)state;
	struct addr x;
	memset(&x, 0xab, sizeof x);
	addr_set6(&x, A6);
	assert_int_equal(x.family, 6);
	assert_memory_equal(x.a, A6, 16);
	addr_set4(&x, B4);	/* switching family clears the tail */
	assert_int_equal(x.family, 4);
	for (int i = 4; i < 16; i++)
		assert_int_equal(x.a[i], 0);
}

static void test_cmp(void **state)
{
	(void)state;
	struct addr a4, b4, c4, a6, b6, a4b, none;
	addr_set4(&a4, A4);
	addr_set4(&a4b, A4);
	addr_set4(&b4, B4);
	addr_set4(&c4, C4);
	addr_set6(&a6, A6);
	addr_set6(&b6, B6);
	memset(&none, 0, sizeof none);

	assert_int_equal(addr_cmp(&a4, &a4b), 0);
	assert_true(addr_eq(&a4, &a4b));
	assert_true(addr_cmp(&a4, &b4) < 0);
	assert_true(addr_cmp(&b4, &a4) > 0);
	assert_true(addr_cmp(&b4, &c4) < 0);	/* 198.18.0.2 < 198.19.255.254 */
	assert_false(addr_eq(&a4, &b4));
	assert_true(addr_cmp(&a6, &b6) < 0);
	assert_true(addr_cmp(&b6, &a6) > 0);
	assert_true(addr_eq(&a6, &a6));
	/* family orders first: every IPv4 address sorts before every IPv6 one */
	assert_true(addr_cmp(&c4, &a6) < 0);
	assert_true(addr_cmp(&a6, &c4) > 0);
	assert_false(addr_eq(&a4, &a6));
	assert_true(addr_cmp(&none, &a4) < 0);

	/* same bytes, different family: not equal */
	struct addr v4, v6;
	uint8_t z[16] = {198, 18, 0, 1};
	addr_set4(&v4, z);
	addr_set6(&v6, z);
	assert_false(addr_eq(&v4, &v6));

	/* IPv4 compares only its 4 bytes */
	struct addr dirty = a4;
	dirty.a[10] = 0x55;
	assert_true(addr_eq(&dirty, &a4));
}

static void test_str4(void **state)
{
	(void)state;
	struct addr x;
	char buf[ADDR_STRLEN];
	addr_set4(&x, A4);
	assert_string_equal(addr_str(&x, buf, sizeof buf), "198.18.0.1");
	assert_ptr_equal(addr_str(&x, buf, sizeof buf), buf);
	addr_set4(&x, C4);
	assert_string_equal(addr_str(&x, buf, sizeof buf), "198.19.255.254");
	static const uint8_t zero[4];
	addr_set4(&x, zero);
	assert_string_equal(addr_str(&x, buf, sizeof buf), "0.0.0.0");
	static const uint8_t ff[4] = {255, 255, 255, 255};
	addr_set4(&x, ff);
	assert_string_equal(addr_str(&x, buf, sizeof buf), "255.255.255.255");
}

static void test_str6(void **state)
{
	(void)state;
	struct addr x;
	char buf[ADDR_STRLEN];
	addr_set6(&x, A6);
	assert_string_equal(addr_str(&x, buf, sizeof buf), "2001:2::1");
	addr_set6(&x, C6);
	assert_string_equal(addr_str(&x, buf, sizeof buf), "2001:2:0:ffff:ffff:ffff:ffff:ffff");
	static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 1};
	addr_set6(&x, mapped);
	assert_string_equal(addr_str(&x, buf, sizeof buf), "::ffff:198.18.0.1");
	static const uint8_t zero[16];
	addr_set6(&x, zero);
	assert_string_equal(addr_str(&x, buf, sizeof buf), "::");
}

static void test_str_none_and_small_buffers(void **state)
{
	(void)state;
	struct addr x;
	char buf[ADDR_STRLEN];
	memset(&x, 0, sizeof x);
	assert_string_equal(addr_str(&x, buf, sizeof buf), "-");

	/* IPv4 truncates like snprintf */
	addr_set4(&x, A4);
	char small[6];
	memset(small, 'X', sizeof small);
	addr_str(&x, small, sizeof small);
	assert_string_equal(small, "198.1");

	/* n == 0: nothing written */
	memset(small, 'X', sizeof small);
	addr_str(&x, small, 0);
	assert_int_equal(small[0], 'X');

	/* IPv6 that does not fit: "?" rather than garbage */
	addr_set6(&x, C6);
	memset(small, 'X', sizeof small);
	addr_str(&x, small, sizeof small);
	assert_string_equal(small, "?");
}

static void test_port_str(void **state)
{
	(void)state;
	struct addr x;
	char buf[ADDR_STRLEN + 8];
	addr_set4(&x, A4);
	assert_string_equal(addr_port_str(&x, 135, buf, sizeof buf), "198.18.0.1:135");
	assert_ptr_equal(addr_port_str(&x, 135, buf, sizeof buf), buf);
	assert_string_equal(addr_port_str(&x, 0, buf, sizeof buf), "198.18.0.1:0");
	addr_set4(&x, C4);
	assert_string_equal(addr_port_str(&x, 65535, buf, sizeof buf), "198.19.255.254:65535");
	addr_set6(&x, A6);
	assert_string_equal(addr_port_str(&x, 445, buf, sizeof buf), "[2001:2::1]:445");
	/* the longest IPv6 form plus the largest port fits ADDR_STRLEN + 8 */
	addr_set6(&x, C6);
	assert_string_equal(addr_port_str(&x, 65535, buf, sizeof buf), "[2001:2:0:ffff:ffff:ffff:ffff:ffff]:65535");
	static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 1};
	addr_set6(&x, mapped);
	assert_string_equal(addr_port_str(&x, 80, buf, sizeof buf), "[::ffff:198.18.0.1]:80");
	memset(&x, 0, sizeof x);
	assert_string_equal(addr_port_str(&x, 7, buf, sizeof buf), "-:7");

	char small[8];
	addr_set6(&x, A6);
	addr_port_str(&x, 445, small, sizeof small);
	assert_string_equal(small, "[2001:2");
}

static void test_parse_valid(void **state)
{
	(void)state;
	struct addr x, want;
	char buf[ADDR_STRLEN];

	assert_int_equal(addr_parse(&x, "198.18.0.1"), 1);
	addr_set4(&want, A4);
	assert_int_equal(x.family, 4);
	assert_true(addr_eq(&x, &want));
	assert_memory_equal(&x, &want, sizeof x);

	assert_int_equal(addr_parse(&x, "2001:2::1"), 1);
	addr_set6(&want, A6);
	assert_int_equal(x.family, 6);
	assert_memory_equal(&x, &want, sizeof x);

	assert_int_equal(addr_parse(&x, "2001:0002:0000:0000:0000:0000:0000:0002"), 1);
	addr_set6(&want, B6);
	assert_true(addr_eq(&x, &want));
	assert_string_equal(addr_str(&x, buf, sizeof buf), "2001:2::2");	/* canonical form */

	assert_int_equal(addr_parse(&x, "2001:2:0:ffff:ffff:ffff:ffff:ffff"), 1);
	addr_set6(&want, C6);
	assert_true(addr_eq(&x, &want));

	assert_int_equal(addr_parse(&x, "::ffff:198.18.0.1"), 1);
	assert_int_equal(x.family, 6);	/* a v4-mapped address stays IPv6 */

	assert_int_equal(addr_parse(&x, "2001:2::"), 1);
	assert_int_equal(x.family, 6);
}

static void test_parse_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",		  "198.18.0",	     "198.18.0.256",	"198.18.0.1.5",	     "198.18.0.1:80",
		" 198.18.0.1",	  "198.18.0.1 ",     "2001:2::1::2",	"[2001:2::1]",	     "2001:2::1%eth0",
		"2001:2::g",	  "hello",	     "198.18.0.-1",	"::ffff:198.18.0.256", "2001:2:0:0:0:0:0:0:1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct addr x;
		memset(&x, 0x5c, sizeof x);
		if (addr_parse(&x, bad[i]) != 0)
			fail_msg("addr_parse accepted \"%s\"", bad[i]);
		/* a failed parse leaves the output untouched */
		for (size_t k = 0; k < sizeof x.a; k++)
			assert_int_equal(x.a[k], 0x5c);
		assert_int_equal(x.family, 0x5c);
	}
}

static void test_parse_roundtrip(void **state)
{
	(void)state;
	static const char *const ok[] = {
		"198.18.0.1", "198.19.255.254", "198.18.128.0", "2001:2::1", "2001:2::", "2001:2:0:1::3",
		"2001:2:0:ffff:ffff:ffff:ffff:ffff", "2001:2:0:ff::1",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct addr x, y;
		char buf[ADDR_STRLEN];
		assert_int_equal(addr_parse(&x, ok[i]), 1);
		assert_string_equal(addr_str(&x, buf, sizeof buf), ok[i]);
		assert_int_equal(addr_parse(&y, buf), 1);
		assert_true(addr_eq(&x, &y));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set4),
		cmocka_unit_test(test_set6),
		cmocka_unit_test(test_cmp),
		cmocka_unit_test(test_str4),
		cmocka_unit_test(test_str6),
		cmocka_unit_test(test_str_none_and_small_buffers),
		cmocka_unit_test(test_port_str),
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
