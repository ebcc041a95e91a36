/* epoxy-priv: privileged operations for slices (docs/man/epoxy-priv.8),
 * PlanetLab's Proper made small: a root service that hands a slice's
 * process a read-only descriptor of a granted node file or a sock_diag
 * socket of the node's network namespace, and nothing else.
 *
 * Guarantees: `serve` refuses to start on a malformed grants file (the
 * line is printed) or an unsafe socket directory; SIGHUP, and any change
 * of the grants file (another inode, size or mtime, as when epoxy-nm
 * renames a new one into place: looked at before each round of requests,
 * so before a request is decided), re-read it without closing a
 * connection, and keep the old grants when the new file is malformed
 * (E3220, once per change);
 * SIGTERM and SIGINT stop it.  `ask` is the client (node/priv/privc.h) for
 * tests and scripts.  Exit status (lib/cli.h): 0 done, 1 refused or
 * failed, 2 usage, 3 service out of reach. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cli.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/num.h"
#include "node/priv/priv_grants.h"
#include "node/priv/priv_srv.h"
#include "node/priv/privc.h"

#define PRIV_ASK_OUT_MAX (1u << 20)     /* bytes `ask open` copies out */
#define PRIV_ASK_RAW_MAX 4096           /* bytes of `ask --raw LINE` */
#define PRIV_DIAG_BUF 32768

static volatile sig_atomic_t priv_term, priv_hup;

static void priv_usage(FILE *f)
{
	fputs("usage: epoxy-priv serve --socket PATH --grants FILE [--access root|group|all]\n"
	      "                        [--group GID] [--max-clients N] [--timeout-ms MS]\n"
	      "       epoxy-priv check --grants FILE\n"
	      "       epoxy-priv ask --socket PATH [--timeout-ms MS] open FILE | sock_diag\n"
	      "       epoxy-priv ask --socket PATH [--timeout-ms MS] --raw LINE\n"
	      "  serve: hand slices the descriptors their grants allow, over the Unix socket\n"
	      "  PATH (mode 0600 root, 0660 group, 0666 all; default root); the caller's slice\n"
	      "  is its uid (SO_PEERCRED) in the grants file.  At most --max-clients (32)\n"
	      "  connections, each with --timeout-ms (2000) to send its request.  SIGHUP,\n"
	      "  or a change of the file (epoxy-nm --priv-grants), re-reads the grants.\n"
	      "  Every grant and refusal is one line on stderr.\n"
	      "  check: parse the grants file, print its slices and grants count.\n"
	      "  ask open FILE: print the file read through the granted descriptor.\n"
	      "  ask sock_diag: dump the TCP sockets seen by the granted socket.\n"
	      "  ask --raw LINE: send LINE as the request (tests).\n"
	      "exit: 0 done, 1 refused or failed, 2 usage, 3 service unreachable\n", f);
}

static int priv_fail(int rc, const char *what)
{
	priv_srv_line("%s %s: %s", epx_code_str(rc), what, epx_strerror(rc));
	return rc;
}

static int priv_load(const char *path, struct priv_grants *g)
{
	char *buf = malloc(PRIV_GRANTS_FILE_MAX + 1);
	unsigned line = 0;
	long n;
	int rc = -EPX_E_PRIV_GRANTS;

	if (!buf)
		return -ENOMEM;
	n = file_read(path, buf, PRIV_GRANTS_FILE_MAX + 1);
	if (n >= 0 && n <= PRIV_GRANTS_FILE_MAX)
		rc = priv_grants_parse(g, buf, (size_t)n, &line);
	if (rc < 0)
		priv_srv_line("%s %s line %u: %s", epx_code_str(rc), path, line,
			n < 0 ? strerror((int)-n) : epx_strerror(rc));
	free(buf);
	return rc;
}

static void priv_sig(int sig)
{
	if (sig == SIGHUP)
		priv_hup = 1;
	else
		priv_term = 1;
}

struct priv_args {
	struct priv_srv_opt o;
	const char *grants, *raw;
	int timeout_set;
};

static int priv_opts(struct priv_args *a, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "socket", 1, 0, 's' }, { "grants", 1, 0, 'g' }, { "access", 1, 0, 'a' },
		{ "group", 1, 0, 'G' }, { "max-clients", 1, 0, 'm' },
		{ "timeout-ms", 1, 0, 't' }, { "raw", 1, 0, 'r' }, { "help", 0, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	uint32_t v;
	int o, rc = 0;

	while (rc == 0 && (o = getopt_long(argc, argv, "+", lo, NULL)) != -1) {
		switch (o) {
		case 's': a->o.sock_path = optarg; break;
		case 'g': a->grants = optarg; break;
		case 'r': a->raw = optarg; break;
		case 'h': return 1;
		case 'a':
			a->o.mode = !strcmp(optarg, "root") ? 0600 : !strcmp(optarg, "group") ? 0660 :
				    !strcmp(optarg, "all") ? 0666 : 0;
			rc = a->o.mode ? 0 : -EPX_E_PRIV_USAGE;
			break;
		case 'G':
			rc = num_str_u32(optarg, PRIV_UID_MAX, &v) < 0 ? -EPX_E_PRIV_USAGE : 0;
			a->o.gid = v;
			break;
		case 'm':
			rc = num_str_u32(optarg, PRIV_SRV_CLIENTS_MAX, &v) < 0 || !v ? -EPX_E_PRIV_USAGE : 0;
			a->o.max_clients = v;
			break;
		case 't':
			rc = num_str_u32(optarg, PRIV_SRV_TIMEOUT_MAX, &v) < 0 || !v ? -EPX_E_PRIV_USAGE : 0;
			a->o.timeout_ms = v;
			break;
		default:
			rc = -EPX_E_PRIV_USAGE;
		}
	}
	return rc;
}

/* the grants in use, a spare the next reload is read into, and the
 * file they were read from as it was then */
struct priv_state {
	struct priv_grants g[2];
	int cur;
	const char *path;
	struct stat seen;
};

/* 1 when the grants file is not the one read last (or cannot be seen) */
static int priv_changed(struct priv_state *st, struct stat *now)
{
	if (stat(st->path, now) < 0)
		memset(now, 0, sizeof(*now));
	return now->st_dev != st->seen.st_dev || now->st_ino != st->seen.st_ino ||
	       now->st_size != st->seen.st_size ||
	       now->st_mtim.tv_sec != st->seen.st_mtim.tv_sec ||
	       now->st_mtim.tv_nsec != st->seen.st_mtim.tv_nsec;
}

/* priv_srv_run's callback: after a SIGHUP or a change of the file, the
 * re-read grants (or the old ones when the file is malformed) */
static const struct priv_grants *priv_current(void *arg)
{
	struct priv_state *st = arg;
	struct stat now;
	int changed = priv_changed(st, &now);

	if (!priv_hup && !changed)
		return &st->g[st->cur];
	priv_hup = 0;
	st->seen = now;         /* a bad file is reported once, not each round */
	if (priv_load(st->path, &st->g[!st->cur]) == 0) {
		st->cur = !st->cur;
		priv_srv_line("grants re-read%s: %u slices, %u grants",
			changed ? " (the file changed)" : "", st->g[st->cur].nslices,
			st->g[st->cur].ngrants);
	} else {
		priv_fail(-EPX_E_PRIV_RELOAD, st->path);
	}
	return &st->g[st->cur];
}

static int priv_serve(struct priv_args *a)
{
	struct priv_state *st = calloc(1, sizeof(*st));
	struct sigaction sa;
	int rc = CLI_FAIL, lfd = -1;

	if (!st || !a->o.sock_path || !a->grants) {
		priv_fail(-EPX_E_PRIV_USAGE, "serve needs --socket and --grants");
		rc = CLI_USAGE;
		goto cleanup;
	}
	st->path = a->grants;
	priv_changed(st, &st->seen);    /* as it is before it is read */
	if (priv_load(a->grants, &st->g[0]) < 0)
		goto cleanup;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = priv_sig;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	lfd = priv_srv_listen(&a->o);
	if (lfd < 0) {
		priv_fail(lfd, a->o.sock_path);
		goto cleanup;
	}
	priv_srv_line("serving %s: %u slices, %u grants", a->o.sock_path,
		st->g[0].nslices, st->g[0].ngrants);
	if (priv_srv_run(lfd, &a->o, priv_current, st, &priv_term) < 0)
		goto cleanup;
	rc = CLI_OK;
cleanup:
	if (lfd >= 0) {
		close(lfd);
		unlink(a->o.sock_path);
	}
	free(st);
	return rc;
}

/* ------------------------------------------------------------ ask */
struct priv_nlh {
	uint32_t len;
	uint16_t type, flags;
	uint32_t seq, pid;
};
struct priv_diag_id {
	uint16_t sport, dport;
	uint32_t src[4], dst[4];
	uint32_t ifindex, cookie[2];
};
struct priv_diag_req {
	struct priv_nlh h;
	uint8_t family, protocol, ext, pad;
	uint32_t states;
	struct priv_diag_id id;
};
struct priv_diag_msg {
	uint8_t family, state, timer, retrans;
	struct priv_diag_id id;
	uint32_t expires, rqueue, wqueue, uid, inode;
};
#define PRIV_SOCK_DIAG_BY_FAMILY 20
#define PRIV_NLM_F_DUMP_REQ 0x301
#define PRIV_NLMSG_ERROR 2
#define PRIV_NLMSG_DONE 3

/* one message of a dump: 1 done, 0 go on, <0 error */
static int priv_diag_one(const struct priv_nlh *h, const char *p, size_t n)
{
	struct priv_diag_msg m;

	if (h->type == PRIV_NLMSG_DONE)
		return 1;
	if (h->type == PRIV_NLMSG_ERROR || n < sizeof(m))
		return -EPX_E_PRIV_ANSWER;
	memcpy(&m, p, sizeof(m));
	printf("tcp%d %s %u\n", m.family == AF_INET6 ? 6 : 4,
	       m.state == 10 ? "LISTEN" : m.state == 1 ? "ESTAB" : "OTHER", ntohs(m.id.sport));
	return 0;
}

static int priv_diag_dump(int fd, uint8_t family)
{
	struct priv_diag_req q;
	static char buf[PRIV_DIAG_BUF];
	int rc = 0;

	memset(&q, 0, sizeof(q));
	q.h.len = sizeof(q);
	q.h.type = PRIV_SOCK_DIAG_BY_FAMILY;
	q.h.flags = PRIV_NLM_F_DUMP_REQ;
	q.h.seq = family;
	q.family = family;
	q.protocol = IPPROTO_TCP;
	q.states = 0xffffffffu;
	if (send(fd, &q, sizeof(q), 0) != (ssize_t)sizeof(q))
		return -EPX_E_PRIV_NETLINK;
	while (rc == 0) {
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		size_t off = 0;

		if (r <= 0)
			return -EPX_E_PRIV_NETLINK;
		while (rc == 0 && (size_t)r - off >= sizeof(struct priv_nlh)) {
			struct priv_nlh h;

			memcpy(&h, buf + off, sizeof(h));
			if (h.len < sizeof(h) || h.len > (size_t)r - off)
				return -EPX_E_PRIV_ANSWER;
			rc = priv_diag_one(&h, buf + off + sizeof(h), h.len - sizeof(h));
			off += (h.len + 3u) & ~3u;
			if (off > (size_t)r)
				off = (size_t)r;
		}
	}
	return rc < 0 ? rc : 0;
}

/* the file through the descriptor: checked read-only, copied to stdout */
static int priv_ask_file(int fd, const char *path)
{
	static char buf[65536];
	size_t total = 0;
	ssize_t r;

	if ((fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY || write(fd, "x", 1) >= 0 ||
	    errno != EBADF) {
		priv_srv_line("%s: descriptor is writable", path);
		return -EPX_E_PRIV_ANSWER;
	}
	while (total < PRIV_ASK_OUT_MAX && (r = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)r, stdout);
		total += (size_t)r;
	}
	priv_srv_line("%s: read-only descriptor, %zu bytes", path, total);
	return 0;
}

static int priv_ask(struct priv_args *a, int argc, char **argv)
{
	char line[PRIV_ASK_RAW_MAX + 1];
	int fd = -1, rc;

	if (a->raw && argc == 0 && strlen(a->raw) <= PRIV_ASK_RAW_MAX)
		snprintf(line, sizeof(line), "%s", a->raw);
	else if (!a->raw && argc == 2 && !strcmp(argv[0], "open") &&
		 strlen(argv[1]) < PRIV_PATH_MAX + 1)
		snprintf(line, sizeof(line), "open %s", argv[1]);
	else if (!a->raw && argc == 1 && !strcmp(argv[0], "sock_diag"))
		snprintf(line, sizeof(line), "sock_diag");
	else
		return priv_fail(-EPX_E_PRIV_USAGE, "ask: want open FILE, sock_diag or --raw LINE"),
		       CLI_USAGE;
	rc = privc_ask(a->o.sock_path, line, a->o.timeout_ms, &fd);
	if (rc == -EPX_E_PRIV_CONNECT)
		return priv_fail(rc, a->o.sock_path), CLI_UNREACHABLE;
	if (rc < 0)
		return priv_fail(rc, "ask"), CLI_FAIL;
	if (!a->raw && argc == 2)
		rc = priv_ask_file(fd, argv[1]);
	else if (!a->raw)
		rc = priv_diag_dump(fd, AF_INET) < 0 || priv_diag_dump(fd, AF_INET6) < 0 ?
		     -EPX_E_PRIV_NETLINK : 0;
	else
		priv_srv_line("granted a descriptor");
	close(fd);
	if (rc < 0)
		return priv_fail(rc, "ask"), CLI_FAIL;
	return CLI_OK;
}

int main(int argc, char **argv)
{
	static struct priv_args a;
	struct priv_grants *g;
	const char *cmd = argc > 1 ? argv[1] : "";
	int rc;

	a.o.mode = 0600;
	a.o.gid = -1;
	a.o.max_clients = 32;
	a.o.timeout_ms = 2000;
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		priv_usage(stdout);
		return CLI_OK;
	}
	if (strcmp(cmd, "serve") && strcmp(cmd, "check") && strcmp(cmd, "ask")) {
		priv_usage(stderr);
		return CLI_USAGE;
	}
	rc = priv_opts(&a, argc - 1, argv + 1);
	if (rc == 1) {
		priv_usage(stdout);
		return CLI_OK;
	}
	if (rc < 0) {
		priv_fail(rc, "arguments");
		priv_usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(cmd, "serve"))
		return optind + 1 == argc ? priv_serve(&a) : CLI_USAGE;
	if (!strcmp(cmd, "ask"))
		return a.o.sock_path ? priv_ask(&a, argc - 1 - optind, argv + 1 + optind) :
		       (priv_fail(-EPX_E_PRIV_USAGE, "ask needs --socket"), CLI_USAGE);
	g = calloc(1, sizeof(*g));
	if (!g || !a.grants)
		return free(g), CLI_USAGE;
	rc = priv_load(a.grants, g);
	if (rc == 0)
		printf("%s: %u slices, %u grants\n", a.grants, g->nslices, g->ngrants);
	free(g);
	return rc < 0 ? CLI_FAIL : CLI_OK;
}
