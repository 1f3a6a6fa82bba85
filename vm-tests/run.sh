#!/bin/sh
# vm-tests/run.sh --build DIR --kernel SUITE [--demo|--bench] [--scenario NAME]
#                 [--env VAR=VALUE] [--timeout SEC]
#
# Boots Debian's SUITE kernel under QEMU (TCG) with a busybox initramfs
# holding the binaries of DIR and the scenarios of vm-tests/scenarios, runs
# them, and folds their PASS/FAIL/SKIP lines into one exit status. A missing
# end marker (timeout, crash) or a kernel WARN/BUG/Oops/panic in the guest log
# fails the run. Last line: "vm-SUITE: N passed, N failed, N skipped".
# --bench runs the guest benchmarks (tests/bench/*.sh that need the guest)
# instead and prints their figures.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# Every scenario takes about 18 minutes in one guest here (TCG): 35 minutes
# leave room on a slower machine, both guests within CI's 90 minutes.
build=build suite=bookworm mode=test scenario="" env="" timeout=3000 scen_timeout=900
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--kernel) suite=$2; shift 2 ;;
	--demo) mode=demo; shift ;;
	--bench) mode=bench; shift ;;
	--scenario) scenario=$2; shift 2 ;;
	--env) env=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	*) echo "vm-tests/run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
build=$(cd "$build" && pwd)
cache=${TG_CACHE:-/var/cache/tenantguard}/kernels/$suite
work=$build/vm/$suite
root=$work/root

"$here/fetch-kernel.sh" "$suite"

# The initramfs: busybox, the binaries with their libraries, the tests.
rm -rf "$root"
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/proc" "$root/sys" \
	"$root/dev" "$root/tmp" "$root/run" "$root/etc" "$root/vm-tests" \
	"$root/tests" "$root/srv"
cp /bin/busybox "$root/bin/busybox"
# bpftool: the tests look at what is attached and pinned; mkfs.btrfs and
# btrfs make the btrfs filesystem and subvolumes owned paths are tried on.
for b in tenantguard-agent tenantguard-agent-variant tenantguard-collector \
	tenantguard tg-try "$(command -v bpftool)" /sbin/mkfs.btrfs /bin/btrfs; do
	case $b in /*) ;; *) b=$build/$b ;; esac
	[ -x "$b" ] || continue
	cp "$b" "$root/usr/bin/"
	ldd "$b" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' |
		while read -r lib; do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
done
mkdir -p "$root/lib/modules"
for m in "$cache"/modules/*.ko; do
	[ -f "$m" ] && cp "$m" "$root/lib/modules/"
done
cp -r "$here/scenarios" "$root/vm-tests/"
cp "$top/scripts/demo.sh" "$root/vm-tests/demo.sh"
cp -r "$top/tests/lib" "$top/tests/host" "$top/tests/bench" "$root/tests/"
# The collector's users: the demo's (as packaged) and the tests'
# (tests/lib/tenants.sh); busybox has no useradd.
cat >"$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/:/bin/sh
tenantguard-collector:x:999:999:tenantguard collector:/nonexistent:/bin/false
tg-collector-test:x:998:998:tenantguard test collector:/nonexistent:/bin/false
nobody:x:65534:65534:nobody:/:/bin/false
PASSWD
cat >"$root/etc/group" <<'GROUP'
root:x:0:
tenantguard-collector:x:999:
tg-collector-test:x:998:
nogroup:x:65534:
GROUP
cp "$here/init.sh" "$root/init"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initramfs.gz"

append="console=ttyS0 lsm=lockdown,capability,landlock,yama,apparmor,bpf"
append="$append panic=-1 oops=panic quiet tg.mode=$mode tg.timeout=$scen_timeout tg.suite=$suite"
[ -n "$scenario" ] && append="$append tg.scenario=$scenario"
[ -n "$env" ] && append="$append tg.env=$env"
log=$work/console.log
echo "vm-$suite: booting $(cat "$cache/version") under QEMU (TCG)"
start=$(date +%s)
set +e
# One TCG thread for both vCPUs: with a thread per vCPU, code the guest
# kernel patches on one CPU (BPF trampolines attached and detached while
# their hook runs on the other) was seen stale by the other CPU: int3
# oopses and soft lockups that real hardware and KVM do not have.
timeout "$timeout" qemu-system-x86_64 -accel tcg,thread=single -m 2048 -smp 2 \
	-nographic -no-reboot -monitor none -serial stdio \
	-kernel "$cache/vmlinuz" -initrd "$work/initramfs.gz" \
	-append "$append" </dev/null >"$log" 2>&1
qrc=$?
set -e
end=$(date +%s)
tr -d '\r' <"$log" >"$log.txt"

if [ "$mode" = bench ]; then
	grep -E '^file bench' "$log.txt" || true
	if ! grep -q '^TG-VM-DONE' "$log.txt" || grep -q '^FAIL ' "$log.txt"; then
		echo "vm-$suite: benchmark did not finish; last lines:"
		tail -n 20 "$log.txt" | sed 's/^/    /'
		exit 1
	fi
	exit 0
fi
if [ "$mode" = demo ]; then
	sed -n '/TG-VM-KERNEL/,/^TG-VM-DONE/p' "$log.txt" | grep -v '^TG-VM-DONE' |
		sed 's/.*\(TG-VM-KERNEL\)/\1/'
	grep -q '^TG-VM-DONE' "$log.txt"
	exit
fi
grep -oE 'TG-VM-(KERNEL|LSM|SCENARIO) .*' "$log.txt" | sed "s/^/vm-$suite: /"
grep -E '^(PASS|FAIL|SKIP) ' "$log.txt" || true
pass=$(grep -c '^PASS ' "$log.txt" || true)
fail=$(grep -c '^FAIL ' "$log.txt" || true)
skip=$(grep -c '^SKIP ' "$log.txt" || true)
if ! grep -q '^TG-VM-DONE' "$log.txt"; then
	echo "FAIL vm-$suite: guest did not finish (qemu exit $qrc after $((end - start))s); last lines:"
	tail -n 20 "$log.txt" | sed 's/^/    /'
	fail=$((fail + 1))
fi
if grep -nE 'WARNING:|BUG:|Kernel panic|Oops|Call Trace|general protection fault' "$log.txt" >"$work/splats"; then
	echo "FAIL vm-$suite: kernel splat in the guest log:"
	head -n 20 "$work/splats" | sed 's/^/    /'
	fail=$((fail + 1))
fi
if [ "$pass" = 0 ] && [ "$fail" = 0 ]; then
	echo "FAIL vm-$suite: no test ran"
	fail=1
fi
echo "vm-$suite: guest ran $((end - start))s"
echo "vm-$suite: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
