package VodEmulator::Sign;

# The signatures of Tencent Cloud, written for the emulator from the
# published algorithms (shared/spec/tencent-vod.md sections 1, 5, 6), on
# their own: nothing here comes from the module's C code.
#
#   TC3-HMAC-SHA256  the VOD API 3.0 request signature
#   q-sign (sha1)    the COS request signature
#   Sign / T         the event callback signature
#
# Both the emulator (to verify) and test code (to sign) use these subs.

use strict;
use warnings;

use Digest::MD5 qw(md5_hex);
use Digest::SHA qw(sha1_hex sha256_hex hmac_sha1_hex hmac_sha256
                   hmac_sha256_hex);
use Exporter 'import';
use POSIX qw(strftime);

our @EXPORT_OK = qw(
    utc_date tc3_canonical_request tc3_string_to_sign tc3_signing_key
    tc3_sign parse_tc3_authorization
    cos_urlencode cos_pairs cos_http_string cos_sign parse_cos_authorization
    uri_decode callback_sign
);


# ---- TC3-HMAC-SHA256 ----

sub utc_date {
    my ($ts) = @_;
    return strftime('%Y-%m-%d', gmtime $ts);
}

# the canonical request: $headers maps lower-case names to values; the
# signed names come in $signed ("content-type;host"); values are trimmed
# and lower-cased, as the algorithm says
sub tc3_canonical_request {
    my (%a) = @_;
    my @names = split /;/, $a{signed_headers};
    my $canon = '';
    for my $n (@names) {
        my $v = $a{headers}{$n} // '';
        $v =~ s/^\s+|\s+$//g;
        $canon .= "$n:" . lc($v) . "\n";
    }
    return join "\n", uc($a{method} // 'POST'), $a{uri} // '/',
        $a{query} // '', $canon, $a{signed_headers},
        sha256_hex($a{payload} // '');
}

sub tc3_string_to_sign {
    my ($timestamp, $service, $canonical) = @_;
    my $scope = utc_date($timestamp) . "/$service/tc3_request";
    return "TC3-HMAC-SHA256\n$timestamp\n$scope\n" . sha256_hex($canonical);
}

# (k_date, k_signing), raw bytes
sub tc3_signing_key {
    my ($secret_key, $date, $service) = @_;
    my $k_date = hmac_sha256($date, "TC3$secret_key");
    my $k_service = hmac_sha256($service, $k_date);
    return ($k_date, hmac_sha256('tc3_request', $k_service));
}

# everything of one signature; arguments: secret_id, secret_key, timestamp,
# service, host, content_type, payload, signed_headers (default
# content-type;host), headers (further lower-case name => value, e.g.
# x-tc-action), method, uri, query
sub tc3_sign {
    my (%a) = @_;
    my $signed = $a{signed_headers} // 'content-type;host';
    my %headers = (%{ $a{headers} // {} }, 'content-type' => $a{content_type},
                   host => $a{host});
    my $canonical = tc3_canonical_request(
        method => $a{method}, uri => $a{uri}, query => $a{query},
        headers => \%headers, signed_headers => $signed,
        payload => $a{payload});
    my $date = utc_date($a{timestamp});
    my $sts = tc3_string_to_sign($a{timestamp}, $a{service}, $canonical);
    my ($k_date, $k_signing) = tc3_signing_key($a{secret_key}, $date,
                                               $a{service});
    my $signature = hmac_sha256_hex($sts, $k_signing);
    my $auth = "TC3-HMAC-SHA256 Credential=$a{secret_id}/$date/$a{service}"
             . "/tc3_request, SignedHeaders=$signed, Signature=$signature";
    return {
        payload_sha256           => sha256_hex($a{payload} // ''),
        canonical_request        => $canonical,
        canonical_request_sha256 => sha256_hex($canonical),
        string_to_sign           => $sts,
        k_date_hex               => unpack('H*', $k_date),
        k_signing_hex            => unpack('H*', $k_signing),
        signature                => $signature,
        authorization            => $auth,
        date                     => $date,
    };
}

# "TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request,
#  SignedHeaders=a;b, Signature=hex" -> hash, or undef when malformed
sub parse_tc3_authorization {
    my ($h) = @_;
    return undef unless defined $h
        && $h =~ /^TC3-HMAC-SHA256\s+(.*)$/s;
    my %f;
    for my $part (split /\s*,\s*/, $1) {
        my ($k, $v) = split /=/, $part, 2;
        return undef unless defined $v;
        $f{$k} = $v;
    }
    return undef unless defined $f{Credential} && defined $f{SignedHeaders}
        && defined $f{Signature};
    my @c = split m{/}, $f{Credential};
    return undef unless @c == 4;
    return {
        secret_id      => $c[0],
        date           => $c[1],
        service        => $c[2],
        terminator     => $c[3],
        signed_headers => $f{SignedHeaders},
        signature      => $f{Signature},
    };
}


# ---- COS q-sign ----

# UTF-8 percent-encoding, upper-case hex, of every byte but A-Z a-z 0-9 - _ . ~
sub cos_urlencode {
    my ($s) = @_;
    $s = '' unless defined $s;
    utf8::encode($s) if utf8::is_utf8($s);
    $s =~ s/([^A-Za-z0-9\-_.~])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

# %XX -> byte (a lone % stays); '+' is not a space here
sub uri_decode {
    my ($s) = @_;
    $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    return $s;
}

# ("k1=v1&k2=v2", "k1;k2") for the chosen names of a name => value hash;
# $names are the names to sign, compared case-insensitively
sub cos_pairs {
    my ($map, $names) = @_;
    my %lc;
    for my $k (keys %$map) {
        $lc{ lc cos_urlencode($k) } = cos_urlencode($map->{$k});
    }
    my @keys = sort map { lc cos_urlencode($_) } @$names;
    my $pairs = join '&', map { "$_=" . ($lc{$_} // '') } @keys;
    return ($pairs, join ';', @keys);
}

# the HttpString; path is the decoded key with its leading /
sub cos_http_string {
    my (%a) = @_;
    utf8::encode($a{path}) if utf8::is_utf8($a{path});
    my ($params) = cos_pairs($a{query} // {}, $a{param_names} // []);
    my ($headers) = cos_pairs($a{headers} // {}, $a{header_names} // []);
    return lc($a{method}) . "\n$a{path}\n$params\n$headers\n";
}

# everything of one signature; arguments: secret_id, secret_key, key_time
# ("start;end"), sign_time (default key_time), method, path (decoded),
# query (hash), headers (hash), header_names / param_names (default: all
# given)
sub cos_sign {
    my (%a) = @_;
    my $query = $a{query} // {};
    my $headers = $a{headers} // {};
    my $pnames = $a{param_names} // [ keys %$query ];
    my $hnames = $a{header_names} // [ keys %$headers ];
    my $sign_time = $a{sign_time} // $a{key_time};
    my (undef, $param_list) = cos_pairs($query, $pnames);
    my (undef, $header_list) = cos_pairs($headers, $hnames);
    my $http = cos_http_string(method => $a{method}, path => $a{path},
        query => $query, headers => $headers,
        param_names => $pnames, header_names => $hnames);
    my $sign_key = hmac_sha1_hex($a{key_time}, $a{secret_key});
    my $sts = "sha1\n$sign_time\n" . sha1_hex($http) . "\n";
    my $signature = hmac_sha1_hex($sts, $sign_key);
    my $auth = "q-sign-algorithm=sha1&q-ak=$a{secret_id}"
             . "&q-sign-time=$sign_time&q-key-time=$a{key_time}"
             . "&q-header-list=$header_list&q-url-param-list=$param_list"
             . "&q-signature=$signature";
    return {
        sign_key         => $sign_key,
        http_string      => $http,
        http_string_sha1 => sha1_hex($http),
        string_to_sign   => $sts,
        header_list      => $header_list,
        url_param_list   => $param_list,
        signature        => $signature,
        authorization    => $auth,
    };
}

# "q-sign-algorithm=sha1&q-ak=...&..." -> hash of its fields, or undef
sub parse_cos_authorization {
    my ($h) = @_;
    return undef unless defined $h;
    my %f;
    for my $part (split /&/, $h) {
        my ($k, $v) = split /=/, $part, 2;
        $f{$k} = $v // '';
    }
    for (qw(q-sign-algorithm q-ak q-sign-time q-key-time q-header-list
            q-url-param-list q-signature)) {
        return undef unless defined $f{$_};
    }
    return \%f;
}


# ---- event callbacks ----

# Sign = lower(hex(MD5(SignKey . T)))
sub callback_sign {
    my ($key, $t) = @_;
    return lc md5_hex($key . $t);
}

1;
