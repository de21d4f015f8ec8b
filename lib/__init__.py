"""The ganeti package: a cluster manager for virtual machines.

Layers, lowest first (a module imports only from its own layer or below):
base (constants, errors, serializer, ht, pathutils, vcluster, compat,
netutils, utils), model (objects, opcodes, query, qlang), node side
(storage, hypervisor, backend, ssconf, uidpool), wire (http, rpc, luxi,
confd, rapi), master side (locking, workerpool, jqueue, jstore, mcpu,
hooksmaster, config, cmdlib, iallocator, bootstrap, watcher) and entry
points (server, client, cli, tools).
"""
