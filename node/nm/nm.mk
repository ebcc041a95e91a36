# node/nm/: epoxy-nm, the node manager (issue 14): the join, the
# heartbeat and the renewal of the node certificate, the sliver set
# (nmsync) and its slivers run by Debian's crun (nmrun).
#
# Static, like the agent: musl + the agent's mbedTLS ($(MBEDTLS_MUSL),
# stage2/agent.mk, one configuration: stage2/mbedtls_config.h) and net/'s
# musl archive, the one HTTPS/TLS client, never a copy.  The production
# initramfs carries it ($(O)/images-src/epoxy-nm, stage1/images.mk) and
# no shared library at all (docs/guide/75-node-manager.md says why).
NM_MODS := node/nm/nmid.c node/nm/nmsync.c node/nm/nmrun.c node/nm/nmdisk.c node/nm/nmnet.c \
	node/nm/nmticket.c node/nm/nmapi.c node/nm/nmsense.c \
	node/nm/nmsvc.c node/nm/nmpriv.c

MUSL_PROGS += epoxy-nm
epoxy-nm_SRCS := node/nm/nm.c $(NM_MODS) node/nm/nmimage.c
epoxy-nm_ARCHIVES := epoxy-net epoxy

# nmnet: the slivers' network through Debian's libnl-route-3 (libnl-3-dev,
# libnl-route-3-dev).  The musl link takes Debian's static archives, built
# against glibc: their headers come after musl's (-idirafter), and the few
# _FORTIFY_SOURCE calls they make are at the end of nmnet.c.  Host and
# asan variants link Debian's shared libraries.
NMNET_INC := -idirafter /usr/include/libnl3
NMNET_LIBS := -lnl-route-3 -lnl-3
NMNET_MUSL_LIBS := /usr/lib/$(shell gcc -print-multiarch)/libnl-route-3.a \
	/usr/lib/$(shell gcc -print-multiarch)/libnl-3.a -lpthread
# nmimage: slice images unpacked by Debian's libarchive (libarchive-dev),
# linked into the static epoxy-nm from its static archive, tar only: the
# objects it pulls in need no compression library, and the few glibc
# names they use are at the end of nmimage.c (libacl's fail: ACLs are
# never restored).  Nothing is added to the production image.  Host
# and asan variants link the shared library.
NMIMAGE_MUSL_LIBS := /usr/lib/$(shell gcc -print-multiarch)/libarchive.a
$(O)/musl/node/nm/nmimage.o: MUSL_CPPFLAGS += -idirafter /usr/include \
	-idirafter /usr/include/$(shell gcc -print-multiarch)

epoxy-nm_LIBS := $(NMNET_MUSL_LIBS) $(NMIMAGE_MUSL_LIBS)
$(O)/musl/node/nm/nmnet.o: MUSL_CPPFLAGS += $(NMNET_INC) -idirafter /usr/include \
	-idirafter /usr/include/$(shell gcc -print-multiarch)
# nmsense: <linux/fs.h> (the project quota's ioctl) from Debian's headers
$(O)/musl/node/nm/nmsense.o: MUSL_CPPFLAGS += -idirafter /usr/include \
	-idirafter /usr/include/$(shell gcc -print-multiarch)
$(O)/host/node/nm/nmnet.o $(O)/asan/node/nm/nmnet.o: \
	CPPFLAGS += $(NMNET_INC)

# the CSR checks of epoxyd against the node manager's own requests and a
# table of malformed ones
UNIT_TESTS += test_nodeid
test_nodeid_SRCS := tests/unit/test_nodeid.c tests/test.c server/nodeid.c $(NM_MODS)
test_nodeid_ARCHIVES := epoxy-net epoxy
test_nodeid_LIBS := $(NET_LIBS) -lpthread $(NMNET_LIBS)

FUZZ_TARGETS += fuzz_csr
fuzz_csr_SRCS := tests/fuzz/fuzz_csr.c server/nodeid.c
fuzz_csr_ARCHIVES := epoxy
fuzz_csr_LIBS := -lmbedx509 -lmbedcrypto -lpthread

# the sliver set's acceptance, cache and plan (node/nm/nmsync.h), with
# throw-away keys (tests/keys/fixture.c)
UNIT_TESTS += test_nmsync
test_nmsync_SRCS := tests/unit/test_nmsync.c node/nm/nmsync.c $(TRUST_TEST_SRCS)
test_nmsync_ARCHIVES := $(TRUST_TEST_ARCHIVES)
test_nmsync_LIBS := $(LIB_CRYPTO_LIBS)

# the OCI config of a sliver (limits table, hostile records, confinement)
# and the state file's parser (node/nm/nmrun.h)
UNIT_TESTS += test_nmrun
test_nmrun_SRCS := tests/unit/test_nmrun.c tests/test.c node/nm/nmrun.c node/nm/nmpriv.c node/nm/nmdisk.c node/nm/nmnet.c
test_nmrun_ARCHIVES := epoxy
test_nmrun_LIBS := $(LIB_CRYPTO_LIBS) $(NMNET_LIBS)

FUZZ_TARGETS += fuzz_nmrun
fuzz_nmrun_SRCS := tests/fuzz/fuzz_nmrun.c node/nm/nmrun.c node/nm/nmpriv.c node/nm/nmdisk.c node/nm/nmnet.c
fuzz_nmrun_ARCHIVES := epoxy
fuzz_nmrun_LIBS := $(LIB_CRYPTO_LIBS) $(NMNET_LIBS)

# the network plan: ranges, slots, rates, the daily cap, the ruleset
# the slivers' uids and the grants file for epoxy-priv, parsed back by
# epoxy-priv's own parser (node/priv/priv_grants.c)
UNIT_TESTS += test_nmpriv
test_nmpriv_SRCS := tests/unit/test_nmpriv.c tests/test.c node/nm/nmpriv.c \
	node/priv/priv_grants.c node/priv/priv_req.c
test_nmpriv_ARCHIVES := epoxy
test_nmpriv_LIBS := $(LIB_CRYPTO_LIBS)

UNIT_TESTS += test_nmnet
test_nmnet_SRCS := tests/unit/test_nmnet.c tests/test.c node/nm/nmnet.c node/nm/nmrun.c node/nm/nmpriv.c node/nm/nmdisk.c
test_nmnet_ARCHIVES := epoxy
test_nmnet_LIBS := $(LIB_CRYPTO_LIBS) $(NMNET_LIBS)

FUZZ_TARGETS += fuzz_nmnet
fuzz_nmnet_SRCS := tests/fuzz/fuzz_nmnet.c node/nm/nmnet.c node/nm/nmrun.c node/nm/nmpriv.c node/nm/nmdisk.c
fuzz_nmnet_ARCHIVES := epoxy
fuzz_nmnet_LIBS := $(LIB_CRYPTO_LIBS) $(NMNET_LIBS)

# the local API's request parser and the ticket checks, journal and plan
# (node/nm/nmapi.h, nmticket.h), with throw-away keys: tables of
# malformed requests and hostile tickets
UNIT_TESTS += test_nmapi
test_nmapi_SRCS := tests/unit/test_nmapi.c node/nm/nmapi.c node/nm/nmticket.c \
	node/nm/nmsync.c node/nm/nmrun.c node/nm/nmpriv.c node/nm/nmdisk.c node/nm/nmnet.c $(TRUST_TEST_SRCS)
test_nmapi_ARCHIVES := epoxy-net $(TRUST_TEST_ARCHIVES)
test_nmapi_LIBS := $(NET_LIBS) $(NMNET_LIBS) -lpthread

FUZZ_TARGETS += fuzz_nmapi
fuzz_nmapi_SRCS := tests/fuzz/fuzz_nmapi.c node/nm/nmapi.c node/nm/nmticket.c \
	node/nm/nmsync.c node/nm/nmrun.c node/nm/nmpriv.c node/nm/nmdisk.c node/nm/nmnet.c
fuzz_nmapi_ARCHIVES := epoxy-net epoxy
fuzz_nmapi_LIBS := $(NET_LIBS) $(NMNET_LIBS) -lpthread

# the HTTPS API's request parser (nmapi_http_parse) on any bytes
FUZZ_TARGETS += fuzz_nmapi_http
fuzz_nmapi_http_SRCS := tests/fuzz/fuzz_nmapi_http.c node/nm/nmapi.c node/nm/nmticket.c \
	node/nm/nmsync.c node/nm/nmrun.c node/nm/nmpriv.c node/nm/nmdisk.c node/nm/nmnet.c
fuzz_nmapi_http_ARCHIVES := epoxy-net epoxy
fuzz_nmapi_http_LIBS := $(NET_LIBS) $(NMNET_LIBS) -lpthread

# disk_max as a project quota and the data disk (node/nm/nmdisk.h): the
# device classifier (blank, ours, foreign) on tables of disk heads and
# tails, the limit's rounding and range, the refusal without quotas
UNIT_TESTS += test_nmdisk
test_nmdisk_SRCS := tests/unit/test_nmdisk.c tests/test.c node/nm/nmdisk.c node/nm/nmrun.c node/nm/nmpriv.c \
	node/nm/nmnet.c
test_nmdisk_ARCHIVES := epoxy
test_nmdisk_LIBS := $(LIB_CRYPTO_LIBS) $(NMNET_LIBS)

FUZZ_TARGETS += fuzz_nmdisk
fuzz_nmdisk_SRCS := tests/fuzz/fuzz_nmdisk.c node/nm/nmdisk.c node/nm/nmrun.c node/nm/nmpriv.c node/nm/nmnet.c
fuzz_nmdisk_ARCHIVES := epoxy
fuzz_nmdisk_LIBS := $(LIB_CRYPTO_LIBS) $(NMNET_LIBS)

# the sensors (node/nm/nmsense.h): cpu.stat and one-number files, a fake
# cgroup/sysfs/data tree, the JSON and Prometheus renderings, and the
# test's own cgroup v2 cpu.stat read from the kernel
UNIT_TESTS += test_nmsense
test_nmsense_SRCS := tests/unit/test_nmsense.c tests/test.c node/nm/nmsense.c
test_nmsense_ARCHIVES := epoxy
test_nmsense_LIBS := $(LIB_CRYPTO_LIBS)

FUZZ_TARGETS += fuzz_nmsense
fuzz_nmsense_SRCS := tests/fuzz/fuzz_nmsense.c node/nm/nmsense.c
fuzz_nmsense_ARCHIVES := epoxy
fuzz_nmsense_LIBS := $(LIB_CRYPTO_LIBS)

# slice images (node/nm/nmimage.h): the entry checks on tables of hostile
# paths, links and modes; the fuzz target feeds them arbitrary entries
UNIT_TESTS += test_nmimage
test_nmimage_SRCS := tests/unit/test_nmimage.c tests/test.c node/nm/nmimage.c node/nm/nmrun.c node/nm/nmpriv.c \
	node/nm/nmdisk.c node/nm/nmnet.c
test_nmimage_ARCHIVES := epoxy-net epoxy
test_nmimage_LIBS := $(NET_LIBS) $(NMNET_LIBS) -larchive

FUZZ_TARGETS += fuzz_nmimage
fuzz_nmimage_SRCS := tests/fuzz/fuzz_nmimage.c node/nm/nmimage.c node/nm/nmrun.c node/nm/nmpriv.c \
	node/nm/nmdisk.c node/nm/nmnet.c
fuzz_nmimage_ARCHIVES := epoxy-net epoxy
fuzz_nmimage_LIBS := $(NET_LIBS) $(NMNET_LIBS) -larchive
