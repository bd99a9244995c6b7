#!/usr/bin/python3
"""Runs a command under the system-call filter of a systemd unit, without systemd.

Where `systemd-run -p SystemCallFilter=...` cannot run (no systemd as PID 1, as in containers),
this loads the same allow-list with libseccomp (Debian package python3-seccomp) and executes
the command. The list comes from `systemd-analyze syscall-filter`, expanded group by group, so
it is the one this machine's systemd would apply. As systemd does by default, a call outside
the list kills the process with SIGSYS.

Usage: systemd-sandbox.py UNIT_FILE -- COMMAND...   (the unit's SystemCallFilter= lines)
"""
import os
import subprocess
import sys

import seccomp


def groups():
    """{'@group': ['name' or '@group', ...]} from `systemd-analyze syscall-filter`."""
    listing = subprocess.run(['systemd-analyze', 'syscall-filter'], check=True, capture_output=True, text=True).stdout
    table, current = {}, None
    for line in listing.splitlines():
        if line.startswith('@'):
            current = table.setdefault(line.strip(), [])
        elif current is not None and line.startswith('    ') and not line.strip().startswith('#'):
            current.append(line.strip())
        elif not line.strip():
            current = None
    return table


def expand(name, table, seen=None):
    seen = set() if seen is None else seen
    if not name.startswith('@'):
        return {name}
    if name in seen:
        return set()
    seen.add(name)
    calls = set()
    for member in table[name]:
        calls |= expand(member, table, seen)
    return calls


def unit_filter(path):
    """The allowed and denied names of a unit's SystemCallFilter= lines (systemd's rules: a line
    starting with ~ removes its names from the allow-list the other lines build)."""
    allowed, denied = [], []
    with open(path) as unit:
        for line in unit:
            if line.startswith('SystemCallFilter='):
                value = line.split('=', 1)[1].strip()
                (denied if value.startswith('~') else allowed).extend(value.lstrip('~').split())
    if not allowed:
        sys.exit(f'systemd-sandbox: {path} has no SystemCallFilter allow-list')
    return allowed, denied


def main(argv):
    split = argv.index('--')
    (unit,), command = argv[:split], argv[split + 1:]
    table = groups()
    allowed_names, denied_names = unit_filter(unit)
    allowed = set().union(*(expand(name, table) for name in allowed_names))
    denied = set().union(*(expand(name, table) for name in denied_names))
    calls = allowed - denied
    flt = seccomp.SyscallFilter(defaction=seccomp.KILL_PROCESS)
    known = 0
    for call in sorted(calls):
        try:
            flt.add_rule(seccomp.ALLOW, call)
            known += 1
        except (RuntimeError, ValueError):
            pass  # not a system call on this architecture
    print(f'systemd-sandbox: {known} system calls allowed ({" ".join(allowed_names)}, not {" ".join(denied_names) or "-"}); any other kills the process', file=sys.stderr)
    flt.load()
    os.execvp(command[0], command)


if __name__ == '__main__':
    main(sys.argv[1:])
