package VodEmulator::Crc64;

# CRC-64/XZ (x-cos-hash-crc64ecma) from a small XS library built by make
# into build/perl (t/emulator/xs/Crc64.xs). Loading fails with a clear
# message when it has not been built.

use strict;
use warnings;

use Exporter 'import';
use File::Basename ();
use File::Spec ();

our @EXPORT_OK = qw(crc64 crc64_combine);
our $VERSION = '0.01';

# build/perl of the checkout this file is in (t/emulator/lib/VodEmulator/),
# or VOD_EMULATOR_XS_DIR
sub xs_dir {
    return $ENV{VOD_EMULATOR_XS_DIR} if $ENV{VOD_EMULATOR_XS_DIR};
    my $here = File::Spec->rel2abs(File::Basename::dirname(__FILE__));
    return File::Spec->catdir($here, (File::Spec->updir) x 4, 'build', 'perl');
}

sub load_xs {
    my $dir = xs_dir();
    my $so = File::Spec->catfile($dir, qw(auto VodEmulator Crc64 Crc64.so));
    die "vod-emulator: the CRC-64 XS library $so is missing: "
      . "run make first\n" unless -f $so;
    require DynaLoader;
    local @DynaLoader::dl_library_path = ($dir, @DynaLoader::dl_library_path);
    local @INC = ($dir, @INC);
    our @ISA = ('DynaLoader');
    eval { __PACKAGE__->bootstrap($VERSION); 1 }
      or die "vod-emulator: cannot load $so ($@): run make first\n";
}

load_xs();

1;
