#!/bin/sh
# test_net_owner in the guest: the host lane's socket ownership cases on
# this kernel (the cgroup programs read a socket's cgroup through its BTF
# type and with probe reads; the unix object's LSM programs run alongside).
exec sh /tests/host/test_net_owner.sh
