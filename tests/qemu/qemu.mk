# tests/qemu/qemu.mk: the chain in QEMU.
#   make demo             set up, build, boot one node through the whole chain
#                         (console log kept at $(O)/demo/console.log)
#   make check-qemu       the quick scenario set (also part of make check)
#   make check-qemu-full  every scenario in tests/qemu/scenarios
#   make bench-chain      per-stage timings against the -kernel/-initrd floor
#                         (bench/bench.mk, with every other benchmark)
# The scenarios need the host programs, the images and the node enrollment
# tool; make check builds them in the background (CHECK_LATE_DEPS).
QEMU_NEEDS := $(O)/bin/epoxyd $(O)/bin/epoxyctl images
CHECK_LATE_DEPS += $(QEMU_NEEDS)

.PHONY: check-qemu check-qemu-full
demo: deps
	@$(MAKE) --no-print-directory all $(QEMU_NEEDS)
	@tests/qemu/demo.sh

check-qemu: deps-quick
	@$(MAKE) --no-print-directory all $(QEMU_NEEDS)
	@TESTS_ONLY=script TESTS_MATCH='^qemu/' tests/run.sh

check-qemu-full: deps-quick
	@$(MAKE) --no-print-directory all $(QEMU_NEEDS)
	@tests/qemu/t_qemu.sh --full
