"""Administrator and virtual-cluster tools (ensure-dirs, daemon-util, ...).

Layer 6 (entry points).  Each module holds one tool's logic and a ``Main``
called by a thin launcher in tools/ or daemons/.  Tools must not be
imported by library code of lower layers.
"""
