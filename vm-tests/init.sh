#!/bin/busybox sh
# /init of the test guest: mount what tenantguard needs, run the scenarios
# (or the demo), print one result line per case, power off.
/bin/busybox --install -s /bin
export PATH=/usr/bin:/bin:/sbin TG_BIN=/usr/bin TG_IN_VM=1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
# nsdelegate, as systemd mounts it: cgroup namespaces are delegation
# boundaries (the launcher relies on that for uid 0 workloads).
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf
mount -t securityfs securityfs /sys/kernel/security
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
for m in /lib/modules/*.ko; do
	insmod "$m" || echo "TG-VM-MODULE $m: not loaded"
done
ip link set lo up
hostname tg-vm

arg() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" /proc/cmdline; }
echo "TG-VM-KERNEL $(uname -r)"
echo "TG-VM-LSM $(cat /sys/kernel/security/lsm)"

if [ "$(arg tg.mode)" = demo ]; then
	sh /vm-tests/demo.sh /usr/bin
elif [ "$(arg tg.mode)" = bench ]; then
	sh /tests/bench/file.sh 2>&1 || echo "FAIL file bench: exit $?"
else
	only=$(arg tg.scenario)
	for s in /vm-tests/scenarios/test_*.sh; do
		name=$(basename "$s" .sh)
		[ -n "$only" ] && [ "$only" != "$name" ] && continue
		echo "TG-VM-SCENARIO $name"
		( timeout -s KILL "$(arg tg.timeout)" sh "$s" 2>&1; echo "TG-VM-RC $?" ) |
			tee /tmp/scenario.out | grep -v '^TG-VM-RC '
		rc=$(sed -n 's/^TG-VM-RC //p' /tmp/scenario.out)
		if [ "$rc" != 0 ] && ! grep -q '^FAIL ' /tmp/scenario.out; then
			echo "FAIL $name: exit $rc"
		fi
	done
fi
echo TG-VM-DONE
sync
poweroff -f
