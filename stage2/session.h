/* session: the boot session's request body and response
 * (docs/protocol.md, "POST /v1/session").
 *
 * Guarantees: the response is at most SESSION_MAX bytes; its head is
 * "epoxy-session 1", a session ID, a release, exactly one token of each of
 * the seven purposes (in any order), "end"; the rest is returned as the
 * statement, unparsed (lib/statement verifies it).  Tokens live only in
 * struct session and are wiped by session_wipe(). */
#ifndef EPOXY_STAGE2_SESSION_H
#define EPOXY_STAGE2_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define SESSION_MAX 32768
#define SESSION_BODY_MAX 512

enum session_tok {
	SESSION_TOK_MANIFEST,
	SESSION_TOK_KERNEL,
	SESSION_TOK_INITRAMFS,
	SESSION_TOK_CMDLINE,
	SESSION_TOK_JOIN,
	SESSION_TOK_JOINCRED,
	SESSION_TOK_REPORT,
	SESSION_NTOK
};

struct session {
	uint8_t id[8];
	char id_hex[17];
	uint32_t release;
	uint8_t tok[SESSION_NTOK][32];
	const char *statement;          /* points into the parsed buffer */
	size_t statement_len;
};

const char *session_tok_name(enum session_tok t);
/* Form body of the request without its secret: "host=..&mac=..&nonce=..
 * &agent=..&stage=.."; stage2/bootcred.h's bootcred_form() appends the
 * credential field.  Returns its length or -EPX_E_CODEC_SPACE. */
int session_request(char *out, size_t cap, const char *host, const char *mac,
		    const uint8_t nonce[32], unsigned agent_version, int stage);
/* Returns 0 or -EPX_E_SESSION_SYNTAX / -EPX_E_SESSION_TOKEN. */
int session_parse(struct session *s, const char *buf, size_t len);
void session_wipe(struct session *s);

#endif
