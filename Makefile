# tether: build the guest init, its boot media and the host tools; run the tests.
# See README.md. Every output goes under build/.

.DELETE_ON_ERROR:
.SUFFIXES:
# Objects that pattern rules make on the way are kept, not removed and rebuilt next time.
.SECONDARY:

VERSION := $(shell cat VERSION)
B := build

# Reproducible outputs: every timestamp written into the initramfs and the ISO.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH

# Modules to put in the initramfs beside tether's own list, for tether.modules= to load.
EXTRA_MODULES ?=
export EXTRA_MODULES

# Outputs depend on these variables through stamp files rewritten when a value changes.
$(shell scripts/stamp $(B)/stamps/epoch '$(SOURCE_DATE_EPOCH)')
$(shell scripts/stamp $(B)/stamps/kernel-deb '$(KERNEL_DEB)')
$(shell scripts/stamp $(B)/stamps/extra-modules '$(EXTRA_MODULES)')

CC ?= cc
MUSL_CC ?= musl-gcc
CLANG ?= clang
CFLAGS ?= -O2 -g
LDFLAGS ?=

WARNINGS := -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2
DEFINES := -D_GNU_SOURCE -DTETHER_VERSION='"$(VERSION)"'

# The guest: static musl, linked against the sysroot built from Debian sources.
SYSROOT := $(B)/sysroot
GUEST_CFLAGS := $(WARNINGS) $(DEFINES) -Os -ffunction-sections -fdata-sections \
	-isystem $(SYSROOT)/include -MMD -MP
GUEST_LDFLAGS := -static -Wl,--gc-sections -s -L$(SYSROOT)/lib

TETHER_SRCS := $(wildcard tether/*.c) common/fileio.c common/signals.c common/protocol.c \
	common/errnoname.c
TETHER_OBJS := $(TETHER_SRCS:%.c=$(B)/guest/%.o)

# The host's image tool, linked against the distribution's libraries.
IMAGEC_SRCS := $(wildcard imagec/*.c) common/fileio.c
IMAGEC_OBJS := $(IMAGEC_SRCS:%.c=$(B)/host/%.o)
IMAGEC_LIBS := -lcurl -lcrypto -ljansson -larchive -lz -lisal -lzstd -lpthread

# The host's VM runner, linked against the distribution's libraries.
CVM_SRCS := $(wildcard cvm/*.c) common/fileio.c common/signals.c common/protocol.c
CVM_OBJS := $(CVM_SRCS:%.c=$(B)/host/%.o)
CVM_LIBS := -ljansson -larchive

# Unit tests: one cmocka binary per module, built with the host compiler, plain and under
# ASan/UBSan. test_NAME links tether/NAME.c and the common code.
UNIT_TESTS := $(notdir $(basename $(wildcard tests/unit/test_*.c)))
UNIT_COMMON := common/fileio.c common/signals.c common/protocol.c common/errnoname.c
HOST_CFLAGS := $(WARNINGS) $(DEFINES) $(CFLAGS) -MMD -MP
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

FUZZ_TARGETS := $(notdir $(basename $(wildcard tests/fuzz/fuzz_*.c)))

KERNEL_LOCK := $(B)/kernel/kernel.lock
SHELL_SCRIPTS := scripts/bootstrap scripts/debian-fetch scripts/build-sysroot \
	scripts/qemu-boot scripts/stamp scripts/mkimage-busybox scripts/mkimage-debian \
	scripts/mkconfig-disk scripts/run-demo scripts/mkimage-default initramfs/mkinitramfs \
	iso/mkiso tests/run bench/run $(wildcard tests/boot/*.sh) $(wildcard tests/imagec/*.sh) \
	$(wildcard tests/cvm/*.sh) $(wildcard tests/slow/*.sh) \
	.ci/run
C_FILES := $(wildcard tether/*.[ch] imagec/*.[ch] cvm/*.[ch] common/*.[ch] tests/unit/*.[ch] \
	tests/fuzz/*.[ch] tests/imagec/*.c tests/tools/*.[ch])

.PHONY: all tether imagec cvm initramfs iso kernel sysroot bootstrap run check unit lint format \
	clean bench check-slow

all: $(B)/tether $(B)/vmlinuz $(B)/initramfs.cpio.gz $(B)/tether.iso $(B)/imagec $(B)/cvm

tether: $(B)/tether
imagec: $(B)/imagec
cvm: $(B)/cvm
initramfs: $(B)/initramfs.cpio.gz
iso: $(B)/tether.iso
kernel: $(B)/vmlinuz
sysroot: $(SYSROOT)/lib/libarchive.a

bootstrap:
	scripts/bootstrap

# --- guest libraries and kernel, from Debian's archive -----------------------------------

$(B)/src/.fetched: scripts/debian-fetch
	scripts/debian-fetch source $(B)/src zlib libarchive util-linux jansson
	touch $@

# The script builds into a temporary tree and renames it: a sysroot that exists is whole.
$(SYSROOT)/lib/libarchive.a: $(B)/src/.fetched scripts/build-sysroot
	scripts/build-sysroot $(B)/src $(SYSROOT)

$(KERNEL_LOCK): scripts/debian-fetch $(B)/stamps/kernel-deb $(KERNEL_DEB)
	scripts/debian-fetch kernel $(B)/kernel

$(B)/vmlinuz: $(KERNEL_LOCK)
	cp $(B)/kernel/root/boot/vmlinuz-$$(sed -n 's/^release //p' $<) $@

# --- tether --------------------------------------------------------------------------------

$(B)/guest/%.o: %.c $(SYSROOT)/lib/libarchive.a
	@mkdir -p $(@D)
	$(MUSL_CC) $(GUEST_CFLAGS) -c $< -o $@

$(B)/tether: $(TETHER_OBJS)
	$(MUSL_CC) $(GUEST_LDFLAGS) $^ -lblkid -ljansson -larchive -lz -o $@

$(B)/initramfs.cpio.gz: $(B)/tether $(KERNEL_LOCK) initramfs/mkinitramfs $(B)/stamps/epoch \
		$(B)/stamps/extra-modules
	initramfs/mkinitramfs $(B)/tether $(B)/kernel $@

$(B)/tether.iso: $(B)/vmlinuz $(B)/initramfs.cpio.gz iso/mkiso iso/isolinux.cfg \
		$(B)/stamps/epoch
	iso/mkiso $(B)/vmlinuz $(B)/initramfs.cpio.gz $@

# --- imagec --------------------------------------------------------------------------------

$(B)/imagec: $(IMAGEC_OBJS)
	$(CC) $(LDFLAGS) $^ $(IMAGEC_LIBS) -o $@

# The same under ASan/UBSan: the imagec-asan suite runs the imagec tests against it.
$(B)/imagec-asan: $(IMAGEC_SRCS:%.c=$(B)/asan/%.o)
	$(CC) $(SAN_FLAGS) $(LDFLAGS) $^ $(IMAGEC_LIBS) -o $@

# --- cvm -----------------------------------------------------------------------------------

$(B)/cvm: $(CVM_OBJS)
	$(CC) $(LDFLAGS) $^ $(CVM_LIBS) -o $@

# --- tests ---------------------------------------------------------------------------------

# Helpers the tests run: a token server for a registry with token authentication, and the
# host end of the channel for the boot tests.
TEST_HELPERS := $(B)/host/token-server $(B)/host/chanhost $(B)/imagec-asan

$(B)/host/token-server: tests/imagec/token-server.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $< $(LDFLAGS) -lcrypto -o $@

$(B)/host/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c $< -o $@

$(B)/asan/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -c $< -o $@

# The modules a test links besides its own, when the module under test calls them.
TEST_DEPS_workload := tether/user.c tether/config.c tether/transport.c
TEST_DEPS_volume := tether/inroot.c tether/blockdev.c tether/config.c tether/transport.c \
	tether/log.c
TEST_DEPS_supervise := tether/exitstatus.c
TEST_DEPS_config := tether/transport.c
TEST_DEPS_cmdline := tether/transport.c
TEST_LIBS := -lcmocka -ljansson -lblkid -larchive
test_deps = $(addprefix $(B)/$(1)/,$(patsubst %.c,%.o,$(TEST_DEPS_$(2))))

# The module under test: tether/NAME.c, or common/NAME.c for code the host tools share.
module_src = $(firstword $(wildcard tether/$(1).c common/$(1).c))
module_obj = $(patsubst %.c,$(B)/$(1)/%.o,$(filter-out $(UNIT_COMMON),$(call module_src,$(2))))

.SECONDEXPANSION:
# test_imagec_NAME links imagec/NAME.c, the imagec modules it calls, and the host libraries.
TEST_DEPS_imagec_ref := imagec/digest.c imagec/error.c
TEST_DEPS_imagec_auth := imagec/error.c
TEST_DEPS_imagec_convert := imagec/error.c imagec/layer.c imagec/digest.c
TEST_DEPS_imagec_layer := imagec/digest.c imagec/error.c
TEST_DEPS_imagec_progress := imagec/digest.c
IMAGEC_TEST_LIBS := -lcmocka -lcurl -lcrypto -ljansson -larchive -lz -lisal -lzstd -lpthread

# test_cvm_NAME links cvm/NAME.c, the cvm modules it calls, and the host libraries.
TEST_DEPS_cvm_vmconfig := cvm/options.c
CVM_TEST_LIBS := -lcmocka -ljansson -larchive

$(B)/host/test_cvm_%: $(B)/host/tests/unit/test_cvm_%.o $(B)/host/cvm/%.o \
		$$(call test_deps,host,cvm_$$*) $(UNIT_COMMON:%.c=$(B)/host/%.o)
	$(CC) $(LDFLAGS) $^ $(CVM_TEST_LIBS) -o $@

$(B)/asan/test_cvm_%: $(B)/asan/tests/unit/test_cvm_%.o $(B)/asan/cvm/%.o \
		$$(call test_deps,asan,cvm_$$*) $(UNIT_COMMON:%.c=$(B)/asan/%.o)
	$(CC) $(SAN_FLAGS) $(LDFLAGS) $^ $(CVM_TEST_LIBS) -o $@

# The more specific pattern wins over test_% below (GNU make takes the shortest stem).
$(B)/host/test_imagec_%: $(B)/host/tests/unit/test_imagec_%.o $(B)/host/imagec/%.o \
		$$(call test_deps,host,imagec_$$*) $(UNIT_COMMON:%.c=$(B)/host/%.o)
	$(CC) $(LDFLAGS) $^ $(IMAGEC_TEST_LIBS) -o $@

$(B)/asan/test_imagec_%: $(B)/asan/tests/unit/test_imagec_%.o $(B)/asan/imagec/%.o \
		$$(call test_deps,asan,imagec_$$*) $(UNIT_COMMON:%.c=$(B)/asan/%.o)
	$(CC) $(SAN_FLAGS) $(LDFLAGS) $^ $(IMAGEC_TEST_LIBS) -o $@

$(B)/host/test_%: $(B)/host/tests/unit/test_%.o $$(call module_obj,host,$$*) \
		$$(call test_deps,host,$$*) $(UNIT_COMMON:%.c=$(B)/host/%.o)
	$(CC) $(LDFLAGS) $^ $(TEST_LIBS) -o $@

$(B)/asan/test_%: $(B)/asan/tests/unit/test_%.o $$(call module_obj,asan,$$*) \
		$$(call test_deps,asan,$$*) $(UNIT_COMMON:%.c=$(B)/asan/%.o)
	$(CC) $(SAN_FLAGS) $(LDFLAGS) $^ $(TEST_LIBS) -o $@

$(B)/fuzz/fuzz_imagec_%: tests/fuzz/fuzz_imagec_%.c imagec/%.c imagec/error.c imagec/layer.c \
		imagec/digest.c
	@mkdir -p $(@D)
	$(CLANG) $(WARNINGS) $(DEFINES) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $(sort $^) -larchive -lcrypto -lz -lisal -lzstd -lpthread -o $@

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(filter-out $(UNIT_COMMON),$$(call module_src,$$*)) \
		$$(TEST_DEPS_$$*) $(UNIT_COMMON)
	@mkdir -p $(@D)
	$(CLANG) $(WARNINGS) $(DEFINES) -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all $^ -ljansson -o $@

# The host end of the channel for the boot tests.
$(B)/host/chanhost: tests/tools/chanhost.c common/protocol.c common/signals.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(LDFLAGS) $(filter %.c,$^) -ljansson -o $@

UNIT_BINS := $(UNIT_TESTS:%=$(B)/host/%) $(UNIT_TESTS:%=$(B)/asan/%)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(B)/fuzz/%)

unit: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do $$t || exit 1; done

# Every test: unit (plain and sanitized), fuzz for a bounded time, lint, boot under QEMU.
check:
	scripts/bootstrap
	$(MAKE) all $(UNIT_BINS) $(FUZZ_BINS) $(TEST_HELPERS)
	tests/run $(B)

# The slow tests: a real Debian image through registry, imagec and cvm.
check-slow:
	scripts/bootstrap
	$(MAKE) all $(TEST_HELPERS)
	tests/run $(B) slow

# Speed and memory against references measured in the same run: bench/results.md.
bench:
	scripts/bootstrap
	$(MAKE) all $(TEST_HELPERS)
	bench/run $(B)

lint:
	clang-format --dry-run -Werror $(C_FILES)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability --inline-suppr \
		--std=c11 -D_GNU_SOURCE -DTETHER_VERSION='"$(VERSION)"' \
		--suppress=missingIncludeSystem tether imagec cvm common
	shellcheck $(SHELL_SCRIPTS)

format:
	clang-format -i $(C_FILES)

# The main job: the built-in busybox image into the store, run by cvm with a greeting.
run:
	scripts/bootstrap
	$(MAKE) all
	scripts/run-demo $(B)

clean:
	rm -rf $(B)/guest $(B)/host $(B)/asan $(B)/fuzz $(B)/tether $(B)/imagec $(B)/cvm \
		$(B)/imagec-asan \
		$(B)/initramfs.cpio.gz \
		$(B)/tether.iso $(B)/vmlinuz $(B)/boot-tests

# Also forget the downloaded sources, the sysroot and the kernel.
distclean:
	rm -rf $(B)

-include $(shell find $(B)/guest $(B)/host $(B)/asan -name '*.d' 2>/dev/null)
