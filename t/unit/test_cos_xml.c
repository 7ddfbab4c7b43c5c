/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * Unit test of ngx_vod_cos_xml.c: the CompleteMultipartUpload body and
 * the COS answers (spec section 4), with documents shaped like COS's
 * own examples and hostile input: truncations at every byte, bad
 * entities, mismatched tags, deep nesting, NUL bytes, oversized input,
 * allocation failures.
 */


#include <stdio.h>

#include "ngx_vod_cos_xml.h"
#include "ngx_vod_test.h"


#define S(s)  (const u_char *) s, sizeof(s) - 1
#define L(s)  s, sizeof(s) - 1


static ngx_vod_test_pool_t  pool = { NULL, 0, -1 };
static ngx_vod_alloc_t      a = { ngx_vod_test_alloc, &pool };


static int
test_error(const char *got, const char *expected, const char *name)
{
    return ngx_vod_test_is(got, got ? strlen(got) : 0, expected, name);
}


/* documents shaped like the examples of the COS API reference */

static const char  initiate_doc[] =
    "<?xml version='1.0' encoding='utf-8' ?>\n"
    "<InitiateMultipartUploadResult>\n"
    "\t<Bucket>examplebucket-1250000000</Bucket>\n"
    "\t<Key>exampleobject</Key>\n"
    "\t<UploadId>1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc8"
    "33cf654b9ecc6361</UploadId>\n"
    "</InitiateMultipartUploadResult>";

static const char  complete_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<CompleteMultipartUploadResult>\n"
    "\t<Location>examplebucket-1250000000.cos.ap-beijing.myqcloud.com/"
    "exampleobject</Location>\n"
    "\t<Bucket>examplebucket-1250000000</Bucket>\n"
    "\t<Key>exampleobject</Key>\n"
    "\t<ETag>&quot;aa259a62513358f69e98e72e59856d88-3&quot;</ETag>\n"
    "</CompleteMultipartUploadResult>";

static const char  error_doc[] =
    "<?xml version='1.0' encoding='utf-8' ?>\n"
    "<Error>\n"
    "\t<Code>NoSuchUpload</Code>\n"
    "\t<Message>The specified upload does not exist.</Message>\n"
    "\t<Resource>examplebucket-1250000000.cos.ap-beijing.myqcloud.com/"
    "exampleobject</Resource>\n"
    "\t<RequestId>NjA5ZjRhZmNfNjZhYjJhMDlfMTI3ZTNfMTdjNmU5Ng==</RequestId>\n"
    "\t<TraceId>OGVmYzZiMmQzYjA2OWNhODk0NTRkMTBiOWVmMDAxODc0OWRkZjk0ZDM1Nm"
    "I1M2E2MTRlY2MzZDhmNmI5MWI1OTBjYzE2MjAxN2M1MzJiOTdkZjMxMDVlYTZjN2FiMmI"
    "0NTk3NWFiNjAzMzdjODJlZTVjN2Q0ZjY5ZTk3ZDZmOGY=</TraceId>\n"
    "</Error>";

static const char  list_parts_doc[] =
    "<?xml version='1.0' encoding='utf-8' ?>\n"
    "<ListPartsResult xmlns=\"http://www.qcloud.com/document/product/436\">\n"
    "\t<Bucket>examplebucket-1250000000</Bucket>\n"
    "\t<EncodingType>url</EncodingType>\n"
    "\t<Key>exampleobject</Key>\n"
    "\t<UploadId>1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437acdc8"
    "33cf654b9ecc6361</UploadId>\n"
    "\t<Initiator>\n"
    "\t\t<ID>qcs::cam::uin/100000000001:uin/100000000011</ID>\n"
    "\t\t<DisplayName>100000000011</DisplayName>\n"
    "\t</Initiator>\n"
    "\t<Owner>\n"
    "\t\t<ID>qcs::cam::uin/100000000001:uin/100000000001</ID>\n"
    "\t\t<DisplayName>100000000001</DisplayName>\n"
    "\t</Owner>\n"
    "\t<StorageClass>STANDARD</StorageClass>\n"
    "\t<PartNumberMarker>0</PartNumberMarker>\n"
    "\t<NextPartNumberMarker>2</NextPartNumberMarker>\n"
    "\t<MaxParts>2</MaxParts>\n"
    "\t<IsTruncated>true</IsTruncated>\n"
    "\t<Part>\n"
    "\t\t<PartNumber>1</PartNumber>\n"
    "\t\t<LastModified>2020-03-25T10:07:16.000Z</LastModified>\n"
    "\t\t<ETag>&quot;e1e5b4965bc7d30880ed6d226f78a539&quot;</ETag>\n"
    "\t\t<Size>1048576</Size>\n"
    "\t</Part>\n"
    "\t<Part>\n"
    "\t\t<PartNumber>2</PartNumber>\n"
    "\t\t<LastModified>2020-03-25T10:07:17.000Z</LastModified>\n"
    "\t\t<ETag>\"c4d0b3e2ab18bd61a5e1a5d0f38f7a3f\"</ETag>\n"
    "\t\t<Size> 1048576 </Size>\n"
    "\t</Part>\n"
    "</ListPartsResult>";


static const char  list_uploads_doc[] =
    "<?xml version='1.0' encoding='utf-8' ?>\n"
    "<ListMultipartUploadsResult>"
    "<Bucket>examplebucket-1250000000</Bucket><Encoding-Type/>"
    "<KeyMarker/><UploadIdMarker/>"
    "<NextKeyMarker>dir/a.mp4</NextKeyMarker>"
    "<NextUploadIdMarker>id-2</NextUploadIdMarker>"
    "<MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>"
    "<Prefix>dir/a.mp4</Prefix><Delimiter/>"
    "<Upload><Key>dir/a.mp4</Key><UploadId>id-1</UploadId>"
    "<StorageClass>STANDARD</StorageClass>"
    "<Initiator><ID>qcs::cam::uin/1:uin/1</ID><DisplayName>1</DisplayName>"
    "</Initiator><Owner><ID>qcs::cam::uin/1:uin/1</ID>"
    "<DisplayName>1</DisplayName></Owner>"
    "<Initiated>2026-12-02T10:00:00.000Z</Initiated></Upload>"
    "<Upload><Key>dir/a.mp4</Key><UploadId>id-2</UploadId></Upload>"
    "<CommonPrefixes><Prefix>dir/b/</Prefix></CommonPrefixes>"
    "</ListMultipartUploadsResult>";


static void
test_complete_body(void)
{
    int                  rc;
    u_char              *buf, *last;
    size_t               i, n, fails;
    const char          *err;
    ngx_vod_str_t        body;
    ngx_vod_cos_part_t   parts[3], *many;

    static const char  tail[] =
        "<Part><PartNumber>10000</PartNumber>"
        "<ETag>\"d41d8cd98f00b204e9800998ecf8427e\"</ETag></Part>"
        "</CompleteMultipartUpload>";

    memset(parts, 0, sizeof(parts));
    parts[0].part_number = 1;
    parts[0].etag = (ngx_vod_str_t)
                    ngx_vod_string("\"d41d8cd98f00b204e9800998ecf8427e\"");
    parts[1].part_number = 2;
    parts[1].etag = (ngx_vod_str_t)
                    ngx_vod_string("\"0cc175b9c0f1b6a831c399e269772661\"");

    rc = ngx_vod_cos_xml_complete_body(&a, parts, 2, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "CompleteMultipartUpload body");
    ngx_vod_test_is(body.data, body.len,
                    "<CompleteMultipartUpload>"
                    "<Part><PartNumber>1</PartNumber>"
                    "<ETag>\"d41d8cd98f00b204e9800998ecf8427e\"</ETag></Part>"
                    "<Part><PartNumber>2</PartNumber>"
                    "<ETag>\"0cc175b9c0f1b6a831c399e269772661\"</ETag></Part>"
                    "</CompleteMultipartUpload>",
                    "... is the documented one, quotes kept");
    ngx_vod_test_ok(body.len == ngx_vod_cos_xml_complete_size(parts, 2)
                    && body.data[body.len] == '\0',
                    "... of the size announced, NUL-terminated");

    parts[2].part_number = 10000;
    parts[2].etag = (ngx_vod_str_t) ngx_vod_string("\"a&b<c>d'e\"");

    rc = ngx_vod_cos_xml_complete_body(&a, parts, 3, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK
                    && body.len == ngx_vod_cos_xml_complete_size(parts, 3),
                    "an ETag with &, <, >: the size is still exact");
    ngx_vod_test_ok(strstr((char *) body.data,
                           "<Part><PartNumber>10000</PartNumber>"
                           "<ETag>\"a&amp;b&lt;c&gt;d'e\"</ETag></Part>")
                    != NULL, "... they are escaped");

    /* refused part lists */

    {
        static const struct {
            uint32_t     n1, n2;
            const char  *etag2;
            const char  *error;
        } bad[] = {
            { 1, 1, "\"x\"", "part numbers are not strictly ascending" },
            { 2, 1, "\"x\"", "part numbers are not strictly ascending" },
            { 0, 1, "\"x\"", "a part number is not in 1..10000" },
            { 1, 10001, "\"x\"", "a part number is not in 1..10000" },
            { 1, 2, "", "a part has no ETag" },
            { 1, 2, "\"x\ny\"",
              "a part's ETag has a byte that is not printable ASCII" },
            { 1, 2, "\"\xc3\xa9\"",
              "a part's ETag has a byte that is not printable ASCII" },
        };

        fails = 0;

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            parts[0].part_number = bad[i].n1;
            parts[1].part_number = bad[i].n2;
            parts[1].etag.data = (u_char *) bad[i].etag2;
            parts[1].etag.len = strlen(bad[i].etag2);

            err = NULL;
            rc = ngx_vod_cos_xml_complete_body(&a, parts, 2, &body, &err);

            if (rc != NGX_VOD_ERROR || err == NULL
                || strcmp(err, bad[i].error) != 0)
            {
                ngx_vod_test_diag("case %d: \"%s\"", (int) i,
                                  err ? err : "(null)");
                fails++;
            }
        }

        ngx_vod_test_ok(fails == 0, "%d bad part lists are refused",
                        (int) i);
    }

    rc = ngx_vod_cos_xml_complete_body(&a, parts, 0, &body, &err);
    test_error(err, "CompleteMultipartUpload needs a part", "no parts");

    /* 10000 parts: the most; the size function is exact */

    n = NGX_VOD_COS_MAX_PARTS;
    many = calloc(n + 1, sizeof(ngx_vod_cos_part_t));

    for (i = 0; i <= n; i++) {
        many[i].part_number = i + 1;
        many[i].etag = parts[0].etag;
        many[i].etag.data = (u_char *) "\"d41d8cd98f00b204e9800998ecf8427e\"";
        many[i].etag.len = 34;
    }

    rc = ngx_vod_cos_xml_check_parts(many, n, &err);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "10000 parts are fine");

    buf = malloc(ngx_vod_cos_xml_complete_size(many, n) + 1);
    buf[ngx_vod_cos_xml_complete_size(many, n)] = 'X';
    last = ngx_vod_cos_xml_complete_write(buf, many, n);
    ngx_vod_test_ok((size_t) (last - buf)
                    == ngx_vod_cos_xml_complete_size(many, n)
                    && *last == 'X',
                    "... written in exactly the %d bytes announced",
                    (int) (last - buf));
    ngx_vod_test_ok(memcmp(last - sizeof(tail) + 1, tail, sizeof(tail) - 1)
                    == 0, "... ending with part 10000");
    ngx_vod_test_ok(strstr((char *) buf, "<PartNumber>9999</PartNumber>")
                    != NULL, "... with part 9999 in it");
    free(buf);

    many[n].part_number = 10000;
    rc = ngx_vod_cos_xml_check_parts(many, n + 1, &err);
    test_error(err, "CompleteMultipartUpload of more than 10000 parts",
               "10001 parts are not");

    free(many);
}


static void
test_answers(void)
{
    int                    rc;
    ngx_vod_cos_xml_doc_t  doc;

    rc = ngx_vod_cos_xml_parse(&a, S(initiate_doc), &doc);
    ngx_vod_test_ok(rc == NGX_VOD_OK
                    && doc.root == NGX_VOD_COS_XML_INITIATE,
                    "InitiateMultipartUploadResult");
    ngx_vod_test_is(doc.initiate.bucket.data, doc.initiate.bucket.len,
                    "examplebucket-1250000000", "... Bucket");
    ngx_vod_test_is(doc.initiate.key.data, doc.initiate.key.len,
                    "exampleobject", "... Key");
    ngx_vod_test_is(doc.initiate.upload_id.data, doc.initiate.upload_id.len,
                    "1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437"
                    "acdc833cf654b9ecc6361", "... UploadId");
    ngx_vod_test_ok(doc.initiate.upload_id.data[doc.initiate.upload_id.len]
                    == '\0', "... NUL-terminated");

    rc = ngx_vod_cos_xml_parse_expect(&a, S(initiate_doc),
                                      NGX_VOD_COS_XML_INITIATE, &doc);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "... is what Initiate expects");

    rc = ngx_vod_cos_xml_parse_expect(&a, S(initiate_doc),
                                      NGX_VOD_COS_XML_COMPLETE, &doc);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "... but not what Complete does");
    test_error(doc.error, "XML document has an unexpected root element",
               "... says so");

    rc = ngx_vod_cos_xml_parse_expect(&a, S(complete_doc),
                                      NGX_VOD_COS_XML_COMPLETE, &doc);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "CompleteMultipartUploadResult");
    ngx_vod_test_is(doc.complete.location.data, doc.complete.location.len,
                    "examplebucket-1250000000.cos.ap-beijing.myqcloud.com/"
                    "exampleobject", "... Location");
    ngx_vod_test_is(doc.complete.bucket.data, doc.complete.bucket.len,
                    "examplebucket-1250000000", "... Bucket");
    ngx_vod_test_is(doc.complete.key.data, doc.complete.key.len,
                    "exampleobject", "... Key");
    ngx_vod_test_is(doc.complete.etag.data, doc.complete.etag.len,
                    "\"aa259a62513358f69e98e72e59856d88-3\"",
                    "... ETag, &quot; decoded");

    rc = ngx_vod_cos_xml_parse(&a, S(error_doc), &doc);
    ngx_vod_test_ok(rc == NGX_VOD_OK && doc.root == NGX_VOD_COS_XML_ERROR,
                    "Error");
    ngx_vod_test_is(doc.error_doc.code.data, doc.error_doc.code.len,
                    "NoSuchUpload", "... Code");
    ngx_vod_test_is(doc.error_doc.message.data, doc.error_doc.message.len,
                    "The specified upload does not exist.", "... Message");
    ngx_vod_test_is(doc.error_doc.resource.data, doc.error_doc.resource.len,
                    "examplebucket-1250000000.cos.ap-beijing.myqcloud.com/"
                    "exampleobject", "... Resource");
    ngx_vod_test_is(doc.error_doc.request_id.data,
                    doc.error_doc.request_id.len,
                    "NjA5ZjRhZmNfNjZhYjJhMDlfMTI3ZTNfMTdjNmU5Ng==",
                    "... RequestId");
    ngx_vod_test_ok(doc.error_doc.trace_id.len == 172, "... TraceId");

    rc = ngx_vod_cos_xml_parse_expect(&a,
        S("     \n     \n     <?xml version='1.0' encoding='utf-8' ?>\n"
          "<Error><Code>InternalError</Code><Message>merge failed"
          "</Message><RequestId>r1</RequestId></Error>\n"),
        NGX_VOD_COS_XML_COMPLETE, &doc);
    ngx_vod_test_ok(rc == NGX_VOD_COS_XML_ERROR_DOC,
                    "a 200 Complete of spaces then an <Error>: an error doc");
    ngx_vod_test_is(doc.error_doc.code.data, doc.error_doc.code.len,
                    "InternalError", "... with its Code");
    ngx_vod_test_ok(doc.error_doc.resource.data == NULL,
                    "... absent elements are NULL");

    rc = ngx_vod_cos_xml_parse_expect(&a,
        S("          \n          <?xml version=\"1.0\" encoding=\"UTF-8\"?>"
          "<CompleteMultipartUploadResult><ETag>\"e-2\"</ETag><Key/>"
          "</CompleteMultipartUploadResult>"),
        NGX_VOD_COS_XML_COMPLETE, &doc);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "spaces then a Complete result: ok");
    ngx_vod_test_ok(doc.complete.key.len == 0 && doc.complete.key.data
                    && doc.complete.location.data == NULL,
                    "... an empty element is empty, an absent one NULL");

    rc = ngx_vod_cos_xml_parse_expect(&a, S("      \n   "),
                                      NGX_VOD_COS_XML_COMPLETE, &doc);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR, "spaces only (a cut merge): error");
    test_error(doc.error, "XML document has no root element", "... says so");

    rc = ngx_vod_cos_xml_parse(&a, S(list_parts_doc), &doc);
    ngx_vod_test_ok(rc == NGX_VOD_OK
                    && doc.root == NGX_VOD_COS_XML_LIST_PARTS,
                    "ListPartsResult, with Owner/Initiator and xmlns");
    ngx_vod_test_is(doc.list_parts.upload_id.data,
                    doc.list_parts.upload_id.len,
                    "1585130821cbb7df1d11846c073ad648e8f33b087cec2381df437"
                    "acdc833cf654b9ecc6361", "... UploadId");
    ngx_vod_test_ok(doc.list_parts.is_truncated
                    && doc.list_parts.next_part_number_marker == 2
                    && doc.list_parts.part_number_marker == 0
                    && doc.list_parts.max_parts == 2,
                    "... IsTruncated, markers, MaxParts");
    ngx_vod_test_ok(doc.list_parts.nparts == 2
                    && doc.list_parts.parts[0].part_number == 1
                    && doc.list_parts.parts[0].size == 1048576
                    && doc.list_parts.parts[1].part_number == 2
                    && doc.list_parts.parts[1].size == 1048576,
                    "... two parts, numbers and sizes");
    ngx_vod_test_is(doc.list_parts.parts[0].etag.data,
                    doc.list_parts.parts[0].etag.len,
                    "\"e1e5b4965bc7d30880ed6d226f78a539\"",
                    "... ETag with &quot;");
    ngx_vod_test_is(doc.list_parts.parts[1].etag.data,
                    doc.list_parts.parts[1].etag.len,
                    "\"c4d0b3e2ab18bd61a5e1a5d0f38f7a3f\"",
                    "... ETag with raw quotes");

    rc = ngx_vod_cos_xml_parse_expect(&a, S(list_uploads_doc),
                                      NGX_VOD_COS_XML_LIST_UPLOADS, &doc);
    ngx_vod_test_ok(rc == NGX_VOD_OK,
                    "ListMultipartUploadsResult, with Initiator, Owner and "
                    "CommonPrefixes");
    ngx_vod_test_ok(doc.list_uploads.nuploads == 2
                    && doc.list_uploads.is_truncated,
                    "... two uploads, truncated");
    ngx_vod_test_is(doc.list_uploads.uploads[0].key.data,
                    doc.list_uploads.uploads[0].key.len,
                    "dir/a.mp4", "... the first Key");
    ngx_vod_test_is(doc.list_uploads.uploads[1].upload_id.data,
                    doc.list_uploads.uploads[1].upload_id.len,
                    "id-2", "... the second UploadId");
    ngx_vod_test_is(doc.list_uploads.uploads[0].initiated.data,
                    doc.list_uploads.uploads[0].initiated.len,
                    "2026-12-02T10:00:00.000Z", "... Initiated");
    ngx_vod_test_is(doc.list_uploads.next_key_marker.data,
                    doc.list_uploads.next_key_marker.len,
                    "dir/a.mp4", "... NextKeyMarker");
    ngx_vod_test_is(doc.list_uploads.next_upload_id_marker.data,
                    doc.list_uploads.next_upload_id_marker.len,
                    "id-2", "... NextUploadIdMarker");
    ngx_vod_test_is(doc.list_uploads.prefix.data,
                    doc.list_uploads.prefix.len,
                    "dir/a.mp4", "... Prefix (not the CommonPrefixes one)");

    rc = ngx_vod_cos_xml_parse(&a,
        S("<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>"
          "</ListMultipartUploadsResult>"), &doc);
    ngx_vod_test_ok(rc == NGX_VOD_OK && !doc.list_uploads.is_truncated
                    && doc.list_uploads.nuploads == 0
                    && doc.list_uploads.uploads == NULL
                    && doc.list_parts.nparts == 0,
                    "ListMultipartUploadsResult without uploads");

    rc = ngx_vod_cos_xml_parse(&a,
        S("<ListPartsResult><IsTruncated>false</IsTruncated>"
          "</ListPartsResult>"), &doc);
    ngx_vod_test_ok(rc == NGX_VOD_OK && !doc.list_parts.is_truncated
                    && doc.list_parts.nparts == 0
                    && doc.list_parts.parts == NULL,
                    "ListPartsResult without parts");
}


static void
test_text(void)
{
    int                    rc;
    ngx_vod_cos_xml_doc_t  doc;

    rc = ngx_vod_cos_xml_parse(&a,
        S("\xef\xbb\xbf<!-- a comment --><?xml version=\"1.0\"?>"
          "<!-- another -->\r\n<Error  a = \"1>2\" b='&amp;&#x3c;' >"
          "<Code >&lt;&gt;&amp;&quot;&apos;&#34;&#x22;&#x4E2D;</Code >"
          "<Message>&#20013;&#x1F600;&#x10FFFF;&#9;&#xA;</Message>"
          "<Resource>a<!-- c -->b<![CDATA[<&x;]]>c<?pi x?>d</Resource>"
          "<Unknown><Deeper><Code>not this one</Code></Deeper></Unknown>"
          "<RequestId/><TraceId></TraceId>"
          "</Error><!-- after -->\n<?pi?> \n"),
        &doc);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "BOM, comments, PIs, attributes, "
                    "CDATA, entities, unknown nested elements");

    if (rc != NGX_VOD_OK) {
        ngx_vod_test_diag("error: %s", doc.error);
    }

    ngx_vod_test_is(doc.error_doc.code.data, doc.error_doc.code.len,
                    "<>&\"'\"\"\xe4\xb8\xad",
                    "... predefined entities, &#34; &#x22; &#x4E2D;");
    ngx_vod_test_is(doc.error_doc.message.data, doc.error_doc.message.len,
                    "\xe4\xb8\xad\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\t\n",
                    "... decimal and hex references into UTF-8");
    ngx_vod_test_is(doc.error_doc.resource.data, doc.error_doc.resource.len,
                    "ab<&x;cd", "... text around comments, CDATA, PIs");
    ngx_vod_test_ok(doc.error_doc.request_id.len == 0
                    && doc.error_doc.request_id.data
                    && doc.error_doc.trace_id.len == 0
                    && doc.error_doc.trace_id.data,
                    "... <X/> and <X></X> are empty strings");

    rc = ngx_vod_cos_xml_parse(&a,
        S("<InitiateMultipartUploadResult><UploadId>  id \n</UploadId>"
          "</InitiateMultipartUploadResult>"), &doc);
    ngx_vod_test_is(doc.initiate.upload_id.data, doc.initiate.upload_id.len,
                    "  id \n", "strings are kept as they are");

    rc = ngx_vod_cos_xml_parse(&a,
        S("<Error><Code>\xe8\x85\xbe\xe8\xae\xaf\xe4\xba\x91</Code></Error>"),
        &doc);
    ngx_vod_test_is(doc.error_doc.code.data, doc.error_doc.code.len,
                    "\xe8\x85\xbe\xe8\xae\xaf\xe4\xba\x91",
                    "raw UTF-8 passes through");
}


/* a Complete body read back as a ListParts answer: escaping round trip */

static void
test_round_trip(void)
{
    int                    rc;
    char                  *xml, *p;
    size_t                 i, fails;
    const char            *err;
    ngx_vod_str_t          body;
    ngx_vod_cos_part_t     parts[4];
    ngx_vod_cos_xml_doc_t  doc;

    static const char  *etags[] = {
        "\"d41d8cd98f00b204e9800998ecf8427e\"", "\"&amp;\"", "<>&'\"",
        "\"e-10000\""
    };

    for (i = 0; i < 4; i++) {
        parts[i].part_number = 1 + i * 3000;
        parts[i].etag.data = (u_char *) etags[i];
        parts[i].etag.len = strlen(etags[i]);
        parts[i].size = 0;
    }

    rc = ngx_vod_cos_xml_complete_body(&a, parts, 4, &body, &err);

    xml = malloc(2 * body.len + 256);
    strcpy(xml, "<ListPartsResult>");

    for (p = (char *) body.data + sizeof("<CompleteMultipartUpload>") - 1;
         strncmp(p, "</CompleteMultipartUpload>", 26) != 0;
         p++)
    {
        if (strncmp(p, "</ETag>", 7) == 0) {
            strcat(xml, "</ETag><Size>7</Size>");
            p += 6;
            continue;
        }

        strncat(xml, p, 1);
    }

    strcat(xml, "</ListPartsResult>");

    rc = ngx_vod_cos_xml_parse(&a, (u_char *) xml, strlen(xml), &doc);

    fails = (rc != NGX_VOD_OK || doc.list_parts.nparts != 4);

    for (i = 0; !fails && i < 4; i++) {
        if (doc.list_parts.parts[i].part_number != parts[i].part_number
            || doc.list_parts.parts[i].size != 7
            || doc.list_parts.parts[i].etag.len != parts[i].etag.len
            || memcmp(doc.list_parts.parts[i].etag.data, parts[i].etag.data,
                      parts[i].etag.len) != 0)
        {
            fails++;
        }
    }

    ngx_vod_test_ok(fails == 0, "Complete body parts read back unchanged "
                    "(escaped ETags: & < > ' \")");

    free(xml);
}


static void
test_hostile(void)
{
    int                    rc;
    char                  *big, *p;
    size_t                 i, n, fails;
    ngx_vod_cos_xml_doc_t  doc;

    static const struct {
        const char  *xml;
        size_t       len;
        const char  *error;
    } bad[] = {
        { L(""), "XML document has no root element" },
        { L(" \r\n\t "), "XML document has no root element" },
        { L("<!-- c -->"), "XML document has no root element" },
        { L("x<Error/>"), "text before the XML root element" },
        { L("<Error>"), "truncated XML document: an element is not closed" },
        { L("<Error><Code>x"),
          "truncated XML document: an element is not closed" },
        { L("<Error></Eror>"), "XML end tag does not match the start tag" },
        { L("<Error><Code>a</Error>"),
          "XML end tag does not match the start tag" },
        { L("<Error><code>a</Code></Error>"),
          "XML end tag does not match the start tag" },
        { L("<Error/><Error/>"), "content after the XML root element" },
        { L("<Error/>x"), "content after the XML root element" },
        { L("<Error/></Error>"), "content after the XML root element" },
        { L("<!DOCTYPE x [<!ENTITY a \"b\">]><Error/>"),
          "XML DOCTYPE is not allowed" },
        { L("<Error><!ELEMENT x></Error>"), "malformed XML markup" },
        { L("<Error>&foo;</Error>"), "unknown XML entity" },
        { L("<Error>a & b</Error>"), "unknown XML entity" },
        { L("<Error>&amp</Error>"), "unknown XML entity" },
        { L("<Error>&#0;</Error>"), "malformed XML character reference" },
        { L("<Error>&#x0;</Error>"), "malformed XML character reference" },
        { L("<Error>&#1;</Error>"), "malformed XML character reference" },
        { L("<Error>&#xD800;</Error>"),
          "malformed XML character reference" },
        { L("<Error>&#xFFFE;</Error>"),
          "malformed XML character reference" },
        { L("<Error>&#x110000;</Error>"),
          "malformed XML character reference" },
        { L("<Error>&#99999999999;</Error>"),
          "malformed XML character reference" },
        { L("<Error>&#;</Error>"), "malformed XML character reference" },
        { L("<Error>&#x;</Error>"), "malformed XML character reference" },
        { L("<Error>&#12a;</Error>"), "malformed XML character reference" },
        { L("<Error>&#xg;</Error>"), "malformed XML character reference" },
        { L("<Error>&#X41;</Error>"), "malformed XML character reference" },
        { L("<Error>&#x41</Error>"), "malformed XML character reference" },
        { L("<Error>&#x4"), "truncated XML document" },
        { L("<Error><Code>a</Code><Code>b</Code></Error>"),
          "<Code> appears twice" },
        { L("<Error><Code><b/></Code></Error>"), "<Code> holds elements" },
        { L("<Foo/>"), "unknown XML root element" },
        { L("<error/>"), "unknown XML root element" },
        { L("<Error a></Error>"), "malformed XML attribute" },
        { L("<Error a=b/>"), "malformed XML attribute" },
        { L("<Error a='<'/>"), "\"<\" in an XML attribute value" },
        { L("<Error a='&x;'/>"), "unknown XML entity" },
        { L("<Error a='1'b='2'/>"), "malformed XML start tag" },
        { L("<Error/ >"), "malformed XML start tag" },
        { L("<1Error/>"), "malformed XML name" },
        { L("< Error/>"), "malformed XML name" },
        { L("<Error></ Error>"), "malformed XML name" },
        { L("<Error></Error x>"), "malformed XML end tag" },
        { L("<Error>\0</Error>"), "NUL byte in XML document" },
        { L("<Error/>\0"), "NUL byte in XML document" },
        { L("<InitiateMultipartUploadResult><Key>k</Key>"
          "</InitiateMultipartUploadResult>"),
          "InitiateMultipartUploadResult has no UploadId" },
        { L("<InitiateMultipartUploadResult><UploadId/>"
          "</InitiateMultipartUploadResult>"),
          "InitiateMultipartUploadResult has no UploadId" },
        { L("<ListPartsResult><Part><PartNumber>1</PartNumber><ETag>e</ETag>"
          "</Part></ListPartsResult>"),
          "ListPartsResult <Part> has no <Size>" },
        { L("<ListPartsResult><Part><Size>1</Size><ETag>e</ETag>"
          "</Part></ListPartsResult>"),
          "ListPartsResult <Part> has no <PartNumber>" },
        { L("<ListPartsResult><Part><Size>1</Size><PartNumber>1</PartNumber>"
          "</Part></ListPartsResult>"),
          "ListPartsResult <Part> has no <ETag>" },
        { L("<ListMultipartUploadsResult><Upload><UploadId>u</UploadId>"
          "</Upload></ListMultipartUploadsResult>"),
          "ListMultipartUploadsResult <Upload> has no <Key>" },
        { L("<ListMultipartUploadsResult><Upload><Key>k</Key>"
          "<Initiated>t</Initiated></Upload></ListMultipartUploadsResult>"),
          "ListMultipartUploadsResult <Upload> has no <UploadId>" },
        { L("<ListMultipartUploadsResult><Upload><Key>k</Key><Key>l</Key>"
          "</Upload></ListMultipartUploadsResult>"),
          "<Key> appears twice" },
        { L("<ListMultipartUploadsResult><IsTruncated>yes</IsTruncated>"
          "</ListMultipartUploadsResult>"),
          "<IsTruncated> is not true or false" },
        { L("<ListPartsResult><Part><PartNumber>0</PartNumber></Part>"
          "</ListPartsResult>"),
          "<PartNumber> is not a number in 1..10000" },
        { L("<ListPartsResult><Part><PartNumber>10001</PartNumber></Part>"
          "</ListPartsResult>"),
          "<PartNumber> is not a number in 1..10000" },
        { L("<ListPartsResult><Part><PartNumber>-1</PartNumber></Part>"
          "</ListPartsResult>"),
          "<PartNumber> is not a number in 1..10000" },
        { L("<ListPartsResult><Part><PartNumber>1</PartNumber><ETag>e</ETag>"
          "<Size>18446744073709551616</Size></Part></ListPartsResult>"),
          "<Size> is not a number" },
        { L("<ListPartsResult><Part><PartNumber>1</PartNumber><ETag>e</ETag>"
          "<Size>1 2</Size></Part></ListPartsResult>"),
          "<Size> is not a number" },
        { L("<ListPartsResult><Part><PartNumber>1</PartNumber><ETag>e</ETag>"
          "<Size></Size></Part></ListPartsResult>"),
          "<Size> is not a number" },
        { L("<ListPartsResult><IsTruncated>yes</IsTruncated>"
          "</ListPartsResult>"), "<IsTruncated> is not true or false" },
        { L("<ListPartsResult><Part><PartNumber>1</PartNumber><PartNumber>2"
          "</PartNumber></Part></ListPartsResult>"),
          "<PartNumber> appears twice" },
        { L("<Error><!-- x --</Error>"), "truncated XML document" },
        { L("<Error><![CDATA[x]></Error>"), "truncated XML document" },
        { L("<?xml version='1.0'<Error/>"), "truncated XML document" },
        { L("<Error a='x/>"), "truncated XML document" },
    };

    fails = 0;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rc = ngx_vod_cos_xml_parse(&a, (u_char *) bad[i].xml, bad[i].len,
                                   &doc);

        if (rc != NGX_VOD_ERROR || doc.error == NULL
            || strcmp(doc.error, bad[i].error) != 0)
        {
            ngx_vod_test_diag("case %d: %.*s: rc %d, \"%s\"", (int) i,
                              (int) bad[i].len, bad[i].xml, rc,
                              doc.error ? doc.error : "(null)");
            fails++;
        }
    }

    ngx_vod_test_ok(fails == 0, "%d malformed documents, each with its "
                    "own error", (int) i);

    /* every proper prefix of each document is an error */

    {
        static const char  *docs[] = {
            initiate_doc, complete_doc, error_doc, list_parts_doc
        };

        size_t  d, total;

        fails = 0;
        total = 0;

        for (d = 0; d < 4; d++) {
            n = strlen(docs[d]);

            for (i = 0; i < n; i++) {
                rc = ngx_vod_cos_xml_parse(&a, (u_char *) docs[d], i, &doc);
                if (rc != NGX_VOD_ERROR || doc.error == NULL) {
                    ngx_vod_test_diag("doc %d cut at %d is accepted",
                                      (int) d, (int) i);
                    fails++;
                }

                total++;
            }

            rc = ngx_vod_cos_xml_parse(&a, (u_char *) docs[d], n, &doc);
            if (rc != NGX_VOD_OK) {
                fails++;
            }
        }

        ngx_vod_test_ok(fails == 0, "the four documents cut at each of "
                        "their bytes (%d cuts): an error each time",
                        (int) total);
    }

    /* a byte replaced by "<", ">", "&", "\"" or "/" never crashes */

    {
        size_t        ok;
        static char   copy[sizeof(list_parts_doc)];
        const char   *c;

        ok = 0;
        n = sizeof(list_parts_doc) - 1;

        for (c = "<>&\"/="; *c; c++) {
            for (i = 0; i < n; i++) {
                memcpy(copy, list_parts_doc, n);
                copy[i] = *c;

                rc = ngx_vod_cos_xml_parse(&a, (u_char *) copy, n, &doc);
                if (rc == NGX_VOD_OK
                    || (rc == NGX_VOD_ERROR && doc.error != NULL))
                {
                    ok++;
                }
            }
        }

        ngx_vod_test_ok(ok == 6 * n, "ListParts with one byte replaced by "
                        "< > & \" / =, %d times: no crash, an error or a "
                        "result", (int) (6 * n));
    }

    /* nesting: 8 levels are fine, 9 are not, 100000 neither */

    n = 100000;
    big = malloc(n * 10 + 64);

    p = big;
    p += sprintf(p, "<Error>");
    for (i = 0; i < 7; i++) {
        p += sprintf(p, "<a>");
    }
    for (i = 0; i < 7; i++) {
        p += sprintf(p, "</a>");
    }
    p += sprintf(p, "</Error>");

    rc = ngx_vod_cos_xml_parse(&a, (u_char *) big, p - big, &doc);
    ngx_vod_test_ok(rc == NGX_VOD_OK, "8 levels of elements are fine");

    p = big;
    p += sprintf(p, "<Error>");
    for (i = 0; i < 8; i++) {
        p += sprintf(p, "<a>");
    }
    for (i = 0; i < 8; i++) {
        p += sprintf(p, "</a>");
    }
    p += sprintf(p, "</Error>");

    rc = ngx_vod_cos_xml_parse(&a, (u_char *) big, p - big, &doc);
    test_error(doc.error, "XML elements nested deeper than 8 levels",
               "9 levels are not");

    p = big;
    p += sprintf(p, "<Error>");
    for (i = 0; i < n; i++) {
        p += sprintf(p, "<a>");
    }
    for (i = 0; i < n; i++) {
        p += sprintf(p, "</a>");
    }
    p += sprintf(p, "</Error>");

    rc = ngx_vod_cos_xml_parse(&a, (u_char *) big, p - big, &doc);
    test_error(doc.error, "XML elements nested deeper than 8 levels",
               "100000 levels neither");

    free(big);

    /* the size limit: COS may send a lot of spaces before the answer */

    n = NGX_VOD_COS_XML_MAX_SIZE;
    big = malloc(n + 1);
    memset(big, ' ', n + 1);
    memcpy(big + n - (sizeof(complete_doc) - 1), complete_doc,
           sizeof(complete_doc) - 1);

    rc = ngx_vod_cos_xml_parse(&a, (u_char *) big, n, &doc);
    ngx_vod_test_ok(rc == NGX_VOD_OK && doc.root == NGX_VOD_COS_XML_COMPLETE,
                    "a Complete result after a megabyte of spaces (%d "
                    "bytes, the limit)", (int) n);

    rc = ngx_vod_cos_xml_parse(&a, (u_char *) big, n + 1, &doc);
    test_error(doc.error, "XML document is longer than 1048576 bytes",
               "one byte more is refused");

    free(big);

    /* ListParts of 10000 parts, and of 10001 */

    n = NGX_VOD_COS_MAX_PARTS + 1;
    big = malloc(n * 96 + 64);

    p = big;
    p += sprintf(p, "<ListPartsResult>");
    for (i = 0; i < n - 1; i++) {
        p += sprintf(p, "<Part><PartNumber>%d</PartNumber><ETag>\"%08x\""
                     "</ETag><Size>%d</Size></Part>", (int) i + 1,
                     (unsigned) i, (int) i);
    }
    sprintf(p, "</ListPartsResult>");

    rc = ngx_vod_cos_xml_parse(&a, (u_char *) big, strlen(big), &doc);
    ngx_vod_test_ok(rc == NGX_VOD_OK && doc.list_parts.nparts == n - 1
                    && doc.list_parts.parts[9999].part_number == 10000
                    && doc.list_parts.parts[9999].size == 9999
                    && doc.list_parts.parts[4242].etag.len == 10,
                    "ListParts of 10000 parts");

    p += sprintf(p, "<Part><PartNumber>1</PartNumber><ETag>e</ETag>"
                 "<Size>1</Size></Part>");
    sprintf(p, "</ListPartsResult>");

    rc = ngx_vod_cos_xml_parse(&a, (u_char *) big, strlen(big), &doc);
    test_error(doc.error, "ListPartsResult has more than 10000 parts",
               "ListParts of 10001 parts is refused");

    free(big);
}


static void
test_out_of_memory(void)
{
    int                    rc, fails, n;
    const char            *err;
    ngx_vod_str_t          body;
    ngx_vod_cos_part_t     part;
    ngx_vod_cos_xml_doc_t  doc;

    fails = 0;

    for (n = 0; /* void */ ; n++) {
        ngx_vod_test_pool_free(&pool);
        pool.fail_after = n;

        rc = ngx_vod_cos_xml_parse(&a, S(list_parts_doc), &doc);
        if (rc == NGX_VOD_OK) {
            break;
        }

        if (rc != NGX_VOD_ERROR || strcmp(doc.error, "out of memory") != 0) {
            fails++;
        }
    }

    ngx_vod_test_ok(fails == 0 && n == 6,
                    "ListParts: each of its %d allocations may fail", n);

    ngx_vod_test_pool_free(&pool);
    pool.fail_after = 0;

    part.part_number = 1;
    part.etag = (ngx_vod_str_t) ngx_vod_string("\"e\"");
    rc = ngx_vod_cos_xml_complete_body(&a, &part, 1, &body, &err);
    ngx_vod_test_ok(rc == NGX_VOD_ERROR && strcmp(err, "out of memory") == 0,
                    "a Complete body that cannot be allocated");

    ngx_vod_test_pool_free(&pool);
}


int
main(void)
{
    test_complete_body();
    test_answers();
    test_text();
    test_round_trip();
    test_hostile();
    test_out_of_memory();

    ngx_vod_test_pool_free(&pool);

    return ngx_vod_test_done();
}
