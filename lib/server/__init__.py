"""Daemon entry points: the main function of every Ganeti daemon.

Layer 6 (entry).  daemon.py holds what all daemons share (flags, detaching,
pid file, logging, main loop); masterd.py is ganeti-masterd (its LUXI
request handling lives in masterd_ops.py).  The executables in daemons/
only call these mains.  Nothing below the entry layer may import this
package.
"""
