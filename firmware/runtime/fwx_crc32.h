/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as the OTA chunk
 * frames carry it. Check value: fwx_crc32(0, "123456789", 9) == 0xCBF43926.
 * Four bits at a time with a 64-byte table (fwx_crc32.c says why). */
#ifndef FWX_CRC32_H
#define FWX_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continues `crc` (0 to start) over data[0..n). */
uint32_t fwx_crc32(uint32_t crc, const uint8_t *data, size_t n);

#endif
