#!/bin/sh
# test_net_connected in the guest: the egress program's checks of datagrams
# sent on connected sockets, and the effective destinations, on this kernel.
exec sh /tests/host/test_net_connected.sh
