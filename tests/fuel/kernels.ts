// AssemblyScript sources exercising the control-flow shapes the instrumenter
// rewrites: nested loops with break/continue (br_if), switch (br_table),
// calls inside loops and in call arguments, early returns from inside loops,
// recursion, memory.copy/fill/grow. Kept as strings: they are not TypeScript.

export const shapesSource = String.raw`
const scratch = memory.data(4096);

function weight(x: i32): i32 {
  return (x * 2654435761) >>> 28;
}

export function nested(n: i32): i32 {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if ((i ^ j) & 4) continue;
      if (j > 50) break;
      acc += i * j + weight(j);
    }
  }
  return acc;
}

export function classify(n: i32): i32 {
  let acc = 0;
  for (let i = 0; i < n; i++) {
    switch (i % 7) {
      case 0: acc += 3; break;
      case 1: acc ^= i; break;
      case 2: acc = acc * 3 + 1; break;
      case 3: acc -= weight(i); break;
      case 5: acc += i << 1; break;
      default: acc += 1;
    }
  }
  return acc;
}

export function findFirst(n: i32, needle: i32): i32 {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 16; j++) {
      if (weight(i * 16 + j) == needle) return i * 16 + j;
    }
  }
  return -1;
}

export function fib(n: i32): i32 {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export function nestedCalls(n: i32): i32 {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += weight(weight(i) + fib(i & 7)) + nested(i & 3);
  return acc;
}

export function bulk(n: i32): i32 {
  memory.fill(scratch, <u8>(n & 255), 2048);
  memory.copy(scratch + 2048, scratch + 1000, <usize>(n & 1023));
  let acc = 0;
  for (let i = 0; i < 4096; i += 64) acc += load<u8>(scratch + i);
  return acc;
}

export function grow(pages: i32): i32 {
  return memory.grow(pages);
}
`;

export const spinSource = String.raw`
export function spin(): void {
  while (true) {}
}

export function spinCounting(): i32 {
  let i = 0;
  while (true) {
    i++;
    if (i == -1) break;
    if (i == -2) break;
  }
  return i;
}

export function recurse(n: i32): i32 {
  return recurse(n + 1) + 1;
}

export function work(n: i32): i32 {
  let x = 0;
  for (let i = 0; i < n; i++) x = x * 31 + i;
  return x;
}
`;

// Small helpers called from many places, as StaticArray accessors are in
// size-optimised builds: at -O3s/-Oz binaryen leaves them un-inlined, so the
// instrumenter charges them at their call sites. `swap` and `clampSum` only
// call helpers (charged at call sites too, transitively); `scale` is exported,
// `twice` is reached through a function pointer (a table entry), and ping/pong
// recurse through each other without loops: those keep their entry charge.
export const helpersSource = String.raw`
const cells = memory.data(1024);

function get(i: i32): i32 {
  return load<i32>(cells + ((<usize>i & 255) << 2));
}

function put(i: i32, v: i32): void {
  store<i32>(cells + ((<usize>i & 255) << 2), v);
}

function mix(a: i32, b: i32): i32 {
  return (a ^ (b << 5)) + (b >>> 3) + (a >>> 11);
}

function swap(i: i32, j: i32): void {
  const t = get(i);
  put(i, get(j));
  put(j, t);
}

function clampSum(a: i32, b: i32): i32 {
  const s = a + b;
  if (s < 0) return mix(s, 1) & 0xffff;
  return s > 1000000 ? s - 1000000 : s;
}

export function scale(x: i32): i32 {
  return x * 3 + (x >>> 7) + 1;
}

let op: (x: i32) => i32 = (x: i32): i32 => x + get(x) * 3;

export function setOp(which: i32): void {
  op = which == 0 ? (x: i32): i32 => x + get(x) * 3 : (x: i32): i32 => mix(x, get(x + 1));
}

export function fill(seed: i32): void {
  for (let i = 0; i < 256; i++) put(i, mix(seed, i));
}

export function shuffle(rounds: i32): void {
  for (let r = 0; r < rounds; r++) swap(get(r) & 255, (r * 7) & 255);
}

export function checksum(): i32 {
  let acc = 0;
  for (let i = 0; i < 256; i++) acc = clampSum(acc, get(i) & 0xffff) ^ scale(i);
  return acc;
}

export function viaPointer(n: i32): i32 {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += op(i);
  return acc;
}

export function run(n: i32): i32 {
  fill(n);
  shuffle(n * 7);
  return checksum() ^ scale(n) ^ viaPointer(n & 63);
}

export function spinOnHelpers(): i32 {
  let acc = 0;
  while (true) {
    acc = mix(acc, get(acc));
    if (acc == 0x7fffffff) break;
  }
  return acc;
}

function ping(n: i32): i32 {
  return n == -1 ? 0 : pong(n + 1) + 1;
}

function pong(n: i32): i32 {
  return n == -1 ? 0 : ping(n + 1) + 2;
}

export function pingPong(n: i32): i32 {
  return ping(n);
}
`;
