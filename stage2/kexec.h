/* kexec: load the verified kernel, initramfs and command line, then jump.
 *
 * Guarantees: kexec_load() hands the kernel exactly the sealed memfds and
 * the command line it is given (kexec_file_load(2); the kernel reads the
 * fds itself, nothing is re-read from a path); kexec_exec() is a separate
 * step (reboot(LINUX_REBOOT_CMD_KEXEC)).  In record mode (host tests) both
 * steps write what they would do to a directory instead: kernel, initrd,
 * cmdline (the exact bytes), then an "exec" marker.  kexec-tools is used
 * only when ENABLE_AGENT_KEXEC_TOOLS_FALLBACK and the syscall is ENOSYS. */
#ifndef EPOXY_STAGE2_KEXEC_H
#define EPOXY_STAGE2_KEXEC_H

#include <stddef.h>

#define KEXEC_CMDLINE_MAX 4096
#define KEXEC_TOOLS_PATH "/sbin/kexec"

/* record: NULL for the real syscall, or the record directory. */
int kexec_load(int kernel_fd, int initrd_fd, const char *cmdline,
	       const char *record);
int kexec_exec(const char *record);
/* Builds the production command line: the verified artifact (one trailing
 * newline dropped) + " epoxy.stage=2 epoxy.session=<id>".  Refuses NUL and
 * control bytes and results over KEXEC_CMDLINE_MAX. */
int kexec_cmdline(char *out, size_t cap, const char *artifact, size_t len,
		  const char *session_hex);

#endif
