/*
 * fwx_guest_memory.h: guest-memory and wasm3 slot access for the generated glue.
 *
 * Every guest offset and length is untrusted. Ranges are checked with
 * unsigned 32-bit arithmetic that cannot wrap: `len <= size` first, then
 * `ptr <= size - len`. Offset 0 is a valid wasm address, not an error.
 *
 * Values move through memcpy and explicit little-endian byte order so the
 * code has no alignment or strict-aliasing assumptions and reads the same on
 * big-endian cores (wasm memory is little-endian; wasm3 keeps a 32-bit value
 * in the first bytes of its 64-bit slot, in host byte order).
 */
#ifndef FWX_GUEST_MEMORY_H
#define FWX_GUEST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Whether [ptr, ptr + len) lies inside a memory of `size` bytes. */
static inline bool fwx_range_ok(uint32_t size, uint32_t ptr, uint32_t len)
{
    return len <= size && ptr <= size - len;
}

/* Host pointer for a checked guest offset. A module without memory has a
 * NULL base; only (0, 0) passes the range check then, and it maps to NULL
 * instead of NULL + 0. */
static inline uint8_t *fwx_guest_ptr(uint8_t *base, uint32_t ptr)
{
    return base == NULL ? NULL : base + ptr;
}

static inline uint32_t fwx_load_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t fwx_load_u64(const uint8_t *p)
{
    return (uint64_t)fwx_load_u32(p) | ((uint64_t)fwx_load_u32(p + 4) << 32);
}

static inline void fwx_store_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v & 0xffu);
    p[1] = (uint8_t)((v >> 8) & 0xffu);
    p[2] = (uint8_t)((v >> 16) & 0xffu);
    p[3] = (uint8_t)((v >> 24) & 0xffu);
}

static inline void fwx_store_u64(uint8_t *p, uint64_t v)
{
    fwx_store_u32(p, (uint32_t)(v & 0xffffffffu));
    fwx_store_u32(p + 4, (uint32_t)(v >> 32));
}

/* Bit-exact conversions between integers and IEEE values or signed ints. */
static inline int32_t fwx_i32_of(uint32_t bits) { int32_t v; memcpy(&v, &bits, sizeof v); return v; }
static inline int64_t fwx_i64_of(uint64_t bits) { int64_t v; memcpy(&v, &bits, sizeof v); return v; }
static inline float fwx_f32_of(uint32_t bits) { float v; memcpy(&v, &bits, sizeof v); return v; }
static inline double fwx_f64_of(uint64_t bits) { double v; memcpy(&v, &bits, sizeof v); return v; }
static inline uint32_t fwx_f32_bits(float v) { uint32_t b; memcpy(&b, &v, sizeof b); return b; }
static inline uint64_t fwx_f64_bits(double v) { uint64_t b; memcpy(&b, &v, sizeof b); return b; }

/* wasm3 raw-call slots: one 64-bit slot per result and argument, results
 * first. A 32-bit value occupies the first four bytes of its slot; the rest
 * is not defined and is ignored. */
static inline uint32_t fwx_slot_u32(const uint64_t *sp, unsigned i)
{
    uint32_t v;
    memcpy(&v, &sp[i], sizeof v);
    return v;
}

static inline int32_t fwx_slot_i32(const uint64_t *sp, unsigned i) { return fwx_i32_of(fwx_slot_u32(sp, i)); }

static inline uint64_t fwx_slot_u64(const uint64_t *sp, unsigned i)
{
    uint64_t v;
    memcpy(&v, &sp[i], sizeof v);
    return v;
}

static inline int64_t fwx_slot_i64(const uint64_t *sp, unsigned i) { return fwx_i64_of(fwx_slot_u64(sp, i)); }
static inline float fwx_slot_f32(const uint64_t *sp, unsigned i) { return fwx_f32_of(fwx_slot_u32(sp, i)); }
static inline double fwx_slot_f64(const uint64_t *sp, unsigned i) { return fwx_f64_of(fwx_slot_u64(sp, i)); }

static inline void fwx_slot_set_u32(uint64_t *sp, unsigned i, uint32_t v) { memcpy(&sp[i], &v, sizeof v); }
static inline void fwx_slot_set_u64(uint64_t *sp, unsigned i, uint64_t v) { memcpy(&sp[i], &v, sizeof v); }

#ifdef __cplusplus
}
#endif

#endif /* FWX_GUEST_MEMORY_H */
