/* paths: the directories epoxyd uses, opened before the privilege drop.
 *
 * Guarantees to epoxyd: paths_open() (as root, before the drop) turns
 * data_dir and boot_dir into directory descriptors, so every later access
 * (spool files, objects, boot files) goes through openat() and never
 * depends on the modes of the directories above them (a clone in root's
 * 0700 home works).  paths_check() (after the drop, before any request is
 * served, and for `epoxyd -n`) tries each use for real as the service user:
 * an unlinked spool file in data_dir and in data_dir/objects, a search of
 * boot_dir, a write transaction on the store.  Each failure is one line
 * naming the path, the user and the reason, and the first one's code is
 * returned (-EPX_E_SRV_PATH or the store's).  TLS files the service user
 * cannot read are a warning: only a reload would read them again. */
#ifndef EPOXY_PATHS_H
#define EPOXY_PATHS_H

struct config;
struct store;

struct paths {
	int data_fd;             /* data_dir, O_DIRECTORY; -1 if closed */
	int boot_fd;             /* boot_dir, O_DIRECTORY; -1 if closed */
};

/* Opens both directories (creating data_dir/objects is left to the check).
 * Prints the failing path and reason; returns 0 or -EPX_E_SRV_PATH. */
int paths_open(struct paths *p, const struct config *cfg);
/* Runs every use as the current (dropped) user; st may be NULL (no store
 * check).  Prints one line per failure; returns 0 or the first code. */
int paths_check(const struct paths *p, const struct config *cfg,
		struct store *st);
/* Closes what paths_open() opened; safe on a closed struct. */
void paths_close(struct paths *p);

#endif
