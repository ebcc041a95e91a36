/* tcpinfo-conns: holds N loopback TCP connections for bench/tcpinfo/run.sh.
 *
 *   tcpinfo-conns N PORT BUSY_PER_TICK
 * listens on PORT, opens N connections to 127.0.0.x:PORT (x from 1, a new
 * address every 20000 connections so ephemeral ports never run out),
 * prints "ready N" on stdout, then every 100 ms writes one byte on
 * BUSY_PER_TICK client sockets in turn (a change epoxy-tcpinfo records on
 * both ends) until killed.  Nothing is read: one byte per write stays in
 * the receiver's queue.  Each worker process holds at most PER_PROC
 * connections (2 descriptors each), so no RLIMIT_NOFILE beyond the usual
 * 20000 is needed; workers die with the parent. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PER_ADDR 20000
#define PER_PROC 9000

static int conns_listen(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4096) < 0)
		return -1;
	return fd;
}

static int conns_open(int lfd, int port, int i, int *cfd, int *sfd)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	sa.sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)(i / PER_ADDR));
	*cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (*cfd < 0 || connect(*cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	*sfd = accept(lfd, NULL, NULL);
	return *sfd < 0 ? -1 : 0;
}

/* worker: connections [first, first+n) of the whole set; writes one byte
 * to the pipe when they are open, then busy writes until killed */
static int conns_worker(int lfd, int port, int first, int n, int busy, int ready)
{
	struct timespec tick = { 0, 100 * 1000 * 1000 };
	int i, k = 0, *cfd = calloc((size_t)n, sizeof(int)), *sfd = calloc((size_t)n, sizeof(int));

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!cfd || !sfd)
		return 1;
	for (i = 0; i < n; i++)
		if (conns_open(lfd, port, first + i, &cfd[i], &sfd[i]) < 0) {
			fprintf(stderr, "tcpinfo-conns: connection %d: %s\n", first + i, strerror(errno));
			return 1;
		}
	if (write(ready, "r", 1) != 1)
		return 1;
	for (;;) {
		nanosleep(&tick, NULL);
		for (i = 0; i < busy; i++, k = (k + 1) % n)
			if (write(cfd[k], "x", 1) < 0)
				return 1;
	}
}

int main(int argc, char **argv)
{
	int n, port, busy, lfd, i, w, nw, p[2], status;
	char c;

	if (argc != 4) {
		fprintf(stderr, "usage: tcpinfo-conns N PORT BUSY_PER_TICK\n");
		return 2;
	}
	n = atoi(argv[1]);
	port = atoi(argv[2]);
	busy = atoi(argv[3]);
	lfd = conns_listen(port);
	if (n < 1 || lfd < 0 || pipe(p) < 0) {
		perror("tcpinfo-conns: listen");
		return 1;
	}
	nw = (n + PER_PROC - 1) / PER_PROC;
	for (w = 0; w < nw; w++) {
		int first = w * PER_PROC, cnt = n - first < PER_PROC ? n - first : PER_PROC;

		if (fork() == 0)
			_exit(conns_worker(lfd, port, first, cnt, (busy * cnt + n - 1) / n, p[1]));
	}
	close(p[1]);            /* all workers gone: read() sees the end */
	for (i = 0; i < nw; i++)
		if (read(p[0], &c, 1) != 1) {
			fprintf(stderr, "tcpinfo-conns: a worker failed\n");
			return 1;
		}
	printf("ready %d\n", n);
	fflush(stdout);
	wait(&status);          /* until killed, or a worker fails */
	return 1;
}
