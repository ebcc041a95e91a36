/* Table test of epoxy-priv (node/priv/): the request parser, the path
 * rules (syntax, secrets, beneath), the grants file, the decision on real
 * files of a temporary directory (grants, refusals, symbolic links, FIFO,
 * the descriptor read-only) and the client's answer parser. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "node/priv/priv_grants.h"
#include "node/priv/priv_req.h"
#include "node/priv/priv_srv.h"
#include "node/priv/privc.h"
#include "tests/test.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define REQ (-EPX_E_PRIV_REQUEST)
#define BIG (-EPX_E_PRIV_TOOBIG)
#define PTH (-EPX_E_PRIV_PATH)
#define WRT (-EPX_E_PRIV_WRITE)

static const struct {
	const char *in;
	int rc;
	int op;
	const char *path;
} reqs[] = {
	{ "sock_diag\n", 0, PRIV_OP_SOCK_DIAG, "" },
	{ "open /proc/net/snmp\n", 0, PRIV_OP_OPEN, "/proc/net/snmp" },
	{ "open /proc/net/snmp ro\n", 0, PRIV_OP_OPEN, "/proc/net/snmp" },
	{ "open /a\n", 0, PRIV_OP_OPEN, "/a" },
	{ "open /a.b/c-d/e_f/0.9\n", 0, PRIV_OP_OPEN, "/a.b/c-d/e_f/0.9" },
	{ "open /...\n", 0, PRIV_OP_OPEN, "/..." },
	{ "open /a..b\n", 0, PRIV_OP_OPEN, "/a..b" },
	/* malformed */
	{ "", REQ, 0, NULL },
	{ "\n", REQ, 0, NULL },
	{ "sock_diag", REQ, 0, NULL },
	{ "sock_diag \n", REQ, 0, NULL },
	{ " sock_diag\n", REQ, 0, NULL },
	{ "SOCK_DIAG\n", REQ, 0, NULL },
	{ "sock_diag\r\n", REQ, 0, NULL },
	{ "sock_diag\nsock_diag\n", REQ, 0, NULL },
	{ "sock_diag\n\n", REQ, 0, NULL },
	{ "sock_diag x\n", REQ, 0, NULL },
	{ "open\n", REQ, 0, NULL },
	{ "open \n", REQ, 0, NULL },
	{ "open  /a\n", REQ, 0, NULL },
	{ "open /a\n ", REQ, 0, NULL },
	{ "open /a", REQ, 0, NULL },
	{ "open	/a\n", REQ, 0, NULL },
	{ "Open /a\n", REQ, 0, NULL },
	{ "openat /a\n", REQ, 0, NULL },
	{ "mount /a\n", REQ, 0, NULL },
	{ "open /a ro x\n", REQ, 0, NULL },
	{ "open /a ro \n", REQ, 0, NULL },
	{ "open /a  ro\n", REQ, 0, NULL },
	{ "open /a rx\n", REQ, 0, NULL },
	{ "open /a RO\n", REQ, 0, NULL },
	{ "open /a \n", REQ, 0, NULL },
	/* paths */
	{ "open a\n", PTH, 0, NULL },
	{ "open /\n", PTH, 0, NULL },
	{ "open //\n", PTH, 0, NULL },
	{ "open //a\n", PTH, 0, NULL },
	{ "open /a//b\n", PTH, 0, NULL },
	{ "open /a/\n", PTH, 0, NULL },
	{ "open /a/.\n", PTH, 0, NULL },
	{ "open /./a\n", PTH, 0, NULL },
	{ "open /a/..\n", PTH, 0, NULL },
	{ "open /a/../b\n", PTH, 0, NULL },
	{ "open /..\n", PTH, 0, NULL },
	{ "open /A\n", PTH, 0, NULL },
	{ "open /a b\n", REQ, 0, NULL },
	{ "open /a\x01\n", PTH, 0, NULL },
	{ "open /a\x7f\n", PTH, 0, NULL },
	{ "open /\xc3\xa9\n", PTH, 0, NULL },
	{ "open /a:b\n", PTH, 0, NULL },
	{ "open /a~\n", PTH, 0, NULL },
	{ "open /a*\n", PTH, 0, NULL },
	{ "open /a\\b\n", PTH, 0, NULL },
	{ "open ../a\n", PTH, 0, NULL },
	/* write attempts */
	{ "open /a rw\n", WRT, 0, NULL },
	{ "open /a w\n", WRT, 0, NULL },
	{ "open /a wo\n", WRT, 0, NULL },
	{ "open /a a\n", WRT, 0, NULL },
	{ "open /a append\n", WRT, 0, NULL },
	{ "open /a write\n", WRT, 0, NULL },
	{ "open /../a rw\n", PTH, 0, NULL },
};

static void test_reqs(void)
{
	char big[PRIV_REQ_MAX + 2], comp[80];
	struct priv_req r;
	size_t i;
	int rc;

	for (i = 0; i < N(reqs); i++) {
		memset(&r, 0x5a, sizeof(r));
		rc = priv_req_parse(reqs[i].in, strlen(reqs[i].in), &r);
		ok(rc == reqs[i].rc, "request %zu %.*s: rc %d, want %d", i,
		   (int)strcspn(reqs[i].in, "\n"), reqs[i].in, rc, reqs[i].rc);
		if (rc == 0)
			ok((int)r.op == reqs[i].op && !strcmp(r.path, reqs[i].path) &&
			   r.path_len == strlen(reqs[i].path), "request %zu: op and path", i);
		else
			ok(r.op == (enum priv_op)0x5a5a5a5a, "request %zu refused: *req untouched", i);
	}
	/* the caps: the line and the path */
	memset(big, 'a', sizeof(big));
	memcpy(big, "open /", 6);
	big[PRIV_REQ_MAX + 1] = '\n';
	ok(priv_req_parse(big, PRIV_REQ_MAX + 2, &r) == BIG, "request of PRIV_REQ_MAX+2 bytes: TOOBIG");
	ok(priv_req_parse(big, PRIV_REQ_MAX + 1, &r) == BIG, "request of PRIV_REQ_MAX+1 bytes: TOOBIG");
	big[PRIV_REQ_MAX - 1] = '\n';
	ok(priv_req_parse(big, PRIV_REQ_MAX, &r) == PTH, "a path over PRIV_PATH_MAX inside the line cap: PATH");
	/* a path of PRIV_PATH_MAX bytes in components of 50 */
	{
		char p[PRIV_PATH_MAX + 8];
		size_t k;

		for (k = 0; k < PRIV_PATH_MAX; k++)
			p[k] = k % 51 == 0 ? '/' : 'b';
		ok(priv_req_path(p, PRIV_PATH_MAX) == 0, "a path of PRIV_PATH_MAX bytes");
		p[PRIV_PATH_MAX] = 'b';
		ok(priv_req_path(p, PRIV_PATH_MAX + 1) == PTH, "a path of PRIV_PATH_MAX+1 bytes");
	}
	memset(comp, 'c', sizeof(comp));
	comp[0] = '/';
	ok(priv_req_path(comp, 65) == 0, "a component of 64 bytes");
	ok(priv_req_path(comp, 66) == PTH, "a component of 65 bytes");
	ok(priv_req_path(NULL, 0) == PTH, "an empty path");
}

static const struct {
	const char *path;
	int denied;
} denies[] = {
	{ "/run/epoxy", 1 }, { "/run/epoxy/handover", 1 }, { "/run/epoxy2", 0 },
	{ "/run/epoxy-x/a", 0 }, { "/run", 0 }, { "/etc/epoxy/ca.pem", 1 },
	{ "/var/lib/epoxy-nm/slivers.set", 1 }, { "/var/lib/epoxy-nmx", 0 },
	{ "/dev/mem", 1 }, { "/dev", 1 }, { "/devices", 0 }, { "/boot/x", 1 },
	{ "/root/.ssh", 1 }, { "/sys/firmware/efi/efivars/x", 1 },
	{ "/sys/class/net/lo/mtu", 0 }, { "/etc/ssh/ssh_host_ed25519_key", 1 },
	{ "/etc/shadow", 1 }, { "/etc/shadow-", 0 }, { "/etc/gshadow", 1 },
	{ "/proc/kcore", 1 }, { "/proc/kmsg", 1 }, { "/proc/self/environ", 1 },
	{ "/proc/thread-self/mem", 1 }, { "/proc/1/environ", 1 }, { "/proc/1", 1 },
	{ "/proc/12345/fd/3", 1 }, { "/proc/1x", 0 }, { "/proc/net/snmp", 0 },
	{ "/proc/loadavg", 0 }, { "/a/node.key", 1 }, { "/a/node.key/b", 1 },
	{ "/a/.key", 1 }, { "/a/key", 0 }, { "/a/keys.txt", 0 }, { "/a/b.keyx", 0 },
	{ "/a/my-private-dir/x", 1 }, { "/a/secrets", 1 }, { "/srv/data", 0 },
};

static void test_denied(void)
{
	size_t i;

	for (i = 0; i < N(denies); i++)
		ok(grant_denied(denies[i].path, strlen(denies[i].path)) == denies[i].denied,
		   "denied(%s) == %d", denies[i].path, denies[i].denied);
	ok(grant_beneath("/a", 2, "/a/b", 4), "/a/b beneath /a");
	ok(!grant_beneath("/a", 2, "/a", 2), "/a not beneath itself");
	ok(!grant_beneath("/a", 2, "/ab", 3), "/ab not beneath /a");
	ok(!grant_beneath("/a", 2, "/a/", 3), "/a/ not beneath /a (empty rest)");
	ok(!grant_beneath("/a/b", 4, "/a", 2), "/a not beneath /a/b");
}

static const struct {
	const char *text;
	int rc;
	unsigned line, slices, grants;
} files[] = {
	{ "", 0, 0, 0, 0 },
	{ "# nothing\n\n", 0, 0, 0, 0 },
	{ "slice a uid 5\n", 0, 0, 1, 0 },
	{ "slice a uid 5\ngrant a sock_diag\ngrant a file /x\ngrant a dir /y\n", 0, 0, 1, 3 },
	{ "slice a uid 5\nslice b.c-d_e uid 2147483647\ngrant b.c-d_e sock_diag\n", 0, 0, 2, 1 },
	{ "slice a uid 5", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice a uid 0\n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice a uid 2147483648\n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice a uid 05\n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice a uid -5\n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice a uid x\n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice a uid\n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice a gid 5\n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice A uid 5\n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice a uid 5 x\n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice  a uid 5\n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice a uid 5 \n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ " slice a uid 5\n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice a uid 5\r\n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice a uid 5\nslice a uid 6\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\nslice b uid 5\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "grant a sock_diag\n", -EPX_E_PRIV_GRANTS, 1, 0, 0 },
	{ "slice a uid 5\ngrant b sock_diag\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\ngrant a sock_diag\ngrant a sock_diag\n", -EPX_E_PRIV_GRANTS, 3, 0, 0 },
	{ "slice a uid 5\ngrant a file /x\ngrant a file /x\n", -EPX_E_PRIV_GRANTS, 3, 0, 0 },
	{ "slice a uid 5\ngrant a sock_diag x\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\ngrant a file\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\ngrant a file x\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\ngrant a file /x/\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\ngrant a dir /x/../y\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\ngrant a dir /run/epoxy\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\ngrant a dir /run/epoxy/x\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\ngrant a file /etc/epoxy/node.key\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\ngrant a file /x/y.key\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\ngrant a dir /dev\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\ngrant a mount /x\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\ngrant a exec /x\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\ngrant a\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\nallow a sock_diag\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
	{ "slice a uid 5\n#\nx\n", -EPX_E_PRIV_GRANTS, 3, 0, 0 },
	{ "slice a uid 5\nslice\n", -EPX_E_PRIV_GRANTS, 2, 0, 0 },
};

static struct priv_grants g;

static void test_grants(void)
{
	unsigned line;
	size_t i;
	char *big;
	int rc;

	for (i = 0; i < N(files); i++) {
		line = 99;
		rc = priv_grants_parse(&g, files[i].text, strlen(files[i].text), &line);
		ok(rc == files[i].rc && line == files[i].line, "grants %zu: rc %d line %u, want %d line %u",
		   i, rc, line, files[i].rc, files[i].line);
		if (rc == 0)
			ok(g.nslices == files[i].slices && g.ngrants == files[i].grants,
			   "grants %zu: %u slices %u grants", i, g.nslices, g.ngrants);
	}
	/* caps: slices and file bytes */
	big = malloc(PRIV_GRANTS_FILE_MAX + 64);
	if (!big)
		abort();
	{
		size_t off = 0;
		unsigned k;

		for (k = 0; k < PRIV_SLICES_MAX; k++)
			off += (size_t)sprintf(big + off, "slice s%u uid %u\n", k, k + 1);
		ok(priv_grants_parse(&g, big, off, &line) == 0 && g.nslices == PRIV_SLICES_MAX,
		   "PRIV_SLICES_MAX slices accepted");
		off += (size_t)sprintf(big + off, "slice s%u uid %u\n", k, k + 1);
		rc = priv_grants_parse(&g, big, off, &line);
		ok(rc == -EPX_E_PRIV_GRANTS && line == PRIV_SLICES_MAX + 1,
		   "PRIV_SLICES_MAX + 1 slices refused at the last line (%u)", line);
	}
	memset(big, '#', PRIV_GRANTS_FILE_MAX + 1);
	big[PRIV_GRANTS_FILE_MAX] = '\n';
	ok(priv_grants_parse(&g, big, PRIV_GRANTS_FILE_MAX + 1, &line) == -EPX_E_PRIV_GRANTS,
	   "a grants file over PRIV_GRANTS_FILE_MAX refused");
	big[PRIV_GRANTS_FILE_MAX - 1] = '\n';
	ok(priv_grants_parse(&g, big, PRIV_GRANTS_FILE_MAX, &line) == 0,
	   "a grants file of PRIV_GRANTS_FILE_MAX bytes of comment accepted");
	free(big);
}

/* the decision on real files: a temporary tree under /tmp */
static char dir[64];

static int mkfile(const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int decide_raw(uint32_t uid, const char *line, int *fd)
{
	struct priv_req r;
	int slice;

	*fd = -1;
	return priv_srv_decide(&g, uid, line, strlen(line), &r, &slice, fd);
}

/* "open DIR/REL[POST]\n" (REL NULL: DIR itself) */
static int decide(uint32_t uid, const char *rel, const char *post, int *fd)
{
	char line[512];

	snprintf(line, sizeof(line), "open %s%s%s%s\n", dir, rel ? "/" : "", rel ? rel : "", post);
	return decide_raw(uid, line, fd);
}

static void test_decide(void)
{
	char text[1024], p[256], buf[256];
	unsigned line;
	int fd, rc;
	ssize_t n;

	snprintf(dir, sizeof(dir), "/tmp/test-priv-%d", (int)getpid());
	snprintf(p, sizeof(p), "rm -rf %s && mkdir -p %s/pub/sub %s/out", dir, dir, dir);
	if (system(p) != 0)
		abort();
	ok(mkfile("pub/a.txt", "alpha\n") == 0 && mkfile("pub/sub/b.txt", "beta\n") == 0 &&
	   mkfile("out/c.txt", "gamma\n") == 0 && mkfile("pub/x.key", "k\n") == 0,
	   "test tree made in %s", dir);
	snprintf(p, sizeof(p), "%s/pub/link", dir);
	snprintf(buf, sizeof(buf), "%s/out/c.txt", dir);
	ok(symlink(buf, p) == 0, "symlink pub/link -> out/c.txt");
	snprintf(p, sizeof(p), "%s/pub/ldir", dir);
	snprintf(buf, sizeof(buf), "%s/out", dir);
	ok(symlink(buf, p) == 0, "symlink pub/ldir -> out");
	snprintf(p, sizeof(p), "%s/pub/fifo", dir);
	ok(mkfifo(p, 0600) == 0, "fifo pub/fifo");
	snprintf(text, sizeof(text),
		 "slice meas uid 1001\nslice web uid 1002\ngrant meas sock_diag\n"
		 "grant meas dir %s/pub\ngrant web file %s/pub/a.txt\ngrant web dir %s/pub/sub\n"
		 "grant web file %s/pub/ldir/c.txt\n",
		 dir, dir, dir, dir);
	ok(priv_grants_parse(&g, text, strlen(text), &line) == 0, "decision grants parse");

	rc = decide(1001, "pub/a.txt", "", &fd);
	n = rc == 0 ? read(fd, buf, sizeof(buf)) : -1;
	ok(rc == 0 && n == 6 && !memcmp(buf, "alpha\n", 6), "meas opens pub/a.txt and reads it");
	ok(rc == 0 && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY &&
	   (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	   "the descriptor is read-only, blocking, close-on-exec");
	ok(rc == 0 && write(fd, "x", 1) < 0, "a write through it fails");
	if (fd >= 0)
		close(fd);
	rc = decide(1001, "pub/sub/b.txt", " ro", &fd);
	ok(rc == 0 && fd >= 0, "meas opens pub/sub/b.txt (ro spelled out)");
	if (fd >= 0)
		close(fd);
	rc = decide(1002, "pub/a.txt", "", &fd);
	ok(rc == 0 && fd >= 0, "web opens its exact file");
	if (fd >= 0)
		close(fd);
	ok(decide(1002, "pub/link", "", &fd) == -EPX_E_PRIV_NOGRANT && fd < 0,
	   "web: a file of meas's dir: NOGRANT");
	ok(decide(1001, "out/c.txt", "", &fd) == -EPX_E_PRIV_NOGRANT && fd < 0,
	   "meas: a file outside: NOGRANT");
	ok(decide(1001, "pub", "", &fd) == -EPX_E_PRIV_NOGRANT, "meas: the dir itself: NOGRANT");
	ok(decide(1001, "pub/link", "", &fd) == -EPX_E_PRIV_SYMLINK && fd < 0,
	   "meas: a symlink: SYMLINK");
	ok(decide(1001, "pub/ldir/c.txt", "", &fd) == -EPX_E_PRIV_SYMLINK && fd < 0,
	   "meas: a linked dir on the way: SYMLINK");
	ok(decide(1002, "pub/ldir/c.txt", "", &fd) == -EPX_E_PRIV_SYMLINK && fd < 0,
	   "web: its granted file through a linked dir: SYMLINK");
	ok(decide(1001, "pub/../out/c.txt", "", &fd) == -EPX_E_PRIV_PATH, "meas: '..': PATH");
	ok(decide(1001, "pub/fifo", "", &fd) == -EPX_E_PRIV_NOTREG && fd < 0,
	   "meas: a FIFO: NOTREG, without blocking");
	ok(decide(1001, "pub/sub", "", &fd) == -EPX_E_PRIV_NOTREG && fd < 0,
	   "meas: a directory: NOTREG");
	ok(decide(1001, "pub/none", "", &fd) == -EPX_E_PRIV_OPEN, "meas: a missing file: OPEN");
	ok(decide(1001, "pub/x.key", "", &fd) == -EPX_E_PRIV_DENIED, "meas: a key: DENIED");
	ok(decide(1001, NULL, "", &fd) == -EPX_E_PRIV_NOGRANT, "meas: the tree's root: NOGRANT");
	ok(decide_raw(1001, "open /run/epoxy/handover\n", &fd) == -EPX_E_PRIV_DENIED,
	   "meas: /run/epoxy: DENIED");
	ok(decide(1001, "pub/a.txt", " rw", &fd) == -EPX_E_PRIV_WRITE, "meas: rw: WRITE");
	ok(decide(1003, "pub/a.txt", "", &fd) == -EPX_E_PRIV_NOSLICE, "uid 1003: NOSLICE");
	ok(decide(0, "pub/a.txt", "", &fd) == -EPX_E_PRIV_NOSLICE, "uid 0: NOSLICE");
	ok(decide_raw(1002, "sock_diag\n", &fd) == -EPX_E_PRIV_NOGRANT, "web: sock_diag: NOGRANT");
	ok(decide_raw(1003, "sock_diag\n", &fd) == -EPX_E_PRIV_NOSLICE, "uid 1003: sock_diag: NOSLICE");
	rc = decide_raw(1001, "sock_diag\n", &fd);
	ok(rc == 0 && fd >= 0, "meas: sock_diag: a socket");
	if (fd >= 0)
		close(fd);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	ok(system(p) == 0, "test tree removed");
}

static const struct {
	const char *in;
	int rc, code;
} answers[] = {
	{ "ok\n", 0, 0 },
	{ "refused EPOXY-E3208\n", 1, 3208 },
	{ "refused EPOXY-E1073\n", 1, 1073 },
	{ "refused EPOXY-E9999\n", 1, EPX_E_PRIV_REFUSED },
	{ "refused EPOXY-E0013\n", 1, EPX_E_PRIV_REFUSED },
	{ "ok", -EPX_E_PRIV_ANSWER, 0 },
	{ "ok\nok\n", -EPX_E_PRIV_ANSWER, 0 },
	{ "OK\n", -EPX_E_PRIV_ANSWER, 0 },
	{ "", -EPX_E_PRIV_ANSWER, 0 },
	{ "refused\n", -EPX_E_PRIV_ANSWER, 0 },
	{ "refused \n", -EPX_E_PRIV_ANSWER, 0 },
	{ "refused EPOXY-E3208", -EPX_E_PRIV_ANSWER, 0 },
	{ "refused EPOXY-E3208 \n", -EPX_E_PRIV_ANSWER, 0 },
	{ "refused EPOXY-E320\n", -EPX_E_PRIV_ANSWER, 0 },
	{ "refused EPOXY-E32080\n", -EPX_E_PRIV_ANSWER, 0 },
	{ "refused EPOXY-E0000\n", -EPX_E_PRIV_ANSWER, 0 },
	{ "refused E3208\n", -EPX_E_PRIV_ANSWER, 0 },
	{ "refused EPOXY-E3208\nx", -EPX_E_PRIV_ANSWER, 0 },
	{ "refused  EPOXY-E3208\n", -EPX_E_PRIV_ANSWER, 0 },
	{ "refused EPOXY-E3208000000000000000\n", -EPX_E_PRIV_ANSWER, 0 },
};

static void test_answers(void)
{
	size_t i;
	int code, rc;

	for (i = 0; i < N(answers); i++) {
		code = 0;
		rc = privc_answer_parse(answers[i].in, strlen(answers[i].in), &code);
		ok(rc == answers[i].rc && (rc != 1 || code == answers[i].code),
		   "answer %zu %.*s: rc %d code %d", i,
		   (int)strcspn(answers[i].in, "\n"), answers[i].in, rc, code);
	}
}

int main(void)
{
	test_reqs();
	test_denied();
	test_grants();
	test_decide();
	test_answers();
	return test_done();
}
