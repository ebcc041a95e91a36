/* test_pusher_conf: epoxy-pusher's experiment configuration parser
 * (node/pusher/pusher_conf.h) as tables: good files and what they yield
 * (defaults, per-experiment limits, datatypes, server and port), then many malformed files, each refused with its own code and the
 * line it broke on, leaving nothing behind; the caps (file, line, number
 * of experiments and datatypes); loading from a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "node/pusher/pusher_conf.h"
#include "tests/test.h"

static const struct pusher_limits def = { 20000000, 1800, 7200, 10000, 100000000 };

static const char *code(int rc)
{
	static char b[4][16];
	static int i;

	i = (i + 1) % 4;
	return rc == 0 ? "0" : epx_code(rc, b[i], sizeof(b[i]));
}

#define S "server https://archive.test\n"

static void t_good(void)
{
	static struct pusher_conf c;
	const struct pusher_conf_exp *e;
	const char *f =
		"# the pusher of node1\n"
		"server   https://archive.test:8443\n"
		"\n"
		"size 1000\n"
		"age-max 9000\n"
		"experiment ndt\n"
		"datatypes tcpinfo,ndt7,annotation\n"
		"max-files 5\n"
		"# a comment inside a block\n"
		"experiment wehe\n"
		"age-min 60\n"
		"age-max 120\n"
		"experiment x.y_z-1\n";
	unsigned line = 99;

	ok(pusher_conf_parse(&c, f, strlen(f), &def, &line) == 0 && line == 0, "a full file parses");
	ok(!strcmp(c.server, "archive.test") && c.port == 8443, "server and port (%s %u)", c.server,
	   c.port);
	ok(c.nexp == 3, "three experiments (%zu)", c.nexp);
	ok(c.lim.size == 1000 && c.lim.age_min == 1800 && c.lim.age_max == 9000 &&
	   c.lim.max_files == 10000, "the file's defaults over the command line's");
	e = pusher_conf_find(&c, "ndt");
	ok(e && e->ndatatypes == 3 && e->lim.max_files == 5 && e->lim.size == 1000 &&
	   e->lim.age_max == 9000, "ndt: its own max-files, the file's defaults");
	ok(e && pusher_conf_takes(e, "ndt7") && !pusher_conf_takes(e, "other"),
	   "ndt takes its datatypes only");
	e = pusher_conf_find(&c, "wehe");
	ok(e && e->lim.age_min == 60 && e->lim.age_max == 120 && e->ndatatypes == 0 &&
	   pusher_conf_takes(e, "anything"), "wehe: its own ages, any datatype");
	ok(pusher_conf_find(&c, "nosuch") == NULL, "an unknown experiment is not found");
	f = "server https://a.b\nexperiment e\n";
	ok(pusher_conf_parse(&c, f, strlen(f), &def, &line) == 0 && c.port == 443 &&
	   c.exp[0].lim.size == def.size && c.exp[0].lim.max_bytes == def.max_bytes,
	   "port 443 by default; limits from the command line");
	f = "server https://a.b\nexperiment e";
	ok(pusher_conf_parse(&c, f, strlen(f), &def, &line) == 0, "no newline at the end: taken");
	f = "server https://a.b\nexperiment e\nage-min 7200\n";
	ok(pusher_conf_parse(&c, f, strlen(f), &def, &line) == 0 && c.exp[0].lim.age_min == 7200,
	   "age-min equal to the default age-max: taken");
}

static void t_bad(void)
{
	static const struct { const char *name, *f; int rc; unsigned line; } t[] = {
		{ "empty file", "", -EPX_E_PU_CONF_MISSING, 0 },
		{ "only comments", "# x\n\n# y\n", -EPX_E_PU_CONF_MISSING, 0 },
		{ "no server", "experiment a\n", -EPX_E_PU_CONF_MISSING, 0 },
		{ "no experiment", S, -EPX_E_PU_CONF_MISSING, 0 },
		{ "unknown key", S "experiment a\nsizes 10\n", -EPX_E_PU_CONF_KEY, 3 },
		{ "dir: no such key", S "experiment a\ndir a\n", -EPX_E_PU_CONF_KEY, 3 },
		{ "a key of 62 bytes",
		  S "experiment a\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 1\n",
		  -EPX_E_PU_CONF_KEY, 3 },
		{ "the experiment of one block named again later",
		  S "experiment a\nexperiment b\nsize 5\nexperiment a\n", -EPX_E_PU_CONF_DUP, 5 },
		{ "experiment with nothing after the key", S "experiment\n", -EPX_E_PU_CONF_SYNTAX, 2 },
		{ "only a space", S " \nexperiment a\n", -EPX_E_PU_CONF_SYNTAX, 2 },
		{ "a datatype of 65 bytes",
		  S "experiment a\ndatatypes aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		  -EPX_E_PU_CONF_VALUE, 3 },
		{ "datatypes twice", S "experiment a\ndatatypes x\ndatatypes y\n", -EPX_E_PU_CONF_DUP, 4 },
		{ "key in capitals", S "experiment a\nSIZE 10\n", -EPX_E_PU_CONF_KEY, 3 },
		{ "server in a block", "experiment a\n" S, -EPX_E_PU_CONF_KEY, 2 },
		{ "datatypes at the top", S "datatypes a\nexperiment a\n", -EPX_E_PU_CONF_KEY, 2 },
		{ "a key with no value", S "experiment a\nsize\n", -EPX_E_PU_CONF_SYNTAX, 3 },
		{ "a key with a space only", S "experiment a\nsize \n", -EPX_E_PU_CONF_SYNTAX, 3 },
		{ "a trailing space", S "experiment a \n", -EPX_E_PU_CONF_SYNTAX, 2 },
		{ "a leading space", S " experiment a\n", -EPX_E_PU_CONF_SYNTAX, 2 },
		{ "a tab", S "experiment\ta\n", -EPX_E_PU_CONF_SYNTAX, 2 },
		{ "a carriage return", S "experiment a\r\n", -EPX_E_PU_CONF_SYNTAX, 2 },
		{ "a NUL byte", S "experiment a\0b\n", -EPX_E_PU_CONF_SYNTAX, 2 },
		{ "a high byte", S "experiment \xc3\xa9\n", -EPX_E_PU_CONF_SYNTAX, 2 },
		{ "server twice", S S "experiment a\n", -EPX_E_PU_CONF_DUP, 2 },
		{ "size twice at the top", S "size 1\nsize 2\nexperiment a\n", -EPX_E_PU_CONF_DUP, 3 },
		{ "size twice in a block", S "experiment a\nsize 1\nsize 2\n", -EPX_E_PU_CONF_DUP, 4 },
		{ "an experiment twice", S "experiment a\nexperiment a\n", -EPX_E_PU_CONF_DUP, 3 },
		{ "a datatype twice", S "experiment a\ndatatypes x,y,x\n", -EPX_E_PU_CONF_DUP, 3 },
		{ "http, not https", "server http://a.b\nexperiment a\n", -EPX_E_PU_CONF_VALUE, 1 },
		{ "no host", "server https://\nexperiment a\n", -EPX_E_PU_CONF_VALUE, 1 },
		{ "a path after the host", "server https://a.b/x\nexperiment a\n", -EPX_E_PU_CONF_VALUE, 1 },
		{ "port 0", "server https://a.b:0\nexperiment a\n", -EPX_E_PU_CONF_VALUE, 1 },
		{ "port 65536", "server https://a.b:65536\nexperiment a\n", -EPX_E_PU_CONF_VALUE, 1 },
		{ "an empty port", "server https://a.b:\nexperiment a\n", -EPX_E_PU_CONF_VALUE, 1 },
		{ "a port with a sign", "server https://a.b:+1\nexperiment a\n", -EPX_E_PU_CONF_VALUE, 1 },
		{ "a host with '_'", "server https://a_b\nexperiment a\n", -EPX_E_PU_CONF_VALUE, 1 },
		{ "an uppercase host", "server https://A.b\nexperiment a\n", -EPX_E_PU_CONF_VALUE, 1 },
		{ "user info", "server https://u@a.b\nexperiment a\n", -EPX_E_PU_CONF_VALUE, 1 },
		{ "an uppercase experiment", S "experiment A\n", -EPX_E_PU_CONF_VALUE, 2 },
		{ "a hidden experiment", S "experiment .a\n", -EPX_E_PU_CONF_VALUE, 2 },
		{ "an experiment '..'", S "experiment ..\n", -EPX_E_PU_CONF_VALUE, 2 },
		{ "an experiment with '/'", S "experiment a/b\n", -EPX_E_PU_CONF_VALUE, 2 },
		{ "an experiment with a space", S "experiment a b\n", -EPX_E_PU_CONF_VALUE, 2 },
		{ "an experiment of 65 bytes",
		  S "experiment aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		  -EPX_E_PU_CONF_VALUE, 2 },
		{ "an empty datatype", S "experiment a\ndatatypes x,,y\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "a trailing comma", S "experiment a\ndatatypes x,\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "a leading comma", S "experiment a\ndatatypes ,x\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "a hidden datatype", S "experiment a\ndatatypes .x\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "a datatype with '/'", S "experiment a\ndatatypes x/y\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "size 0", S "experiment a\nsize 0\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "size with a leading zero", S "experiment a\nsize 010\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "size negative", S "experiment a\nsize -1\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "size in hex", S "experiment a\nsize 0x10\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "size with a unit", S "experiment a\nsize 10M\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "size over 2^40", S "experiment a\nsize 1099511627777\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "size of 30 digits", S "experiment a\nsize 999999999999999999999999999999\n",
		  -EPX_E_PU_CONF_VALUE, 3 },
		{ "age-min over 30 days", S "experiment a\nage-min 2592001\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "max-files 0", S "experiment a\nmax-files 0\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "max-files over the cap", S "experiment a\nmax-files 100001\n", -EPX_E_PU_CONF_VALUE, 3 },
		{ "max-bytes 0", S "max-bytes 0\nexperiment a\n", -EPX_E_PU_CONF_VALUE, 2 },
		{ "age-min over age-max in a block", S "experiment a\nage-min 100\nage-max 50\n",
		  -EPX_E_PU_CONF_VALUE, 0 },
		{ "age-min over the default age-max", S "experiment a\nage-min 7201\n",
		  -EPX_E_PU_CONF_VALUE, 0 },
		{ "age-min over age-max at the top", S "age-min 9000\nage-max 8000\nexperiment a\n",
		  -EPX_E_PU_CONF_VALUE, 0 },
	};
	static struct pusher_conf c, zero;
	unsigned line;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len = strlen(t[i].f);
		int rc;

		if (!strcmp(t[i].name, "a NUL byte"))
			len = sizeof(S "experiment a\0b\n") - 1;
		memset(&c, 0x5a, sizeof(c));
		line = 12345;
		rc = pusher_conf_parse(&c, t[i].f, len, &def, &line);
		ok(rc == t[i].rc && line == t[i].line, "refused: %s: %s at line %u (want %s at %u)",
		   t[i].name, code(rc), line, code(t[i].rc), t[i].line);
		ok(!memcmp(&c, &zero, sizeof(c)), "...%s: nothing left in the result", t[i].name);
	}
}

static void t_caps(void)
{
	static struct pusher_conf c;
	char *big = malloc(PUSHER_CONF_FILE_MAX + 200), *p;
	unsigned line;
	size_t i;
	int rc;

	if (!big)
		abort();
	/* 64 experiments: the cap; 65: refused on the 65th */
	p = big + sprintf(big, S);
	for (i = 0; i < PUSHER_CONF_EXPS_MAX; i++)
		p += sprintf(p, "experiment e%zu\n", i);
	rc = pusher_conf_parse(&c, big, (size_t)(p - big), &def, &line);
	ok(rc == 0 && c.nexp == PUSHER_CONF_EXPS_MAX, "%d experiments: taken (%s)",
	   PUSHER_CONF_EXPS_MAX, code(rc));
	p += sprintf(p, "experiment one-more\n");
	rc = pusher_conf_parse(&c, big, (size_t)(p - big), &def, &line);
	ok(rc == -EPX_E_PU_CONF_TOOBIG && line == PUSHER_CONF_EXPS_MAX + 2,
	   "experiment %d: refused at its line (%s, line %u)", PUSHER_CONF_EXPS_MAX + 1, code(rc), line);
	/* 32 datatypes: the cap; 33: refused */
	p = big + sprintf(big, S "experiment a\ndatatypes d0");
	for (i = 1; i < PUSHER_CONF_DATATYPES_MAX; i++)
		p += sprintf(p, ",d%zu", i);
	rc = pusher_conf_parse(&c, big, (size_t)(p - big), &def, &line);
	ok(rc == 0 && c.exp[0].ndatatypes == PUSHER_CONF_DATATYPES_MAX, "%d datatypes: taken",
	   PUSHER_CONF_DATATYPES_MAX);
	p += sprintf(p, ",one-more");
	rc = pusher_conf_parse(&c, big, (size_t)(p - big), &def, &line);
	ok(rc == -EPX_E_PU_CONF_VALUE && line == 3, "datatype %d: refused (%s)",
	   PUSHER_CONF_DATATYPES_MAX + 1, code(rc));
	/* a comment line over the line cap; a file over the file cap */
	p = big + sprintf(big, S "experiment a\n#");
	memset(p, 'x', PUSHER_CONF_LINE_MAX);
	p[PUSHER_CONF_LINE_MAX] = '\n';
	rc = pusher_conf_parse(&c, big, (size_t)(p - big) + PUSHER_CONF_LINE_MAX + 1, &def, &line);
	ok(rc == -EPX_E_PU_CONF_TOOBIG && line == 3, "a line of %d bytes: refused (%s line %u)",
	   PUSHER_CONF_LINE_MAX + 1, code(rc), line);
	memset(big, '\n', PUSHER_CONF_FILE_MAX + 1);
	memcpy(big, S "experiment a\n", sizeof(S "experiment a\n") - 1);
	rc = pusher_conf_parse(&c, big, PUSHER_CONF_FILE_MAX, &def, &line);
	ok(rc == 0, "a file of exactly %d bytes: taken (%s)", PUSHER_CONF_FILE_MAX, code(rc));
	rc = pusher_conf_parse(&c, big, PUSHER_CONF_FILE_MAX + 1, &def, &line);
	ok(rc == -EPX_E_PU_CONF_TOOBIG && line == 0, "one byte more: refused (%s)", code(rc));
	free(big);
}

static void t_load(void)
{
	static struct pusher_conf c;
	char path[] = "/tmp/epoxy-pusher-conf-XXXXXX";
	const char *f = S "experiment a\n";
	unsigned line;
	int fd = mkstemp(path);

	ok(fd >= 0 && write(fd, f, strlen(f)) == (ssize_t)strlen(f), "a config file written");
	if (fd >= 0)
		close(fd);
	ok(pusher_conf_load(&c, path, &def, &line) == 0 && c.nexp == 1, "...loaded");
	unlink(path);
	ok(pusher_conf_load(&c, path, &def, &line) == -EPX_E_PU_CONF_FILE, "a missing file: E3312");
	ok(pusher_conf_load(&c, "/", &def, &line) == -EPX_E_PU_CONF_FILE, "a directory: E3312");
}

int main(void)
{
	t_good();
	t_bad();
	t_caps();
	t_load();
	return test_done();
}
