
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * libFuzzer target of CRC-64 (ngx_vod_crc64.c), run over every byte of
 * every upload, with CPU paths (PCLMULQDQ, AVX-512 VPCLMULQDQ) and a
 * table path: they agree on any bytes at any alignment, a CRC fed in two
 * pieces is the CRC fed at once, and combining the pieces' CRCs gives it
 * too (as the whole object's CRC is made from its parts').
 */

#include "fuzz.h"
#include "ngx_vod_crc64.h"


int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    size_t     cut;
    u_char    *data;
    uint64_t   whole, a, b;

    static int  ready;

    if (!ready) {
        ngx_vod_crc64_init();
        ready = 1;
    }

    cut = fuzz_byte(&in, &size) << 8;
    cut |= fuzz_byte(&in, &size);
    cut = size ? cut % (size + 1) : 0;

    data = fuzz_copy(in, size);

    whole = ngx_vod_crc64(0, data, size);

    if (ngx_vod_crc64_table(0, data, size) != whole
        || ngx_vod_crc64_pclmul(0, data, size) != whole
        || ngx_vod_crc64_vpclmul(0, data, size) != whole)
    {
        abort();                        /* the paths disagree */
    }

    a = ngx_vod_crc64(0, data, cut);

    if (ngx_vod_crc64(a, data + cut, size - cut) != whole) {
        abort();                        /* in two pieces, another CRC */
    }

    b = ngx_vod_crc64(0, data + cut, size - cut);

    if (ngx_vod_crc64_combine(a, b, size - cut) != whole) {
        abort();                        /* combined, another CRC */
    }

    free(data);

    return 0;
}
