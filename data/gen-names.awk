# data/gen-names.awk - turn the name tables into C (src/names_gen.c)
#
#   awk -f gen-names.awk interfaces.tsv opnums.tsv status.tsv > names_gen.c
#
# Reads the three tables in that order (formats: see the header of each file),
# checks every row, sorts, and writes a C file with const arrays and the
# src/names.h API on top of them (binary search).  Any malformed row is reported
# as "file:line: message" on stderr; after reading everything the script exits
# with status 2 and writes no C if there was an error, so the build stops.
#
# Plain POSIX awk (tested with mawk and busybox-style awks): no gawk extensions,
# no regex intervals, no length(array), no /dev/stderr.

BEGIN {
	FS = "\t"
	nerr = 0
	if (ARGC != 4) {
		print "usage: awk -f gen-names.awk interfaces.tsv opnums.tsv status.tsv" | "cat 1>&2"
		close("cat 1>&2")
		usage_error = 1
		exit 2
	}
	f_if = ARGV[1]; f_op = ARGV[2]; f_st = ARGV[3]
	nif = 0; nx = 0; nop = 0; nst = 0
	# tables the C API relies on, and the width their codes must fit in
	nreq = split("fault epm mapi bind_nak ctx_result provider_reason ptype auth_type auth_level", req, " ")
	width["ptype"] = 8; width["auth_type"] = 8; width["auth_level"] = 8
	width["bind_nak"] = 16; width["ctx_result"] = 16; width["provider_reason"] = 16
}

function err(msg) {
	printf "%s:%d: %s\n", FILENAME, FNR, msg | "cat 1>&2"
	nerr++
}

function err_at(file, line, msg) {
	printf "%s:%d: %s\n", file, line, msg | "cat 1>&2"
	nerr++
}

function is_hex(s) { return s ~ /^[0-9a-fA-F]+$/ }

# printable ASCII only (the output is C source)
function printable(s) { return s !~ /[^ -~]/ }

# a decimal 0..65535, as a string check (no numeric surprises)
function is_u16(s) {
	if (s !~ /^[0-9]+$/ || length(s) > 5)
		return 0
	return (s + 0) <= 65535
}

# "a4f1db00-ca47-1067-b31f-00dd010662da" -> 32 lower-case hex digits, or ""
function uuid_hex(s,   h) {
	if (length(s) != 36)
		return ""
	if (substr(s, 9, 1) != "-" || substr(s, 14, 1) != "-" || substr(s, 19, 1) != "-" ||
	    substr(s, 24, 1) != "-")
		return ""
	h = substr(s, 1, 8) substr(s, 10, 4) substr(s, 15, 4) substr(s, 20, 4) substr(s, 25, 12)
	if (!is_hex(h))
		return ""
	return tolower(h)
}

# C string literal; '?' is escaped so no trigraph can form
function cstr(s,   out, i, c) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "\\")
			out = out "\\\\"
		else if (c == "\"")
			out = out "\\\""
		else if (c == "?")
			out = out "\\?"
		else
			out = out c
	}
	return "\"" out "\""
}

# C initialiser of the 16 bytes of a 32-digit hex string
function cbytes(h,   out, i) {
	out = "{"
	for (i = 0; i < 16; i++)
		out = out (i ? ", " : "") "0x" substr(h, 2 * i + 1, 2)
	return out "}"
}

# insertion sort of idx[1..n] by key[idx[i]]; keys are strings starting with a
# letter so that awk compares them as strings
function isort(key, idx, n,   i, j, t) {
	for (i = 2; i <= n; i++) {
		t = idx[i]
		j = i - 1
		while (j >= 1 && key[idx[j]] > key[t]) {
			idx[j + 1] = idx[j]
			j--
		}
		idx[j + 1] = t
	}
}

{
	sub(/\r$/, "")
	lastline[FILENAME] = FNR
}

/^#/ || /^[ \t]*$/ { next }

FILENAME == f_if { iface_row(); next }
FILENAME == f_op { opnum_row(); next }
FILENAME == f_st { status_row(); next }

function check_fields(min, max, what,   i) {
	if (NF < min || NF > max) {
		err("expected " (min == max ? min : min " or " max) " TAB-separated fields (" what "), found " NF)
		return 0
	}
	for (i = 1; i <= NF; i++) {
		if ($i == "") {
			err("field " i " is empty")
			return 0
		}
		if ($i ~ /^ / || $i ~ / $/) {
			err("field " i " has leading or trailing spaces")
			return 0
		}
		if (!printable($i)) {
			err("field " i " has a control or non-ASCII character")
			return 0
		}
	}
	return 1
}

function iface_row(   h, name, xfer, v) {
	if (!check_fields(4, 5, "uuid, major.minor, short_name, description[, source]"))
		return
	h = uuid_hex($1)
	if (h == "") {
		err("bad UUID '" $1 "' (want xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex)")
		return
	}
	if ($2 !~ /^[0-9]+\.[0-9]+$/) {
		err("bad version '" $2 "' (want major.minor)")
		return
	}
	split($2, v, ".")
	if (!is_u16(v[1]) || !is_u16(v[2])) {
		err("version '" $2 "' out of range (each part 0..65535)")
		return
	}
	name = $3
	xfer = 0
	if (substr(name, 1, 5) == "xfer:") {
		xfer = 1
		name = substr(name, 6)
	}
	if (name !~ /^[A-Za-z0-9_-]+$/) {
		err("bad short name '" $3 "' (letters, digits, '_', '-')")
		return
	}
	if (h in uuid_line) {
		err("duplicate UUID " $1 " (first at line " uuid_line[h] ")")
		return
	}
	uuid_line[h] = FNR
	if (xfer) {
		nx++
		x_hex[nx] = h; x_name[nx] = name
		xfer_name_seen[name] = 1
	} else {
		nif++
		i_hex[nif] = h; i_name[nif] = name; i_desc[nif] = $4
		i_maj[nif] = v[1] + 0; i_min[nif] = v[2] + 0
		iface_name_seen[name] = 1
	}
}

function opnum_row(   k) {
	if (!check_fields(3, 3, "iface_short_name, opnum, name"))
		return
	if (!($1 in iface_name_seen)) {
		if ($1 in xfer_name_seen)
			err("'" $1 "' is a transfer syntax, it has no opnums")
		else
			err("unknown interface short name '" $1 "' (not in " f_if ")")
		return
	}
	if (!is_u16($2)) {
		err("bad opnum '" $2 "' (decimal 0..65535)")
		return
	}
	if ($3 !~ /^[A-Za-z_][A-Za-z0-9_]*$/) {
		err("bad operation name '" $3 "' (a C identifier)")
		return
	}
	k = $1 SUBSEP ($2 + 0)
	if (k in op_line) {
		err("duplicate opnum " ($2 + 0) " for " $1 " (first at line " op_line[k] ")")
		return
	}
	op_line[k] = FNR
	nop++
	o_if[nop] = $1; o_num[nop] = $2 + 0; o_name[nop] = $3
}

function status_row(   code, k, w) {
	if (!check_fields(4, 4, "table, code, name, description"))
		return
	if ($1 !~ /^[a-z][a-z0-9_]*$/) {
		err("bad table name '" $1 "' (lower case, digits, '_')")
		return
	}
	if (length($2) != 10 || substr($2, 1, 2) != "0x" || !is_hex(substr($2, 3))) {
		err("bad code '" $2 "' (want 0x and 8 hex digits)")
		return
	}
	code = tolower(substr($2, 3))
	w = ($1 in width) ? width[$1] : 32
	if ((w == 8 && substr(code, 1, 6) != "000000") || (w == 16 && substr(code, 1, 4) != "0000")) {
		err("code " $2 " does not fit in " w " bits, as table '" $1 "' requires")
		return
	}
	if ($3 !~ /^[A-Za-z0-9_]+$/) {
		err("bad name '" $3 "' (letters, digits, '_')")
		return
	}
	k = $1 SUBSEP code
	if (k in st_line) {
		err("duplicate code " $2 " in table '" $1 "' (first at line " st_line[k] ")")
		return
	}
	st_line[k] = FNR
	nst++
	s_tab[nst] = $1; s_code[nst] = code; s_name[nst] = $3; s_desc[nst] = $4
	if (!($1 in tab_seen)) {
		tab_seen[$1] = 1
		ntab++
		tab_list[ntab] = $1
	}
}

END {
	if (usage_error)
		exit 2
	for (i = 1; i <= nreq; i++)
		if (!(req[i] in tab_seen))
			err_at(f_st, lastline[f_st] + 0, "required table '" req[i] "' has no rows")
	if (nif == 0)
		err_at(f_if, lastline[f_if] + 0, "no interface rows")
	if (nerr) {
		close("cat 1>&2")
		exit 2
	}
	emit()
}

# ---- output -----------------------------------------------------------------------

function emit(   i, j, n, idx, key, t, first, cnt, st_first, st_cnt) {
	print "/* Generated by data/gen-names.awk from " f_if ", " f_op " and " f_st "."
	print " * Do not edit: change the tables and rebuild.  API: src/names.h. */"
	print "#include \"config.h\""
	print "#include \"names.h\""
	print ""
	print "#include <string.h>"
	print ""

	# interfaces, ascending by UUID bytes
	for (i = 1; i <= nif; i++) {
		idx[i] = i
		key[i] = "k" i_hex[i]
	}
	isort(key, idx, nif)
	for (i = 1; i <= nif; i++)
		iface_order[i] = idx[i]

	# operations, grouped by interface short name, ascending opnum
	split("", key); split("", idx)
	for (i = 1; i <= nop; i++) {
		idx[i] = i
		key[i] = "k" o_if[i] SUBSEP sprintf("%05d", o_num[i])
	}
	isort(key, idx, nop)
	printf "#define NAMES_NOP %d\n", nop
	print "struct op_row {"
	print "\tuint16_t opnum;"
	print "\tconst char *name;"
	print "};"
	print "static const struct op_row op_rows[] = {"
	for (i = 1; i <= nop; i++) {
		j = idx[i]
		if (!(o_if[j] in first)) {
			first[o_if[j]] = i - 1
			cnt[o_if[j]] = 0
		}
		cnt[o_if[j]]++
		printf "\t{%d, %s},\n", o_num[j], cstr(o_name[j])
	}
	if (nop == 0)
		print "\t{0, NULL},"
	print "};"
	print ""

	printf "#define NAMES_NIFACE %d\n", nif
	print "static const uint8_t iface_uuid[][16] = {"
	for (i = 1; i <= nif; i++)
		printf "\t%s,\n", cbytes(i_hex[iface_order[i]])
	print "};"
	print "static const struct names_iface iface_info[] = {"
	for (i = 1; i <= nif; i++) {
		j = iface_order[i]
		printf "\t{%s, %s, %d, %d},\n", cstr(i_name[j]), cstr(i_desc[j]), i_maj[j], i_min[j]
	}
	print "};"
	print "/* slice of op_rows[] for each interface: first index, count */"
	print "static const uint32_t iface_ops[][2] = {"
	for (i = 1; i <= nif; i++) {
		j = iface_order[i]
		if (i_name[j] in first)
			printf "\t{%d, %d},\n", first[i_name[j]], cnt[i_name[j]]
		else
			print "\t{0, 0},"
	}
	print "};"
	print ""

	# transfer syntaxes, ascending by UUID bytes
	split("", key); split("", idx)
	for (i = 1; i <= nx; i++) {
		idx[i] = i
		key[i] = "k" x_hex[i]
	}
	isort(key, idx, nx)
	printf "#define NAMES_NXFER %d\n", nx
	print "static const uint8_t xfer_uuid[][16] = {"
	for (i = 1; i <= nx; i++)
		printf "\t%s,\n", cbytes(x_hex[idx[i]])
	if (nx == 0)
		print "\t{0},"
	print "};"
	print "static const char *const xfer_name[] = {"
	for (i = 1; i <= nx; i++)
		printf "\t%s,\n", cstr(x_name[idx[i]])
	if (nx == 0)
		print "\tNULL,"
	print "};"
	print ""

	# status tables: tables by name, rows by code
	split("", key); split("", idx)
	for (i = 1; i <= nst; i++) {
		idx[i] = i
		key[i] = "k" s_tab[i] SUBSEP s_code[i]
	}
	isort(key, idx, nst)
	print "struct st_row {"
	print "\tuint32_t code;"
	print "\tconst char *name;"
	print "\tconst char *desc;"
	print "};"
	print "static const struct st_row st_rows[] = {"
	for (i = 1; i <= nst; i++) {
		j = idx[i]
		if (!(s_tab[j] in st_first)) {
			st_first[s_tab[j]] = i - 1
			st_cnt[s_tab[j]] = 0
		}
		st_cnt[s_tab[j]]++
		printf "\t{0x%sU, %s, %s},\n", s_code[j], cstr(s_name[j]), cstr(s_desc[j])
	}
	print "};"
	split("", key); split("", idx)
	for (i = 1; i <= ntab; i++) {
		idx[i] = i
		key[i] = "k" tab_list[i]
	}
	isort(key, idx, ntab)
	printf "#define NAMES_NTABLES %d\n", ntab
	print "struct st_table {"
	print "\tconst char *name;"
	print "\tuint32_t first, count;"
	print "};"
	print "static const struct st_table st_tables[] = {"
	for (i = 1; i <= ntab; i++) {
		t = tab_list[idx[i]]
		printf "\t{%s, %d, %d},\n", cstr(t), st_first[t], st_cnt[t]
	}
	print "};"
	print "static const char *const st_table_names[] = {"
	for (i = 1; i <= ntab; i++)
		printf "\t%s,\n", cstr(tab_list[idx[i]])
	print "\tNULL,"
	print "};"
	print ""
	emit_api()
}

# The C half: binary search over the arrays above.
function emit_api() {
	print "/* ---- interfaces --------------------------------------------------------- */"
	print ""
	print "static long iface_find(const struct rpc_uuid *u)"
	print "{"
	print "\tsize_t lo = 0, hi = NAMES_NIFACE;"
	print ""
	print "\tif (!u)"
	print "\t\treturn -1;"
	print "\twhile (lo < hi) {"
	print "\t\tsize_t mid = lo + (hi - lo) / 2;"
	print "\t\tint c = memcmp(u->b, iface_uuid[mid], 16);"
	print "\t\tif (c == 0)"
	print "\t\t\treturn (long)mid;"
	print "\t\tif (c < 0)"
	print "\t\t\thi = mid;"
	print "\t\telse"
	print "\t\t\tlo = mid + 1;"
	print "\t}"
	print "\treturn -1;"
	print "}"
	print ""
	print "const struct names_iface *names_iface(const struct rpc_uuid *u)"
	print "{"
	print "\tlong i = iface_find(u);"
	print "\treturn i < 0 ? NULL : &iface_info[i];"
	print "}"
	print ""
	print "const char *names_iface_name(const struct rpc_uuid *u)"
	print "{"
	print "\tconst struct names_iface *f = names_iface(u);"
	print "\treturn f ? f->name : NULL;"
	print "}"
	print ""
	print "const char *names_opnum(const struct rpc_uuid *iface, uint16_t opnum)"
	print "{"
	print "\tlong i = iface_find(iface);"
	print "\tsize_t lo, hi;"
	print ""
	print "\tif (i < 0)"
	print "\t\treturn NULL;"
	print "\tlo = iface_ops[i][0];"
	print "\thi = lo + iface_ops[i][1];"
	print "\twhile (lo < hi) {"
	print "\t\tsize_t mid = lo + (hi - lo) / 2;"
	print "\t\tif (op_rows[mid].opnum == opnum)"
	print "\t\t\treturn op_rows[mid].name;"
	print "\t\tif (opnum < op_rows[mid].opnum)"
	print "\t\t\thi = mid;"
	print "\t\telse"
	print "\t\t\tlo = mid + 1;"
	print "\t}"
	print "\treturn NULL;"
	print "}"
	print ""
	print "size_t names_iface_count(void) { return NAMES_NIFACE; }"
	print ""
	print "const struct names_iface *names_iface_at(size_t i, struct rpc_uuid *uuid)"
	print "{"
	print "\tif (i >= NAMES_NIFACE)"
	print "\t\treturn NULL;"
	print "\tif (uuid)"
	print "\t\tmemcpy(uuid->b, iface_uuid[i], 16);"
	print "\treturn &iface_info[i];"
	print "}"
	print ""
	print "size_t names_opnum_count(const struct rpc_uuid *iface)"
	print "{"
	print "\tlong i = iface_find(iface);"
	print "\treturn i < 0 ? 0 : iface_ops[i][1];"
	print "}"
	print ""
	print "int names_opnum_at(const struct rpc_uuid *iface, size_t i, uint16_t *opnum, const char **name)"
	print "{"
	print "\tlong f = iface_find(iface);"
	print "\tconst struct op_row *r;"
	print ""
	print "\tif (f < 0 || i >= iface_ops[f][1])"
	print "\t\treturn 0;"
	print "\tr = &op_rows[iface_ops[f][0] + i];"
	print "\tif (opnum)"
	print "\t\t*opnum = r->opnum;"
	print "\tif (name)"
	print "\t\t*name = r->name;"
	print "\treturn 1;"
	print "}"
	print ""
	print "/* ---- transfer syntaxes ---------------------------------------------------- */"
	print ""
	print "const char *names_xfer(const struct rpc_uuid *u)"
	print "{"
	print "\t/* MS-RPCE 3.3.1.5.3: 6cb71c2c-9812-4540-<16-bit and 48-bit bitmask> */"
	print "\tstatic const uint8_t btfn[8] = {0x6c, 0xb7, 0x1c, 0x2c, 0x98, 0x12, 0x45, 0x40};"
	print "\tsize_t i;"
	print ""
	print "\tif (!u)"
	print "\t\treturn NULL;"
	print "\tif (memcmp(u->b, btfn, sizeof btfn) == 0)"
	print "\t\treturn \"bind-time-features\";"
	print "\tfor (i = 0; i < NAMES_NXFER; i++)"
	print "\t\tif (memcmp(u->b, xfer_uuid[i], 16) == 0)"
	print "\t\t\treturn xfer_name[i];"
	print "\treturn NULL;"
	print "}"
	print ""
	print "/* ---- status tables -------------------------------------------------------- */"
	print ""
	print "static const struct st_table *st_table_find(const char *table)"
	print "{"
	print "\tsize_t i;"
	print ""
	print "\tif (!table)"
	print "\t\treturn NULL;"
	print "\tfor (i = 0; i < NAMES_NTABLES; i++)"
	print "\t\tif (strcmp(st_tables[i].name, table) == 0)"
	print "\t\t\treturn &st_tables[i];"
	print "\treturn NULL;"
	print "}"
	print ""
	print "static const struct st_row *st_find(const char *table, uint32_t code)"
	print "{"
	print "\tconst struct st_table *t = st_table_find(table);"
	print "\tsize_t lo, hi;"
	print ""
	print "\tif (!t)"
	print "\t\treturn NULL;"
	print "\tlo = t->first;"
	print "\thi = lo + t->count;"
	print "\twhile (lo < hi) {"
	print "\t\tsize_t mid = lo + (hi - lo) / 2;"
	print "\t\tif (st_rows[mid].code == code)"
	print "\t\t\treturn &st_rows[mid];"
	print "\t\tif (code < st_rows[mid].code)"
	print "\t\t\thi = mid;"
	print "\t\telse"
	print "\t\t\tlo = mid + 1;"
	print "\t}"
	print "\treturn NULL;"
	print "}"
	print ""
	print "const char *names_status(const char *table, uint32_t code)"
	print "{"
	print "\tconst struct st_row *r = st_find(table, code);"
	print "\treturn r ? r->name : NULL;"
	print "}"
	print ""
	print "const char *names_status_desc(const char *table, uint32_t code)"
	print "{"
	print "\tconst struct st_row *r = st_find(table, code);"
	print "\treturn r ? r->desc : NULL;"
	print "}"
	print ""
	print "const char *const *names_status_tables(void) { return st_table_names; }"
	print ""
	print "size_t names_status_count(const char *table)"
	print "{"
	print "\tconst struct st_table *t = st_table_find(table);"
	print "\treturn t ? t->count : 0;"
	print "}"
	print ""
	print "int names_status_at(const char *table, size_t i, uint32_t *code, const char **name)"
	print "{"
	print "\tconst struct st_table *t = st_table_find(table);"
	print ""
	print "\tif (!t || i >= t->count)"
	print "\t\treturn 0;"
	print "\tif (code)"
	print "\t\t*code = st_rows[t->first + i].code;"
	print "\tif (name)"
	print "\t\t*name = st_rows[t->first + i].name;"
	print "\treturn 1;"
	print "}"
	print ""
	print "const char *names_ptype(uint8_t ptype) { return names_status(\"ptype\", ptype); }"
	print "const char *names_fault(uint32_t status) { return names_status(\"fault\", status); }"
	print "const char *names_mapi(uint32_t rc) { return names_status(\"mapi\", rc); }"
	print "const char *names_epm_status(uint32_t st) { return names_status(\"epm\", st); }"
	print "const char *names_bind_nak_reason(uint16_t r) { return names_status(\"bind_nak\", r); }"
	print "const char *names_ctx_result(uint16_t r) { return names_status(\"ctx_result\", r); }"
	print "const char *names_provider_reason(uint16_t r) { return names_status(\"provider_reason\", r); }"
	print "const char *names_auth_type(uint8_t t) { return names_status(\"auth_type\", t); }"
	print "const char *names_auth_level(uint8_t l) { return names_status(\"auth_level\", l); }"
}
