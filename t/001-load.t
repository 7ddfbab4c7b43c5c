# Debian's nginx loads the module and `nginx -t` accepts a configuration
# that uses it, and rejects a mistake with the directive, value and place.
# (The config checks in Test::Nginx format are in 002-config.t; this file
# runs `nginx -t` itself, as an operator would.)

use strict;
use warnings;

use File::Temp qw(tempdir);
use Test::More;

my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my ($module) = grep { length } split /\s+/,
               $ENV{TEST_NGINX_LOAD_MODULES} || '';

# nginx -V: how it was configured (a module linked in, the temp paths)
my $configured = `'$nginx' -V 2>&1`;

if (defined $module) {
    ok -f $module,
       'TEST_NGINX_LOAD_MODULES names the built module (make test sets it)'
        or BAIL_OUT('no module to test: run the tests with make test');

} else {
    ok $configured =~ /--add-module=\S+/,
       'without TEST_NGINX_LOAD_MODULES, nginx has the module linked in '
       . '(--add-module)'
        or BAIL_OUT('no module to test: run the tests with make test');
}

my $load = defined $module ? "load_module $module;" : '';

my $prefix = tempdir('vod-load-XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir "$prefix/logs";

sub nginx_t {
    my ($http, $location) = @_;

    open my $fh, '>', "$prefix/nginx.conf" or die "$prefix/nginx.conf: $!";
    print $fh <<"EOC";
$load
error_log stderr;
pid $prefix/nginx.pid;
events {}
http {
    client_body_temp_path $prefix; proxy_temp_path $prefix;
    fastcgi_temp_path $prefix; uwsgi_temp_path $prefix;
    scgi_temp_path $prefix;
    access_log off;
    $http
    server {
        listen 127.0.0.1:1;
        location /upload/ {
            $location
        }
    }
}
EOC
    close $fh;

    my $out = `'$nginx' -t -p '$prefix' -c '$prefix/nginx.conf' 2>&1`;
    return ($? >> 8, $out);
}

my $ok = 'vod_secret_id AKIDEXAMPLE; vod_secret_key KEY; resolver 127.0.0.1;';

my ($rc, $out) = nginx_t($ok, 'vod_upload;');
is $rc, 0, 'nginx -t exits 0 with the module and a vod_upload location'
    or diag $out;
like $out, qr/syntax is ok/, 'nginx -t: syntax is ok';
like $out, qr/test is successful/, 'nginx -t: test is successful';
unlike $out, qr/not binary compatible/, 'the module is binary compatible';

($rc, $out) = nginx_t($ok, 'vod_upload; vod_upload_part_size 512k;');
isnt $rc, 0, 'nginx -t fails on a part size below 1m';
like $out, qr/\[emerg\] .*"vod_upload_part_size" "512k" is not a part size between 1m and 5g in \Q$prefix\E\/nginx\.conf:\d+/,
     'the message names the directive, the value and the place';

($rc, $out) = nginx_t('vod_secret_id AKIDEXAMPLE;', 'vod_upload;');
isnt $rc, 0, 'nginx -t fails on vod_upload without a secret key';
like $out, qr/"vod_upload" in \Q$prefix\E\/nginx\.conf:\d+ has no secret key/,
     'the message points at the vod_upload line';

# The default journal directory (no vod_upload_journal) is the directory
# of nginx's client_body_temp_path default with "vod_upload": its name must
# end there.  With malloc's memory filled with 0x5a ('Z', MALLOC_PERTURB_
# 165), a name without its NUL became "vod_uploadZZZ..." (found by valgrind).
{
    # Debian's: /var/lib/nginx/body; nginx's own default: under the prefix
    my ($body) = $configured =~ /--http-client-body-temp-path=(\S+)/;
    my $parent = defined $body ? $body =~ s{/[^/]*$}{}r : $prefix;
    my $list = sub { opendir my $d, $parent or return ();
                     grep { /^vod_upload./s } readdir $d };
    my %before = map { $_ => 1 } $list->();

    local $ENV{MALLOC_PERTURB_} = 165;
    ($rc, $out) = nginx_t($ok, 'vod_upload;');
    is $rc, 0, 'nginx -t, malloc perturbed, no vod_upload_journal' or diag $out;

    my @made = grep { !$before{$_} } $list->();
    is join(' ', map { s/([^ -~])/sprintf '\\x%02x', ord $1/ger } @made), '',
       "nothing but $parent/vod_upload made for the journal (its name ends"
       . ' there)';
    rmdir "$parent/$_" for @made;
}

done_testing;
