#!/usr/bin/env python3
"""Runs a command and fails if it leaves any process behind.

Usage: ci/no_leftovers.py [--grace SECONDS] COMMAND [ARG...]

The wrapper makes itself a child sub-reaper (prctl PR_SET_CHILD_SUBREAPER), so every
process COMMAND starts stays its descendant even when its parent exits or it daemonizes
(setsid, double fork). When COMMAND exits, descendants get a short grace period to end;
any still alive are listed (pid, parent, command line), killed, and the wrapper exits
non-zero. Otherwise it exits with COMMAND's status.
"""

import ctypes
import os
import signal
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def parse_args(argv):
    grace = 5.0
    if len(argv) >= 2 and argv[0] == "--grace":
        grace = float(argv[1])
        argv = argv[2:]
    if not argv:
        sys.exit(__doc__.strip())
    return grace, argv


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        sys.exit("no_leftovers: prctl(PR_SET_CHILD_SUBREAPER): " + os.strerror(err))


def process_table():
    """{pid: (ppid, state, command line)} for every process visible in /proc."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
            with open("/proc/%s/cmdline" % name, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue  # it ended while we looked
        # pid (comm) state ppid ...: comm may hold spaces and parentheses.
        comm_end = stat.rfind(")")
        fields = stat[comm_end + 2:].split()
        comm = stat[stat.find("(") + 1:comm_end]
        table[int(name)] = (int(fields[1]), fields[0], cmdline or "[" + comm + "]")
    return table


def descendants(root, zombies=False):
    """Descendants of `root`, zombies only if asked: {pid: (ppid, command line)}.

    A zombie child of ours may have started something a moment before it exited, so
    zombies count while we wait for things to settle (reap_zombies clears ours)."""
    table = process_table()
    children = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = {}, list(children.get(root, []))
    while stack:
        pid = stack.pop()
        ppid, state, cmdline = table[pid]
        if zombies or state != "Z":
            found[pid] = (ppid, cmdline)
        stack.extend(children.get(pid, []))
    return found


def reap_zombies():
    """Reaps every exited child (orphans re-parented to us included)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def run(command):
    """Starts COMMAND and waits for it, reaping orphans meanwhile; its exit code."""
    child = os.fork()
    if child == 0:
        try:
            os.execvp(command[0], command)
        except OSError as e:
            print("no_leftovers: cannot run %s: %s" % (command[0], e), file=sys.stderr)
        os._exit(127)
    # Signals meant for the job reach COMMAND; the wrapper lives to check afterwards.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, _frame: os.kill(child, s))
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            return code if code >= 0 else 128 - code  # killed by a signal: as a shell says


def main():
    grace, command = parse_args(sys.argv[1:])
    become_subreaper()
    code = run(command)

    me = os.getpid()
    deadline = time.monotonic() + grace
    reap_zombies()
    while descendants(me, zombies=True) and time.monotonic() < deadline:
        time.sleep(0.05)
        reap_zombies()
    left = descendants(me)
    if not left:
        return code

    print("no_leftovers: %s left %d process(es) running %.0f s after it ended:"
          % (command[0], len(left), grace), file=sys.stderr)
    for pid, (ppid, cmdline) in sorted(left.items()):
        print("  pid %d (parent %d): %s" % (pid, ppid, cmdline[:300]), file=sys.stderr)
    # Kill until none is left (a dying process may have started another).
    for _ in range(50):
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
        reap_zombies()
        left = descendants(me)
        if not left:
            break
    print("no_leftovers: killed them; failing", file=sys.stderr)
    return code if code != 0 else 1


if __name__ == "__main__":
    sys.exit(main())
