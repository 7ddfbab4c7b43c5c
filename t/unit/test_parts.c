
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Unit test of ngx_vod_parts.c: part sizes keep every upload within
 * COS's 10000 parts of 1 MiB .. 5 GiB, and never grow past the
 * configured maximum, whatever length the client declares.
 */


#include "ngx_vod_parts.h"
#include "ngx_vod_test.h"


#define MiB  ((uint64_t) 1024 * 1024)
#define GiB  (1024 * MiB)
#define TiB  (1024 * GiB)
#define MAX  NGX_VOD_PART_SIZE_MAX


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

    ngx_vod_test_ok(ngx_vod_parts_size(GiB, 8 * MiB, 8 * MiB) == 8 * MiB,
                    "1 GiB keeps the configured 8 MiB parts (128 parts)");
    ngx_vod_test_ok(ngx_vod_parts_size(10000 * 8 * MiB, 8 * MiB, 8 * MiB)
                    == 8 * MiB, "exactly 10000 parts of 8 MiB fit");
    ngx_vod_test_ok(ngx_vod_parts_size(10000 * 8 * MiB + 1, 8 * MiB, 8 * MiB)
                    == 0, "one byte more does not, with parts that may not "
                    "grow");
    ngx_vod_test_ok(ngx_vod_parts_size(10000 * 8 * MiB + 1, 8 * MiB, MAX)
                    == 16 * MiB, "with a larger maximum: 16 MiB parts");
    ngx_vod_test_ok(ngx_vod_parts_size(TiB, 8 * MiB, MAX) == 128 * MiB,
                    "1 TiB with 8 MiB configured: 128 MiB parts");
    ngx_vod_test_ok(ngx_vod_parts_size(TiB, 3 * MiB, MAX) == 192 * MiB,
                    "doubling keeps the configured base (3 MiB -> 192 MiB)");
    ngx_vod_test_ok(ngx_vod_parts_size(TiB, 8 * MiB, 120 * MiB) == 120 * MiB,
                    "the last step stops at the maximum (120 MiB)");
    ngx_vod_test_ok(ngx_vod_parts_size(TiB, 8 * MiB, 64 * MiB) == 0,
                    "1 TiB does not fit in 10000 parts of 64 MiB");
    ngx_vod_test_ok(ngx_vod_parts_size(200 * 1000 * 1000 * 1000ULL, MiB, MiB)
                    == 0, "a declared 200 GB with 1 MiB parts is refused, "
                    "not given 32 MiB buffers");
    ngx_vod_test_ok(ngx_vod_parts_size(NGX_VOD_OBJECT_SIZE_MAX, MiB, MAX)
                    == NGX_VOD_PART_SIZE_MAX,
                    "the largest object needs 5 GiB parts");
    ngx_vod_test_ok(ngx_vod_parts_size(NGX_VOD_OBJECT_SIZE_MAX + 1, MiB, MAX)
                    == 0, "a byte over COS's limit does not fit");

    for (l = lengths; *l; l++) {
        len = *l;
        size = ngx_vod_parts_size(len, MiB, MAX);

        ngx_vod_test_ok(size >= NGX_VOD_PART_SIZE_MIN
                        && size <= NGX_VOD_PART_SIZE_MAX
                        && parts_of(len, size) <= NGX_VOD_PARTS_MAX,
                        "%llu bytes: %llu-byte parts, %llu parts",
                        (unsigned long long) len, (unsigned long long) size,
                        (unsigned long long) parts_of(len, size));

        size = ngx_vod_parts_size(len, MiB, 64 * MiB);

        ngx_vod_test_ok(size == 0
                        ? parts_of(len, 64 * MiB) > NGX_VOD_PARTS_MAX
                        : size <= 64 * MiB
                          && parts_of(len, size) <= NGX_VOD_PARTS_MAX,
                        "%llu bytes with at most 64 MiB parts: %s",
                        (unsigned long long) len,
                        size ? "fits" : "refused");
    }
}


static void
test_unknown_length(void)
{
    uint32_t  n;
    uint64_t  size, prev, total;

    ngx_vod_test_ok(ngx_vod_parts_size_at(8 * MiB, MAX, 1) == 8 * MiB,
                    "part 1 has the configured size");
    ngx_vod_test_ok(ngx_vod_parts_size_at(8 * MiB, MAX, 500) == 8 * MiB,
                    "part 500 too");
    ngx_vod_test_ok(ngx_vod_parts_size_at(8 * MiB, MAX, 501) == 16 * MiB,
                    "part 501 is twice as large");
    ngx_vod_test_ok(ngx_vod_parts_size_at(8 * MiB, 8 * MiB, 501) == 8 * MiB,
                    "unless the maximum is the configured size");
    ngx_vod_test_ok(ngx_vod_parts_size_at(8 * MiB, 20 * MiB, 1001)
                    == 20 * MiB, "part 1001 stops at a 20 MiB maximum");
    ngx_vod_test_ok(ngx_vod_parts_size_at(8 * MiB, MAX, 10000)
                    == NGX_VOD_PART_SIZE_MAX, "part 10000 is at 5 GiB");
    ngx_vod_test_ok(ngx_vod_parts_size_at(8 * MiB, MAX, 0) == 0
                    && ngx_vod_parts_size_at(8 * MiB, MAX, 10001) == 0,
                    "there is no part 0 and no part 10001");
    ngx_vod_test_ok(ngx_vod_parts_size_at(5 * GiB, MAX, 9999)
                    == NGX_VOD_PART_SIZE_MAX, "5 GiB parts never grow");

    prev = 0;
    total = 0;

    for (n = 1; n <= NGX_VOD_PARTS_MAX; n++) {
        size = ngx_vod_parts_size_at(MiB, MAX, n);

        if (size < prev || size > NGX_VOD_PART_SIZE_MAX) {
            break;
        }

        prev = size;
        total += size;
    }

    ngx_vod_test_ok(n == NGX_VOD_PARTS_MAX + 1,
                    "sizes never shrink and stay within 5 GiB");
    ngx_vod_test_ok(total == ngx_vod_parts_capacity(MiB, MAX),
                    "the capacity is the sum of all parts");
    ngx_vod_test_ok(ngx_vod_parts_capacity(MiB, MAX) > 20 * TiB,
                    "1 MiB parts up to 5 GiB: over 20 TiB of unknown length "
                    "fit (%llu GiB)", (unsigned long long)
                    (ngx_vod_parts_capacity(MiB, MAX) / GiB));
    ngx_vod_test_ok(ngx_vod_parts_capacity(8 * MiB, 8 * MiB)
                    == 10000 * 8 * MiB,
                    "8 MiB parts that may not grow: 10000 of them");
    ngx_vod_test_ok(ngx_vod_parts_capacity(8 * MiB, 64 * MiB) > 500 * GiB,
                    "8 MiB parts up to 64 MiB: %llu GiB",
                    (unsigned long long)
                    (ngx_vod_parts_capacity(8 * MiB, 64 * MiB) / GiB));

    /* memory: 100 GiB of unknown length uses parts of at most 128 MiB */

    total = 0;

    for (n = 1; total < 100 * GiB; n++) {
        size = ngx_vod_parts_size_at(8 * MiB, MAX, n);
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
