
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * libFuzzer target of part planning (ngx_vod_parts.c), whose inputs are
 * a client's declared length and the configuration: 8 bytes of length,
 * 8 of configured part size, 8 of maximum, 2 of a part number.  What it
 * plans must hold: parts within 1 MiB .. max, a known length in at most
 * 10000 of them, sizes by number that never shrink.
 */

#include "fuzz.h"
#include "ngx_vod_parts.h"


int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    uint32_t  n;
    uint64_t  length, configured, max, part, at, before, capacity;

    length = fuzz_u64(&in, &size);
    configured = fuzz_u64(&in, &size);
    max = fuzz_u64(&in, &size);
    n = fuzz_byte(&in, &size) << 8;
    n |= fuzz_byte(&in, &size);

    /* what nginx -t lets through: 1 MiB <= configured <= max <= 5 GiB */

    configured = NGX_VOD_PART_SIZE_MIN
                 + configured % (NGX_VOD_PART_SIZE_MAX
                                 - NGX_VOD_PART_SIZE_MIN + 1);
    max = configured + max % (NGX_VOD_PART_SIZE_MAX - configured + 1);
    length %= NGX_VOD_OBJECT_SIZE_MAX + (NGX_VOD_OBJECT_SIZE_MAX >> 4);

    part = ngx_vod_parts_size(length, configured, max);

    if (part) {
        if (part < configured || part > max
            || (length + part - 1) / part > NGX_VOD_PARTS_MAX)
        {
            abort();                    /* a plan COS would refuse */
        }

    } else if ((length + max - 1) / max <= NGX_VOD_PARTS_MAX) {
        abort();                        /* refused, though it fits */
    }

    n = n % (NGX_VOD_PARTS_MAX + 2);
    at = ngx_vod_parts_size_at(configured, max, n);

    if (n == 0 || n > NGX_VOD_PARTS_MAX) {
        if (at != 0 && n > NGX_VOD_PARTS_MAX) {
            abort();
        }

    } else {
        before = n > 1 ? ngx_vod_parts_size_at(configured, max, n - 1)
                       : configured;

        if (at < configured || at > max || at < before) {
            abort();                    /* out of bounds, or shrinking */
        }
    }

    capacity = ngx_vod_parts_capacity(configured, max);
    if (capacity < configured || capacity > NGX_VOD_OBJECT_SIZE_MAX) {
        abort();
    }

    return 0;
}
