/*
 * embed_app: an existing C program that runs nnbuild's af_detection model through its
 * C API (af_detection.h), linked from the package nnbuild exports.
 *
 *   embed_app VECTORS
 *
 * VECTORS holds raw input vectors, AF_DETECTION_INPUT_SIZE values of af_detection_input_t
 * each (quantized ECG segments). Prints one line per vector: the raw output tensor, then
 * the predicted class (0 normal, 1 atrial fibrillation). Also valid C++.
 */
#include <stdio.h>

#include "af_detection.h"

int main(int argc, char **argv)
{
    static af_detection_input_t input[AF_DETECTION_INPUT_SIZE];
    af_detection_output_t output[AF_DETECTION_OUTPUT_SIZE];
    size_t got;

    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTORS\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 2;
    }
    if (af_detection_init() != 0) {
        fprintf(stderr, "af_detection_init failed\n");
        return 1;
    }
    while ((got = fread(input, sizeof input[0], AF_DETECTION_INPUT_SIZE, f)) == AF_DETECTION_INPUT_SIZE) {
        if (af_detection_invoke(input, output) != 0) {
            fprintf(stderr, "af_detection_invoke failed\n");
            return 1;
        }
        int best = 0;
        for (int i = 0; i < AF_DETECTION_OUTPUT_SIZE; i++) {
            printf("%d ", output[i]);
            if (output[i] > output[best])  /* the output scale is positive: argmax of raw values */
                best = i;
        }
        printf("class %d\n", best);
    }
    fclose(f);
    if (got != 0) {
        fprintf(stderr, "%s: %zu values left over, less than a vector\n", argv[1], got);
        return 2;
    }
    return 0;
}
