"""Block devices of the node: logical volumes, DRBD, files, adopted devices.

Layer 3 (node side).  ``base`` holds the abstract BlockDev class and its
error helpers, ``lvm``, ``filestorage``, ``blockdev`` and ``drbd`` the
concrete device types, and ``bdev`` the dispatcher through which the
backend creates, finds and assembles the devices of a configuration disk.
Nothing in this package imports the backend or anything above the node
layer.
"""
