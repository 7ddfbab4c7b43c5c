
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


#endif /* _NGX_VOD_COMMON_H_INCLUDED_ */
