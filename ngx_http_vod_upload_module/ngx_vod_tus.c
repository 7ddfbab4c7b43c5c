
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 */


#include "ngx_vod_tus.h"

#include <stdlib.h>


static int ngx_vod_tus_base64(ngx_vod_alloc_t *a, const u_char *p,
    size_t len, ngx_vod_str_t *out);
static int ngx_vod_tus_b64(u_char c);
static u_char *ngx_vod_tus_put(u_char *p, u_char tag, const u_char *v,
    size_t len);
static int ngx_vod_tus_part_cmp(const void *one, const void *two);


/* the state's fields: tag, where, and whether a number */

typedef struct {
    u_char                  tag;
    size_t                  offset;
    unsigned                number:1;
    unsigned                required:1;
} ngx_vod_tus_field_t;


#define ngx_vod_tus_num(tag, m)                                               \
    { tag, offsetof(ngx_vod_tus_state_t, m), 1, 1 }
#define ngx_vod_tus_str(tag, m, req)                                          \
    { tag, offsetof(ngx_vod_tus_state_t, m), 0, req }

static const ngx_vod_tus_field_t  ngx_vod_tus_fields[] = {
    ngx_vod_tus_num(1, created),
    ngx_vod_tus_num(2, expires),
    ngx_vod_tus_num(3, length),
    ngx_vod_tus_num(4, part_size),
    ngx_vod_tus_num(5, sub_app_id),
    ngx_vod_tus_str(6, session_key, 1),
    ngx_vod_tus_str(7, host, 1),
    ngx_vod_tus_str(8, key, 1),
    ngx_vod_tus_str(9, upload_id, 1),
    ngx_vod_tus_str(10, secret_id, 1),
    ngx_vod_tus_str(11, secret_key, 1),
    ngx_vod_tus_str(12, token, 0),
    ngx_vod_tus_str(13, metadata, 0),
    ngx_vod_tus_str(14, media_name, 0),
    ngx_vod_tus_str(15, source_context, 0),
};

#define NGX_VOD_TUS_NFIELDS                                                   \
    (sizeof(ngx_vod_tus_fields) / sizeof(ngx_vod_tus_field_t))


int
ngx_vod_tus_version(const u_char *p, size_t len)
{
    return len == sizeof(NGX_VOD_TUS_VERSION) - 1
           && memcmp(p, NGX_VOD_TUS_VERSION, len) == 0;
}


int
ngx_vod_tus_number(const u_char *p, size_t len, int64_t *n)
{
    uint64_t  v;

    if (len > 19 || !ngx_vod_decimal(p, len, INT64_MAX, &v)) {
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


size_t
ngx_vod_tus_state_size(const ngx_vod_tus_state_t *st)
{
    size_t                      i, size, len;
    const ngx_vod_tus_field_t  *f;

    size = 0;

    for (i = 0; i < NGX_VOD_TUS_NFIELDS; i++) {
        f = &ngx_vod_tus_fields[i];

        len = f->number ? 8 : ((const ngx_vod_str_t *)
                               ((const u_char *) st + f->offset))->len;

        /* the tag, a varint of at most 10 bytes, the value */
        size += 1 + 10 + len;
    }

    return size;
}


u_char *
ngx_vod_tus_state_write(u_char *p, const ngx_vod_tus_state_t *st)
{
    int                         k;
    size_t                      i;
    u_char                      num[8];
    uint64_t                    v;
    const ngx_vod_str_t        *s;
    const ngx_vod_tus_field_t  *f;

    for (i = 0; i < NGX_VOD_TUS_NFIELDS; i++) {
        f = &ngx_vod_tus_fields[i];

        if (f->number) {
            v = (uint64_t) *(const int64_t *) ((const u_char *) st
                                               + f->offset);

            for (k = 7; k >= 0; k--) {
                num[k] = (u_char) (v & 0xff);
                v >>= 8;
            }

            p = ngx_vod_tus_put(p, f->tag, num, 8);
            continue;
        }

        s = (const ngx_vod_str_t *) ((const u_char *) st + f->offset);
        p = ngx_vod_tus_put(p, f->tag, s->data, s->len);
    }

    return p;
}


static u_char *
ngx_vod_tus_put(u_char *p, u_char tag, const u_char *v, size_t len)
{
    size_t  n;

    *p++ = tag;

    for (n = len; n >= 0x80; n >>= 7) {
        *p++ = (u_char) (n | 0x80);
    }

    *p++ = (u_char) n;

    if (len) {
        memcpy(p, v, len);
    }

    return p + len;
}


int
ngx_vod_tus_state_parse(const u_char *data, size_t len,
    ngx_vod_tus_state_t *st, const char **error)
{
    int                         k;
    size_t                      i, n, shift;
    uint32_t                    seen;
    uint64_t                    v;
    const u_char               *p, *end;
    ngx_vod_str_t              *s;
    const ngx_vod_tus_field_t  *f;

    memset(st, 0, sizeof(ngx_vod_tus_state_t));

    p = data;
    end = data + len;
    seen = 0;

    while (p < end) {

        for (i = 0; i < NGX_VOD_TUS_NFIELDS; i++) {
            if (ngx_vod_tus_fields[i].tag == *p) {
                break;
            }
        }

        if (i == NGX_VOD_TUS_NFIELDS) {
            *error = "an unknown field";
            return NGX_VOD_ERROR;
        }

        if (seen & (1u << i)) {
            *error = "a field twice";
            return NGX_VOD_ERROR;
        }

        seen |= 1u << i;
        f = &ngx_vod_tus_fields[i];
        p++;

        /* the length, a varint */

        n = 0;

        for (shift = 0; /* void */; shift += 7) {
            if (p == end || shift > 28) {
                *error = "a length past the end";
                return NGX_VOD_ERROR;
            }

            n |= (size_t) (*p & 0x7f) << shift;

            if (!(*p++ & 0x80)) {
                break;
            }
        }

        if (n > (size_t) (end - p)) {
            *error = "a length past the end";
            return NGX_VOD_ERROR;
        }

        if (f->number) {
            if (n != 8) {
                *error = "a number that is not 8 bytes";
                return NGX_VOD_ERROR;
            }

            v = 0;

            for (k = 0; k < 8; k++) {
                v = (v << 8) | p[k];
            }

            *(int64_t *) ((u_char *) st + f->offset) = (int64_t) v;

        } else {
            s = (ngx_vod_str_t *) ((u_char *) st + f->offset);
            s->data = (u_char *) p;
            s->len = n;
        }

        p += n;
    }

    for (i = 0; i < NGX_VOD_TUS_NFIELDS; i++) {
        if (ngx_vod_tus_fields[i].required && !(seen & (1u << i))) {
            *error = "a required field is missing";
            return NGX_VOD_ERROR;
        }
    }

    if (st->key.len == 0 || st->key.data[0] != '/' || st->part_size < 0
        || st->length < -1)
    {
        *error = "a field out of its range";
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


int64_t
ngx_vod_tus_offset(ngx_vod_tus_part_t *parts, size_t n, uint32_t *next)
{
    size_t   i;
    int64_t  offset;

    qsort(parts, n, sizeof(ngx_vod_tus_part_t), ngx_vod_tus_part_cmp);

    offset = 0;

    for (i = 0; i < n && parts[i].number == i + 1; i++) {
        offset += (int64_t) parts[i].size;
    }

    *next = (uint32_t) i + 1;

    return offset;
}


static int
ngx_vod_tus_part_cmp(const void *one, const void *two)
{
    const ngx_vod_tus_part_t  *a = one, *b = two;

    return (a->number > b->number) - (a->number < b->number);
}
