# epoxy: the one Makefile.
#
# Non-recursive: every folder contributes a fragment (module.mk) that only
# appends to the variables below; all rules live here.  Out of tree: every
# generated file goes under $(O).  Variants of the same sources:
#   host  gcc, the programs an operator runs (epoxyd, epoxyctl)
#   asan  gcc + AddressSanitizer/UBSan, the unit tests `make check` runs
#   fuzz  clang + libFuzzer + ASan/UBSan, `make fuzz` and regression replay
#   musl  musl-gcc, static, against mbedTLS built from Debian's source (agent)
#
# A fragment declares a program NAME with:
#   HOST_PROGS += NAME        NAME_SRCS := a.c b.c   NAME_LIBS := -lfoo
#   UNIT_TESTS += NAME        (built in the asan variant, run by make check)
#   FUZZ_TARGETS += NAME      (built in the fuzz variant; corpus in
#                              tests/fuzz/corpus/NAME, regressions in
#                              tests/fuzz/regress/NAME)
#   MUSL_PROGS += NAME        (static against musl and the agent's
#                             mbedTLS, stage2/agent.mk; with NAME_SRCS
#                             the rule is the one below, else the
#                             fragment writes its own)
#   ARCHIVES += NAME          NAME_SRCS := a.c b.c: $(O)/VARIANT/libNAME.a
#                             for every variant; a program, test or fuzz
#                             target links it with PROG_ARCHIVES := NAME
#                             (a fragment names the archive, never the
#                             other fragment's source list)

O ?= build
# absolute; a path with a space (which make cannot name) becomes a link
# without one (scripts/o-link.sh)
override O := $(shell scripts/o-link.sh '$(O)')
export O

SHELL := /bin/bash
.DEFAULT_GOAL := all
MAKEFLAGS += --no-builtin-rules

export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1700000000)
VERSION := $(shell git describe --always --tags --dirty 2>/dev/null || echo unknown)
export VERSION

CC := gcc
CLANG := clang
MUSL_CC := musl-gcc

WARN := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wformat-security \
	-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wvla \
	-Wwrite-strings -Wundef -Wnull-dereference -Wimplicit-fallthrough \
	-Wno-unused-parameter
CPPFLAGS := -I. -I$(O)/include -D_GNU_SOURCE -DEPOXY_VERSION='"$(VERSION)"'
CFLAGS := -std=gnu11 -O2 -g $(WARN) -fstack-protector-strong \
	-D_FORTIFY_SOURCE=2 -fno-common '-ffile-prefix-map=$(CURDIR)/='
LDFLAGS := -Wl,-z,relro,-z,now
# One sanitizer build serves the unit tests and the fuzz targets: clang's
# ASan and UBSan with libFuzzer's coverage, linked without libFuzzer into
# the unit tests and with it into the fuzz targets, with the same warnings
# as gcc's build of the programs.
SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
SAN_LINK := -fsanitize=address,undefined
FUZZ_LINK := -fsanitize=fuzzer,address,undefined

HOST_PROGS :=
UNIT_TESTS :=
FUZZ_TARGETS :=
MUSL_PROGS :=
ARCHIVES :=
VARIANTS := host asan musl
# $(call archives,VARIANT,PROG): the archives PROG links, in that variant
archives = $(patsubst %,$(O)/$(1)/lib%.a,$($(2)_ARCHIVES))
CHECK_DEPS :=
CHECK_LATE_DEPS :=
IMAGES :=

CONFIG_H := $(O)/include/epoxy_config.h
KCONFIG_FILE := $(O)/.config

# ---------------------------------------------------------------- config
-include $(O)/config.mk

.PHONY: defconfig menuconfig olddefconfig oldconfig
defconfig:
	@mkdir -p $(O)
	KCONFIG_CONFIG=$(KCONFIG_FILE) kconfig-conf --defconfig=configs/defconfig Kconfig >/dev/null
	@scripts/genconfig.sh $(KCONFIG_FILE) $(O)
menuconfig: | $(KCONFIG_FILE)
	KCONFIG_CONFIG=$(KCONFIG_FILE) kconfig-mconf Kconfig
	@scripts/genconfig.sh $(KCONFIG_FILE) $(O)
olddefconfig oldconfig: | $(KCONFIG_FILE)
	KCONFIG_CONFIG=$(KCONFIG_FILE) kconfig-conf --olddefconfig Kconfig >/dev/null
	@scripts/genconfig.sh $(KCONFIG_FILE) $(O)

# (a fresh machine: every package, but for make check, which installs the
# first: ones here and the rest beside the kernel's build)
$(KCONFIG_FILE):
	@mkdir -p $(O)
	@command -v kconfig-conf >/dev/null || \
	  scripts/deps.sh $(if $(filter check,$(MAKECMDGOALS)),--first)
	KCONFIG_CONFIG=$@ kconfig-conf --defconfig=configs/defconfig Kconfig >/dev/null

$(CONFIG_H) $(O)/config.mk: $(KCONFIG_FILE) Kconfig $(wildcard */Kconfig) scripts/genconfig.sh
	KCONFIG_CONFIG=$(KCONFIG_FILE) kconfig-conf --olddefconfig Kconfig >/dev/null
	@scripts/genconfig.sh $(KCONFIG_FILE) $(O)

# ---------------------------------------------------------------- fragments
# every folder's fragments; several owners of one folder each have their own
# fragment (stage2/agent.mk, stage1/images.mk ...)
include lib/module.mk tests/module.mk
# (never a build directory's generated config.mk, whatever O is)
include $(filter-out lib/module.mk tests/module.mk build%,$(sort $(wildcard */*.mk */*/*.mk)))

# ---------------------------------------------------------------- rules
$(O)/host/%.o: %.c $(CONFIG_H)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<
$(O)/asan/%.o: %.c $(CONFIG_H)
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) -DEPOXY_TEST=1 $(CFLAGS) $(SAN) -MMD -MP -c -o $@ $<

define archive
$(O)/$(2)/lib$(1).a: $$(patsubst %.c,$(O)/$(2)/%.o,$$($(1)_SRCS))
	@rm -f $$@
	ar rcD $$@ $$^
endef
define host_prog
$(O)/bin/$(1): $$(patsubst %.c,$(O)/host/%.o,$$($(1)_SRCS)) $$(call archives,host,$(1))
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$(LDFLAGS) -o $$@ $$^ $$($(1)_LIBS)
endef
define unit_test
$(O)/tests/$(1): $$(patsubst %.c,$(O)/asan/%.o,$$($(1)_SRCS)) $$(call archives,asan,$(1))
	@mkdir -p $$(@D)
	$$(CLANG) $$(CFLAGS) $$(SAN_LINK) -o $$@ $$^ $$($(1)_LIBS)
endef
define fuzz_target
$(O)/fuzz-bin/$(1): $$(patsubst %.c,$(O)/asan/%.o,$$($(1)_SRCS)) $$(call archives,asan,$(1))
	@mkdir -p $$(@D)
	$$(CLANG) $$(FUZZ_LINK) -o $$@ $$^ $$($(1)_LIBS)
endef
define musl_prog
$(O)/bin/$(1): $$(patsubst %.c,$(O)/musl/%.o,$$($(1)_SRCS)) $$(call archives,musl,$(1)) \
		$$(MBEDTLS_MUSL)/.built
	@mkdir -p $$(@D)
	$$(MUSL_CC) -static -Wl,--gc-sections -o $$@ $$(filter %.o %.a,$$^) $$(MBEDTLS_MUSL_LIBS) $$($(1)_LIBS)
endef
$(foreach a,$(ARCHIVES),$(foreach v,$(VARIANTS),$(eval $(call archive,$(a),$(v)))))
$(foreach p,$(HOST_PROGS),$(eval $(call host_prog,$(p))))
$(foreach p,$(UNIT_TESTS),$(eval $(call unit_test,$(p))))
$(foreach p,$(FUZZ_TARGETS),$(eval $(call fuzz_target,$(p))))
$(foreach p,$(MUSL_PROGS),$(if $($(p)_SRCS),$(eval $(call musl_prog,$(p)))))

-include $(shell find $(O)/host $(O)/asan $(O)/musl -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------- goals
.PHONY: all deps deps-quick check check-unit fuzz demo images clean distclean help
all: deps-quick $(CONFIG_H) $(addprefix $(O)/bin/,$(HOST_PROGS)) \
	$(addprefix $(O)/bin/,$(MUSL_PROGS))

# deps: install missing Debian packages and fetch the Debian source
# packages the build needs.  Idempotent and quiet when nothing is missing.
deps:
	@scripts/deps.sh
deps-quick:
	@scripts/deps.sh --quick

FUZZ_BINS := $(addprefix $(O)/fuzz-bin/,$(FUZZ_TARGETS))
UNIT_BINS := $(addprefix $(O)/tests/,$(UNIT_TESTS))

# make check installs the packages the keys and the kernels need first
# (scripts/deps.sh --first), so that their downloads and the kernel's build
# fill the core the installation of the others leaves idle on a fresh
# machine (apt and dpkg use one).
# CHECK_LATE_DEPS (the images: the stage1 kernel build is most of make
# check's time on two cores) are built in the background at nice 19 while
# the tests that do not need them run; tests/run.sh starts tests/images
# and tests/qemu (two lanes at nice 5) once that build is over
# (LATE_BUILD_RC), beside the loopback tests still running, and fails
# them if it failed.  The other tests keep the CPU they need: the kernel
# build only fills the time they leave idle.  The kernels (CHECK_KERNELS: the
# downloads, the unpacking and the stage1 kernel's build, which need only
# the keys) start as soon as the keys exist, beside the build of the test
# programs; the rest of the images waits for that build (check-built), so
# that two makes never build one target.
CHECK_FLAG := $(O)/test-logs/check-built
check:
	@scripts/deps.sh --first
	@$(MAKE) --no-print-directory $(KEYS_STAMP)
	@mkdir -p $(O)/test-logs && rm -f $(O)/test-logs/late-build.rc $(CHECK_FLAG)
	@MAKE="$(MAKE)" setsid nice -n 19 scripts/check-late.sh $(O)/test-logs $(CHECK_FLAG) \
	  "$(CHECK_KERNELS)" "$(CHECK_LATE_DEPS)" & bg=$$!; \
	trap 'kill -- -$$bg 2>/dev/null; exit 130' INT TERM; \
	if ! { scripts/deps.sh && \
	       $(MAKE) --no-print-directory all $(UNIT_BINS) $(FUZZ_BINS) $(CHECK_DEPS); }; then \
	  echo failed >$(CHECK_FLAG); kill -- -$$bg 2>/dev/null; exit 1; \
	fi; \
	: >$(CHECK_FLAG); \
	LATE_BUILD_RC=$(O)/test-logs/late-build.rc tests/run.sh; rc=$$?; wait; exit $$rc

check-unit: $(UNIT_BINS) $(FUZZ_BINS)
	@TESTS_ONLY=unit,fuzz tests/run.sh

# make fuzz [FUZZ_SECONDS=60] [FUZZ_ONLY=fuzz_manifest]
FUZZ_SECONDS ?= 60
fuzz: deps $(FUZZ_BINS)
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_ONLY)

help:
	@echo "make            build every host program into $(O)/bin"
	@echo "make check      set up, build and run every test (summary at the end)"
	@echo "make demo       set up, build and boot a QEMU node through the whole chain"
	@echo "make fuzz       run each libFuzzer target FUZZ_SECONDS (default 60)"
	@echo "make bench      run every benchmark beside its anchor, one report (bench/README.md)"
	@echo "make images     build the stage0/stage1/production images"
	@echo "make defconfig | menuconfig | olddefconfig   configuration (in $(O)/.config)"
	@echo "make deps       install missing packages, fetch Debian sources"
	@echo "make install    epoxyd, epoxyctl, man pages, systemd unit (DESTDIR=, PREFIX=/usr/local)"

clean:
	rm -rf $(O)/host $(O)/asan $(O)/fuzz $(O)/musl $(O)/bin $(O)/tests $(O)/fuzz-bin
distclean:
	rm -rf $(O)
