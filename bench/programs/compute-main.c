/*
 * compute-main.c - native driver for compute.c.
 *
 * usage: compute-native [n] [repetitions]
 *
 * Runs run(n) `repetitions` times (default 5), timing each with
 * CLOCK_MONOTONIC, and prints the median in seconds and the checksum:
 *
 *   n=100 reps=5 median_s=0.412345 min_s=0.410000 checksum=3735928559
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#ifndef COMPUTE_DEFAULT_N
#define COMPUTE_DEFAULT_N 100
#endif

unsigned run(unsigned n);

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    unsigned n = COMPUTE_DEFAULT_N;
    int reps = 5;
    if (argc > 1) n = (unsigned)strtoul(argv[1], NULL, 10);
    if (argc > 2) reps = atoi(argv[2]);
    if (reps < 1 || reps > 1000) {
        fprintf(stderr, "compute-native: repetitions must be in 1..1000\n");
        return 2;
    }
    double *t = malloc(sizeof(double) * (size_t)reps);
    if (!t) return 1;
    unsigned checksum = 0;
    for (int i = 0; i < reps; i++) {
        double t0 = now();
        unsigned c = run(n);
        t[i] = now() - t0;
        if (i > 0 && c != checksum) {
            fprintf(stderr, "compute-native: checksum changed between runs\n");
            return 1;
        }
        checksum = c;
    }
    qsort(t, (size_t)reps, sizeof(double), cmp_double);
    double median = reps % 2 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
    printf("n=%u reps=%d median_s=%.6f min_s=%.6f checksum=%u\n", n, reps, median, t[0],
           checksum);
    free(t);
    return 0;
}
