/* epoxy-tcpinfo: the node's TCP_INFO sampler.
 *
 * Every interval it dumps the node's TCP sockets over sock_diag netlink
 * (tcpinfo_nl), tracks them by cookie and writes what changed
 * (tcpinfo_track) as ArchivalRecord JSON lines (tcpinfo_rec) into one zstd
 * stream per connection (tcpinfo_out); opens and closes also go to an
 * event socket (tcpinfo_ev) and the counters to a metrics file
 * (tcpinfo_metrics).  One thread, one netlink socket, one compressor. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/num.h"
#include "node/priv/privc.h"
#include "node/tcpinfo/tcpinfo_ev.h"
#include "node/tcpinfo/tcpinfo_metrics.h"
#include "node/tcpinfo/tcpinfo_nl.h"
#include "node/tcpinfo/tcpinfo_track.h"

#define NS 1000000000ull
#define HOST_MAX 64
/* every TCP state but SYN_RECV, TIME_WAIT, CLOSE and LISTEN: the sockets
 * that carry a connection's data */
#define TCPINFO_STATES ((1u << 1) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 8) | \
			(1u << 9) | (1u << 11))

struct opts {
	const char *dir, *events, *metrics, *priv;
	char host[HOST_MAX + 1];
	uint64_t interval_ms, rotate_s, flush_s, level, max_conns, count;
	struct tcpinfo_filter filter;
};

static volatile sig_atomic_t tcpinfo_stop;

static void tcpinfo_usage(FILE *f)
{
	fprintf(f,
		"usage: epoxy-tcpinfo [options]\n"
		"Samples TCP_INFO of every TCP connection of the node (sock_diag netlink) and\n"
		"writes changes as ArchivalRecord JSON lines, one zstd stream per connection.\n"
		"  -d, --dir DIR          data directory (default /var/spool/epoxy/tcpinfo)\n"
		"  -i, --interval MS      poll interval in milliseconds (default 10, 1-60000)\n"
		"  -r, --rotate SECONDS   start a new file per connection after (default 600)\n"
		"  -f, --flush SECONDS    longest a record waits in memory (default 10, 0: none)\n"
		"  -z, --zstd-level N     compression level 1-19 (default 3)\n"
		"  -m, --max-conns N      connections tracked at most (default 262144)\n"
		"  -e, --events PATH      stream open/close events on this Unix socket\n"
		"  -M, --metrics FILE     write Prometheus metrics to FILE every second\n"
		"  -H, --host NAME        host name in the file names (default: hostname)\n"
		"  -p, --port PORT        keep only sockets with this local or remote port\n"
		"  -x, --exclude-port PORT  drop sockets with this local port\n"
		"  -l, --exclude-local    drop loopback and same-address connections\n"
		"  -c, --count N          stop after N polls (default 0: run until SIGTERM)\n"
		"  -P, --priv SOCKET      take the sock_diag socket from epoxy-priv(8) at SOCKET\n"
		"                         (a sliver: $EPOXY_PRIV) instead of opening one: the\n"
		"                         node's connections, not the sliver's; a refusal is\n"
		"                         printed with its code and the exit status is 1\n"
		"  -h, --help             this text;  --version  print the version\n"
		"exit status: 0 clean stop; 1 cannot start or write; 2 usage\n");
}

static int tcpinfo_opt_num(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	int rc = num_parse_u64(s, strlen(s), hi, out);

	return rc < 0 || *out < lo ? -EPX_E_TI_USAGE : 0;
}

static int tcpinfo_opt_port(const char *s, uint16_t *ports, unsigned *n)
{
	uint64_t v;

	if (*n == TCPINFO_PORTS_MAX || tcpinfo_opt_num(s, 1, 65535, &v) < 0)
		return -EPX_E_TI_USAGE;
	ports[(*n)++] = (uint16_t)v;
	return 0;
}

static int tcpinfo_opt_host(struct opts *o, const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > HOST_MAX)
		return -EPX_E_TI_USAGE;
	/* the name goes into file names and JSON: a fixed alphabet */
	for (i = 0; i < n; i++)
		o->host[i] = (strchr("-.", s[i]) || (s[i] >= '0' && s[i] <= '9') ||
			      ((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z')) ? s[i] : '_';
	o->host[n] = '\0';
	return 0;
}

/* one option with its value v (NULL for a flag); returns 0 or usage */
static int tcpinfo_opt_one(struct opts *o, const char *a, const char *v)
{
	struct tcpinfo_filter *f = &o->filter;

#define IS(s, l) (!strcmp(a, s) || !strcmp(a, l))
	if (IS("-l", "--exclude-local")) {
		f->exclude_local = 1;
		return 0;
	}
	if (!v)
		return -EPX_E_TI_USAGE;
	if (IS("-d", "--dir")) {
		o->dir = v;
		return 0;
	}
	if (IS("-e", "--events")) {
		o->events = v;
		return 0;
	}
	if (IS("-M", "--metrics")) {
		o->metrics = v;
		return 0;
	}
	if (IS("-P", "--priv")) {
		o->priv = v;
		return v[0] == '/' && strlen(v) < 108 ? 0 : -EPX_E_TI_USAGE;
	}
	if (IS("-H", "--host"))
		return tcpinfo_opt_host(o, v);
	if (IS("-i", "--interval"))
		return tcpinfo_opt_num(v, 1, 60000, &o->interval_ms);
	if (IS("-r", "--rotate"))
		return tcpinfo_opt_num(v, 1, 86400, &o->rotate_s);
	if (IS("-f", "--flush"))
		return tcpinfo_opt_num(v, 0, 3600, &o->flush_s);
	if (IS("-z", "--zstd-level"))
		return tcpinfo_opt_num(v, 1, 19, &o->level);
	if (IS("-m", "--max-conns"))
		return tcpinfo_opt_num(v, 1, TCPINFO_CONNS_MAX, &o->max_conns);
	if (IS("-c", "--count"))
		return tcpinfo_opt_num(v, 0, UINT32_MAX, &o->count);
	if (IS("-p", "--port"))
		return tcpinfo_opt_port(v, f->ports, &f->nports);
	if (IS("-x", "--exclude-port"))
		return tcpinfo_opt_port(v, f->xports, &f->nxports);
#undef IS
	return -EPX_E_TI_USAGE;
}

/* returns 0 to run, 1 after --help/--version, or -EPX_E_TI_USAGE */
static int tcpinfo_opts_parse(struct opts *o, int argc, char **argv)
{
	char host[256] = "";
	int i, rc;

	memset(o, 0, sizeof(*o));
	o->dir = "/var/spool/epoxy/tcpinfo";
	o->interval_ms = 10;
	o->rotate_s = 600;
	o->flush_s = 10;
	o->level = 3;
	o->max_conns = 262144;
	if (gethostname(host, sizeof(host) - 1) < 0 || tcpinfo_opt_host(o, host) < 0)
		tcpinfo_opt_host(o, "localhost");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			tcpinfo_usage(stdout);
			return 1;
		}
		if (!strcmp(argv[i], "--version")) {
			printf("epoxy-tcpinfo %s\n", EPOXY_VERSION);
			return 1;
		}
		rc = tcpinfo_opt_one(o, argv[i], i + 1 < argc ? argv[i + 1] : NULL);
		if (rc < 0) {
			fprintf(stderr, "epoxy-tcpinfo: bad option or value: %s\n", argv[i]);
			return rc;
		}
		if (strcmp(argv[i], "-l") && strcmp(argv[i], "--exclude-local"))
			i++;
	}
	return 0;
}

static uint64_t tcpinfo_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

/* the boot time in seconds since the epoch (/proc/stat's btime) */
static uint64_t tcpinfo_boot_time(void)
{
	char line[256];
	uint64_t v = 0;
	FILE *f = fopen("/proc/stat", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "btime ", 6)) {
			line[strcspn(line, "\n")] = '\0';
			if (num_parse_u64(line + 6, strlen(line + 6), UINT64_MAX, &v) < 0)
				v = 0;
			break;
		}
	if (f)
		fclose(f);
	return v;
}

static void tcpinfo_on_signal(int sig)
{
	(void)sig;
	tcpinfo_stop = 1;
}

static void tcpinfo_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tcpinfo_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

struct state {
	struct opts o;
	struct tcpinfo_nl nl;
	struct tcpinfo_out out;
	struct tcpinfo_track t;
	struct tcpinfo_ev ev;
	struct tcpinfo_metrics m;
	int have_ev;
};

static void tcpinfo_report(const char *what, int rc)
{
	char code[16];

	fprintf(stderr, "epoxy-tcpinfo: %s: %s (%s)\n", what, epx_strerror(rc),
		epx_code(rc, code, sizeof(code)));
}

static void tcpinfo_poll_once(struct state *s)
{
	uint64_t t0 = tcpinfo_clock_ns(CLOCK_MONOTONIC);
	int rc;

	tcpinfo_track_begin(&s->t, tcpinfo_clock_ns(CLOCK_REALTIME));
	rc = tcpinfo_nl_poll(&s->nl, tcpinfo_track_msg, &s->t);
	if (rc < 0)
		s->m.poll_errors++;
	else if (rc > 0)
		s->m.polls_incomplete++;
	if (tcpinfo_track_end(&s->t, rc == 0) < 0 && s->t.st.errors == 1)
		tcpinfo_report("writing records", s->t.last_err);
	tcpinfo_metrics_poll(&s->m, (double)(tcpinfo_clock_ns(CLOCK_MONOTONIC) - t0) / 1e9);
}

static void tcpinfo_write_metrics(struct state *s)
{
	int rc;

	if (!s->o.metrics)
		return;
	rc = tcpinfo_metrics_write(s->o.metrics, &s->m, &s->t, &s->nl,
				   s->have_ev ? &s->ev : NULL);
	if (rc < 0 && s->m.count <= 1)
		tcpinfo_report(s->o.metrics, rc);
}

static void tcpinfo_run(struct state *s)
{
	uint64_t step = s->o.interval_ms * 1000000ull, next = tcpinfo_clock_ns(CLOCK_MONOTONIC);
	uint64_t polls = 0, last_metrics = 0, now;
	struct timespec ts;

	while (!tcpinfo_stop && (!s->o.count || polls < s->o.count)) {
		tcpinfo_poll_once(s);
		polls++;
		if (s->have_ev)
			tcpinfo_ev_accept(&s->ev);
		now = tcpinfo_clock_ns(CLOCK_MONOTONIC);
		if (now - last_metrics >= NS) {
			tcpinfo_write_metrics(s);
			last_metrics = now;
		}
		next += step;
		if (next < now)
			next = now;     /* late: skip the lost ticks, never burst */
		ts.tv_sec = (time_t)(next / NS);
		ts.tv_nsec = (long)(next % NS);
		if (!s->o.count || polls < s->o.count)
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

/* --priv: the socket of tcpinfo_nl_open replaced, at its number, by the
 * one epoxy-priv hands over (a NETLINK_SOCK_DIAG socket made in the
 * node's network namespace), with the same options */
static int tcpinfo_priv(struct tcpinfo_nl *nl, const char *sock)
{
	struct timeval tv = { .tv_sec = 2 };
	char code[16], what[160];
	int fd = -1, rc = privc_ask(sock, "sock_diag", 5000, &fd), sz = 4 << 20;

	if (rc < 0) {
		snprintf(what, sizeof(what), "epoxy-priv %s refused or unreachable: %s %s", sock,
			 epx_code(rc, code, sizeof(code)), epx_strerror(rc));
		tcpinfo_report(what, -EPX_E_TI_PRIV);
		return -EPX_E_TI_PRIV;
	}
	rc = dup3(fd, nl->fd, O_CLOEXEC) < 0 ? -EPX_E_TI_PRIV : 0;
	close(fd);
	(void)setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	(void)setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (rc == 0)
		fprintf(stderr, "epoxy-tcpinfo: sock_diag socket from epoxy-priv %s\n", sock);
	return rc;
}

static int tcpinfo_start(struct state *s)
{
	int rc;

	if (mkdir(s->o.dir, 0755) < 0 && errno != EEXIST) {
		tcpinfo_report(s->o.dir, -EPX_E_TI_FILE);
		return -EPX_E_TI_FILE;
	}
	rc = tcpinfo_out_init(&s->out, s->o.dir, (int)s->o.level, s->o.rotate_s * NS,
			      s->o.flush_s * NS, 64 * 1024);
	if (rc < 0)
		goto fail;
	rc = tcpinfo_track_init(&s->t, s->o.max_conns, &s->out, s->o.host, tcpinfo_boot_time());
	if (rc < 0)
		goto fail_out;
	s->t.filter = s->o.filter;
	rc = tcpinfo_nl_open(&s->nl, TCPINFO_STATES);
	if (rc == 0 && s->o.priv)
		rc = tcpinfo_priv(&s->nl, s->o.priv);
	if (rc < 0)
		goto fail_track;
	if (s->o.events) {
		rc = tcpinfo_ev_open(&s->ev, s->o.events);
		if (rc < 0)
			goto fail_nl;
		s->have_ev = 1;
		s->t.event = tcpinfo_ev_send;
		s->t.event_arg = &s->ev;
	}
	return 0;
fail_nl:
	tcpinfo_nl_close(&s->nl);
fail_track:
	tcpinfo_track_free(&s->t);
fail_out:
	tcpinfo_out_free(&s->out);
fail:
	tcpinfo_report("cannot start", rc);
	return rc;
}

static int tcpinfo_teardown(struct state *s)
{
	int rc = tcpinfo_track_flush_all(&s->t);

	if (rc < 0)
		tcpinfo_report("flushing records", rc);
	tcpinfo_write_metrics(s);
	if (s->have_ev)
		tcpinfo_ev_close(&s->ev);
	tcpinfo_nl_close(&s->nl);
	tcpinfo_track_free(&s->t);
	tcpinfo_out_free(&s->out);
	return rc;
}

int main(int argc, char **argv)
{
	static struct state s;
	int rc;

	rc = tcpinfo_opts_parse(&s.o, argc, argv);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	if (tcpinfo_start(&s) < 0)
		return 1;
	tcpinfo_signals();
	tcpinfo_run(&s);
	return tcpinfo_teardown(&s) < 0 ? 1 : 0;
}
