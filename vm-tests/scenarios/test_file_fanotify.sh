#!/bin/sh
# test_file_fanotify: the fanotify file backend (chosen with --file-backend
# fanotify next to BPF LSM) on Debian's 6.1 and 6.12 kernels, by the host
# lane's test; the host lane runs it on the host's own kernel.
TG_LOOP_OPENS=2000 exec sh /tests/host/test_file_fanotify.sh
