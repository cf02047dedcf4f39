// One block of radial acceleration (in g) → the figures a vibration analyst
// looks at: overall acceleration RMS, velocity RMS in the ISO 10816 band
// (integrated in the frequency domain, where integration is a division by
// 2πf), the dominant frequency, and the energy in four equal bands up to
// Nyquist. Static buffers only: analyse() allocates nothing.
import { FFT_SIZE, HANN, HANN_POWER, fft } from "./fft";

export const STANDARD_GRAVITY_MM_S2: f64 = 9806.65;
export const BANDS: i32 = 4;
/** Bins per band: bins 1..N/2 split four ways. */
const BAND_BINS: i32 = FFT_SIZE / 2 / BANDS;

const RE = new StaticArray<f64>(FFT_SIZE);
const IM = new StaticArray<f64>(FFT_SIZE);
/** One-sided power per bin, scaled so that its sum is the signal's mean square (g²). */
const POWER = new StaticArray<f64>(FFT_SIZE / 2 + 1);

export class Analysis {
  /** Sample rate the block was taken at. */
  sampleRateHz: f64 = 0;
  /** Mean of the block (static tilt or gravity), removed before everything else. */
  meanG: f64 = 0;
  accelRmsG: f64 = 0;
  /** Velocity RMS from lowCutHz to Nyquist. */
  velocityRmsMmS: f64 = 0;
  peakBin: i32 = 0;
  /** Dominant frequency, interpolated between bins. */
  peakHz: f64 = 0;
  /** RMS acceleration of the dominant bin and its window neighbours. */
  peakG: f64 = 0;
  /** RMS acceleration per band; band b spans b·fs/8 .. (b+1)·fs/8. */
  readonly bandG: StaticArray<f64> = new StaticArray<f64>(BANDS);
}

/**
 * Analyses FFT_SIZE samples of acceleration (g) taken at `sampleRateHz`.
 * Velocity and the dominant frequency ignore everything below `lowCutHz`
 * (10 Hz in ISO 10816): below it, 1/f integration turns sensor drift into
 * huge fake velocities.
 */
export function analyse(samples: StaticArray<f64>, sampleRateHz: f64, lowCutHz: f64, out: Analysis): void {
  const n = FFT_SIZE;
  out.sampleRateHz = sampleRateHz;
  let sum: f64 = 0;
  for (let i = 0; i < n; i++) sum += unchecked(samples[i]);
  const mean = sum / <f64>n;
  out.meanG = mean;

  let squares: f64 = 0;
  for (let i = 0; i < n; i++) {
    const x = unchecked(samples[i]) - mean;
    squares += x * x;
    unchecked((RE[i] = x * unchecked(HANN[i])));
    unchecked((IM[i] = 0));
  }
  out.accelRmsG = Math.sqrt(squares / <f64>n);

  fft(RE, IM);

  // Parseval for a real signal: mean square = Σ|X_k|² / N² over all k; fold
  // the mirror half onto bins 1..N/2-1 and undo the window's energy loss.
  const scale = 1.0 / (<f64>n * <f64>n * HANN_POWER);
  const half = n / 2;
  for (let k = 0; k <= half; k++) {
    const p = (unchecked(RE[k]) * unchecked(RE[k]) + unchecked(IM[k]) * unchecked(IM[k])) * scale;
    unchecked((POWER[k] = k == 0 || k == half ? p : 2 * p));
  }

  const binHz = sampleRateHz / <f64>n;
  const firstBin = max<i32>(1, <i32>Math.ceil(lowCutHz / binHz));
  let velocitySquares: f64 = 0;
  let peak = firstBin;
  for (let k = firstBin; k <= half; k++) {
    const p = unchecked(POWER[k]);
    const omega = 2 * Math.PI * <f64>k * binHz;
    velocitySquares += (p * STANDARD_GRAVITY_MM_S2 * STANDARD_GRAVITY_MM_S2) / (omega * omega);
    if (k < half && p > unchecked(POWER[peak])) peak = k;
  }
  out.velocityRmsMmS = Math.sqrt(velocitySquares);
  out.peakBin = peak;
  out.peakHz = (<f64>peak + peakOffset(peak)) * binHz;
  // A Hann window spreads a tone over three bins.
  const around = unchecked(POWER[peak]) + (peak > 0 ? unchecked(POWER[peak - 1]) : 0) + unchecked(POWER[peak + 1]);
  out.peakG = Math.sqrt(around);

  for (let b = 0; b < BANDS; b++) {
    let e: f64 = 0;
    const from = 1 + b * BAND_BINS;
    for (let k = from; k < from + BAND_BINS; k++) e += unchecked(POWER[k]);
    unchecked((out.bandG[b] = Math.sqrt(e)));
  }
}

/**
 * Where the true peak lies between bins, from a parabola through the log
 * magnitudes of the peak and its neighbours (exact for a Gaussian; within a
 * few hundredths of a bin for a Hann-windowed tone).
 */
function peakOffset(k: i32): f64 {
  if (k < 1 || k >= FFT_SIZE / 2) return 0;
  const a = unchecked(POWER[k - 1]);
  const b = unchecked(POWER[k]);
  const c = unchecked(POWER[k + 1]);
  if (a <= 0 || b <= 0 || c <= 0) return 0;
  // Half the log of power is the log of magnitude.
  const la = 0.5 * Math.log(a);
  const lb = 0.5 * Math.log(b);
  const lc = 0.5 * Math.log(c);
  const denominator = la - 2 * lb + lc;
  if (denominator >= 0) return 0;
  const d = (0.5 * (la - lc)) / denominator;
  return d < -0.5 ? -0.5 : d > 0.5 ? 0.5 : d;
}

/** ISO 10816 evaluation zone for a velocity RMS: A (new machine) .. D (damage likely). */
export function zoneOf(velocityMmS: f64, zoneB: f64, zoneC: f64, zoneD: f64): string {
  if (velocityMmS < zoneB) return "A";
  if (velocityMmS < zoneC) return "B";
  if (velocityMmS < zoneD) return "C";
  return "D";
}
