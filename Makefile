# sipws — plain GNU make with pkg-config.
#   make                 build libsipws.a and the tools
#   make check           install missing packages, build, run every test with prove
#   make demo            install missing packages, build, show the main job end to end
#   make install PREFIX=/usr/local DESTDIR=...
#   make fuzz FUZZ_SECONDS=N    run each libFuzzer target N seconds (clang)
#   make fuzz FUZZ_RUNS=N       ... or N executions each (the long campaign)
#   make bench           benchmarks against named peers (prints figures, never fails on time)
#   SANITIZE=1           ASan+UBSan for any target (separate build directory)
#   STATIC_DEPS=1        tools with libwebsockets and OpenSSL linked in, non-PIE

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
DATADIR    ?= $(PREFIX)/share
DESTDIR    ?=

CC         ?= cc
AR         ?= ar
PKG_CONFIG ?= pkg-config
FUZZ_CC    ?= clang
FUZZ_SECONDS ?= 60
PROVE_JOBS ?= 2

# Libraries the library links today; later layers add theirs here. The
# media session (lib/media*.c) needs GStreamer: libsipws.a is an archive
# and we link with --as-needed, so a tool that does not call media_*
# carries neither GStreamer nor GLib (t0900 checks sip-msg's ldd).
MEDIA_PKGS := gstreamer-1.0 gstreamer-sdp-1.0 gstreamer-webrtc-1.0 nice
PKGS := openssl libwebsockets glib-2.0 $(MEDIA_PKGS)
# webrtc-check's suites (lib/check-*.c) also use libnice and libsrtp2
# directly; only webrtc-check (and the fuzzers, which compile every
# lib/*.c) link them.
CHECK_PKGS := nice libsrtp2
CHECK_LDLIBS := $(shell $(PKG_CONFIG) --libs $(CHECK_PKGS) 2>/dev/null)

VERSION := $(shell sed -n 's/^\#define SIPWS_VERSION "\(.*\)"/\1/p' lib/version.h)

WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	    -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
ifneq ($(WERROR),)
WARNINGS += -Werror
endif

CFLAGS   ?= -O2 -g
# Link only the shared libraries a binary really uses (start-up cost).
LDFLAGS  += -Wl,--as-needed
CPPFLAGS += -D_GNU_SOURCE -Ilib
ALL_CFLAGS = -std=c11 $(WARNINGS) $(CFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS) $(CHECK_PKGS) 2>/dev/null)
LDLIBS   += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lm

# STATIC_DEPS=1: the tools carry libwebsockets, OpenSSL, libcap and zlib
# and are not position-independent, so a one-off run skips relocating
# OpenSSL, most of its start-up where page faults are slow (VMs). They
# must then be rebuilt for every OpenSSL update; off by default.
TOOL_LDFLAGS :=
TOOL_LDLIBS  := $(LDLIBS)
ifeq ($(STATIC_DEPS),1)
TOOL_LDFLAGS := -no-pie
TOOL_LDLIBS  := -Wl,-Bstatic -lwebsockets -lssl -lcrypto -lcap -lz \
		-Wl,-Bdynamic -ldl -pthread -lm
endif

ifeq ($(SANITIZE),1)
BUILD    ?= build/sanitize
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
ALL_CFLAGS += $(SAN_FLAGS)
LDFLAGS  += $(SAN_FLAGS)
else ifeq ($(STATIC_DEPS),1)
BUILD    ?= build/static
else
BUILD    ?= build/default
endif

LIB_SRC    := $(sort $(wildcard lib/*.c))
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_A      := $(BUILD)/libsipws.a
# Headers whose opening comment says "private: not installed" (transactions,
# lws plumbing, sip.c's split) and those under lib/internal/ (shared by the
# files of one module) stay in the tree; the others install as
# <sipws/NAME.h>, with the umbrella <sipws/sipws.h> including them all.
PRIVATE_HEADERS := $(shell grep -l 'private: not installed' lib/*.h) \
		   $(sort $(wildcard lib/internal/*.h))
PUBLIC_HEADERS := $(filter-out $(PRIVATE_HEADERS),$(sort $(wildcard lib/*.h)))

TOOL_SRC    := $(sort $(wildcard tools/sip-*.c tools/sipws-*.c tools/webrtc-*.c))
TOOL_COMMON := $(filter-out $(TOOL_SRC),$(sort $(wildcard tools/*.c)))
TOOL_COMMON_OBJ := $(TOOL_COMMON:%.c=$(BUILD)/%.o)
TOOLS       := $(TOOL_SRC:tools/%.c=$(BUILD)/bin/%)

TAP_OBJ     := $(BUILD)/tests/tap/basic.o
UNIT_SRC    := $(sort $(wildcard tests/unit/*.c))
UNIT_TESTS  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
TOOL_TESTS  := $(sort $(wildcard tests/t[0-9]*.t))

MAN_PAGES   := $(sort $(wildcard man/*.[1-8]))

FUZZ_SRC    := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BUILD  := build/fuzz
FUZZERS     := $(FUZZ_SRC:fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_FLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer

# The read-only test corpora live beside the project (../shared/corpus).
CORPUS ?= $(abspath $(CURDIR)/../shared/corpus)

.SECONDARY:

.PHONY: all lib tools check test unit deps demo install uninstall fuzz fuzzers bench clean

all: lib tools

lib: $(LIB_A)
tools: $(TOOLS)

# Without a library's .pc file the flags above come out empty and the
# compiler's first error would hide the cause: name it instead.
.PHONY: pkg-check
pkg-check:
	@$(PKG_CONFIG) --print-errors --exists $(PKGS) $(CHECK_PKGS) || \
		{ echo "make: development packages are missing: run make deps" >&2; exit 1; }

$(BUILD)/%.o: %.c $(wildcard lib/*.h lib/internal/*.h tools/*.h tests/tap/*.h) Makefile | pkg-check
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -Itools -Itests -c -o $@ $<

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

# The tools' shared code is an archive too, so a tool links only what it
# uses (sip-parse does not carry the SIP stack).
TOOL_COMMON_A := $(BUILD)/libtools.a
$(TOOL_COMMON_A): $(TOOL_COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/tools/%.o $(TOOL_COMMON_A) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(TOOL_LDFLAGS) -o $@ $< $(TOOL_COMMON_A) $(LIB_A) $(TOOL_LDLIBS)

# (GStreamer again for STATIC_DEPS=1, whose TOOL_LDLIBS carry none)
$(BUILD)/bin/webrtc-check: TOOL_LDLIBS += $(CHECK_LDLIBS) \
	$(shell $(PKG_CONFIG) --libs $(MEDIA_PKGS) 2>/dev/null)
$(BUILD)/bin/sip-call: TOOL_LDLIBS += \
	$(shell $(PKG_CONFIG) --libs $(MEDIA_PKGS) 2>/dev/null)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(TAP_OBJ) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TAP_OBJ) $(LIB_A) $(LDLIBS)

# Test drivers run by the tool tests (found as $SIPWS_BUILD/tests/helpers/x).
HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(wildcard tests/helpers/*.c))
$(BUILD)/tests/helpers/%: $(BUILD)/tests/helpers/%.o $(LIB_A)
	$(CC) $(LDFLAGS) -o $@ $< $(LIB_A) $(LDLIBS)

deps:
	@sh scripts/deps.sh

# Tests find the build and the corpora through the environment.
# LeakSanitizer skips what tests/lsan.supp names (one-time allocations of
# GLib/GStreamer, never ours).
TEST_ENV = SIPWS_SOURCE='$(CURDIR)' SIPWS_BUILD='$(abspath $(BUILD))' \
	   SIPWS_CORPUS='$(CORPUS)' PATH='$(abspath $(BUILD))/bin:'"$$PATH" \
	   LSAN_OPTIONS='suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0'"$${LSAN_OPTIONS:+:$$LSAN_OPTIONS}"

check: deps
	@$(MAKE) --no-print-directory test

test: all $(UNIT_TESTS) $(HELPERS)
	@test -d '$(CORPUS)' || { echo "make: the test corpora are missing at $(CORPUS)" >&2; exit 1; }
	$(TEST_ENV) prove -j$(PROVE_JOBS) --timer $(UNIT_TESTS) $(TOOL_TESTS)

unit: all $(UNIT_TESTS)
	$(TEST_ENV) prove $(UNIT_TESTS)

demo: deps
	@$(MAKE) --no-print-directory all
	@$(TEST_ENV) sh scripts/demo.sh

install: all
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(LIBDIR)/pkgconfig' \
		'$(DESTDIR)$(INCLUDEDIR)/sipws' '$(DESTDIR)$(MANDIR)/man1' \
		'$(DESTDIR)$(MANDIR)/man5' \
		'$(DESTDIR)$(DATADIR)/bash-completion/completions' \
		'$(DESTDIR)$(DATADIR)/zsh/vendor-completions' \
		'$(DESTDIR)$(DATADIR)/fish/vendor_completions.d'
	install -m 0755 $(TOOLS) '$(DESTDIR)$(BINDIR)/'
	install -m 0644 $(LIB_A) '$(DESTDIR)$(LIBDIR)/'
	install -m 0644 $(PUBLIC_HEADERS) '$(DESTDIR)$(INCLUDEDIR)/sipws/'
	{ echo '/* libsipws: every public header. Generated by make install. */'; \
	  echo '#ifndef SIPWS_SIPWS_H'; echo '#define SIPWS_SIPWS_H'; \
	  for h in $(notdir $(PUBLIC_HEADERS)); do echo "#include \"$$h\""; done; \
	  echo '#endif'; } > '$(DESTDIR)$(INCLUDEDIR)/sipws/sipws.h'
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@PKGS@|$(PKGS) $(CHECK_PKGS)|' sipws.pc.in > '$(DESTDIR)$(LIBDIR)/pkgconfig/sipws.pc'
	for m in $(MAN_PAGES); do \
		s=$${m##*.}; install -d "$(DESTDIR)$(MANDIR)/man$$s"; \
		install -m 0644 "$$m" "$(DESTDIR)$(MANDIR)/man$$s/"; done
	for f in completions/bash/*; do install -m 0644 "$$f" \
		'$(DESTDIR)$(DATADIR)/bash-completion/completions/'; done
	install -m 0644 completions/zsh/_* '$(DESTDIR)$(DATADIR)/zsh/vendor-completions/'
	install -m 0644 completions/fish/*.fish '$(DESTDIR)$(DATADIR)/fish/vendor_completions.d/'

uninstall:
	rm -f $(TOOL_SRC:tools/%.c='$(DESTDIR)$(BINDIR)/%') '$(DESTDIR)$(LIBDIR)/libsipws.a' \
	      '$(DESTDIR)$(LIBDIR)/pkgconfig/sipws.pc'
	rm -rf '$(DESTDIR)$(INCLUDEDIR)/sipws'

# libFuzzer targets: the library is compiled again with clang's fuzzer
# instrumentation; each target runs FUZZ_SECONDS from its seeds.
fuzzers: $(FUZZERS)

$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(LIB_SRC) $(wildcard lib/*.h lib/internal/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS) $(CHECK_PKGS)) \
		-o $@ $< $(LIB_SRC) $(LDLIBS) $(CHECK_LDLIBS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzzers
	@FUZZ_BUILD='$(FUZZ_BUILD)' FUZZ_SECONDS='$(FUZZ_SECONDS)' FUZZ_RUNS='$(FUZZ_RUNS)' CORPUS='$(CORPUS)' \
		sh scripts/fuzz.sh $(FUZZERS:$(FUZZ_BUILD)/fuzz_%=%)

bench: deps
	@$(MAKE) --no-print-directory all
	@$(TEST_ENV) sh scripts/bench.sh

clean:
	rm -rf build
