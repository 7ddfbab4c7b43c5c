package VodEmulator::Faults;

# Fault injection, switched at run time through POST /__emulator/faults.
#
# A fault names an operation and which of its next requests it hits: the
# nth (counted from when the fault was set, default 1) and count of them
# (default 1, 0 = every one from the nth on). Optional filter: part_number
# (UploadPart). What it does:
#   status / code / message   answer with this error instead
#   reset                     reset the connection (reset_after_bytes of
#                             the body first, default 0)
#   delay_ms                  answer late (alone or with another action)
#   complete_200_error        Complete: 200 at once, then an <Error>
#   stream_whitespace         Complete: 200 at once, white space, result
#   wrong_etag / wrong_crc64  a wrong ETag / x-cos-hash-crc64ecma header
#   no_length                 the answer without Content-Length, ended by
#                             closing the connection (alone or with
#                             another action)

use strict;
use warnings;

our @API_OPS = qw(ApplyUpload CommitUpload ProcessMedia
                  ProcessMediaByProcedure PullEvents ConfirmEvents);
our @COS_OPS = qw(PutObject InitiateMultipartUpload UploadPart
                  CompleteMultipartUpload AbortMultipartUpload ListParts
                  ListMultipartUploads GetObject HeadObject DeleteObject);
our @MEDIA_OPS = qw(GetMedia);

my %OPS = map { $_ => 1 } @API_OPS, @COS_OPS, @MEDIA_OPS;
my %HASHES_OPS = map { $_ => 1 }
    qw(PutObject UploadPart CompleteMultipartUpload);
my %KEYS = map { $_ => 1 } qw(op nth count part_number status code message
    reset reset_after_bytes delay_ms complete_200_error stream_whitespace
    wrong_etag wrong_crc64 no_length);

sub new {
    my ($class) = @_;
    return bless { list => [], next_id => 1 }, $class;
}

sub clear { $_[0]{list} = [] }

sub list { [ map { { %$_ } } @{ $_[0]{list} } ] }

# returns the stored fault, or dies with a message for the caller
sub add {
    my ($self, $spec) = @_;
    die "a fault is a JSON object\n" unless ref $spec eq 'HASH';
    for my $k (keys %$spec) {
        die "unknown fault key '$k'\n" unless $KEYS{$k};
    }
    my $op = $spec->{op} // die "a fault needs an op\n";
    die "unknown op '$op' (one of: " . join(' ', sort keys %OPS) . ")\n"
        unless $OPS{$op};
    my %f = (%$spec, id => $self->{next_id}++, seen => 0, hits => 0);
    $f{nth} //= 1;
    $f{count} //= 1;
    for my $k (qw(nth count part_number status delay_ms reset_after_bytes)) {
        next unless defined $f{$k};
        die "$k must be a non-negative integer\n"
            unless $f{$k} =~ /^\d+$/;
        $f{$k} += 0;
    }
    die "nth counts from 1\n" if $f{nth} < 1;
    die "status must be 100..599\n"
        if defined $f{status} && ($f{status} < 100 || $f{status} > 599);
    for my $k (qw(reset complete_200_error stream_whitespace wrong_etag
                  wrong_crc64 no_length)) {
        $f{$k} = $f{$k} ? 1 : 0 if exists $f{$k};
    }
    my $error = defined $f{status} || defined $f{code};
    my @actions = grep { $f{$_} } qw(reset complete_200_error
                                     stream_whitespace wrong_etag wrong_crc64);
    push @actions, 'error' if $error && !$f{complete_200_error};
    die "a fault does one thing: " . join(', ', @actions) . "\n"
        if @actions > 1;
    die "the fault does nothing: give status/code, reset, delay_ms, "
      . "complete_200_error, stream_whitespace, wrong_etag, wrong_crc64 "
      . "or no_length\n"
        unless @actions || defined $f{delay_ms} || $f{no_length};
    die "$actions[0] applies to CompleteMultipartUpload only\n"
        if @actions && $actions[0] =~ /^(?:complete_200_error|stream_whitespace)$/
        && $op ne 'CompleteMultipartUpload';
    die "$actions[0] applies to PutObject, UploadPart and "
      . "CompleteMultipartUpload only\n"
        if @actions && $actions[0] =~ /^wrong_/ && !$HASHES_OPS{$op};
    die "part_number filters UploadPart only\n"
        if defined $f{part_number} && $op ne 'UploadPart';
    $f{action} = $actions[0] // 'delay';
    push @{ $self->{list} }, \%f;
    return { %f };
}

# the fault that hits this request of $op, if any; $info has part_number
sub take {
    my ($self, $op, $info) = @_;
    my $hit;
    for my $f (@{ $self->{list} }) {
        next unless $f->{op} eq $op;
        next if defined $f->{part_number}
            && ($info->{part_number} // -1) != $f->{part_number};
        my $n = ++$f->{seen};
        next if $hit || $n < $f->{nth};
        next if $f->{count} && $f->{hits} >= $f->{count};
        $f->{hits}++;
        $hit = $f;
    }
    return $hit;
}

1;
