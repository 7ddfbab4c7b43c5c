# configure stops with a one-line reason when a library the module needs is
# missing (simulated by headers that do not compile); `make` shows the
# passing case.
# Runs Debian's configure on a private copy of /usr/share/nginx/src, since
# configure writes a Makefile there.

use strict;
use warnings;

use File::Temp qw(tempdir);
use Test::More;

my $src = '/usr/share/nginx/src';
my $repo = do { require Cwd; Cwd::getcwd() };

ok -f "$src/conf_flags", "Debian's nginx build files are installed ($src)"
    or BAIL_OUT('nginx-dev is missing: run make setup');

my $tmp = tempdir('vod-configure-XXXXXX', TMPDIR => 1, CLEANUP => 1);
system('cp', '-r', $src, "$tmp/src") == 0 or die "cp $src: $?";

# fake headers that fail to compile, one library at a time
for my $h (qw(cjson/cJSON.h openssl/evp.h)) {
    my $dir = "$tmp/inc-" . ($h =~ s{/.*}{}r);
    mkdir $dir;
    mkdir "$dir/" . ($h =~ s{/.*}{}r);
    open my $fh, '>', "$dir/$h" or die "$dir/$h: $!";
    print $fh "#error this header is missing\n";
    close $fh;
}

sub configure {
    my ($cc_opt) = @_;

    # conf_flags is a bash array: run configure the way Debian does
    my $script = qq{cd '$tmp/src' && . ./conf_flags && ./configure }
               . qq{"\${NGX_CONF_FLAGS[@]}" --with-cc-opt='$cc_opt' }
               . qq{--add-dynamic-module='$repo' --builddir='$tmp/build'};

    open my $fh, '-|', 'bash', '-c', "$script 2>&1" or die "bash: $!";
    my $out = do { local $/; <$fh> };
    close $fh;

    return ($? >> 8, $out);
}

my ($rc, $out) = configure("-I$tmp/inc-cjson");
isnt $rc, 0, 'configure fails without cJSON';
like $out, qr/^checking for cJSON 1\.7\.13\+ for vod_upload \.\.\. not found$/m,
     'it says which check failed';
like $out, qr/^\S*configure: error: ngx_http_vod_upload_module needs cJSON 1\.7\.13 or newer \(Debian: apt-get install libcjson-dev\)$/m,
     'one line names the library and the package';

($rc, $out) = configure("-I$tmp/inc-openssl");
isnt $rc, 0, 'configure fails without OpenSSL libcrypto';
like $out, qr/^\S*configure: error: ngx_http_vod_upload_module needs OpenSSL's libcrypto 1\.1\.1 or newer \(Debian: apt-get install libssl-dev\)$/m,
     'one line names the library and the package';

done_testing;
