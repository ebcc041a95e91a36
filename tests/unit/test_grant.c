/* test_grant: table tests of lib/grant.h, the one spelling of a slice's
 * grants shared by epoxyd, the sliver set and epoxy-priv: one grant
 * (every kind, malformed paths, the node's secrets), a list (order,
 * duplicates, separators, the GRANT_MAX cap) and the edit epoxyd applies
 * (add, revoke, no change, refusals leaving nothing half done).  The path
 * and secret tables of epoxy-priv itself stay in test_priv. */
#include <string.h>

#include "lib/err.h"
#include "lib/grant.h"
#include "tests/test.h"

static const struct {
	const char *in;
	int want;
	enum grant_kind kind;
	const char *path;
} one[] = {
	{ "sock_diag", 0, GRANT_SOCK_DIAG, "" },
	{ "archive", 0, GRANT_ARCHIVE, "" },
	{ "archive ", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "ARCHIVE", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "archive:/run/epoxy/svc", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "archiv", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "archives", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:/etc/hostname", 0, GRANT_FILE, "/etc/hostname" },
	{ "dir:/var/log", 0, GRANT_DIR, "/var/log" },
	{ "dir:/proc/net", 0, GRANT_DIR, "/proc/net" },
	{ "file:/run/epoxy-priv/x", 0, GRANT_FILE, "/run/epoxy-priv/x" },
	{ "", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "sock_diag ", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "SOCK_DIAG", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "sock_diag:/x", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:/", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:etc/hostname", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:/etc/", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file://etc", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:/etc/./x", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:/etc/../run/epoxy", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:/Etc/x", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:/etc/a b", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:/etc/a,b", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:/etc/x\n", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "File:/etc/x", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "dir /var/log", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "raw_socket", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:/run/epoxy", -EPX_E_SLICE_SECRET, 0, NULL },
	{ "file:/run/epoxy/node.key", -EPX_E_SLICE_SECRET, 0, NULL },
	{ "dir:/etc/epoxy", -EPX_E_SLICE_SECRET, 0, NULL },
	{ "dir:/var/lib/epoxy", -EPX_E_SLICE_SECRET, 0, NULL },
	{ "dir:/var/lib/epoxy/slivers/web/out", -EPX_E_SLICE_SECRET, 0, NULL },
	{ "dir:/var/lib/epoxy-nm", -EPX_E_SLICE_SECRET, 0, NULL },
	{ "file:/dev/mem", -EPX_E_SLICE_SECRET, 0, NULL },
	{ "file:/proc/1/environ", -EPX_E_SLICE_SECRET, 0, NULL },
	{ "file:/proc/self/mem", -EPX_E_SLICE_SECRET, 0, NULL },
	{ "file:/srv/tls/server.key", -EPX_E_SLICE_SECRET, 0, NULL },
	{ "dir:/srv/private-data", -EPX_E_SLICE_SECRET, 0, NULL },
	{ "file:/etc/shadow", -EPX_E_SLICE_SECRET, 0, NULL },
	{ "file:/run/epoxy2", 0, GRANT_FILE, "/run/epoxy2" },
	{ "file:/var/lib/epoxyx", 0, GRANT_FILE, "/var/lib/epoxyx" },
	/* malformed: a bare name's prefix, extension or neighbour, a kind
	 * prefix with no path or twice, bytes around a name */
	{ "s", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "a", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "sock", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "sock_diagx", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "sarchive", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "asock_diag", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "archivesock_diag", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "sock_diag\n", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "archive\t", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "\tarchive", -EPX_E_SLICE_GRANT, 0, NULL },
	{ ":archive", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "archive:", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "sock_diag:", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "dir", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "dir:", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "dir:/", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "dir:dir:/a", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:file:/a", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "dir:file:/a", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file:sock_diag", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "dir:archive", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "files:/a", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "dirs:/a", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "DIR:/a", -EPX_E_SLICE_GRANT, 0, NULL },
	{ "file;/a", -EPX_E_SLICE_GRANT, 0, NULL },
};

static const struct {
	const char *in;
	int want;
	size_t n;
} lists[] = {
	{ "", 0, 0 },
	{ "sock_diag", 0, 1 },
	{ "archive sock_diag", 0, 2 },
	{ "archive dir:/var/log sock_diag", 0, 3 },
	{ "sock_diag archive", -EPX_E_SLICE_GRANT, 0 },
	{ "archive archive", -EPX_E_SLICE_GRANT, 0 },
	{ "dir:/var/log file:/etc/hostname sock_diag", 0, 3 },
	{ "file:/a file:/a/b", 0, 2 },
	{ "file:/a/b file:/a", -EPX_E_SLICE_GRANT, 0 },
	{ "sock_diag file:/a", -EPX_E_SLICE_GRANT, 0 },
	{ "sock_diag sock_diag", -EPX_E_SLICE_GRANT, 0 },
	{ "file:/a  file:/b", -EPX_E_SLICE_GRANT, 0 },
	{ " sock_diag", -EPX_E_SLICE_GRANT, 0 },
	{ "sock_diag ", -EPX_E_SLICE_GRANT, 0 },
	{ "file:/a,file:/b", -EPX_E_SLICE_GRANT, 0 },
	{ "file:/a file:/run/epoxy/x", -EPX_E_SLICE_SECRET, 0 },
	{ "file:/a file:/b file:/c file:/d file:/e file:/f file:/g file:/h", 0, 8 },
	{ "file:/a file:/b file:/c file:/d file:/e file:/f file:/g file:/h file:/i",
	  -EPX_E_SLICE_GRANT, 0 },
};

static const struct {
	const char *cur, *add, *del;
	int want;
	const char *out;
} edits[] = {
	{ "", "sock_diag", NULL, 0, "sock_diag" },
	{ "sock_diag", "archive", NULL, 0, "archive sock_diag" },
	{ "archive sock_diag", NULL, "archive", 0, "sock_diag" },
	{ "sock_diag", NULL, "archive", -EPX_E_SLICE_NOGRANT, NULL },
	{ "", NULL, NULL, 0, "" },
	{ "sock_diag", "sock_diag", NULL, 0, "sock_diag" },
	{ "sock_diag", "file:/b,file:/a", NULL, 0, "file:/a file:/b sock_diag" },
	{ "sock_diag", "file:/b file:/a", NULL, 0, "file:/a file:/b sock_diag" },
	{ "sock_diag", "file:/a,file:/a", NULL, 0, "file:/a sock_diag" },
	{ "file:/a sock_diag", NULL, "sock_diag", 0, "file:/a" },
	{ "file:/a sock_diag", "dir:/x", "file:/a", 0, "dir:/x sock_diag" },
	{ "file:/a sock_diag", "file:/a", "file:/a", 0, "sock_diag" },
	{ "sock_diag", NULL, "file:/a", -EPX_E_SLICE_NOGRANT, NULL },
	{ "", NULL, "sock_diag", -EPX_E_SLICE_NOGRANT, NULL },
	{ "sock_diag", "file:/run/epoxy/x", NULL, -EPX_E_SLICE_SECRET, NULL },
	{ "sock_diag", "file:/a,", NULL, -EPX_E_SLICE_GRANT, NULL },
	{ "sock_diag", ",file:/a", NULL, -EPX_E_SLICE_GRANT, NULL },
	{ "sock_diag", "file:/a,,file:/b", NULL, -EPX_E_SLICE_GRANT, NULL },
	{ "sock_diag", "", NULL, 0, "sock_diag" },
	{ "sock_diag", NULL, "nonsense", -EPX_E_SLICE_GRANT, NULL },
	{ "not canonical", "sock_diag", NULL, -EPX_E_SLICE_GRANT, NULL },
	{ "file:/a file:/b file:/c file:/d file:/e file:/f file:/g", "file:/h", NULL, 0,
	  "file:/a file:/b file:/c file:/d file:/e file:/f file:/g file:/h" },
	{ "file:/a file:/b file:/c file:/d file:/e file:/f file:/g file:/h", "file:/i", NULL,
	  -EPX_E_SLICE_GRANTS, NULL },
	{ "file:/a file:/b file:/c file:/d file:/e file:/f file:/g file:/h", "file:/i", "file:/a",
	  0, "file:/b file:/c file:/d file:/e file:/f file:/g file:/h file:/i" },
};

int main(void)
{
	struct grant g, gl[GRANT_MAX];
	char out[GRANT_LIST_MAX + 1], f[GRANT_SPEC_MAX + 1];
	size_t i, n;
	int rc;

	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		rc = grant_parse(one[i].in, strlen(one[i].in), &g);
		ok(rc == one[i].want, "grant '%s': %d want %d", one[i].in, rc, one[i].want);
		if (rc == 0) {
			grant_format(&g, f, sizeof(f));
			ok(g.kind == one[i].kind && !strcmp(g.path, one[i].path) &&
			   !strcmp(f, one[i].in), "grant '%s': kind, path and one spelling ('%s')",
			   one[i].in, f);
		}
	}
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		rc = grant_list_parse(lists[i].in, strlen(lists[i].in), gl, &n);
		ok(rc == lists[i].want && (rc || n == lists[i].n), "list '%s': %d (%zu) want %d (%zu)",
		   lists[i].in, rc, n, lists[i].want, lists[i].n);
	}
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		strcpy(out, "untouched");
		rc = grant_list_edit(edits[i].cur, edits[i].add, edits[i].del, out, sizeof(out));
		ok(rc == edits[i].want && (rc || !strcmp(out, edits[i].out)),
		   "edit '%s' +'%s' -'%s': %d '%s'", edits[i].cur, edits[i].add ? edits[i].add : "-",
		   edits[i].del ? edits[i].del : "-", rc, rc ? "" : out);
	}
	/* exactly s[0..n): a bare name cut short, or followed by bytes
	 * outside n, and a NUL inside n */
	ok(grant_parse("sock_diag", 4, &g) == -EPX_E_SLICE_GRANT &&
	   grant_parse("archive", 6, &g) == -EPX_E_SLICE_GRANT &&
	   grant_parse("archive", 0, &g) == -EPX_E_SLICE_GRANT &&
	   grant_parse("sock_diag\0", 10, &g) == -EPX_E_SLICE_GRANT &&
	   grant_parse("file:/a\0", 8, &g) == -EPX_E_SLICE_GRANT,
	   "grant: a name cut short, empty or with a NUL inside n is refused");
	ok(grant_parse("archive sock_diag", 7, &g) == 0 && g.kind == GRANT_ARCHIVE &&
	   grant_parse("sock_diag archive", 9, &g) == 0 && g.kind == GRANT_SOCK_DIAG &&
	   grant_parse("file:/a file:/b", 7, &g) == 0 && g.kind == GRANT_FILE &&
	   !strcmp(g.path, "/a"), "grant: bytes after n are not read");
	ok(grant_list_edit("sock_diag", "file:/a", NULL, out, 8) == -EPX_E_SLICE_GRANTS,
	   "edit into a buffer too small: refused");
	ok(grant_beneath("/a", 2, "/a/b", 4) && !grant_beneath("/a", 2, "/ab", 3) &&
	   !grant_beneath("/a", 2, "/a", 2), "beneath: by whole components, strictly");
	return test_done();
}
