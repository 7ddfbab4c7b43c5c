/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * The XML documents of the COS multipart API, spec section 4: the
 * CompleteMultipartUpload body, and the answers (Initiate, Complete,
 * ListParts, ListMultipartUploads, Error), read by a small hand-written
 * parser: no DTDs, no namespaces, no libxml2.
 *
 * The parser reads a whole document: leading whitespace, an optional
 * <?xml ...?> declaration, comments, processing instructions and CDATA
 * sections are accepted; the five predefined entities and character
 * references (&#34; &#x22;) are decoded into UTF-8; unknown elements,
 * nested or not, and attributes are skipped.  Refused: a document
 * over NGX_VOD_COS_XML_MAX_SIZE bytes, NUL bytes, a DOCTYPE, other
 * entities, unclosed or mismatched tags, elements nested deeper than
 * NGX_VOD_COS_XML_MAX_DEPTH, text outside the root element, a second
 * root.
 */


#ifndef _NGX_VOD_COS_XML_H_INCLUDED_
#define _NGX_VOD_COS_XML_H_INCLUDED_


#include "ngx_vod_common.h"


/* ngx_vod_cos_xml_parse_expect(): the answer is an <Error> document */
#define NGX_VOD_COS_XML_ERROR_DOC    -3

#define NGX_VOD_COS_XML_MAX_SIZE     (1024 * 1024)
#define NGX_VOD_COS_XML_MAX_DEPTH    8

#define NGX_VOD_COS_MAX_PARTS        10000


typedef enum {
    NGX_VOD_COS_XML_UNKNOWN = 0,
    NGX_VOD_COS_XML_INITIATE,       /* InitiateMultipartUploadResult */
    NGX_VOD_COS_XML_COMPLETE,       /* CompleteMultipartUploadResult */
    NGX_VOD_COS_XML_LIST_PARTS,     /* ListPartsResult */
    NGX_VOD_COS_XML_LIST_UPLOADS,   /* ListMultipartUploadsResult */
    NGX_VOD_COS_XML_ERROR           /* Error */
} ngx_vod_cos_xml_root_e;


/*
 * A part: the input of the Complete body (part_number and etag), and
 * a ListParts entry (all three).  The ETag is as COS sends it in the
 * ETag header, quotes included: "\"d41d8cd98f00b204e9800998ecf8427e\"".
 */

typedef struct {
    uint32_t                part_number;    /* 1..10000 */
    ngx_vod_str_t           etag;
    uint64_t                size;
} ngx_vod_cos_part_t;


typedef struct {
    ngx_vod_str_t           bucket;
    ngx_vod_str_t           key;
    ngx_vod_str_t           upload_id;      /* required */
} ngx_vod_cos_initiate_t;


typedef struct {
    ngx_vod_str_t           location;
    ngx_vod_str_t           bucket;
    ngx_vod_str_t           key;
    ngx_vod_str_t           etag;           /* "\"<md5>-<parts>\"" */
} ngx_vod_cos_complete_t;


typedef struct {
    ngx_vod_str_t           bucket;
    ngx_vod_str_t           key;
    ngx_vod_str_t           upload_id;
    ngx_vod_cos_part_t     *parts;          /* in document order */
    size_t                  nparts;
    uint64_t                part_number_marker;
    uint64_t                next_part_number_marker;
    uint64_t                max_parts;
    unsigned                is_truncated;
} ngx_vod_cos_list_parts_t;


/* a ListMultipartUploads entry: <Upload><Key/><UploadId/>... */

typedef struct {
    ngx_vod_str_t           key;            /* required, no leading "/" */
    ngx_vod_str_t           upload_id;      /* required */
    ngx_vod_str_t           initiated;
} ngx_vod_cos_upload_t;


typedef struct {
    ngx_vod_str_t           bucket;
    ngx_vod_str_t           prefix;
    ngx_vod_str_t           key_marker;
    ngx_vod_str_t           upload_id_marker;
    ngx_vod_str_t           next_key_marker;
    ngx_vod_str_t           next_upload_id_marker;
    ngx_vod_cos_upload_t   *uploads;        /* in document order */
    size_t                  nuploads;
    unsigned                is_truncated;
} ngx_vod_cos_list_uploads_t;


typedef struct {
    ngx_vod_str_t           code;
    ngx_vod_str_t           message;
    ngx_vod_str_t           resource;
    ngx_vod_str_t           request_id;
    ngx_vod_str_t           trace_id;
} ngx_vod_cos_error_t;


/*
 * A parsed document: "root" says which of the members is filled; the
 * others are zero.  Strings are allocated through the allocator,
 * NUL-terminated (not counted), kept as they are (not trimmed); an
 * absent element is { 0, NULL }, an empty one { 0, "" }.  "error" is a
 * static message on NGX_VOD_ERROR; "root" then still names the root
 * element if it was reached, with its members partly filled.
 */

typedef struct {
    ngx_vod_cos_xml_root_e    root;
    ngx_vod_cos_initiate_t    initiate;
    ngx_vod_cos_complete_t    complete;
    ngx_vod_cos_list_parts_t  list_parts;
    ngx_vod_cos_list_uploads_t  list_uploads;
    ngx_vod_cos_error_t       error_doc;
    const char               *error;
} ngx_vod_cos_xml_doc_t;


/*
 * Parses an answer of len bytes (need not be NUL-terminated).  Returns
 * NGX_VOD_OK with doc->root one of the five known roots, or
 * NGX_VOD_ERROR with doc->error set: malformed XML, an unknown root
 * (doc->root NGX_VOD_COS_XML_UNKNOWN), a required element missing
 * (InitiateMultipartUploadResult.UploadId; ListParts Part.PartNumber,
 * ETag and Size; ListMultipartUploads Upload.Key and UploadId), more
 * than NGX_VOD_COS_MAX_PARTS entries, a known element twice or holding
 * child elements, a
 * number or boolean that does not parse, out of memory.  A temporary
 * buffer of len bytes is malloc()ed and freed before returning.
 */
int ngx_vod_cos_xml_parse(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, ngx_vod_cos_xml_doc_t *doc);

/*
 * The same, for an answer that should have the root "expected": returns
 * NGX_VOD_OK when it has; NGX_VOD_COS_XML_ERROR_DOC when the answer is
 * an <Error> document (doc->error_doc filled; this is how a Complete
 * answered with HTTP 200 can still fail); NGX_VOD_ERROR otherwise.
 */
int ngx_vod_cos_xml_parse_expect(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, ngx_vod_cos_xml_root_e expected, ngx_vod_cos_xml_doc_t *doc);


/*
 * The CompleteMultipartUpload body:
 *
 *   <CompleteMultipartUpload><Part><PartNumber>1</PartNumber>
 *   <ETag>"..."</ETag></Part>...</CompleteMultipartUpload>
 *
 * (on one line).  parts: 1..NGX_VOD_COS_MAX_PARTS, part numbers
 * strictly ascending in 1..10000, ETags 1..NGX_VOD_COS_ETAG_MAX bytes
 * of printable ASCII; &, < and > are escaped, quotes are kept (XML
 * allows them in text).  ngx_vod_cos_xml_check_parts() checks that
 * (NGX_VOD_OK, or NGX_VOD_ERROR with *error set);
 * ngx_vod_cos_xml_complete_size() gives the exact size of the body of
 * valid parts, ngx_vod_cos_xml_complete_write() writes it and returns
 * the end; ngx_vod_cos_xml_complete_body() does all three with memory
 * from the allocator (NUL-terminated, the NUL not counted).
 */

#define NGX_VOD_COS_ETAG_MAX         256

int ngx_vod_cos_xml_check_parts(const ngx_vod_cos_part_t *parts,
    size_t nparts, const char **error);
size_t ngx_vod_cos_xml_complete_size(const ngx_vod_cos_part_t *parts,
    size_t nparts);
u_char *ngx_vod_cos_xml_complete_write(u_char *p,
    const ngx_vod_cos_part_t *parts, size_t nparts);
int ngx_vod_cos_xml_complete_body(ngx_vod_alloc_t *a,
    const ngx_vod_cos_part_t *parts, size_t nparts, ngx_vod_str_t *body,
    const char **error);


#endif /* _NGX_VOD_COS_XML_H_INCLUDED_ */
