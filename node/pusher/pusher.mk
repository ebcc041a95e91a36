# node/pusher/: epoxy-pusher, the node's bundler and uploader (issue 15,
# point 2).  inotify, libarchive and zlib (Debian's libarchive-dev,
# scripts/packages.txt), net/'s one HTTPS client with the node certificate.
# Against glibc: Debian ships no musl build of libarchive (docs/guide/72-...).
#   make build/bin/epoxy-pusher
PUSHER_MODS := node/pusher/pusher_files.c node/pusher/pusher_bundle.c node/pusher/pusher_conf.c \
	node/pusher/pusher_s3.c
PUSHER_LIBS := -larchive $(NET_LIBS)

HOST_PROGS += epoxy-pusher
epoxy-pusher_SRCS := node/pusher/pusher.c $(PUSHER_MODS)
epoxy-pusher_ARCHIVES := epoxy-net epoxy
# the program takes Debian's libarchive.a and libz.a, of which
# --gc-sections keeps only the tar writer and the gzip filter (bundles are
# .tgz, M-Lab's format): the production initramfs then carries mbedTLS's
# three libraries beside glibc (libzstd is epoxy-tcpinfo's), not
# libarchive.so's eleven (libxml2 and ICU's 30 MB among them); the list is
# checked against ldd (stage1/images.mk, node-libs.ok)
epoxy-pusher_LIBS := -Wl,--gc-sections -Wl,-Bstatic -larchive -lz -Wl,-Bdynamic $(NET_LIBS) -lzstd

# the spool's journal parser (what a crash or a damaged disk leaves)
FUZZ_TARGETS += fuzz_pusher_journal
fuzz_pusher_journal_SRCS := tests/node/fuzz_pusher_journal.c $(PUSHER_MODS)
fuzz_pusher_journal_ARCHIVES := epoxy
fuzz_pusher_journal_LIBS := -larchive -lmbedcrypto

# the experiment configuration parser (--config), as tables and fuzzed
UNIT_TESTS += test_pusher_conf
test_pusher_conf_SRCS := tests/unit/test_pusher_conf.c tests/test.c node/pusher/pusher_conf.c
test_pusher_conf_ARCHIVES := epoxy
FUZZ_TARGETS += fuzz_pusher_conf
fuzz_pusher_conf_SRCS := tests/node/fuzz_pusher_conf.c node/pusher/pusher_conf.c
fuzz_pusher_conf_ARCHIVES := epoxy

# epoxyd's answer to "where do I upload" (pusher_s3.h), as tables and fuzzed
UNIT_TESTS += test_pusher_s3
test_pusher_s3_SRCS := tests/unit/test_pusher_s3.c tests/test.c node/pusher/pusher_s3.c
test_pusher_s3_ARCHIVES := epoxy
FUZZ_TARGETS += fuzz_pusher_s3
fuzz_pusher_s3_SRCS := tests/node/fuzz_pusher_s3.c node/pusher/pusher_s3.c
fuzz_pusher_s3_ARCHIVES := epoxy
