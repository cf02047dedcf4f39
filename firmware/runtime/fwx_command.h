/*
 * fwx_command.h: the device's gate for signed commands (what
 * src/ota/signed-command.ts openCommand and src/ota/op-guard.ts admit do for
 * the Node agent; byte layouts in docs/package-format.md, "Signed commands
 * and device answers").
 *
 *   payload  = CBOR [ body: bstr, signature: bstr(64), operator certificate: bstr ]
 *   accepted = body decodes strictly (known keys only), names this device,
 *              the operator certificate is signed by the product root, valid
 *              now, allows the op, covers this device's customer, group and
 *              id (exact names), the signature verifies under the operator's
 *              key, and the counter is above every counter accepted before.
 *
 * The caller persists the counter (fwx_cmd_counter_port) before acting on
 * the command: a crash after that can lose a command, never replay it.
 * Everything is read in place from the payload; the gate's work buffer
 * holds the domain-prefixed messages the signatures cover.
 */
#ifndef FWX_COMMAND_H
#define FWX_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "fwx_revocations_keep.h"

#ifndef FWX_CMD_MAX
#define FWX_CMD_MAX 4096u   /* largest signed command payload */
#endif

/* Where the highest accepted counter lives durably (a file on POSIX; the slot store later). */
typedef struct fwx_cmd_counter_port {
    void *ctx;
    /* 0 once `counter` is durable. */
    int (*save)(void *ctx, uint64_t counter);
} fwx_cmd_counter_port;

typedef struct fwx_cmd_gate {
    const uint8_t *root_public_key;  /* 32 bytes */
    const char *device_id;
    const char *customer;
    const char *group;
    uint64_t counter;                /* highest accepted; loaded by the caller at start */
    fwx_cmd_counter_port counter_port;
    /* The kept revocation list (NULL: none): a revoked operator certificate or key commands nothing. */
    const fwx_rl_port *revocations;
    uint8_t work[FWX_CMD_MAX + 16u];
} fwx_cmd_gate;

/* A text field in place: offset into the body and length; len = -1 when absent. */
typedef struct fwx_cmd_text {
    uint32_t at;
    int32_t len;
} fwx_cmd_text;

/* A decoded command; offsets are into `body`. */
typedef struct fwx_cmd {
    const uint8_t *body;
    uint32_t body_len;
    const uint8_t *signature;        /* 64 bytes in the payload */
    const uint8_t *opcert;
    uint32_t opcert_len;
    uint8_t digest[32];              /* SHA-256 of the body: what answers are bound to */
    fwx_cmd_text op, device, req, from, module, version;
    uint64_t counter;
    int has_session, has_window, has_package, has_delta, preempt;
    uint32_t session, window;
    uint32_t sha256_at, base_at, delta_sha_at;   /* 32 bytes each */
    uint64_t size, sequence, delta_size;
    uint32_t customers_at, groups_at, values_at; /* array heads or FWX_CMD_ABSENT */
    uint32_t revocations_at;         /* content of the byte string, or FWX_CMD_ABSENT */
    uint32_t revocations_len;
} fwx_cmd;

#define FWX_CMD_ABSENT 0xffffffffu

/* Structure and strict field decoding (no signature check): 0, or -1 when the
 * payload is not a signed command (the Node agent then ignores it). */
int fwx_cmd_open(const uint8_t *payload, uint32_t len, fwx_cmd *out);

/* The checks of op-guard.ts admit() except persisting: 0, or -1 with *code
 * ("out-of-scope", "bad-signature", "revoked", "expired", "not-yet-valid",
 * "operation-not-allowed", "replayed") and a message. now_s: the device clock. */
int fwx_cmd_check(fwx_cmd_gate *g, const fwx_cmd *c, int64_t now_s, const char **code, char *message, size_t cap);

/* check, then the counter recorded durably (code "internal" when it cannot be). */
int fwx_cmd_admit(fwx_cmd_gate *g, const fwx_cmd *c, int64_t now_s, const char **code, char *message, size_t cap);

/* Whether list (customers or groups of a begin, an array in the body; absent allows all) holds "*" or value. */
int fwx_cmd_allows(const fwx_cmd *c, uint32_t list_at, const char *value);

/* The names of such a list, ", "-separated, NUL-terminated in out[cap] (cut off when they do not fit):
 * what a package-scope refusal names, as the Node agent's does. */
void fwx_cmd_names(const fwx_cmd *c, uint32_t list_at, char *out, size_t cap);

/* The command as the JSON object the device's handlers take (fwx_ota.c):
 * {"op","req","from","module","session","window","package":{...},"delta":{...},"values":{...}}.
 * Its length, or -1 when it does not fit. */
long fwx_cmd_to_json(const fwx_cmd *c, char *out, size_t cap);

/* The device's own certificate at start-up (identity.ts checkDeviceCertificate, and
 * `fwx agent`'s check that it certifies the device key): signed by the root, names
 * this device id, valid now, certifies the key whose seed is given. 0, or -1 with a message. */
int fwx_cmd_check_device_cert(fwx_cmd_gate *g, const uint8_t *cert, uint32_t len, const uint8_t seed[32], int64_t now_s, char *message, size_t cap);

/* A text field copied out, NUL-terminated ("" when absent). */
void fwx_cmd_copy(const fwx_cmd *c, fwx_cmd_text t, char *out, size_t cap);

#endif /* FWX_COMMAND_H */
