/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * A small XML reader for COS answers.  The document is read once, front
 * to back, with a stack of open element names (pointers into the
 * input).  The text of each element is decoded into a scratch buffer as
 * it is read; when an element ends, its text is kept if a table says
 * that element (under that root, at that depth) is a field we want.
 * Decoded text is never longer than its source, so a scratch buffer of
 * the document's length is always enough.
 */


#include <stdlib.h>

#include "ngx_vod_cos_xml.h"


#define ngx_vod_cos_xml_stringify(n)   #n
#define ngx_vod_cos_xml_number(n)      ngx_vod_cos_xml_stringify(n)

#define NGX_VOD_COS_XML_ERR_NOMEM      "out of memory"
#define NGX_VOD_COS_XML_ERR_TRUNCATED  "truncated XML document"

/* ngx_vod_cos_xml_misc(): nothing to skip */
#define NGX_VOD_COS_XML_DECLINED       1

#define NGX_VOD_COS_XML_STR            0
#define NGX_VOD_COS_XML_U64            1
#define NGX_VOD_COS_XML_BOOL           2
#define NGX_VOD_COS_XML_PART_NUMBER    3

#define ngx_vod_cos_xml_space(c)                                              \
    ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')


/*
 * An entry of a list: a <Part> of ListPartsResult, an <Upload> of
 * ListMultipartUploadsResult, read into this before it is kept.
 */

typedef union {
    ngx_vod_cos_part_t          part;
    ngx_vod_cos_upload_t        upload;
} ngx_vod_cos_xml_entry_t;


/* a field: an element under the root, or under one of its entries */

typedef struct {
    ngx_vod_cos_xml_root_e      root;
    unsigned                    in_entry:1;
    unsigned                    required:1;
    const char                 *name;
    int                         type;
    size_t                      offset;     /* in the doc, or the entry */
    const char                 *twice;
    const char                 *children;
    const char                 *invalid;
    const char                 *missing;
} ngx_vod_cos_xml_field_t;


#define ngx_vod_cos_xml_field(root, in_entry, req, name, type, offset, what, \
                              missing)                                       \
    { root, in_entry, req, name, type, offset, "<" name "> appears twice",   \
      "<" name "> holds elements", "<" name "> is not " what, missing }

#define ngx_vod_cos_xml_doc_field(root, name, member, type, what)            \
    ngx_vod_cos_xml_field(root, 0, 0, name, type,                            \
                          offsetof(ngx_vod_cos_xml_doc_t, member), what, NULL)

#define ngx_vod_cos_xml_part_field(name, member, type, what)                 \
    ngx_vod_cos_xml_field(NGX_VOD_COS_XML_LIST_PARTS, 1, 1, name, type,      \
                          offsetof(ngx_vod_cos_xml_entry_t, part.member),    \
                          what, "ListPartsResult <Part> has no <" name ">")

#define ngx_vod_cos_xml_upload_field(name, member, req)                      \
    ngx_vod_cos_xml_field(NGX_VOD_COS_XML_LIST_UPLOADS, 1, req, name,        \
                          NGX_VOD_COS_XML_STR,                               \
                          offsetof(ngx_vod_cos_xml_entry_t, upload.member),  \
                          "", "ListMultipartUploadsResult <Upload> has no <" \
                          name ">")


static const ngx_vod_cos_xml_field_t  ngx_vod_cos_xml_fields[] = {

    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_INITIATE, "Bucket",
        initiate.bucket, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_INITIATE, "Key",
        initiate.key, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_INITIATE, "UploadId",
        initiate.upload_id, NGX_VOD_COS_XML_STR, ""),

    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_COMPLETE, "Location",
        complete.location, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_COMPLETE, "Bucket",
        complete.bucket, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_COMPLETE, "Key",
        complete.key, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_COMPLETE, "ETag",
        complete.etag, NGX_VOD_COS_XML_STR, ""),

    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_ERROR, "Code",
        error_doc.code, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_ERROR, "Message",
        error_doc.message, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_ERROR, "Resource",
        error_doc.resource, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_ERROR, "RequestId",
        error_doc.request_id, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_ERROR, "TraceId",
        error_doc.trace_id, NGX_VOD_COS_XML_STR, ""),

    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_PARTS, "Bucket",
        list_parts.bucket, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_PARTS, "Key",
        list_parts.key, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_PARTS, "UploadId",
        list_parts.upload_id, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_PARTS, "PartNumberMarker",
        list_parts.part_number_marker, NGX_VOD_COS_XML_U64, "a number"),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_PARTS,
        "NextPartNumberMarker", list_parts.next_part_number_marker,
        NGX_VOD_COS_XML_U64, "a number"),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_PARTS, "MaxParts",
        list_parts.max_parts, NGX_VOD_COS_XML_U64, "a number"),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_PARTS, "IsTruncated",
        list_parts.is_truncated, NGX_VOD_COS_XML_BOOL, "true or false"),

    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_UPLOADS, "Bucket",
        list_uploads.bucket, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_UPLOADS, "Prefix",
        list_uploads.prefix, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_UPLOADS, "KeyMarker",
        list_uploads.key_marker, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_UPLOADS, "UploadIdMarker",
        list_uploads.upload_id_marker, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_UPLOADS, "NextKeyMarker",
        list_uploads.next_key_marker, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_UPLOADS,
        "NextUploadIdMarker", list_uploads.next_upload_id_marker,
        NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_doc_field(NGX_VOD_COS_XML_LIST_UPLOADS, "IsTruncated",
        list_uploads.is_truncated, NGX_VOD_COS_XML_BOOL, "true or false"),

    ngx_vod_cos_xml_part_field("PartNumber", part_number,
        NGX_VOD_COS_XML_PART_NUMBER, "a number in 1..10000"),
    ngx_vod_cos_xml_part_field("ETag", etag, NGX_VOD_COS_XML_STR, ""),
    ngx_vod_cos_xml_part_field("Size", size, NGX_VOD_COS_XML_U64,
        "a number"),

    ngx_vod_cos_xml_upload_field("Key", key, 1),
    ngx_vod_cos_xml_upload_field("UploadId", upload_id, 1),
    ngx_vod_cos_xml_upload_field("Initiated", initiated, 0),
};

#define NGX_VOD_COS_XML_NFIELDS                                               \
    (sizeof(ngx_vod_cos_xml_fields) / sizeof(ngx_vod_cos_xml_field_t))


typedef struct {
    const u_char               *p;
    const u_char               *end;

    ngx_vod_alloc_t            *a;
    ngx_vod_cos_xml_doc_t      *doc;

    /* the text read since the last tag, decoded */
    u_char                     *text;
    size_t                      text_len;

    /* open elements, and which of them have child elements */
    ngx_vod_str_t               names[NGX_VOD_COS_XML_MAX_DEPTH];
    unsigned                    children[NGX_VOD_COS_XML_MAX_DEPTH];
    size_t                      depth;

    unsigned long long          seen;

    /* a list: the entry being read, those read (malloc()ed) */
    const char                 *entry_name;
    ngx_vod_cos_xml_entry_t     entry;
    ngx_vod_cos_xml_entry_t    *entries;
    size_t                      nentries;
    size_t                      nalloc;

    const char                 *error;
} ngx_vod_cos_xml_parser_t;


static int ngx_vod_cos_xml_document(ngx_vod_cos_xml_parser_t *x);
static int ngx_vod_cos_xml_misc(ngx_vod_cos_xml_parser_t *x);
static int ngx_vod_cos_xml_start_tag(ngx_vod_cos_xml_parser_t *x);
static int ngx_vod_cos_xml_attribute(ngx_vod_cos_xml_parser_t *x);
static int ngx_vod_cos_xml_end_tag(ngx_vod_cos_xml_parser_t *x);
static int ngx_vod_cos_xml_text(ngx_vod_cos_xml_parser_t *x);
static int ngx_vod_cos_xml_cdata(ngx_vod_cos_xml_parser_t *x);
static int ngx_vod_cos_xml_skip_to(ngx_vod_cos_xml_parser_t *x,
    const char *s, size_t n);
static int ngx_vod_cos_xml_skip_space(ngx_vod_cos_xml_parser_t *x);
static int ngx_vod_cos_xml_entity(ngx_vod_cos_xml_parser_t *x,
    u_char **out);
static int ngx_vod_cos_xml_name(ngx_vod_cos_xml_parser_t *x,
    ngx_vod_str_t *name);
static int ngx_vod_cos_xml_at(ngx_vod_cos_xml_parser_t *x, const char *s,
    size_t n);
static int ngx_vod_cos_xml_element_start(ngx_vod_cos_xml_parser_t *x);
static int ngx_vod_cos_xml_element_end(ngx_vod_cos_xml_parser_t *x);
static int ngx_vod_cos_xml_entry_end(ngx_vod_cos_xml_parser_t *x);
static int ngx_vod_cos_xml_entries(ngx_vod_cos_xml_parser_t *x);
static int ngx_vod_cos_xml_store(ngx_vod_cos_xml_parser_t *x,
    const ngx_vod_cos_xml_field_t *f, void *base);
static int ngx_vod_cos_xml_u64(const u_char *p, size_t len,
    uint64_t *value);
static int ngx_vod_cos_xml_is(const ngx_vod_str_t *name, const char *s);
static size_t ngx_vod_cos_xml_etag_size(const ngx_vod_str_t *etag);


int
ngx_vod_cos_xml_parse(ngx_vod_alloc_t *a, const u_char *data, size_t len,
    ngx_vod_cos_xml_doc_t *doc)
{
    int                        rc;
    ngx_vod_cos_xml_parser_t   x;

    memset(doc, 0, sizeof(ngx_vod_cos_xml_doc_t));

    if (len > NGX_VOD_COS_XML_MAX_SIZE) {
        doc->error = "XML document is longer than 1048576 bytes";
        return NGX_VOD_ERROR;
    }

    if (len == 0) {
        doc->error = "XML document has no root element";
        return NGX_VOD_ERROR;
    }

    if (memchr(data, '\0', len) != NULL) {
        doc->error = "NUL byte in XML document";
        return NGX_VOD_ERROR;
    }

    memset(&x, 0, sizeof(ngx_vod_cos_xml_parser_t));

    x.p = data;
    x.end = data + len;
    x.a = a;
    x.doc = doc;

    x.text = malloc(len + 1);
    if (x.text == NULL) {
        doc->error = NGX_VOD_COS_XML_ERR_NOMEM;
        return NGX_VOD_ERROR;
    }

    rc = ngx_vod_cos_xml_document(&x);

    if (rc == NGX_VOD_OK && x.nentries) {
        rc = ngx_vod_cos_xml_entries(&x);
    }

    free(x.entries);
    free(x.text);

    if (rc != NGX_VOD_OK) {
        doc->error = x.error;
    }

    return rc;
}


int
ngx_vod_cos_xml_parse_expect(ngx_vod_alloc_t *a, const u_char *data,
    size_t len, ngx_vod_cos_xml_root_e expected, ngx_vod_cos_xml_doc_t *doc)
{
    if (ngx_vod_cos_xml_parse(a, data, len, doc) != NGX_VOD_OK) {
        return NGX_VOD_ERROR;
    }

    if (doc->root == expected) {
        return NGX_VOD_OK;
    }

    if (doc->root == NGX_VOD_COS_XML_ERROR) {
        return NGX_VOD_COS_XML_ERROR_DOC;
    }

    doc->error = "XML document has an unexpected root element";

    return NGX_VOD_ERROR;
}


static int
ngx_vod_cos_xml_document(ngx_vod_cos_xml_parser_t *x)
{
    int  rc;

    if (ngx_vod_cos_xml_at(x, "\xef\xbb\xbf", 3)) {
        x->p += 3;
    }

    /* the prolog: whitespace, <?xml ...?>, comments */

    for ( ;; ) {
        rc = ngx_vod_cos_xml_misc(x);

        if (rc == NGX_VOD_ERROR) {
            return NGX_VOD_ERROR;
        }

        if (rc == NGX_VOD_OK) {
            continue;
        }

        /* not misc: the end, or something else */

        if (x->p == x->end) {
            x->error = "XML document has no root element";
            return NGX_VOD_ERROR;
        }

        if (*x->p != '<') {
            x->error = "text before the XML root element";
            return NGX_VOD_ERROR;
        }

        break;
    }

    if (ngx_vod_cos_xml_start_tag(x) != NGX_VOD_OK) {
        return NGX_VOD_ERROR;
    }

    while (x->depth) {

        if (x->p == x->end) {
            x->error = "truncated XML document: an element is not closed";
            return NGX_VOD_ERROR;
        }

        if (*x->p != '<') {
            rc = ngx_vod_cos_xml_text(x);

        } else if (ngx_vod_cos_xml_at(x, "</", 2)) {
            rc = ngx_vod_cos_xml_end_tag(x);

        } else if (ngx_vod_cos_xml_at(x, "<![CDATA[", 9)) {
            rc = ngx_vod_cos_xml_cdata(x);

        } else if (ngx_vod_cos_xml_at(x, "<!--", 4)
                   || ngx_vod_cos_xml_at(x, "<?", 2))
        {
            rc = ngx_vod_cos_xml_misc(x);

        } else {
            rc = ngx_vod_cos_xml_start_tag(x);
        }

        if (rc != NGX_VOD_OK) {
            return NGX_VOD_ERROR;
        }
    }

    /* after the root: whitespace, comments, processing instructions */

    for ( ;; ) {
        rc = ngx_vod_cos_xml_misc(x);

        if (rc == NGX_VOD_ERROR) {
            return NGX_VOD_ERROR;
        }

        if (rc != NGX_VOD_OK) {
            break;
        }
    }

    if (x->p != x->end) {
        x->error = "content after the XML root element";
        return NGX_VOD_ERROR;
    }

    if (x->doc->root == NGX_VOD_COS_XML_INITIATE
        && x->doc->initiate.upload_id.len == 0)
    {
        x->error = "InitiateMultipartUploadResult has no UploadId";
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


/*
 * Whitespace, a comment or a processing instruction (<?xml ...?> too):
 * NGX_VOD_OK when one was skipped, NGX_VOD_ERROR on a malformed one,
 * NGX_VOD_COS_XML_DECLINED otherwise.
 */

static int
ngx_vod_cos_xml_misc(ngx_vod_cos_xml_parser_t *x)
{
    if (x->p < x->end && ngx_vod_cos_xml_space(*x->p)) {
        while (x->p < x->end && ngx_vod_cos_xml_space(*x->p)) {
            x->p++;
        }

        return NGX_VOD_OK;
    }

    if (ngx_vod_cos_xml_at(x, "<!--", 4)) {
        x->p += 4;
        return ngx_vod_cos_xml_skip_to(x, "-->", 3);
    }

    if (ngx_vod_cos_xml_at(x, "<?", 2)) {
        x->p += 2;
        return ngx_vod_cos_xml_skip_to(x, "?>", 2);
    }

    return NGX_VOD_COS_XML_DECLINED;
}


static int
ngx_vod_cos_xml_start_tag(ngx_vod_cos_xml_parser_t *x)
{
    int             empty;
    size_t          rest;
    ngx_vod_str_t   name;
    const u_char   *start;

    rest = x->end - x->p;

    if (rest >= 2 && x->p[1] == '!') {

        /* "<!" and not a comment or CDATA: a DOCTYPE, or a cut one */

        if ((rest < 4 && memcmp(x->p, "<!--", rest) == 0)
            || (rest < 9 && memcmp(x->p, "<![CDATA[", rest) == 0)
            || (rest < 9 && memcmp(x->p, "<!DOCTYPE", rest) == 0))
        {
            x->error = NGX_VOD_COS_XML_ERR_TRUNCATED;
            return NGX_VOD_ERROR;
        }

        x->error = ngx_vod_cos_xml_at(x, "<!DOCTYPE", 9)
                   ? "XML DOCTYPE is not allowed" : "malformed XML markup";
        return NGX_VOD_ERROR;
    }

    x->p++;

    if (ngx_vod_cos_xml_name(x, &name) != NGX_VOD_OK) {
        return NGX_VOD_ERROR;
    }

    empty = 0;

    for ( ;; ) {
        start = x->p;

        if (ngx_vod_cos_xml_skip_space(x) != NGX_VOD_OK) {
            return NGX_VOD_ERROR;
        }

        if (*x->p == '>') {
            x->p++;
            break;
        }

        if (*x->p == '/') {
            if (x->end - x->p < 2) {
                x->error = NGX_VOD_COS_XML_ERR_TRUNCATED;
                return NGX_VOD_ERROR;
            }

            if (x->p[1] != '>') {
                x->error = "malformed XML start tag";
                return NGX_VOD_ERROR;
            }

            x->p += 2;
            empty = 1;
            break;
        }

        /* an attribute, which must follow whitespace */

        if (x->p == start) {
            x->error = "malformed XML start tag";
            return NGX_VOD_ERROR;
        }

        if (ngx_vod_cos_xml_attribute(x) != NGX_VOD_OK) {
            return NGX_VOD_ERROR;
        }
    }

    if (x->depth == NGX_VOD_COS_XML_MAX_DEPTH) {
        x->error = "XML elements nested deeper than "
                   ngx_vod_cos_xml_number(NGX_VOD_COS_XML_MAX_DEPTH)
                   " levels";
        return NGX_VOD_ERROR;
    }

    if (x->depth) {
        x->children[x->depth - 1] = 1;
    }

    x->names[x->depth] = name;
    x->children[x->depth] = 0;
    x->depth++;
    x->text_len = 0;

    if (ngx_vod_cos_xml_element_start(x) != NGX_VOD_OK) {
        return NGX_VOD_ERROR;
    }

    if (!empty) {
        return NGX_VOD_OK;
    }

    if (ngx_vod_cos_xml_element_end(x) != NGX_VOD_OK) {
        return NGX_VOD_ERROR;
    }

    x->depth--;

    return NGX_VOD_OK;
}


/* name = "value" or name = 'value': checked, then forgotten */

static int
ngx_vod_cos_xml_attribute(ngx_vod_cos_xml_parser_t *x)
{
    u_char         quote;
    ngx_vod_str_t  name;

    if (ngx_vod_cos_xml_name(x, &name) != NGX_VOD_OK
        || ngx_vod_cos_xml_skip_space(x) != NGX_VOD_OK)
    {
        return NGX_VOD_ERROR;
    }

    if (*x->p != '=') {
        x->error = "malformed XML attribute";
        return NGX_VOD_ERROR;
    }

    x->p++;

    if (ngx_vod_cos_xml_skip_space(x) != NGX_VOD_OK) {
        return NGX_VOD_ERROR;
    }

    quote = *x->p++;

    if (quote != '"' && quote != '\'') {
        x->error = "malformed XML attribute";
        return NGX_VOD_ERROR;
    }

    while (x->p < x->end && *x->p != quote) {

        if (*x->p == '<') {
            x->error = "\"<\" in an XML attribute value";
            return NGX_VOD_ERROR;
        }

        if (*x->p == '&') {
            if (ngx_vod_cos_xml_entity(x, NULL) != NGX_VOD_OK) {
                return NGX_VOD_ERROR;
            }

            continue;
        }

        x->p++;
    }

    if (x->p == x->end) {
        x->error = NGX_VOD_COS_XML_ERR_TRUNCATED;
        return NGX_VOD_ERROR;
    }

    x->p++;

    return NGX_VOD_OK;
}


static int
ngx_vod_cos_xml_end_tag(ngx_vod_cos_xml_parser_t *x)
{
    ngx_vod_str_t  name, *open;

    x->p += 2;

    if (ngx_vod_cos_xml_name(x, &name) != NGX_VOD_OK
        || ngx_vod_cos_xml_skip_space(x) != NGX_VOD_OK)
    {
        return NGX_VOD_ERROR;
    }

    if (*x->p != '>') {
        x->error = "malformed XML end tag";
        return NGX_VOD_ERROR;
    }

    x->p++;

    open = &x->names[x->depth - 1];

    if (name.len != open->len || memcmp(name.data, open->data, name.len)) {
        x->error = "XML end tag does not match the start tag";
        return NGX_VOD_ERROR;
    }

    if (ngx_vod_cos_xml_element_end(x) != NGX_VOD_OK) {
        return NGX_VOD_ERROR;
    }

    x->depth--;
    x->text_len = 0;

    return NGX_VOD_OK;
}


/* character data up to the next "<", entities decoded */

static int
ngx_vod_cos_xml_text(ngx_vod_cos_xml_parser_t *x)
{
    u_char  *out;

    out = x->text + x->text_len;

    while (x->p < x->end && *x->p != '<') {

        if (*x->p == '&') {
            if (ngx_vod_cos_xml_entity(x, &out) != NGX_VOD_OK) {
                return NGX_VOD_ERROR;
            }

            continue;
        }

        *out++ = *x->p++;
    }

    x->text_len = out - x->text;

    return NGX_VOD_OK;
}


static int
ngx_vod_cos_xml_cdata(ngx_vod_cos_xml_parser_t *x)
{
    const u_char  *start;

    x->p += 9;
    start = x->p;

    if (ngx_vod_cos_xml_skip_to(x, "]]>", 3) != NGX_VOD_OK) {
        return NGX_VOD_ERROR;
    }

    memcpy(x->text + x->text_len, start, x->p - 3 - start);
    x->text_len += x->p - 3 - start;

    return NGX_VOD_OK;
}


/* moves past the next s (n bytes, n > 0) */

static int
ngx_vod_cos_xml_skip_to(ngx_vod_cos_xml_parser_t *x, const char *s,
    size_t n)
{
    const u_char  *p;

    for (p = x->p; (size_t) (x->end - p) >= n; p++) {
        p = memchr(p, s[0], x->end - p);

        if (p == NULL || (size_t) (x->end - p) < n) {
            break;
        }

        if (memcmp(p, s, n) == 0) {
            x->p = p + n;
            return NGX_VOD_OK;
        }
    }

    x->error = NGX_VOD_COS_XML_ERR_TRUNCATED;

    return NGX_VOD_ERROR;
}


/* moves past whitespace, which must not run to the end of the document */

static int
ngx_vod_cos_xml_skip_space(ngx_vod_cos_xml_parser_t *x)
{
    while (x->p < x->end && ngx_vod_cos_xml_space(*x->p)) {
        x->p++;
    }

    if (x->p == x->end) {
        x->error = NGX_VOD_COS_XML_ERR_TRUNCATED;
        return NGX_VOD_ERROR;
    }

    return NGX_VOD_OK;
}


/*
 * &lt; &gt; &amp; &quot; &apos; &#N; &#xH;: writes the character in
 * UTF-8 to *out (unless out is NULL) and moves past it.  Characters XML
 * does not allow (NUL, most controls, surrogates, U+FFFE, U+FFFF and
 * anything above U+10FFFF) are refused.
 */

static int
ngx_vod_cos_xml_entity(ngx_vod_cos_xml_parser_t *x, u_char **out)
{
    size_t          len, i;
    u_char          c, *o, buf[4];
    uint32_t        ch, digit;
    const u_char   *p, *semi;

    static const struct {
        const char  *name;
        size_t       len;
        u_char       ch;
    } named[] = {
        { "lt", 2, '<' },
        { "gt", 2, '>' },
        { "amp", 3, '&' },
        { "quot", 4, '"' },
        { "apos", 4, '\'' },
    };

    p = x->p + 1;

    for (semi = p; semi < x->end; semi++) {
        c = *semi;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '#'))
        {
            break;
        }
    }

    if (semi == x->end) {
        x->error = NGX_VOD_COS_XML_ERR_TRUNCATED;
        return NGX_VOD_ERROR;
    }

    if (*semi != ';') {
        x->error = (*p == '#') ? "malformed XML character reference"
                               : "unknown XML entity";
        return NGX_VOD_ERROR;
    }

    len = semi - p;
    ch = 0;

    if (p[0] == '#') {

        if (len == 1) {
            goto bad_reference;
        }

        if (p[1] == 'x') {
            i = 2;

            if (len == 2) {
                goto bad_reference;
            }

            for ( /* void */ ; i < len; i++) {
                c = p[i];

                if (c >= '0' && c <= '9') {
                    digit = c - '0';

                } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
                    digit = (c | 0x20) - 'a' + 10;

                } else {
                    goto bad_reference;
                }

                ch = ch * 16 + digit;

                if (ch > 0x10ffff) {
                    goto bad_reference;
                }
            }

        } else {
            for (i = 1; i < len; i++) {
                c = p[i];

                if (c < '0' || c > '9') {
                    goto bad_reference;
                }

                ch = ch * 10 + (c - '0');

                if (ch > 0x10ffff) {
                    goto bad_reference;
                }
            }
        }

        if (!(ch == 0x9 || ch == 0xa || ch == 0xd
              || (ch >= 0x20 && ch <= 0xd7ff)
              || (ch >= 0xe000 && ch <= 0xfffd)
              || (ch >= 0x10000 && ch <= 0x10ffff)))
        {
            goto bad_reference;
        }

    } else {
        for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
            if (len == named[i].len && memcmp(p, named[i].name, len) == 0) {
                ch = named[i].ch;
                break;
            }
        }

        if (ch == 0) {
            x->error = "unknown XML entity";
            return NGX_VOD_ERROR;
        }
    }

    x->p = semi + 1;

    o = out ? *out : buf;

    if (ch < 0x80) {
        *o++ = (u_char) ch;

    } else if (ch < 0x800) {
        *o++ = (u_char) (0xc0 | (ch >> 6));
        *o++ = (u_char) (0x80 | (ch & 0x3f));

    } else if (ch < 0x10000) {
        *o++ = (u_char) (0xe0 | (ch >> 12));
        *o++ = (u_char) (0x80 | ((ch >> 6) & 0x3f));
        *o++ = (u_char) (0x80 | (ch & 0x3f));

    } else {
        *o++ = (u_char) (0xf0 | (ch >> 18));
        *o++ = (u_char) (0x80 | ((ch >> 12) & 0x3f));
        *o++ = (u_char) (0x80 | ((ch >> 6) & 0x3f));
        *o++ = (u_char) (0x80 | (ch & 0x3f));
    }

    if (out) {
        *out = o;
    }

    return NGX_VOD_OK;

bad_reference:

    x->error = "malformed XML character reference";

    return NGX_VOD_ERROR;
}


/* an XML name: letters, "_", ":" or non-ASCII, then also digits, "-", "." */

static int
ngx_vod_cos_xml_name(ngx_vod_cos_xml_parser_t *x, ngx_vod_str_t *name)
{
    u_char         c;
    const u_char  *start;

    start = x->p;

    while (x->p < x->end) {
        c = *x->p;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
            || c == ':' || c >= 0x80
            || (x->p > start
                && ((c >= '0' && c <= '9') || c == '-' || c == '.')))
        {
            x->p++;
            continue;
        }

        break;
    }

    if (x->p == start) {
        x->error = (x->p == x->end) ? NGX_VOD_COS_XML_ERR_TRUNCATED
                                    : "malformed XML name";
        return NGX_VOD_ERROR;
    }

    name->data = (u_char *) start;
    name->len = x->p - start;

    return NGX_VOD_OK;
}


static int
ngx_vod_cos_xml_at(ngx_vod_cos_xml_parser_t *x, const char *s, size_t n)
{
    return (size_t) (x->end - x->p) >= n && memcmp(x->p, s, n) == 0;
}


static int
ngx_vod_cos_xml_element_start(ngx_vod_cos_xml_parser_t *x)
{
    size_t          i;
    ngx_vod_str_t  *name;

    name = &x->names[x->depth - 1];

    if (x->depth == 1) {

        if (ngx_vod_cos_xml_is(name, "InitiateMultipartUploadResult")) {
            x->doc->root = NGX_VOD_COS_XML_INITIATE;

        } else if (ngx_vod_cos_xml_is(name, "CompleteMultipartUploadResult")) {
            x->doc->root = NGX_VOD_COS_XML_COMPLETE;

        } else if (ngx_vod_cos_xml_is(name, "ListPartsResult")) {
            x->doc->root = NGX_VOD_COS_XML_LIST_PARTS;
            x->entry_name = "Part";

        } else if (ngx_vod_cos_xml_is(name, "ListMultipartUploadsResult")) {
            x->doc->root = NGX_VOD_COS_XML_LIST_UPLOADS;
            x->entry_name = "Upload";

        } else if (ngx_vod_cos_xml_is(name, "Error")) {
            x->doc->root = NGX_VOD_COS_XML_ERROR;

        } else {
            x->error = "unknown XML root element";
            return NGX_VOD_ERROR;
        }

        return NGX_VOD_OK;
    }

    if (x->depth == 2 && x->entry_name
        && ngx_vod_cos_xml_is(name, x->entry_name))
    {
        memset(&x->entry, 0, sizeof(ngx_vod_cos_xml_entry_t));

        for (i = 0; i < NGX_VOD_COS_XML_NFIELDS; i++) {
            if (ngx_vod_cos_xml_fields[i].in_entry) {
                x->seen &= ~(1ULL << i);
            }
        }
    }

    return NGX_VOD_OK;
}


/* an element ends: keep its text if it is a field */

static int
ngx_vod_cos_xml_element_end(ngx_vod_cos_xml_parser_t *x)
{
    int                             in_entry;
    size_t                          i;
    ngx_vod_str_t                  *name;
    const ngx_vod_cos_xml_field_t  *f;

    name = &x->names[x->depth - 1];

    if (x->depth == 2) {
        in_entry = 0;

        if (x->entry_name && ngx_vod_cos_xml_is(name, x->entry_name)) {
            return ngx_vod_cos_xml_entry_end(x);
        }

    } else if (x->depth == 3 && x->entry_name
               && ngx_vod_cos_xml_is(&x->names[1], x->entry_name))
    {
        in_entry = 1;

    } else {
        return NGX_VOD_OK;
    }

    for (i = 0; i < NGX_VOD_COS_XML_NFIELDS; i++) {
        f = &ngx_vod_cos_xml_fields[i];

        if (f->root != x->doc->root || f->in_entry != (unsigned) in_entry
            || !ngx_vod_cos_xml_is(name, f->name))
        {
            continue;
        }

        if (x->seen & (1ULL << i)) {
            x->error = f->twice;
            return NGX_VOD_ERROR;
        }

        x->seen |= 1ULL << i;

        if (x->children[x->depth - 1]) {
            x->error = f->children;
            return NGX_VOD_ERROR;
        }

        return ngx_vod_cos_xml_store(x, f,
                                     in_entry ? (void *) &x->entry
                                             : (void *) x->doc);
    }

    return NGX_VOD_OK;
}


static int
ngx_vod_cos_xml_entry_end(ngx_vod_cos_xml_parser_t *x)
{
    size_t                          i, n;
    ngx_vod_cos_xml_entry_t        *entries;
    const ngx_vod_cos_xml_field_t  *f;

    for (i = 0; i < NGX_VOD_COS_XML_NFIELDS; i++) {
        f = &ngx_vod_cos_xml_fields[i];

        if (f->root == x->doc->root && f->in_entry && f->required
            && !(x->seen & (1ULL << i)))
        {
            x->error = f->missing;
            return NGX_VOD_ERROR;
        }
    }

    if (x->nentries == NGX_VOD_COS_MAX_PARTS) {
        x->error = (x->doc->root == NGX_VOD_COS_XML_LIST_PARTS)
                   ? "ListPartsResult has more than "
                     ngx_vod_cos_xml_number(NGX_VOD_COS_MAX_PARTS) " parts"
                   : "ListMultipartUploadsResult has more than "
                     ngx_vod_cos_xml_number(NGX_VOD_COS_MAX_PARTS)
                     " uploads";
        return NGX_VOD_ERROR;
    }

    if (x->nentries == x->nalloc) {
        n = x->nalloc ? 2 * x->nalloc : 64;

        entries = realloc(x->entries, n * sizeof(ngx_vod_cos_xml_entry_t));
        if (entries == NULL) {
            x->error = NGX_VOD_COS_XML_ERR_NOMEM;
            return NGX_VOD_ERROR;
        }

        x->entries = entries;
        x->nalloc = n;
    }

    x->entries[x->nentries++] = x->entry;

    return NGX_VOD_OK;
}


/* the entries read, into the allocator's memory as the doc's array */

static int
ngx_vod_cos_xml_entries(ngx_vod_cos_xml_parser_t *x)
{
    size_t                  i;
    ngx_vod_cos_part_t     *parts;
    ngx_vod_cos_upload_t   *uploads;

    if (x->doc->root == NGX_VOD_COS_XML_LIST_PARTS) {
        parts = ngx_vod_alloc(x->a, x->nentries * sizeof(ngx_vod_cos_part_t));
        if (parts == NULL) {
            x->error = NGX_VOD_COS_XML_ERR_NOMEM;
            return NGX_VOD_ERROR;
        }

        for (i = 0; i < x->nentries; i++) {
            parts[i] = x->entries[i].part;
        }

        x->doc->list_parts.parts = parts;
        x->doc->list_parts.nparts = x->nentries;

        return NGX_VOD_OK;
    }

    uploads = ngx_vod_alloc(x->a,
                            x->nentries * sizeof(ngx_vod_cos_upload_t));
    if (uploads == NULL) {
        x->error = NGX_VOD_COS_XML_ERR_NOMEM;
        return NGX_VOD_ERROR;
    }

    for (i = 0; i < x->nentries; i++) {
        uploads[i] = x->entries[i].upload;
    }

    x->doc->list_uploads.uploads = uploads;
    x->doc->list_uploads.nuploads = x->nentries;

    return NGX_VOD_OK;
}


static int
ngx_vod_cos_xml_store(ngx_vod_cos_xml_parser_t *x,
    const ngx_vod_cos_xml_field_t *f, void *base)
{
    u_char         *p;
    size_t          len;
    uint64_t        n;
    ngx_vod_str_t  *s;

    if (f->type == NGX_VOD_COS_XML_STR) {
        p = ngx_vod_alloc(x->a, x->text_len + 1);
        if (p == NULL) {
            x->error = NGX_VOD_COS_XML_ERR_NOMEM;
            return NGX_VOD_ERROR;
        }

        memcpy(p, x->text, x->text_len);
        p[x->text_len] = '\0';

        s = (ngx_vod_str_t *) ((u_char *) base + f->offset);
        s->data = p;
        s->len = x->text_len;

        return NGX_VOD_OK;
    }

    /* numbers and booleans: surrounding whitespace is allowed */

    p = x->text;
    len = x->text_len;

    while (len && ngx_vod_cos_xml_space(*p)) {
        p++;
        len--;
    }

    while (len && ngx_vod_cos_xml_space(p[len - 1])) {
        len--;
    }

    if (f->type == NGX_VOD_COS_XML_BOOL) {
        if (len == 4 && memcmp(p, "true", 4) == 0) {
            *(unsigned *) ((u_char *) base + f->offset) = 1;

        } else if (len == 5 && memcmp(p, "false", 5) == 0) {
            *(unsigned *) ((u_char *) base + f->offset) = 0;

        } else {
            x->error = f->invalid;
            return NGX_VOD_ERROR;
        }

        return NGX_VOD_OK;
    }

    if (ngx_vod_cos_xml_u64(p, len, &n) != NGX_VOD_OK) {
        x->error = f->invalid;
        return NGX_VOD_ERROR;
    }

    if (f->type == NGX_VOD_COS_XML_PART_NUMBER) {
        if (n < 1 || n > NGX_VOD_COS_MAX_PARTS) {
            x->error = f->invalid;
            return NGX_VOD_ERROR;
        }

        *(uint32_t *) ((u_char *) base + f->offset) = (uint32_t) n;

        return NGX_VOD_OK;
    }

    *(uint64_t *) ((u_char *) base + f->offset) = n;

    return NGX_VOD_OK;
}


static int
ngx_vod_cos_xml_u64(const u_char *p, size_t len, uint64_t *value)
{
    size_t    i;
    uint64_t  n, d;

    if (len == 0) {
        return NGX_VOD_ERROR;
    }

    for (n = 0, i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return NGX_VOD_ERROR;
        }

        d = p[i] - '0';

        if (n > (UINT64_MAX - d) / 10) {
            return NGX_VOD_ERROR;
        }

        n = n * 10 + d;
    }

    *value = n;

    return NGX_VOD_OK;
}


static int
ngx_vod_cos_xml_is(const ngx_vod_str_t *name, const char *s)
{
    size_t  n;

    n = strlen(s);

    return name->len == n && memcmp(name->data, s, n) == 0;
}


/* the CompleteMultipartUpload body */

int
ngx_vod_cos_xml_check_parts(const ngx_vod_cos_part_t *parts, size_t nparts,
    const char **error)
{
    size_t          i, j;
    const u_char   *e;

    if (nparts == 0 || parts == NULL) {
        *error = "CompleteMultipartUpload needs a part";
        return NGX_VOD_ERROR;
    }

    if (nparts > NGX_VOD_COS_MAX_PARTS) {
        *error = "CompleteMultipartUpload of more than "
                 ngx_vod_cos_xml_number(NGX_VOD_COS_MAX_PARTS) " parts";
        return NGX_VOD_ERROR;
    }

    for (i = 0; i < nparts; i++) {

        if (parts[i].part_number < 1
            || parts[i].part_number > NGX_VOD_COS_MAX_PARTS)
        {
            *error = "a part number is not in 1..10000";
            return NGX_VOD_ERROR;
        }

        if (i && parts[i].part_number <= parts[i - 1].part_number) {
            *error = "part numbers are not strictly ascending";
            return NGX_VOD_ERROR;
        }

        if (parts[i].etag.len == 0) {
            *error = "a part has no ETag";
            return NGX_VOD_ERROR;
        }

        if (parts[i].etag.len > NGX_VOD_COS_ETAG_MAX) {
            *error = "a part's ETag is longer than "
                     ngx_vod_cos_xml_number(NGX_VOD_COS_ETAG_MAX) " bytes";
            return NGX_VOD_ERROR;
        }

        e = parts[i].etag.data;

        for (j = 0; j < parts[i].etag.len; j++) {
            if (e[j] < 0x20 || e[j] > 0x7e) {
                *error = "a part's ETag has a byte that is not printable "
                         "ASCII";
                return NGX_VOD_ERROR;
            }
        }
    }

    return NGX_VOD_OK;
}


#define NGX_VOD_COS_XML_COMPLETE_START  "<CompleteMultipartUpload>"
#define NGX_VOD_COS_XML_COMPLETE_END    "</CompleteMultipartUpload>"
#define NGX_VOD_COS_XML_PART_START      "<Part><PartNumber>"
#define NGX_VOD_COS_XML_PART_MIDDLE     "</PartNumber><ETag>"
#define NGX_VOD_COS_XML_PART_END        "</ETag></Part>"

#define ngx_vod_cos_xml_copy(p, s)      ngx_vod_cpymem(p, s, sizeof(s) - 1)


size_t
ngx_vod_cos_xml_complete_size(const ngx_vod_cos_part_t *parts, size_t nparts)
{
    size_t    i, size;
    uint32_t  n;

    size = sizeof(NGX_VOD_COS_XML_COMPLETE_START) - 1
           + sizeof(NGX_VOD_COS_XML_COMPLETE_END) - 1;

    for (i = 0; i < nparts; i++) {
        size += sizeof(NGX_VOD_COS_XML_PART_START) - 1
                + sizeof(NGX_VOD_COS_XML_PART_MIDDLE) - 1
                + sizeof(NGX_VOD_COS_XML_PART_END) - 1
                + ngx_vod_cos_xml_etag_size(&parts[i].etag);

        n = parts[i].part_number;

        do {
            size++;
            n /= 10;
        } while (n);
    }

    return size;
}


u_char *
ngx_vod_cos_xml_complete_write(u_char *p, const ngx_vod_cos_part_t *parts,
    size_t nparts)
{
    u_char         *d, digits[10];
    size_t          i, j;
    uint32_t        n;
    const u_char   *e;

    p = ngx_vod_cos_xml_copy(p, NGX_VOD_COS_XML_COMPLETE_START);

    for (i = 0; i < nparts; i++) {
        p = ngx_vod_cos_xml_copy(p, NGX_VOD_COS_XML_PART_START);

        n = parts[i].part_number;
        d = digits + sizeof(digits);

        do {
            *--d = (u_char) ('0' + n % 10);
            n /= 10;
        } while (n);

        p = ngx_vod_cpymem(p, d, digits + sizeof(digits) - d);

        p = ngx_vod_cos_xml_copy(p, NGX_VOD_COS_XML_PART_MIDDLE);

        e = parts[i].etag.data;

        for (j = 0; j < parts[i].etag.len; j++) {
            switch (e[j]) {

            case '&':
                p = ngx_vod_cos_xml_copy(p, "&amp;");
                break;

            case '<':
                p = ngx_vod_cos_xml_copy(p, "&lt;");
                break;

            case '>':
                p = ngx_vod_cos_xml_copy(p, "&gt;");
                break;

            default:
                *p++ = e[j];
            }
        }

        p = ngx_vod_cos_xml_copy(p, NGX_VOD_COS_XML_PART_END);
    }

    p = ngx_vod_cos_xml_copy(p, NGX_VOD_COS_XML_COMPLETE_END);

    return p;
}


int
ngx_vod_cos_xml_complete_body(ngx_vod_alloc_t *a,
    const ngx_vod_cos_part_t *parts, size_t nparts, ngx_vod_str_t *body,
    const char **error)
{
    u_char  *p, *last;
    size_t   size;

    if (ngx_vod_cos_xml_check_parts(parts, nparts, error) != NGX_VOD_OK) {
        return NGX_VOD_ERROR;
    }

    size = ngx_vod_cos_xml_complete_size(parts, nparts);

    p = ngx_vod_alloc(a, size + 1);
    if (p == NULL) {
        *error = NGX_VOD_COS_XML_ERR_NOMEM;
        return NGX_VOD_ERROR;
    }

    last = ngx_vod_cos_xml_complete_write(p, parts, nparts);
    *last = '\0';

    body->data = p;
    body->len = last - p;

    return NGX_VOD_OK;
}


static size_t
ngx_vod_cos_xml_etag_size(const ngx_vod_str_t *etag)
{
    size_t  i, size;

    size = etag->len;

    for (i = 0; i < etag->len; i++) {
        switch (etag->data[i]) {

        case '&':
            size += sizeof("&amp;") - 2;
            break;

        case '<':
        case '>':
            size += sizeof("&lt;") - 2;
            break;
        }
    }

    return size;
}
