# server/: epoxyd, the token server (HTTP/HTTPS via libmicrohttpd): the
# router (http.c), the node endpoints (node.c, ipxe.c, joincred.c), the
# admin API (admin.c), storm control, metrics, config, logging and paths.
# EPOXYD_CORE_SRCS is the in-process router with every handler, without
# main(): the unit tests and fuzz targets below link it with a real store.
EPOXYD_CORE_SRCS := server/http.c server/log.c server/node.c server/ipxe.c \
	server/storm.c server/metrics.c server/slow.c server/config.c server/joincred.c \
	server/admin.c server/nodeid.c server/nodeapi.c \
	server/fleet.c server/html.c server/page.c server/page_html.c server/sliverapi.c \
	server/archive.c server/admin_archive.c server/admin_sliver.c server/fleetsd.c \
	server/s3sign.c server/archive_s3.c
EPOXYD_ARCHIVES := epoxy-store epoxy-sign epoxy
# (`=`: store/store.mk sorts after this fragment)
EPOXYD_LIBS = $(STORE_LIBS) -ls3 -lcurl -lmbedx509 $(LIB_CRYPTO_LIBS) -lpthread

HOST_PROGS += epoxyd
epoxyd_SRCS := server/epoxyd.c server/paths.c server/hold.c $(EPOXYD_CORE_SRCS)
epoxyd_ARCHIVES := $(EPOXYD_ARCHIVES)
epoxyd_LIBS = -lmicrohttpd -lgnutls $(EPOXYD_LIBS)

UNIT_TESTS += test_http test_ipxe test_config test_storm
test_http_SRCS := tests/unit/test_http.c tests/test.c $(EPOXYD_CORE_SRCS)
test_http_ARCHIVES := $(EPOXYD_ARCHIVES)
test_http_LIBS = $(EPOXYD_LIBS)
test_ipxe_SRCS := tests/unit/test_ipxe.c tests/test.c server/ipxe.c
test_ipxe_ARCHIVES := epoxy
test_config_SRCS := tests/unit/test_config.c tests/test.c server/config.c
test_config_ARCHIVES := epoxy
test_storm_SRCS := tests/unit/test_storm.c tests/test.c server/storm.c
test_storm_ARCHIVES := epoxy

# the admin API in process: real router, real SQLite store, real signed
# manifests from the trust library's test fixture
UNIT_TESTS += test_admin
test_admin_SRCS := tests/unit/test_admin.c tests/test.c tests/keys/fixture.c \
	$(EPOXYD_CORE_SRCS)
test_admin_ARCHIVES := $(EPOXYD_ARCHIVES)
test_admin_LIBS = $(EPOXYD_LIBS)

# the ticket check of GET /v1/image (X-Epoxy-Ticket): a table
UNIT_TESTS += test_sliverapi
test_sliverapi_SRCS := tests/unit/test_sliverapi.c tests/test.c tests/keys/fixture.c \
	$(EPOXYD_CORE_SRCS)
test_sliverapi_ARCHIVES := $(EPOXYD_ARCHIVES)
test_sliverapi_LIBS = $(EPOXYD_LIBS)

# ... and on any bytes (seed corpus tests/fuzz/corpus/fuzz_imgticket/)
FUZZ_TARGETS += fuzz_imgticket
fuzz_imgticket_SRCS := tests/fuzz/fuzz_imgticket.c $(EPOXYD_CORE_SRCS)
fuzz_imgticket_ARCHIVES := $(EPOXYD_ARCHIVES)
fuzz_imgticket_LIBS = $(EPOXYD_LIBS)

# the status page: its escaper, cookie and filter parsers (table), and the
# escaper and cookie parser on any bytes (seed corpus tests/fuzz/corpus/fuzz_html/)
UNIT_TESTS += test_page
test_page_SRCS := tests/unit/test_page.c tests/test.c $(EPOXYD_CORE_SRCS)
test_page_ARCHIVES := $(EPOXYD_ARCHIVES)
test_page_LIBS = $(EPOXYD_LIBS)

FUZZ_TARGETS += fuzz_request fuzz_ipxe fuzz_config fuzz_admin fuzz_html
fuzz_html_SRCS := tests/fuzz/fuzz_html.c $(EPOXYD_CORE_SRCS)
fuzz_html_ARCHIVES := $(EPOXYD_ARCHIVES)
fuzz_html_LIBS = $(EPOXYD_LIBS)
fuzz_request_SRCS := tests/fuzz/fuzz_request.c $(EPOXYD_CORE_SRCS)
fuzz_request_ARCHIVES := $(EPOXYD_ARCHIVES)
fuzz_request_LIBS = $(EPOXYD_LIBS)
fuzz_ipxe_SRCS := tests/fuzz/fuzz_ipxe.c server/ipxe.c
fuzz_ipxe_ARCHIVES := epoxy
fuzz_config_SRCS := tests/fuzz/fuzz_config.c server/config.c
fuzz_config_ARCHIVES := epoxy
fuzz_admin_SRCS := tests/fuzz/fuzz_admin.c tests/keys/fixture.c $(EPOXYD_CORE_SRCS)
fuzz_admin_ARCHIVES := $(EPOXYD_ARCHIVES)
fuzz_admin_LIBS = $(EPOXYD_LIBS)
# the S3 backend's SigV4 presigner: AWS's published vectors, botocore's,
# malformed inputs
UNIT_TESTS += test_s3sign
test_s3sign_SRCS := tests/unit/test_s3sign.c tests/test.c server/s3sign.c
test_s3sign_ARCHIVES := epoxy
test_s3sign_LIBS = $(LIB_CRYPTO_LIBS)

# the S3 backend's request names and object keys
FUZZ_TARGETS += fuzz_s3
fuzz_s3_SRCS := tests/fuzz/fuzz_s3.c $(EPOXYD_CORE_SRCS)
fuzz_s3_ARCHIVES := $(EPOXYD_ARCHIVES)
fuzz_s3_LIBS = $(EPOXYD_LIBS)

# the archive's object names (node/pusher's uploads, public reads)
FUZZ_TARGETS += fuzz_archive
fuzz_archive_SRCS := tests/fuzz/fuzz_archive.c $(EPOXYD_CORE_SRCS)
fuzz_archive_ARCHIVES := $(EPOXYD_ARCHIVES)
fuzz_archive_LIBS = $(EPOXYD_LIBS)

# make install [DESTDIR=/staging] [PREFIX=/usr/local]: the server side only
# (no image, no agent): epoxyd, epoxyctl, their man pages, the systemd
# unit (ExecStart pointed at PREFIX), the sysusers.d entry of the epoxy
# user and the example configuration.  With PREFIX=/usr (the Debian
# package) the unit goes to /lib/systemd/system, otherwise under PREFIX.
PREFIX ?= /usr/local
INSTALL ?= install
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
.PHONY: install server-progs
server-progs: $(O)/bin/epoxyd $(O)/bin/epoxyctl
install: server-progs
	$(INSTALL) -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/lib/sysusers.d \
		$(DESTDIR)$(PREFIX)/share/doc/epoxy/examples
	$(INSTALL) -m 0755 $(O)/bin/epoxyd $(DESTDIR)$(PREFIX)/sbin/epoxyd
	$(INSTALL) -m 0755 $(O)/bin/epoxyctl $(DESTDIR)$(PREFIX)/bin/epoxyctl
	$(INSTALL) -m 0644 docs/man/epoxyd.8 $(DESTDIR)$(PREFIX)/share/man/man8/epoxyd.8
	$(INSTALL) -m 0644 docs/man/epoxyctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/epoxyctl.1
	sed 's|/usr/sbin/epoxyd|$(PREFIX)/sbin/epoxyd|g' server/epoxyd.service \
		>$(DESTDIR)$(UNITDIR)/epoxyd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/epoxyd.service
	$(INSTALL) -m 0644 server/epoxy.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/epoxy.conf
	$(INSTALL) -m 0644 server/epoxyd.conf.example \
		$(DESTDIR)$(PREFIX)/share/doc/epoxy/examples/epoxyd.conf
