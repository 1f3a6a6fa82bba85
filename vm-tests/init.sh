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
# Modules in any order: a pass loads those whose dependencies are in, until
# a pass loads none.
left=$(ls /lib/modules/*.ko 2>/dev/null)
while [ -n "$left" ]; do
	again=""
	for m in $left; do
		insmod "$m" 2>/dev/null || again="$again $m"
	done
	[ "$again" = "$(echo $left | sed 's/^/ /; s/  */ /g')" ] && break
	left=$again
done
for m in $again; do
	echo "TG-VM-MODULE $m: not loaded"
done
ip link set lo up
hostname tg-vm

arg() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" /proc/cmdline; }
echo "TG-VM-KERNEL $(uname -r)"
echo "TG-VM-LSM $(cat /sys/kernel/security/lsm)"

if [ "$(arg tg.mode)" = demo ]; then
	sh /vm-tests/demo.sh /usr/bin
elif [ "$(arg tg.mode)" = bench ]; then
	only_bench=$(arg tg.scenario)
	# One benchmark (--scenario NAME: tests/bench/NAME.sh), or all.
	for b in ${only_bench:-file proc}; do
		sh "/tests/bench/$b.sh" 2>&1 || echo "FAIL $b bench: exit $?"
	done
else
	only=$(arg tg.scenario)
	# The guest's own scenarios, then the host tests it runs too:
	# "NAME SCRIPT [VAR=VALUE ...]" per line.
	{
		for s in /vm-tests/scenarios/test_*.sh; do
			echo "$(basename "$s" .sh) $s"
		done
		sed -e 's/#.*//' /vm-tests/scenarios/host-tests.list |
			while read -r name vars; do
				[ -n "$name" ] && echo "$name /tests/host/$name.sh $vars"
			done
	} | sort >/tmp/scenarios
	# Scenarios whose hooks do not differ between the kernels: in the 6.1
	# guest only (one-kernel.list), unless asked for by name.
	sed -e 's/#.*//' /vm-tests/scenarios/one-kernel.list | awk 'NF { print $1 }' >/tmp/one-kernel
	while read -r name script vars; do
		[ -n "$only" ] && [ "$only" != "$name" ] && continue
		if [ -z "$only" ] && [ "$(arg tg.suite)" != bookworm ] &&
			grep -qx "$name" /tmp/one-kernel; then
			echo "TG-VM-ONE-KERNEL $name"
			continue
		fi
		echo "TG-VM-SCENARIO $name"
		# shellcheck disable=SC2086
		( timeout -s KILL "$(arg tg.timeout)" env $vars $(arg tg.env) sh "$script" 2>&1 </dev/null
		  echo "TG-VM-RC $?" ) |
			tee /tmp/scenario.out | grep -v '^TG-VM-RC '
		rc=$(sed -n 's/^TG-VM-RC //p' /tmp/scenario.out)
		if [ "$rc" != 0 ] && ! grep -q '^FAIL ' /tmp/scenario.out; then
			echo "FAIL $name: exit $rc"
		fi
	done </tmp/scenarios
fi
echo TG-VM-DONE
sync
poweroff -f
