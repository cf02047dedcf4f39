// global.get and global.set without binaryen.js's stack leak. Its wrappers
// `module.global.get/set` put the global's name on binaryen's C stack and never
// pop it (most of its other wrappers do, through preserveStack). The
// instrumenter makes several per charge point, so each module instrumented
// kept a few KiB, and a long-lived process (the agent's preparation worker)
// ran binaryen's 5 MiB stack out after about a thousand modules; every module
// after that failed with "memory access out of bounds". Here the name lives in
// binaryen's heap for the call and is freed after it: binaryen interns names,
// so the expression does not keep the pointer.
// (tests/fuel/binaryen-stack.test.ts)

import binaryen from "binaryen";

interface BinaryenHeap {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  _BinaryenGlobalGet(module: number, name: number, type: number): number;
  _BinaryenGlobalSet(module: number, name: number, value: number): number;
}

const B = binaryen as unknown as BinaryenHeap;
const utf8 = new TextEncoder();

function withName<T>(name: string, use: (ptr: number) => T): T {
  const bytes = utf8.encode(name);
  const ptr = B._malloc(bytes.length + 1);
  try {
    // HEAPU8 is read after _malloc: a heap that grew has a new buffer.
    B.HEAPU8.set(bytes, ptr);
    B.HEAPU8[ptr + bytes.length] = 0;
    return use(ptr);
  } finally {
    B._free(ptr);
  }
}

export function globalGet(m: binaryen.Module, name: string, type: binaryen.Type): binaryen.ExpressionRef {
  return withName(name, (ptr) => B._BinaryenGlobalGet(m.ptr, ptr, type));
}

export function globalSet(m: binaryen.Module, name: string, value: binaryen.ExpressionRef): binaryen.ExpressionRef {
  return withName(name, (ptr) => B._BinaryenGlobalSet(m.ptr, ptr, value));
}
