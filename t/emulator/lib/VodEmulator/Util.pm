package VodEmulator::Util;

# Small helpers shared by the emulator's parts: JSON, ids, dates, XML text.

use strict;
use warnings;

use B ();
use Exporter 'import';
use JSON::PP ();
use MIME::Base64 qw(encode_base64);
use POSIX qw(strftime);
use Time::Local qw(timegm);

our @EXPORT_OK = qw(
    json_encode json_decode json_is_int json_is_string json_is_bool
    random_hex random_chars uuid http_date iso8601 iso8601_ms parse_iso8601
    xml_escape cos_request_id
);

my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;

sub json_encode { $JSON->encode($_[0]) }

# undef (and the error in $@) when the text is not JSON
sub json_decode {
    my ($text) = @_;
    my $v = eval { $JSON->decode($text) };
    return $v;
}

sub json_is_bool { ref $_[0] && JSON::PP::is_bool($_[0]) }

# a JSON number without a fraction, as decoded (not a string "5")
sub json_is_int {
    my ($v) = @_;
    return 0 if !defined $v || ref $v;
    my $f = B::svref_2object(\$v)->FLAGS;
    return 0 if $f & B::SVf_POK;
    return 1 if $f & B::SVf_IOK;
    return ($f & B::SVf_NOK) && $v == int $v ? 1 : 0;
}

sub json_is_string {
    my ($v) = @_;
    return 0 if !defined $v || ref $v;
    my $f = B::svref_2object(\$v)->FLAGS;
    return ($f & B::SVf_POK) ? 1 : 0;
}

sub random_hex {
    my ($n) = @_;
    return join '', map { sprintf '%x', int rand 16 } 1 .. $n;
}

sub random_chars {
    my ($n, $set) = @_;
    my @c = split //, $set
        // 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    return join '', map { $c[ rand @c ] } 1 .. $n;
}

sub uuid {
    my $h = random_hex(32);
    return join '-', substr($h, 0, 8), substr($h, 8, 4),
        '4' . substr($h, 13, 3), substr($h, 16, 4), substr($h, 20, 12);
}

sub http_date {
    my ($t) = @_;
    return strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime $t);
}

sub iso8601 {
    my ($t) = @_;
    return strftime('%Y-%m-%dT%H:%M:%SZ', gmtime $t);
}

# COS's list times: "2030-01-01T00:00:00.000Z"
sub iso8601_ms {
    my ($t) = @_;
    return strftime('%Y-%m-%dT%H:%M:%S', gmtime $t)
         . sprintf('.%03dZ', ($t - int $t) * 1000);
}

# "2030-01-01T00:00:00Z" / "2030-01-01T08:00:00+08:00" -> unix time, or
# undef when the text is not such a date
sub parse_iso8601 {
    my ($s) = @_;
    return undef unless defined $s && $s =~
        /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/;
    my ($y, $mo, $d, $h, $mi, $sec, $tz) = ($1, $2, $3, $4, $5, $6, $7);
    return undef if $mo < 1 || $mo > 12 || $d < 1 || $h > 23 || $mi > 59
        || $sec > 59;
    my @mdays = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31);
    $mdays[1] = 29 if ($y % 4 == 0 && $y % 100 != 0) || $y % 400 == 0;
    return undef if $d > $mdays[ $mo - 1 ];
    my $t = eval { timegm($sec, $mi, $h, $d, $mo - 1, $y) };
    return undef unless defined $t;
    if ($tz ne 'Z') {
        my ($sign, $th, $tm) = $tz =~ /^([+-])(\d\d):(\d\d)$/;
        return undef if $th > 23 || $tm > 59;
        my $off = ($th * 60 + $tm) * 60;
        $t -= $sign eq '+' ? $off : -$off;
    }
    return $t;
}

# element text (the emulator writes no attributes): quotes stay as they
# are, so an ETag reads <ETag>"..."</ETag> as COS writes it
sub xml_escape {
    my ($s) = @_;
    $s = '' unless defined $s;
    $s =~ s/&/&amp;/g;
    $s =~ s/</&lt;/g;
    $s =~ s/>/&gt;/g;
    return $s;
}

# the shape of COS's x-cos-request-id: base64 of a few ids
sub cos_request_id {
    my $raw = join '_', random_hex(8), random_hex(8), random_hex(4),
        int rand 100000;
    my $id = encode_base64($raw, '');
    $id =~ s/=+$//;
    return $id;
}

1;
