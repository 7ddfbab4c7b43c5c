
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * CRC-64 as Tencent COS computes x-cos-hash-crc64ecma: CRC-64/XZ, the
 * ECMA-182 polynomial 0x42F0E1EBA9EA3693 bit-reflected (0xC96C5795D7870F42),
 * init and xorout 0xFFFFFFFFFFFFFFFF; check("123456789") is
 * 11051210869376104954, sent as a decimal number.
 *
 * The calls are zlib style: start with 0 and feed the pieces in order,
 *
 *     crc = ngx_vod_crc64(0, a, alen);
 *     crc = ngx_vod_crc64(crc, b, blen);
 *
 * gives the CRC of a followed by b.
 */


#ifndef _NGX_VOD_CRC64_H_INCLUDED_
#define _NGX_VOD_CRC64_H_INCLUDED_


#include "ngx_vod_common.h"


/*
 * The carry-less multiplication constants, computed from the polynomial
 * at init.  Each is a polynomial of degree < 64 in the bit-reflected
 * form, bit i holding the coefficient of x^(63 - i):
 *
 *   fold[j - 1]  folding 128 bits forward by j * 128 bits:
 *                [0] = x^(128j + 63) mod P for the low quadword,
 *                [1] = x^(128j - 1) mod P for the high quadword
 *   fold64       x^127 mod P: 128 bits -> 64 bits
 *   mu           floor(x^128 / P) without its x^0 term, shifted so that
 *                bit i holds the coefficient of x^(64 - i)
 *   poly         P without x^64 and x^0, bit i = coefficient of x^(64 - i)
 *
 * They equal Intel ISA-L's crc64_ecma_refl rk1..rk20 (the unit test
 * checks it).
 */

typedef struct {
    uint64_t    fold[8][2];
    uint64_t    fold64;
    uint64_t    mu;
    uint64_t    poly;
} ngx_vod_crc64_consts_t;


/*
 * Builds the tables and picks the implementation.  Idempotent and cheap
 * after the first call; the other functions call it themselves, nginx
 * calls it once at init, before any worker (or thread) exists.
 */
void ngx_vod_crc64_init(void);

/* the fastest implementation this CPU supports */
uint64_t ngx_vod_crc64(uint64_t crc, const u_char *p, size_t len);

/*
 * The CRC of A followed by B from crc1 = CRC(A), crc2 = CRC(B) and
 * len2 = the length of B in bytes: (crc1 * x^(8 len2) + crc2) mod P.
 */
uint64_t ngx_vod_crc64_combine(uint64_t crc1, uint64_t crc2, uint64_t len2);

/* "vpclmul", "pclmul" or "table": what ngx_vod_crc64() runs */
const char *ngx_vod_crc64_implementation(void);

/* the implementations themselves, for the unit test and the benchmark */
uint64_t ngx_vod_crc64_table(uint64_t crc, const u_char *p, size_t len);

/* PCLMULQDQ folding; runs the table where the CPU cannot */
uint64_t ngx_vod_crc64_pclmul(uint64_t crc, const u_char *p, size_t len);

/* the same folding with AVX-512 VPCLMULQDQ; PCLMULQDQ where it cannot */
uint64_t ngx_vod_crc64_vpclmul(uint64_t crc, const u_char *p, size_t len);

const ngx_vod_crc64_consts_t *ngx_vod_crc64_consts(void);


#endif /* _NGX_VOD_CRC64_H_INCLUDED_ */
