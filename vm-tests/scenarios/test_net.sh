#!/bin/sh
# test_net in the guest: the host lane's network cases on this kernel
# (proves the cgroup BPF objects load and behave on 6.1 and 6.12 too).
exec sh /tests/host/test_net.sh
