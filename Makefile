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
PKGS       := libmnl libnetfilter_conntrack libnftnl libip4tc libip6tc \
	      libcap-ng libmicrohttpd
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

SRCS       := $(wildcard src/*.c src/expr/*.c)
LIB_SRCS   := $(filter-out src/main.c,$(SRCS))
LIB_OBJS   := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)
FUZZ_SRCS  := $(wildcard fuzz/fuzz_*.c)
# The fuzz targets' own objects, built plain: tests/layers.sh follows what
# each one calls through build/obj and checks it reaches pure objects only.
FUZZ_ENTRY := $(FUZZ_SRCS:fuzz/%.c=$(BUILD)/fuzz-entry/%.o)

.PHONY: all deps deps-test check check-unit check-netns demo bench fuzz fuzz-build clean install

all: $(BUILD)/ctsweep

# Objects depend on the flags they were built with, so SANITIZE=1 and back
# never mixes instrumented and plain objects.
$(BUILD)/.flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(CFLAGS) $(LDFLAGS)' | cmp -s - $@ || \
		echo '$(CC) $(CFLAGS) $(LDFLAGS)' > $@
FORCE:

$(BUILD)/obj/%.o: src/%.c $(wildcard src/*.h src/expr/*.h) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Made anew: ar would keep the members of files renamed or removed since.
$(BUILD)/libctsweep.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/ctsweep: $(BUILD)/obj/main.o $(BUILD)/libctsweep.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libctsweep.a $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests/unit -DCTSWEEP_TOP='"$(CURDIR)"' \
		-DCTSWEEP_BIN='"$(abspath $(BUILD)/ctsweep)"' \
		-o $@ $< $(BUILD)/libctsweep.a $(LDLIBS) -lcmocka

$(BUILD)/fuzz-entry/%.o: fuzz/%.c fuzz/fuzz.h $(wildcard src/*.h) $(BUILD)/.flags
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# test_fuzz replays fuzz/regressions and fuzz/corpus through the fuzz
# targets' own entry points, which it includes.
$(BUILD)/unit/test_fuzz: $(wildcard fuzz/*.c fuzz/*.h)

# The fault-injection shim for tests/netns/30-faults.sh (LD_PRELOAD).
$(BUILD)/nlfault.so: tests/fault/nlfault.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -Wall -Wextra -fPIC -shared -D_GNU_SOURCE -o $@ $< -ldl

deps:
	@scripts/deps.sh

# The tools the namespace tests judge the rules of (CNI plugins, netavark,
# firewalld, ...): make check only.
deps-test:
	@scripts/deps.sh test

# The tests find the build they are to run, so SANITIZE=1 BUILD=build-san
# checks the instrumented binary and unit tests, not the plain ones.
TEST_ENV   := BUILD=$(abspath $(BUILD)) CTSWEEP=$(abspath $(BUILD))/ctsweep

check: deps-test all $(UNIT_BINS) $(FUZZ_ENTRY) $(BUILD)/nlfault.so
	@$(TEST_ENV) tests/run

check-unit: all $(UNIT_BINS) $(FUZZ_ENTRY)
	@$(TEST_ENV) tests/run unit

check-netns: deps-test all $(BUILD)/nlfault.so
	@$(TEST_ENV) tests/run netns

# The writer matrix: the cases that load rules, once per rule writer (the
# nft and iptables of Debian 12, 11 and 13; the last two from debootstrap
# chroots made once under /var/cache/ctsweep-test/writers), with a writer x
# case table.  WRITERS narrows it, WRITER_CASES picks the cases.
WRITERS    ?= bookworm bullseye trixie
.PHONY: check-writers
check-writers: deps-test all $(BUILD)/nlfault.so
	@$(TEST_ENV) tests/writers/run $(WRITERS)

# The namespace suite on Debian's own kernels (tests/kernels/run): 5.10,
# 6.1 and 6.12 booted under qemu.  KERNELS picks some (KERNELS=6.1),
# KERNEL_CASES a subset ("ci", or case numbers); the whole suite under
# emulation takes hours per kernel.
KERNELS      ?= 5.10,6.1,6.12
KERNEL_CASES ?= all
.PHONY: check-kernels deps-kernels
check-kernels: deps-kernels all $(BUILD)/nlfault.so
	@BUILD=$(abspath $(BUILD)) tests/kernels/run -k $(KERNELS) $(KERNEL_CASES)

deps-kernels:
	@scripts/deps.sh kernels

# bench/sweep at 100k on each of those kernels, emulated alike: ratios to
# conntrack -D in the same VM.
.PHONY: bench-kernels
bench-kernels: deps-kernels all
	@BUILD=$(abspath $(BUILD)) tests/kernels/bench -k $(KERNELS)

demo: deps all
	@tests/demo.sh

bench: deps all
	@bench/sweep

# The OCI image (deploy/container/Containerfile) with podman, on a
# Debian 12 base made with debootstrap when no BASE image is given (no
# registry needed), and its test under podman in a lab namespace.
.PHONY: image check-image
image:
	@scripts/deps.sh image
	@BUILD=$(abspath $(BUILD)) scripts/image.sh

check-image: image
	@$(TEST_ENV) tests/image/check-image.sh

# deploy/kubernetes/ validated offline: yamllint, every object against the
# Kubernetes API schemas (npm kubernetes-models), the kustomization.
.PHONY: check-manifests
check-manifests:
	@BUILD=$(abspath $(BUILD)) scripts/check-manifests.sh

# Switch latency of watch (rule commit to first packet at the new
# backend), its steady CPU under flow churn and its memory.
.PHONY: bench-switch
bench-switch: deps all
	@bench/switch

# What reading conntrack events costs watch, next to a reader that does
# nothing with them (the floor), under 10,000 new flows a second.
.PHONY: bench-events
bench-events: deps all
	@for n in 0 100k 1M; do bench/eventcost -n $$n || exit; done

# A router pair (conntrackd, ctsweep watch on both): a commit of 100k
# entries, from conntrackd -c to the deletion of the stale ones, and each
# daemon's CPU.
.PHONY: bench-scale
bench-scale: deps all
	@bench/scale

.PHONY: bench-pair
bench-pair: deps all
	@bench/pair

# ---- fuzzing (clang's libFuzzer) ----------------------------------------
# make fuzz: build every fuzz/fuzz_*.c target with ASan+UBSan and run each
# for FUZZ_SECONDS on a copy of its seed corpus (fuzz/corpus/TARGET); new
# inputs stay in $(BUILD)/fuzz/corpus/TARGET, crashes land in
# $(BUILD)/fuzz/crashes/TARGET/ (copy them to fuzz/regressions/TARGET/ to
# keep them as unit tests).  FUZZ_TARGETS narrows the set, FUZZ_JOBS runs
# that many processes per target.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 1
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_TARGETS ?= $(FUZZ_SRCS:fuzz/fuzz_%.c=%)
FUZZ_CFLAGS  := -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
		-fno-sanitize-recover=undefined -fno-omit-frame-pointer \
		-std=gnu11 -D_GNU_SOURCE -DCTSWEEP_VERSION='"$(VERSION)"' -Isrc \
		-Wno-unused-parameter \
		$(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
FUZZ_OBJS    := $(LIB_SRCS:src/%.c=$(FUZZ_DIR)/obj/%.o)

$(FUZZ_DIR)/obj/%.o: src/%.c $(wildcard src/*.h src/expr/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FUZZ_DIR)/libctsweep.a: $(FUZZ_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz.h $(FUZZ_DIR)/libctsweep.a \
		$(wildcard src/*.c src/*.h)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< \
		$(FUZZ_DIR)/libctsweep.a $(LDLIBS)

fuzz-build: $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)

fuzz: fuzz-build
	@FUZZ_DIR=$(FUZZ_DIR) FUZZ_SECONDS=$(FUZZ_SECONDS) \
		FUZZ_JOBS=$(FUZZ_JOBS) fuzz/run.sh $(FUZZ_TARGETS)

# A bounded soak of watch (rule churn + flow churn in namespaces, as root),
# not part of check: SOAK_SECONDS (default 180) long.
SOAK_SECONDS ?= 180
.PHONY: soak
soak: deps all
	@$(TEST_ENV) SOAK_SECONDS=$(SOAK_SECONDS) tests/soak/soak.sh

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
