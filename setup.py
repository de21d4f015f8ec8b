"""Installs the ``ganeti`` package from ``lib/`` plus the daemon and script launchers."""

import os

from setuptools import setup


def _package_tree(root, name):
    """Map every directory below ``root`` holding an __init__.py to a dotted package name."""
    packages = {}
    for dirpath, _dirnames, filenames in os.walk(root):
        if "__init__.py" not in filenames:
            continue
        rel = os.path.relpath(dirpath, root)
        dotted = name if rel == "." else name + "." + rel.replace(os.sep, ".")
        packages[dotted] = dirpath
    return packages


_PACKAGES = _package_tree("lib", "ganeti")


def _executables(directory):
    if not os.path.isdir(directory):
        return []
    return sorted(os.path.join(directory, entry) for entry in os.listdir(directory)
                  if not entry.startswith(".")
                  and os.path.isfile(os.path.join(directory, entry)))


setup(
    name="ganeti",
    version="2.6.2",
    description="Cluster manager for virtual machines, in the Ganeti 2.x design",
    packages=sorted(_PACKAGES),
    package_dir=_PACKAGES,
    scripts=_executables("daemons") + _executables("scripts"),
    python_requires=">=3.11",
)
