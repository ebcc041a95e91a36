/* kexec-probe: load one kernel with kexec_file_load(2) and report the result.
 *
 * A test helper for the kexec-under-lockdown experiment (docs/kexec-lockdown.md),
 * not part of the agent.  It guarantees that its console line states exactly
 * what the kernel answered: "KEXEC-PROBE <label> load ok" or
 * "KEXEC-PROBE <label> load refused errno=<n> (<text>)".  With --exec it then
 * calls reboot(RB_KEXEC) after a successful load.
 *
 * usage: kexec-probe LABEL KERNEL INITRD CMDLINE [--exec]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PROBE_CMDLINE_MAX 4096

static int probe_load(const char *kernel, const char *initrd, const char *cmdline)
{
	int rc = -EINVAL;
	int kfd = -1, ifd = -1;
	size_t clen = strlen(cmdline) + 1;

	if (clen > PROBE_CMDLINE_MAX)
		return -E2BIG;
	kfd = open(kernel, O_RDONLY | O_CLOEXEC);
	if (kfd < 0) {
		rc = -errno;
		goto cleanup;
	}
	ifd = open(initrd, O_RDONLY | O_CLOEXEC);
	if (ifd < 0) {
		rc = -errno;
		goto cleanup_kfd;
	}
	if (syscall(SYS_kexec_file_load, kfd, ifd, clen, cmdline, 0UL) != 0)
		rc = -errno;
	else
		rc = 0;
	close(ifd);
cleanup_kfd:
	close(kfd);
cleanup:
	return rc;
}

int main(int argc, char **argv)
{
	int rc = -EINVAL;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: kexec-probe LABEL KERNEL INITRD CMDLINE [--exec]\n");
		return 2;
	}
	rc = probe_load(argv[2], argv[3], argv[4]);
	if (rc != 0) {
		printf("KEXEC-PROBE %s load refused errno=%d (%s)\n", argv[1], -rc, strerror(-rc));
		fflush(stdout);
		return 1;
	}
	printf("KEXEC-PROBE %s load ok\n", argv[1]);
	fflush(stdout);
	if (argc == 6 && strcmp(argv[5], "--exec") == 0) {
		sync();
		reboot(RB_KEXEC);
		printf("KEXEC-PROBE %s exec failed errno=%d (%s)\n", argv[1], errno, strerror(errno));
		return 1;
	}
	return 0;
}
