# The Debian package (make deb): built like Debian's libnginx-mod-*, it
# installs with apt-get, enables the module through modules-enabled (Debian's
# nginx -t passes, and so does a configuration that uses vod_upload and
# vod_status with it), and once removed leaves nothing enabled; purged,
# nothing at all. Installing a package needs root: skipped without it.

use strict;
use warnings;

use File::Temp qw(tempdir);
use FindBin ();
use Test::More;

plan skip_all => 'installing a Debian package needs root'
    if $> != 0;
plan skip_all => 'not a Debian system (no dpkg, apt-get)'
    unless -x '/usr/bin/dpkg' && -x '/usr/bin/apt-get';

my $root = "$FindBin::Bin/..";
my $name = 'libnginx-mod-http-vod-upload';
my $enabled = '/etc/nginx/modules-enabled/50-mod-http-vod-upload.conf';
my $available = '/usr/share/nginx/modules-available/mod-http-vod-upload.conf';
my $so = '/usr/lib/nginx/modules/ngx_http_vod_upload_module.so';

sub run {
    my $cmd = shift;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

sub installed {
    my ($rc, $out) = run("dpkg-query -W -f='\${db:Status-Status}' $name");
    return $rc == 0 && $out eq 'installed';
}

# one installed on purpose is not touched
plan skip_all => "$name is installed on this machine: this test does not "
                 . "touch it (apt-get purge $name, to run it)"
    if installed();

my ($rc, $out) = run("make -C $root deb");
is $rc, 0, 'make deb builds the package, lintian passes' or diag $out;
unlike $out, qr/^[EW]: /m, 'lintian has no error nor warning';

my ($deb) = glob "$root/build/deb/${name}_*_*.deb";
ok $deb && -f $deb, 'build/deb has the package' or BAIL_OUT('no package');

($rc, $out) = run("dpkg-deb -f $deb Depends");
like $out, qr/\bnginx-abi-[\d.]+-\d+\b/, 'it depends on the nginx ABI it '
                                         . 'was built for';

($rc, $out) = run("DEBIAN_FRONTEND=noninteractive apt-get install -y -q $deb");
is $rc, 0, 'apt-get install ./the.deb' or diag $out;

ok -f $so, "the module is in $so";
ok -f $available, 'its load file is in modules-available';
is readlink($enabled), $available, 'and enabled in modules-enabled';
ok -f "/usr/share/doc/$name/examples/vod-upload.conf",
   'the example configuration is in the docs';
ok -f "/usr/share/doc/$name/directives.md.gz", 'so is the directives\' '
                                                . 'reference';

($rc, $out) = run('/usr/sbin/nginx -t');
is $rc, 0, 'Debian\'s nginx -t passes with the module enabled' or diag $out;

# the packaged example, through modules-enabled, in a configuration of its
# own (the secret key in a file, as the example wants)

my $dir = tempdir(CLEANUP => 1);
my $example = do {
    local $/;
    open my $fh, '<', "/usr/share/doc/$name/examples/vod-upload.conf"
        or die "example: $!\n";
    <$fh>;
};
$example =~ s{/etc/nginx/vod\.key}{$dir/vod.key}g;

open my $fh, '>', "$dir/vod.key" or die "$dir/vod.key: $!\n";
print $fh "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5\n";
close $fh;

open $fh, '>', "$dir/nginx.conf" or die "$dir/nginx.conf: $!\n";
print $fh <<"EOF";
include /etc/nginx/modules-enabled/*.conf;
pid $dir/nginx.pid;
error_log $dir/error.log;
events {}
http {
    access_log off;
$example
}
EOF
close $fh;

($rc, $out) = run("/usr/sbin/nginx -t -e $dir/error.log -c $dir/nginx.conf");
is $rc, 0, 'nginx -t of the packaged example (vod_upload, vod_status) '
           . 'with the module from modules-enabled' or diag $out;

# without the package: the same configuration is refused

($rc, $out) = run("DEBIAN_FRONTEND=noninteractive apt-get remove -y -q $name");
is $rc, 0, 'apt-get remove' or diag $out;

ok !-e $so, 'the module is gone';
my @left = grep { /vod/ } glob '/etc/nginx/modules-enabled/*.conf';
is "@left", '', 'nothing of it is enabled';

($rc, $out) = run("/usr/sbin/nginx -t -e $dir/error.log -c $dir/nginx.conf");
isnt $rc, 0, 'the configuration that uses it no longer passes';
like $out, qr/unknown directive "vod_secret_id"/, 'for want of the module';

($rc, $out) = run('/usr/sbin/nginx -t');
is $rc, 0, 'Debian\'s nginx -t passes without it' or diag $out;

($rc, $out) = run("DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $name");
is $rc, 0, 'apt-get purge' or diag $out;

@left = grep { /vod/ } glob '/etc/nginx/modules-enabled/*';
is "@left", '', 'purged: nothing of it is left in modules-enabled';
ok !installed(), 'the package is not installed';

done_testing;
