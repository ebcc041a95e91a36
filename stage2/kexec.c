/* kexec: kexec_file_load + reboot(KEXEC), or the host-test recorder. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "epoxy_config.h"
#include "lib/err.h"
#include "stage2/kexec.h"

#ifndef RB_KEXEC
#define RB_KEXEC 0x45584543
#endif

int kexec_cmdline(char *out, size_t cap, const char *artifact, size_t len,
		  const char *session_hex)
{
	size_t i;
	int n;

	if (len > 0 && artifact[len - 1] == '\n')
		len--;
	for (i = 0; i < len; i++)
		if ((unsigned char)artifact[i] < ' ' || artifact[i] == 127)
			return -EPX_E_KEXEC_CMDLINE;
	if (len > KEXEC_CMDLINE_MAX)
		return -EPX_E_KEXEC_CMDLINE;
	n = snprintf(out, cap, "%.*s%sepoxy.stage=2 epoxy.session=%s", (int)len,
		     artifact, len ? " " : "", session_hex);
	if (n < 0 || (size_t)n >= cap || (size_t)n > KEXEC_CMDLINE_MAX)
		return -EPX_E_KEXEC_CMDLINE;
	return 0;
}

/* Copies all of fd (from offset 0) to dir/name. */
static int kexec_record_fd(const char *dir, const char *name, int fd)
{
	char path[512], buf[65536];
	off_t off = 0;
	ssize_t r;
	int out, rc = -EPX_E_KEXEC_RECORD;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0)
		return rc;
	while ((r = pread(fd, buf, sizeof(buf), off)) > 0) {
		if (write(out, buf, (size_t)r) != r)
			goto out;
		off += r;
	}
	if (r == 0)
		rc = 0;
out:
	close(out);
	return rc;
}

static int kexec_record_str(const char *dir, const char *name, const char *s)
{
	char path[512];
	size_t n = strlen(s);
	int fd, rc = -EPX_E_KEXEC_RECORD;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return rc;
	if (write(fd, s, n) == (ssize_t)n)
		rc = 0;
	close(fd);
	return rc;
}

/* kexec-tools fallback: kexec -s is not used because the syscall is what
 * is missing; the classic kexec_load path reads the same sealed fds. */
static int kexec_tools(int kernel_fd, int initrd_fd, const char *cmdline)
{
	char k[64], i[64], c[KEXEC_CMDLINE_MAX + 32];
	int status;
	pid_t pid;

	snprintf(k, sizeof(k), "/proc/%d/fd/%d", (int)getpid(), kernel_fd);
	snprintf(i, sizeof(i), "--initrd=/proc/%d/fd/%d", (int)getpid(), initrd_fd);
	snprintf(c, sizeof(c), "--command-line=%s", cmdline);
	pid = fork();
	if (pid < 0)
		return -EPX_E_KEXEC_LOAD;
	if (pid == 0) {
		char *const argv[] = { (char *)KEXEC_TOOLS_PATH, (char *)"-l", k,
				       i, c, NULL };
		char *const envp[] = { NULL };

		execve(KEXEC_TOOLS_PATH, argv, envp);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -EPX_E_KEXEC_LOAD;
	return 0;
}

int kexec_load(int kernel_fd, int initrd_fd, const char *cmdline,
	       const char *record)
{
	long r;

	if (record) {
		if (kexec_record_fd(record, "kernel", kernel_fd) < 0 ||
		    kexec_record_fd(record, "initrd", initrd_fd) < 0 ||
		    kexec_record_str(record, "cmdline", cmdline) < 0)
			return -EPX_E_KEXEC_RECORD;
		return 0;
	}
	r = syscall(SYS_kexec_file_load, kernel_fd, initrd_fd,
		    strlen(cmdline) + 1, cmdline, 0UL);
	if (r == 0)
		return 0;
	if (errno == ENOSYS) {
		if (!ENABLE_AGENT_KEXEC_TOOLS_FALLBACK)
			return -EPX_E_KEXEC_NOSYS;
		return kexec_tools(kernel_fd, initrd_fd, cmdline);
	}
	return -EPX_E_KEXEC_LOAD;
}

int kexec_exec(const char *record)
{
	if (record)
		return kexec_record_str(record, "exec", "kexec\n");
	sync();
	reboot(RB_KEXEC);
	return -EPX_E_KEXEC_EXEC;
}
