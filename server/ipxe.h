/* ipxe: renders the secret-free iPXE scripts of the firmware leg.
 *
 * Injection-proof by construction: every value that is not a compile-time
 * constant goes through ipxe_escape(), that is lib/pct.h's encoder: its
 * output alphabet is RFC 3986's unreserved [A-Za-z0-9._~-] plus "%XX"
 * escapes, none of which is special to iPXE (no
 * space, newline, '$', '{', '}', '#', ':', '|', '&', quote or backslash).
 * So no host name, MAC, serial or other collected field can end a line,
 * start a command, expand a setting or add an argument: the command words of
 * a rendered script are those of its template, whatever the data.  The
 * boot URL and the stage1 command line come from the operator's config and
 * boot_dir; they are checked against a stricter alphabet and refused
 * (-EPX_E_IPXE_FIELD), never escaped into something else.  fuzz_ipxe checks
 * the property on arbitrary input. */
#ifndef EPOXY_IPXE_H
#define EPOXY_IPXE_H

#include <stddef.h>

#define IPXE_VALUE_MAX 128          /* raw bytes of one rendered value */
#define IPXE_CMDLINE_MAX 1024       /* stage1 cmdline for the BIOS path */
#define IPXE_SCRIPT_MAX 8192

struct ipxe_stage1 {
	const char *boot_url;       /* "http://10.0.2.100:8080" */
	const char *host;           /* registered host name, or NULL */
	const char *mac;            /* as sent by iPXE */
	const char *uuid;
	const char *serial;
	const char *platform;       /* "efi" or "pcbios"; else efi */
	const char *buildarch;
	const char *cmdline;        /* boot_dir/stage1/cmdline (BIOS only) */
	unsigned retry_s;           /* per-host jittered retry delay */
	unsigned tries;             /* attempts before giving up (reboot) */
};

/* Escapes len bytes of in (len <= IPXE_VALUE_MAX) into out (cap bytes)
 * with pct_encode (lib/pct.h).  Returns the length or -EPX_E_IPXE_FIELD
 * (too long) / -EPX_E_CODEC_SPACE. */
int ipxe_escape(const char *in, size_t len, char *out, size_t cap);
/* 1 if s is a plain http:// base URL (host[:port], no path), else 0. */
int ipxe_url_ok(const char *s);
/* 1 if s is an acceptable kernel command line for the BIOS path. */
int ipxe_cmdline_ok(const char *s, size_t len);

/* The fixed stage0 script for iPXE (chains stage1.ipxe with iPXE's own
 * settings).  Returns the length or a negative code. */
int ipxe_render_stage0(const char *boot_url, char *out, size_t cap);
/* The per-host stage1 script.  Returns the length or a negative code. */
int ipxe_render_stage1(const struct ipxe_stage1 *p, char *out, size_t cap);

#endif
