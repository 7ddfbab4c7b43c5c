
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * libFuzzer target of COS's XML answers (ngx_vod_cos_xml.c): any root, or
 * one expected root.  The input: a byte that picks the expected root (0:
 * any), a byte that makes the n-th allocation fail (0: none), then the
 * answer.  The parts of a ListParts answer that parses go through the
 * part checks, and those that pass make a CompleteMultipartUpload body
 * of exactly the size computed for it.
 */

#include "fuzz.h"
#include "ngx_vod_cos_xml.h"


int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
    int                     rc;
    u_char                 *data, *body, *end;
    size_t                  n;
    unsigned                root, fail_at;
    const char             *error;
    fuzz_pool_t             pool;
    ngx_vod_alloc_t         a;
    ngx_vod_cos_xml_doc_t   doc;

    root = fuzz_byte(&in, &size) % 6;
    fail_at = fuzz_byte(&in, &size) % 16;

    data = fuzz_copy(in, size);
    a = fuzz_pool(&pool, fail_at);

    memset(&doc, 0, sizeof(doc));

    if (root == 0) {
        rc = ngx_vod_cos_xml_parse(&a, data, size, &doc);

    } else {
        rc = ngx_vod_cos_xml_parse_expect(&a, data, size,
                                          (ngx_vod_cos_xml_root_e) root,
                                          &doc);
    }

    if (rc == NGX_VOD_OK && doc.root == NGX_VOD_COS_XML_LIST_PARTS
        && doc.list_parts.nparts
        && ngx_vod_cos_xml_check_parts(doc.list_parts.parts,
                                       doc.list_parts.nparts, &error)
           == NGX_VOD_OK)
    {
        n = ngx_vod_cos_xml_complete_size(doc.list_parts.parts,
                                          doc.list_parts.nparts);
        body = malloc(n);
        if (body == NULL) {
            abort();
        }

        end = ngx_vod_cos_xml_complete_write(body, doc.list_parts.parts,
                                             doc.list_parts.nparts);
        if ((size_t) (end - body) != n) {
            abort();                    /* the size computed was wrong */
        }

        free(body);
    }

    fuzz_pool_free(&pool);
    free(data);

    return 0;
}
