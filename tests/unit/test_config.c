/* test_config: the config parser and checker (server/config.c) against a
 * table of good and malformed files, -o overrides and cross-field rules. */
#include <stdlib.h>
#include <string.h>

#include "epoxy_config.h"
#include "lib/err.h"
#include "server/config.h"
#include "tests/test.h"

static const struct {
	const char *text;
	int want;
	unsigned line;
} parse_cases[] = {
	{ "", 0, 0 },
	{ "# comment only\n\n   \n", 0, 0 },
	{ "https_port 9443\n", 0, 0 },
	{ "https_port    9443   \n", 0, 0 },
	{ "https_port 9443 # the TLS port\n", 0, 0 },
	{ "https_port 9443# no blank before it: part of the value\n", -EPX_E_CFG_VALUE, 1 },
	{ "https_port # only a comment\n", -EPX_E_CFG_SYNTAX, 1 },
	{ "\thttps_port\t9443\n", 0, 0 },
	{ "https_port 9443", 0, 0 },
	{ "https_port 65535\n", 0, 0 },
	{ "https_port 65536\n", -EPX_E_CFG_VALUE, 1 },
	{ "https_port -1\n", -EPX_E_CFG_VALUE, 1 },
	{ "https_port 12a\n", -EPX_E_CFG_VALUE, 1 },
	{ "https_port 99999999999999999999999\n", -EPX_E_CFG_VALUE, 1 },
	{ "https_port\n", -EPX_E_CFG_SYNTAX, 1 },
	{ "https_port \n", -EPX_E_CFG_SYNTAX, 1 },
	{ "# x\nhttps_porrt 1\n", -EPX_E_CFG_UNKNOWN, 2 },
	{ "https_port 1\nhttps_port 2\n", -EPX_E_CFG_DUP, 2 },
	{ "store /var/lib/epoxy/epoxy.db\n", 0, 0 },
	{ "store postgres:host=/tmp port=5432\n", 0, 0 },
	{ "store a\x01b\n", -EPX_E_CFG_VALUE, 1 },
	{ "token_ttl 9\n", -EPX_E_CFG_VALUE, 1 },
	{ "token_ttl 10\n", 0, 0 },
	{ "threads 0\n", -EPX_E_CFG_VALUE, 1 },
	{ "threads 65\n", -EPX_E_CFG_VALUE, 1 },
	{ "joincred builtin\n", 0, 0 },
	{ "joincred command\n", 0, 0 },
	{ "joincred url\n", 0, 0 },
	{ "joincred magic\n", -EPX_E_CFG_VALUE, 1 },
	{ "joincred_command /usr/bin/kubeadm token create\n", 0, 0 },
	{ "joincred_command kubeadm token create\n", -EPX_E_CFG_VALUE, 1 },
	{ "joincred_command /a 1 2 3 4 5 6 7 8\n", -EPX_E_CFG_VALUE, 1 },
	{ "clock_offset -400\n", 0, 0 },
	{ "clock_offset 400\n", 0, 0 },
	{ "clock_offset --4\n", -EPX_E_CFG_VALUE, 1 },
	{ "clock_offset -\n", -EPX_E_CFG_VALUE, 1 },
	{ "admin_upload_max 1099511627777\n", -EPX_E_CFG_VALUE, 1 },
	{ "user epoxy\n", 0, 0 },
	{ "a\0b 1\n", -EPX_E_CFG_SYNTAX, 1 },
};

static void test_parse(void)
{
	struct config c;
	unsigned line;
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		size_t len = strlen(parse_cases[i].text);
		int rc;

		if (i == sizeof(parse_cases) / sizeof(parse_cases[0]) - 1)
			len = 7;   /* the NUL case */
		config_defaults(&c);
		rc = config_parse(&c, parse_cases[i].text, len, &line);
		ok(rc == parse_cases[i].want && (rc == 0 || line == parse_cases[i].line),
		   "config case %zu -> %d line %u", i, rc, line);
	}
	config_defaults(&c);
	config_parse(&c, "https_port 9443\njoincred_command /bin/echo a  b\n", 47, &line);
	ok(c.https_port == 9443 && c.joincred_nargs == 3 && !strcmp(c.joincred_cmd[2], "b"),
	   "values land in their fields");
	config_defaults(&c);
	ok(config_parse(&c, "store sqlite:/a#b # comment\n", 28, &line) == 0 &&
	   !strcmp(c.store, "sqlite:/a#b"), "'#' inside a value kept, trailing comment cut");
	{
		char *big = malloc(CONFIG_FILE_MAX + 2);

		memset(big, '#', CONFIG_FILE_MAX + 1);
		ok(config_parse(&c, big, CONFIG_FILE_MAX + 1, &line) == -EPX_E_CFG_FILE, "file over cap");
		memset(big, ' ', CONFIG_LINE_MAX + 1);
		ok(config_parse(&c, big, CONFIG_LINE_MAX + 1, &line) == -EPX_E_CFG_SYNTAX, "line over cap");
		free(big);
	}
	ok(config_load(&c, "/nonexistent/epoxyd.conf", &line) == -EPX_E_CFG_FILE, "missing file");
}

static void test_set_check(void)
{
	struct config c;
	const char *what;

	config_defaults(&c);
	ok(config_set(&c, "https_port=1") == 0 && c.https_port == 1, "-o sets");
	ok(config_set(&c, "nope=1") == -EPX_E_CFG_UNKNOWN, "-o unknown key");
	ok(config_set(&c, "https_port") == -EPX_E_CFG_SYNTAX, "-o without =");
	ok(config_set(&c, "=1") == -EPX_E_CFG_SYNTAX, "-o without key");
	ok(config_set(&c, "https_port=") == -EPX_E_CFG_VALUE, "-o empty value");
	config_defaults(&c);
	ok(config_check(&c, &what) == -EPX_E_CFG_VALUE && !strcmp(what, "tls_cert"),
	   "defaults need a TLS certificate");
	config_set(&c, "tls_cert=/c");
	ok(config_check(&c, &what) < 0 && !strcmp(what, "tls_key"), "and a key");
	config_set(&c, "tls_key=/k");
	ok(config_check(&c, &what) < 0 && !strcmp(what, "online_key"), "and the online key");
	config_set(&c, "online_key=/o");
	ok(config_check(&c, &what) == 0, "complete config passes");
	config_set(&c, "http_port=8443");
	ok(config_check(&c, &what) < 0 && !strcmp(what, "http_port"), "same port twice");
	config_set(&c, "http_port=8080");
	config_set(&c, "retry_min=100");
	ok(config_check(&c, &what) < 0 && !strcmp(what, "retry_min"), "retry_min > retry_max");
	config_set(&c, "retry_min=5");
	config_set(&c, "session_max_age=1000");
	ok(config_check(&c, &what) < 0 && !strcmp(what, "session_max_age"),
	   "session_max_age shorter than the token lifetimes");
	config_set(&c, "session_max_age=2100");
	ok(config_check(&c, &what) == 0, "session_max_age = long_token_ttl + token_ttl");
	ok(config_set(&c, "session_max_age=59") < 0, "session_max_age below its range");
	ok(config_set(&c, "housekeeping_interval=0") == 0 && c.housekeeping_interval == 0,
	   "housekeeping off");
	ok(config_set(&c, "housekeeping_interval=86401") < 0, "housekeeping_interval above its range");
	ok(config_set(&c, "token_retention=30") < 0, "token_retention below its range");
	config_set(&c, "boot_url=http://a/b");
	ok(config_check(&c, &what) < 0 && !strcmp(what, "boot_url"), "boot_url with a path");
	config_set(&c, "boot_url=http://10.0.2.100:8080");
	config_set(&c, "joincred=command");
	ok(config_check(&c, &what) < 0 && !strcmp(what, "joincred_command"), "command without joincred_command");
	config_set(&c, "joincred=url");
	ok(config_check(&c, &what) < 0 && !strcmp(what, "joincred_url"), "url without joincred_url");
	config_set(&c, "joincred_url=https://k8s.example/token");
	ok(config_check(&c, &what) == 0, "url plug-in configured");
	config_set(&c, "data_dir=relative");
	ok(config_check(&c, &what) < 0 && !strcmp(what, "data_dir"), "relative data_dir");
}

/* the archive's S3 backend: every key checked, each failure named */
static const struct {
	const char *set, *what;
} s3_cases[] = {
	{ "archive_backend=s4", "archive_backend" },
	{ "archive_backend=s3", "s3_endpoint" },
	{ "s3_endpoint=ftp://127.0.0.1:8080", "s3_endpoint" },
	{ "s3_endpoint=http://127.0.0.1:8080/bucket", "s3_endpoint" },
	{ "s3_endpoint=http://", "s3_endpoint" },
	{ "s3_endpoint=http://127.0.0.1:8080", "s3_bucket" },
	{ "s3_bucket=ab", "s3_bucket" },
	{ "s3_bucket=Archive", "s3_bucket" },
	{ "s3_bucket=-archive", "s3_bucket" },
	{ "s3_bucket=arch_ive", "s3_bucket" },
	{ "s3_bucket=epoxy-archive", "s3_access_key_file" },
	{ "s3_region=us/east", "s3_region" },
	{ "s3_region=us-east-1", "s3_access_key_file" },
	{ "s3_access_key_file=relative", "s3_access_key_file" },
	{ "s3_access_key_file=/etc/epoxy/s3.access", "s3_secret_key_file" },
	{ "s3_secret_key_file=s3.secret", "s3_secret_key_file" },
	{ "s3_secret_key_file=/etc/epoxy/s3.secret", NULL },
	{ "s3_endpoint=https://s3.example.net", NULL },
	{ "s3_node_endpoint=http://archive.example.net", "s3_node_endpoint" },
	{ "s3_node_endpoint=https://archive.example.net/x", "s3_node_endpoint" },
	{ "s3_node_endpoint=https://", "s3_node_endpoint" },
	{ "s3_node_endpoint=https://archive.example.net:8443", NULL },
	{ "s3_public_endpoint=ftp://data.example.net", "s3_public_endpoint" },
	{ "s3_public_endpoint=https://data.example.net/public", "s3_public_endpoint" },
	{ "s3_public_endpoint=http://", "s3_public_endpoint" },
	{ "s3_public_endpoint=https://data.example.net:8443", NULL },
	{ "s3_public_endpoint=http://data.example.net", NULL },
	{ "archive_backend=local", NULL },
};

static void test_s3(void)
{
	struct config c;
	const char *what;
	size_t i;

	config_defaults(&c);
	config_set(&c, "tls_cert=/c");
	config_set(&c, "tls_key=/k");
	config_set(&c, "online_key=/o");
	ok(!strcmp(c.archive_backend, "local") && c.s3_url_ttl == 300 &&
	   !strcmp(c.s3_region, "us-east-1"), "s3: defaults local, 300 s, us-east-1");
	for (i = 0; i < sizeof(s3_cases) / sizeof(s3_cases[0]); i++) {
		int rc;

		ok(config_set(&c, s3_cases[i].set) == 0, "s3: -o %s", s3_cases[i].set);
		rc = config_check(&c, &what);
		ok(s3_cases[i].what ? rc == -EPX_E_CFG_VALUE && what &&
		   !strcmp(what, s3_cases[i].what) : rc == 0,
		   "s3: after %s the check names %s (%s)", s3_cases[i].set,
		   s3_cases[i].what ? s3_cases[i].what : "nothing", what ? what : "nothing");
	}
	ok(config_set(&c, "s3_url_ttl=9") < 0, "s3: s3_url_ttl below 10 s");
	ok(config_set(&c, "s3_url_ttl=3601") < 0, "s3: s3_url_ttl above an hour");
	ok(config_set(&c, "s3_url_ttl=10") == 0 && c.s3_url_ttl == 10, "s3: s3_url_ttl 10");
}

/* boot_path_default: the compiled default (Kconfig BOOT_PATH_DIRECT), and
 * nothing but direct or ipxe */
static void test_boot_path(void)
{
	static const char *const bad[] = { "pxe", "", "directx", "DIRECT", "ipxe ", "direct\tx" };
	struct config c;
	const char *what;
	char set[64];
	size_t i;

	config_defaults(&c);
	config_set(&c, "tls_cert=/c");
	config_set(&c, "tls_key=/k");
	config_set(&c, "online_key=/o");
	ok(!strcmp(c.boot_path_default, ENABLE_BOOT_PATH_DIRECT ? "direct" : "ipxe"),
	   "boot_path_default: %s, from Kconfig", c.boot_path_default);
	ok(config_check(&c, &what) == 0, "boot_path_default: the default passes the check");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(set, sizeof(set), "boot_path_default=%s", bad[i]);
		what = NULL;
		ok((config_set(&c, set) < 0 || (config_check(&c, &what) < 0 && what &&
		    !strcmp(what, "boot_path_default"))), "boot_path_default '%s' refused", bad[i]);
	}
	ok(config_set(&c, "boot_path_default=ipxe") == 0 && config_check(&c, &what) == 0 &&
	   !strcmp(c.boot_path_default, "ipxe"), "boot_path_default ipxe");
	ok(config_set(&c, "boot_path_default=direct") == 0 && config_check(&c, &what) == 0 &&
	   !strcmp(c.boot_path_default, "direct"), "boot_path_default direct");
	ok(config_set(&c, "boot_path_default=directdirect") < 0 ||
	   config_check(&c, &what) < 0, "boot_path_default longer than its buffer refused");
}

int main(void)
{
	test_parse();
	test_boot_path();
	test_set_check();
	test_s3();
	return test_done();
}
