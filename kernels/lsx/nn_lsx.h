/*
 * LoongArch LSX (128-bit SIMD) helpers shared by the kernels of kernels/lsx/: four int8 dot
 * products sharing their input loads. VMULWEV.H.B / VMULWOD.H.B multiply the even and the
 * odd bytes of 16 inputs and 16 weights into int16 (exact: 128 * 128 fits), VADDWEV.W.H /
 * VADDWOD.W.H add them pairwise into int32 lanes: the reference's int32 sums, in another order.
 */
#ifndef NN_LSX_H
#define NN_LSX_H

#include <lsxintrin.h>
#include <stdint.h>

/* The int32 sums of 16 products of x with w, in four lanes, added to acc. */
static inline __m128i nn_lsx_dot16(__m128i acc, __m128i x, __m128i w)
{
    const __m128i even = __lsx_vmulwev_h_b(x, w), odd = __lsx_vmulwod_h_b(x, w);
    acc = __lsx_vadd_w(acc, __lsx_vaddwev_w_h(even, odd));
    return __lsx_vadd_w(acc, __lsx_vaddwod_w_h(even, odd));
}

static inline int32_t nn_lsx_sum_w(__m128i v)
{
    return __lsx_vpickve2gr_w(v, 0) + __lsx_vpickve2gr_w(v, 1) + __lsx_vpickve2gr_w(v, 2) +
           __lsx_vpickve2gr_w(v, 3);
}

/* Four dot products of n int8 values, x with each of w0..w3, added to acc[0..3]: 16 at a
 * time, the rest one by one. One copy per kernel (not inlined): its vectorized loop. */
static __attribute__((noinline)) void nn_lsx_dot_x4(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2,
                                 const int8_t *w3, int32_t n, int32_t acc[4])
{
    __m128i a0 = __lsx_vldi(0), a1 = a0, a2 = a0, a3 = a0;
    int32_t d = 0;
    for (; d + 16 <= n; d += 16) {
        const __m128i xv = __lsx_vld(x + d, 0);
        a0 = nn_lsx_dot16(a0, xv, __lsx_vld(w0 + d, 0));
        a1 = nn_lsx_dot16(a1, xv, __lsx_vld(w1 + d, 0));
        a2 = nn_lsx_dot16(a2, xv, __lsx_vld(w2 + d, 0));
        a3 = nn_lsx_dot16(a3, xv, __lsx_vld(w3 + d, 0));
    }
    int32_t s0 = nn_lsx_sum_w(a0), s1 = nn_lsx_sum_w(a1), s2 = nn_lsx_sum_w(a2), s3 = nn_lsx_sum_w(a3);
    for (; d < n; ++d) {
        s0 += w0[d] * x[d];
        s1 += w1[d] * x[d];
        s2 += w2[d] * x[d];
        s3 += w3[d] * x[d];
    }
    acc[0] += s0, acc[1] += s1, acc[2] += s2, acc[3] += s3;
}

#endif /* NN_LSX_H */
