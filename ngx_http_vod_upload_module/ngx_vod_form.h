
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * multipart/form-data (RFC 7578) as a browser's form sends it, read as it
 * streams in: a pull parser that returns one event at a time (a part's
 * headers, bytes of a part, its end, the end of the form), never buffers
 * a part's bytes (they are given from the input, or from the delimiter
 * itself when a partial match turns out not to be one), and keeps only a
 * part's headers (bounded).  The caller takes the bytes of a DATA event
 * before it asks for the next: that is how it slows the client down.
 */


#ifndef _NGX_VOD_FORM_H_INCLUDED_
#define _NGX_VOD_FORM_H_INCLUDED_


#include "ngx_vod_common.h"


#define NGX_VOD_FORM_BOUNDARY_MAX   70      /* RFC 2046 */
#define NGX_VOD_FORM_HEADERS_MAX    4096    /* a part's header block */

/* events of ngx_vod_form_parse(), besides NGX_VOD_ERROR */
#define NGX_VOD_FORM_AGAIN          5       /* the input is used up */
#define NGX_VOD_FORM_PART           1
#define NGX_VOD_FORM_DATA           2
#define NGX_VOD_FORM_END            3
#define NGX_VOD_FORM_DONE           4


/* a part's headers */

typedef struct {
    ngx_vod_str_t           name;           /* Content-Disposition name */
    ngx_vod_str_t           filename;       /* decoded; data NULL: none */
    ngx_vod_str_t           content_type;   /* len 0: none */
} ngx_vod_form_part_t;


typedef struct {
    /* "\r\n--" boundary: the delimiter before every part */
    u_char                  delimiter[4 + NGX_VOD_FORM_BOUNDARY_MAX];
    size_t                  delimiter_len;

    int                     state;
    size_t                  match;          /* of the delimiter, held */
    size_t                  after;          /* bytes after a delimiter */
    unsigned                flush:1;        /* held bytes are data */

    ngx_vod_form_part_t     part;
    u_char                  headers[NGX_VOD_FORM_HEADERS_MAX];
    size_t                  headers_len;
    u_char                  filename[NGX_VOD_FORM_HEADERS_MAX];
} ngx_vod_form_t;


/*
 * The boundary of a Content-Type "multipart/form-data; boundary=..."
 * (quoted or not): NGX_VOD_OK with f ready to parse, or NGX_VOD_ERROR
 * with *error set (not multipart/form-data, no boundary, one longer than
 * 70 characters or of characters RFC 2046 does not allow).
 */
int ngx_vod_form_init(ngx_vod_form_t *f, const u_char *content_type,
    size_t len, const char **error);

/*
 * The next event of the input [*pos, last); *pos moves past what was
 * read.  NGX_VOD_FORM_PART: f->part holds the part's headers (until the
 * next PART); NGX_VOD_FORM_DATA: *data, *len are bytes of the part (in
 * the input, or in f); NGX_VOD_FORM_END: the part is over;
 * NGX_VOD_FORM_DONE: the closing delimiter (what follows is ignored);
 * NGX_VOD_FORM_AGAIN: the input is used up; NGX_VOD_ERROR: *error.
 */
int ngx_vod_form_parse(ngx_vod_form_t *f, const u_char **pos,
    const u_char *last, const u_char **data, size_t *len,
    const char **error);


#endif /* _NGX_VOD_FORM_H_INCLUDED_ */
