
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Unit test of ngx_vod_parts.c: part sizes keep every upload within
 * COS's 10000 parts of 1 MiB .. 5 GiB.
 */


#include "ngx_vod_parts.h"
#include "ngx_vod_test.h"


#define MiB  ((uint64_t) 1024 * 1024)
#define GiB  (1024 * MiB)
#define TiB  (1024 * GiB)


static uint64_t
parts_of(uint64_t length, uint64_t size)
{
    return (length + size - 1) / size;
}


static void
test_known_length(void)
{
    uint64_t  len, size;

    static const uint64_t  lengths[] = {
        1, 8 * MiB, 8 * MiB + 1, GiB, 78 * GiB, 79 * GiB, 100 * GiB, TiB,
        10 * TiB, 40 * TiB, NGX_VOD_OBJECT_SIZE_MAX - 1,
        NGX_VOD_OBJECT_SIZE_MAX, 0
    };

    const uint64_t  *l;

    ngx_vod_test_ok(ngx_vod_parts_size(GiB, 8 * MiB) == 8 * MiB,
                    "1 GiB keeps the configured 8 MiB parts (128 parts)");
    ngx_vod_test_ok(ngx_vod_parts_size(10000 * 8 * MiB, 8 * MiB) == 8 * MiB,
                    "exactly 10000 parts of 8 MiB keep the size");
    ngx_vod_test_ok(ngx_vod_parts_size(10000 * 8 * MiB + 1, 8 * MiB)
                    == 16 * MiB, "one byte more doubles it to 16 MiB");
    ngx_vod_test_ok(ngx_vod_parts_size(TiB, 8 * MiB) == 128 * MiB,
                    "1 TiB with 8 MiB configured: 128 MiB parts");
    ngx_vod_test_ok(ngx_vod_parts_size(TiB, 3 * MiB) == 192 * MiB,
                    "doubling keeps the configured base (3 MiB -> 192 MiB)");
    ngx_vod_test_ok(ngx_vod_parts_size(NGX_VOD_OBJECT_SIZE_MAX, MiB)
                    == NGX_VOD_PART_SIZE_MAX,
                    "the largest object needs 5 GiB parts");
    ngx_vod_test_ok(ngx_vod_parts_size(NGX_VOD_OBJECT_SIZE_MAX + 1, MiB)
                    == 0, "a byte over COS's limit does not fit");

    for (l = lengths; *l; l++) {
        len = *l;
        size = ngx_vod_parts_size(len, MiB);

        ngx_vod_test_ok(size >= NGX_VOD_PART_SIZE_MIN
                        && size <= NGX_VOD_PART_SIZE_MAX
                        && parts_of(len, size) <= NGX_VOD_PARTS_MAX,
                        "%llu bytes: %llu-byte parts, %llu parts",
                        (unsigned long long) len, (unsigned long long) size,
                        (unsigned long long) parts_of(len, size));
    }
}


static void
test_unknown_length(void)
{
    uint32_t  n;
    uint64_t  size, prev, total;

    ngx_vod_test_ok(ngx_vod_parts_size_at(8 * MiB, 1) == 8 * MiB,
                    "part 1 has the configured size");
    ngx_vod_test_ok(ngx_vod_parts_size_at(8 * MiB, 500) == 8 * MiB,
                    "part 500 too");
    ngx_vod_test_ok(ngx_vod_parts_size_at(8 * MiB, 501) == 16 * MiB,
                    "part 501 is twice as large");
    ngx_vod_test_ok(ngx_vod_parts_size_at(8 * MiB, 10000)
                    == NGX_VOD_PART_SIZE_MAX, "part 10000 is at the maximum");
    ngx_vod_test_ok(ngx_vod_parts_size_at(8 * MiB, 0) == 0
                    && ngx_vod_parts_size_at(8 * MiB, 10001) == 0,
                    "there is no part 0 and no part 10001");
    ngx_vod_test_ok(ngx_vod_parts_size_at(5 * GiB, 9999)
                    == NGX_VOD_PART_SIZE_MAX, "5 GiB parts never grow");

    prev = 0;
    total = 0;

    for (n = 1; n <= NGX_VOD_PARTS_MAX; n++) {
        size = ngx_vod_parts_size_at(MiB, n);

        if (size < prev || size > NGX_VOD_PART_SIZE_MAX) {
            break;
        }

        prev = size;
        total += size;
    }

    ngx_vod_test_ok(n == NGX_VOD_PARTS_MAX + 1,
                    "sizes never shrink and stay within 5 GiB");
    ngx_vod_test_ok(total == ngx_vod_parts_capacity(MiB),
                    "the capacity is the sum of all parts");
    ngx_vod_test_ok(ngx_vod_parts_capacity(MiB) > 20 * TiB,
                    "1 MiB parts: over 20 TiB of unknown length fit (%llu GiB)",
                    (unsigned long long) (ngx_vod_parts_capacity(MiB) / GiB));
    ngx_vod_test_ok(ngx_vod_parts_capacity(8 * MiB) > 28 * TiB,
                    "8 MiB parts: over 28 TiB fit (%llu GiB)",
                    (unsigned long long)
                    (ngx_vod_parts_capacity(8 * MiB) / GiB));

    /* memory: 100 GiB of unknown length uses parts of at most 128 MiB */

    total = 0;

    for (n = 1; total < 100 * GiB; n++) {
        size = ngx_vod_parts_size_at(8 * MiB, n);
        total += size;
    }

    ngx_vod_test_ok(size <= 128 * MiB,
                    "after 100 GiB the part size is %llu MiB",
                    (unsigned long long) (size / MiB));
}


int
main(void)
{
    test_known_length();
    test_unknown_length();

    return ngx_vod_test_done();
}
