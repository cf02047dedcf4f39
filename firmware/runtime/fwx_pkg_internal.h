/*
 * fwx_pkg_internal.h: shared between the verifier's files, not for callers.
 * Documents are decoded in place: offsets are relative to the buffer holding
 * the document (the work buffer), and every buffer has passed
 * fwx_cbor_valid() before any of these run.
 */
#ifndef FWX_PKG_INTERNAL_H
#define FWX_PKG_INTERNAL_H

#include "fwx_cbor.h"
#include "fwx_pkg_verify.h"

#define FWX_PKG_ABSENT 0xffffffffu

/* The `what` texts of fwx_pkg_error_t cost about 3 KiB of flash; a build
 * with -DFWX_PKG_DIAGNOSTICS=0 keeps codes and offsets and drops the texts. */
#ifndef FWX_PKG_DIAGNOSTICS
#define FWX_PKG_DIAGNOSTICS 1
#endif
#if FWX_PKG_DIAGNOSTICS
#define FWX_WHY(text) (text)
#else
#define FWX_WHY(text) ("")
#endif

typedef struct pkg_doc {
    const uint8_t *buf;
    uint32_t len;
} pkg_doc_t;

/* A decoded item: where it starts and ends in its buffer. */
typedef struct pkg_range {
    uint32_t at;
    uint32_t end;
} pkg_range_t;

typedef struct pkg_manifest {
    pkg_range_t id_text;        /* content bytes */
    pkg_range_t version_text;
    uint64_t sequence;
    uint8_t device_class;
    bool fuel_instrumented;
    uint32_t interfaces_at;     /* array head of flat [number, major, minor] triples */
    uint32_t interface_count;   /* triples */
    pkg_range_t interfaces;
    pkg_range_t capabilities;   /* map item */
    uint32_t ram_bytes;
    uint64_t fuel_per_callback;
    pkg_range_t config;         /* array item, or at = end = FWX_PKG_ABSENT */
    uint32_t config_count;
    uint32_t sha256_at;         /* content of bytes(32) */
} pkg_manifest_t;

typedef struct pkg_certificate {
    pkg_range_t integrator_id;  /* content bytes */
    uint32_t key_at;            /* content of bytes(32) */
    pkg_range_t prefix;         /* content bytes */
    uint32_t capabilities_at;   /* map head */
    uint32_t customers_at;      /* array head */
    uint32_t groups_at;         /* array head or FWX_PKG_ABSENT */
    uint64_t not_before;
    uint64_t not_after;
} pkg_certificate_t;

/* Map entries by small-integer key, refusing keys outside 1..max_key. */
bool fwx_pkg_map_fields(const pkg_doc_t *d, uint32_t at, uint32_t max_key, uint32_t *value_at);
bool fwx_pkg_uint(const pkg_doc_t *d, uint32_t at, uint64_t max, uint64_t *out);
bool fwx_pkg_bytes(const pkg_doc_t *d, uint32_t at, uint32_t exact, uint32_t *data);
bool fwx_pkg_text(const pkg_doc_t *d, uint32_t at, uint32_t max_len, pkg_range_t *text);
bool fwx_pkg_array(const pkg_doc_t *d, uint32_t at, uint32_t max_items, uint32_t *count, uint32_t *first);
bool fwx_pkg_item_end(const pkg_doc_t *d, uint32_t at, uint32_t *end);

/* Manifest key 5 is flat triples [number, major, minor]; reads the one at *pos (decoded by
 * fwx_pkg_decode_manifest) and moves *pos past it. The name is the number's (interface_names). */
bool fwx_pkg_interface_at(const pkg_doc_t *d, uint32_t *pos, const uint8_t **name, uint32_t *name_len, uint64_t *major, uint64_t *minor);

/* A non-empty array of names (^[A-Za-z0-9*][A-Za-z0-9._-]{0,63}$). */
bool fwx_pkg_names_ok(const pkg_doc_t *d, uint32_t at);
bool fwx_pkg_name_ok(const uint8_t *s, uint32_t n);
/* A name list (customers, groups, devices, operations) holds "*" or `value`, compared exactly; absent allows all. */
bool fwx_pkg_name_listed(const pkg_doc_t *d, uint32_t at, const uint8_t *value, uint32_t value_len);

bool fwx_pkg_caps_valid(const pkg_doc_t *d, uint32_t at);
/* requested (a map in r) within allowed (a map in a); both passed fwx_pkg_caps_valid. */
bool fwx_pkg_caps_within(const pkg_doc_t *r, uint32_t r_at, const pkg_doc_t *a, uint32_t a_at);

bool fwx_pkg_decode_manifest(const pkg_doc_t *d, pkg_manifest_t *m, const char **what);
bool fwx_pkg_decode_certificate(const pkg_doc_t *d, pkg_certificate_t *c, const char **what);

/* Reads [offset, offset + len) of the source, refusing anything past its length. 0 or FWX_PKG_E_IO. */
int fwx_pkg_read(const fwx_pkg_source_t *src, uint32_t offset, uint8_t *buf, uint32_t len);

/* Step 12: the payload's sections against the manifest. FWX_PKG_OK, FWX_PKG_E_PAYLOAD or FWX_PKG_E_IO. */
int fwx_pkg_check_payload(const fwx_pkg_source_t *src, uint32_t payload_at, uint32_t payload_len,
                          const pkg_doc_t *manifest, const pkg_manifest_t *m, fwx_pkg_error_t *err);

#endif /* FWX_PKG_INTERNAL_H */
