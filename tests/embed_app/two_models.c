/*
 * two_models: one program with two models exported by nnbuild, af_detection and
 * kws_ref_model (MLPerf Tiny keyword spotting). Their archives both hold nnbuild's
 * kernels; the linker takes each kernel once.
 *
 *   two_models AF_VECTORS KWS_VECTORS
 *
 * Prints, per vector of each file, "<model>: <raw outputs>".
 */
#include <stdio.h>

#include "af_detection.h"
#include "kws_ref_model.h"

#define RUN(model, MODEL, path)                                                              \
    do {                                                                                     \
        static model##_input_t in[MODEL##_INPUT_SIZE];                                       \
        model##_output_t out[MODEL##_OUTPUT_SIZE];                                           \
        FILE *f = fopen(path, "rb");                                                         \
        if (f == NULL || model##_init() != 0) {                                              \
            perror(path);                                                                    \
            return 2;                                                                        \
        }                                                                                    \
        while (fread(in, sizeof in[0], MODEL##_INPUT_SIZE, f) == MODEL##_INPUT_SIZE) {       \
            if (model##_invoke(in, out) != 0)                                                \
                return 1;                                                                    \
            printf(#model ":");                                                              \
            for (int i = 0; i < MODEL##_OUTPUT_SIZE; i++)                                    \
                printf(" %d", out[i]);                                                       \
            printf("\n");                                                                    \
        }                                                                                    \
        fclose(f);                                                                           \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s AF_VECTORS KWS_VECTORS\n", argv[0]);
        return 2;
    }
    RUN(af_detection, AF_DETECTION, argv[1]);
    RUN(kws_ref_model, KWS_REF_MODEL, argv[2]);
    return 0;
}
