#!/bin/sh
# test_launcher in the guest: `tenantguard run` on this kernel, with cgroup2
# mounted with nsdelegate (the host lane's machine has it without).
exec sh /tests/host/test_launcher.sh
