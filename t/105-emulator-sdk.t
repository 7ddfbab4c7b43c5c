# The VOD emulator (t/emulator), part 6: Tencent's official COS SDK for
# Node (cos-nodejs-sdk-v5, installed into t/node by `make setup`) uploads
# through it. sliceUploadFile with the TempCertificate of an ApplyUpload,
# 1 MiB parts, then CommitUpload, and the bytes that landed are checked.
# The SDK first lists the key's multipart uploads (ListMultipartUploads,
# the key as prefix) and resumes one whose parts match the file (ListParts),
# so both lists are served as COS serves them, a page at a time.
#
# The SDK reaches the emulator two ways, both with Protocol http: and the
# bucket's own name in the Host header:
#   Proxy 'http://127.0.0.1:PORT'   the emulator as an HTTP proxy: requests
#                                   in absolute form, http://<bucket>.cos...
#   Ip '127.0.0.1:PORT'             the SDK's own switch: connect there,
#                                   Host: <bucket>.cos.<region>.myqcloud.com

use strict;
use warnings;

use FindBin ();
use lib "$FindBin::Bin/emulator/lib";

use Digest::MD5 qw(md5_hex);
use File::Temp qw(tempdir);
use JSON::PP ();
use Test::More;

use VodEmulator::Control;
use VodEmulator::Crc64 qw(crc64);
use VodEmulator::Sign qw(cos_urlencode);

my $NODE_DIR = "$FindBin::Bin/node";
my $SDK = "$NODE_DIR/node_modules/cos-nodejs-sdk-v5/package.json";
my $MiB = 1024 * 1024;

# a missing SDK is a failure, not a skip: `make setup` installs it
if (!-f $SDK || system('node', '-e', '0') != 0) {
    fail 'node and cos-nodejs-sdk-v5 in t/node: run make setup';
    done_testing;
    exit;
}

my $emu = VodEmulator::Control->start;
my $tmp = tempdir(CLEANUP => 1);

sub bytes_of {
    my ($n, $seed) = @_;
    my $unit = join '', map { chr(($_ * 31 + $seed) % 251) } 0 .. 4095;
    return substr $unit x (int($n / 4096) + 1), 0, $n;
}

sub write_file {
    my ($name, $bytes) = @_;
    my $file = "$tmp/$name";
    open my $fh, '>:raw', $file or die "$file: $!\n";
    print $fh $bytes;
    close $fh or die "$file: $!\n";
    return $file;
}

# sliceUploadFile of $file to $apply's media key; the SDK's JSON answer
sub sdk_upload {
    my ($apply, $file, $via) = @_;
    my $cert = $apply->{TempCertificate};
    my $conf = tempdir(DIR => $tmp);   # no upload ids remembered from before
    my $arg = JSON::PP->new->encode({
        emulator   => $emu->address,
        via        => $via,
        bucket     => $apply->{StorageBucket},
        region     => $apply->{StorageRegion},
        key        => substr($apply->{MediaStoragePath}, 1),
        file       => $file,
        chunk_size => $MiB,
        secret_id  => $cert->{SecretId},
        secret_key => $cert->{SecretKey},
        token      => $cert->{Token},
        conf_dir   => $conf,
    });
    my $pid = open my $out, '-|', 'node', "$NODE_DIR/sdk-upload.js", $arg
        or die "node: $!\n";
    local $SIG{ALRM} = sub { kill 'KILL', $pid; die "node took too long\n" };
    alarm 120;
    my $line = do { local $/; <$out> };
    close $out;
    alarm 0;
    my $r = eval { JSON::PP->new->decode($line // '') };
    return $r // { ok => 0, error => { message => "node said: $line" } };
}

# the COS requests the emulator saw, as "Op" strings
sub cos_ops {
    my ($s) = @_;
    return map { $_->{op} } grep { $_->{op} !~ /^(?:control|ApplyUpload|
                                   CommitUpload)$/x } @{ $s->{requests} };
}

sub object_of {
    my ($s, $apply) = @_;
    my $key = substr $apply->{MediaStoragePath}, 1;
    my ($o) = grep { $_->{bucket} eq $apply->{StorageBucket}
                     && $_->{key} eq $key } @{ $s->{objects} };
    return $o;
}

subtest 'sliceUploadFile through the emulator as a proxy' => sub {
    my $a = $emu->apply_upload(MediaName => 'sdk proxy');
    my $bytes = bytes_of(2 * $MiB + 12345, 7);
    my $file = write_file('proxy.mp4', $bytes);

    my $r = sdk_upload($a, $file, 'proxy');
    ok $r->{ok}, 'the SDK says the upload worked'
        or diag explain $r;
    my $s = $emu->state;
    my @ops = cos_ops($s);
    is $ops[0], 'ListMultipartUploads',
        'it asked for the key\'s uploads first';
    my ($list) = grep { $_->{op} eq 'ListMultipartUploads' }
                 @{ $s->{requests} };
    is $list->{status}, 200, 'and was answered, not refused';
    like $list->{query}, qr/(?:^|&)prefix=\Q@{[ cos_urlencode(substr $a->{MediaStoragePath}, 1) ]}\E(?:&|$)/,
        'with the key as prefix';
    is_deeply [ sort grep { $_ ne 'ListMultipartUploads' } @ops ],
        [ sort qw(InitiateMultipartUpload UploadPart UploadPart UploadPart
                  CompleteMultipartUpload) ],
        'then Initiate, three 1 MiB parts, Complete';
    ok !(grep { ($_->{status} // '') ne '200' && $_->{op} ne 'control' }
         @{ $s->{requests} }), 'every answer 200';

    my $c = $emu->commit_upload($a);
    like $c->{FileId}, qr/^\d+$/, 'CommitUpload';
    $s = $emu->state;
    my $o = object_of($s, $a);
    is $o->{size}, length $bytes, 'the object: size';
    is $o->{md5}, md5_hex($bytes), 'MD5';
    is $o->{crc64}, crc64($bytes), 'CRC-64';
    is $o->{parts}, 3, 'from 3 parts';
    is $r->{data}{crc64}, crc64($bytes),
        'the SDK got that CRC-64 from Complete';
    my ($m) = grep { $_->{FileId} eq $c->{FileId} } @{ $s->{media} };
    is $m->{md5}, md5_hex($bytes), 'the media committed has those bytes';
};

subtest 'sliceUploadFile with Ip resumes an upload, a page at a time' => sub {
    my $a = $emu->apply_upload(MediaName => 'sdk resume');
    my $bytes = bytes_of(3 * $MiB + 999, 11);
    my $file = write_file('resume.mp4', $bytes);

    # an upload left with the file's first two parts, then an empty one
    my $old = $emu->initiate($a);
    $emu->upload_part($a, $old, $_, substr($bytes, ($_ - 1) * $MiB, $MiB))
        for 1, 2;
    my $empty = $emu->initiate($a);
    $emu->config(list_page_max => 1);
    my $t0 = $emu->state->{requests}[-1]{seq};

    my $r = sdk_upload($a, $file, 'ip');
    $emu->config(list_page_max => undef);
    ok $r->{ok}, 'the SDK says the upload worked'
        or diag explain $r;
    is $r->{data}{UploadId}, $old, 'with the upload it found';

    my $s = $emu->state;
    my @new = grep { $_->{seq} > $t0 && $_->{op} ne 'control' }
              @{ $s->{requests} };
    my @lists = grep { $_->{op} eq 'ListMultipartUploads' } @new;
    is scalar @lists, 2, 'ListMultipartUploads: two pages of one';
    like $lists[1]{query}, qr/key-marker=.*upload-id-marker=\Q$old\E/,
        'the second asked from the first\'s markers';
    my @parts = grep { $_->{op} eq 'ListParts' } @new;
    is scalar @parts, 2, 'ListParts: two pages of one part';
    is_deeply [ sort map { $_->{part_number} }
                grep { $_->{op} eq 'UploadPart' } @new ], [ 3, 4 ],
        'only the parts missing were uploaded';
    is_deeply [ map { $_->{upload_id} } @{ $s->{uploads} } ], [ $empty ],
        'the other upload is left open, as the SDK leaves it';

    $emu->commit_upload($a);
    my $o = object_of($emu->state, $a);
    is $o->{size}, length $bytes, 'the object: size';
    is $o->{md5}, md5_hex($bytes), 'MD5';
    is $o->{crc64}, crc64($bytes), 'CRC-64';
    is $o->{parts}, 4, 'from 4 parts';
};

subtest 'the SDK cannot list or write outside the session' => sub {
    my $a = $emu->apply_upload(MediaName => 'mine');
    my $b = $emu->apply_upload(MediaName => 'theirs');
    my $file = write_file('other.mp4', bytes_of(2 * $MiB, 3));
    my $r = sdk_upload({ %$a, MediaStoragePath => $b->{MediaStoragePath} },
                       $file, 'proxy');
    ok !$r->{ok}, 'another session\'s key: the SDK fails';
    is $r->{error}{code}, 'AccessDenied', 'AccessDenied';
    is +(cos_ops($emu->state))[-1], 'ListMultipartUploads',
        'refused at its first step';
};

is $emu->stop, 0, 'stopped';

done_testing;
