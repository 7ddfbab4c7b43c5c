/*
 * CRC-64/XZ (the x-cos-hash-crc64ecma of COS) for the VOD emulator.
 *
 * ECMA-182 polynomial, reflected (0xC96C5795D7870F42), init and xorout all
 * ones.  Written for the emulator on its own, independently of the module's
 * ngx_vod_crc64.c, so that one mistake cannot hide in both.
 *
 *   crc64(data [, crc])           CRC of data, continuing from crc (0 = start)
 *   crc64_combine(crc1, crc2, n)  CRC of A.B from crc(A), crc(B), n = len(B)
 */

#include "EXTERN.h"
#include "perl.h"
#include "XSUB.h"

#include <stdint.h>

#define EMU_POLY  UINT64_C(0xC96C5795D7870F42)

static uint64_t  emu_table[8][256];
static int       emu_ready;


static void
emu_init(void)
{
    uint64_t  c;
    int       n, k;

    for (n = 0; n < 256; n++) {
        c = (uint64_t) n;
        for (k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ EMU_POLY : c >> 1;
        }
        emu_table[0][n] = c;
    }

    for (n = 0; n < 256; n++) {
        c = emu_table[0][n];
        for (k = 1; k < 8; k++) {
            c = emu_table[0][c & 0xff] ^ (c >> 8);
            emu_table[k][n] = c;
        }
    }

    emu_ready = 1;
}


static uint64_t
emu_update(uint64_t crc, const unsigned char *p, size_t len)
{
    uint64_t  c, w;

    c = ~crc;

    while (len && ((uintptr_t) p & 7)) {
        c = emu_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
        len--;
    }

    while (len >= 8) {
        memcpy(&w, p, 8);           /* little-endian host (x86-64, arm64) */
        c ^= w;
        c = emu_table[7][c & 0xff]
            ^ emu_table[6][(c >> 8) & 0xff]
            ^ emu_table[5][(c >> 16) & 0xff]
            ^ emu_table[4][(c >> 24) & 0xff]
            ^ emu_table[3][(c >> 32) & 0xff]
            ^ emu_table[2][(c >> 40) & 0xff]
            ^ emu_table[1][(c >> 48) & 0xff]
            ^ emu_table[0][c >> 56];
        p += 8;
        len -= 8;
    }

    while (len--) {
        c = emu_table[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    }

    return ~c;
}


/* combine: zlib's crc32_combine scheme, with 64x64 GF(2) matrices */

static uint64_t
emu_times(const uint64_t *mat, uint64_t vec)
{
    uint64_t  sum = 0;

    while (vec) {
        if (vec & 1) {
            sum ^= *mat;
        }
        vec >>= 1;
        mat++;
    }

    return sum;
}


static void
emu_square(uint64_t *sq, const uint64_t *mat)
{
    int  n;

    for (n = 0; n < 64; n++) {
        sq[n] = emu_times(mat, mat[n]);
    }
}


static uint64_t
emu_combine(uint64_t crc1, uint64_t crc2, uint64_t len2)
{
    uint64_t  even[64], odd[64], row;
    int       n;

    if (len2 == 0) {
        return crc1;
    }

    /* odd: the operator for one zero bit */
    odd[0] = EMU_POLY;
    row = 1;
    for (n = 1; n < 64; n++) {
        odd[n] = row;
        row <<= 1;
    }

    emu_square(even, odd);          /* two zero bits */
    emu_square(odd, even);          /* four zero bits */

    do {
        emu_square(even, odd);      /* first pass: one zero byte */
        if (len2 & 1) {
            crc1 = emu_times(even, crc1);
        }
        len2 >>= 1;
        if (len2 == 0) {
            break;
        }

        emu_square(odd, even);
        if (len2 & 1) {
            crc1 = emu_times(odd, crc1);
        }
        len2 >>= 1;
    } while (len2);

    return crc1 ^ crc2;
}


MODULE = VodEmulator::Crc64    PACKAGE = VodEmulator::Crc64

PROTOTYPES: DISABLE

BOOT:
    if (!emu_ready) {
        emu_init();
    }

UV
crc64(data, crc = 0)
        SV  *data
        UV   crc
    PREINIT:
        STRLEN               len;
        const unsigned char *p;
    CODE:
        p = (const unsigned char *) SvPVbyte(data, len);
        RETVAL = (UV) emu_update((uint64_t) crc, p, len);
    OUTPUT:
        RETVAL

UV
crc64_combine(crc1, crc2, len2)
        UV  crc1
        UV  crc2
        UV  len2
    CODE:
        RETVAL = (UV) emu_combine((uint64_t) crc1, (uint64_t) crc2,
                                  (uint64_t) len2);
    OUTPUT:
        RETVAL
