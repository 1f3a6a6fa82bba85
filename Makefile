# tenantguard: one entry point.  make [all|check|demo|demo-vm|image|install|clean] [V=1]
.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:

OUTPUT ?= build
PREFIX ?= /usr/local
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

LIBS_PC := libbpf libseccomp libcap libnl-3.0 libnl-route-3.0 libnl-genl-3.0 \
	   libnl-idiag-3.0 json-c yaml-0.1 libsodium libsystemd libarchive
PC_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
PC_LIBS := $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null)
# Without the libraries only the targets that install them can run.
ifeq ($(PC_LIBS),)
ifneq ($(filter-out deps check demo demo-vm clean format,$(or $(MAKECMDGOALS),all)),)
$(error libraries missing ($(LIBS_PC)): run scripts/deps.sh as root, or make check)
endif
endif
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)
URING_LIBS := $(shell $(PKG_CONFIG) --libs liburing 2>/dev/null)

HARDEN := -D_FORTIFY_SOURCE=2 -fPIE -fstack-protector-strong
CFLAGS ?= -O2 -g
ALL_CFLAGS := $(CFLAGS) -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	$(HARDEN) -MMD -MP -Iinclude $(PC_CFLAGS) $(EXTRA_CFLAGS)
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS) $(EXTRA_LDFLAGS)
LDLIBS := $(PC_LIBS) -lelf -lz

BPF_CFLAGS := -g -O2 --target=bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	-MMD -MP -Iinclude -Ibpf -I/usr/include/$(shell uname -m)-linux-gnu

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/skel/%.skel.h,$(BPF_SRCS))

# Userspace, layered by reach: common < policy < seccomp < launcher < one
# folder per binary. Each folder is compiled with an include root that holds only the
# folders it may use (INC_<folder>), so an include of a layer above, or of
# another binary's folder, does not build.
INC_common := common
INC_policy := policy common
INC_seccomp := seccomp policy common
INC_launcher := launcher seccomp policy common
INC_agentd := agentd launcher seccomp policy common
INC_collector := collector common
INC_cli := cli launcher seccomp policy common
FOLDERS := common policy seccomp launcher agentd collector cli
folder = $(firstword $(subst /, ,$(1)))
srcs = $(sort $(wildcard agent/$(1)/*.c))
objs = $(patsubst agent/%.c,$(OUTPUT)/agent/%.o,$(filter-out agent/$(1)/main.c,$(call srcs,$(1))))
SC_PROFILES := $(sort $(wildcard policy/seccomp/*.yaml))

# One static library per layer, and one per binary folder (its objects
# but main, for the unit tests).
lib = $(OUTPUT)/libtg-$(1).a
LIB_common := $(call objs,common)
LIB_policy := $(call objs,policy)
LIB_seccomp := $(call objs,seccomp) $(OUTPUT)/agent/seccomp/builtin.o
LIB_launcher := $(call objs,launcher)
LIB_agentd := $(call objs,agentd)
LIB_collector := $(call objs,collector)
LIB_cli := $(call objs,cli)
LIBS_ALL := $(foreach f,agentd collector cli launcher seccomp policy common,$(call lib,$(f)))

BINS := $(OUTPUT)/tenantguard-agent $(OUTPUT)/tenantguard-collector \
	$(OUTPUT)/tenantguard
TEST_TOOLS := $(OUTPUT)/tg-try $(OUTPUT)/tenantguard-agent-variant
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/unit/%,$(UNIT_SRCS))

.PHONY: soak bench bench-vm all check check-lanes check-unit check-host check-package check-vm check-fuzz check-image demo demo-vm install uninstall clean deps format man deb image

all: $(BINS) $(TEST_TOOLS) man

deps:
	$(Q)scripts/deps.sh

$(OUTPUT) $(OUTPUT)/bpf $(OUTPUT)/skel $(OUTPUT)/tests/unit $(addprefix $(OUTPUT)/agent/,$(FOLDERS)):
	$(Q)mkdir -p $@

# BPF: compiled against bpf/kernel_types.h (CO-RE, no vmlinux.h needed).
$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c | $(OUTPUT)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT)/skel/%.skel.h: $(OUTPUT)/bpf/%.bpf.o | $(OUTPUT)/skel
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tg_$* > $@

# The include root of each folder: links to the folders it may include.
$(OUTPUT)/include/%/.done:
	$(Q)rm -rf $(@D) && mkdir -p $(@D)
	$(Q)for d in $(INC_$*); do ln -s $(abspath agent)/$$d $(@D)/$$d; done
	$(Q)touch $@

.SECONDEXPANSION:
$(OUTPUT)/agent/%.o: agent/%.c | $$(OUTPUT)/include/$$(call folder,$$*)/.done $$(OUTPUT)/agent/$$(call folder,$$*)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -I$(OUTPUT)/include/$(call folder,$*) -c $< -o $@

# The release, from debian/changelog's first line: for one object only, so
# that a new release rebuilds no more than that.
TG_VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
$(OUTPUT)/agent/common/version.o: ALL_CFLAGS += -DTG_VERSION='"$(TG_VERSION)"'
$(OUTPUT)/agent/common/version.o: debian/changelog

# Only the loader uses the skeletons: the rest builds without clang.
$(OUTPUT)/agent/agentd/bpf_loader.o: $(SKELS)
$(OUTPUT)/agent/agentd/bpf_loader.o: ALL_CFLAGS += -I$(OUTPUT)/skel

# The built-in seccomp profiles, compiled in from policy/seccomp/.
$(OUTPUT)/agent/seccomp/builtin.c: $(SC_PROFILES) scripts/embed-profiles.sh | $(OUTPUT)/agent/seccomp
	$(call msg,GEN,$@)
	$(Q)scripts/embed-profiles.sh $(SC_PROFILES) > $@

$(OUTPUT)/agent/seccomp/builtin.o: $(OUTPUT)/agent/seccomp/builtin.c | $(OUTPUT)/include/seccomp/.done
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -I$(OUTPUT)/include/seccomp -c $< -o $@

$(OUTPUT)/libtg-%.a: $$(LIB_$$*)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUTPUT)/tenantguard-agent: $(OUTPUT)/agent/agentd/main.o $(call lib,agentd) \
	$(call lib,launcher) $(call lib,seccomp) $(call lib,policy) $(call lib,common)
$(OUTPUT)/tenantguard-collector: $(OUTPUT)/agent/collector/main.o $(call lib,collector) \
	$(call lib,common)
$(OUTPUT)/tenantguard: $(OUTPUT)/agent/cli/main.o $(call lib,cli) $(call lib,launcher) $(call lib,seccomp) \
	$(call lib,policy) $(call lib,common)
$(BINS):
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(LDLIBS) -o $@

# The upgrade tests' second build: the agent with one BPF program changed
# (TG_BUILD_VARIANT), so that its build id differs.
$(OUTPUT)/variant/bpf/%.bpf.o: bpf/%.bpf.c
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D) && $(CLANG) $(BPF_CFLAGS) -DTG_BUILD_VARIANT=1 -c $< -o $@

$(OUTPUT)/variant/skel/%.skel.h: $(OUTPUT)/variant/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)mkdir -p $(@D) && $(BPFTOOL) gen skeleton $< name tg_$* > $@

$(OUTPUT)/variant/bpf_loader.o: agent/agentd/bpf_loader.c $(patsubst $(OUTPUT)/skel/%,$(OUTPUT)/variant/skel/%,$(SKELS)) | $(OUTPUT)/include/agentd/.done
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -I$(OUTPUT)/include/agentd -I$(OUTPUT)/variant/skel -c $< -o $@

$(OUTPUT)/tenantguard-agent-variant: $(OUTPUT)/agent/agentd/main.o $(OUTPUT)/variant/bpf_loader.o \
	$(call lib,agentd) $(call lib,launcher) $(call lib,seccomp) $(call lib,policy) $(call lib,common)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(LDLIBS) -o $@

# tg-try: one file of subcommands per concern in tests/tool/.
TOOL_SRCS := $(wildcard tests/tool/*.c)
$(OUTPUT)/tg-try: $(TOOL_SRCS) $(call lib,common) | $(OUTPUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Iagent -Itests/tool $(ALL_LDFLAGS) $^ $(LDLIBS) $(URING_LIBS) -o $@

# A unit test may replace functions of the module under test with its own
# __wrap_<name> (cmocka mocking): list them in WRAP_<test>.
comma := ,
WRAP_test_registry := tg_cgroup_id
WRAP_test_policy_maps := tg_cgroup_id
WRAP_test_eventlog := fdatasync write randombytes_buf
WRAP_test_sink_collector := fdatasync accept4 write
WRAP_test_peer := getsockopt
WRAP_test_emit := tg_sink_submit tg_sink_has_room tg_sink_stats \
	tg_ratelimit_admit
WRAP_test_reconcile := tg_bpf_apply tg_sink_submit tg_sink_has_room tg_sink_stats \
	tg_cgroup_id
$(OUTPUT)/tests/unit/%: tests/unit/%.c $(LIBS_ALL) | $(OUTPUT)/tests/unit
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Iagent $(ALL_LDFLAGS) $(addprefix -Wl$(comma)--wrap=,$(WRAP_$*)) \
		$< -Wl,--start-group $(LIBS_ALL) -Wl,--end-group $(CMOCKA_LIBS) $(LDLIBS) -o $@

# Test lanes. check runs every lane; each lane prints a PASS/FAIL/SKIP line per
# test and a closing "N passed, N failed" line, and fails if anything failed.
# check and demo install missing packages first, then start a fresh make so
# that pkg-config sees the libraries just installed.
check: deps
	$(Q)$(MAKE) --no-print-directory check-lanes

check-lanes: all $(UNIT_BINS) $(OUTPUT)/fuzz_policy $(OUTPUT)/fuzz_grant
	$(Q)tests/run-lanes.sh $(OUTPUT)

check-unit: all $(UNIT_BINS)
	$(Q)tests/unit/run.sh $(OUTPUT)

check-host: all
	$(Q)tests/host/run.sh $(OUTPUT)

# The .deb: build, lintian, contents, install/upgrade/remove/purge in a
# chroot (tests/package/run.sh).
check-package: all
	$(Q)tests/package/run.sh $(OUTPUT)

# The VM image (image/check/run.sh): the package installed into the cached
# base image, booted under QEMU (TCG), checked from inside.
check-image: all
	$(Q)image/check/run.sh $(OUTPUT)

check-vm: all
	$(Q)vm-tests/run.sh --build $(OUTPUT) --kernel bookworm
	$(Q)vm-tests/run.sh --build $(OUTPUT) --kernel trixie

# Policy parser fuzzing (libFuzzer + ASan/UBSan), FUZZ_SECONDS bounded.
FUZZ_SECONDS ?= 60
FUZZ_SRCS := agent/policy/policy.c agent/policy/policy_check.c agent/policy/yaml_tree.c \
	agent/common/roles.c agent/common/grant_key.c agent/common/event_filter.c
$(OUTPUT)/fuzz_policy: tests/fuzz/fuzz_policy.c $(FUZZ_SRCS) | $(OUTPUT)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iinclude -Iagent $(PC_CFLAGS) $^ $(shell $(PKG_CONFIG) --libs yaml-0.1 libsodium json-c) -o $@

# Grant document fuzzing: what the parsers accept must be canonical.
FUZZ_GRANT_SRCS := agent/common/grant_doc.c agent/common/grant_key.c \
	agent/common/text.c agent/common/buf.c
$(OUTPUT)/fuzz_grant: tests/fuzz/fuzz_grant.c $(FUZZ_GRANT_SRCS) | $(OUTPUT)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-Iinclude -Iagent $(PC_CFLAGS) $^ $(shell $(PKG_CONFIG) --libs json-c libsodium) -o $@

check-fuzz: $(OUTPUT)/fuzz_policy $(OUTPUT)/fuzz_grant
	$(Q)tests/fuzz/run.sh $(OUTPUT) $(FUZZ_SECONDS)

# Benchmarks print figures measured in one run; they assert nothing.
bench: all
	$(Q)tests/bench/policy.sh $(OUTPUT)
	$(Q)tests/bench/seccomp.sh $(OUTPUT)
	$(Q)tests/bench/ratelimit.sh $(OUTPUT)
	$(Q)tests/bench/net.sh $(OUTPUT)
	$(Q)tests/bench/fanotify.sh $(OUTPUT)
	$(Q)tests/bench/events.sh $(OUTPUT)
	$(Q)tests/bench/ringbuf.sh $(OUTPUT)
	$(Q)tests/bench/persist.sh $(OUTPUT)
	$(Q)tests/bench/metrics.sh $(OUTPUT)
	$(Q)tests/bench/grants.sh $(OUTPUT)

# Fault drills, not part of check (which runs a few rounds): the agent
# killed with SIGKILL 100 times natively and 5 times in each guest during a
# tenant's denied and allowed traffic (tests/host/test_persist.sh).
soak: all
	$(Q)TG_BIN=$(OUTPUT) TG_PERSIST_KILLS=100 sh tests/host/test_persist.sh
	$(Q)vm-tests/run.sh --build $(OUTPUT) --kernel bookworm --scenario test_persist --env TG_PERSIST_KILLS=5
	$(Q)vm-tests/run.sh --build $(OUTPUT) --kernel trixie --scenario test_persist --env TG_PERSIST_KILLS=5

# File isolation in the VM guests (BPF LSM), not part of check.
bench-vm: all
	$(Q)vm-tests/run.sh --build $(OUTPUT) --kernel bookworm --bench --timeout 3000
	$(Q)vm-tests/run.sh --build $(OUTPUT) --kernel trixie --bench --timeout 3000

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh $(OUTPUT)

demo-vm: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)vm-tests/run.sh --build $(OUTPUT) --kernel bookworm --demo

# Manual pages and the CLI's completion: tenantguard(1) and the completion
# from the CLI's table (agent/cli/usage.c), the daemons' pages from their
# --help, the policy format's from policy/README.md.
MAN_PAGES := $(OUTPUT)/man/tenantguard.1 $(OUTPUT)/man/tenantguard-agent.8 \
	$(OUTPUT)/man/tenantguard-collector.8 $(OUTPUT)/man/tenantguard-policy.5
COMPLETION := $(OUTPUT)/completion/tenantguard
man: $(MAN_PAGES) $(COMPLETION)

$(OUTPUT)/man/tenantguard.1: $(OUTPUT)/tenantguard
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D) && $< help --man > $@

$(OUTPUT)/man/%.8: dist/man/%.8.in $(OUTPUT)/% scripts/man-from-help.sh
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D) && scripts/man-from-help.sh $(OUTPUT)/$* $< > $@

$(OUTPUT)/man/tenantguard-policy.5: policy/README.md scripts/man-from-markdown.sh
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D) && scripts/man-from-markdown.sh tenantguard-policy 5 \
		"the tenantguard policy format" $< > $@

$(COMPLETION): $(OUTPUT)/tenantguard
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D) && $< completion bash > $@

# make install [DESTDIR=...] [PREFIX=/usr/local]: the binaries, the units
# (their ExecStart= paths follow PREFIX), tmpfiles.d and sysusers.d, the
# configuration directory with the example policy and the seccomp profiles
# (an existing file there is kept), the manual pages and the completion.
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
MANDIR ?= $(PREFIX)/share/man
# The Grafana dashboard and the Prometheus alert rules, for operators to
# load into theirs.
DOCDIR ?= $(PREFIX)/share/tenantguard
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UNITS := $(wildcard dist/systemd/*.service dist/systemd/*.slice)
D := $(DESTDIR)

install: $(BINS) man
	install -d $(D)$(PREFIX)/sbin $(D)$(PREFIX)/bin $(D)$(UNITDIR)/tenants.slice.d \
		$(D)$(TMPFILESDIR) $(D)$(SYSUSERSDIR) $(D)$(SYSCONFDIR)/tenantguard/policy.d \
		$(D)$(SYSCONFDIR)/tenantguard/seccomp $(D)$(MANDIR)/man1 $(D)$(MANDIR)/man5 \
		$(D)$(MANDIR)/man8 $(D)$(COMPLETIONDIR) $(D)$(DOCDIR)
	install -m 0644 dist/grafana/tenantguard.json \
		$(D)$(DOCDIR)/grafana-dashboard.json
	install -m 0644 dist/prometheus/tenantguard.rules.yml $(D)$(DOCDIR)/
	install -m 0755 $(OUTPUT)/tenantguard-agent $(OUTPUT)/tenantguard-collector \
		$(D)$(PREFIX)/sbin/
	install -m 0755 $(OUTPUT)/tenantguard $(D)$(PREFIX)/bin/
	for u in $(UNITS); do \
		sed -e 's|/usr/sbin/|$(PREFIX)/sbin/|g' -e 's|/usr/bin/tenantguard|$(PREFIX)/bin/tenantguard|g' \
			-e 's|/etc/tenantguard/|$(SYSCONFDIR)/tenantguard/|g' \
			$$u > $(D)$(UNITDIR)/$${u##*/} && chmod 0644 $(D)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	install -m 0644 dist/systemd/tenants.slice.d/tenantguard.conf $(D)$(UNITDIR)/tenants.slice.d/
	install -m 0644 dist/tmpfiles.d/tenantguard.conf $(D)$(TMPFILESDIR)/
	install -m 0644 dist/sysusers.d/tenantguard.conf $(D)$(SYSUSERSDIR)/
	install -m 0644 policy/examples/two-tenants.yaml $(D)$(SYSCONFDIR)/tenantguard/policy.yaml.example
	for f in $(SC_PROFILES); do \
		[ -e $(D)$(SYSCONFDIR)/tenantguard/seccomp/$${f##*/} ] || \
		install -m 0644 $$f $(D)$(SYSCONFDIR)/tenantguard/seccomp/ || exit 1; \
	done
	install -m 0644 $(OUTPUT)/man/tenantguard.1 $(D)$(MANDIR)/man1/
	install -m 0644 $(OUTPUT)/man/tenantguard-policy.5 $(D)$(MANDIR)/man5/
	install -m 0644 $(OUTPUT)/man/tenantguard-agent.8 $(OUTPUT)/man/tenantguard-collector.8 \
		$(D)$(MANDIR)/man8/
	install -m 0644 $(COMPLETION) $(D)$(COMPLETIONDIR)/tenantguard

# What install put there, but configuration the operator may have changed
# (policy.yaml, policy.d/, changed profiles) and what the programs made.
uninstall:
	rm -f $(D)$(PREFIX)/sbin/tenantguard-agent $(D)$(PREFIX)/sbin/tenantguard-collector \
		$(D)$(PREFIX)/bin/tenantguard $(addprefix $(D)$(UNITDIR)/,$(notdir $(UNITS))) \
		$(D)$(UNITDIR)/tenants.slice.d/tenantguard.conf \
		$(D)$(TMPFILESDIR)/tenantguard.conf $(D)$(SYSUSERSDIR)/tenantguard.conf \
		$(D)$(SYSCONFDIR)/tenantguard/policy.yaml.example \
		$(D)$(MANDIR)/man1/tenantguard.1 $(D)$(MANDIR)/man5/tenantguard-policy.5 \
		$(D)$(MANDIR)/man8/tenantguard-agent.8 $(D)$(MANDIR)/man8/tenantguard-collector.8 \
		$(D)$(COMPLETIONDIR)/tenantguard \
		$(D)$(DOCDIR)/grafana-dashboard.json $(D)$(DOCDIR)/tenantguard.rules.yml
	-rmdir $(D)$(DOCDIR) 2>/dev/null
	for f in $(SC_PROFILES); do \
		cmp -s $$f $(D)$(SYSCONFDIR)/tenantguard/seccomp/$${f##*/} && \
		rm -f $(D)$(SYSCONFDIR)/tenantguard/seccomp/$${f##*/}; \
	done; true
	-rmdir $(D)$(UNITDIR)/tenants.slice.d $(D)$(SYSCONFDIR)/tenantguard/seccomp \
		$(D)$(SYSCONFDIR)/tenantguard/policy.d $(D)$(SYSCONFDIR)/tenantguard 2>/dev/null

# make deb: the Debian package from debian/ (debhelper), built in
# $(OUTPUT)/deb-build, written to $(OUTPUT)/deb.
deb:
	$(Q)mkdir -p $(OUTPUT)/deb
	$(Q)TG_DEB_BUILD=$(abspath $(OUTPUT))/deb-build TG_DEB_OUT=$(abspath $(OUTPUT))/deb \
		dpkg-buildpackage -b -us -uc --buildinfo-option=-u$(abspath $(OUTPUT))/deb \
		--changes-option=-u$(abspath $(OUTPUT))/deb \
		--buildinfo-file=$(abspath $(OUTPUT))/deb/tenantguard.buildinfo \
		--changes-file=$(abspath $(OUTPUT))/deb/tenantguard.changes
	$(Q)dh_clean

# make image: the Debian 12 VM image with the package installed and two
# example tenants, in $(OUTPUT)/image (image/build.sh; docs/image.md).
image: all
	$(Q)$(MAKE) --no-print-directory deb
	$(Q)image/build.sh --build $(OUTPUT)

format:
	clang-format -i $(wildcard bpf/*.c bpf/*.h agent/*/*.c agent/*/*.h include/tenantguard/*.h tests/tool/*.c tests/unit/*.c)

clean:
	rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/bpf/*.d $(OUTPUT)/agent/*/*.d $(OUTPUT)/tests/unit/*.d $(OUTPUT)/*.d)
