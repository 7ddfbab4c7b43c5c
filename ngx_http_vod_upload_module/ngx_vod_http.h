
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The small things the nginx glue reads from untrusted bytes that are not
 * a protocol body: the headers the module keeps of an answer of VOD or
 * COS (and x-cos-hash-crc64ecma's number), the room an answer's body
 * takes as it arrives, the identifiers of VOD's events, the escaping of
 * text for a log line, and the masking of a signature in a request line.
 * No nginx here: unit tested and fuzzed (t/unit, t/fuzz).
 */

#ifndef _NGX_VOD_HTTP_H_INCLUDED_
#define _NGX_VOD_HTTP_H_INCLUDED_


#include <sys/types.h>

#include "ngx_vod_common.h"


/* an answer's header, by its name (any case) */

typedef enum {
    NGX_VOD_HEADER_OTHER = 0,
    NGX_VOD_HEADER_ETAG,
    NGX_VOD_HEADER_CRC64,               /* x-cos-hash-crc64ecma */
    NGX_VOD_HEADER_REQUEST_ID,          /* x-cos-request-id */
    NGX_VOD_HEADER_CONTENT_LENGTH,
    NGX_VOD_HEADER_TRANSFER_ENCODING,
    NGX_VOD_HEADER_CONNECTION
} ngx_vod_header_e;

ngx_vod_header_e ngx_vod_header(const u_char *name, size_t len);

/* "chunked" in a Transfer-Encoding, "close" in a Connection: any case */
int ngx_vod_header_has(const u_char *value, size_t len, const char *token);

/*
 * x-cos-hash-crc64ecma: an unsigned 64-bit decimal, digits only:
 * NGX_VOD_OK with *crc, or NGX_VOD_ERROR.
 */
int ngx_vod_crc64_header(const u_char *p, size_t len, uint64_t *crc);

/*
 * The size of the buffer that holds an answer's body of have bytes and
 * add more, when the buffer has size bytes: size itself when they fit;
 * else the answer's Content-Length (content_length, -1: none) or twice
 * size (at least 4096), doubled until they fit, at most max.  NGX_VOD_OK
 * with *room, or NGX_VOD_ERROR when have + add is over max.
 */
int ngx_vod_answer_room(size_t have, size_t add, size_t size,
    off_t content_length, size_t max, size_t *room);

/* EventType, FileId, TaskId: at most 128 of [A-Za-z0-9._-] (or none) */
int ngx_vod_id_valid(const u_char *p, size_t len);

/*
 * Text for a log line between quotes: control characters, DEL, '"' and
 * '\' as \xHH.  The length of the escaped text, then the text written
 * (returns the end).
 */
size_t ngx_vod_log_escape_len(const u_char *p, size_t len);
u_char *ngx_vod_log_escape(u_char *dst, const u_char *p, size_t len);

/*
 * Every "sign=<value>" (any case) in the len bytes at p: the value's
 * bytes become asterisks, so that no log shows a signature.
 */
void ngx_vod_mask_sign(u_char *p, size_t len, const u_char *value,
    size_t value_len);


#endif /* _NGX_VOD_HTTP_H_INCLUDED_ */
