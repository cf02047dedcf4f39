// The fuzz harnesses of tests/c/fuzz/ and what each links: firmware sources
// (relative to firmware/), test sources (relative to tests/c/), -D options
// and libraries. Shared by run-fuzz.mjs (libFuzzer, clang) and the replay
// suite tests/c/suites/fuzz-replay.mjs (gcc + ASan/UBSan, seed corpus only).
const RT = (f) => `runtime/${f}`;
const PKG = ["fwx_cbor.c", "fwx_pkg_fields.c", "fwx_pkg_caps.c", "fwx_pkg_payload.c", "fwx_pkg_verify.c", "fwx_revocations.c"].map(RT);

export const HARNESSES = {
  json: { sources: [RT("fwx_json.c"), RT("fwx_text.c")] },
  delta: { sources: [RT("fwx_delta.c"), RT("fwx_text.c"), "fwx_support.c"] },
  pkg: { sources: [...PKG, "fwx_support.c", "fwx_abi_tables.c"], tests: ["fuzz/fuzz_crypto_stub.c"] },
  revocations: { sources: [...PKG, RT("fwx_revocations_keep.c"), "fwx_support.c", "fwx_abi_tables.c"], tests: ["fuzz/fuzz_crypto_stub.c"] },
  command: { sources: [RT("fwx_command.c"), RT("fwx_cbor.c"), RT("fwx_pkg_fields.c"), RT("fwx_pkg_caps.c"), RT("fwx_json.c"), RT("fwx_text.c"), "fwx_support.c"], tests: ["fuzz/fuzz_crypto_stub.c"] },
  ota: {
    sources: ["fwx_json.c", "fwx_ota.c", "fwx_crc32.c", "fwx_delta.c", "fwx_text.c", "fwx_command.c", "fwx_statement.c", "fwx_cbor_write.c", "fwx_cbor.c", "fwx_pkg_fields.c", "fwx_pkg_caps.c"].map(RT).concat(["fwx_support.c"]),
    tests: ["ota/ota_fakes.c", "fuzz/fuzz_crypto_stub.c"], includes: ["ota"], defines: ["-DFWX_OTA_TEST_UNSIGNED"],
  },
  slots: {
    sources: ["fwx_slots.c", "fwx_slots_journal.c", "fwx_crc32.c"].map(RT), tests: ["slots/sim_flash.c"], includes: ["slots"],
    defines: ["-DFWX_SLOTS_MAX_MODULES=2u", "-DFWX_SLOTS_MAX_FLOORS=3u", "-DFWX_SLOTS_SLOT_BYTES=2048u", "-DFWX_SLOTS_STAGING_BYTES=2048u",
      "-DFWX_SLOTS_BANK_BYTES=4096u", "-DFWX_SLOTS_CONFIG_MAX=64u", "-DFWX_SLOTS_CONFIG_POOL=96u", "-DFWX_SLOTS_META_MAX=48u"],
  },
  module_check: { sources: ["fwx_abi_tables.c", "fwx_abi_section.c", "fwx_module_check.c", "fwx_code_check.c", "fwx_module_check_text.c", "fwx_support.c"] },
  device_verify: {
    sources: [...PKG, RT("device/fwx_device_verify.c"), RT("fwx_revocations_keep.c"), RT("fwx_text.c"), "fwx_support.c", "fwx_abi_tables.c"],
    tests: ["fuzz/fuzz_crypto_stub.c"], includes: ["../../firmware/runtime/device", "fake_wasm3"],
    defines: ["-DFWX_DEVICE_MAX_PACKAGE=65536u", "-DFWX_SLOTS_SLOT_BYTES=65536u", "-DFWX_SLOTS_STAGING_BYTES=65536u", "-DFWX_SLOTS_BANK_BYTES=65536u", "-DFWX_SLOTS_CONFIG_MAX=4640u", "-DFWX_SLOTS_CONFIG_POOL=4640u"],
  },
  config_number: { sources: [RT("device/fwx_config_number.c"), RT("fwx_text.c")], includes: ["../../firmware/runtime/device"] },
  cbor: { sources: [RT("fwx_cbor.c"), "fwx_support.c"] },
};
