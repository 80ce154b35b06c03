# SPDX-License-Identifier: GPL-2.0-or-later
# A plain Makefile: the project is a handful of C files and a few libraries
# found by pkg-config, so make alone builds it on any Debian or OpenWrt SDK
# without another build tool to install.

VERSION    := 0.1.0
BUILD      ?= build
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
CC         ?= cc
PKG_CONFIG ?= pkg-config
PKGS       := libmnl libnetfilter_conntrack libnftnl libip4tc libip6tc
CFLAGS     ?= -O2 -g
CFLAGS     += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wshadow \
	      -Wstrict-prototypes -Wmissing-prototypes -D_GNU_SOURCE \
	      -DCTSWEEP_VERSION='"$(VERSION)"' -Isrc \
	      $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
LDLIBS     += $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

ifeq ($(SANITIZE),1)
CFLAGS     += -fsanitize=address,undefined -fno-omit-frame-pointer \
	      -fno-sanitize-recover=undefined
LDFLAGS    += -fsanitize=address,undefined
endif

SRCS       := $(wildcard src/*.c)
LIB_SRCS   := $(filter-out src/main.c,$(SRCS))
LIB_OBJS   := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)

.PHONY: all deps check check-unit check-netns demo bench fuzz clean install

all: $(BUILD)/ctsweep

# Objects depend on the flags they were built with, so SANITIZE=1 and back
# never mixes instrumented and plain objects.
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(CFLAGS) $(LDFLAGS)' | cmp -s - $@ || \
		echo '$(CC) $(CFLAGS) $(LDFLAGS)' > $@
FORCE:

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/libctsweep.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BUILD)/ctsweep: $(BUILD)/obj/main.o $(BUILD)/libctsweep.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libctsweep.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< $(BUILD)/libctsweep.a \
		$(LDLIBS) -lcmocka

deps:
	@scripts/deps.sh

check: deps all $(UNIT_BINS)
	@tests/run

check-unit: all $(UNIT_BINS)
	@tests/run unit

check-netns: all
	@tests/run netns

demo: deps all
	@tests/demo.sh

bench: deps all
	@bench/sweep

clean:
	rm -rf $(BUILD)

install: all
	install -D -m 0755 $(BUILD)/ctsweep $(DESTDIR)$(SBINDIR)/ctsweep
	install -D -m 0644 man/ctsweep.8 $(DESTDIR)$(MANDIR)/man8/ctsweep.8

# Debian package from this tree (debian/, format 3.0 native); the .deb lands
# in the parent directory.  Runs "make clean" first.  Needs dpkg-dev,
# debhelper and bash-completion (see contrib/README.md);
# DEB_BUILD_OPTIONS=nocheck skips the unit tests.
.PHONY: deb
deb:
	dpkg-buildpackage -us -uc -b
