/* bootcred: where the boot credential is read, used and wiped.
 *
 * A UEFI node always uses its firmware credential; only a node with no
 * variable store at all (or --token-medium) looks for a token medium; a
 * --token-file replaces the secret but keeps the host of either.  The
 * secret goes into the session request as 64 lowercase hex digits and
 * nowhere else: never printed, every temporary buffer wiped. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/form.h"
#include "lib/hex.h"
#include "lib/nodeproto.h"
#include "stage2/agent.h"
#include "stage2/bootcred.h"
#include "stage2/con.h"
#include "stage2/efivar.h"
#include "stage2/media.h"
#include "stage2/verify.h"

/* 64 lowercase hex digits, at most one trailing newline. */
static int bootcred_token_file(struct bootcred *bc, const char *path)
{
	char buf[BOOTCRED_FILE_MAX];
	long n = verify_slurp(path, buf, sizeof(buf));
	int rc = -EPX_E_EFIVAR_SYNTAX;

	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n == 2 * BOOTCRED_LEN &&
	    hex_decode(buf, (size_t)n, bc->credential, BOOTCRED_LEN) == 0) {
		bc->is_token = 1;
		rc = 0;
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* Legacy BIOS: the file of --token-medium, or the first sector of every
 * disk (stage2/media.h). */
static int bootcred_medium(struct bootcred *bc, const struct agent_opts *o)
{
	char dev[MEDIA_NAME_MAX + 1] = "";
	int rc;

	if (o->token_medium) {
		snprintf(dev, sizeof(dev), "%s", "--token-medium");
		rc = media_read(bc, o->token_medium, o->cl.host);
	} else {
		con_info("no UEFI variable store (legacy BIOS): looking for a token medium on the disks");
		rc = media_scan(bc, o->sysblock, o->devdir, o->cl.host,
				o->media_wait_ms, dev, sizeof(dev));
	}
	if (rc == -EPX_E_EFIVAR_MISSING)
		return con_fail(rc, "no token medium on any disk of %s after %u s; "
				"write one with 'epoxyctl token issue HOST --media FILE', "
				"dd it to a disk or USB stick and attach it",
				o->sysblock, o->media_wait_ms / 1000);
	if (rc < 0)
		return con_fail(rc, "token medium %s%s%s", o->token_medium ? o->token_medium : dev,
				o->cl.host[0] ? ", epoxy.host=" : "", o->cl.host);
	bc->is_token = 1;
	con_stage("medium", "one-time boot token for host %s on %s", bc->host,
		  o->token_medium ? o->token_medium : dev);
	return 0;
}

int bootcred_load(struct bootcred *bc, const struct agent_opts *o)
{
	int rc = -EPX_E_EFIVAR_MISSING;

	memset(bc, 0, sizeof(*bc));
	rc = efivar_read(bc, o->efivars);
	if (rc == -EPX_E_EFIVAR_MISSING &&
	    (o->token_medium || access(o->efivars, F_OK) != 0))
		rc = bootcred_medium(bc, o);
	else if (rc < 0)
		rc = con_fail(rc, "%s/%s", o->efivars, EFIVAR_NAME);
	if (rc < 0)
		goto fail;
	if (o->token_file && (rc = bootcred_token_file(bc, o->token_file)) < 0) {
		con_fail(rc, "token file %s: want 64 hex digits", o->token_file);
		goto fail;
	}
	return 0;
fail:
	bootcred_wipe(bc);
	return rc;
}

const char *bootcred_host(const struct bootcred *bc)
{
	return bc->host;
}

int bootcred_is_token(const struct bootcred *bc)
{
	return bc->is_token;
}

int bootcred_form(const struct bootcred *bc, char *out, size_t cap, size_t len)
{
	char hex[2 * BOOTCRED_LEN + 1];
	size_t n = len;
	int rc;

	if (len >= cap)
		return -EPX_E_CODEC_SPACE;
	hex_encode(bc->credential, BOOTCRED_LEN, hex);
	rc = form_put(out, cap, &n, bc->is_token ? NODEPROTO_F_TOKEN : NODEPROTO_F_CREDENTIAL,
		      hex, 2 * BOOTCRED_LEN);
	explicit_bzero(hex, sizeof(hex));
	if (rc == 0)
		return (int)n;
	explicit_bzero(out + len, cap - len);   /* a cut field is still secret */
	return rc;
}

void bootcred_wipe(struct bootcred *bc)
{
	explicit_bzero(bc, sizeof(*bc));
}
