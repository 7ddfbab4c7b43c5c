
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * libFuzzer target of ngx_vod_http.c, the helpers the nginx glue runs
 * over what VOD, COS and clients send: a header's name and value, the
 * crc64 header, the room an answer's body takes, event identifiers, log
 * escaping, and the masking of a signature.  The input: a byte that picks
 * which, then the bytes (for the mask: a value's length byte first).
 */

#include "fuzz.h"
#include "ngx_vod_http.h"


int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    u_char    *data, *out, *end;
    size_t     n, vlen, have, add, room, max, old, i;
    off_t      cl;
    uint64_t   crc;
    unsigned   which;

    which = fuzz_byte(&in, &size) % 6;

    switch (which) {

    case 3:
        /* room: have, add, size, Content-Length, max from the input */
        max = (size_t) fuzz_u64(&in, &size) % ((size_t) 1 << 32) + 1;
        have = (size_t) fuzz_u64(&in, &size) % (max + 1);
        add = (size_t) fuzz_u64(&in, &size);
        old = (size_t) fuzz_u64(&in, &size) % (max + 1);
        old = old < have ? have : old;
        cl = (off_t) (fuzz_u64(&in, &size) >> 1) - (off_t) 1;

        if (ngx_vod_answer_room(have, add, old, cl, max, &room)
            != NGX_VOD_OK)
        {
            if (add <= max - have) {
                abort();                /* it fitted, refused */
            }

        } else if (add > max - have || room < have + add || room > max
                   || (have + add <= old && room != old))
        {
            abort();                    /* too small, over max, or moved */
        }

        return 0;
    }

    data = fuzz_copy(in, size);

    switch (which) {

    case 0:
        (void) ngx_vod_header(data, size);
        (void) ngx_vod_header_has(data, size, "chunked");
        (void) ngx_vod_header_has(data, size, "close");
        break;

    case 1:
        if (ngx_vod_crc64_header(data, size, &crc) == NGX_VOD_OK
            && (size == 0 || size > 20))
        {
            abort();
        }
        break;

    case 2:
        if (ngx_vod_id_valid(data, size) && size > 128) {
            abort();
        }
        break;

    case 4:
        n = ngx_vod_log_escape_len(data, size);
        out = malloc(n ? n : 1);
        if (out == NULL) {
            abort();
        }

        end = ngx_vod_log_escape(out, data, size);

        if ((size_t) (end - out) != n) {
            abort();                    /* the length computed was wrong */
        }

        for (i = 0; i < n; i++) {
            if (out[i] < 0x20 || out[i] == 0x7f || out[i] == '"') {
                abort();                /* a byte a log line must not have */
            }
        }

        free(out);
        break;

    default:
        vlen = size ? data[0] % 16 : 0;
        vlen = vlen < size ? vlen : 0;

        /* the value is the input's own bytes after the length byte */
        out = fuzz_copy(data + 1 < data + size ? data + 1 : data, vlen);
        ngx_vod_mask_sign(data, size, out, vlen);
        free(out);
        break;
    }

    free(data);

    return 0;
}
