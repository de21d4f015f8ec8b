"""The gnt-* command line tools, one module per tool (gnt_job, gnt_debug...).

Layer 6 (entry points).  Each module holds a tool's command functions and
its command table and exposes ``Main()``, which the launcher in scripts/
calls.  The tools build opcodes from `ganeti.opcodes` and reach the master
only through `ganeti.cli` (which uses `luxi.Client`); they must not import
master-side modules (config, jqueue, cmdlib...).
"""
