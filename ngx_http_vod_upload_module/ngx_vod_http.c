
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */

#include <string.h>

#include "ngx_vod_http.h"


static const struct {
    const char        *name;
    ngx_vod_header_e   header;
} ngx_vod_headers[] = {
    { "ETag", NGX_VOD_HEADER_ETAG },
    { "x-cos-hash-crc64ecma", NGX_VOD_HEADER_CRC64 },
    { "x-cos-request-id", NGX_VOD_HEADER_REQUEST_ID },
    { "Content-Length", NGX_VOD_HEADER_CONTENT_LENGTH },
    { "Transfer-Encoding", NGX_VOD_HEADER_TRANSFER_ENCODING },
    { "Connection", NGX_VOD_HEADER_CONNECTION },
};


ngx_vod_header_e
ngx_vod_header(const u_char *name, size_t len)
{
    size_t  i;

    for (i = 0; i < sizeof(ngx_vod_headers) / sizeof(ngx_vod_headers[0]);
         i++)
    {
        if (len == strlen(ngx_vod_headers[i].name)
            && ngx_vod_casestarts(name, name + len, ngx_vod_headers[i].name))
        {
            return ngx_vod_headers[i].header;
        }
    }

    return NGX_VOD_HEADER_OTHER;
}


int
ngx_vod_header_has(const u_char *value, size_t len, const char *token)
{
    size_t  i, n;

    n = strlen(token);

    for (i = 0; n && i + n <= len; i++) {
        if (ngx_vod_casestarts(value + i, value + len, token)) {
            return 1;
        }
    }

    return 0;
}


int
ngx_vod_crc64_header(const u_char *p, size_t len, uint64_t *crc)
{
    if (len > 20 || !ngx_vod_decimal(p, len, UINT64_MAX, crc)) {
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


int
ngx_vod_answer_room(size_t have, size_t add, size_t size,
    off_t content_length, size_t max, size_t *room)
{
    size_t  need;

    if (have > max || add > max - have) {
        return NGX_VOD_ERROR;
    }

    need = have + add;

    if (need <= size) {
        *room = size;
        return NGX_VOD_OK;
    }

    if (content_length > 0 && (uint64_t) content_length < max) {
        size = (size_t) content_length;

    } else if (content_length > 0) {
        size = max;

    } else {
        size = size > max / 2 ? max : size * 2;

        if (size < 4096) {
            size = 4096;
        }
    }

    while (size < need) {
        size = size > max / 2 ? max : size * 2;
    }

    *room = size < max ? size : max;

    return NGX_VOD_OK;
}


int
ngx_vod_id_valid(const u_char *p, size_t len)
{
    size_t  i;

    if (len > 128) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')
              || (p[i] >= '0' && p[i] <= '9') || p[i] == '.' || p[i] == '_'
              || p[i] == '-'))
        {
            return 0;
        }
    }

    return 1;
}


#define ngx_vod_log_escaped(c)                                               \
    ((c) < 0x20 || (c) == 0x7f || (c) == '"' || (c) == '\\')


size_t
ngx_vod_log_escape_len(const u_char *p, size_t len)
{
    size_t  i, n;

    n = len;

    for (i = 0; i < len; i++) {
        if (ngx_vod_log_escaped(p[i])) {
            n += 3;
        }
    }

    return n;
}


u_char *
ngx_vod_log_escape(u_char *dst, const u_char *p, size_t len)
{
    size_t  i;

    static const u_char  hex[] = "0123456789abcdef";

    for (i = 0; i < len; i++) {
        if (ngx_vod_log_escaped(p[i])) {
            *dst++ = '\\';
            *dst++ = 'x';
            *dst++ = hex[p[i] >> 4];
            *dst++ = hex[p[i] & 0xf];

        } else {
            *dst++ = p[i];
        }
    }

    return dst;
}


void
ngx_vod_mask_sign(u_char *p, size_t len, const u_char *value,
    size_t value_len)
{
    size_t  i;

    if (value_len == 0) {
        return;
    }

    i = 0;

    while (len - i >= 5 + value_len) {

        if (!ngx_vod_casestarts(p + i, p + len, "sign=")) {
            i++;
            continue;
        }

        i += 5;

        if (memcmp(p + i, value, value_len) == 0) {
            memset(p + i, '*', value_len);
            i += value_len;
        }
    }
}
