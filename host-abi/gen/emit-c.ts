// The C emitters: firmware/ (header, import tables, wasm3 glue) and the
// generated half of the C tests. All of it is printed from the LoweredAbi.

import type { Emitter } from "./emitter.js";
import { BRIDGE_C_PATH, emitCBridge } from "./emit-c-bridge.js";
import { emitCHeader, HEADER_PATH } from "./emit-c-header.js";
import { emitCTablesHeader, emitCTablesSource, TABLES_C_PATH, TABLES_H_PATH } from "./emit-c-tables.js";
import { emitCTestHal, TEST_HAL_PATH } from "./emit-c-testhal.js";
import { emitCWasm3Header, emitCWasm3Source, WASM3_C_PATH, WASM3_H_PATH } from "./emit-c-wasm3.js";

export const emitC: Emitter = (abi) => [
  { path: HEADER_PATH, content: emitCHeader(abi) },
  { path: TABLES_H_PATH, content: emitCTablesHeader(abi) },
  { path: TABLES_C_PATH, content: emitCTablesSource(abi) },
  { path: WASM3_H_PATH, content: emitCWasm3Header(abi) },
  { path: WASM3_C_PATH, content: emitCWasm3Source(abi) },
  { path: TEST_HAL_PATH, content: emitCTestHal(abi) },
  { path: BRIDGE_C_PATH, content: emitCBridge(abi) },
];
