# stage2/: epoxy-agent, the static musl + mbedTLS boot agent.
#
# mbedTLS comes from Debian's source package (scripts/sources.txt, fetched
# into $(O)/src/mbedtls by scripts/deps.sh), copied to $(O)/musl/mbedtls and
# built with musl-gcc under the trimmed stage2/mbedtls_config.h.  Our
# sources, net/'s archive (the HTTPS client, $(O)/musl/libepoxy-net.a) and
# lib/'s archive without signing code ($(O)/musl/libepoxy.a, never
# libepoxy-sign.a) are compiled the same way into $(O)/musl/ and linked
# statically into $(O)/bin/epoxy-agent; a stripped
# copy is $(O)/bin/epoxy-agent.stripped.  The unit tests and fuzz targets
# link the same modules against Debian's libmbedtls (asan variant).

# The HTTPS client is net/'s archive (net/net.mk) and lib/ is lib/'s
# (lib/module.mk), never a list of their sources: every binary below names
# them in NAME_ARCHIVES.
AGENT_MODS := stage2/con.c stage2/cmdline.c stage2/efivar.c \
	stage2/newc.c stage2/handover.c stage2/session.c \
	stage2/fetch.c stage2/verify.c \
	stage2/kexec.c stage2/report.c stage2/boot.c stage2/join.c stage2/hash.c \
	stage2/media.c stage2/bootcred.c stage2/dbxapply.c stage2/hwscan.c
AGENT_SRCS := stage2/agent.c $(AGENT_MODS)
AGENT_ARCHIVES := epoxy-net epoxy
AGENT_HOST_LIBS := $(NET_LIBS) -lm

MUSL_PROGS += epoxy-agent
MBEDTLS_MUSL := $(O)/musl/mbedtls
MBEDTLS_MUSL_LIBS := $(MBEDTLS_MUSL)/library/libmbedtls.a \
	$(MBEDTLS_MUSL)/library/libmbedx509.a $(MBEDTLS_MUSL)/library/libmbedcrypto.a
MBEDTLS_MUSL_CONFIG := -DMBEDTLS_CONFIG_FILE='"stage2/mbedtls_config.h"'
MUSL_CPPFLAGS := -I. -I$(O)/include -I$(MBEDTLS_MUSL)/include -Inet -D_GNU_SOURCE \
	-DEPOXY_VERSION='"$(VERSION)"' $(MBEDTLS_MUSL_CONFIG)
MUSL_CFLAGS := -std=gnu11 -Os $(WARN) -fstack-protector-strong -fno-common \
	-ffunction-sections -fdata-sections '-ffile-prefix-map=$(CURDIR)/='

# MBEDTLS_GCM_ALT: mbedtls/gcm.h includes "gcm_alt.h" (net/, hence -I net)
# and net/aesgcm.c, compiled with the same flags, joins libmbedcrypto.a, so
# every program linking this mbedTLS gets its GCM
MBEDTLS_MUSL_CFLAGS := -O2 -ffunction-sections -fdata-sections -I"$(CURDIR)" \
	-I"$(CURDIR)/net" -DMBEDTLS_CONFIG_FILE='"stage2/mbedtls_config.h"'
$(MBEDTLS_MUSL)/.built: stage2/mbedtls_config.h net/aesgcm.c net/aesgcm.h net/gcm_alt.h
	@test -f $(O)/src/mbedtls/.epoxy-fetched || scripts/deps.sh
	rm -rf $(MBEDTLS_MUSL)
	@mkdir -p $(MBEDTLS_MUSL)
	cp -a $(O)/src/mbedtls/include $(O)/src/mbedtls/library \
		$(O)/src/mbedtls/3rdparty $(MBEDTLS_MUSL)/
	env -u MAKEFLAGS -u MFLAGS -u O $(MAKE) -s -j2 -C $(MBEDTLS_MUSL)/library \
		CC=$(MUSL_CC) AR=ar \
		CFLAGS="-O2 -ffunction-sections -fdata-sections -I\"$(CURDIR)\" -I\"$(CURDIR)/net\" -DMBEDTLS_CONFIG_FILE='\"stage2/mbedtls_config.h\"'" \
		libmbedcrypto.a libmbedx509.a libmbedtls.a >/dev/null
	$(MUSL_CC) $(MBEDTLS_MUSL_CFLAGS) -I$(MBEDTLS_MUSL)/include -Wall -Wextra -Werror \
		-c -o $(MBEDTLS_MUSL)/library/epoxy_aesgcm.o net/aesgcm.c
	ar rcs $(MBEDTLS_MUSL)/library/libmbedcrypto.a $(MBEDTLS_MUSL)/library/epoxy_aesgcm.o
	touch $@

$(O)/musl/%.o: %.c $(CONFIG_H) $(MBEDTLS_MUSL)/.built
	@mkdir -p $(@D)
	$(MUSL_CC) $(MUSL_CPPFLAGS) $(MUSL_CFLAGS) -MMD -MP -c -o $@ $<

epoxy-agent_ARCHIVES := $(AGENT_ARCHIVES)
$(O)/bin/epoxy-agent: $(patsubst %.c,$(O)/musl/%.o,$(AGENT_SRCS)) \
		$(call archives,musl,epoxy-agent) $(MBEDTLS_MUSL)/.built
	@mkdir -p $(@D)
	$(MUSL_CC) -static -Wl,--gc-sections -o $@ $(filter %.o %.a,$^) $(MBEDTLS_MUSL_LIBS) -lm
	strip -o $@.stripped $@

# unit tests (asan variant, Debian's mbedTLS)
AGENT_TEST_BASE := tests/test.c $(AGENT_MODS)
UNIT_TESTS += test_agent_parsers test_agent_cpio test_agent_hash test_agent_media \
	test_agent_bootcred
test_agent_bootcred_SRCS := tests/unit/test_agent_bootcred.c $(AGENT_TEST_BASE)
test_agent_bootcred_LIBS := $(AGENT_HOST_LIBS)
test_agent_bootcred_ARCHIVES := $(AGENT_ARCHIVES)
test_agent_media_SRCS := tests/unit/test_agent_media.c $(AGENT_TEST_BASE)
test_agent_media_LIBS := $(AGENT_HOST_LIBS)
test_agent_media_ARCHIVES := $(AGENT_ARCHIVES)
test_agent_hash_SRCS := tests/unit/test_agent_hash.c $(AGENT_TEST_BASE)
test_agent_hash_LIBS := $(AGENT_HOST_LIBS)
test_agent_hash_ARCHIVES := $(AGENT_ARCHIVES)
test_agent_parsers_SRCS := tests/unit/test_agent_parsers.c $(AGENT_TEST_BASE)
test_agent_parsers_LIBS := $(AGENT_HOST_LIBS)
test_agent_parsers_ARCHIVES := $(AGENT_ARCHIVES)
test_agent_cpio_SRCS := tests/unit/test_agent_cpio.c $(AGENT_TEST_BASE)
test_agent_cpio_LIBS := $(AGENT_HOST_LIBS)
test_agent_cpio_ARCHIVES := $(AGENT_ARCHIVES)
# the inventory report: lib/inventory.c's parser (table of malformed
# reports) and the collector stage2/hwscan.c against a fake tree
UNIT_TESTS += test_inventory
test_inventory_SRCS := tests/unit/test_inventory.c $(AGENT_TEST_BASE)
test_inventory_LIBS := $(AGENT_HOST_LIBS)
test_inventory_ARCHIVES := $(AGENT_ARCHIVES)

# fuzz targets
AGENT_FUZZ_BASE := $(AGENT_MODS)
# (net/'s parsers have theirs in net/net.mk: fuzz_httpc, fuzz_chunked)
FUZZ_TARGETS += fuzz_cmdline fuzz_handover fuzz_efivar fuzz_media
fuzz_media_SRCS := tests/fuzz/fuzz_media.c $(AGENT_FUZZ_BASE)
fuzz_media_LIBS := $(AGENT_HOST_LIBS)
fuzz_media_ARCHIVES := $(AGENT_ARCHIVES)
fuzz_cmdline_SRCS := tests/fuzz/fuzz_cmdline.c $(AGENT_FUZZ_BASE)
fuzz_cmdline_LIBS := $(AGENT_HOST_LIBS)
fuzz_cmdline_ARCHIVES := $(AGENT_ARCHIVES)
fuzz_handover_SRCS := tests/fuzz/fuzz_handover.c $(AGENT_FUZZ_BASE)
fuzz_handover_LIBS := $(AGENT_HOST_LIBS)
fuzz_handover_ARCHIVES := $(AGENT_ARCHIVES)
fuzz_efivar_SRCS := tests/fuzz/fuzz_efivar.c $(AGENT_FUZZ_BASE)
fuzz_efivar_LIBS := $(AGENT_HOST_LIBS)
fuzz_efivar_ARCHIVES := $(AGENT_ARCHIVES)

# the hostile TLS server of the agent's loopback tests
AGENT_HOSTILE := $(O)/agent-test/hostile
$(AGENT_HOSTILE): $(O)/host/tests/agent/hostile.o $(O)/host/libepoxy-sign.a $(O)/host/libepoxy.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(AGENT_HOST_LIBS)
CHECK_DEPS += $(AGENT_HOSTILE) $(O)/bin/epoxy-agent

.PHONY: agent
agent: $(O)/bin/epoxy-agent
	@file $(O)/bin/epoxy-agent | sed 's/, BuildID[^,]*//'
	@ls -l $(O)/bin/epoxy-agent.stripped | awk '{print "stripped size:", $$5, "bytes"}'
# the agent's benchmark is `make bench-agent` (bench/bench.mk); its
# SHA-256 figure comes from this build of the agent's hash module
$(O)/agent-test/sha256bench: $(O)/musl/bench/agent/sha256bench.o $(O)/musl/stage2/hash.o $(MBEDTLS_MUSL)/.built
	@mkdir -p $(@D)
	$(MUSL_CC) -static -o $@ $(filter %.o,$^) $(MBEDTLS_MUSL)/library/libmbedcrypto.a -lm
$(O)/agent-test/gcmbench: $(O)/musl/bench/agent/gcmbench.o $(MBEDTLS_MUSL)/.built
	@mkdir -p $(@D)
	$(MUSL_CC) -static -o $@ $(filter %.o,$^) $(MBEDTLS_MUSL)/library/libmbedcrypto.a
