# initramfs/: epoxy-mkinitramfs, the reproducible initramfs builder, and the
# specs of the minimal (stage1) and production images.  The image recipes
# are in stage1/images.mk (`make images`).
HOST_PROGS += epoxy-mkinitramfs
epoxy-mkinitramfs_SRCS := initramfs/mkinitramfs.c initramfs/initspec.c \
	initramfs/cpio.c
epoxy-mkinitramfs_ARCHIVES := epoxy
epoxy-mkinitramfs_LIBS := -larchive

UNIT_TESTS += test_mkinitramfs
test_mkinitramfs_SRCS := tests/unit/test_mkinitramfs.c tests/test.c \
	initramfs/initspec.c initramfs/cpio.c
test_mkinitramfs_ARCHIVES := epoxy
test_mkinitramfs_LIBS := -larchive

FUZZ_TARGETS += fuzz_initspec
fuzz_initspec_SRCS := tests/fuzz/fuzz_initspec.c initramfs/initspec.c
fuzz_initspec_ARCHIVES := epoxy
