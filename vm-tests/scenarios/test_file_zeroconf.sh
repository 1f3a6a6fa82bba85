#!/bin/sh
# test_file_zeroconf: zero-config tenants keep their paths while their
# cgroup is gone, under BPF LSM on Debian's 6.1 and 6.12 kernels, by the
# host lane's test (which runs it with fanotify on the host's kernel).
exec sh /tests/host/test_file_zeroconf.sh
