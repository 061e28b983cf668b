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
 * time, the rest one by one. One copy for the kernels (kernels/lsx/fully_connected_s8.c). */
void nn_lsx_dot_x4(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2, const int8_t *w3,
                   int32_t n, int32_t acc[4]);

#endif /* NN_LSX_H */
