/* \summary: libFuzzer harness: the check-profile parser (src/profile.h)
 *
 * Input: byte 0 picks the --set values passed (none, client_ports, both of
 * client_ports and a variable the profile may not declare); the rest is the
 * profile text.  On success every string and range of the result is
 * walked (ASan sees any bad pointer) and the helpers are called; on
 * failure the message must be one NUL-terminated line naming the file.
 */
#include <string.h>

#include "fuzz.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const struct prof_set sets[2] = {
		{"client_ports", 12, "1024-65535"},
		{"calcon_port", 11, "45001"},
	};
	size_t nsets = data[0] % 3;
	char *text = malloc(size - 1 ? size - 1 : 1);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	struct profile p;
	memset(&p, 0, sizeof p);
	char err[512];
	memset(err, 'x', sizeof err);
	int rc = profile_parse("fuzz.profile", text, size - 1, sets, nsets, &p, err, sizeof err);
	if (rc == 0) {
		FZ_ASSERT(p.name && strlen(p.name) < PROF_MAX_FILE);
		if (p.description)
			FZ_ASSERT(strlen(p.description) < PROF_MAX_FILE);
		for (size_t i = 0; i < p.n_vars; i++)
			FZ_ASSERT(strlen(p.vars[i].name) + strlen(p.vars[i].value) < 4 * PROF_MAX_FILE);
		for (size_t i = 0; i < p.n; i++) {
			const struct prof_assert *a = &p.a[i];
			char buf[128];
			FZ_ASSERT(memchr(a->role, 0, sizeof a->role) && memchr(a->expect_text, 0, sizeof a->expect_text));
			FZ_ASSERT(memchr(a->iface_name, 0, sizeof a->iface_name));
			for (size_t r = 0; r < a->n_ranges; r++)
				FZ_ASSERT(a->ranges[r].lo >= 1 && a->ranges[r].lo <= a->ranges[r].hi);
			if (a->text)
				FZ_ASSERT(strlen(a->text) <= PROF_MAX_LINE);
			if (a->hint)
				(void)strlen(a->hint);
			profile_expect_str(a->expect, buf, sizeof buf);
			FZ_ASSERT(strlen(buf) < sizeof buf);
			(void)profile_assert_ports(a);
		}
		(void)profile_has_role(&p, "client");
		(void)profile_has_role(&p, "server");
	} else {
		FZ_ASSERT(rc == -1);
		FZ_ASSERT(memchr(err, 0, sizeof err) != NULL);
		FZ_ASSERT(strncmp(err, "fuzz.profile", 12) == 0);
		FZ_ASSERT(strchr(err, '\n') == NULL);
	}
	profile_free(&p);
	free(text);
	return 0;
}
