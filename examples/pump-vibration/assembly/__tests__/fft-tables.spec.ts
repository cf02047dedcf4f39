import { FFT_SIZE, HANN } from "../fft";

// fft.ts fills its twiddle and window tables with Math.sincos (one argument
// reduction, and the only trigonometry the module links). The tables must be
// the ones Math.sin and Math.cos give, bit for bit: the recordings replay them.
describe("FFT tables", () => {
  test("Math.sincos gives Math.sin and Math.cos bit for bit at every table angle", () => {
    let differing = 0;
    for (let k = 0; k < FFT_SIZE; k++) {
      const angle = (2 * Math.PI * <f64>k) / <f64>FFT_SIZE;
      Math.sincos(angle);
      if (reinterpret<u64>(Math.sincos_sin) != reinterpret<u64>(Math.sin(angle))) differing++;
      if (reinterpret<u64>(Math.sincos_cos) != reinterpret<u64>(Math.cos(angle))) differing++;
    }
    expect(differing).toBe(0);
  });

  test("the Hann window is 0.5 - 0.5·cos, bit for bit", () => {
    let differing = 0;
    for (let n = 0; n < FFT_SIZE; n++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * <f64>n) / <f64>FFT_SIZE);
      if (reinterpret<u64>(HANN[n]) != reinterpret<u64>(w)) differing++;
    }
    expect(differing).toBe(0);
  });
});
