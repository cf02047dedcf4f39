// A fixed-size radix-2 FFT (decimation in time, in place) over StaticArray
// buffers. Twiddles, the bit-reversal permutation and the Hann window are
// computed once when the module starts; a transform allocates nothing, so it
// can run every measurement period for years on a runtime that never frees.
// It is also the module's CPU-bound kernel: 1024 butterflies per block.

export const FFT_SIZE: i32 = 256;
export const FFT_LOG2: i32 = 8;

const COS = new StaticArray<f64>(FFT_SIZE / 2);
const SIN = new StaticArray<f64>(FFT_SIZE / 2);
const BITREV = new StaticArray<u16>(FFT_SIZE);
/** Periodic Hann window: its spectral leakage falls off fast enough to separate 1x and 2x shaft orders. */
export const HANN = new StaticArray<f64>(FFT_SIZE);
/** Mean of the squared window: divides windowed energy back to signal energy. */
export let HANN_POWER: f64 = 0;

function initTables(): void {
  for (let k = 0; k < FFT_SIZE / 2; k++) {
    // One argument reduction for both (bit for bit Math.cos and Math.sin at these angles),
    // and the only trigonometry linked: Math.sin and Math.cos would each inline their own.
    Math.sincos((2 * Math.PI * <f64>k) / <f64>FFT_SIZE);
    unchecked((COS[k] = Math.sincos_cos));
    unchecked((SIN[k] = Math.sincos_sin));
  }
  for (let i = 0; i < FFT_SIZE; i++) {
    let r = 0;
    for (let b = 0; b < FFT_LOG2; b++) r |= ((i >> b) & 1) << (FFT_LOG2 - 1 - b);
    unchecked((BITREV[i] = <u16>r));
  }
  let power: f64 = 0;
  for (let n = 0; n < FFT_SIZE; n++) {
    Math.sincos((2 * Math.PI * <f64>n) / <f64>FFT_SIZE);
    const w = 0.5 - 0.5 * Math.sincos_cos;
    unchecked((HANN[n] = w));
    power += w * w;
  }
  HANN_POWER = power / <f64>FFT_SIZE;
}
initTables();

/** Forward DFT of (re, im) in place: X[k] = Σ x[n]·e^(-2πikn/N), unscaled. */
export function fft(re: StaticArray<f64>, im: StaticArray<f64>): void {
  for (let i = 0; i < FFT_SIZE; i++) {
    const j = <i32>unchecked(BITREV[i]);
    if (j > i) {
      const tr = unchecked(re[i]);
      unchecked((re[i] = re[j]));
      unchecked((re[j] = tr));
      const ti = unchecked(im[i]);
      unchecked((im[i] = im[j]));
      unchecked((im[j] = ti));
    }
  }
  for (let size = 2; size <= FFT_SIZE; size <<= 1) {
    const half = size >> 1;
    const step = FFT_SIZE / size;
    for (let start = 0; start < FFT_SIZE; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = unchecked(COS[k * step]);
        const wi = -unchecked(SIN[k * step]);
        const a = start + k;
        const b = a + half;
        const br = unchecked(re[b]);
        const bi = unchecked(im[b]);
        const tr = wr * br - wi * bi;
        const ti = wr * bi + wi * br;
        const ar = unchecked(re[a]);
        const ai = unchecked(im[a]);
        unchecked((re[b] = ar - tr));
        unchecked((im[b] = ai - ti));
        unchecked((re[a] = ar + tr));
        unchecked((im[a] = ai + ti));
      }
    }
  }
}
