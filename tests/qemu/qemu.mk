# tests/qemu/qemu.mk: the chain in QEMU.
#   make demo             set up, build, boot one node through the whole chain
#                         (console log kept at $(O)/demo/console.log)
#   make check-qemu       the quick scenario set (also part of make check)
#   make check-qemu-full  every scenario in tests/qemu/scenarios
#   make bench-chain      per-stage timings against the -kernel/-initrd floor
#   make check-kernel-source  the stage1 kernel built from Debian's source
#                         (own build dir, not part of make check)
# The scenarios need the host programs, the images and the node enrollment
# tool, so make check builds them first.
QEMU_NEEDS := $(O)/bin/epoxyd $(O)/bin/epoxyctl images
CHECK_DEPS += $(QEMU_NEEDS)

.PHONY: check-qemu check-qemu-full bench-chain
demo: deps
	@$(MAKE) --no-print-directory all $(QEMU_NEEDS)
	@tests/qemu/demo.sh

check-qemu: deps-quick
	@$(MAKE) --no-print-directory all $(QEMU_NEEDS)
	@TESTS_ONLY=script TESTS_MATCH='^qemu/' tests/run.sh

check-qemu-full: deps-quick
	@$(MAKE) --no-print-directory all $(QEMU_NEEDS)
	@tests/qemu/t_qemu.sh --full

bench-chain: deps-quick
	@$(MAKE) --no-print-directory all $(QEMU_NEEDS)
	@bench/chain/run.sh

# make check-kernel-source [KSRC_O=build-ksrc]: the stage1 kernel built from
# Debian's source (CONFIG_KERNEL_FROM_SOURCE, configs/kernel-source_defconfig)
# in its own build directory: builds it and the images, then runs
# happy-uefi.scn and a lockdown refusal (tests/qemu/kernel-source/run.sh).
# Not part of make check: the first run compiles a kernel.
KSRC_O ?= $(CURDIR)/build-ksrc
.PHONY: check-kernel-source
check-kernel-source: deps-quick
	@mkdir -p $(KSRC_O)
	@[ -f $(KSRC_O)/.config ] || KCONFIG_CONFIG=$(KSRC_O)/.config \
	  kconfig-conf --defconfig=configs/kernel-source_defconfig Kconfig >/dev/null
	@grep -qx 'CONFIG_KERNEL_FROM_SOURCE=y' $(KSRC_O)/.config || { echo \
	  "check-kernel-source: $(KSRC_O)/.config does not say CONFIG_KERNEL_FROM_SOURCE=y" >&2; exit 1; }
	@$(MAKE) --no-print-directory O=$(KSRC_O) all $(KSRC_O)/bin/epoxyd $(KSRC_O)/bin/epoxyctl images
	@O=$(KSRC_O) QEMU_PORT_BASE=$${QEMU_PORT_BASE:-18480} tests/qemu/kernel-source/run.sh
