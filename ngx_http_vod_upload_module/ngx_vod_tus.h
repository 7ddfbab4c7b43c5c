
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The tus 1.0.0 request headers (tus.io resumable upload protocol): their
 * values as a client sends them, read or refused before anything is done
 * with them.
 */


#ifndef _NGX_VOD_TUS_H_INCLUDED_
#define _NGX_VOD_TUS_H_INCLUDED_


#include "ngx_vod_common.h"


#define NGX_VOD_TUS_VERSION        "1.0.0"
#define NGX_VOD_TUS_METADATA_MAX   64       /* pairs */


/* Tus-Resumable: exactly "1.0.0" */
int ngx_vod_tus_version(const u_char *p, size_t len);

/*
 * Upload-Offset, Upload-Length: decimal digits only, no sign, no white
 * space, at most 2^63 - 1.  NGX_VOD_OK with *n, or NGX_VOD_ERROR.
 */
int ngx_vod_tus_number(const u_char *p, size_t len, int64_t *n);


/* an Upload-Metadata pair: its value decoded (base64), may be empty */

typedef struct {
    ngx_vod_str_t           key;
    ngx_vod_str_t           value;
} ngx_vod_tus_meta_t;


/*
 * Upload-Metadata: "key base64,key base64,key" (a key alone has an empty
 * value; white space around a pair is allowed).  Keys are unique, not
 * empty, without spaces or commas; values are standard base64 with its
 * padding.  The pairs and the decoded values are allocated through a.
 * NGX_VOD_OK with *pairs and *n, or NGX_VOD_ERROR with *error set.
 */
int ngx_vod_tus_metadata(ngx_vod_alloc_t *a, const u_char *p, size_t len,
    ngx_vod_tus_meta_t **pairs, size_t *n, const char **error);


#endif /* _NGX_VOD_TUS_H_INCLUDED_ */
