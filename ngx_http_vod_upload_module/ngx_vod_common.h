
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Shared definitions of the nginx-free protocol units (ngx_vod_*.c).
 * These units use only libc, OpenSSL and cJSON, so that they can be
 * unit tested without nginx; the nginx glue converts ngx_str_t to
 * ngx_vod_str_t (same layout) at the boundary.
 */


#ifndef _NGX_VOD_COMMON_H_INCLUDED_
#define _NGX_VOD_COMMON_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>


#define NGX_VOD_OK      0
#define NGX_VOD_ERROR  -1


typedef struct {
    size_t      len;
    u_char     *data;
} ngx_vod_str_t;


#define ngx_vod_string(s)     { sizeof(s) - 1, (u_char *) s }
#define ngx_vod_null_string   { 0, NULL }


/*
 * A caller-supplied allocator: the nginx glue passes a request pool,
 * unit tests pass malloc with bookkeeping.  Memory is never freed one
 * piece at a time by the units; the owner frees it all at once.
 */

typedef struct {
    void       *(*alloc)(void *data, size_t size);
    void        *data;
} ngx_vod_alloc_t;


static inline void *
ngx_vod_alloc(ngx_vod_alloc_t *a, size_t size)
{
    return a->alloc(a->data, size);
}


/* the bytes [p, last) begin with s (ASCII), without regard to case */

static inline int
ngx_vod_casestarts(const u_char *p, const u_char *last, const char *s)
{
    u_char  a, b;

    for ( ; *s; s++, p++) {
        if (p == last) {
            return 0;
        }

        a = (*p >= 'A' && *p <= 'Z') ? (u_char) (*p | 0x20) : *p;
        b = (u_char) ((*s >= 'A' && *s <= 'Z') ? (*s | 0x20) : *s);

        if (a != b) {
            return 0;
        }
    }

    return 1;
}


/*
 * len decimal digits (no sign, no space) of a number of at most max: 1
 * with *n, or 0
 */

static inline int
ngx_vod_decimal(const u_char *p, size_t len, uint64_t max, uint64_t *n)
{
    size_t    i;
    uint64_t  v;

    if (len == 0) {
        return 0;
    }

    v = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9'
            || v > (max - (uint64_t) (p[i] - '0')) / 10)
        {
            return 0;
        }

        v = v * 10 + (uint64_t) (p[i] - '0');
    }

    *n = v;

    return 1;
}


/* writes len bytes of src as 2 * len lowercase hex digits, returns the end */

static inline u_char *
ngx_vod_hex(u_char *dst, const u_char *src, size_t len)
{
    static const u_char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }

    return dst;
}


/* copies len bytes (src may be NULL when len is 0), returns dst + len */

static inline u_char *
ngx_vod_cpymem(u_char *dst, const void *src, size_t len)
{
    if (len) {
        memcpy(dst, src, len);
    }

    return dst + len;
}


/* ASCII lower case of n bytes, as nginx's ngx_strlow(); dst may be src */

static inline void
ngx_vod_strlow(u_char *dst, const u_char *src, size_t n)
{
    while (n--) {
        *dst++ = (*src >= 'A' && *src <= 'Z') ? (u_char) (*src | 0x20) : *src;
        src++;
    }
}


/* a header value must not hold control characters (CR, LF, ...) */

static inline int
ngx_vod_header_value_valid(const ngx_vod_str_t *v)
{
    size_t  i;

    for (i = 0; i < v->len; i++) {
        if (v->data[i] < 0x20 || v->data[i] == 0x7f) {
            return 0;
        }
    }

    return 1;
}


#endif /* _NGX_VOD_COMMON_H_INCLUDED_ */
