/* nodeproto: the names and caps of the node endpoints (docs/protocol.md),
 * included by both ends: the agent (stage2/) builds these requests and
 * epoxyd's node handlers parse them.  A cap changed here changes on both
 * sides at once; nothing else may restate one.
 *
 * Guarantees: every request body is a form (lib/form.h) of exactly the
 * fields listed for its endpoint; values are checked with lib/label.h,
 * lib/hex.h and lib/num.h against the classes and caps below. */
#ifndef EPOXY_NODEPROTO_H
#define EPOXY_NODEPROTO_H

#include <stdint.h>

#include "lib/label.h"
#include "lib/usage.h"

/* POST /v1/session: host, mac, nonce, agent, stage and one of credential,
 * token */
#define NODEPROTO_SESSION_PATH "/v1/session"
#define NODEPROTO_F_HOST "host"                 /* LABEL_HOST */
#define NODEPROTO_F_MAC "mac"                   /* 6 hex pairs, ':' or '-' */
#define NODEPROTO_F_NONCE "nonce"               /* NODEPROTO_NONCE_HEX digits */
#define NODEPROTO_F_AGENT "agent"               /* decimal 0..NODEPROTO_AGENT_MAX */
#define NODEPROTO_F_STAGE "stage"               /* decimal, 1 for a session */
#define NODEPROTO_F_CREDENTIAL "credential"     /* NODEPROTO_TOKEN_HEX digits */
#define NODEPROTO_F_TOKEN "token"               /* NODEPROTO_TOKEN_HEX digits */
#define NODEPROTO_F_INVENTORY "inventory"       /* optional: the node's inventory */
/* the body: its fields, and the inventory escaped (3 bytes a byte at worst) */
#define NODEPROTO_SESSION_BODY_MAX (1024 + 3 * NODEPROTO_INV_MAX)

/* The inventory (issue 16; docs/protocol.md "Inventory"): what the node
 * is, collected by the stage-1 agent from /proc, /sys and efivarfs
 * (stage2/hwscan.c) and checked by epoxyd with lib/inventory.h.  Lines of
 * form records (lib/record.h), each ending in '\n': first exactly one
 * "kind=node" record, then "kind=disk" and "kind=nic" records.  Every
 * field but kind (and a disk's or NIC's name and a NIC's mac) may be
 * absent: the node did not know it.  Values: text is printable ASCII,
 * 1..NODEPROTO_INV_TEXT_MAX bytes; numbers are lib/num.h decimals. */
#define NODEPROTO_INV_MAX 4096                  /* bytes of the decoded field */
#define NODEPROTO_INV_KIND "kind"               /* node, disk or nic */
#define NODEPROTO_INV_NODE "node"
#define NODEPROTO_INV_DISK "disk"
#define NODEPROTO_INV_NIC "nic"
#define NODEPROTO_INV_CPU_MODEL "cpu_model"     /* node: text */
#define NODEPROTO_INV_CPUS "cpus"               /* node: 1..NODEPROTO_INV_CPUS_MAX */
#define NODEPROTO_INV_MEM "mem"                 /* node: bytes, 1..NODEPROTO_INV_BYTES_MAX */
#define NODEPROTO_INV_FW_VENDOR "fw_vendor"     /* node: text (DMI bios_vendor) */
#define NODEPROTO_INV_FW_VERSION "fw_version"   /* node: text (DMI bios_version) */
#define NODEPROTO_INV_SECUREBOOT "secureboot"   /* node: 0 or 1 (UEFI SecureBoot) */
#define NODEPROTO_INV_NAME "name"               /* disk, nic: LABEL_TAG, <= NAME_MAX */
#define NODEPROTO_INV_SIZE "size"               /* disk: bytes, 0..NODEPROTO_INV_BYTES_MAX */
#define NODEPROTO_INV_SERIAL "serial"           /* disk: text */
#define NODEPROTO_INV_MAC "mac"                 /* nic: aa:bb:cc:dd:ee:ff, lowercase */
#define NODEPROTO_INV_SPEED "speed"             /* nic: Mbit/s, 1..NODEPROTO_INV_SPEED_MAX */
#define NODEPROTO_INV_TEXT_MAX 64
#define NODEPROTO_INV_NAME_MAX 32
#define NODEPROTO_INV_DISKS_MAX 16
#define NODEPROTO_INV_NICS_MAX 16
#define NODEPROTO_INV_CPUS_MAX 65536u
#define NODEPROTO_INV_BYTES_MAX ((uint64_t)1 << 60)
#define NODEPROTO_INV_SPEED_MAX 10000000u       /* 10 Tbit/s */

/* POST /v1/report: stage, status, code, tail */
#define NODEPROTO_REPORT_PATH "/v1/report"
#define NODEPROTO_F_STATUS "status"             /* "ok" or "fail" */
#define NODEPROTO_F_CODE "code"                 /* "" or "EPOXY-E" digits */
#define NODEPROTO_F_TAIL "tail"                 /* console tail, no NUL */
#define NODEPROTO_STAGE_MAX LABEL_WORD_MAX      /* report stage: LABEL_WORD */
#define NODEPROTO_CODE_MAX 15                   /* "EPOXY-E1234" */
#define NODEPROTO_TAIL_MAX 4096                 /* bytes of console tail */
/* the whole body: the tail escaped (3 bytes a byte at worst) and the rest */
#define NODEPROTO_REPORT_BODY_MAX (3 * NODEPROTO_TAIL_MAX + 512)

/* GET /v1/dbx/<64 hex>: the dbx update whose SHA-256 the session statement
 * names (field dbx), at most DBX_UPDATE_MAX bytes (lib/dbx.h); no token */
#define NODEPROTO_DBX_PATH "/v1/dbx/"

/* POST /v1/joincred: no fields */
#define NODEPROTO_JOINCRED_PATH "/v1/joincred"
#define NODEPROTO_JOINCRED_BODY_MAX 1024

/* node identity (issue 14; docs/protocol.md "Node identity"):
 * /v1/joincred also answers Epoxy-Node-Credential: NODEPROTO_TOKEN_HEX
 * digits, the one-time credential the node manager trades at
 * POST /v1/node/csr (Authorization: Bearer <it>) with the fields host and
 * csr (a PKCS#10 request, DER in hex) for its client certificate (PEM).
 * With that certificate (mutual TLS, no bearer): POST /v1/node/heartbeat
 * (optional fields uptime: decimal seconds, and usage) and POST
 * /v1/node/renew (csr).
 * A heartbeat's answer (text/plain) is "joined\n" and then
 * "heartbeat=N\n": the seconds the node waits before its next one
 * (NODEPROTO_HEARTBEAT_MIN..MAX; epoxyd's node_heartbeat), and
 * "usage-refused=EPOXY-ENNNN\n" when its usage field was refused. */
#define NODEPROTO_NODE_CRED_HDR "Epoxy-Node-Credential"
#define NODEPROTO_NODE_CSR_PATH "/v1/node/csr"
#define NODEPROTO_NODE_HEARTBEAT_PATH "/v1/node/heartbeat"
#define NODEPROTO_NODE_RENEW_PATH "/v1/node/renew"
/* POST /v1/node/archive-cert (csr; mutual TLS with the node's certificate):
 * an archive-only certificate (subject CN=<host>, OU=epoxy-archive) that
 * epoxyd accepts on the archive's upload endpoints and nowhere else */
#define NODEPROTO_NODE_ARCHIVE_CERT_PATH "/v1/node/archive-cert"
#define NODEPROTO_ARCHIVE_OU "epoxy-archive"
/* GET /v1/node/slivers[?wait=N] (mutual TLS; docs/slivers.md): the node's
 * signed sliver set (lib/sliverset.h), ETag "<serial>"; If-None-Match
 * "<serial>" answers 304 while the set is unchanged, held up to N s */
#define NODEPROTO_NODE_SLIVERS_PATH "/v1/node/slivers"
#define NODEPROTO_SLIVERS_WAIT_MAX 55
/* GET /v1/image/<64 hex> (mutual TLS): a slice image, the object whose
 * SHA-256 the node's signed set names ("url" of a sliver's image line);
 * served only when a sliver of the node's current set names it, and only
 * up to NODEPROTO_IMAGE_MAX bytes (node/nm/nmimage.h has the node's cap) */
#define NODEPROTO_IMAGE_PATH "/v1/image/"
#define NODEPROTO_IMAGE_MAX ((uint64_t)4 << 30)
/* ... or, for a ticket sliver (one the node redeemed before its set names
 * it), when the request carries that ticket: "X-Epoxy-Ticket: <hex of the
 * ticket document>" (lib/ticket.h; at most NODEPROTO_TICKET_MAX bytes,
 * so NODEPROTO_TICKET_HEX_MAX hex digits), verified by epoxyd with its
 * online key for the client certificate's host, unexpired, its sliver
 * naming exactly the image asked for (server/sliverapi.h) */
#define NODEPROTO_TICKET_HEADER "X-Epoxy-Ticket"
#define NODEPROTO_TICKET_MAX 4096               /* bytes of one ticket document */
#define NODEPROTO_TICKET_HEX_MAX (2 * NODEPROTO_TICKET_MAX)
#define NODEPROTO_F_CSR "csr"                   /* hex of DER, <= NODEPROTO_CSR_MAX bytes */
#define NODEPROTO_F_UPTIME "uptime"             /* decimal 0..NODEPROTO_UPTIME_MAX */
#define NODEPROTO_CSR_MAX 2048                  /* DER bytes of a request */
#define NODEPROTO_UPTIME_MAX 3153600000u        /* 100 years of seconds */
#define NODEPROTO_NODE_BODY_MAX (2 * NODEPROTO_CSR_MAX + 256)
#define NODEPROTO_CERT_MAX 2048                 /* PEM bytes of an answer */
/* the heartbeat's optional field usage: the node's last sensor snapshot
 * (lib/usage.h, docs/protocol.md "Sliver usage"), percent-encoded; the
 * heartbeat's body cap allows every byte of it escaped */
#define NODEPROTO_F_USAGE "usage"
/* a heartbeat answer's line when its usage was malformed: the heartbeat
 * counted, the snapshot was not recorded; then the code, EPOXY-E2590 */
#define NODEPROTO_USAGE_REFUSED_KEY "usage-refused="
#define NODEPROTO_HEARTBEAT_BODY_MAX (3 * USAGE_BYTES_MAX + 256)
#define NODEPROTO_HEARTBEAT_KEY "heartbeat="    /* line of a heartbeat answer */
#define NODEPROTO_HEARTBEAT_MIN 1               /* seconds */
#define NODEPROTO_HEARTBEAT_MAX 3600

#define NODEPROTO_FIELDS_MAX 8                  /* fields of any node form */
#define NODEPROTO_HOST_MAX LABEL_HOST_MAX
#define NODEPROTO_NONCE_HEX 64
#define NODEPROTO_TOKEN_HEX 64                  /* credentials and tokens */
#define NODEPROTO_SESSION_HEX 16                /* session ids */
#define NODEPROTO_AGENT_MAX 1000000
#define NODEPROTO_NEXT_TOKEN "Epoxy-Next-Token" /* response header */

#endif
