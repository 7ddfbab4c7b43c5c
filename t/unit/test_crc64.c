
/*
 * Copyright (C) ngx_http_vod_upload_module authors
 *
 * ngx_vod_crc64.c: the known answers of vectors.json for every
 * implementation, the folding constants, combine, and pclmul and
 * vpclmul against the table over every length 0..1024 at every
 * alignment 0..15.
 */


#include <inttypes.h>
#include <cjson/cJSON.h>

#include "ngx_vod_crc64.h"
#include "ngx_vod_test.h"


#define NGX_VOD_TEST_MAX_LEN    1024
#define NGX_VOD_TEST_BIG        (3 * 1024 * 1024 + 4096)


typedef uint64_t (*ngx_vod_test_crc_pt)(uint64_t crc, const u_char *p,
    size_t len);


static void ngx_vod_test_fill(u_char *p, size_t len, uint64_t seed);
static void ngx_vod_test_constants(void);
static void ngx_vod_test_vectors(int pclmul);
static void ngx_vod_test_vector(const char *data, uint64_t expected);
static void ngx_vod_test_combine(const u_char *buf, size_t len);
static void ngx_vod_test_combine_long(void);
static void ngx_vod_test_lengths(u_char *buf);
static void ngx_vod_test_lengths_of(u_char *buf, const char *name,
    ngx_vod_test_crc_pt crc);
static void ngx_vod_test_big(u_char *buf);
static void ngx_vod_test_pieces(const u_char *buf, size_t len);


static struct {
    const char           *name;
    ngx_vod_test_crc_pt   crc;
} ngx_vod_test_impls[] = {
    { "ngx_vod_crc64", ngx_vod_crc64 },
    { "table", ngx_vod_crc64_table },
    { "pclmul", ngx_vod_crc64_pclmul },
    { "vpclmul", ngx_vod_crc64_vpclmul },
};


int
main(void)
{
    int      pclmul;
    u_char  *buf;

    ngx_vod_crc64_init();

    pclmul = (strcmp(ngx_vod_crc64_implementation(), "table") != 0);

    ngx_vod_test_diag("implementation: %s", ngx_vod_crc64_implementation());

    if (!pclmul) {
        ngx_vod_test_diag("this CPU lacks PCLMULQDQ or SSE4.1 (or is not "
                          "x86): only the table implementation is tested");
    }

    ngx_vod_test_ok(strcmp(ngx_vod_crc64_implementation(), "vpclmul") == 0
                    || strcmp(ngx_vod_crc64_implementation(), "pclmul") == 0
                    || strcmp(ngx_vod_crc64_implementation(), "table") == 0,
                    "implementation is \"vpclmul\", \"pclmul\" or "
                    "\"table\"");

    if (pclmul && strcmp(ngx_vod_crc64_implementation(), "vpclmul") != 0) {
        ngx_vod_test_diag("this CPU lacks AVX-512 VPCLMULQDQ: vpclmul runs "
                          "pclmul");
    }

    buf = malloc(NGX_VOD_TEST_BIG + 64);
    if (buf == NULL) {
        return 2;
    }

    ngx_vod_test_constants();
    ngx_vod_test_vectors(pclmul);

    ngx_vod_test_fill(buf, 4096, 1);
    ngx_vod_test_combine(buf, 4096);
    ngx_vod_test_combine_long();

    if (pclmul) {
        ngx_vod_test_lengths(buf);
        ngx_vod_test_big(buf);

    } else {
        ngx_vod_test_diag("skipped: pclmul against table");
    }

    ngx_vod_test_fill(buf, NGX_VOD_TEST_BIG, 7);
    ngx_vod_test_pieces(buf, NGX_VOD_TEST_BIG);

    free(buf);

    return ngx_vod_test_done();
}


/* xorshift64: the same bytes on every run */

static void
ngx_vod_test_fill(u_char *p, size_t len, uint64_t seed)
{
    uint64_t  x;

    x = seed * 0x9e3779b97f4a7c15ULL + 1;

    while (len--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *p++ = (u_char) (x >> 32);
    }
}


/*
 * The constants computed at init against those Intel published for the
 * same polynomial: ISA-L crc/crc64_ecma_refl_by8.asm, rk1..rk20
 * (rk6 is unused there; rk8 likewise leaves out x^64).
 */

static void
ngx_vod_test_constants(void)
{
    int                            i, pass;
    const ngx_vod_crc64_consts_t  *c;

    static const uint64_t  fold[8][2] = {
        { 0xe05dd497ca393ae4ULL, 0xdabe95afc7875f40ULL },  /* rk2, rk1 */
        { 0x60095b008a9efa44ULL, 0x3be653a30fe1af51ULL },  /* rk20, rk19 */
        { 0xb5ea1af9c013aca4ULL, 0x69a35d91c3730254ULL },  /* rk18, rk17 */
        { 0x6ae3efbb9dd441f3ULL, 0x081f6054a7842df4ULL },  /* rk16, rk15 */
        { 0x2e30203212cac325ULL, 0x0e31d519421a63a5ULL },  /* rk14, rk13 */
        { 0x2fe3fd2920ce82ecULL, 0xe4ce2cd55fea0037ULL },  /* rk12, rk11 */
        { 0x9e735cb59b4724daULL, 0x947874de595052cbULL },  /* rk10, rk9 */
        { 0x8757d71d4fcc1000ULL, 0xd7d86b2af73de740ULL },  /* rk4, rk3 */
    };

    c = ngx_vod_crc64_consts();

    for (i = 0; i < 8; i++) {
        pass = (c->fold[i][0] == fold[i][0] && c->fold[i][1] == fold[i][1]);

        ngx_vod_test_ok(pass, "fold by %d bits: constants", 128 * (i + 1));

        if (!pass) {
            ngx_vod_test_diag("got %016" PRIx64 " %016" PRIx64
                              ", expected %016" PRIx64 " %016" PRIx64,
                              c->fold[i][0], c->fold[i][1],
                              fold[i][0], fold[i][1]);
        }
    }

    ngx_vod_test_ok(c->fold64 == 0xdabe95afc7875f40ULL,
                    "128 -> 64 constant (rk5) %016" PRIx64, c->fold64);
    ngx_vod_test_ok(c->mu == 0x9c3e466c172963d5ULL,
                    "Barrett mu (rk7) %016" PRIx64, c->mu);
    ngx_vod_test_ok(c->poly == 0x92d8af2baf0e1e84ULL,
                    "Barrett polynomial (rk8) %016" PRIx64, c->poly);
}


static void
ngx_vod_test_vectors(int pclmul)
{
    int          n;
    uint64_t     expected;
    cJSON       *root, *list, *v;
    const char  *data, *crc;

    root = ngx_vod_test_vectors_load();
    list = cJSON_GetObjectItemCaseSensitive(root, "crc64");

    if (!ngx_vod_test_ok(cJSON_IsArray(list), "vectors.json has \"crc64\"")) {
        cJSON_Delete(root);
        return;
    }

    n = 0;

    cJSON_ArrayForEach(v, list) {
        data = ngx_vod_test_json_get(v, "data");
        crc = ngx_vod_test_json_get(v, "crc");

        if (!ngx_vod_test_ok(data != NULL && crc != NULL,
                             "crc64 vector %d has data and crc", n))
        {
            continue;
        }

        expected = strtoull(crc, NULL, 10);

        ngx_vod_test_vector(data, expected);

        n++;
    }

    ngx_vod_test_ok(n >= 5, "%d crc64 vectors (pclmul %s)", n,
                    pclmul ? "tested" : "falls back to the table");

    cJSON_Delete(root);
}


static void
ngx_vod_test_vector(const char *data, uint64_t expected)
{
    size_t         i, len;
    uint64_t       got;
    const u_char  *p;

    p = (const u_char *) data;
    len = strlen(data);

    for (i = 0; i < sizeof(ngx_vod_test_impls) / sizeof(ngx_vod_test_impls[0]);
         i++)
    {
        got = ngx_vod_test_impls[i].crc(0, p, len);

        if (!ngx_vod_test_ok(got == expected, "%s(\"%s\") = %" PRIu64,
                             ngx_vod_test_impls[i].name, data, expected))
        {
            ngx_vod_test_diag("got %" PRIu64, got);
        }
    }

    /* one byte at a time */

    got = 0;

    for (i = 0; i < len; i++) {
        got = ngx_vod_crc64(got, p + i, 1);
    }

    ngx_vod_test_ok(got == expected, "\"%s\" fed byte by byte", data);

    /* every split point, 0 and all-of included */

    ngx_vod_test_combine(p, len);
}


static void
ngx_vod_test_combine(const u_char *buf, size_t len)
{
    size_t    i, bad;
    uint64_t  whole, a, b;

    whole = ngx_vod_crc64(0, buf, len);
    bad = (size_t) -1;

    for (i = 0; i <= len; i++) {
        a = ngx_vod_crc64(0, buf, i);
        b = ngx_vod_crc64(0, buf + i, len - i);

        if (ngx_vod_crc64_combine(a, b, len - i) != whole) {
            bad = i;
            break;
        }
    }

    if (!ngx_vod_test_ok(bad == (size_t) -1,
                         "combine at every split of %zu bytes", len))
    {
        ngx_vod_test_diag("first wrong split at %zu", bad);
    }
}


/*
 * Lengths no buffer here can hold: combining is associative,
 * CRC((AB)C) = CRC(A(BC)), and a block of zeros combines like any other;
 * a 10,000 part object is 10,000 calls.
 */

static void
ngx_vod_test_combine_long(void)
{
    int        i, pass;
    u_char     zeros[4096];
    uint64_t   a, b, c, l1, l2, x, y, crc, part;

    a = 0x0123456789abcdefULL;
    b = 0xfedcba9876543210ULL;
    c = 0x5555aaaa3333ccccULL;

    pass = 1;

    for (i = 0; i < 64; i++) {
        l1 = (0x9e3779b97f4a7c15ULL * (i + 1)) >> (i % 40);
        l2 = (0xc2b2ae3d27d4eb4fULL * (i + 7)) >> (24 + i % 40);

        x = ngx_vod_crc64_combine(ngx_vod_crc64_combine(a, b, l1), c, l2);
        y = ngx_vod_crc64_combine(a, ngx_vod_crc64_combine(b, c, l2),
                                  l1 + l2);

        if (x != y) {
            ngx_vod_test_diag("l1 %" PRIu64 " l2 %" PRIu64, l1, l2);
            pass = 0;
        }
    }

    ngx_vod_test_ok(pass, "combine is associative up to 2^64 bytes");

    memset(zeros, 0, sizeof(zeros));

    part = ngx_vod_crc64(0, zeros, sizeof(zeros));
    crc = 0;

    for (i = 0; i < 10000; i++) {
        crc = ngx_vod_crc64_combine(crc, part, sizeof(zeros));
    }

    part = 0;

    for (i = 0; i < 10000; i++) {
        part = ngx_vod_crc64(part, zeros, sizeof(zeros));
    }

    ngx_vod_test_ok(crc == part, "10,000 parts of 4096 zero bytes combined");
}


/* pclmul against the table: every length 0..1024 at every alignment */

static void
ngx_vod_test_lengths(u_char *buf)
{
    ngx_vod_test_lengths_of(buf, "pclmul", ngx_vod_crc64_pclmul);
    ngx_vod_test_lengths_of(buf, "vpclmul", ngx_vod_crc64_vpclmul);
}


static void
ngx_vod_test_lengths_of(u_char *buf, const char *name,
    ngx_vod_test_crc_pt crc)
{
    size_t    off, len, bad;
    uint64_t  seed, x, y;

    ngx_vod_test_fill(buf, NGX_VOD_TEST_MAX_LEN + 16, 3);

    for (off = 0; off < 16; off++) {
        bad = (size_t) -1;

        for (len = 0; len <= NGX_VOD_TEST_MAX_LEN; len++) {

            /* a non-zero start state too: pieces of a longer stream */
            seed = len * 0x9e3779b97f4a7c15ULL;

            x = ngx_vod_crc64_table(0, buf + off, len);
            y = crc(0, buf + off, len);

            if (x != y) {
                bad = len;
                break;
            }

            x = ngx_vod_crc64_table(seed, buf + off, len);
            y = crc(seed, buf + off, len);

            if (x != y) {
                bad = len;
                break;
            }
        }

        if (!ngx_vod_test_ok(bad == (size_t) -1,
                             "%s = table, lengths 0..%d at offset %zu",
                             name, NGX_VOD_TEST_MAX_LEN, off))
        {
            ngx_vod_test_diag("first mismatch at length %zu", bad);
        }
    }
}


static void
ngx_vod_test_big(u_char *buf)
{
    size_t     i, off;
    uint64_t   x, y;

    static const size_t  lens[] = {
        1024 * 1024, 1024 * 1024 + 1, 1024 * 1024 + 15, 1024 * 1024 + 17,
        1024 * 1024 + 127, 1024 * 1024 + 129, 2 * 1024 * 1024 + 4095,
        NGX_VOD_TEST_BIG - 1, NGX_VOD_TEST_BIG
    };

    ngx_vod_test_fill(buf, NGX_VOD_TEST_BIG + 16, 5);

    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        off = (i * 7) % 16;

        x = ngx_vod_crc64_table(0, buf + off, lens[i]);
        y = ngx_vod_crc64_pclmul(0, buf + off, lens[i]);

        ngx_vod_test_ok(x == y, "pclmul = table, %zu bytes at offset %zu",
                        lens[i], off);

        y = ngx_vod_crc64_vpclmul(0, buf + off, lens[i]);

        ngx_vod_test_ok(x == y, "vpclmul = table, %zu bytes at offset %zu",
                        lens[i], off);
    }
}


/* a stream fed in uneven pieces, as request body buffers arrive */

static void
ngx_vod_test_pieces(const u_char *buf, size_t len)
{
    size_t     i, n, step;
    uint64_t   whole, crc, parts;

    whole = ngx_vod_crc64_table(0, buf, len);

    ngx_vod_test_ok(ngx_vod_crc64(0, buf, len) == whole,
                    "ngx_vod_crc64 = table, %zu bytes", len);

    crc = 0;
    parts = 0;
    step = 1;

    for (i = 0; i < len; i += n) {
        n = step < len - i ? step : len - i;
        step = step * 3 + 1;

        if (step > 200000) {
            step = 1;
        }

        crc = ngx_vod_crc64(crc, buf + i, n);
        parts = ngx_vod_crc64_combine(parts, ngx_vod_crc64(0, buf + i, n), n);
    }

    ngx_vod_test_ok(crc == whole, "%zu bytes fed in uneven pieces", len);
    ngx_vod_test_ok(parts == whole, "%zu bytes as combined pieces", len);
}
