
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#include "ngx_vod_tus.h"


static int ngx_vod_tus_base64(ngx_vod_alloc_t *a, const u_char *p,
    size_t len, ngx_vod_str_t *out);
static int ngx_vod_tus_b64(u_char c);


int
ngx_vod_tus_version(const u_char *p, size_t len)
{
    return len == sizeof(NGX_VOD_TUS_VERSION) - 1
           && memcmp(p, NGX_VOD_TUS_VERSION, len) == 0;
}


int
ngx_vod_tus_number(const u_char *p, size_t len, int64_t *n)
{
    size_t    i;
    uint64_t  v;

    if (len == 0 || len > 19) {
        return NGX_VOD_ERROR;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return NGX_VOD_ERROR;
        }

        v = v * 10 + (uint64_t) (p[i] - '0');
    }

    if (v > (uint64_t) INT64_MAX) {
        return NGX_VOD_ERROR;
    }

    *n = (int64_t) v;

    return NGX_VOD_OK;
}


int
ngx_vod_tus_metadata(ngx_vod_alloc_t *a, const u_char *p, size_t len,
    ngx_vod_tus_meta_t **pairs, size_t *n, const char **error)
{
    size_t               i, count;
    const u_char        *end, *start, *comma, *pair, *pair_end, *sp;
    ngx_vod_tus_meta_t  *m;

    *pairs = NULL;
    *n = 0;

    end = p + len;

    /* the pairs: commas + 1, at most NGX_VOD_TUS_METADATA_MAX */

    count = 1;

    for (comma = p; comma < end; comma++) {
        if (*comma == ',') {
            count++;
        }
    }

    if (count > NGX_VOD_TUS_METADATA_MAX) {
        *error = "Upload-Metadata has too many pairs";
        return NGX_VOD_ERROR;
    }

    m = ngx_vod_alloc(a, count * sizeof(ngx_vod_tus_meta_t));
    if (m == NULL) {
        *error = "out of memory";
        return NGX_VOD_ERROR;
    }

    count = 0;

    for (start = p; /* void */; start = comma + 1) {

        for (comma = start; comma < end && *comma != ','; comma++) {
            /* void */
        }

        /* white space around the pair */

        pair = start;
        pair_end = comma;

        while (pair < pair_end && (*pair == ' ' || *pair == '\t')) {
            pair++;
        }

        while (pair_end > pair
               && (pair_end[-1] == ' ' || pair_end[-1] == '\t'))
        {
            pair_end--;
        }

        if (pair == pair_end) {
            *error = "Upload-Metadata has an empty pair";
            return NGX_VOD_ERROR;
        }

        for (sp = pair; sp < pair_end && *sp != ' '; sp++) { /* void */ }

        m[count].key.data = (u_char *) pair;
        m[count].key.len = sp - pair;

        for (i = 0; i < m[count].key.len; i++) {
            if (pair[i] <= 0x20 || pair[i] >= 0x7f) {
                *error = "an Upload-Metadata key is not printable ASCII";
                return NGX_VOD_ERROR;
            }
        }

        for (i = 0; i < count; i++) {
            if (m[i].key.len == m[count].key.len
                && memcmp(m[i].key.data, m[count].key.data, m[i].key.len)
                   == 0)
            {
                *error = "an Upload-Metadata key appears twice";
                return NGX_VOD_ERROR;
            }
        }

        if (sp < pair_end) {
            if (ngx_vod_tus_base64(a, sp + 1, pair_end - sp - 1,
                                   &m[count].value)
                != NGX_VOD_OK)
            {
                *error = "an Upload-Metadata value is not base64";
                return NGX_VOD_ERROR;
            }

        } else {
            m[count].value.data = (u_char *) "";
            m[count].value.len = 0;
        }

        count++;

        if (comma == end) {
            break;
        }
    }

    *pairs = m;
    *n = count;

    return NGX_VOD_OK;
}


/* standard base64 with padding, whole quanta only */

static int
ngx_vod_tus_base64(ngx_vod_alloc_t *a, const u_char *p, size_t len,
    ngx_vod_str_t *out)
{
    int      v[4];
    size_t   i, j, pad;
    u_char  *d;

    if (len == 0 || len % 4) {
        return NGX_VOD_ERROR;
    }

    pad = (p[len - 1] == '=') + (p[len - 2] == '=');

    d = ngx_vod_alloc(a, len / 4 * 3 + 1);
    if (d == NULL) {
        return NGX_VOD_ERROR;
    }

    out->data = d;

    for (i = 0; i < len; i += 4) {
        for (j = 0; j < 4; j++) {
            if (p[i + j] == '=' && i + 4 == len && j >= 4 - pad) {
                v[j] = 0;
                continue;
            }

            v[j] = ngx_vod_tus_b64(p[i + j]);

            if (v[j] < 0) {
                return NGX_VOD_ERROR;
            }
        }

        *d++ = (u_char) ((v[0] << 2) | (v[1] >> 4));

        if (i + 4 < len || pad < 2) {
            *d++ = (u_char) ((v[1] << 4) | (v[2] >> 2));
        }

        if (i + 4 < len || pad < 1) {
            *d++ = (u_char) ((v[2] << 6) | v[3]);
        }
    }

    /* the bits the padding leaves out are zero: one spelling a value */

    if ((pad == 2 && (v[1] & 15)) || (pad == 1 && (v[2] & 3))) {
        return NGX_VOD_ERROR;
    }

    *d = '\0';
    out->len = d - out->data;

    return NGX_VOD_OK;
}


static int
ngx_vod_tus_b64(u_char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '+') {
        return 62;
    }

    if (c == '/') {
        return 63;
    }

    return -1;
}
