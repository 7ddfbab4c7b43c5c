
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Throughput of the CRC-64 implementations against OpenSSL's MD5 (which
 * the upload computes over the same bytes for the ETag), and the rate of
 * ngx_vod_crc64_combine().  Not a test: timings never fail the exit code.
 *
 *     crc64_bench [MiB [rounds]]          defaults: 64 MiB, best of 7
 *     crc64_bench --file PATH             the CRC-64 of a file's bytes
 */


#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>

#include "ngx_vod_crc64.h"


#define NGX_VOD_BENCH_PCLMUL_TARGET  8.0
#define NGX_VOD_BENCH_TABLE_TARGET   1.0
#define NGX_VOD_BENCH_COMBINE_CALLS  200000


typedef uint64_t (*ngx_vod_bench_crc_pt)(uint64_t crc, const u_char *p,
    size_t len);


static double ngx_vod_bench_now(void);
static double ngx_vod_bench_crc(ngx_vod_bench_crc_pt crc, const u_char *buf,
    size_t len, int rounds, uint64_t *result);
static double ngx_vod_bench_md5(const u_char *buf, size_t len, int rounds);
static double ngx_vod_bench_combine(int random, int rounds);
static void ngx_vod_bench_report(const char *name, double gbs, double md5,
    double table, double target);


static int
ngx_vod_bench_file(const char *path)
{
    FILE      *f;
    size_t     n;
    uint64_t   crc;
    u_char     buf[1 << 16];

    f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 2;
    }

    crc = 0;

    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        crc = ngx_vod_crc64(crc, buf, n);
    }

    if (ferror(f)) {
        perror(path);
        fclose(f);
        return 2;
    }

    fclose(f);

    printf("crc64 %" PRIu64 "\n", crc);

    return 0;
}


int
main(int argc, char **argv)
{
    int        rounds, pclmul, vpclmul;
    size_t     i, len, mib;
    u_char    *buf;
    uint64_t   x, crc_table, crc_pclmul, crc_vpclmul;
    double     md5, table, fast, wide, comb_rand, comb_fixed;

    /* --file PATH: the CRC-64 of a file's bytes (for upload_bench) */

    if (argc == 3 && strcmp(argv[1], "--file") == 0) {
        return ngx_vod_bench_file(argv[2]);
    }

    mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
    rounds = argc > 2 ? atoi(argv[2]) : 7;

    if (mib == 0 || rounds <= 0) {
        fprintf(stderr, "usage: %s [MiB [rounds]] | --file PATH\n", argv[0]);
        return 2;
    }

    len = mib * 1024 * 1024;

    buf = malloc(len);
    if (buf == NULL) {
        fprintf(stderr, "cannot allocate %zu MiB\n", mib);
        return 2;
    }

    x = 88172645463325252ULL;

    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (u_char) x;
    }

    ngx_vod_crc64_init();

    vpclmul = (strcmp(ngx_vod_crc64_implementation(), "vpclmul") == 0);
    pclmul = vpclmul
             || strcmp(ngx_vod_crc64_implementation(), "pclmul") == 0;

    printf("crc64 bench: %zu MiB buffer, best of %d rounds, "
           "GB/s = 10^9 bytes/s, ngx_vod_crc64() runs \"%s\"\n",
           mib, rounds, ngx_vod_crc64_implementation());

    md5 = ngx_vod_bench_md5(buf, len, rounds);
    table = ngx_vod_bench_crc(ngx_vod_crc64_table, buf, len, rounds,
                              &crc_table);
    fast = ngx_vod_bench_crc(ngx_vod_crc64_pclmul, buf, len, rounds,
                             &crc_pclmul);
    wide = ngx_vod_bench_crc(ngx_vod_crc64_vpclmul, buf, len, rounds,
                             &crc_vpclmul);

    ngx_vod_bench_report("md5 (OpenSSL EVP)", md5, md5, table, 0);
    ngx_vod_bench_report("crc64 table (slice-by-16)", table, md5, table,
                         NGX_VOD_BENCH_TABLE_TARGET);

    if (pclmul) {
        ngx_vod_bench_report("crc64 pclmul (fold-by-8)", fast, md5, table,
                             NGX_VOD_BENCH_PCLMUL_TARGET);

    } else {
        printf("%-26s not supported by this CPU (ran the table: "
               "%.2f GB/s); target >= %.0f GB/s: not measured\n",
               "crc64 pclmul (fold-by-8)", fast,
               NGX_VOD_BENCH_PCLMUL_TARGET);
    }

    if (vpclmul) {
        ngx_vod_bench_report("crc64 vpclmul (AVX-512)", wide, md5, table,
                             NGX_VOD_BENCH_PCLMUL_TARGET);

    } else {
        printf("%-26s not supported by this CPU (ran pclmul or the table: "
               "%.2f GB/s)\n", "crc64 vpclmul (AVX-512)", wide);
    }

    if (crc_table != crc_pclmul || crc_table != crc_vpclmul) {
        printf("WARNING: the implementations disagree: table %" PRIu64
               ", pclmul %" PRIu64 ", vpclmul %" PRIu64 "\n", crc_table,
               crc_pclmul, crc_vpclmul);
    }

    comb_fixed = ngx_vod_bench_combine(0, rounds);
    comb_rand = ngx_vod_bench_combine(1, rounds);

    printf("%-26s %.2f M calls/s with len2 = 8 MiB, %.2f M calls/s "
           "with random len2 < 2^36 (10,000 parts: %.2f ms)\n",
           "crc64 combine", comb_fixed / 1e6, comb_rand / 1e6,
           10000 / comb_rand * 1e3);

    free(buf);

    return 0;
}


static double
ngx_vod_bench_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


/* the best of the rounds, in GB/s */

static double
ngx_vod_bench_crc(ngx_vod_bench_crc_pt crc, const u_char *buf, size_t len,
    int rounds, uint64_t *result)
{
    int     i;
    double  t, best;

    best = 0;

    for (i = 0; i < rounds; i++) {
        t = ngx_vod_bench_now();
        *result = crc(0, buf, len);
        t = ngx_vod_bench_now() - t;

        if (best == 0 || t < best) {
            best = t;
        }
    }

    return len / best / 1e9;
}


static double
ngx_vod_bench_md5(const u_char *buf, size_t len, int rounds)
{
    int            i;
    double         t, best;
    unsigned char  md[EVP_MAX_MD_SIZE];

    best = 0;

    for (i = 0; i < rounds; i++) {
        t = ngx_vod_bench_now();

        if (EVP_Digest(buf, len, md, NULL, EVP_md5(), NULL) != 1) {
            fprintf(stderr, "EVP_Digest(md5) failed\n");
            exit(2);
        }

        t = ngx_vod_bench_now() - t;

        if (best == 0 || t < best) {
            best = t;
        }
    }

    return len / best / 1e9;
}


/* calls per second */

static double
ngx_vod_bench_combine(int random, int rounds)
{
    int                 i, r;
    double              t, best;
    uint64_t            crc, x, len2;
    volatile uint64_t   sink;

    best = 0;
    crc = 0;

    for (r = 0; r < rounds; r++) {
        x = 0x9e3779b97f4a7c15ULL;

        t = ngx_vod_bench_now();

        for (i = 0; i < NGX_VOD_BENCH_COMBINE_CALLS; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;

            len2 = random ? x >> 28 : 8 * 1024 * 1024;

            crc = ngx_vod_crc64_combine(crc, x, len2);
        }

        t = ngx_vod_bench_now() - t;

        if (best == 0 || t < best) {
            best = t;
        }
    }

    sink = crc;
    (void) sink;

    return NGX_VOD_BENCH_COMBINE_CALLS / best;
}


static void
ngx_vod_bench_report(const char *name, double gbs, double md5, double table,
    double target)
{
    printf("%-26s %6.2f GB/s  %6.2fx md5  %6.2fx table", name, gbs,
           gbs / md5, gbs / table);

    if (target > 0) {
        printf("  target >= %.0f GB/s: %s", target,
               gbs >= target ? "met" : "NOT met");
    }

    printf("\n");
}
