
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * libFuzzer target of the tus units (ngx_vod_tus.c): Upload-Metadata,
 * Tus-Resumable, the number headers (Upload-Length, Upload-Offset), the
 * upload's state as it comes out of a token, and the offset of a list of
 * parts.  The input: a byte that picks which, a byte that makes the n-th
 * allocation fail (0: none), then the header or the state.  A state that
 * parses is written again and must give the same bytes back.
 */

#include "fuzz.h"
#include "ngx_vod_tus.h"


static void
state_round_trip(const u_char *data, size_t size)
{
    u_char               *out, *end;
    size_t                n;
    const char           *error;
    ngx_vod_tus_state_t   st, again;

    memset(&st, 0, sizeof(st));

    if (ngx_vod_tus_state_parse(data, size, &st, &error) != NGX_VOD_OK) {
        return;
    }

    n = ngx_vod_tus_state_size(&st);
    out = malloc(n ? n : 1);
    if (out == NULL) {
        abort();
    }

    end = ngx_vod_tus_state_write(out, &st);
    if ((size_t) (end - out) > n) {
        abort();                        /* more than the room computed */
    }

    memset(&again, 0, sizeof(again));

    if (ngx_vod_tus_state_parse(out, end - out, &again, &error)
        != NGX_VOD_OK
        || again.created != st.created || again.expires != st.expires
        || again.length != st.length || again.part_size != st.part_size
        || again.sub_app_id != st.sub_app_id
        || !fuzz_same(&again.session_key, &st.session_key)
        || !fuzz_same(&again.host, &st.host) || !fuzz_same(&again.key, &st.key)
        || !fuzz_same(&again.upload_id, &st.upload_id)
        || !fuzz_same(&again.secret_id, &st.secret_id)
        || !fuzz_same(&again.secret_key, &st.secret_key)
        || !fuzz_same(&again.token, &st.token)
        || !fuzz_same(&again.metadata, &st.metadata)
        || !fuzz_same(&again.media_name, &st.media_name)
        || !fuzz_same(&again.source_context, &st.source_context))
    {
        abort();                        /* written, it reads otherwise */
    }

    free(out);
}


int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    size_t               i, n;
    u_char              *data;
    int64_t              num;
    uint32_t             next;
    unsigned             which, fail_at;
    const char          *error;
    fuzz_pool_t          pool;
    ngx_vod_alloc_t      a;
    ngx_vod_tus_meta_t  *pairs;
    ngx_vod_tus_part_t  *parts;

    which = fuzz_byte(&in, &size);
    fail_at = fuzz_byte(&in, &size) % 16;

    data = fuzz_copy(in, size);
    a = fuzz_pool(&pool, fail_at);

    switch (which % 5) {

    case 0:
        if (ngx_vod_tus_metadata(&a, data, size, &pairs, &n, &error)
            == NGX_VOD_OK)
        {
            for (i = 0; i < n; i++) {
                if (pairs[i].key.len == 0) {
                    abort();            /* a pair without its key */
                }
            }
        }
        break;

    case 1:
        (void) ngx_vod_tus_version(data, size);
        break;

    case 2:
        if (ngx_vod_tus_number(data, size, &num) == NGX_VOD_OK && num < 0) {
            abort();                    /* a length or offset below 0 */
        }
        break;

    case 3:
        state_round_trip(data, size);
        break;

    default:
        /* parts: 4 bytes of number, 4 of size (in KiB), as ListParts has */
        n = size / 8;
        parts = malloc((n ? n : 1) * sizeof(ngx_vod_tus_part_t));
        if (parts == NULL) {
            abort();
        }

        for (i = 0; i < n; i++) {
            parts[i].number = (uint32_t) data[8 * i] << 8 | data[8 * i + 1];
            parts[i].size = ((uint64_t) data[8 * i + 4] << 24
                             | (uint64_t) data[8 * i + 5] << 16
                             | (uint64_t) data[8 * i + 6] << 8
                             | data[8 * i + 7]) * 1024;
        }

        num = ngx_vod_tus_offset(parts, n, &next);
        if (num < 0) {
            abort();
        }

        free(parts);
        break;
    }

    fuzz_pool_free(&pool);
    free(data);

    return 0;
}
