
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#include "ngx_vod_parts.h"


uint64_t
ngx_vod_parts_size(uint64_t length, uint64_t configured, uint64_t max)
{
    uint64_t  size;

    if (length > NGX_VOD_OBJECT_SIZE_MAX) {
        return 0;
    }

    size = configured;

    while ((length + size - 1) / size > NGX_VOD_PARTS_MAX) {

        if (size >= max) {
            return 0;
        }

        size = (2 * size < max) ? 2 * size : max;
    }

    return size;
}


uint64_t
ngx_vod_parts_size_at(uint64_t configured, uint64_t max, uint32_t n)
{
    uint32_t  doublings;

    if (n == 0 || n > NGX_VOD_PARTS_MAX) {
        return 0;
    }

    doublings = (n - 1) / NGX_VOD_PARTS_PER_DOUBLING;

    /* 2^14 MiB is already over the maximum, whatever was configured */

    if (doublings >= 14 || (configured << doublings) > max) {
        return max;
    }

    return configured << doublings;
}


uint64_t
ngx_vod_parts_capacity(uint64_t configured, uint64_t max)
{
    uint32_t  n;
    uint64_t  total;

    total = 0;

    for (n = 1; n <= NGX_VOD_PARTS_MAX; n += NGX_VOD_PARTS_PER_DOUBLING) {
        total += ngx_vod_parts_size_at(configured, max, n)
                 * NGX_VOD_PARTS_PER_DOUBLING;
    }

    return total;
}
