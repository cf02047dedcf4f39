/*
 * The little text handling the cold-chain module needs, without libc:
 * configuration numbers, log lines and a JSON object writer. Each matches
 * the AssemblyScript SDK byte for byte (assembly/config.ts, assembly/json.ts,
 * assembly/internal/number.ts), so both modules publish the same telemetry.
 */
#ifndef COLD_CHAIN_TEXT_H
#define COLD_CHAIN_TEXT_H

#include "fwx_guest.h"

/* The configuration value of `key` as a number, or `fallback` when it is missing or not a decimal. */
double config_number(const char *key, double fallback);
/* As config_number, for a whole number from 0 to 2^32 - 1. */
uint32_t config_u32(const char *key, uint32_t fallback);
/* Logs `message` at `level` (at most 256 bytes, as the SDK's Log). */
void log_text(fwx_core_log_level_t level, const char *message);

/* A JSON object in a static 1 KiB buffer: json_begin, fields, json_publish. */
void json_begin(void);
/* A number with two decimals, or null when it is not finite. */
void json_num(const char *name, double value);
void json_int(const char *name, int64_t value);
void json_bool(const char *name, bool value);
/* A string field; `value` must need no JSON escaping (the module's own constants). */
void json_str(const char *name, const char *value);
/* Closes the object and publishes it on `topic`; a status. */
int32_t json_publish(const char *topic);

#endif
