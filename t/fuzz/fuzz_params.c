
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * libFuzzer target of the parameter checks (ngx_vod_params.c) that
 * nginx -t and every request run over values that may come from a client
 * (a file name, a header, a form field): each check of the table, the
 * validators and the COS host a bucket and a region make.  The input: a
 * byte that picks the check, then the value (for the host: the bucket, a
 * NUL, the region).  Each runs on an exact copy, and on no bytes at all
 * (a NULL pointer and 0, as an unset variable gives).
 */

#include "fuzz.h"
#include "ngx_vod_params.h"


static void
check(unsigned which, const u_char *p, size_t len)
{
    int64_t         n;
    u_char          host[NGX_VOD_COS_HOST_MAX];
    const u_char   *nul;
    ngx_vod_str_t   bucket, region;

    switch (which % (NGX_VOD_PARAM_N + 8)) {

    case NGX_VOD_PARAM_N:
        (void) ngx_vod_media_type_valid(p, len);
        break;

    case NGX_VOD_PARAM_N + 1:
        (void) ngx_vod_cover_type_valid(p, len);
        break;

    case NGX_VOD_PARAM_N + 2:
        (void) ngx_vod_iso8601_valid(p, len);
        break;

    case NGX_VOD_PARAM_N + 3:
        (void) ngx_vod_region_valid(p, len);
        break;

    case NGX_VOD_PARAM_N + 4:
        (void) ngx_vod_bucket_valid(p, len);
        break;

    case NGX_VOD_PARAM_N + 5:
        if (ngx_vod_int64_parse(p, len, &n) == NGX_VOD_OK
            && ngx_vod_class_id_valid(p, len) && n < 0)
        {
            abort();                    /* a class id below 0 */
        }
        break;

    case NGX_VOD_PARAM_N + 6:
        (void) ngx_vod_printable_valid(p, len);
        break;

    case NGX_VOD_PARAM_N + 7:
        nul = len ? memchr(p, '\0', len) : NULL;
        bucket.data = (u_char *) p;
        bucket.len = nul ? (size_t) (nul - p) : len;
        region.data = nul ? (u_char *) nul + 1 : NULL;
        region.len = nul ? len - bucket.len - 1 : 0;

        if (ngx_vod_cos_host(host, &bucket, &region) > NGX_VOD_COS_HOST_MAX) {
            abort();
        }
        break;

    default:
        (void) ngx_vod_param_check(&ngx_vod_params[which
                                                   % (NGX_VOD_PARAM_N + 8)],
                                   p, len);
        break;
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    u_char    *data;
    unsigned   which;

    which = fuzz_byte(&in, &size);

    data = fuzz_copy(in, size);

    check(which, data, size);
    check(which, NULL, 0);

    free(data);

    return 0;
}
