// A tight integer loop with no memory traffic: the worst case for per-iteration
// metering, because the charge is a large share of each iteration.
// AssemblyScript source, compiled in-process by compile.ts (kept as a string so
// the repository type-check does not read it as TypeScript).

export const arithSource = String.raw`
export function run(n: i32): i32 {
  let x: i32 = 1;
  let y: i32 = 7;
  for (let i = 0; i < n; i++) {
    x = x * 1664525 + 1013904223;
    y ^= x >>> 13;
    y = (y << 3) | (y >>> 29);
  }
  return x ^ y;
}
`;
