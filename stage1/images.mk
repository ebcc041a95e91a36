# stage1/images.mk: `make images`, every image a node boots, into
# $(O)/images/ with fixed names:
#   stage0.efi                 Debian's iPXE, signed with the fleet db key
#   stage1.efi                 the stage1 UKI (stub + kernel + minimal
#                              initramfs without the legacy-BIOS block
#                              drivers + cmdline), signed with the db key
#   stage1/{vmlinuz,initramfs,cmdline}   the legacy-BIOS pieces
#   uki/initramfs              the initramfs inside stage1.efi
#   release/$(RELEASE_VERSION)/{kernel,initramfs,cmdline,join,manifest}
# Inputs: the Kconfig values of $(O)/config.mk (kernel package, firmware
# paths, server name/address/port), the dev keys of $(O)/keys (engineer
# trust: $(O)/keys/.stamp), the agent $(O)/bin/epoxy-agent (engineer
# agent), the node manager $(O)/bin/epoxy-nm, $(O)/bin/epoxy-priv and the
# measurement services $(O)/bin/epoxy-tcpinfo, epoxy-pusher
# (release initramfs only),
# Debian's busybox-static.  Every output is reproducible: the same
# inputs and SOURCE_DATE_EPOCH give the same bytes (tests/images).

IMG := $(O)/images
ISRC := $(O)/images-src
KVER := $(patsubst linux-image-%,%,$(CONFIG_KERNEL_PACKAGE))
KROOT := $(O)/stage1/kernel
KIMAGE := $(KROOT)/boot/vmlinuz-$(KVER)
KEYS := $(O)/keys
KEYS_STAMP := $(KEYS)/.stamp
AGENT := $(O)/bin/epoxy-agent
MKINITRAMFS := $(O)/bin/epoxy-mkinitramfs
# release signing: the offline epoxy-keys tool runs the same code as
# `epoxyctl release sign` (keys/relsign.c) without the network client
EPOXYKEYS := $(O)/bin/epoxy-keys

# release parameters (make images RELEASE_VERSION=2 ...)
EPOXY_HWCLASS ?= qemu-x86_64
RELEASE_VERSION ?= 1
RELEASE_MIN_AGENT ?= 1
RELEASE_EXPIRES ?= $(shell echo $$(( $(SOURCE_DATE_EPOCH) + 365 * 86400 )))
RELEASE_KEYS ?= $(KEYS)/release-1.key $(KEYS)/release-2.key
PROD_CMDLINE ?= console=ttyS0
REL := $(IMG)/release/$(RELEASE_VERSION)

# virtio-net and its dependencies in load order (Debian's package has no
# modules.dep); efivarfs (the boot credential) is loaded by /init under
# UEFI only
NET_MODULES := virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev \
	virtio_pci failover net_failover virtio_net
STAGE1_MODULES := $(NET_MODULES) efivarfs
# block drivers in load order (after virtio from NET_MODULES): /init loads
# them on legacy BIOS only, where the agent looks for a token medium on the
# disks (virtio, SATA/IDE through libata + sd_mod, USB sticks)
BLOCK_MODULES := virtio_blk scsi_common scsi_mod crct10dif_common crc-t10dif \
	crc64 crc64-rocksoft t10-pi sd_mod libata libahci ahci ata_piix \
	usb-common usbcore ehci-hcd ehci-pci xhci-hcd xhci-pci uhci-hcd \
	ohci-hcd ohci-pci usb-storage
# the production node's data disk (epoxy-nm disk, slivers' disk_max):
# virtio_blk (after virtio from NET_MODULES), ext4 and what it links
# (Debian builds it as a module), crc32c for its metadata checksums
# (mke2fs's default), quota_v2 for its project quotas; /init loads
# NET_MODULES then these (prod-order)
DISK_MODULES := virtio_blk crc16 mbcache jbd2 crc32c_generic ext4 quota_tree quota_v2
# the slivers' network (epoxy-nm --uplink, nmnet.c): veth, HTB, and
# nf_tables with what its NAT (masquerade) and ct state rules need; /init
# loads them after DISK_MODULES (libcrc32c wants crc32c_generic) and nft
# never needs to load one (the node has no modprobe)
SLIVER_NET_MODULES := veth sch_htb nfnetlink libcrc32c nf_tables nf_defrag_ipv4 \
	nf_defrag_ipv6 nf_conntrack nf_nat nft_chain_nat nft_masq nft_ct
# and sock_diag's TCP dumps (epoxy-tcpinfo), last in prod-order
MEASURE_MODULES := inet_diag tcp_diag
COPY_MODULES := $(STAGE1_MODULES) qemu_fw_cfg $(BLOCK_MODULES) \
	$(filter-out $(BLOCK_MODULES),$(DISK_MODULES)) $(SLIVER_NET_MODULES) $(MEASURE_MODULES)
# random.trust_cpu=on: the stage1 kernel (built from source, its fragment
# without RANDOM_TRUST_CPU) credits RDRAND when it seeds its CRNG, as
# Debian's production kernel does (RANDOM_TRUST_CPU=y); without it the
# agent's first getrandom() waited about 1 s under QEMU TCG for the CRNG
# (bench/chain/README.md).  Every server CPU of the fleet
# has RDRAND; the agent's keys and nonces come from the same CRNG either way.
STAGE1_CMDLINE := console=ttyS0 random.trust_cpu=on epoxy.server=$(CONFIG_SERVER_NAME) \
	epoxy.addr=$(CONFIG_SERVER_ADDR) epoxy.port=$(CONFIG_SERVER_HTTPS_PORT) \
	epoxy.stage=1

IMAGE_FILES := $(IMG)/stage0.efi $(IMG)/stage1.efi $(IMG)/stage1/vmlinuz \
	$(IMG)/stage1/initramfs $(IMG)/stage1/cmdline \
	$(REL)/kernel $(REL)/initramfs $(REL)/cmdline $(REL)/join \
	$(REL)/manifest $(IMG)/enroll/initramfs $(IMG)/uki/initramfs
IMAGES += $(IMAGE_FILES)
# tests/images checks them: make check builds them in the background while
# the tests that do not need them run (CHECK_LATE_DEPS, the Makefile)
CHECK_LATE_DEPS += $(IMAGE_FILES)
# (the enrollment tool is a script, made at once: tests/docs reads its --help)
CHECK_DEPS += $(O)/bin/epoxy-mkvars

images: $(IMAGE_FILES) $(O)/bin/epoxy-mkvars
	@boot/sizes.sh $(IMG)

# The config values the images depend on, rewritten only when they change
# ($(O)/config.mk itself is regenerated, with a new time, on every make).
IMG_CONFIG := $(CONFIG_KERNEL_PACKAGE) | $(STAGE1_CMDLINE) | \
	$(CONFIG_AGENT_MIN_RELEASE) | $(EPOXY_HWCLASS) | $(PROD_CMDLINE)
.PHONY: images-config-check
$(ISRC)/config: images-config-check
	@mkdir -p $(@D)
	@echo '$(IMG_CONFIG)' | cmp -s - $@ 2>/dev/null || echo '$(IMG_CONFIG)' >$@

# SOURCE_DATE_EPOCH (the tree's last commit time unless set) is in the bytes
# of every initramfs (its mtimes), of every signature (sbsign's signing
# time, boot/efisign.sh) and of the manifest (its expiry): these images are
# made again when it changes, as on a change of config, so the images of an
# older commit's epoch never pass for this one's (tests/images/t_reproducible
# compares them with a build from scratch).
IMG_EPOCH := $(ISRC)/epoch
$(IMG_EPOCH): images-config-check
	@mkdir -p $(@D)
	@echo '$(SOURCE_DATE_EPOCH) $(RELEASE_EXPIRES)' | cmp -s - $@ 2>/dev/null || \
	  echo '$(SOURCE_DATE_EPOCH) $(RELEASE_EXPIRES)' >$@
$(IMG)/stage1/initramfs $(IMG)/uki/initramfs $(IMG)/enroll/initramfs $(REL)/initramfs \
$(IMG)/stage1.efi $(IMG)/stage0.efi $(REL)/kernel $(REL)/manifest: $(IMG_EPOCH)

# ------------------------------------------------------------ kernel
# the kernel is fetched again only when CONFIG_KERNEL_PACKAGE changes; every
# rule that reads it depends on the stamp, never on the vmlinuz itself.
# Debian's package is fetched in both modes: it is the production kernel of
# the release and its modules go into the production initramfs.
$(O)/stage1/package: images-config-check
	@mkdir -p $(@D)
	@echo '$(CONFIG_KERNEL_PACKAGE)' | cmp -s - $@ 2>/dev/null || echo '$(CONFIG_KERNEL_PACKAGE)' >$@
$(KROOT)/.stamp: $(O)/stage1/package stage1/fetch-kernel.sh
	@stage1/fetch-kernel.sh $(CONFIG_KERNEL_PACKAGE) $(O)/stage1
	@touch $@

# The stage1 kernel (S1_*: stage1.efi, stage1/vmlinuz, the enrollment boot):
# a minimal kernel from Debian's linux-source: tinyconfig + the fragment
# stage1/kernel-minimal.config, everything built in, so the minimal and
# enrollment images carry no module (the *-nomod.spec below).  Its built-in
# trusted keyring is $(KEYS)/kexec-trust.pem, the fleet's kexec
# certificates (not db: docs/threat-model.md).  It is rebuilt only when the
# package, the fragment, the trust file or the script change; its build
# time stamp is the time of the last commit that touched the fragment or
# the script (not the tree's SOURCE_DATE_EPOCH), so that every later commit
# gives the same bzImage without a rebuild.
KSRC_EPOCH := $(shell git log -1 --format=%ct -- stage1/kernel-minimal.config \
	stage1/build-kernel.sh 2>/dev/null)
KSRC_EPOCH := $(or $(KSRC_EPOCH),$(SOURCE_DATE_EPOCH))
KEXEC_TRUST := $(KEYS)/kexec-trust.pem
S1_KSTAMP := $(O)/stage1/kbuild/.stamp
S1_KIMAGE := $(O)/stage1/kbuild/bzImage
S1_KNAME := $(CONFIG_KERNEL_SOURCE_PACKAGE) + stage1/kernel-minimal.config
S1_KVER = $(shell cat $(O)/stage1/kbuild/release 2>/dev/null)
S1_SPEC := $(ISRC)/minimal-nomod.spec
ENROLL_SPEC := $(ISRC)/enroll-nomod.spec
# what make check starts first, beside the build of the test programs: both
# kernels need only the keys and the network (the Makefile's check)
CHECK_KERNELS := $(S1_KSTAMP) $(KROOT)/.stamp
IMG_CONFIG += | stage1 kernel from $(CONFIG_KERNEL_SOURCE_PACKAGE)
$(O)/stage1/source-package: images-config-check
	@mkdir -p $(@D)
	@echo '$(CONFIG_KERNEL_SOURCE_PACKAGE) $(KSRC_EPOCH)' | cmp -s - $@ 2>/dev/null || \
	  echo '$(CONFIG_KERNEL_SOURCE_PACKAGE) $(KSRC_EPOCH)' >$@
# (keys/epoxy-pki rotate-kexec rewrites the trust file: a newer file rebuilds)
$(KEXEC_TRUST): $(KEYS_STAMP) ;
$(S1_KSTAMP): $(O)/stage1/source-package stage1/kernel-minimal.config \
		stage1/build-kernel.sh $(KEXEC_TRUST)
	@SOURCE_DATE_EPOCH=$(KSRC_EPOCH) stage1/build-kernel.sh \
	  $(CONFIG_KERNEL_SOURCE_PACKAGE) stage1/kernel-minimal.config \
	  $(KEXEC_TRUST) $(O)/stage1
	@touch $@
# the specs without their .ko lines, and an empty module order
$(ISRC)/nomod-order:
	@mkdir -p $(@D) && : >$@
$(ISRC)/%-nomod.spec: initramfs/%.spec $(ISRC)/nomod-order stage1/images.mk
	@mkdir -p $(@D)
	@sed -e '/^file lib\/modules\/[^ ]*\.ko /d' \
	  -e 's|^file lib/modules/order [^ ]*|file lib/modules/order images-src/nomod-order|' $< >$@

# ------------------------------------------------------------ staged inputs
$(ISRC)/modules/.stamp: $(KROOT)/.stamp stage1/images.mk
	@rm -rf $(@D) && mkdir -p $(@D)
	@for m in $(COPY_MODULES); do \
	  f=$$(find $(KROOT)/lib/modules/$(KVER) -name "$$m.ko" | sort | head -1); \
	  [ -n "$$f" ] || { echo "images: module $$m.ko not in $(CONFIG_KERNEL_PACKAGE) (EPOXY-E1506)" >&2; exit 1; }; \
	  cp "$$f" $(@D)/; \
	done
	@printf '%s\n' $(NET_MODULES) >$(@D)/order
	@printf '%s\n' $(BLOCK_MODULES) >$(@D)/block-order
	@printf '%s\n' $(NET_MODULES) $(DISK_MODULES) $(SLIVER_NET_MODULES) $(MEASURE_MODULES) >$(@D)/prod-order
	@touch $@

$(ISRC)/etc/.stamp: $(KEYS_STAMP) $(ISRC)/config stage1/images.mk
	@mkdir -p $(@D)
	@openssl x509 -in $(KEYS)/ca.crt -out $(@D)/ca.pem
	@cp $(KEYS)/keyset $(@D)/keyset
	@echo $(CONFIG_AGENT_MIN_RELEASE) >$(@D)/floor
	@echo $(EPOXY_HWCLASS) >$(@D)/hwclass
	@touch $@

$(ISRC)/init-stage1: initramfs/init-stage1.sh
	@mkdir -p $(@D) && cp $< $@
$(ISRC)/init-prod: initramfs/init-prod.sh
	@mkdir -p $(@D) && cp $< $@
$(ISRC)/udhcpc.script: initramfs/udhcpc.script
	@mkdir -p $(@D) && cp $< $@
$(ISRC)/join: initramfs/join.sh
	@mkdir -p $(@D) && cp $< $@
$(ISRC)/epoxy-watch: initramfs/watch.sh
	@mkdir -p $(@D) && cp $< $@
# the agent, stripped (strip is deterministic)
$(ISRC)/epoxy-agent: $(AGENT)
	@mkdir -p $(@D) && strip --strip-all -o $@ $<

# the node manager, stripped: the release's join script starts it
$(ISRC)/epoxy-nm: $(O)/bin/epoxy-nm
	@mkdir -p $(@D) && strip --strip-all -o $@ $<
# the privileged-operations service, stripped (node/priv/; nothing starts
# it yet: the node manager will, once it runs slivers)
$(ISRC)/epoxy-priv: $(O)/bin/epoxy-priv
	@mkdir -p $(@D) && strip --strip-all -o $@ $<
# the measurement services (node/tcpinfo, node/pusher), stripped
$(ISRC)/epoxy-tcpinfo: $(O)/bin/epoxy-tcpinfo
	@mkdir -p $(@D) && strip --strip-all -o $@ $<
$(ISRC)/epoxy-pusher: $(O)/bin/epoxy-pusher
	@mkdir -p $(@D) && strip --strip-all -o $@ $<

STAGED := $(ISRC)/modules/.stamp $(ISRC)/etc/.stamp $(ISRC)/udhcpc.script \
	$(ISRC)/epoxy-agent /bin/busybox

# ------------------------------------------------------------ stage1
$(IMG)/stage1/initramfs: $(S1_SPEC) $(MKINITRAMFS) $(STAGED) \
		$(ISRC)/init-stage1
	@mkdir -p $(@D)
	$(MKINITRAMFS) -r $(O) -c gzip -o $@ $<

$(IMG)/stage1/cmdline: $(ISRC)/config stage1/images.mk
	@mkdir -p $(@D)
	@printf '%s' "$(STAGE1_CMDLINE)" >$@

$(IMG)/stage1/vmlinuz: $(S1_KSTAMP)
	@mkdir -p $(@D) && cp $(S1_KIMAGE) $@

$(ISRC)/osrel: $(ISRC)/config stage1/images.mk $(S1_KSTAMP)
	@mkdir -p $(@D)
	@printf 'NAME="epoxy stage1"\nID=epoxy\nPRETTY_NAME="epoxy stage1 (%s)"\nVERSION_ID=%s\n' \
	  "$(S1_KNAME)" "$(S1_KVER)" >$@

# The UKI's initramfs: the minimal image without the legacy-BIOS block
# drivers and their order file.  A UEFI node reads its credential from
# efivarfs and never a disk, so its stage1 has no USB-storage or ATA code to
# be probed by whatever is plugged in, and the UKI that iPXE fetches over
# plain HTTP is 1.1 MB smaller.  $(IMG)/uki/initramfs is that image as it
# is inside stage1.efi (listed and checked; epoxyd serves it nowhere).
UKI_SPEC := $(ISRC)/minimal-uefi.spec
UKI_INITRAMFS := $(IMG)/uki/initramfs
$(UKI_SPEC): $(S1_SPEC) stage1/images.mk
	@mkdir -p $(@D)
	@sed $(foreach m,$(BLOCK_MODULES),-e '/^file lib\/modules\/$(m)\.ko /d') \
	  -e '/^file lib\/modules\/block-order /d' $< >$@
$(UKI_INITRAMFS): $(UKI_SPEC) $(MKINITRAMFS) $(STAGED) $(ISRC)/init-stage1
	@mkdir -p $(@D)
	$(MKINITRAMFS) -r $(O) -c gzip -o $@ $<

$(ISRC)/stage1-unsigned.efi: $(CONFIG_UEFI_STUB) $(ISRC)/osrel \
		$(IMG)/stage1/cmdline $(S1_KSTAMP) $(UKI_INITRAMFS) stage1/mkuki.sh
	stage1/mkuki.sh $(CONFIG_UEFI_STUB) $(ISRC)/osrel $(IMG)/stage1/cmdline \
	  $(S1_KIMAGE) $(UKI_INITRAMFS) $@

$(IMG)/stage1.efi: $(ISRC)/stage1-unsigned.efi $(KEYS_STAMP) boot/efisign.sh
	boot/efisign.sh $(KEYS)/db.key $(KEYS)/db.crt $< $@

# ------------------------------------------------------------ stage0
$(IMG)/stage0.efi: $(CONFIG_IPXE_EFI) $(KEYS_STAMP) boot/efisign.sh
	@mkdir -p $(@D)
	boot/efisign.sh $(KEYS)/db.key $(KEYS)/db.crt $< $@

# ------------------------------------------------------------ release
# the production kernel carries the fleet's kexec signature (Debian's
# removed) and no other: the stage1 kernel's kexec_file_load checks it
# against its built-in keyring, and the firmware, which trusts db only,
# refuses it as a boot image.  Never db: a db-signed bare kernel boots from
# the firmware with any initrd and command line (docs/threat-model.md;
# tests/images/t_signers.sh walks every signed file of the build).
$(REL)/kernel: $(KROOT)/.stamp $(KEYS_STAMP) boot/efisign.sh
	@mkdir -p $(@D)
	boot/efisign.sh $(KEYS)/kexec.key $(KEYS)/kexec.crt $(KIMAGE) $@

# The production initramfs is zstd -19 (libarchive's filter, 8 MiB window):
# every byte of it is downloaded by the agent, hashed twice by the stage1
# kernel (kexec_file_load's segment digests, then purgatory's check) and
# unpacked by Debian's kernel (RD_ZSTD=y): 7.1 MB against 8.6 MB with
# gzip -9, unpacked as fast under QEMU TCG.  A window spanning the whole
# image (zstd --long=25: 5.9 MB, the slivers' second busybox nearly free)
# unpacked 0.6-1.3 s slower under TCG (bench/chain/README.md).  One frame,
# not padded: the agent pads before it appends its handover archive
# (stage2/newc.c), as the kernel wants.
$(REL)/initramfs: initramfs/production.spec $(MKINITRAMFS) $(STAGED) \
		$(ISRC)/init-prod $(ISRC)/join $(ISRC)/epoxy-watch $(ISRC)/epoxy-nm $(ISRC)/epoxy-priv \
		$(ISRC)/epoxy-tcpinfo $(ISRC)/epoxy-pusher $(ISRC)/debian-libs.ok stage1/images.mk
	@mkdir -p $(@D)
	$(MKINITRAMFS) -r $(O) -c zstd -o $@ $<

# The production image's programs that link Debian's shared libraries: the
# slivers' runtime crun, the data disk's mke2fs (e2fsprogs), the slivers'
# NAT's nft (nftables) and the measurement services epoxy-tcpinfo and
# epoxy-pusher (built here against Debian's glibc, libzstd and mbedTLS),
# and exactly the shared libraries they link (ldd), each named in
# production.spec with its own path; a program of another Debian release
# that links another set stops the build here
PROD_DEBIAN_BINS := /usr/bin/crun /usr/sbin/mke2fs /usr/sbin/nft $(ISRC)/epoxy-tcpinfo \
	$(ISRC)/epoxy-pusher
$(ISRC)/debian-libs.ok: initramfs/production.spec $(PROD_DEBIAN_BINS)
	@mkdir -p $(@D)
	@for b in $(PROD_DEBIAN_BINS); do ldd $$b; done | \
	  awk '$$2 == "=>" {print $$3} $$1 ~ /^\// {print $$1}' | sort -u >$@.ldd
	@awk '$$1 == "file" && $$3 ~ /^\/(lib|lib64)\// {print $$3}' $< | sort >$@.spec
	@cmp -s $@.ldd $@.spec || { echo "production.spec: the libraries differ from ldd $(PROD_DEBIAN_BINS):"; \
	  diff $@.spec $@.ldd; exit 1; }
	@rm -f $@.ldd $@.spec && touch $@

$(REL)/cmdline: $(ISRC)/config stage1/images.mk
	@mkdir -p $(@D)
	@printf '%s' "$(PROD_CMDLINE)" >$@

$(REL)/join: initramfs/join.sh
	@mkdir -p $(@D) && cp $< $@

$(REL)/manifest: $(REL)/kernel $(REL)/initramfs $(REL)/cmdline $(REL)/join \
		$(KEYS_STAMP) $(EPOXYKEYS)
	$(EPOXYKEYS) release sign --kernel $(REL)/kernel \
	  --initramfs $(REL)/initramfs --cmdline $(REL)/cmdline \
	  --join $(REL)/join --version $(RELEASE_VERSION) \
	  --expires $(RELEASE_EXPIRES) --hwclass $(EPOXY_HWCLASS) \
	  --min-agent $(RELEASE_MIN_AGENT) \
	  $(addprefix --key ,$(RELEASE_KEYS)) --out $@.tmp
	@mv $@.tmp $@

# ------------------------------------------------------------ enrollment
# the enrollment image (unsigned: it boots only in setup mode) and its
# efivarfs writer, a static musl program
$(ISRC)/efiwrite: boot/efiwrite.c lib/err.c lib/err.h lib/errors.def lib/num.c lib/num.h \
		lib/efivarfs.c lib/efivarfs.h
	@mkdir -p $(@D)
	$(MUSL_CC) -static -Os -std=gnu11 $(WARN) -I. -o $@ boot/efiwrite.c lib/err.c lib/num.c lib/efivarfs.c
	@strip --strip-all $@
$(ISRC)/enroll-init: boot/enroll-init.sh
	@mkdir -p $(@D) && cp $< $@
$(IMG)/enroll/initramfs: $(ENROLL_SPEC) $(MKINITRAMFS) $(ISRC)/config \
		$(ISRC)/modules/.stamp $(ISRC)/efiwrite $(ISRC)/enroll-init /bin/busybox
	@mkdir -p $(@D)
	$(MKINITRAMFS) -r $(O) -c gzip -o $@ $<

$(O)/bin/epoxy-mkvars: boot/mkvars.sh
	@mkdir -p $(@D) && install -m 0755 $< $@
