/* Unit tests of the OTA state machine, the JSON reader/writer, CRC-32 and
 * the delta decoder, with crafted and hostile messages. Prints one line per
 * failure and ends with "N passed, N failed". argv[1]: a directory of delta
 * fixtures written by delta-fixtures.ts (src/ota/delta.ts's encoder). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwx_crc32.h"
#include "fwx_delta.h"
#include "fwx_json.h"
#include "fwx_ota.h"
#include "ota_fakes.h"

static int passed, failed;
#define CHECK(cond, what)                                                   \
  do {                                                                      \
    if (cond) passed++;                                                     \
    else {                                                                  \
      failed++;                                                             \
      printf("FAIL %s:%d %s\n", __FILE__, __LINE__, what);                  \
    }                                                                       \
  } while (0)

static fake_env env;
static fwx_ota ota;
static const char *SHA_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char *SHA_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
static uint8_t body[8192];

static void boot(int keep_store) {
  fwx_ota_transport net;
  fwx_ota_storage store;
  fwx_ota_host host;
  fwx_ota_config cfg = {"dev-1", "demo", "acme", "north", "fwx-c", NULL, NULL, NULL}; /* no gate: signed operations are tested in tests/c/trust */
  if (!keep_store) fake_env_reset(&env);
  env.npubs = 0;
  fake_env_wire(&env, &net, &store, &host);
  CHECK(fwx_ota_init(&ota, &cfg, &net, &store, &host) == 0, "init");
}

static void cmd(const char *json, uint64_t now) {
  fwx_ota_on_message(&ota, "fwx/v2/dev-1/cmd", (const uint8_t *)json, strlen(json), now);
}

static void begin(uint16_t session, const char *sha, uint32_t size, uint32_t window, uint64_t now) {
  char buf[600];
  snprintf(buf, sizeof buf,
           "{\"op\":\"begin\",\"req\":\"7\",\"from\":\"tool-1\",\"session\":%u,\"window\":%u,"
           "\"package\":{\"module\":\"cold-chain\",\"version\":\"1.2.0\",\"sequence\":5,\"size\":%u,\"sha256\":\"%s\"}}",
           session, window, size, sha);
  cmd(buf, now);
}

static const char *reply(void) {
  static char text[FWX_OTA_REPLY_MAX + 1];
  const fake_pub *p = fake_last(&env, "tool-1");
  if (!p) return "";
  memcpy(text, p->payload, p->len);
  text[p->len] = '\0';
  return text;
}

static void chunk_frame(uint16_t session, uint32_t offset, const uint8_t *data, size_t n, uint8_t *out) {
  uint32_t crc = fwx_crc32(0, data, n);
  out[0] = (uint8_t)(session >> 8);
  out[1] = (uint8_t)session;
  out[2] = (uint8_t)(offset >> 24);
  out[3] = (uint8_t)(offset >> 16);
  out[4] = (uint8_t)(offset >> 8);
  out[5] = (uint8_t)offset;
  out[6] = (uint8_t)(crc >> 24);
  out[7] = (uint8_t)(crc >> 16);
  out[8] = (uint8_t)(crc >> 8);
  out[9] = (uint8_t)crc;
  memcpy(out + 10, data, n);
}

static void chunk(uint16_t session, uint32_t offset, size_t n, uint64_t now) {
  static uint8_t frame[FWX_OTA_MAX_CHUNK + 16];
  chunk_frame(session, offset, body + offset, n, frame);
  fwx_ota_on_message(&ota, "fwx/v2/dev-1/chunk", frame, n + 10, now);
}

static int last_ack(uint32_t *offset, int *gap, int *qos) {
  const fake_pub *p = fake_last(&env, "ack");
  if (!p || p->len != 7) return 0;
  *gap = p->payload[0] & 1;
  *offset = (uint32_t)p->payload[3] << 24 | (uint32_t)p->payload[4] << 16 | (uint32_t)p->payload[5] << 8 | p->payload[6];
  *qos = p->qos;
  return 1;
}

static void test_crc(void) {
  CHECK(fwx_crc32(0, (const uint8_t *)"123456789", 9) == 0xCBF43926u, "CRC-32 check value cbf43926");
  CHECK(fwx_crc32(fwx_crc32(0, (const uint8_t *)"1234", 4), (const uint8_t *)"56789", 5) == 0xCBF43926u, "CRC-32 continues");
}

static void test_json(void) {
  const char *doc = "{\"a\":1,\"s\":\"x\\u00e9\\n\\\"\",\"o\":{\"k\":[1,2,{\"z\":null}]},\"n\":-12,\"f\":1.5}";
  fwx_json_span root = {doc, strlen(doc)};
  char s[16];
  int64_t v = 0;
  char out[64];
  fwx_json_writer w;
  static const char *bad[] = {"", "{", "{\"a\":}", "{\"a\":1,}", "[1,]", "\"\\x\"", "01", "1.", "{\"a\" 1}", "tru",
                              "\"a\nb\"", "[[[[[[[[[[1]]]]]]]]]]", "{}x", "-", "\"\\u12\"", "1e", NULL};
  int i;
  CHECK(fwx_json_valid(doc, strlen(doc)), "valid document accepted");
  for (i = 0; bad[i]; i++) CHECK(!fwx_json_valid(bad[i], strlen(bad[i])), bad[i]);
  CHECK(fwx_json_int(fwx_json_get(root, "a"), 0, 10, &v) == 0 && v == 1, "int member");
  CHECK(fwx_json_int(fwx_json_get(root, "n"), -100, 0, &v) == 0 && v == -12, "negative int");
  CHECK(fwx_json_int(fwx_json_get(root, "n"), 0, 100, &v) != 0, "int out of range refused");
  CHECK(fwx_json_int(fwx_json_get(root, "f"), 0, 100, &v) != 0, "fraction is not an int");
  CHECK(fwx_json_string(fwx_json_get(root, "s"), s, sizeof s) == 5 && memcmp(s, "x\xc3\xa9\n\"", 5) == 0, "string unescaped to UTF-8");
  CHECK(fwx_json_string(fwx_json_get(root, "s"), s, 5) < 0, "string longer than its buffer refused, not cut");
  CHECK(fwx_json_get(root, "missing").p == NULL, "absent key");
  CHECK(fwx_json_kind_of(fwx_json_get(fwx_json_get(root, "o"), "k")) == FWX_JSON_ARRAY, "nested lookup");
  {
    const char *nul = "{\"s\":\"a\\u0000b\"}";
    fwx_json_span r2 = {nul, strlen(nul)};
    CHECK(fwx_json_string(fwx_json_get(r2, "s"), s, sizeof s) < 0, "\\u0000 refused (C strings)");
  }
  {
    const char *big = "{\"n\":99999999999999999999999}";
    fwx_json_span r3 = {big, strlen(big)};
    CHECK(fwx_json_valid(big, strlen(big)) && fwx_json_int(fwx_json_get(r3, "n"), INT64_MIN, INT64_MAX, &v) != 0, "overflowing int refused");
  }
  fwx_jw_init(&w, out, sizeof out);
  fwx_jw_begin_object(&w);
  fwx_jw_key(&w, "a");
  fwx_jw_string(&w, "q\"\x01");
  fwx_jw_key(&w, "b");
  fwx_jw_begin_array(&w);
  fwx_jw_int(&w, -5);
  fwx_jw_bool(&w, 1);
  fwx_jw_null(&w);
  fwx_jw_end_array(&w);
  fwx_jw_end_object(&w);
  CHECK(fwx_jw_finish(&w) > 0 && strcmp(out, "{\"a\":\"q\\\"\\u0001\",\"b\":[-5,true,null]}") == 0, "writer output");
  fwx_jw_init(&w, out, 8);
  fwx_jw_string(&w, "longer than eight");
  CHECK(fwx_jw_finish(&w) == -1, "writer overflow reported");
}

static void test_full_transfer(void) {
  uint32_t off;
  int gap, qos, i;
  size_t n = 8 * 1024;
  boot(0);
  for (i = 0; i < (int)sizeof body; i++) body[i] = (uint8_t)(i * 7 + 3);
  fwx_ota_on_connected(&ota, 0);
  CHECK(fake_count(&env, "presence") == 1 && fake_last(&env, "presence")->retain == 1, "presence retained at connect");
  CHECK(fake_count(&env, "status") == 1 && fake_last(&env, "status")->retain == 1, "status retained at connect");
  CHECK(!fwx_ota_online(&ota), "not online before PUBACKs");
  fwx_ota_on_delivered(&ota, fake_last(&env, "presence")->mid, 0);
  fwx_ota_on_delivered(&ota, fake_last(&env, "status")->mid, 0);
  CHECK(fwx_ota_online(&ota), "online once both announcements are acknowledged");
  begin(42, SHA_A, (uint32_t)n, 16, 10);
  CHECK(strstr(reply(), "\"req\":\"7\",\"ok\":true,\"resumeFrom\":0") != NULL, reply());
  for (i = 0; i < 7; i++) chunk(42, (uint32_t)i * 1024u, 1024, 20 + (uint64_t)i);
  CHECK(fake_count(&env, "ack") == 0, "no ack before 8 in-order chunks");
  chunk(42, 7 * 1024, 1024, 30);
  CHECK(last_ack(&off, &gap, &qos) && off == 8192 && !gap && qos == 1, "final ack at 8192 is QoS 1");
  CHECK(env.syncs >= 1 && env.meta_len > 0 && strstr(env.meta, "\"acked\":8192"), "offset durable before the ack");
  CHECK(env.completes == 0, "install waits for the final ack's PUBACK");
  fwx_ota_on_delivered(&ota, fake_last(&env, "ack")->mid, 31);
  CHECK(env.completes == 1 && memcmp(env.data, body, n) == 0, "complete transfer handed over intact");
  {
    fwx_ota_event e;
    memset(&e, 0, sizeof e);
    e.module = "cold-chain";
    e.phase = "confirmed";
    e.ts = 5;
    fwx_ota_emit(&ota, &e, 40);
    CHECK(strstr((const char *)fake_last(&env, "event")->payload, "\"session\":42") != NULL, "event carries the install's session");
    CHECK(strstr((const char *)fake_last(&env, "event")->payload, SHA_A) != NULL, "event carries the package hash");
    CHECK(env.meta_len == -1 && !ota.active && !ota.installing, "a verdict ends the install and drops the partial");
  }
}

static void test_gap_and_crc(void) {
  uint32_t off;
  int gap, qos;
  uint8_t frame[1100];
  boot(0);
  fwx_ota_on_connected(&ota, 0);
  begin(9, SHA_A, 4096, 16, 0);
  chunk(9, 0, 1024, 1);
  chunk_frame(9, 1024, body + 1024, 1024, frame);
  frame[20] ^= 1;
  fwx_ota_on_message(&ota, "fwx/v2/dev-1/chunk", frame, 1034, 2);
  CHECK(ota.contiguous == 1024, "chunk with a bad CRC dropped");
  chunk(9, 2048, 1024, 3);
  CHECK(last_ack(&off, &gap, &qos) && off == 1024 && gap && qos == 0, "GAP ack names the missing offset");
  chunk(9, 1024, 1024, 4);
  CHECK(ota.contiguous == 3072, "held chunk written once the gap is filled");
  chunk(9, 1024, 1024, 5);
  fwx_ota_poll(&ota, 5);
  CHECK(last_ack(&off, &gap, &qos) && off == 3072 && !gap, "a resend of stored bytes gets an ack now");
  chunk(9, 3072, 1025, 6);
  CHECK(ota.contiguous == 3072, "chunk past the announced size dropped");
  chunk(9, 3072, 1024, 7);
  CHECK(last_ack(&off, &gap, &qos) && off == 4096 && qos == 1, "final ack");
  fwx_ota_poll(&ota, 7 + FWX_OTA_FINAL_ACK_WAIT_MS);
  CHECK(env.completes == 1, "install starts 2 s after a final ack without PUBACK");
}

static void test_pause_ack(void) {
  uint32_t off;
  int gap, qos;
  boot(0);
  fwx_ota_on_connected(&ota, 0);
  begin(3, SHA_A, 8192, 16, 0);
  chunk(3, 0, 1024, 100);
  chunk(3, 1024, 1024, 110);
  CHECK(fake_count(&env, "ack") == 0, "no ack mid-stream");
  fwx_ota_poll(&ota, 299);
  CHECK(fake_count(&env, "ack") == 0, "pause timer not yet due");
  fwx_ota_poll(&ota, 310);
  CHECK(last_ack(&off, &gap, &qos) && off == 2048, "pause ack after 200 ms without chunks");
}

static void test_early_and_resume(void) {
  uint32_t off;
  int gap, qos;
  boot(0);
  fwx_ota_on_connected(&ota, 0);
  chunk(77, 0, 1024, 1);
  chunk(77, 1024, 1024, 1);
  begin(77, SHA_A, 6144, 4, 2);
  CHECK(strstr(reply(), "\"resumeFrom\":0"), "begin after early chunks resumes from 0");
  CHECK(ota.contiguous == 2048, "early chunks taken in after the begin");
  CHECK(last_ack(&off, &gap, &qos) && off == 2048, "window 4: ack every 2 chunks");
  chunk(77, 2048, 1024, 3);
  /* kill -9: the acknowledged offset survives, the unacknowledged chunk may not. */
  boot(1);
  CHECK(ota.active && ota.contiguous == 2048, "partial reloaded at its acknowledged offset");
  begin(78, SHA_A, 6144, 16, 5);
  CHECK(strstr(reply(), "\"resumeFrom\":2048"), "new session, same bytes: resumes from the acknowledged offset");
  begin(90, SHA_B, 6144, 16, 6);
  CHECK(strstr(reply(), "\"code\":\"busy\""), "different transfer during an active one: busy");
  begin(91, SHA_B, 6144, 16, 6 + FWX_OTA_STALE_MS);
  CHECK(strstr(reply(), "\"resumeFrom\":0"), "stale transfer displaced after 15 s");

  /* An early chunk that runs past the size its begin then declares is dropped, never written past the transfer. */
  boot(0);
  fwx_ota_on_connected(&ota, 0);
  chunk(80, 0, 1024, 1);
  begin(80, SHA_A, 1000, 4, 2);
  CHECK(strstr(reply(), "\"resumeFrom\":0"), "begin after an oversized early chunk resumes from 0");
  CHECK(ota.contiguous == 0 && env.data_len == 0 && ota.hold_count == 0, "early chunk past the declared size dropped, nothing stored");
  chunk(80, 0, 1000, 3);
  CHECK(ota.contiguous == 1000 && env.data_len == 1000, "the transfer then completes at its declared size");
}

static void test_refusals(void) {
  char buf[700];
  boot(0);
  fwx_ota_on_connected(&ota, 0);
  begin(0, SHA_A, 100, 16, 0);
  CHECK(strstr(reply(), "\"code\":\"bad-request\"") && strstr(reply(), "session"), "session 0 refused");
  begin(1, SHA_A, 100, 0, 0);
  CHECK(strstr(reply(), "\"code\":\"bad-request\"") && strstr(reply(), "window"), "window 0 refused");
  begin(1, SHA_A, 16u * 1024u * 1024u + 1u, 16, 0);
  CHECK(strstr(reply(), "\"code\":\"too-large\"") && strstr(reply(), "transfer of 16777217 bytes exceeds the device limit of 16777216"),
        "transfer above 16 MiB refused, naming both sizes");
  begin(1, SHA_A, 0, 16, 0);
  CHECK(strstr(reply(), "\"code\":\"bad-request\"") && strstr(reply(), "transfer of 0 bytes"), "empty transfer refused as the Node agent does");
  begin(1, "zz", 100, 16, 0);
  CHECK(strstr(reply(), "\"code\":\"bad-request\"") && strstr(reply(), "sha256"), "bad hash refused");
  cmd("{\"op\":\"begin\",\"req\":\"7\",\"from\":\"tool-1\",\"session\":1,\"window\":4,\"package\":{\"module\":\"Bad/Id\",\"version\":\"1\",\"sequence\":1,\"size\":1,\"sha256\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}", 0);
  CHECK(strstr(reply(), "module id"), "bad module id refused");
  cmd("{\"op\":\"begin\",\"req\":\"7\",\"from\":\"tool-1\",\"session\":1,\"window\":4,\"package\":{\"module\":\"m\",\"version\":\"1\",\"sequence\":1,\"size\":-1,\"sha256\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}", 0);
  CHECK(strstr(reply(), "\"code\":\"bad-request\"") && strstr(reply(), "size"), "negative size refused");
  snprintf(buf, sizeof buf, "{\"op\":\"begin\",\"req\":\"7\",\"from\":\"tool-1\",\"session\":5,\"window\":4,\"package\":{\"module\":\"m\",\"version\":\"1\",\"sequence\":1,\"size\":10,\"sha256\":\"%s\"},\"delta\":{\"base\":\"%s\",\"size\":4,\"sha256\":\"%s\"}}", SHA_A, SHA_B, SHA_B);
  cmd(buf, 0);
  CHECK(strstr(reply(), "\"code\":\"base-mismatch\""), "delta against a package the device does not have: base-mismatch");
  env.has_confirmed = 1;
  memset(env.confirmed, 0xbb, 32);
  cmd(buf, 0);
  CHECK(strstr(reply(), "\"resumeFrom\":0") && ota.t.delta && ota.t.size == 4, "delta against the confirmed package accepted");
  env.has_last = 1;
  snprintf(env.last_install, sizeof env.last_install, "{\"session\":3,\"module\":\"m\",\"phase\":\"refused\",\"ts\":1,\"package\":\"%s\"}", SHA_A);
  begin(8, SHA_A, 100, 16, 0);
  CHECK(strstr(reply(), "\"done\":{\"session\":3") != NULL, "an already decided package answers with its verdict");
  env.has_last = 0;
  env.has_trial = 1;
  memset(env.trial, 0xaa, 32);
  begin(8, SHA_A, 100, 16, 0);
  CHECK(strstr(reply(), "\"resumeFrom\":100,\"installing\":true"), "package on trial: installing");
}

static void test_commands(void) {
  boot(0);
  fwx_ota_on_connected(&ota, 0);
  cmd("{\"op\":\"status\",\"req\":\"1\",\"from\":\"tool-1\"}", 0);
  CHECK(strstr(reply(), "\"status\":{\"device\":\"dev-1\"") && strstr(reply(), "\"busy\":null"), "status reply");
  cmd("{\"op\":\"logs\",\"req\":\"2\",\"from\":\"tool-1\",\"limit\":2}", 0);
  CHECK(strstr(reply(), "\"lines\":[\"line\",\"line\"]"), "logs reply");
  cmd("{\"op\":\"rollback\",\"req\":\"3\",\"from\":\"tool-1\",\"module\":\"m\"}", 0);
  CHECK(strstr(reply(), "\"ok\":false,\"code\":\"no-previous\""), "refusal from the host");
  env.ota = &ota;
  cmd("{\"op\":\"remove\",\"req\":\"4\",\"from\":\"tool-1\",\"module\":\"m\"}", 0);
  env.ota = NULL;
  CHECK(strstr(reply(), "{\"req\":\"4\",\"ok\":true,\"event\":{\"phase\":\"removed\"}}"), "remove reply intact although the command published a status while it was built");
  CHECK(fake_count(&env, "status") >= 2, "the command's event published the status");
  cmd("{\"op\":\"query\",\"req\":\"5\",\"from\":\"tool-1\",\"session\":4}", 0);
  CHECK(strstr(reply(), "\"code\":\"superseded\",\"message\":\"session 4 is no longer the device's transfer\""),
        "query of an unknown session: superseded, in the Node agent's words");
  cmd("{\"op\":\"fly\",\"req\":\"6\",\"from\":\"tool-1\"}", 0);
  CHECK(strstr(reply(), "\"code\":\"unknown-op\""), "unknown op");
  env.npubs = 0;
  cmd("{\"op\":\"status\",\"req\":\"1\",\"from\":\"tool/#\"}", 0);
  cmd("{\"op\":\"status\",\"req\":1,\"from\":\"tool-1\"}", 0);
  cmd("[1,2]", 0);
  CHECK(env.npubs == 0, "commands without a valid from/req are ignored");
  begin(5, SHA_A, 4096, 16, 0);
  cmd("{\"op\":\"abort\",\"req\":\"8\",\"from\":\"tool-1\",\"session\":5}", 0);
  CHECK(!ota.active && env.meta_len == -1, "abort drops the partial");
}

/* Random and mutated messages: nothing may crash (ASan/UBSan), hang, or grow the hold past its bound. */
static void test_hostile(void) {
  static uint8_t buf[70000];
  const char *seeds[] = {
      "{\"op\":\"begin\",\"req\":\"7\",\"from\":\"t\",\"session\":5,\"window\":4,\"package\":{\"module\":\"m\",\"version\":\"1\",\"sequence\":1,\"size\":10,\"sha256\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},\"delta\":{\"base\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"size\":4,\"sha256\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}}",
      "{\"op\":\"logs\",\"req\":\"2\",\"from\":\"tool-1\",\"limit\":-99999999999,\"module\":\"\\ud800\"}",
      "{\"op\":\"query\",\"req\":\"5\",\"from\":\"tool-1\",\"session\":1e400}"};
  unsigned seed = 12345;
  int i, round;
  boot(0);
  fwx_ota_on_connected(&ota, 0);
  for (round = 0; round < 10000; round++) {
    size_t n;
    const char *s = seeds[round % 3];
    seed = seed * 1103515245u + 12345u;
    n = strlen(s);
    memcpy(buf, s, n);
    for (i = 0; i < 3; i++) {
      seed = seed * 1103515245u + 12345u;
      buf[(seed >> 8) % n] = (uint8_t)(seed >> 16);
    }
    fwx_ota_on_message(&ota, "fwx/v2/dev-1/cmd", buf, n, (uint64_t)round);
    seed = seed * 1103515245u + 12345u;
    n = (seed >> 4) % (round % 100 == 0 ? sizeof buf : 1500u);
    for (i = 0; i < (int)n; i++) buf[i] = (uint8_t)(seed >> (i % 24));
    if (n > 10) {
      uint32_t crc = fwx_crc32(0, buf + 10, n - 10);
      buf[0] = 0;
      buf[1] = (uint8_t)(round % 7);
      buf[6] = (uint8_t)(crc >> 24);
      buf[7] = (uint8_t)(crc >> 16);
      buf[8] = (uint8_t)(crc >> 8);
      buf[9] = (uint8_t)crc;
    }
    fwx_ota_on_message(&ota, "fwx/v2/dev-1/chunk", buf, n, (uint64_t)round);
    fwx_ota_poll(&ota, (uint64_t)round);
    if (ota.hold_used > FWX_OTA_HOLD_BYTES || ota.hold_count > FWX_OTA_HOLD_ENTRIES) break;
  }
  CHECK(round == 10000, "10000 mutated commands and random chunks: hold stays bounded");
  fwx_ota_on_message(&ota, "fwx/v2/dev-1", buf, 5, 0);
  fwx_ota_on_message(&ota, "fwx/v2/other/cmd", buf, 5, 0);
  fwx_ota_on_message(&ota, "", buf, 0, 0);
  CHECK(1, "odd topics ignored");
}

/* ---- delta against src/ota/delta.ts ---- */

typedef struct mem_io {
  uint8_t *delta, *base, *out;
  size_t delta_len, base_len, out_cap;
} mem_io;

static int rd_delta(void *ctx, uint32_t off, uint8_t *out, size_t n) {
  mem_io *m = ctx;
  if (off + n > m->delta_len) return -1;
  memcpy(out, m->delta + off, n);
  return 0;
}
static int rd_base(void *ctx, uint32_t off, uint8_t *out, size_t n) {
  mem_io *m = ctx;
  if (off + n > m->base_len) return -1;
  memcpy(out, m->base + off, n);
  return 0;
}
static int wr_out(void *ctx, uint32_t off, const uint8_t *d, size_t n) {
  mem_io *m = ctx;
  if (off + n > m->out_cap) return -1;
  memcpy(m->out + off, d, n);
  return 0;
}

static uint8_t *slurp(const char *dir, const char *name, size_t *len) {
  char path[512];
  FILE *f;
  uint8_t *b;
  long n;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  b = malloc((size_t)n + 1);
  if (fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
  fclose(f);
  *len = (size_t)n;
  return b;
}

static int apply(mem_io *m, fwx_delta_result *r) {
  fwx_delta_io io;
  io.ctx = m;
  io.read_delta = rd_delta;
  io.delta_size = (uint32_t)m->delta_len;
  io.read_base = rd_base;
  io.base_size = (uint32_t)m->base_len;
  io.write_target = wr_out;
  io.max_target = 1u << 20;
  return fwx_delta_apply(&io, r);
}

static void test_delta(const char *dir) {
  mem_io m;
  size_t target_len = 0, i;
  uint8_t *target;
  fwx_delta_result r;
  memset(&m, 0, sizeof m);
  m.base = slurp(dir, "base.bin", &m.base_len);
  target = slurp(dir, "target.bin", &target_len);
  m.delta = slurp(dir, "delta.bin", &m.delta_len);
  CHECK(m.base && target && m.delta, "delta fixtures present");
  if (!m.base || !target || !m.delta) return;
  m.out_cap = target_len;
  m.out = malloc(target_len + 1);
  CHECK(apply(&m, &r) == 0 && r.target_size == target_len && memcmp(m.out, target, target_len) == 0, "delta from src/ota/delta.ts rebuilds the target");
  CHECK(m.delta_len < target_len / 4, "fixture delta is small");
  /* Every truncation fails cleanly, naming a byte offset. */
  {
    size_t full = m.delta_len;
    int ok = 1;
    for (i = 0; i < full; i++) {
      m.delta_len = i;
      if (apply(&m, &r) == 0 || strncmp(r.message, "delta byte ", 11) != 0) ok = 0;
    }
    m.delta_len = full;
    CHECK(ok, "every truncation of the delta is refused with a byte offset");
  }
  /* Every single-byte corruption either fails cleanly or writes within bounds. */
  for (i = 0; i < m.delta_len; i++) {
    uint8_t keep = m.delta[i];
    m.delta[i] ^= 0xff;
    (void)apply(&m, &r);
    m.delta[i] = keep;
  }
  CHECK(1, "every byte of the delta flipped: no out-of-bounds access");
  m.base_len--;
  CHECK(apply(&m, &r) != 0 && strstr(r.message, "base"), "base of the wrong size refused");
  free(m.base);
  free(m.delta);
  free(m.out);
  free(target);
}

int main(int argc, char **argv) {
  test_crc();
  test_json();
  test_full_transfer();
  test_gap_and_crc();
  test_pause_ack();
  test_early_and_resume();
  test_refusals();
  test_commands();
  test_hostile();
  if (argc > 1) test_delta(argv[1]);
  else CHECK(0, "no delta fixture directory given");
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
