"""A CPU quota for one benchmark process: Lambda's share of a vCPU at a given memory size.

Lambda gives a function CPU in proportion to its memory (1,769 MB = 1 vCPU), enforced as a CFS
bandwidth quota: at 256 MB the function may run ~14.5 ms of every 100 ms, then waits. A Linux
cgroup does the same here: a child cgroup with ``cpu.max = "14500 100000"`` (cgroup v2) or
``cpu.cfs_quota_us = 14500`` per ``cpu.cfs_period_us = 100000`` (v1), which the worker joins
before it starts. That needs write access to the cgroup tree (root in a container, or a delegated
subtree); where there is none, `cpu_quota` yields None and the caller falls back to its model.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000


def _v2_parent() -> Path | None:
    """This process's own v2 cgroup, if the cpu controller can be enabled below it."""
    if not (CGROUP_ROOT / "cgroup.controllers").exists():
        return None
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            parent = CGROUP_ROOT / line[3:].lstrip("/")
            return parent if "cpu" in (parent / "cgroup.controllers").read_text().split() else None
    return None


def _make(name: str, vcpu: float) -> tuple[Path, Path] | None:
    """(the new cgroup, the file a process joins it by), quota set; None if not permitted."""
    quota_us = max(1000, round(vcpu * PERIOD_US))
    with contextlib.suppress(OSError):
        parent = _v2_parent()
        if parent is not None:
            with contextlib.suppress(OSError):  # already enabled, or not ours to enable
                (parent / "cgroup.subtree_control").write_text("+cpu")
            group = parent / name
            group.mkdir()
            try:
                (group / "cpu.max").write_text(f"{quota_us} {PERIOD_US}")
            except OSError:
                group.rmdir()
                raise
            return group, group / "cgroup.procs"
        v1 = CGROUP_ROOT / "cpu"
        if (v1 / "cpu.cfs_quota_us").exists():
            group = v1 / name
            group.mkdir()
            try:
                (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (group / "cpu.cfs_quota_us").write_text(str(quota_us))
            except OSError:
                group.rmdir()
                raise
            return group, group / "cgroup.procs"
    return None


@contextlib.contextmanager
def cpu_quota(vcpu: float) -> Iterator[Callable[[], None] | None]:
    """A `preexec_fn` that puts a child process in a cgroup limited to `vcpu` CPUs, or None.

    The cgroup is removed on exit (its processes must have ended by then)."""
    made = _make(f"bench-cpu-quota-{os.getpid()}", vcpu)
    if made is None:
        yield None
        return
    group, procs = made

    def join() -> None:
        procs.write_text(str(os.getpid()))

    try:
        yield join
    finally:
        with contextlib.suppress(OSError):
            group.rmdir()
