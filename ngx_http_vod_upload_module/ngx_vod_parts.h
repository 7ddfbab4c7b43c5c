
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Part planning for COS multipart uploads: at most 10000 parts of
 * 1 MiB .. 5 GiB each (the last part may be smaller), so 10000 x 5 GiB
 * (COS's "48.82 TB") is the largest object.
 */


#ifndef _NGX_VOD_PARTS_H_INCLUDED_
#define _NGX_VOD_PARTS_H_INCLUDED_


#include "ngx_vod_common.h"


#define NGX_VOD_PARTS_MAX          10000
#define NGX_VOD_PART_SIZE_MIN      ((uint64_t) 1024 * 1024)
#define NGX_VOD_PART_SIZE_MAX      ((uint64_t) 5 * 1024 * 1024 * 1024)
#define NGX_VOD_OBJECT_SIZE_MAX    (NGX_VOD_PARTS_MAX * NGX_VOD_PART_SIZE_MAX)

/* with an unknown length the part size doubles every so many parts */
#define NGX_VOD_PARTS_PER_DOUBLING 500


/*
 * Parts never exceed "max" (the configured vod_upload_max_part_size, at
 * most NGX_VOD_PART_SIZE_MAX): it bounds an upload's memory whatever
 * length the client declares.
 *
 * A body of known length: the part size to use, the configured size
 * doubled as often as needed to stay within NGX_VOD_PARTS_MAX parts, at
 * most max; 0 if the body does not fit in NGX_VOD_PARTS_MAX parts of max
 * bytes (or is larger than NGX_VOD_OBJECT_SIZE_MAX).
 */
uint64_t ngx_vod_parts_size(uint64_t length, uint64_t configured,
    uint64_t max);

/*
 * A body of unknown length: the size of part number n (1-based): the
 * configured size, doubled every NGX_VOD_PARTS_PER_DOUBLING parts, at
 * most max; 0 past NGX_VOD_PARTS_MAX.
 */
uint64_t ngx_vod_parts_size_at(uint64_t configured, uint64_t max,
    uint32_t n);

/* the largest body of unknown length that fits, for the docs and logs */
uint64_t ngx_vod_parts_capacity(uint64_t configured, uint64_t max);


#endif /* _NGX_VOD_PARTS_H_INCLUDED_ */
