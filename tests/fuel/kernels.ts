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
