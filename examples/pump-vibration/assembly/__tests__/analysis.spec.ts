import { FFT_SIZE, fft } from "../fft";
import { Analysis, STANDARD_GRAVITY_MM_S2, analyse, zoneOf } from "../analysis";
import { rateCode } from "../adxl345";

const FS: f64 = 400;

/** samples[n] = offset + Σ amplitude·sin(2π·f·n/fs + phase) */
function tone(out: StaticArray<f64>, amplitude: f64, hz: f64, phase: f64 = 0): void {
  for (let n = 0; n < FFT_SIZE; n++) out[n] += amplitude * Math.sin((2 * Math.PI * hz * <f64>n) / FS + phase);
}

function zeros(): StaticArray<f64> {
  return new StaticArray<f64>(FFT_SIZE);
}

describe("FFT", () => {
  test("an impulse has a flat spectrum", () => {
    const re = zeros();
    const im = zeros();
    re[0] = 1;
    fft(re, im);
    let worst: f64 = 0;
    for (let k = 0; k < FFT_SIZE; k++) worst = Math.max(worst, Math.abs(re[k] - 1) + Math.abs(im[k]));
    expect(worst).toBeLessThan(1e-12);
  });

  test("a cosine at bin 5 lands in bins 5 and N-5 with N/2 each", () => {
    const re = zeros();
    const im = zeros();
    for (let n = 0; n < FFT_SIZE; n++) re[n] = Math.cos((2 * Math.PI * 5 * <f64>n) / <f64>FFT_SIZE);
    fft(re, im);
    expect(re[5]).toBeCloseTo(<f64>FFT_SIZE / 2, 9);
    expect(re[FFT_SIZE - 5]).toBeCloseTo(<f64>FFT_SIZE / 2, 9);
    let leak: f64 = 0;
    for (let k = 0; k < FFT_SIZE; k++) if (k != 5 && k != FFT_SIZE - 5) leak += Math.abs(re[k]) + Math.abs(im[k]);
    expect(leak).toBeLessThan(1e-9);
  });

  test("keeps energy (Parseval) on a pseudo-random signal", () => {
    const re = zeros();
    const im = zeros();
    let x: u32 = 2463534242;
    let timeEnergy: f64 = 0;
    for (let n = 0; n < FFT_SIZE; n++) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      re[n] = <f64>(x & 0xffff) / 65536.0 - 0.5;
      timeEnergy += re[n] * re[n];
    }
    fft(re, im);
    let freqEnergy: f64 = 0;
    for (let k = 0; k < FFT_SIZE; k++) freqEnergy += re[k] * re[k] + im[k] * im[k];
    expect(freqEnergy / <f64>FFT_SIZE).toBeCloseTo(timeEnergy, 9);
  });
});

describe("block analysis", () => {
  test("a 25 Hz sine (bin 16 at 400 Hz) gives the right peak, RMS and velocity", () => {
    const s = zeros();
    tone(s, 0.1, 25);
    const r = new Analysis();
    analyse(s, FS, 10, r);
    expect(r.peakBin).toBe(16);
    expect(r.peakHz).toBeCloseTo(25.0, 2);
    expect(r.accelRmsG).toBeCloseTo(0.1 / Math.SQRT2, 6);
    // v = a / ω: 0.0707 g = 693.4 mm/s² at 157.08 rad/s = 4.414 mm/s.
    const expected = ((0.1 / Math.SQRT2) * STANDARD_GRAVITY_MM_S2) / (2 * Math.PI * 25);
    expect(Math.abs(r.velocityRmsMmS - expected) / expected).toBeLessThan(0.01);
    expect(r.peakG).toBeCloseTo(0.1 / Math.SQRT2, 3);
  });

  test("the shaft frequency between bins (24.75 Hz) is interpolated", () => {
    const s = zeros();
    tone(s, 0.05, 24.75, 0.3);
    const r = new Analysis();
    analyse(s, FS, 10, r);
    expect(r.peakBin).toBe(16);
    expect(Math.abs(r.peakHz - 24.75)).toBeLessThan(0.1);
  });

  test("two tones split into their bands, and the bands add up to the overall RMS", () => {
    const s = zeros();
    tone(s, 0.08, 25);
    tone(s, 0.04, 112.5, 1.0);
    const r = new Analysis();
    analyse(s, FS, 10, r);
    // Bands are 50 Hz wide at 400 Hz: 25 Hz in band 1, 112.5 Hz in band 3.
    expect(r.bandG[0]).toBeCloseTo(0.08 / Math.SQRT2, 3);
    expect(r.bandG[1]).toBeLessThan(0.001);
    expect(r.bandG[2]).toBeCloseTo(0.04 / Math.SQRT2, 3);
    expect(r.bandG[3]).toBeLessThan(0.001);
    let total: f64 = 0;
    for (let b = 0; b < 4; b++) total += r.bandG[b] * r.bandG[b];
    expect(Math.sqrt(total)).toBeCloseTo(r.accelRmsG, 3);
    expect(r.peakBin).toBe(16);
  });

  test("gravity (a constant 1 g) is removed before anything is measured", () => {
    const s = zeros();
    for (let n = 0; n < FFT_SIZE; n++) s[n] = 1.0;
    tone(s, 0.1, 25);
    const r = new Analysis();
    analyse(s, FS, 10, r);
    expect(r.meanG).toBeCloseTo(1.0, 3);
    expect(r.accelRmsG).toBeCloseTo(0.1 / Math.SQRT2, 3);
  });

  test("a tone below the 10 Hz cut-off adds (almost) no velocity", () => {
    const s = zeros();
    tone(s, 0.1, 3.125);
    const r = new Analysis();
    analyse(s, FS, 10, r);
    const unfiltered = ((0.1 / Math.SQRT2) * STANDARD_GRAVITY_MM_S2) / (2 * Math.PI * 3.125);
    expect(r.velocityRmsMmS).toBeLessThan(0.001 * unfiltered);
  });

  test("silence is zone A with zero velocity", () => {
    const r = new Analysis();
    analyse(zeros(), FS, 10, r);
    expect(r.velocityRmsMmS).toBe(0);
    expect(zoneOf(r.velocityRmsMmS, 1.4, 2.8, 4.5)).toBe("A");
  });
});

describe("helpers", () => {
  test("ISO 10816 zones by velocity", () => {
    expect(zoneOf(1.39, 1.4, 2.8, 4.5)).toBe("A");
    expect(zoneOf(1.4, 1.4, 2.8, 4.5)).toBe("B");
    expect(zoneOf(2.8, 1.4, 2.8, 4.5)).toBe("C");
    expect(zoneOf(4.5, 1.4, 2.8, 4.5)).toBe("D");
  });

  test("ADXL345 rate codes for the supported sample rates", () => {
    expect(rateCode(100)).toBe(0x0a);
    expect(rateCode(400)).toBe(0x0c);
    expect(rateCode(3200)).toBe(0x0f);
    expect(rateCode(500)).toBe(0);
  });
});
