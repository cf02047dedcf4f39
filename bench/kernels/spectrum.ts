// Float signal processing as sensor modules do it: an in-place iterative
// radix-2 FFT over 1024 samples followed by the RMS of the magnitude spectrum.
// AssemblyScript source, compiled in-process by compile.ts (kept as a string so
// the repository type-check does not read it as TypeScript).

export const spectrumSource = String.raw`
const N = 1024;
const LOG2N = 10;
const re = memory.data(N * 8);
const im = memory.data(N * 8);
const cosTable = memory.data((N / 2) * 8);
const sinTable = memory.data((N / 2) * 8);

export function init(): void {
  for (let k = 0; k < N / 2; k++) {
    const angle = (-2.0 * Math.PI * <f64>k) / <f64>N;
    store<f64>(cosTable + (k << 3), Math.cos(angle));
    store<f64>(sinTable + (k << 3), Math.sin(angle));
  }
}

function fill(seed: i32): void {
  for (let i = 0; i < N; i++) {
    const t = <f64>i / <f64>N;
    store<f64>(re + (i << 3), Math.sin(2.0 * Math.PI * 50.0 * t) + 0.25 * <f64>((i * 7 + seed) & 15) / 16.0);
    store<f64>(im + (i << 3), 0.0);
  }
}

function bitReverse(): void {
  for (let i = 0; i < N; i++) {
    let j = 0;
    for (let b = 0, v = i; b < LOG2N; b++, v >>= 1) j = (j << 1) | (v & 1);
    if (j > i) {
      const a = re + (i << 3);
      const b = re + (j << 3);
      const t = load<f64>(a);
      store<f64>(a, load<f64>(b));
      store<f64>(b, t);
    }
  }
}

function fft(): void {
  bitReverse();
  for (let size = 2; size <= N; size <<= 1) {
    const half = size >> 1;
    const step = N / size;
    for (let start = 0; start < N; start += size) {
      for (let k = 0; k < half; k++) {
        const w = (k * step) << 3;
        const wr = load<f64>(cosTable + w);
        const wi = load<f64>(sinTable + w);
        const p = (start + k) << 3;
        const q = (start + k + half) << 3;
        const xr = load<f64>(re + q);
        const xi = load<f64>(im + q);
        const tr = xr * wr - xi * wi;
        const ti = xr * wi + xi * wr;
        const ur = load<f64>(re + p);
        const ui = load<f64>(im + p);
        store<f64>(re + p, ur + tr);
        store<f64>(im + p, ui + ti);
        store<f64>(re + q, ur - tr);
        store<f64>(im + q, ui - ti);
      }
    }
  }
}

function rmsMagnitude(): f64 {
  let sum = 0.0;
  for (let i = 0; i < N; i++) {
    const r = load<f64>(re + (i << 3));
    const m = load<f64>(im + (i << 3));
    sum += r * r + m * m;
  }
  return Math.sqrt(sum / <f64>N);
}

/** The benchmark workload: "frames" FFT+RMS frames; returns their summed RMS. */
export function run(frames: i32): f64 {
  let total = 0.0;
  for (let f = 0; f < frames; f++) {
    fill(f);
    fft();
    total += rmsMagnitude();
  }
  return total;
}
`;
