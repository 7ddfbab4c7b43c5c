
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * CRC-64/XZ (x-cos-hash-crc64ecma), two implementations:
 *
 *   pclmul   folding with carry-less multiplication (PCLMULQDQ), after
 *            Intel's "Fast CRC Computation for Generic Polynomials Using
 *            PCLMULQDQ Instruction", reflected variant: eight 128-bit
 *            lanes folded by 1024 bits, then 8 lanes -> 1, 128 -> 64
 *            bits and a Barrett reduction; chosen at run time
 *   table    slicing-by-16, portable, for other CPUs and the tails
 *
 * Everything here works on polynomials over GF(2) in the bit-reflected
 * form of the CRC: in a 64-bit word bit i holds the coefficient of
 * x^(63 - i), so a shift right by one multiplies by x; in a 128-bit
 * register loaded from memory bit i holds the coefficient of x^(127 - i).
 * The internal CRC state is the inverted value (init and xorout ~0).
 */


#include "ngx_vod_crc64.h"

/* -DNGX_VOD_CRC64_NO_PCLMUL builds the table only, as on other CPUs */

#if (defined(__x86_64__) || defined(__i386__))                               \
    && !defined(NGX_VOD_CRC64_NO_PCLMUL)
#define NGX_VOD_CRC64_PCLMUL  1
#include <immintrin.h>
#else
#define NGX_VOD_CRC64_PCLMUL  0
#endif


/* ECMA-182 0x42F0E1EBA9EA3693 bit-reflected; x^64 is implicit */
#define NGX_VOD_CRC64_POLY    0xc96c5795d7870f42ULL

/* x^0 in the reflected form */
#define NGX_VOD_CRC64_ONE     0x8000000000000000ULL


static void ngx_vod_crc64_build(void);
static uint64_t ngx_vod_crc64_xpow(unsigned n);
static uint64_t ngx_vod_crc64_multmodp(uint64_t a, uint64_t b);
static uint64_t ngx_vod_crc64_table_update(uint64_t crc, const u_char *p,
    size_t len);
#if (NGX_VOD_CRC64_PCLMUL)
static uint64_t ngx_vod_crc64_pclmul_update(uint64_t crc, const u_char *p,
    size_t len);
static uint64_t ngx_vod_crc64_vpclmul_update(uint64_t crc, const u_char *p,
    size_t len);
#endif


/* slicing-by-16: t[k][b] is the state after byte b and k zero bytes */
static uint64_t                ngx_vod_crc64_t[16][256];

/* x^(2^k) mod P, for ngx_vod_crc64_combine(); 8 * len2 < 2^67 */
static uint64_t                ngx_vod_crc64_x2n[67];

static ngx_vod_crc64_consts_t  ngx_vod_crc64_k;
static int                     ngx_vod_crc64_have_pclmul;
static int                     ngx_vod_crc64_have_vpclmul;
static int                     ngx_vod_crc64_ready;


void
ngx_vod_crc64_init(void)
{
    if (__atomic_load_n(&ngx_vod_crc64_ready, __ATOMIC_ACQUIRE)) {
        return;
    }

    ngx_vod_crc64_build();

#if (NGX_VOD_CRC64_PCLMUL)
    __builtin_cpu_init();

    ngx_vod_crc64_have_pclmul = __builtin_cpu_supports("pclmul")
                                && __builtin_cpu_supports("sse4.1");

    /* AVX-512's VPCLMULQDQ: four 128-bit lanes per instruction */

    ngx_vod_crc64_have_vpclmul = ngx_vod_crc64_have_pclmul
                                 && __builtin_cpu_supports("vpclmulqdq")
                                 && __builtin_cpu_supports("avx512f")
                                 && __builtin_cpu_supports("avx512vl");
#endif

    __atomic_store_n(&ngx_vod_crc64_ready, 1, __ATOMIC_RELEASE);
}


/*
 * The tables and the folding constants, all derived from the polynomial;
 * a second call rebuilds the same values.
 */

static void
ngx_vod_crc64_build(void)
{
    int                      i, top;
    unsigned                 j, k;
    uint64_t                 c, mu, reg;
    ngx_vod_crc64_consts_t  *kc;

    for (i = 0; i < 256; i++) {
        c = i;

        for (j = 0; j < 8; j++) {
            c = (c >> 1) ^ (NGX_VOD_CRC64_POLY & (0 - (c & 1)));
        }

        ngx_vod_crc64_t[0][i] = c;
    }

    for (i = 0; i < 256; i++) {
        c = ngx_vod_crc64_t[0][i];

        for (k = 1; k < 16; k++) {
            c = ngx_vod_crc64_t[0][c & 0xff] ^ (c >> 8);
            ngx_vod_crc64_t[k][i] = c;
        }
    }

    ngx_vod_crc64_x2n[0] = NGX_VOD_CRC64_ONE >> 1;

    for (k = 1; k < 67; k++) {
        c = ngx_vod_crc64_x2n[k - 1];
        ngx_vod_crc64_x2n[k] = ngx_vod_crc64_multmodp(c, c);
    }

    /*
     * Folding a 128-bit lane H x^64 + L forward by D bits replaces it
     * with H (x^(D + 64) mod P) + L (x^D mod P).  The carry-less product
     * of two reflected 64-bit values lands one bit short of the 128-bit
     * reflected position, that is, it comes out multiplied by x; the
     * constants are one power lower to make up for it.
     */

    kc = &ngx_vod_crc64_k;

    for (k = 1; k <= 8; k++) {
        kc->fold[k - 1][0] = ngx_vod_crc64_xpow(128 * k + 63);
        kc->fold[k - 1][1] = ngx_vod_crc64_xpow(128 * k - 1);
    }

    kc->fold64 = ngx_vod_crc64_xpow(127);

    /*
     * mu = floor(x^128 / P) has degree 64; its x^0 term cannot change
     * floor(A mu / x^64) for deg A < 64, so x^64..x^1 fit a word.  The
     * quotient bits are those a bitwise CRC register shifts out while
     * dividing x^64 * x^64: one 1 bit, then zeros.
     */

    mu = 0;
    reg = 0;

    for (j = 0; j < 64; j++) {
        top = (int) (reg & 1) ^ (j == 0);
        reg = (reg >> 1) ^ (NGX_VOD_CRC64_POLY & (0 - (uint64_t) top));
        mu |= (uint64_t) top << j;
    }

    kc->mu = mu;

    /* x^64 only reaches the discarded half, x^0 is added separately */
    kc->poly = NGX_VOD_CRC64_POLY << 1;
}


/* x^n mod P, reflected */

static uint64_t
ngx_vod_crc64_xpow(unsigned n)
{
    uint64_t  r;

    r = NGX_VOD_CRC64_ONE;

    while (n--) {
        r = (r >> 1) ^ (NGX_VOD_CRC64_POLY & (0 - (r & 1)));
    }

    return r;
}


/* a * b mod P, reflected (zlib's multmodp) */

static uint64_t
ngx_vod_crc64_multmodp(uint64_t a, uint64_t b)
{
    uint64_t  p;

    p = 0;

    while (a) {
        p ^= b & (0 - (a >> 63));
        b = (b >> 1) ^ (NGX_VOD_CRC64_POLY & (0 - (b & 1)));
        a <<= 1;
    }

    return p;
}


/*
 * ngx_vod_crc64_vpclmul() falls back to PCLMULQDQ, and that to the
 * table, where the CPU cannot: it is the fastest there is.
 */

uint64_t
ngx_vod_crc64(uint64_t crc, const u_char *p, size_t len)
{
    return ngx_vod_crc64_vpclmul(crc, p, len);
}


/*
 * With init and xorout both ~0 their contributions cancel:
 * CRC(AB) = CRC(A) x^(8 len2) + CRC(B) mod P, and x^(8 len2) is the
 * product of x^(2^k) over the bits k of 8 len2.
 */

uint64_t
ngx_vod_crc64_combine(uint64_t crc1, uint64_t crc2, uint64_t len2)
{
    unsigned  k;
    uint64_t  xp;

    ngx_vod_crc64_init();

    xp = NGX_VOD_CRC64_ONE;

    for (k = 3; len2; len2 >>= 1, k++) {
        if (len2 & 1) {
            xp = ngx_vod_crc64_multmodp(ngx_vod_crc64_x2n[k], xp);
        }
    }

    return ngx_vod_crc64_multmodp(xp, crc1) ^ crc2;
}


const char *
ngx_vod_crc64_implementation(void)
{
    ngx_vod_crc64_init();

    return ngx_vod_crc64_have_vpclmul ? "vpclmul"
           : ngx_vod_crc64_have_pclmul ? "pclmul" : "table";
}


const ngx_vod_crc64_consts_t *
ngx_vod_crc64_consts(void)
{
    ngx_vod_crc64_init();

    return &ngx_vod_crc64_k;
}


uint64_t
ngx_vod_crc64_table(uint64_t crc, const u_char *p, size_t len)
{
    ngx_vod_crc64_init();

    return ~ngx_vod_crc64_table_update(~crc, p, len);
}


uint64_t
ngx_vod_crc64_pclmul(uint64_t crc, const u_char *p, size_t len)
{
    ngx_vod_crc64_init();

#if (NGX_VOD_CRC64_PCLMUL)
    if (ngx_vod_crc64_have_pclmul) {
        return ~ngx_vod_crc64_pclmul_update(~crc, p, len);
    }
#endif

    return ~ngx_vod_crc64_table_update(~crc, p, len);
}


uint64_t
ngx_vod_crc64_vpclmul(uint64_t crc, const u_char *p, size_t len)
{
    ngx_vod_crc64_init();

#if (NGX_VOD_CRC64_PCLMUL)
    if (ngx_vod_crc64_have_vpclmul) {
        return ~ngx_vod_crc64_vpclmul_update(~crc, p, len);
    }
#endif

    return ngx_vod_crc64_pclmul(crc, p, len);
}


/* an unaligned little-endian 64-bit load */

static inline uint64_t
ngx_vod_crc64_le64(const u_char *p)
{
    uint64_t  v;

    memcpy(&v, p, sizeof(uint64_t));

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif

    return v;
}


static uint64_t
ngx_vod_crc64_table_update(uint64_t crc, const u_char *p, size_t len)
{
    uint64_t         a, b;
    const uint64_t (*t)[256];

    t = ngx_vod_crc64_t;

    while (len >= 16) {
        a = ngx_vod_crc64_le64(p) ^ crc;
        b = ngx_vod_crc64_le64(p + 8);

        crc = t[15][a & 0xff] ^ t[14][(a >> 8) & 0xff]
              ^ t[13][(a >> 16) & 0xff] ^ t[12][(a >> 24) & 0xff]
              ^ t[11][(a >> 32) & 0xff] ^ t[10][(a >> 40) & 0xff]
              ^ t[9][(a >> 48) & 0xff] ^ t[8][a >> 56]
              ^ t[7][b & 0xff] ^ t[6][(b >> 8) & 0xff]
              ^ t[5][(b >> 16) & 0xff] ^ t[4][(b >> 24) & 0xff]
              ^ t[3][(b >> 32) & 0xff] ^ t[2][(b >> 40) & 0xff]
              ^ t[1][(b >> 48) & 0xff] ^ t[0][b >> 56];

        p += 16;
        len -= 16;
    }

    while (len--) {
        crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }

    return crc;
}


#if (NGX_VOD_CRC64_PCLMUL)

#define NGX_VOD_CRC64_TARGET  __attribute__((target("pclmul,sse4.1")))


static inline NGX_VOD_CRC64_TARGET __m128i
ngx_vod_crc64_load(const u_char *p)
{
    return _mm_loadu_si128((const __m128i *) p);
}


static inline NGX_VOD_CRC64_TARGET __m128i
ngx_vod_crc64_const(const uint64_t k[2])
{
    return _mm_loadu_si128((const __m128i *) k);
}


/* x moved forward by the distance k was made for, see the constants */

static inline NGX_VOD_CRC64_TARGET __m128i
ngx_vod_crc64_fold(__m128i x, __m128i k)
{
    return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00),
                         _mm_clmulepi64_si128(x, k, 0x11));
}


static inline NGX_VOD_CRC64_TARGET __m128i
ngx_vod_crc64_fold_in(__m128i x, __m128i k, const u_char *p)
{
    return _mm_xor_si128(ngx_vod_crc64_fold(x, k), ngx_vod_crc64_load(p));
}


/* one lane, and the rest 16 bytes at a time, then the table */

static inline NGX_VOD_CRC64_TARGET uint64_t
ngx_vod_crc64_pclmul_tail(__m128i x0, const u_char *p, size_t len)
{
    uint64_t                       r[2];
    __m128i                        x1, k, q;
    const ngx_vod_crc64_consts_t  *c;

    c = &ngx_vod_crc64_k;

    k = ngx_vod_crc64_const(c->fold[0]);

    while (len >= 16) {
        x0 = ngx_vod_crc64_fold_in(x0, k, p);

        p += 16;
        len -= 16;
    }

    /*
     * 128 -> 64 bits: the CRC of the lane is (H x^64 + L) x^64 mod P;
     * T = H (x^128 mod P) + L x^64 has degree < 128, reduced below
     */

    k = _mm_set_epi64x(0, (long long) c->fold64);

    x0 = _mm_xor_si128(_mm_clmulepi64_si128(x0, k, 0x00),
                       _mm_srli_si128(x0, 8));

    /*
     * Barrett: T = A x^64 + B, q = floor(A mu / x^64) (the low quadword
     * of the product), T mod P = B + (q P mod x^64); q P is q poly plus
     * q itself for the x^0 term of P
     */

    k = _mm_set_epi64x((long long) c->poly, (long long) c->mu);

    q = _mm_clmulepi64_si128(x0, k, 0x00);
    x1 = _mm_clmulepi64_si128(q, k, 0x10);

    x0 = _mm_xor_si128(_mm_xor_si128(x0, x1), _mm_slli_si128(q, 8));

    _mm_storeu_si128((__m128i *) r, x0);

    return ngx_vod_crc64_table_update(r[1], p, len);
}


/*
 * Eight lanes of 128 bits, the last 128 bytes folded so far: into one,
 * then the rest 16 bytes at a time, then 128 -> 64 bits, then the table
 * for the last bytes.
 */

static inline NGX_VOD_CRC64_TARGET uint64_t
ngx_vod_crc64_pclmul_lanes(__m128i x[8], const u_char *p, size_t len)
{
    int                            i;
    __m128i                        x0;
    const ngx_vod_crc64_consts_t  *c;

    c = &ngx_vod_crc64_k;

    /* lane i is followed by 7 - i lanes */

    x0 = x[7];

    for (i = 0; i < 7; i++) {
        x0 = _mm_xor_si128(x0,
                           ngx_vod_crc64_fold(x[i],
                               ngx_vod_crc64_const(c->fold[6 - i])));
    }

    return ngx_vod_crc64_pclmul_tail(x0, p, len);
}


static NGX_VOD_CRC64_TARGET uint64_t
ngx_vod_crc64_pclmul_update(uint64_t crc, const u_char *p, size_t len)
{
    int                            i;
    __m128i                        x[8], k;
    const ngx_vod_crc64_consts_t  *c;

    if (len < 16) {
        return ngx_vod_crc64_table_update(crc, p, len);
    }

    c = &ngx_vod_crc64_k;

    /* the state joins the first 64 message bits */

    if (len < 128) {
        x[0] = _mm_xor_si128(_mm_set_epi64x(0, (long long) crc),
                             ngx_vod_crc64_load(p));

        return ngx_vod_crc64_pclmul_tail(x[0], p + 16, len - 16);
    }

    for (i = 0; i < 8; i++) {
        x[i] = ngx_vod_crc64_load(p + 16 * i);
    }

    x[0] = _mm_xor_si128(x[0], _mm_set_epi64x(0, (long long) crc));

    p += 128;
    len -= 128;

    k = ngx_vod_crc64_const(c->fold[7]);

    while (len >= 128) {
        for (i = 0; i < 8; i++) {
            x[i] = ngx_vod_crc64_fold_in(x[i], k, p + 16 * i);
        }

        p += 128;
        len -= 128;
    }

    return ngx_vod_crc64_pclmul_lanes(x, p, len);
}


/*
 * VPCLMULQDQ: the same eight lanes, folded four at a time by 512-bit
 * instructions (two registers per 128 bytes), then as above.
 */

#define NGX_VOD_CRC64_TARGET512                                              \
    __attribute__((target("pclmul,sse4.1,avx512f,avx512vl,vpclmulqdq")))


static NGX_VOD_CRC64_TARGET512 uint64_t
ngx_vod_crc64_vpclmul_update(uint64_t crc, const u_char *p, size_t len)
{
    __m128i  x[8];
    __m512i  y0, y1, k;

    if (len < 256) {
        return ngx_vod_crc64_pclmul_update(crc, p, len);
    }

    y0 = _mm512_xor_si512(_mm512_loadu_si512((const void *) p),
                          _mm512_zextsi128_si512(
                              _mm_set_epi64x(0, (long long) crc)));
    y1 = _mm512_loadu_si512((const void *) (p + 64));

    p += 128;
    len -= 128;

    /* every lane moves forward by eight lanes: fold[7] in each */

    k = _mm512_broadcast_i32x4(ngx_vod_crc64_const(ngx_vod_crc64_k.fold[7]));

    while (len >= 128) {
        y0 = _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(y0, k, 0x00),
                                       _mm512_clmulepi64_epi128(y0, k, 0x11),
                                       _mm512_loadu_si512((const void *) p),
                                       0x96);
        y1 = _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(y1, k, 0x00),
                                       _mm512_clmulepi64_epi128(y1, k, 0x11),
                                       _mm512_loadu_si512(
                                           (const void *) (p + 64)),
                                       0x96);
        p += 128;
        len -= 128;
    }

    x[0] = _mm512_extracti32x4_epi32(y0, 0);
    x[1] = _mm512_extracti32x4_epi32(y0, 1);
    x[2] = _mm512_extracti32x4_epi32(y0, 2);
    x[3] = _mm512_extracti32x4_epi32(y0, 3);
    x[4] = _mm512_extracti32x4_epi32(y1, 0);
    x[5] = _mm512_extracti32x4_epi32(y1, 1);
    x[6] = _mm512_extracti32x4_epi32(y1, 2);
    x[7] = _mm512_extracti32x4_epi32(y1, 3);

    return ngx_vod_crc64_pclmul_lanes(x, p, len);
}

#endif
