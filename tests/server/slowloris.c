/* slowloris: the slow-client attack of issue 13 point 7, for t_slow.sh.
 *
 *   epoxyd-slowloris PORT MODE NADDR PERADDR INTERVAL SECONDS
 *
 * From NADDR loopback addresses (127.0.1.1 ...), PERADDR connections each
 * to 127.0.0.1:PORT; MODE "http" sends an unfinished request, "tls" an
 * unfinished ClientHello, "body" a request whose body never ends; then one
 * more byte per connection every INTERVAL seconds, for SECONDS.  A
 * connection the server closes is opened again at the next byte, as an
 * attacker would.  Prints one line: "opened N closed-by-server N refused N".
 * Guarantees nothing to anyone: a test tool, never installed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SLOW_MAX 8192

static const char slow_http[] = "GET /healthz HTTP/1.1\r\nHost: epoxy.test\r\nX-Slow: ";
static const char slow_body[] = "POST /v1/session HTTP/1.1\r\nHost: epoxy.test\r\n"
	"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nhost=";
static const unsigned char slow_tls[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01 };

struct slow_conn {
	int fd;
	struct sockaddr_in src;
};

static int slow_open(struct slow_conn *c, int port, const char *mode)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	const void *p;
	size_t n;
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
	if (bind(c->fd, (struct sockaddr *)&c->src, sizeof(c->src)) < 0 ||
	    connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	if (!strcmp(mode, "tls")) {
		p = slow_tls;
		n = sizeof(slow_tls);
	} else if (!strcmp(mode, "body")) {
		p = slow_body;
		n = sizeof(slow_body) - 1;
	} else {
		p = slow_http;
		n = sizeof(slow_http) - 1;
	}
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	if (send(c->fd, p, n, MSG_NOSIGNAL) != (ssize_t)n) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

/* 1 if the server has closed fd (EOF, reset or an answer). */
static int slow_closed(int fd)
{
	char buf[512];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	return n == 0 || n > 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

int main(int argc, char **argv)
{
	static struct slow_conn conns[SLOW_MAX];
	struct rlimit rl = { SLOW_MAX + 64, SLOW_MAX + 64 };
	unsigned long opened = 0, closed = 0, refused = 0;
	int port, naddr, per, interval, secs, i, a, total;
	time_t end, next;

	if (argc != 7) {
		fprintf(stderr, "usage: %s PORT http|tls|body NADDR PERADDR INTERVAL SECONDS\n", argv[0]);
		return 2;
	}
	port = atoi(argv[1]);
	naddr = atoi(argv[3]);
	per = atoi(argv[4]);
	interval = atoi(argv[5]);
	secs = atoi(argv[6]);
	total = naddr * per;
	if (total <= 0 || total > SLOW_MAX || interval < 1 || naddr > 250)
		return 2;
	setrlimit(RLIMIT_NOFILE, &rl);
	for (a = 0; a < naddr; a++)
		for (i = 0; i < per; i++) {
			struct slow_conn *c = &conns[a * per + i];

			c->src.sin_family = AF_INET;
			c->src.sin_addr.s_addr = htonl(0x7f000101u + (uint32_t)a);
			if (slow_open(c, port, argv[2]) == 0)
				opened++;
			else
				refused++;
		}
	end = time(NULL) + secs;
	next = time(NULL) + interval;
	while (time(NULL) < end) {
		usleep(200000);
		for (i = 0; i < total; i++) {
			struct slow_conn *c = &conns[i];

			if (c->fd >= 0 && slow_closed(c->fd)) {
				close(c->fd);
				c->fd = -1;
				closed++;
			}
		}
		if (time(NULL) >= next) {
			/* one byte more on each, and a new connection for each
			 * one the server closed */
			next += interval;
			for (i = 0; i < total; i++) {
				if (conns[i].fd >= 0)
					send(conns[i].fd, "a", 1, MSG_NOSIGNAL);
				else if (slow_open(&conns[i], port, argv[2]) == 0)
					opened++;
				else
					refused++;
			}
		}
	}
	printf("opened %lu closed-by-server %lu refused %lu\n", opened, closed, refused);
	return 0;
}
