/*
 * Four dot products sharing their input loads, x with w0..w3 over n values, added to
 * acc[0..3]: the inner loop of the convolution and fully connected kernels, one a compiler
 * vectorizes. Included by each kernel instantiation, which defines
 *   NN_DOT4      the function's name
 *   NN_T         the activation type
 *   NN_ACC       the accumulator type
 * One copy per kernel (not inlined): it is the kernel's vectorized loop.
 */
static __attribute__((noinline)) void NN_DOT4(const NN_T *restrict x, const int8_t *restrict w0,
                                              const int8_t *restrict w1, const int8_t *restrict w2,
                                              const int8_t *restrict w3, int32_t n, NN_ACC acc[4])
{
    NN_ACC a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t d = 0; d < n; ++d) {
        const NN_T v = x[d];
        a0 += w0[d] * v;
        a1 += w1[d] * v;
        a2 += w2[d] * v;
        a3 += w3[d] * v;
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
}
