"""Thin helpers over `ip netns` for the e2e suite.

Every command is bounded by a timeout so that a hung tool cannot stall the
suite past its 10-minute budget. Only the namespaces this run created are
touched; nothing is sent outside them.

Thread-safety: plain functions; the runner calls them from its one thread
(plus background processes it tracks itself).
"""
import os
import shlex
import subprocess

DEFAULT_TIMEOUT = 20.0


class CmdError(RuntimeError):
    pass


def run(argv, timeout=DEFAULT_TIMEOUT, check=True, input=None):
    """Runs argv, returns CompletedProcess (text). Raises CmdError on failure when check."""
    try:
        cp = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                            input=input)
    except subprocess.TimeoutExpired as e:
        raise CmdError(f"timeout after {timeout}s: {shlex.join(argv)}") from e
    if check and cp.returncode != 0:
        raise CmdError(f"exit {cp.returncode}: {shlex.join(argv)}\n{cp.stdout}{cp.stderr}")
    return cp


def ns_argv(ns, argv):
    return ["ip", "netns", "exec", ns] + list(argv)


def nsrun(ns, argv, **kw):
    return run(ns_argv(ns, argv), **kw)


def nssh(ns, script, **kw):
    """Runs a shell snippet inside ns (for multi-command setup only)."""
    return run(ns_argv(ns, ["sh", "-ec", script]), **kw)


def netns_available():
    """True when this process can create and delete a namespace."""
    name = f"isw-probe-{os.getpid()}"
    try:
        run(["ip", "netns", "add", name], timeout=10)
    except (CmdError, FileNotFoundError):
        return False
    run(["ip", "netns", "del", name], timeout=10, check=False)
    return True


def spawn(ns, argv, log_path):
    """Starts a long-running process inside ns, stdout+stderr to log_path."""
    log = open(log_path, "wb")
    p = subprocess.Popen(ns_argv(ns, argv), stdout=log, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    return p


def stop(p, timeout=5.0):
    """Ends a process this suite started (SIGTERM, then SIGKILL), by its own pid/group."""
    if p is None or p.poll() is not None:
        return
    try:
        os.killpg(p.pid, 15)
    except ProcessLookupError:
        return
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, 9)
        except ProcessLookupError:
            pass
        p.wait(timeout=timeout)
