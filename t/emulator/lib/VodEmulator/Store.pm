package VodEmulator::Store;

# Where COS's bytes go: files under --data, never whole in memory.
#
#   DIR/tmp/       bodies being received (a Sink per request)
#   DIR/uploads/   parts of open multipart uploads
#   DIR/objects/   objects: one file (PUT) or the part files (Complete), so
#                  that a Complete of 1 GiB renames files instead of copying
#
# Each body is hashed as it arrives (MD5 and CRC-64); a completed multipart
# object's CRC-64 is combined from its parts' at once, its MD5 is computed
# the first time someone asks for it.

use strict;
use warnings;

use Digest::MD5 ();
use File::Path qw(make_path remove_tree);

use VodEmulator::Crc64 qw(crc64 crc64_combine);

use constant MIN_PART => 1024 * 1024;

# DIR must be new, empty, or one the emulator used before (it holds the
# marker file .vod-emulator): its content is deleted at start and on reset
sub new {
    my ($class, $dir) = @_;
    make_path($dir) unless -d $dir;
    die "vod-emulator: --data $dir is not a writable directory\n"
        unless -d $dir && -w $dir;
    my $marker = "$dir/.vod-emulator";
    if (!-e $marker) {
        opendir my $dh, $dir or die "vod-emulator: $dir: $!\n";
        my @other = grep { !/^\.\.?$/ } readdir $dh;
        die "vod-emulator: --data $dir is not empty and was not made by the "
          . "emulator (no .vod-emulator in it): give an empty directory\n"
            if @other;
        open my $fh, '>', $marker or die "vod-emulator: $marker: $!\n";
        print $fh "vod-emulator data: tmp/ uploads/ objects/ are emptied "
                . "at start and on reset\n";
        close $fh;
    }
    my $self = bless { dir => $dir, seq => 0 }, $class;
    $self->reset;
    return $self;
}

sub reset {
    my ($self) = @_;
    for my $sub (qw(tmp uploads objects)) {
        my $d = "$self->{dir}/$sub";
        remove_tree($d) if -d $d;
        make_path($d);
        die "vod-emulator: cannot create $d\n" unless -d $d && -w $d;
    }
    $self->{objects} = {};      # "bucket\nkey" => object
    $self->{uploads} = {};      # upload id => upload
}

sub next_name {
    my ($self, $sub, $suffix) = @_;
    return sprintf '%s/%s/%06d%s', $self->{dir}, $sub, ++$self->{seq},
        $suffix // '';
}

sub sink {
    my ($self) = @_;
    return VodEmulator::Store::Sink->new($self->next_name('tmp', '.body'));
}


# ---- objects ----

sub object_key { "$_[0]\n$_[1]" }

sub get_object {
    my ($self, $bucket, $key) = @_;
    return $self->{objects}{ object_key($bucket, $key) };
}

sub replace_object {
    my ($self, $obj) = @_;
    my $k = object_key($obj->{bucket}, $obj->{key});
    if (my $old = $self->{objects}{$k}) {
        unlink $_->[0] for @{ $old->{segments} };
    }
    $self->{objects}{$k} = $obj;
    return $obj;
}

# a finished Sink becomes the object's one file
sub put_object {
    my ($self, $bucket, $key, $body, %meta) = @_;
    my $file = $self->next_name('objects', '.obj');
    rename $body->{file}, $file or die "vod-emulator: rename: $!\n";
    return $self->replace_object({
        bucket       => $bucket,
        key          => $key,
        size         => $body->{size},
        md5          => $body->{md5},
        crc64        => $body->{crc64},
        etag         => qq("$body->{md5}"),
        segments     => [ [ $file, 0, $body->{size} ] ],
        content_type => $meta{content_type},
        mtime        => $meta{mtime},
        parts        => 0,
    });
}

sub delete_object {
    my ($self, $bucket, $key) = @_;
    my $obj = delete $self->{objects}{ object_key($bucket, $key) } or return;
    unlink $_->[0] for @{ $obj->{segments} };
    return $obj;
}

# MD5 of the whole object, computed once (multipart objects) on demand
sub object_md5 {
    my ($self, $obj) = @_;
    return $obj->{md5} if defined $obj->{md5};
    my $md5 = Digest::MD5->new;
    for my $seg (@{ $obj->{segments} }) {
        my ($file, $off, $len) = @$seg;
        open my $fh, '<:raw', $file or die "vod-emulator: $file: $!\n";
        sysseek $fh, $off, 0;
        while ($len > 0) {
            my $n = sysread $fh, my $buf, $len < 1 << 20 ? $len : 1 << 20;
            die "vod-emulator: short read in $file\n" unless $n;
            $md5->add($buf);
            $len -= $n;
        }
        close $fh;
    }
    return $obj->{md5} = $md5->hexdigest;
}

sub objects { values %{ $_[0]{objects} } }


# ---- multipart uploads ----

sub initiate {
    my ($self, $bucket, $key, $id, %meta) = @_;
    return $self->{uploads}{$id} = {
        id           => $id,
        seq          => ++$self->{upload_seq},  # the order of initiation
        bucket       => $bucket,
        key          => $key,
        parts        => {},
        initiated    => $meta{mtime},
        content_type => $meta{content_type},
    };
}

sub upload { $_[0]{uploads}{ $_[1] } }

sub uploads { values %{ $_[0]{uploads} } }

# the open uploads of a bucket whose key starts with $prefix, by key, then
# in the order they were initiated (as COS and S3 list them)
sub uploads_by_key {
    my ($self, $bucket, $prefix) = @_;
    return sort { $a->{key} cmp $b->{key} || $a->{seq} <=> $b->{seq} }
           grep { $_->{bucket} eq $bucket
                  && substr($_->{key}, 0, length $prefix) eq $prefix }
           values %{ $self->{uploads} };
}

# the same number again replaces the part
sub put_part {
    my ($self, $upload, $n, $body, $mtime) = @_;
    my $file = $self->next_name('uploads', ".$upload->{id}.$n");
    rename $body->{file}, $file or die "vod-emulator: rename: $!\n";
    if (my $old = $upload->{parts}{$n}) {
        unlink $old->{file};
    }
    return $upload->{parts}{$n} = {
        number => $n,
        file   => $file,
        size   => $body->{size},
        md5    => $body->{md5},
        crc64  => $body->{crc64},
        etag   => qq("$body->{md5}"),
        mtime  => $mtime,
    };
}

sub abort {
    my ($self, $upload) = @_;
    delete $self->{uploads}{ $upload->{id} };
    unlink $_->{file} for values %{ $upload->{parts} };
}

# $list: [[number, etag]...] as the client sent them. Returns the new
# object, or (undef, code, message).
sub complete {
    my ($self, $upload, $list, %meta) = @_;
    my $prev = 0;
    for my $p (@$list) {
        return (undef, 'InvalidPartOrder',
                "The list of parts was not in ascending order: part $p->[0] "
              . "after part $prev.")
            if $p->[0] <= $prev;
        $prev = $p->[0];
    }
    my @parts;
    for my $p (@$list) {
        my ($n, $etag) = @$p;
        my $part = $upload->{parts}{$n};
        (my $want = lc($etag // '')) =~ s/^\s*"?|"?\s*$//g;
        return (undef, 'InvalidPart',
                "One or more of the specified parts could not be found: "
              . "part $n was not uploaded.")
            unless $part;
        return (undef, 'InvalidPart',
                "The ETag of part $n does not match: given $etag, "
              . "stored $part->{etag}.")
            unless $want eq $part->{md5};
        push @parts, $part;
    }
    for my $i (0 .. $#parts - 1) {
        my $part = $parts[$i];
        return (undef, 'EntityTooSmall',
                "Your proposed upload is smaller than the minimum allowed "
              . "object size: part $part->{number} has $part->{size} bytes, "
              . "every part but the last needs at least " . MIN_PART . ".")
            if $part->{size} < MIN_PART;
    }

    my ($size, $crc, $md5s, @segments) = (0, 0, '');
    for my $part (@parts) {
        my $file = $self->next_name('objects', ".part$part->{number}");
        rename $part->{file}, $file or die "vod-emulator: rename: $!\n";
        push @segments, [ $file, 0, $part->{size} ];
        $crc = crc64_combine($crc, $part->{crc64}, $part->{size});
        $size += $part->{size};
        $md5s .= pack 'H*', $part->{md5};
        delete $upload->{parts}{ $part->{number} };
    }
    $self->abort($upload);      # parts not listed are dropped
    my $etag = sprintf '"%s-%d"', Digest::MD5::md5_hex($md5s), scalar @parts;
    return $self->replace_object({
        bucket       => $upload->{bucket},
        key          => $upload->{key},
        size         => $size,
        md5          => @parts == 1 ? $parts[0]{md5} : undef,
        crc64        => $crc,
        etag         => $etag,
        segments     => \@segments,
        content_type => $upload->{content_type},
        mtime        => $meta{mtime},
        parts        => scalar @parts,
    });
}


package VodEmulator::Store::Sink;

# a request body on its way to disk, hashed as it goes

use Digest::MD5 ();
use VodEmulator::Crc64 qw(crc64);

sub new {
    my ($class, $file) = @_;
    open my $fh, '>:raw', $file or die "vod-emulator: $file: $!\n";
    return bless { file => $file, fh => $fh, md5 => Digest::MD5->new,
                   crc => 0, size => 0 }, $class;
}

# a failed write (disk full) is remembered, the rest of the body dropped,
# and the request answered with an error
sub write {
    my ($self, $data) = @_;
    return if defined $self->{error};
    my $len = length $data;
    my $off = 0;
    while ($off < $len) {
        my $n = syswrite $self->{fh}, $data, $len - $off, $off;
        if (!defined $n) {
            $self->{error} = "write $self->{file}: $!";
            return;
        }
        $off += $n;
    }
    $self->{md5}->add($data);
    $self->{crc} = crc64($data, $self->{crc});
    $self->{size} += $len;
}

sub finish {
    my ($self) = @_;
    return if $self->{done};
    close $self->{fh};
    $self->{done} = 1;
    $self->{result} = {
        file  => $self->{file},
        size  => $self->{size},
        md5   => $self->{md5}->hexdigest,
        crc64 => $self->{crc},
        error => $self->{error},
    };
}

sub result { $_[0]{result} }

sub abort {
    my ($self) = @_;
    close $self->{fh} unless $self->{done};
    $self->{done} = 1;
    unlink $self->{file};
}

1;
