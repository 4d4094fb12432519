# rso: build, test, install, demo, bench, fuzz.  Plain make + pkg-config.
# SPDX-License-Identifier: ISC

VERSION  = 0.1.0
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
SHAREDIR ?= $(PREFIX)/share/rso

CC      ?= cc
CFLAGS  ?= -O2 -g
WERROR  ?=
O       ?= build

# libxml-2.0: C-CDA documents and XDM metadata are XML (never parsed by hand).
# zlib: the deflated DICOM transfer syntax is raw deflate, which libarchive
# does not expose as a stream filter.
#
# pkg-config is asked when a recipe first needs its answer, never while
# make parses this file (each answer is then kept: the eval below), so a
# build that follows scripts/bootstrap sees what it installed.  The targets
# that install what is missing (demo, check, bench, fuzz) run bootstrap
# and then a second make; a plain "make" on a machine without the
# libraries stops at pkgcheck and says what to run.
PKGS = libarchive jansson libgcrypt sqlite3 zlib libxml-2.0
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell pkg-config --cflags $(PKGS) 2>/dev/null))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(shell pkg-config --libs $(PKGS) 2>/dev/null))$(PKG_LIBS)
SUBMAKE     = $(MAKE) --no-print-directory
# libunistring (Debian libunistring-dev: Unicode case folding and
# normalisation for rso_fold) ships no pkg-config file.  -pthread: a
# segment's ciphertext is hashed on a second thread (rso_hash_bg.c).
NOPC_LIBS = -lunistring -pthread

ALL_CFLAGS = -std=c17 -D_GNU_SOURCE -pthread \
	-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-missing-field-initializers $(WERROR) \
	-DRSO_VERSION='"$(VERSION)"' -DRSO_SHAREDIR='"$(SHAREDIR)"' \
	-Ilib $(PKG_CFLAGS) $(CFLAGS) -MMD -MP

PROGS = $(sort $(patsubst cmd/%.c,%,$(wildcard cmd/rso-*.c)) \
	$(patsubst cmd/%/,%,$(dir $(wildcard cmd/rso-*/main.c))))
LIB_SRC  = $(wildcard lib/*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(O)/%.o)
UNIT_SRC = $(wildcard t/unit/test_*.c)
UNITS    = $(UNIT_SRC:t/unit/%.c=$(O)/t/%)
BINS     = $(PROGS:%=$(O)/bin/%)
MANS     = $(wildcard man/*.[1-9])
# The bench helpers: each bench/*.c a small program linked with librso,
# built with everything else, so that a bench script never runs one
# linked with an older library.
BENCH_SRC  = $(wildcard bench/*.c)
BENCH_BINS = $(BENCH_SRC:bench/%.c=$(O)/bench/%)

all: $(BINS) $(UNITS) $(BENCH_BINS)

# Everything that decides what the objects are (the compiler, its flags,
# PREFIX's share folder compiled in, the libraries) is kept in $(O)/.flags,
# rewritten only when it changes; every object depends on it, so that
# "make install PREFIX=/opt/rso" after a plain build rebuilds for /opt/rso.
# Its recipe runs every time but touches the file only when the flags
# differ, so the objects are rebuilt only then.
FLAGS_FILE = $(O)/.flags
BUILD_FLAGS = $(CC) $(ALL_CFLAGS) $(LDFLAGS) $(PKG_LIBS) $(NOPC_LIBS)
$(FLAGS_FILE): FORCE | pkgcheck
	$(shell mkdir -p $(@D))$(file >$@.new,$(BUILD_FLAGS))
	@cmp -s $@.new $@ && rm -f $@.new || mv -f $@.new $@

FORCE:

UNISTRING_OK = echo '\#include <unicase.h>' | $(CC) -E -x c - >/dev/null 2>&1
pkgcheck:
	@{ pkg-config --exists $(PKGS) && $(UNISTRING_OK); } || { \
	  echo "rso: missing build dependencies:"; \
	  for p in $(PKGS); do pkg-config --exists $$p || echo "  $$p"; done; \
	  $(UNISTRING_OK) || echo "  libunistring"; \
	  echo "run scripts/bootstrap (as root) to install them"; exit 1; }

$(O)/%.o: %.c $(FLAGS_FILE) | pkgcheck
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/lib/librso.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && $(AR) rcs $@ $(LIB_OBJ)

# A program is cmd/NAME.c or the files of cmd/NAME/.
objs_of = $(patsubst %.c,$(O)/%.o,$(wildcard cmd/$(1).c cmd/$(1)/*.c))
.SECONDEXPANSION:
$(BINS): $(O)/bin/%: $$(call objs_of,$$*) $(O)/lib/librso.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(PKG_LIBS) $(NOPC_LIBS)

$(UNITS): $(O)/t/%: $(O)/t/unit/%.o $(O)/lib/librso.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(PKG_LIBS) $(NOPC_LIBS)

# check: the test peers, a build, the unit tests, then every bats file; the
# last line is "N passed, N failed".
check:
	@scripts/bootstrap --test
	@$(SUBMAKE) all
	@RSO_BUILD=$(O) scripts/check $(UNITS)

# asan: the whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
SAN = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
asan:
	$(MAKE) O=build-asan CFLAGS="$(SAN)" LDFLAGS="$(SAN)" check

# fuzz: each fuzz/fuzz_*.c as a libFuzzer target, run FUZZTIME seconds on its
# corpus (the targets' own diagnostics are expected, hence -close_fd_mask).
FUZZTIME ?= 30
FUZZ_SRC = $(wildcard fuzz/fuzz_*.c)
fuzz:
	@scripts/bootstrap --fuzz
	$(SUBMAKE) O=build-fuzz CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" build-fuzz/lib/librso.a
	@set -e; for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  clang -std=c17 -D_GNU_SOURCE -Ilib $$(pkg-config --cflags $(PKGS)) -O1 -g \
	    -fsanitize=fuzzer,address,undefined -o build-fuzz/$$n $$f \
	    build-fuzz/lib/librso.a $$(pkg-config --libs $(PKGS)) $(NOPC_LIBS); \
	  mkdir -p fuzz/corpus/$$n build-fuzz/new/$$n; \
	  echo "fuzz: $$n for $(FUZZTIME)s"; \
	  build-fuzz/$$n -max_total_time=$(FUZZTIME) -max_len=65536 -close_fd_mask=3 \
	    build-fuzz/new/$$n fuzz/corpus/$$n 2>build-fuzz/$$n.log \
	    || { tail -40 build-fuzz/$$n.log; exit 1; }; \
	  grep -E '^(Done|#[0-9]+ *DONE)' build-fuzz/$$n.log | tail -1; done

# bench helpers: each bench/*.c is a small program linked with librso.
$(BENCH_BINS): $(O)/bench/%: $(O)/bench/%.o $(O)/lib/librso.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(NOPC_LIBS)

demo:
	@scripts/bootstrap
	@$(SUBMAKE) all
	@RSO_BUILD=$(O) scripts/demo

bench:
	@scripts/bootstrap --test --bench
	@$(SUBMAKE) all bench-bins
	@RSO_BUILD=$(O) bench/run

bench-bins: $(BENCH_BINS)

lint:
	mandoc -Tlint -Wwarning $(MANS)
	shellcheck -x -s sh scripts/bootstrap scripts/check scripts/demo scripts/rso-storescp-handoff \
	    bench/run bench/report-store bench/*.sh

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SHAREDIR)
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 755 scripts/rso-storescp-handoff $(DESTDIR)$(BINDIR)
	for m in $(MANS); do s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s; done
	cp -R share/. $(DESTDIR)$(SHAREDIR)

uninstall:
	for p in $(PROGS) rso-storescp-handoff; do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for m in $(MANS); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m#man/}; done
	rm -rf $(DESTDIR)$(SHAREDIR)

clean:
	rm -rf build build-asan build-fuzz

.PHONY: FORCE all pkgcheck check asan fuzz demo bench bench-bins lint install uninstall clean

-include $(shell find $(O) -name '*.d' 2>/dev/null)
