/* FULLY_CONNECTED, int8, with LoongArch LSX: the portable kernel (fully_connected_impl.h)
 * with its dot products of four outputs 16 bytes at a time: nn_lsx_dot_x4, defined here for
 * CONV_2D too (one copy in the firmware). */
#include "nn_kernels.h"
#include "nn_lsx.h"
#include "nn_requantize.h"

void nn_lsx_dot_x4(const int8_t *x, const int8_t *w0, const int8_t *w1, const int8_t *w2, const int8_t *w3,
                   int32_t n, int32_t acc[4])
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

#define NN_FULLY_CONNECTED nn_fully_connected_s8
#define NN_T int8_t
#define NN_ACC int32_t
#define NN_REQUANTIZE_ACC nn_requantize
#define NN_FC_DOT4 nn_lsx_dot_x4
#include "fully_connected_impl.h"
