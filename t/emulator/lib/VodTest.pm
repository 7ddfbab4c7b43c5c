package VodTest;

# What the module's Test::Nginx-format files share: an emulator started
# once per file, the http{} lines that point the module at it, and checks
# of what the emulator received, run after each block (nginx has stopped
# by then, so an upload's last call, an abort say, is in):
#
#   use FindBin (); use lib "$FindBin::Bin/emulator/lib";
#   use Test::Nginx::Socket 'no_plan';
#   use VodTest;
#   VodTest::setup();
#   run_tests();
#
# Sections a block may have, besides the runner's:
#   --- emulator_ops     the operations the emulator received, in order,
#                        runs of one written "UploadPart*4"
#   --- landed_md5       the MD5 of the one object that landed ("none": no
#                        object landed)
#   --- apply_params     "Name: value" lines: the parameters of the first
#                        ApplyUpload as the emulator received them
#                        (MediaName, SourceContext, ...); "(none)" for
#                        one that was not sent
#   --- no_vod_config    do not add the standard http{} lines
# and every block checks that no multipart upload is left open.
#
# VodTest::bytes(N, SEED) makes N reproducible bytes that do not begin or
# end with white space (the runner trims request bodies, as upstream's).

use strict;
use warnings;

use Digest::MD5 ();
use Test::More;

use VodEmulator::Control;

our $Emu;

our $HttpConfig = <<'_EOC_';
    vod_secret_id       $TEST_NGINX_VOD_SECRET_ID;
    vod_secret_key      $TEST_NGINX_VOD_SECRET_KEY;
    vod_api_endpoint    http://127.0.0.1:$TEST_NGINX_VOD_PORT;
    vod_cos_endpoint    http://127.0.0.1:$TEST_NGINX_VOD_PORT;
_EOC_

sub setup {
    my (%emulator) = @_;

    $Emu = VodEmulator::Control->start(%emulator);
    $Emu->export_env;

    main::add_block_preprocessor(sub {
        my $block = shift;

        $Emu->reset;
        $Emu->clear_faults;
        $Emu->config(cert_lifetime => 3600, answer_bucket => undef,
                     answer_media_path => undef);

        return if defined $block->no_vod_config;

        $block->set_value(http_config => $HttpConfig
                                         . ($block->http_config // ''));
    });

    main::add_test_cleanup_handler(\&check_block);
}

sub check_block {
    my $block = shift;
    my $name = $block->name;
    my $state = $Emu->state('md5=1');

    if (defined(my $want = $block->emulator_ops)) {
        $want =~ s/^\s+|\s+$//g;
        is ops($state), $want, "$name - the emulator received $want";
    }

    if (defined(my $want = $block->apply_params)) {
        my ($apply) = grep { ($_->{op} // '') eq 'ApplyUpload' }
                      @{ $state->{requests} };
        my $params = $apply ? $apply->{params} : {};

        for my $line (grep { /\S/ } split /\n/, $want) {
            my ($field, $value) = $line =~ /^\s*(\w+):\s?(.*?)\s*$/
                or die "$name: bad apply_params line \"$line\"\n";
            my $got = $params->{$field};
            utf8::encode($got) if defined $got && utf8::is_utf8($got);
            is $got // '(none)', $value, "$name - ApplyUpload sent $field";
        }
    }

    if (defined(my $want = $block->landed_md5)) {
        $want =~ s/^\s+|\s+$//g;
        my @objects = @{ $state->{objects} };

        if ($want eq 'none') {
            is scalar @objects, 0, "$name - no object landed";

        } else {
            is join(' ', map { $_->{md5} } @objects), $want,
               "$name - the bytes landed, MD5 $want";
        }
    }

    is scalar @{ $state->{uploads} }, 0,
       "$name - no multipart upload is left open";
}

# the operations received, runs of the same one written "Op*N"
sub ops {
    my $state = shift;
    my @ops = map { $_->{op} } grep { $_->{op} ne 'control' }
              @{ $state->{requests} };
    my @out;

    for my $op (@ops) {
        if (@out && $out[-1][0] eq $op) {
            $out[-1][1]++;
        } else {
            push @out, [$op, 1];
        }
    }

    return join ' ', map { $_->[1] > 1 ? "$_->[0]*$_->[1]" : $_->[0] } @out;
}

# N reproducible bytes; the first and last are not white space
sub bytes {
    my ($n, $seed) = @_;
    srand($seed // 1);

    my $s = join '', map { pack 'N', int rand 4294967296 } 1 .. ($n + 3) / 4;
    substr($s, $n) = '';
    substr($s, 0, 1) = 'B' if $n;
    substr($s, -1, 1) = 'E' if $n > 1;

    return $s;
}

sub md5 {
    return Digest::MD5::md5_hex(bytes(@_));
}

1;
