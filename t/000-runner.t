# The project's Test::Nginx::Socket runner (t/lib) checked with stock nginx
# only: every section the module's tests rely on, passing. That failures are
# caught is shown by t/000-runner-meta.t.

use Test::Nginx::Socket;
use Digest::MD5 qw(md5_hex);

our $Big = '0123456789abcdef' x (1 << 20);    # 16 MiB

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value(config => '    location = /pre { return 200 "pre\n"; }')
        if defined $block->use_preset;
});

repeat_each(2);

# the tests of each block, in order
plan tests => repeat_each() * (3 + 4 + 3 + 2 + 3 + 2 + 2 + 6 + 2 + 3 + 6
                               + 1 + 2 + 3 + 2 + 3 + 3 + 4 + 2 + 3 + 3
                               + 2 + 2 + 2 + 2 + 2 + 1);

run_tests();

__DATA__

=== TEST 1: return, response_body, no_error_log
--- config
    location = /t { return 200 "hello\n"; }
--- request
GET /t
--- response_body
hello
--- no_error_log
[error]



=== TEST 2: response_headers, present and absent
--- config
    location = /t {
        add_header X-Foo "bar baz";
        return 200 "ok\n";
    }
--- request
GET /t
--- response_headers
X-Foo: bar baz
! X-Absent
--- response_body
ok



=== TEST 3: response_headers_like (anchored), response_body_like
--- config
    location = /t { return 200 "some text 42 here\n"; }
--- request
GET /t
--- response_headers_like
Content-Type: text/pla.n
--- response_body_like: text \d+



=== TEST 4: more_headers reach nginx
--- config
    location = /t { return 200 "$http_x_foo|$http_user_agent\n"; }
--- request
GET /t
--- more_headers
X-Foo: foo value
# a comment line is skipped
User-Agent: runner
--- response_body
foo value|runner



=== TEST 5: error_code and error_log lines of a 404
--- config
--- request
GET /no-such-file
--- error_code: 404
--- error_log
open() "
No such file or directory



=== TEST 6: request body with Content-Length, $TEST_NGINX_SERVER_PORT
--- config
    location = /echo {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/back;
        proxy_set_header X-Body $request_body;
    }
    location = /back {
        return 200 "len=$http_content_length body=$http_x_body\n";
    }
--- request
POST /echo
hello world
--- response_body
len=11 body=hello world



=== TEST 7: chunked request body (not trimmed, no Content-Length added)
--- config
    location = /echo {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/back;
        proxy_set_header X-Body $request_body;
    }
    location = /back { return 200 "body=$http_x_body\n"; }
--- more_headers
Transfer-Encoding: chunked
--- request eval
"POST /echo
5\r
hello\r
0\r
\r
"
--- response_body
body=hello



=== TEST 8: a 16 MiB PUT (201, then 204 on repeat), GET it back
--- config
    location /dav/ {
        root html;
        dav_methods PUT;
        create_full_put_path on;
        client_max_body_size 64m;
    }
--- request eval
["PUT /dav/big.bin\n$::Big", "GET /dav/big.bin"]
--- error_code_like eval
["^20[14]\$", "^200\$"]
--- response_body_filters eval
[[], ['md5_hex']]
--- response_body eval
["", Digest::MD5::md5_hex($::Big)]
--- no_error_log
[error]



=== TEST 9: nginx answers 413 before the body is sent: no hang, no error
--- config
    location = /t { client_max_body_size 1k; return 200; }
--- request eval
"PUT /t\n" . ('x' x (20 << 20))
--- error_code: 413
--- no_http2
--- error_log
client intended to send too large body



=== TEST 10: raw_request (HTTP/1.0, verbatim), raw_response_headers_like
--- config
    location = /raw { return 200 "raw $server_protocol\n"; }
--- raw_request eval
"GET /raw HTTP/1.0\r\nHost: x\r\n\r\n"
--- raw_response_headers_like: ^HTTP/1\.1 200 OK\r\n
--- response_body
raw HTTP/1.0



=== TEST 11: several requests, each checked, logs checked after each
--- config
    location = /a { return 200 "a\n"; }
    location = /b { return 201 "b\n"; }
--- request eval
["GET /a", "GET /b"]
--- error_code eval
[200, 201]
--- response_body eval
["a\n", "b\n"]
--- no_error_log
[error]



=== TEST 12: timeout with abort and ignore_response is not a failure
--- config
    location = /slow {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/back;
    }
    location = /back { return 200; }
--- raw_request eval
"POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nshort"
--- timeout: 300ms
--- abort
--- ignore_response
--- wait: 0.1
--- error_log
client prematurely closed connection



=== TEST 13: must_die, error_log from the start-up errors
--- config
    location = /t { return a b c; }
--- must_die
--- error_log
invalid number of arguments in "return" directive



=== TEST 14: HTTP/2 through curl
--- http2
--- config
    location = /t { return 200 "proto=$server_protocol\n"; }
--- request
GET /t
--- response_body
proto=HTTP/2.0
--- no_error_log
[error]



=== TEST 15: grep_error_log
--- config
--- request
GET /missing
--- error_code: 404
--- grep_error_log chop
No such file or directory
--- grep_error_log_out
No such file or directory



=== TEST 16: log_level
--- log_level: warn
--- config
    location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- no_error_log
[debug]



=== TEST 17: user_files
--- config
--- user_files
>>> foo.txt
hello file
>>> sub/bar.txt
bar
--- request
GET /foo.txt
--- response_headers
Content-Length: 11
--- response_body
hello file



=== TEST 18: eval values: qr// body, error_log with a string and a qr//
--- config
--- request
GET /missing
--- error_code: 404
--- response_body eval
qr{<title>404 Not Found</title>}
--- error_log eval
['[error]', qr/open\(\) "\S+missing" failed/]



=== TEST 19: lines from the log phase are seen
--- config
    location = /t { return 204; }
--- request
GET /t
--- error_code: 204
--- error_log
http log handler



=== TEST 20: a chunked response is decoded
--- config
    location = /t {
        sub_filter a b;
        sub_filter_once off;
        sub_filter_types text/plain;
        return 200 "aaa\n";
    }
--- request
GET /t
--- no_http2
--- raw_response_headers_like: Transfer-Encoding: chunked
--- response_body
bbb



=== TEST 21: HEAD: headers, no body
--- config
    location = /t { return 200 "hello\n"; }
--- request
HEAD /t
--- response_headers
Content-Length: 6
--- response_body chomp



=== TEST 22: a request sent in two packets, the second delayed
--- config
    location = /echo {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/back;
        proxy_set_header X-Body $request_body;
    }
    location = /back { return 200 "body=$http_x_body\n"; }
--- request eval
[["POST /echo\nhel", {value => "lo", delay_before => 0.05}]]
--- response_body
body=hello



=== TEST 23: main_config and http_config go where they belong
--- main_config
worker_rlimit_nofile 1024;
--- http_config
    map $uri $tag { default "mapped"; }
--- config
    location = /t { return 200 "$tag\n"; }
--- request
GET /t
--- response_body
mapped



=== TEST 24: $TEST_NGINX_SERVER_PORT in response_body
--- config
    location = /t { return 200 "port=$server_port\n"; }
--- request
GET /t
--- response_body
port=$TEST_NGINX_SERVER_PORT



=== TEST 25: a block preprocessor supplies the config
--- use_preset
--- request
GET /pre
--- response_body
pre



=== TEST 26: error_code_like, response_body_unlike
--- config
    location = /t { return 302 /elsewhere; }
--- request
GET /t
--- error_code_like: ^30[12]$
--- response_body_unlike: 500



=== TEST 27: curl failing as curl_error expects
--- http2
--- config
    location = /t { return 444; }
--- request
GET /t
--- curl_error eval
qr/\(92\) HTTP\/2 stream \d+ was not closed cleanly/
--- ignore_response
--- no_error_log
[error]
