# What docs/metrics.md gives users to copy: the Prometheus scrape
# configuration and the alert rules, checked by the real promtool (Debian's
# prometheus package, installed by the setup script); and every metric the
# rules and the reference table name is one the module exports (the
# families of ngx_vod_metrics.c). No nginx needed.

use strict;
use warnings;

use File::Temp qw(tempdir);
use FindBin ();
use Test::More;

my $root = "$FindBin::Bin/..";
my $dir = tempdir(CLEANUP => 1);

sub slurp {
    my $file = shift;
    open my $fh, '<', $file or die "$file: $!\n";
    local $/;
    return <$fh>;
}

my $doc = slurp("$root/docs/metrics.md");
my @yaml = $doc =~ /^```yaml\n(.*?)^```$/msg;

is scalar @yaml, 2, 'metrics.md has two YAML blocks: the scrape '
                    . 'configuration and the rules';

# the families the module renders: the names it writes as strings of
# their own (a family's, or a table's of calls)
my $src = slurp("$root/ngx_http_vod_upload_module/ngx_vod_metrics.c");
my %family = map { $_ => 1 } $src =~ /"(vod_\w+)"/g;
is scalar(keys %family), 15, '15 metric families in the module';

sub promtool {
    my @args = @_;
    my $out = `promtool @args 2>&1`;
    return ($? >> 8, $out);
}

# the scrape configuration, as a whole prometheus.yml

my $config = "$dir/prometheus.yml";
open my $fh, '>', $config or die "$config: $!\n";
print $fh $yaml[0] // '';
close $fh;

my ($rc, $out) = promtool('check', 'config', $config);
is $rc, 0, 'promtool check config passes on the scrape configuration'
    or diag $out;
like $yaml[0] // '', qr/metrics_path: \/vod-status/,
     'it scrapes the location of the example';

# the alert rules

my $rules = "$dir/rules.yml";
open $fh, '>', $rules or die "$rules: $!\n";
print $fh $yaml[1] // '';
close $fh;

($rc, $out) = promtool('check', 'rules', $rules);
is $rc, 0, 'promtool check rules passes on the alert rules' or diag $out;
like $out, qr/SUCCESS: (\d+) rules found/, 'the rules were read';

# every metric they use is one the module exports (a histogram's series
# end in _bucket, _sum or _count)

my %used = map { $_ => 1 } ($yaml[1] // '') =~ /\b(vod_\w+)/g;
ok %used, 'the rules use the module\'s metrics';

for my $m (sort keys %used) {
    my $f = $m;
    $f =~ s/_(?:bucket|sum|count)$// unless $family{$m};
    ok $family{$f}, "the rules' $m is exported";
}

# the reference table names each family, and no other

my %table = map { $_ => 1 } $doc =~ /^\| `(vod_\w+)` \|/mg;

is_deeply [sort keys %table], [sort keys %family],
          'the reference table lists exactly the families exported';

done_testing;
