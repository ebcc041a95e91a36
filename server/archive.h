/* archive: the measurement archive behind epoxyd, embedded local-directory
 * backend (issue 15 point 3; docs/protocol.md, "Archive").
 *
 * PUT or POST /v1/archive/<experiment>/<sha256>?name=<name> stores one
 * bundle a node's epoxy-pusher built, named <name> (lib/bundlename.h,
 * M-Lab's layout; the pusher chooses it, epoxyd checks it).  POST
 * /v1/archive/<experiment>/<sha256>/url?name=<name> without a body (the
 * node asks where to upload, whatever the backend) answers
 * "put /v1/archive/<experiment>/<sha256>\n" here, after the same path,
 * name and certificate checks; the S3 backend answers it with a URL
 * (archive_s3.h).
 *
 * Guarantees:
 *  - only a request whose TLS client certificate passes nodeid_peer() and
 *    that the store still vouches for (store_nodecert_check, a revoked or
 *    deleted host refused at once) is taken, checked from the headers
 *    before any body byte is read (archive_preauth);
 *  - the path is checked by lib/'s one rule (LABEL_TAG for the
 *    experiment, 64 lowercase hex digits for the hash, nothing else);
 *  - the name (archive_req_name): bundlename_parse's form, at most
 *    ARCHIVE_NAME_MAX bytes, its node part the certificate's host (never
 *    the node's word: a node can never write, replace or shadow another
 *    node's object or name), its experiment the path's, its datatype one
 *    the experiment lists when it lists any; the object is
 *    data_dir/archive/<name>;
 *  - one bundle (host, experiment, SHA-256) is kept once: sent again,
 *    under any name, it is answered "exists <the name it was stored
 *    under>" and nothing is written; a name another bundle holds is
 *    refused (409 EPOXY-E2389), and the final rename never replaces a
 *    file the store records (RENAME_NOREPLACE);
 *  - the body's SHA-256 must be the one its name says, else the bundle is
 *    refused (400 EPOXY-E2341) and nothing is kept;
 *  - the bundle is written to a temporary name, fsync'ed, renamed and its
 *    directory fsync'ed before the 200: an acknowledged bundle survives
 *    a crash of epoxyd or of the machine;
 *  - each bundle is recorded in the store (host, experiment, hash, size,
 *    time, name) after it is durable;
 *  - GET /v1/archive/ lists (by name), and GET /v1/archive/<name> or
 *    /v1/archive/<host>/<experiment>/<sha> serves, only bundles of a registered experiment (experiments table)
 *    whose embargo ended by the server's clock (checked on every request, nothing to move); an embargoed
 *    bundle is answered exactly as an unknown one (404 EPOXY-E2345), no
 *    credential is asked for and none makes a difference;
 *  - the body is read from memory (up to HTTP_BODY_MAX) or from the
 *    unlinked spool file epoxyd.c made (up to ARCHIVE_BUNDLE_MAX). */
#ifndef EPOXY_ARCHIVE_H
#define EPOXY_ARCHIVE_H

#include "server/http.h"
#include "store/store.h"

#define ARCHIVE_PATH "/v1/archive/"
#define ARCHIVE_BUNDLE_MAX (256ull << 20)
#define ARCHIVE_DIR "archive"
#define ARCHIVE_NAME_MAX (HTTP_PATH_MAX - (sizeof(ARCHIVE_PATH) - 1))

/* Splits "/v1/archive/<experiment>/<sha256>" into exp (LABEL_TAG) and
 * sha (64 lowercase hex digits).  Returns 0 or -EPX_E_ARC_NAME. */
int archive_name(const char *path, char exp[65], char sha[65]);
/* "/v1/archive/<host>/<experiment>/<sha256>" (the public read). */
int archive_public_name(const char *path, char host[64], char exp[65], char sha[65]);
/* Before the body: the client certificate of a live host. */
int archive_preauth(struct srv *srv, const struct http_req *req, struct http_resp *resp);
int archive_handle(struct srv *srv, const struct http_req *req, struct http_resp *resp);
/* Opens the stored object of b (archive/<name>, or archive/<host>/<exp>/
 * <sha> for a bundle of before names; checked again here) read-only;
 * returns the descriptor (*size its length) or -EPX_E_ARC_NAME /
 * -EPX_E_ARC_IO.  The caller checked the store and the embargo. */
int archive_open(struct srv *srv, const struct store_bundle *b, uint64_t *size);
/* The ?name= of a node's request for exp (its path's) from host (its
 * certificate's): a bundle name (lib/bundlename.h, at most
 * ARCHIVE_NAME_MAX bytes so that GET /v1/archive/<name> fits a request
 * path) of this host and this experiment, of a datatype the experiment
 * takes when it lists some.  0 (name and dt copied), -EPX_E_ARC_BUNDLENAME,
 * -EPX_E_ARC_NAMENODE or -EPX_E_ARC_DATATYPE. */
int archive_req_name(struct srv *srv, const struct http_req *req, const char *exp,
		     const char *host, char name[ARCHIVE_NAME_MAX + 1], char dt[65]);

#endif
