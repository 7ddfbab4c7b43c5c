# ngx_http_vod_upload_module
#
#   make            build the dynamic module and the unit test programs
#   make test       install what is missing, build, run every test
#   make demo       install what is missing, build, run the demo
#   make bench      benchmarks (never part of the tests)
#   make bench-upload  1 GiB PUT: the module against proxy_pass (MB/s, ratio,
#                   peak worker RSS)
#   make bench-tus  1 GiB by tus against a PUT through the module, same run
#                   (MB/s, ratio, CPU s per GiB, peak worker RSS)
#   make bench-events  pushed VOD events per second through vod_callback
#                   (signature checked, handed on) on one worker, by wrk,
#                   against a plain return 200, error_log info and notice,
#                   access_log on and off, same run
#   make fuzz       libFuzzer targets of the parsers of untrusted bytes
#                   (clang, ASan + UBSan), FUZZ_SECONDS each (default 60)
#   make soak       1,000 uploads (PUT, tus, forms; HTTP/1.1, chunked,
#                   HTTP/2, Expect; 8 at once) under random emulator faults
#                   and HUP/QUIT/TERM to nginx, each checked against the
#                   emulator's state (t/soak/soak.pl; SOAK_SEED,
#                   SOAK_UPLOADS, SOAK_ROUND). Never part of make test
#   make test-nginx-versions  the suite against nginx built from source
#                   (NGINX_VERSIONS, default 1.22 and 1.26), the module
#                   dynamic and static (scripts/nginx-versions.sh); about
#                   20 minutes, never part of make test
#   make deb        the Debian package libnginx-mod-http-vod-upload
#                   (packaging/debian), built like Debian's libnginx-mod-*,
#                   then lintian: build/deb/*.deb
#   make setup      install the Debian packages the project needs
#   make test-asan  the whole suite with the module and the unit programs
#                   built with ASan + UBSan (build/asan), nginx with the
#                   ASan runtime preloaded; a sanitizer report fails
#   make test-valgrind  the whole suite with nginx under valgrind memcheck
#                   (t/valgrind.suppress); a valgrind report fails
#
# The module is built the way Debian builds nginx modules: configure with
# Debian's own flags (conf_flags), so that /usr/sbin/nginx accepts the
# .so as binary compatible.

SHELL      := /bin/bash
ROOT       := $(abspath .)
SRC        := $(ROOT)/ngx_http_vod_upload_module
BUILD      := build
NGX_BUILD  := $(ROOT)/build/nginx
MODULE     := $(NGX_BUILD)/ngx_http_vod_upload_module.so
NGINX      ?= /usr/sbin/nginx

# Debian ships the headers and build scripts of its nginx here; configure
# writes a Makefile into that directory, so a user who may not write there
# gets a private copy.
NGX_SRC_SYSTEM := /usr/share/nginx/src
NGX_SRC    ?= $(shell if [ -w $(NGX_SRC_SYSTEM) ]; then \
                 echo $(NGX_SRC_SYSTEM); else echo $(ROOT)/build/nginx-src; fi)

# the same hardening flags Debian builds its nginx with; EXTRA_CFLAGS and
# EXTRA_LDFLAGS add to them (sanitizer builds, -O0 debugging)
NGX_CC_OPT := -g -O2 -fPIC -fstack-protector-strong -Wformat \
              -Werror=format-security -D_FORTIFY_SOURCE=2 $(EXTRA_CFLAGS)
NGX_LD_OPT := -Wl,-z,relro -Wl,-z,now -fPIC $(EXTRA_LDFLAGS)

CC         ?= cc
UNIT_CFLAGS := -std=gnu99 -O2 -g -Wall -Wextra -Werror -I$(SRC) \
               $(EXTRA_CFLAGS)
UNIT_LIBS  := -lcrypto -lcjson $(EXTRA_LDFLAGS)

UNITS      := crc64 tc3 cos_sign api_json cos_xml params parts journal seal tus \
              form http metrics
UNIT_BINS  := $(UNITS:%=$(BUILD)/unit/test_%)

# the fuzz targets (t/fuzz/fuzz_X.c for ngx_vod_X.c), and the programs
# that replay their corpora in make test
FUZZ_TARGETS := form api_json cos_xml params tus seal journal parts crc64 http \
                metrics
REPLAY_BINS  := $(FUZZ_TARGETS:%=$(BUILD)/unit/replay_%)

MODULE_SOURCES := $(wildcard $(SRC)/*.c $(SRC)/*.h) $(ROOT)/config

export TEST_NGINX_BINARY       ?= $(NGINX)
export TEST_NGINX_LOAD_MODULES ?= $(MODULE)


.PHONY: deb setup-deb test-nginx-versions all module unit test unit-test nginx-test setup demo bench fuzz \
        bench-upload bench-tus bench-events soak clean test-asan asan \
        test-valgrind setup-heavy

all: module unit emulator tools

module: $(MODULE)

unit: $(UNIT_BINS) $(REPLAY_BINS)


$(NGX_SRC_SYSTEM)/conf_flags:
	@echo "$@ is missing: run 'make setup' (as root) to install nginx-dev" >&2
	@exit 1

$(ROOT)/build/nginx-src/conf_flags: $(NGX_SRC_SYSTEM)/conf_flags
	rm -rf $(ROOT)/build/nginx-src
	mkdir -p $(ROOT)/build
	cp -r $(NGX_SRC_SYSTEM) $(ROOT)/build/nginx-src

$(NGX_BUILD)/Makefile: $(ROOT)/config $(NGX_SRC)/conf_flags
	mkdir -p $(NGX_BUILD)
	cd $(NGX_SRC) && . ./conf_flags && ./configure \
	    "$${NGX_CONF_FLAGS[@]}" \
	    --with-cc-opt='$(NGX_CC_OPT)' --with-ld-opt='$(NGX_LD_OPT)' \
	    --add-dynamic-module=$(ROOT) --builddir=$(NGX_BUILD) \
	    > $(NGX_BUILD)/configure.log 2>&1 \
	  || { tail -n 20 $(NGX_BUILD)/configure.log >&2; exit 1; }

$(MODULE): $(NGX_BUILD)/Makefile $(MODULE_SOURCES)
	$(MAKE) -f $(NGX_BUILD)/Makefile -C $(NGX_SRC) modules


# unit test programs: t/unit/test_X.c tests ngx_vod_X.c; a unit that needs
# another lists it in UNIT_EXTRA_X
.SECONDEXPANSION:

$(BUILD)/unit/test_%: $(ROOT)/t/unit/test_%.c $(SRC)/ngx_vod_%.c \
        $(SRC)/ngx_vod_%.h $(SRC)/ngx_vod_common.h \
        $(ROOT)/t/unit/ngx_vod_test.h $$(UNIT_EXTRA_$$*)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ $(ROOT)/t/unit/test_$*.c $(SRC)/ngx_vod_$*.c \
	    $(UNIT_EXTRA_$*) $(UNIT_LIBS)


# fuzz targets: t/fuzz/fuzz_X.c fuzzes ngx_vod_X.c, from the seeds in
# t/fuzz/corpus/X (what it finds is kept in build/fuzz/corpus/X; a crash
# is written to build/fuzz/ and fails the target).  make test replays
# each corpus through a plain main() built with the unit tests' compiler
# (build/unit/replay_X), so no clang is needed for that.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_CFLAGS  := -std=gnu99 -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined -I$(SRC) -I$(ROOT)/t/fuzz

$(BUILD)/fuzz/fuzz_%: $(ROOT)/t/fuzz/fuzz_%.c $(ROOT)/t/fuzz/fuzz.h \
        $(SRC)/ngx_vod_%.c $(SRC)/ngx_vod_%.h $(SRC)/ngx_vod_common.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(ROOT)/t/fuzz/fuzz_$*.c \
	    $(SRC)/ngx_vod_$*.c $(UNIT_LIBS)

$(BUILD)/unit/replay_%: $(ROOT)/t/fuzz/replay.c $(ROOT)/t/fuzz/fuzz_%.c \
        $(ROOT)/t/fuzz/fuzz.h $(SRC)/ngx_vod_%.c $(SRC)/ngx_vod_%.h \
        $(SRC)/ngx_vod_common.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -Wno-unused-function -I$(ROOT)/t/fuzz \
	    -DFUZZ_CORPUS='"$(ROOT)/t/fuzz/corpus/$*"' -o $@ \
	    $(ROOT)/t/fuzz/replay.c $(ROOT)/t/fuzz/fuzz_$*.c $(SRC)/ngx_vod_$*.c \
	    $(UNIT_LIBS)

fuzz: setup-heavy
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(BUILD)/fuzz/corpus/$$t; \
	    echo "fuzz: $$t, $(FUZZ_SECONDS) s"; \
	    $(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -artifact_prefix=$(BUILD)/fuzz/$$t- -print_final_stats=1 \
	        $(BUILD)/fuzz/corpus/$$t $(ROOT)/t/fuzz/corpus/$$t \
	        2> $(BUILD)/fuzz/$$t.log \
	      || { tail -n 40 $(BUILD)/fuzz/$$t.log; exit 1; }; \
	    grep -E '^stat::number_of_executed_units|^stat::peak_rss' \
	        $(BUILD)/fuzz/$$t.log; \
	done

setup:
	@$(ROOT)/scripts/setup.sh

# what the heavier runs need besides (clang, libFuzzer, valgrind, ...)
setup-heavy:
	@$(ROOT)/scripts/setup.sh heavy

# the suite against other nginx versions, built from Debian's sources
NGINX_VERSIONS ?= 1.22 1.26

test-nginx-versions: setup
	@$(MAKE) --no-print-directory all
	$(ROOT)/scripts/nginx-versions.sh $(NGINX_VERSIONS)

# what make deb needs besides (debhelper, lintian)
setup-deb:
	@$(ROOT)/scripts/setup.sh deb

# The Debian package: the sources a package needs (config, the module,
# the docs, packaging/) copied to build/deb/src with packaging/debian as
# its debian/, dpkg-buildpackage there (the nginx debhelper sequence of
# nginx-dev does the rest), lintian over the result.
DEB_NAME    := libnginx-mod-http-vod-upload
DEB_VERSION := $(shell sed -n '1s/.*(\(.*\)).*/\1/p' \
                   $(ROOT)/packaging/debian/changelog)
DEB_SRC     := $(BUILD)/deb/src/$(DEB_NAME)-$(DEB_VERSION)

deb: setup-deb
	rm -rf $(BUILD)/deb
	mkdir -p $(DEB_SRC)
	cp -R $(ROOT)/config $(ROOT)/README.md $(ROOT)/ngx_http_vod_upload_module \
	    $(ROOT)/docs $(ROOT)/packaging $(DEB_SRC)/
	cp -R $(ROOT)/packaging/debian $(DEB_SRC)/debian
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc
	mv $(BUILD)/deb/src/*.deb $(BUILD)/deb/src/*.changes \
	    $(BUILD)/deb/src/*.buildinfo $(BUILD)/deb/
	lintian --info $(BUILD)/deb/$(DEB_NAME)_$(DEB_VERSION)_*.changes
	@ls -l $(BUILD)/deb/*.deb

# the whole suite: unit programs and t/*.t, one prove run, one summary
test: setup
	@$(MAKE) --no-print-directory all
	prove -I $(ROOT)/t/lib $(UNIT_BINS) $(REPLAY_BINS) -r $(ROOT)/t

unit-test: unit
	prove $(UNIT_BINS) $(REPLAY_BINS)

nginx-test: module
	prove -I $(ROOT)/t/lib -r $(ROOT)/t

demo: setup
	@$(MAKE) --no-print-directory all
	@$(ROOT)/scripts/demo.sh

# benchmarks print figures and ratios; a timing never fails them
bench:
	@$(MAKE) --no-print-directory -C $(ROOT)/bench

# the upload benchmark alone (UPLOAD_BENCH_ARGS, see bench/upload_bench)
bench-upload:
	@$(MAKE) --no-print-directory -C $(ROOT)/bench upload

# tus against PUT (TUS_BENCH_ARGS, see bench/upload_bench --tus)
bench-tus:
	@$(MAKE) --no-print-directory -C $(ROOT)/bench tus

# pushed events per second (EVENTS_BENCH_ARGS, see bench/events_bench)
bench-events:
	@$(MAKE) --no-print-directory -C $(ROOT)/bench events

# the soak: many uploads under random faults, invariants checked against
# the emulator (SOAK_SEED, SOAK_UPLOADS, SOAK_CONCURRENCY, SOAK_ROUND; see
# docs/testing.md); its nginx, emulator and logs are in build/soak
soak: setup
	@$(MAKE) --no-print-directory all
	SOAK_NGINX=$(NGINX) SOAK_MODULE=$(MODULE) perl $(ROOT)/t/soak/soak.pl

clean:
	rm -rf $(BUILD) $(ROOT)/t/servroot*


# emulator XS (t/emulator)
# The VOD emulator's CRC-64 (t/emulator/xs/Crc64.xs), built as a Perl XS
# library into build/perl, where t/emulator/lib/VodEmulator/Crc64.pm loads
# it from. Needs perl's headers (package perl) and xsubpp.
EMU_XS     := $(ROOT)/t/emulator/xs/Crc64.xs
EMU_XS_C   := $(ROOT)/build/emulator/Crc64.c
EMU_XS_SO  := $(ROOT)/build/perl/auto/VodEmulator/Crc64/Crc64.so

.PHONY: emulator tools

# test tools loaded into nginx (t/tools): malloc failures on demand
TOOLS      := $(ROOT)/build/tools/failmalloc.so

tools: $(TOOLS)

$(ROOT)/build/tools/%.so: $(ROOT)/t/tools/%.c
	@mkdir -p $(@D)
	$(CC) -shared -fPIC -O2 -Wall -Wextra -Werror -o $@ $<

emulator: $(EMU_XS_SO)

$(EMU_XS_SO): $(EMU_XS)
	@mkdir -p $(dir $(EMU_XS_C)) $(@D)
	xsubpp -typemap $$(perl -MConfig -e 'print $$Config{privlibexp}')/ExtUtils/typemap \
	    -output $(EMU_XS_C) $(EMU_XS)
	$(CC) -shared -fPIC -O2 -Wall $$(perl -MExtUtils::Embed -e ccopts) \
	    -o $@ $(EMU_XS_C)


# ---- sanitizers: make test-asan ----
# The module and the unit programs built with ASan + UBSan into build/asan
# (the normal build/nginx and build/unit are left alone), then the whole
# suite against Debian's /usr/sbin/nginx with the ASan runtime preloaded
# (build/asan/nginx: a wrapper script, so that the files that start nginx
# themselves, t/001, t/019, t/023, get it too).  A sanitizer report in an
# nginx log fails its block (the runner looks for them in every block);
# a unit program halts at its first one (-fno-sanitize-recover).
ASAN_DIR    := $(ROOT)/build/asan
SAN_CFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer
SAN_LDFLAGS := -fsanitize=address,undefined
ASAN_RT      = $(shell $(CC) -print-file-name=libasan.so)
# detect_leaks=0: LeakSanitizer is not for an nginx that is not
# instrumented (see docs/testing.md, "Sanitizers"); make test-valgrind
# checks leaks.  verify_asan_link_order=0: t/018 preloads its own malloc()
# before the runtime (t/tools/failmalloc.c forwards to the runtime's).
# t/014's peak-RSS bound (56 MiB) times this under ASan: measured on a
# 1 GiB upload, 66.0 to 71.4 MB with ASan (runtime, shadow, redzones,
# quarantine) where the same worker peaks at ~47 MiB without
ASAN_RSS_FACTOR    ?= 1.5
ASAN_TEST_OPTIONS  ?= detect_leaks=0:verify_asan_link_order=0:abort_on_error=0:print_summary=1
UBSAN_TEST_OPTIONS ?= print_stacktrace=1:halt_on_error=0

asan: setup-check-asan
	@$(MAKE) --no-print-directory NGX_BUILD=$(ASAN_DIR)/nginx \
	    EXTRA_CFLAGS='$(SAN_CFLAGS)' EXTRA_LDFLAGS='$(SAN_LDFLAGS)' \
	    $(ASAN_DIR)/nginx/ngx_http_vod_upload_module.so
	@$(MAKE) --no-print-directory BUILD=build/asan \
	    EXTRA_CFLAGS='$(SAN_CFLAGS) -fno-sanitize-recover=undefined' \
	    EXTRA_LDFLAGS='$(SAN_LDFLAGS)' \
	    $(UNITS:%=build/asan/unit/test_%) $(FUZZ_TARGETS:%=build/asan/unit/replay_%)
	@$(MAKE) --no-print-directory emulator tools
	@printf '%s\n' '#!/bin/sh' \
	    '# make test-asan: Debian'"'"'s nginx with the ASan runtime preloaded' \
	    '# (after what the caller preloads: t/018'"'"'s failing malloc)' \
	    'LD_PRELOAD="$${LD_PRELOAD:+$$LD_PRELOAD }$(ASAN_RT)" exec $(NGINX) "$$@"' \
	    > $(ASAN_DIR)/nginx-asan
	@chmod +x $(ASAN_DIR)/nginx-asan

.PHONY: setup-check-asan
setup-check-asan:
	@test -f "$(ASAN_RT)" || { echo "no ASan runtime ($(CC) -print-file-name=libasan.so): install libasan8" >&2; exit 1; }

test-asan: setup-heavy
	@$(MAKE) --no-print-directory asan
	TEST_NGINX_BINARY=$(ASAN_DIR)/nginx-asan \
	TEST_NGINX_LOAD_MODULES=$(ASAN_DIR)/nginx/ngx_http_vod_upload_module.so \
	TEST_NGINX_SANITIZER=asan TEST_NGINX_RSS_FACTOR=$(ASAN_RSS_FACTOR) \
	ASAN_OPTIONS='$(ASAN_TEST_OPTIONS)' UBSAN_OPTIONS='$(UBSAN_TEST_OPTIONS)' \
	    prove -I $(ROOT)/t/lib $(UNITS:%=build/asan/unit/test_%) \
	        $(FUZZ_TARGETS:%=build/asan/unit/replay_%) -r $(ROOT)/t

# ---- valgrind: make test-valgrind ----
# The whole suite with each nginx the runner starts under valgrind's
# memcheck (TEST_NGINX_USE_VALGRIND=1, as upstream Test::Nginx: leaks
# checked, t/valgrind.suppress for the false positives of nginx, OpenSSL
# and glibc); what valgrind reports fails the block.  The normal build of
# the module (its -O2 -g).  Timeouts of the runner and of VodTest's waits
# are multiplied by TEST_NGINX_TIMEOUT_FACTOR (10 unless set); t/014 sends
# 64 MiB instead of 1 GiB.  The nginx that t/001, t/019 and t/023 start
# themselves run without valgrind.  The unit programs run under valgrind
# too (scripts/valgrind-exec.sh: prove --exec, one run, one summary).

test-valgrind: setup-heavy
	@$(MAKE) --no-print-directory all
	@command -v valgrind > /dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
	TEST_NGINX_USE_VALGRIND=1 PERL5LIB=$(ROOT)/t/lib$${PERL5LIB:+:$$PERL5LIB} \
	    prove --exec $(ROOT)/scripts/valgrind-exec.sh \
	        $(UNIT_BINS) $(REPLAY_BINS) -r $(ROOT)/t
