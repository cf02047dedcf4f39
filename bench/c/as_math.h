/* sin and cos (NativeMath.sincos, as the example calls them) as AssemblyScript's standard library computes them
 * (std/assembly/math.ts at shrink level >= 1: musl's kernels with the
 * argument reduction of jdh8/metallic), translated to C. The C port links
 * these rather than a libc's so the two languages pay for the same Math: the
 * issue's size comparison is about everything else, and the FFT tables must
 * come out bit-identical for the port to replay the example's recordings. */
#ifndef FWX_BENCH_AS_MATH_H
#define FWX_BENCH_AS_MATH_H

#include <stdint.h>

static double rempio2_y0, rempio2_y1;
static uint64_t res128_hi;

static double f64_of(uint64_t u) { union { uint64_t i; double f; } v = {u}; return v.f; }
static uint64_t bits_of(double f) { union { double f; uint64_t i; } v = {f}; return v.i; }

static const uint64_t PIO2_TABLE[24] = {
  0x00000000A2F9836Eull, 0x4E441529FC2757D1ull, 0xF534DDC0DB629599ull, 0x3C439041FE5163ABull,
  0xDEBBC561B7246E3Aull, 0x424DD2E006492EEAull, 0x09D1921CFE1DEB1Cull, 0xB129A73EE88235F5ull,
  0x2EBB4484E99C7026ull, 0xB45F7E413991D639ull, 0x835339F49C845F8Bull, 0xBDF9283B1FF897FFull,
  0xDE05980FEF2F118Bull, 0x5A0A6D1F6D367ECFull, 0x27CB09B74F463F66ull, 0x9E5FEA2D7527BAC7ull,
  0xEBE5F17B3D0739F7ull, 0x8A5292EA6BFB5FB1ull, 0x1F8D5D0856033046ull, 0xFC7B6BABF0CFBC20ull,
  0x9AF4361DA9E39161ull, 0x5EE61B086599855Full, 0x14A068408DFFD880ull, 0x4D73273106061557ull,
};

static uint64_t umuldi(uint64_t u, uint64_t v) {
  uint64_t u1 = u & 0xFFFFFFFF, v1 = v & 0xFFFFFFFF, w0, w1, t;
  u >>= 32;
  v >>= 32;
  t = u1 * v1;
  w0 = t & 0xFFFFFFFF;
  t = u * v1 + (t >> 32);
  w1 = t >> 32;
  t = u1 * v + (t & 0xFFFFFFFF);
  res128_hi = u * v + w1 + (t >> 32);
  return (t << 32) + w0;
}

static uint64_t pio2_right(uint64_t q0, uint64_t q1) {
  const uint64_t p0 = 0xC4C6628B80DC1CD1ull, p1 = 0xC90FDAA22168C234ull;
  const double x1p_64 = f64_of(0x3BF0000000000000ull), x1p_75 = f64_of(0x3B40000000000000ull);
  uint64_t shift = (uint64_t)__builtin_clzll(q1), lo, hi, ahi, alo, blo;
  q1 = q1 << shift | q0 >> (64 - shift);
  q0 <<= shift;
  lo = umuldi(p1, q1);
  hi = res128_hi;
  ahi = hi >> 11;
  alo = lo >> 11 | hi << 53;
  blo = (uint64_t)(x1p_75 * (double)p0 * (double)q1 + x1p_75 * (double)p1 * (double)q0);
  rempio2_y0 = (double)(ahi + (lo < blo));
  rempio2_y1 = x1p_64 * (double)(alo + blo);
  return shift;
}

static int32_t pio2_large_quot(uint64_t u) {
  int64_t offset = (int64_t)((u & 0x7FFFFFFFFFFFFFFFull) >> 52) - 1045;
  uint64_t shift = (uint64_t)offset & 63, s0, s1, s2, significand, blo, bhi, ahi, clo, plo, phi, rlo, rhi, slo, shi, shifter, signbit;
  const uint64_t *t = PIO2_TABLE + (offset >> 6);
  int64_t q;
  if (shift) {
    uint64_t rshift = 64 - shift;
    s0 = t[1] >> rshift | t[0] << shift;
    s1 = t[2] >> rshift | t[1] << shift;
    s2 = t[3] >> rshift | t[2] << shift;
  } else {
    s0 = t[0];
    s1 = t[1];
    s2 = t[2];
  }
  significand = (u & 0x000FFFFFFFFFFFFFull) | 0x0010000000000000ull;
  blo = umuldi(s1, significand);
  bhi = res128_hi;
  ahi = s0 * significand;
  clo = (s2 >> 32) * (significand >> 32);
  plo = blo + clo;
  phi = ahi + bhi + (plo < clo);
  rlo = plo << 2;
  rhi = phi << 2 | plo >> 62;
  slo = (uint64_t)((int64_t)rhi >> 63);
  shi = (uint64_t)((int64_t)slo >> 1);
  q = ((int64_t)phi >> 62) - (int64_t)slo;
  shifter = 0x3CB0000000000000ull - (pio2_right(rlo ^ slo, rhi ^ shi) << 52);
  signbit = (u ^ rhi) & 0x8000000000000000ull;
  rempio2_y0 *= f64_of(shifter | signbit);
  rempio2_y1 *= f64_of(shifter | signbit);
  return (int32_t)q;
}

static int32_t rempio2(double x, uint64_t u, uint32_t sign) {
  const double pio2_1 = f64_of(0x3FF921FB54400000ull), pio2_1t = f64_of(0x3DD0B4611A626331ull),
               pio2_2 = f64_of(0x3DD0B4611A600000ull), pio2_2t = f64_of(0x3BA3198A2E037073ull),
               pio2_3 = f64_of(0x3BA3198A2E000000ull), pio2_3t = f64_of(0x397B839A252049C1ull),
               invpio2 = f64_of(0x3FE45F306DC9C883ull);
  uint32_t ix = (uint32_t)(u >> 32) & 0x7FFFFFFF;
  int32_t q;
  if (ix < 0x413921FB) { /* |x| ~< 2^20*pi/2: Cody-Waite */
    double qf = __builtin_nearbyint(x * invpio2), r = x - qf * pio2_1, w = qf * pio2_1t, y0 = r - w, t;
    uint32_t j = ix >> 20, hi = (uint32_t)(bits_of(y0) >> 32);
    int32_t i = (int32_t)j - (int32_t)((hi >> 20) & 0x7FF);
    if (i > 16) {
      t = r;
      w = qf * pio2_2;
      r = t - w;
      w = qf * pio2_2t - ((t - r) - w);
      y0 = r - w;
      hi = (uint32_t)(bits_of(y0) >> 32);
      i = (int32_t)j - (int32_t)((hi >> 20) & 0x7FF);
      if (i > 49) {
        t = r;
        w = qf * pio2_3;
        r = t - w;
        w = qf * pio2_3t - ((t - r) - w);
        y0 = r - w;
      }
    }
    rempio2_y0 = y0;
    rempio2_y1 = (r - y0) - w;
    return (int32_t)qf;
  }
  q = pio2_large_quot(u);
  return sign ? -q : q;
}

static double sin_kern(double x, double y, int iy) {
  const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03, S3 = -1.98412698298579493134e-04,
               S4 = 2.75573137070700676789e-06, S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
  double z = x * x, w = z * z, r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6), v = z * x;
  if (!iy) return x + v * (S1 + z * r);
  return x - ((z * (0.5 * y - v * r) - y) - v * S1);
}

static double cos_kern(double x, double y) {
  const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03, C3 = 2.48015872894767294178e-05,
               C4 = -2.75573143513906633035e-07, C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
  double z = x * x, w = z * z, r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6)), hz = 0.5 * z;
  w = 1.0 - hz;
  return w + (((1.0 - w) - hz) + (z * r - x * y));
}

/* NativeMath.sincos: one reduction for both (the example's FFT tables use it). */
static double sincos_sin, sincos_cos;
static void as_sincos(double x) {
  uint64_t u = bits_of(x);
  uint32_t ux = (uint32_t)(u >> 32) & 0x7FFFFFFF;
  int32_t n;
  double s, c;
  if (ux <= 0x3FE921FB) {
    if (ux < 0x3E46A09E) {
      sincos_sin = x;
      sincos_cos = 1;
      return;
    }
    sincos_sin = sin_kern(x, 0, 0);
    sincos_cos = cos_kern(x, 0);
    return;
  }
  if (ux >= 0x7F800000) {
    sincos_sin = sincos_cos = x - x;
    return;
  }
  n = rempio2(x, u, (uint32_t)(u >> 63));
  s = sin_kern(rempio2_y0, rempio2_y1, 1);
  c = cos_kern(rempio2_y0, rempio2_y1);
  if (n & 1) {
    double t = s;
    s = c;
    c = -t;
  }
  if (n & 2) {
    s = -s;
    c = -c;
  }
  sincos_sin = s;
  sincos_cos = c;
}

#endif
