# \summary: builds the libFuzzer harnesses (GNU make; driven by `make fuzz` in Makefile.am)
#
# Called from the top build directory with CC=clang (FUZZ_CC), the library
# sources of src/librpcwatch.a (LIB_SOURCES, filtered to .c here) and the
# configure results.  Objects go to $(top_builddir)/fuzz/obj, harnesses to
# $(top_builddir)/fuzz/; the ordinary gcc build is not touched.
top_srcdir ?= ..
top_builddir ?= ..
CC ?= clang
FUZZ_SAN ?= -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_OPT ?= -O1 -g -fno-omit-frame-pointer
HARNESSES ?= link ip dce_co dce_cl epm emsmdb stream json pipeline profile junit

out := $(top_builddir)/fuzz
srcs := $(filter %.c,$(LIB_SOURCES))
objs := $(addprefix $(out)/obj/,$(srcs:.c=.o))
cppflags := -DSLAB_FLOWS=16 -DREG_TABLE_MAX=64 -DHAVE_CONFIG_H -I$(top_builddir) -I$(top_srcdir)/src -D_DEFAULT_SOURCE \
	-DRPCWATCH_DATADIR='"$(top_srcdir)/data"' $(PCAP_CFLAGS)
cflags := -std=c11 -Wall -Wextra -Wno-unused-function $(FUZZ_OPT) $(FUZZ_SAN)
bins := $(addprefix $(out)/fuzz_,$(HARNESSES))

# Output-side objects compiled a second time without libFuzzer's comparison
# hooks (-fno-sanitize-coverage=trace-cmp; edge counters, ASan and UBSan as
# everywhere), linked ahead of the library into the harnesses for which they
# are output, not the target: the JSON writer checks every key (constant
# strings) byte by byte, and those hooks were a sixth of dce_co's time while
# telling the fuzzer nothing about its input.  fuzz_json keeps the fully
# instrumented writer.
NOCMP_SRCS ?= src/json.c
NOCMP_HARNESSES ?= dce_co dce_cl pipeline
nocmp_objs := $(addprefix $(out)/obj-nocmp/,$(NOCMP_SRCS:.c=.o))
.SECONDARY: $(nocmp_objs)

all: $(bins)

.SECONDEXPANSION:
# a source is the generated one in the build tree if it exists there, else the checked-in one
$(out)/obj/%.o: $$(firstword $$(wildcard $(top_builddir)/$$*.c) $(top_srcdir)/$$*.c)
	@mkdir -p $(dir $@)
	$(CC) $(cppflags) $(cflags) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(out)/obj-nocmp/%.o: $$(firstword $$(wildcard $(top_builddir)/$$*.c) $(top_srcdir)/$$*.c)
	@mkdir -p $(dir $@)
	$(CC) $(cppflags) $(cflags) -fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp -MMD -MP -c -o $@ $<

$(out)/librpcwatch-fuzz.a: $(objs)
	rm -f $@ && ar cr $@ $(objs) && ranlib $@

$(out)/fuzz_%: $(top_srcdir)/fuzz/fuzz_%.c $(out)/librpcwatch-fuzz.a $(wildcard $(top_srcdir)/fuzz/*.h $(top_srcdir)/fuzz/*.inc) \
		$$(if $$(filter $$*,$(NOCMP_HARNESSES)),$(nocmp_objs))
	$(CC) $(cppflags) -I$(top_srcdir)/fuzz $(cflags) -fsanitize=fuzzer -o $@ $< \
		$(if $(filter $*,$(NOCMP_HARNESSES)),$(nocmp_objs)) $(out)/librpcwatch-fuzz.a $(LIBS)

# header dependencies (-MMD): a changed struct in a header rebuilds every object using it
-include $(objs:.o=.d) $(nocmp_objs:.o=.d)

.PHONY: all
