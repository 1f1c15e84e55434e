/* \summary: unit tests for the name tables (src/names.h, data/{interfaces,opnums,status}.tsv, data/gen-names.awk) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "names.h"
#include "uuid.h"

#ifndef NAMES_TOP_SRCDIR
#define NAMES_TOP_SRCDIR "."
#endif
#ifndef NAMES_AWK
#define NAMES_AWK "awk"
#endif

static struct rpc_uuid U(const char *s)
{
	struct rpc_uuid u;
	if (!uuid_parse(&u, s))
		fail_msg("bad UUID literal %s", s);
	return u;
}

#define UUID_EPM "e1af8308-5d1f-11c9-91a4-08002b14a0fa"
#define UUID_EMSMDB "a4f1db00-ca47-1067-b31f-00dd010662da"
#define UUID_ASYNCEMSMDB "5261574a-4572-206e-b268-6b199213b4e4"
#define UUID_NDR "8a885d04-1ceb-11c9-9fe8-08002b104860"
#define UUID_NDR64 "71710533-beba-4937-8319-b5dbef9ccc36"

/* Look up iface/opnum and compare with want (NULL: expect no name). */
static void check_op(const char *iface, unsigned opnum, const char *want)
{
	struct rpc_uuid u = U(iface);
	const char *got = names_opnum(&u, (uint16_t)opnum);
	if (!want) {
		if (got)
			fail_msg("%s opnum %u: got %s, want none", iface, opnum, got);
		return;
	}
	if (!got || strcmp(got, want) != 0)
		fail_msg("%s opnum %u: got %s, want %s", iface, opnum, got ? got : "(null)", want);
}

/* ---- interfaces ------------------------------------------------------------------ */

static void test_iface_known(void **state)
{
	(void)state;
	struct rpc_uuid u = U(UUID_EMSMDB);
	const struct names_iface *f = names_iface(&u);
	assert_non_null(f);
	assert_string_equal(f->name, "EMSMDB");
	assert_int_equal(f->ver_major, 0);
	assert_int_equal(f->ver_minor, 81);
	assert_true(strlen(f->desc) > 10);
	assert_string_equal(names_iface_name(&u), "EMSMDB");

	u = U(UUID_EPM);
	f = names_iface(&u);
	assert_non_null(f);
	assert_string_equal(f->name, "EPM");
	assert_int_equal(f->ver_major, 3);
	assert_int_equal(f->ver_minor, 0);

	static const struct {
		const char *uuid, *name;
	} cases[] = {
		{UUID_ASYNCEMSMDB, "AsyncEMSMDB"},
		{"f5cc5a18-4264-101a-8c59-08002b2f8426", "NSPI"},
		{"1544f5e0-613c-11d1-93df-00c04fd7bd09", "RFR"},
		{"afa8bd80-7d8a-11c9-bef4-08002b102989", "MGMT"},
		{"12345778-1234-abcd-ef00-0123456789ac", "SAMR"},
		{"12345778-1234-abcd-ef00-0123456789ab", "LSARPC"},
		{"12345678-1234-abcd-ef00-01234567cffb", "NETLOGON"},
		{"12345678-1234-abcd-ef00-0123456789ab", "SPOOLSS"},
		{"e3514235-4b06-11d1-ab04-00c04fc2dcd2", "DRSUAPI"},
		{"367abb81-9844-35f1-ad32-98f038001003", "SVCCTL"},
		{"338cd001-2244-31f1-aaaa-900038001003", "WINREG"},
		{"1ff70682-0a51-30e8-076d-740be8cee98b", "ATSVC"},
		{"76f03f96-cdfd-44fc-a22c-64950a001209", "IRemoteWinspool"},
		{"000001a0-0000-0000-c000-000000000046", "ISystemActivator"},
		{"99fcfec4-5260-101b-bbcb-00aa0021347a", "IObjectExporter"},
		{"c681d488-d850-11d0-8c52-00c04fd90f7e", "EFSRPC"},
		{"df1941c5-fe89-4e79-bf10-463657acf44d", "EFSRPC"},
		/* upper-case text form parses to the same bytes */
		{"A4F1DB00-CA47-1067-B31F-00DD010662DA", "EMSMDB"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		u = U(cases[i].uuid);
		const char *got = names_iface_name(&u);
		if (!got || strcmp(got, cases[i].name) != 0)
			fail_msg("%s: got %s, want %s", cases[i].uuid, got ? got : "(null)", cases[i].name);
	}
}

static void test_iface_unknown(void **state)
{
	(void)state;
	struct rpc_uuid u = U("00000000-0000-0000-0000-000000000000");
	assert_null(names_iface(&u));
	assert_null(names_iface_name(&u));
	/* one bit away from EMSMDB (the b31e variant is a different interface) */
	u = U("a4f1db00-ca47-1067-b31e-00dd010662da");
	assert_null(names_iface(&u));
	u = U("ffffffff-ffff-ffff-ffff-ffffffffffff");
	assert_null(names_iface(&u));
	assert_null(names_iface(NULL));
	assert_null(names_iface_name(NULL));
	/* transfer syntaxes are not interfaces */
	u = U(UUID_NDR);
	assert_null(names_iface(&u));
}

/* Wire bytes (rpc-facts 1.2, LE drep) must name the interface only when read LE. */
static void test_uuid_byte_order(void **state)
{
	(void)state;
	static const uint8_t emsmdb_le[16] = {0x00, 0xdb, 0xf1, 0xa4, 0x47, 0xca, 0x67, 0x10,
					      0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda};
	static const uint8_t epm_le[16] = {0x08, 0x83, 0xaf, 0xe1, 0x1f, 0x5d, 0xc9, 0x11,
					   0x91, 0xa4, 0x08, 0x00, 0x2b, 0x14, 0xa0, 0xfa};
	static const uint8_t emsmdb_be[16] = {0xa4, 0xf1, 0xdb, 0x00, 0xca, 0x47, 0x10, 0x67,
					      0xb3, 0x1f, 0x00, 0xdd, 0x01, 0x06, 0x62, 0xda};
	struct rpc_uuid u;

	uuid_from_wire(emsmdb_le, 1, &u);
	assert_string_equal(names_iface_name(&u), "EMSMDB");
	assert_string_equal(names_opnum(&u, 4), "EcRRegisterPushNotification");
	uuid_from_wire(emsmdb_le, 0, &u);
	assert_null(names_iface_name(&u));

	uuid_from_wire(epm_le, 1, &u);
	assert_string_equal(names_iface_name(&u), "EPM");
	assert_string_equal(names_opnum(&u, 3), "ept_map");
	uuid_from_wire(epm_le, 0, &u);
	assert_null(names_iface_name(&u));

	uuid_from_wire(emsmdb_be, 0, &u);
	assert_string_equal(names_iface_name(&u), "EMSMDB");
}

/* ---- operations -------------------------------------------------------------------- */

static void test_emsmdb_opnums(void **state)
{
	(void)state;
	static const char *const want[15] = {
		"EcDoConnect", "EcDoDisconnect", "EcDoRpc", "EcGetMoreRpc",
		"EcRRegisterPushNotification", "EcRUnregisterPushNotification", "EcDummyRpc",
		"EcRGetDCName", "EcRNetGetDCName", "EcDoRpcExt", "EcDoConnectEx", "EcDoRpcExt2",
		"EcDoAsyncConnect", "EcDoAsyncWait", "EcDoAsyncConnectEx",
	};
	for (unsigned i = 0; i < 15; i++)
		check_op(UUID_EMSMDB, i, want[i]);
	check_op(UUID_EMSMDB, 15, NULL);
	check_op(UUID_EMSMDB, 0xffff, NULL);
	struct rpc_uuid u = U(UUID_EMSMDB);
	assert_int_equal(names_opnum_count(&u), 15);
}

static void test_async_emsmdb(void **state)
{
	(void)state;
	check_op(UUID_ASYNCEMSMDB, 0, "EcDoAsyncWaitEx");
	check_op(UUID_ASYNCEMSMDB, 1, NULL);
	struct rpc_uuid u = U(UUID_ASYNCEMSMDB);
	assert_int_equal(names_opnum_count(&u), 1);
}

static void test_other_opnums(void **state)
{
	(void)state;
	struct rpc_uuid epm = U(UUID_EPM);
	for (unsigned i = 0; i <= 8; i++)
		assert_non_null(names_opnum(&epm, (uint16_t)i));
	check_op(UUID_EPM, 0, "ept_insert");
	check_op(UUID_EPM, 2, "ept_lookup");
	check_op(UUID_EPM, 3, "ept_map");
	check_op(UUID_EPM, 9, NULL);
	check_op("f5cc5a18-4264-101a-8c59-08002b2f8426", 0, "NspiBind");
	check_op("f5cc5a18-4264-101a-8c59-08002b2f8426", 20, "NspiResolveNamesW");
	check_op("f5cc5a18-4264-101a-8c59-08002b2f8426", 21, NULL);
	check_op("1544f5e0-613c-11d1-93df-00c04fd7bd09", 0, "RfrGetNewDSA");
	check_op("1544f5e0-613c-11d1-93df-00c04fd7bd09", 1, "RfrGetFQDNFromServerDN");
	check_op("afa8bd80-7d8a-11c9-bef4-08002b102989", 0, "inq_if_ids");
	check_op("afa8bd80-7d8a-11c9-bef4-08002b102989", 4, "inq_princ_name");
	check_op("12345778-1234-abcd-ef00-0123456789ac", 64, "SamrConnect5");
	check_op("12345778-1234-abcd-ef00-0123456789ab", 15, "LsarLookupSids");
	check_op("12345778-1234-abcd-ef00-0123456789ab", 76, "LsarLookupSids3");
	check_op("12345778-1234-abcd-ef00-0123456789ab", 44, "LsarOpenPolicy2");
	check_op("12345678-1234-abcd-ef00-01234567cffb", 4, "NetrServerReqChallenge");
	check_op("12345678-1234-abcd-ef00-01234567cffb", 26, "NetrServerAuthenticate3");
	check_op("e3514235-4b06-11d1-ab04-00c04fc2dcd2", 3, "IDL_DRSGetNCChanges");
	check_op("367abb81-9844-35f1-ad32-98f038001003", 12, "RCreateServiceW");
	check_op("338cd001-2244-31f1-aaaa-900038001003", 2, "OpenLocalMachine");
	check_op("4b324fc8-1670-01d3-1278-5a47bf6ee188", 15, "NetrShareEnum");
	check_op("6bffd098-a112-3610-9833-46c3f87e345a", 2, "NetrWkstaUserEnum");
	check_op("1ff70682-0a51-30e8-076d-740be8cee98b", 0, "NetrJobAdd");
	check_op("3919286a-b10c-11d0-9ba8-00c04fd92ef5", 0, "DsRolerGetPrimaryDomainInformation");
	check_op("82273fdc-e32a-18c3-3f78-827929dc23ea", 7, "ElfrOpenELW");
	check_op("12345678-1234-abcd-ef00-0123456789ab", 1, "RpcOpenPrinter");
	check_op("12345678-1234-abcd-ef00-0123456789ab", 65, "RpcRemoteFindFirstPrinterChangeNotificationEx");
	check_op("76f03f96-cdfd-44fc-a22c-64950a001209", 0, "RpcAsyncOpenPrinter");
	check_op("000001a0-0000-0000-c000-000000000046", 3, "RemoteGetClassObject");
	check_op("000001a0-0000-0000-c000-000000000046", 4, "RemoteCreateInstance");
	check_op("99fcfec4-5260-101b-bbcb-00aa0021347a", 5, "ServerAlive2");
	check_op("00000131-0000-0000-c000-000000000046", 3, "RemQueryInterface");
	check_op("00000143-0000-0000-c000-000000000046", 6, "RemQueryInterface2");
	check_op("00000131-0000-0000-c000-000000000046", 6, NULL);
	/* two UUIDs, one table */
	check_op("c681d488-d850-11d0-8c52-00c04fd90f7e", 4, "EfsRpcEncryptFileSrv");
	check_op("df1941c5-fe89-4e79-bf10-463657acf44d", 4, "EfsRpcEncryptFileSrv");
	/* unknown interface, transfer syntax, NULL */
	check_op("00000000-0000-0000-0000-000000000000", 0, NULL);
	check_op(UUID_NDR, 0, NULL);
	assert_null(names_opnum(NULL, 0));
	assert_int_equal(names_opnum_count(NULL), 0);
}

/* ---- status tables ------------------------------------------------------------------- */

static void test_status(void **state)
{
	(void)state;
	assert_string_equal(names_fault(0x1c010003), "nca_s_unk_if");
	assert_string_equal(names_fault(0x1c010002), "nca_s_op_rng_error");
	assert_string_equal(names_fault(0x1c00001a), "nca_s_fault_context_mismatch");
	assert_string_equal(names_fault(0x00000005), "nca_s_fault_access_denied");
	assert_string_equal(names_fault(0x000006f7), "nca_s_fault_ndr");
	for (uint32_t c = 0x1c000001; c <= 0x1c000025; c++)
		if (c != 0x1c000011 && c != 0x1c00001e && !names_fault(c))
			fail_msg("fault 0x%08x has no name", c);
	assert_null(names_fault(0x12345678));
	assert_null(names_fault(0));

	assert_string_equal(names_epm_status(0x16c9a0d6), "ept_s_not_registered");
	assert_string_equal(names_epm_status(0), "ok");
	assert_null(names_epm_status(0x16c9a0d7));

	assert_string_equal(names_mapi(0), "ecNone");
	assert_string_equal(names_mapi(0x970), "ecNotEncrypted");
	assert_string_equal(names_mapi(0x7ee), "ecRejected");
	assert_string_equal(names_mapi(0x4b6), "ecRpcAuthentication");
	assert_string_equal(names_mapi(0x80040102), "ecNotSupported");
	assert_string_equal(names_mapi(0x80070057), "ecInvalidParam");
	assert_string_equal(names_mapi(0x80040305), "ecTooBig");
	assert_null(names_mapi(0x1));

	for (uint16_t r = 0; r <= 9; r++)
		assert_non_null(names_bind_nak_reason(r));
	assert_string_equal(names_bind_nak_reason(8), "authentication_type_not_recognized");
	assert_null(names_bind_nak_reason(10));

	assert_string_equal(names_ctx_result(0), "acceptance");
	assert_string_equal(names_ctx_result(2), "provider_rejection");
	assert_string_equal(names_ctx_result(3), "negotiate_ack");
	assert_null(names_ctx_result(4));
	assert_string_equal(names_provider_reason(2), "proposed_transfer_syntaxes_not_supported");
	assert_null(names_provider_reason(4));

	static const char *const ptypes[21] = {
		"request", "ping", "response", "fault", "working", "nocall", "reject",
		"ack", "cl_cancel", "fack", "cancel_ack", "bind", "bind_ack", "bind_nak",
		"alter_context", "alter_context_resp", "auth3", "shutdown", "co_cancel",
		"orphaned", "rts",
	};
	for (uint8_t p = 0; p <= 20; p++)
		assert_string_equal(names_ptype(p), ptypes[p]);
	assert_null(names_ptype(21));
	assert_null(names_ptype(0xff));

	assert_string_equal(names_auth_type(0x0a), "ntlmssp");
	assert_string_equal(names_auth_type(0x09), "spnego");
	assert_string_equal(names_auth_type(0x10), "kerberos");
	assert_string_equal(names_auth_type(0x44), "netlogon");
	assert_null(names_auth_type(0x01));
	assert_string_equal(names_auth_level(6), "privacy");
	assert_string_equal(names_auth_level(5), "integrity");
	assert_null(names_auth_level(0));
	assert_null(names_auth_level(7));

	/* the generic entry points */
	assert_string_equal(names_status("fault", 0x1c010003), "nca_s_unk_if");
	assert_non_null(names_status_desc("epm", 0x16c9a0d6));
	assert_true(strstr(names_status_desc("epm", 0x16c9a0d6), "not running") != NULL);
	assert_null(names_status_desc("epm", 0x1));
	assert_null(names_status("nosuchtable", 0));
	assert_null(names_status(NULL, 0));
	assert_null(names_status_desc(NULL, 0));
}

/* ---- transfer syntaxes ---------------------------------------------------------------- */

static void test_xfer(void **state)
{
	(void)state;
	struct rpc_uuid u = U(UUID_NDR);
	assert_string_equal(names_xfer(&u), "NDR");
	u = U(UUID_NDR64);
	assert_string_equal(names_xfer(&u), "NDR64");
	/* bind-time feature negotiation: any bitmask in the last 8 bytes */
	static const char *const btfn[] = {
		"6cb71c2c-9812-4540-0300-000000000000",
		"6cb71c2c-9812-4540-0100-000000000000",
		"6cb71c2c-9812-4540-0200-000000000000",
		"6cb71c2c-9812-4540-0000-000000000000",
		"6CB71C2C-9812-4540-FFFF-FFFFFFFFFFFF",
	};
	for (size_t i = 0; i < sizeof btfn / sizeof btfn[0]; i++) {
		u = U(btfn[i]);
		const char *got = names_xfer(&u);
		if (!got || strcmp(got, "bind-time-features") != 0)
			fail_msg("%s: got %s", btfn[i], got ? got : "(null)");
		assert_null(names_iface(&u));
	}
	/* off by one in the prefix */
	u = U("6cb71c2c-9812-4541-0300-000000000000");
	assert_null(names_xfer(&u));
	u = U("6cb71c2d-9812-4540-0300-000000000000");
	assert_null(names_xfer(&u));
	u = U(UUID_EMSMDB);
	assert_null(names_xfer(&u));
	assert_null(names_xfer(NULL));
	/* as a client sends it: LE wire bytes of ...4540-0300-... */
	static const uint8_t wire[16] = {0x2c, 0x1c, 0xb7, 0x6c, 0x12, 0x98, 0x40, 0x45,
					 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	uuid_from_wire(wire, 1, &u);
	assert_string_equal(names_xfer(&u), "bind-time-features");
}

/* ---- table invariants ----------------------------------------------------------------- */

static void test_tables_sorted(void **state)
{
	(void)state;
	size_t n = names_iface_count();
	assert_true(n >= 40);
	struct rpc_uuid prev, cur;
	size_t with_ops = 0;
	for (size_t i = 0; i < n; i++) {
		const struct names_iface *f = names_iface_at(i, &cur);
		assert_non_null(f);
		assert_true(f->name[0] != '\0');
		assert_true(f->desc[0] != '\0');
		if (i > 0 && memcmp(prev.b, cur.b, 16) >= 0)
			fail_msg("interface rows %zu and %zu out of order (%s, %s)", i - 1, i,
				 names_iface_at(i - 1, NULL)->name, f->name);
		/* lookup through the public path finds the same row */
		assert_ptr_equal(names_iface(&cur), f);
		size_t nops = names_opnum_count(&cur);
		uint16_t prev_op = 0, op;
		const char *name;
		for (size_t k = 0; k < nops; k++) {
			assert_int_equal(names_opnum_at(&cur, k, &op, &name), 1);
			if (k > 0 && op <= prev_op)
				fail_msg("%s: opnum %u after %u", f->name, op, prev_op);
			assert_string_equal(names_opnum(&cur, op), name);
			prev_op = op;
		}
		assert_int_equal(names_opnum_at(&cur, nops, &op, &name), 0);
		with_ops += nops > 0;
		prev = cur;
	}
	assert_null(names_iface_at(n, &cur));
	assert_true(with_ops >= 30);

	const char *const *tables = names_status_tables();
	static const char *const required[] = {"fault", "epm", "mapi", "bind_nak", "ctx_result",
					       "provider_reason", "ptype", "auth_type", "auth_level"};
	for (size_t r = 0; r < sizeof required / sizeof required[0]; r++)
		assert_true(names_status_count(required[r]) > 0);
	size_t ntables = 0;
	for (; tables[ntables]; ntables++) {
		if (ntables > 0 && strcmp(tables[ntables - 1], tables[ntables]) >= 0)
			fail_msg("status tables out of order: %s, %s", tables[ntables - 1], tables[ntables]);
		size_t cnt = names_status_count(tables[ntables]);
		uint32_t code = 0, prev_code = 0;
		const char *name;
		for (size_t k = 0; k < cnt; k++) {
			assert_int_equal(names_status_at(tables[ntables], k, &code, &name), 1);
			if (k > 0 && code <= prev_code)
				fail_msg("%s: code 0x%08x after 0x%08x", tables[ntables], code, prev_code);
			assert_string_equal(names_status(tables[ntables], code), name);
			assert_non_null(names_status_desc(tables[ntables], code));
			prev_code = code;
		}
		assert_int_equal(names_status_at(tables[ntables], cnt, &code, &name), 0);
	}
	assert_true(ntables >= 9);
	assert_int_equal(names_status_count("nosuchtable"), 0);
	assert_int_equal(names_status_at("nosuchtable", 0, NULL, NULL), 0);
}

/* ---- the generator ---------------------------------------------------------------------- */

static char tmpdir[256];

static int setup_tmp(void **state)
{
	(void)state;
	const char *base = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/test_names.XXXXXX", base && *base ? base : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static const char *const gen_files[] = {"if.tsv", "op.tsv", "st.tsv", "out.c", "err.txt"};

static int teardown_tmp(void **state)
{
	(void)state;
	char p[512];
	for (size_t i = 0; i < sizeof gen_files / sizeof gen_files[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", tmpdir, gen_files[i]);
		unlink(p);
	}
	return rmdir(tmpdir);
}

static void write_file(const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Run the generator on the three texts; return its exit status, stderr in err. */
static int run_gen(const char *ifs, const char *ops, const char *sts, char *err, size_t errsz)
{
	const char *top = getenv("TOP_SRCDIR");
	char cmd[2048], p[512];

	write_file("if.tsv", ifs);
	write_file("op.tsv", ops);
	write_file("st.tsv", sts);
	snprintf(cmd, sizeof cmd,
		 "%s -f '%s/data/gen-names.awk' '%s/if.tsv' '%s/op.tsv' '%s/st.tsv' >'%s/out.c' 2>'%s/err.txt'",
		 NAMES_AWK, top && *top ? top : NAMES_TOP_SRCDIR, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
	int st = system(cmd);
	assert_true(st != -1 && WIFEXITED(st));

	snprintf(p, sizeof p, "%s/err.txt", tmpdir);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	size_t n = fread(err, 1, errsz - 1, f);
	err[n] = '\0';
	fclose(f);
	return WEXITSTATUS(st);
}

#define IF_OK                                                                        \
	"# header\n"                                                                     \
	"8a885d04-1ceb-11c9-9fe8-08002b104860\t2.0\txfer:NDR\tNDR\n"                     \
	"11111111-2222-3333-4444-555555555555\t1.0\tFOO\tfoo service\tsome source\n"     \
	"\n"                                                                             \
	"22222222-2222-3333-4444-555555555555\t0.81\tBAR\tbar \\pipe\\bar \"quoted\"?\n"
#define OP_OK "FOO\t0\tFooOpen\nFOO\t1\tFooClose\n# comment\nBAR\t3\tBarCall\n"
#define ST_OK                                                                        \
	"fault\t0x1c010003\tnca_s_unk_if\tunknown interface\n"                           \
	"epm\t0x16c9a0d6\tept_s_not_registered\tnot registered\n"                        \
	"mapi\t0x00000000\tecNone\tsuccess\n"                                            \
	"bind_nak\t0x00000002\tlocal_limit_exceeded\tlimit\n"                            \
	"ctx_result\t0x00000000\tacceptance\taccepted\n"                                 \
	"provider_reason\t0x00000001\tabstract_syntax_not_supported\tno iface\n"         \
	"ptype\t0x0000000b\tbind\tbind\n"                                                \
	"auth_type\t0x0000000a\tntlmssp\tNTLM\n"                                         \
	"auth_level\t0x00000006\tprivacy\tsealed\n"

static void expect_fail(const char *ifs, const char *ops, const char *sts, const char *where,
			const char *what)
{
	char err[4096], want[512];
	int rc = run_gen(ifs, ops, sts, err, sizeof err);
	snprintf(want, sizeof want, "%s/%s: ", tmpdir, where);
	if (rc != 2)
		fail_msg("expected exit 2 for %s (%s), got %d; stderr: %s", where, what, rc, err);
	if (!strstr(err, want) || !strstr(err, what))
		fail_msg("expected \"%s...%s\" in stderr, got: %s", want, what, err);
}

static void test_generator_ok(void **state)
{
	(void)state;
	char err[4096];
	assert_int_equal(run_gen(IF_OK, OP_OK, ST_OK, err, sizeof err), 0);
	assert_string_equal(err, "");

	char p[512], buf[65536];
	snprintf(p, sizeof p, "%s/out.c", tmpdir);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "const char *names_opnum(const struct rpc_uuid *iface, uint16_t opnum)"));
	/* sorted: 1111... before 2222...; escaped backslash, quote and '?' */
	char *foo = strstr(buf, "\"FOO\""), *bar = strstr(buf, "\"BAR\"");
	assert_true(foo && bar && foo < bar);
	assert_non_null(strstr(buf, "bar \\\\pipe\\\\bar \\\"quoted\\\"\\?"));
	assert_non_null(strstr(buf, "{0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x33, 0x33,"));
}

static void test_generator_rejects(void **state)
{
	(void)state;
	/* interfaces */
	expect_fail("1111111-2222-3333-4444-555555555555\t1.0\tFOO\tfoo\n", OP_OK, ST_OK, "if.tsv:1",
		    "bad UUID");
	expect_fail(IF_OK "11111111-2222-3333-4444-55555555555g\t1.0\tBAZ\tbaz\n", OP_OK, ST_OK,
		    "if.tsv:6", "bad UUID");
	expect_fail(IF_OK "11111111-2222-3333-4444-555555555555\t1.0\tBAZ\tbaz\n", OP_OK, ST_OK,
		    "if.tsv:6", "duplicate UUID");
	expect_fail(IF_OK "33333333-2222-3333-4444-555555555555\t1\tBAZ\tbaz\n", OP_OK, ST_OK,
		    "if.tsv:6", "bad version");
	expect_fail(IF_OK "33333333-2222-3333-4444-555555555555\t1.70000\tBAZ\tbaz\n", OP_OK, ST_OK,
		    "if.tsv:6", "out of range");
	expect_fail(IF_OK "33333333-2222-3333-4444-555555555555\t1.0\tB AZ\tbaz\n", OP_OK, ST_OK,
		    "if.tsv:6", "bad short name");
	expect_fail(IF_OK "33333333-2222-3333-4444-555555555555\t1.0\tBAZ\n", OP_OK, ST_OK,
		    "if.tsv:6", "fields");
	expect_fail(IF_OK "33333333-2222-3333-4444-555555555555\t1.0\t\tbaz\n", OP_OK, ST_OK,
		    "if.tsv:6", "empty");
	/* opnums */
	expect_fail(IF_OK, OP_OK "QUX\t0\tQuxCall\n", ST_OK, "op.tsv:5", "unknown interface");
	expect_fail(IF_OK, OP_OK "NDR\t0\tNdrCall\n", ST_OK, "op.tsv:5", "transfer syntax");
	expect_fail(IF_OK, OP_OK "FOO\t1\tFooAgain\n", ST_OK, "op.tsv:5", "duplicate opnum");
	expect_fail(IF_OK, OP_OK "FOO\t65536\tFooBig\n", ST_OK, "op.tsv:5", "bad opnum");
	expect_fail(IF_OK, OP_OK "FOO\t0x2\tFooHex\n", ST_OK, "op.tsv:5", "bad opnum");
	expect_fail(IF_OK, OP_OK "FOO\t2\tFoo-Dash\n", ST_OK, "op.tsv:5", "bad operation name");
	/* status */
	expect_fail(IF_OK, OP_OK, ST_OK "fault\t0x1c01000g\tbad\tbad\n", "st.tsv:10", "bad code");
	expect_fail(IF_OK, OP_OK, ST_OK "fault\t0x1c0100\tshort\tshort\n", "st.tsv:10", "bad code");
	expect_fail(IF_OK, OP_OK, ST_OK "fault\t1c010003\tnoprefix\tx\n", "st.tsv:10", "bad code");
	expect_fail(IF_OK, OP_OK, ST_OK "fault\t0x1C010003\tdup\tdup\n", "st.tsv:10", "duplicate code");
	expect_fail(IF_OK, OP_OK, ST_OK "ptype\t0x00000100\twide\twide\n", "st.tsv:10", "8 bits");
	expect_fail(IF_OK, OP_OK, ST_OK "Fault\t0x00000001\tx\tx\n", "st.tsv:10", "bad table name");
	expect_fail(IF_OK, OP_OK, ST_OK "fault\t0x00000001\tx\n", "st.tsv:10", "fields");
	/* a required table with no rows: reported at the end of the file */
	expect_fail(IF_OK, OP_OK, "fault\t0x00000001\tx\tx\n", "st.tsv:1", "required table");
	/* several errors: all reported, at their own lines */
	char err[4096];
	assert_int_equal(run_gen(IF_OK "zz\t1.0\tA\ta\n", OP_OK "QUX\t0\tQ\n", ST_OK, err, sizeof err), 2);
	assert_non_null(strstr(err, "if.tsv:6: "));
	assert_non_null(strstr(err, "op.tsv:5: "));
	/* no C is written on failure */
	char p[512];
	snprintf(p, sizeof p, "%s/out.c", tmpdir);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	assert_int_equal(fgetc(f), EOF);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iface_known),
		cmocka_unit_test(test_iface_unknown),
		cmocka_unit_test(test_uuid_byte_order),
		cmocka_unit_test(test_emsmdb_opnums),
		cmocka_unit_test(test_async_emsmdb),
		cmocka_unit_test(test_other_opnums),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_xfer),
		cmocka_unit_test(test_tables_sorted),
		cmocka_unit_test_setup_teardown(test_generator_ok, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_generator_rejects, setup_tmp, teardown_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
