"""Attack test, issue 17 item 5: ``make run`` listens on the loopback interface only.

The action server's ``/webhook`` accepts made-up conversations (and creates tickets), Rasa's
HTTP API and the web chat page are for this machine; the agent workspace too unless configured.
From another machine (here: this machine's non-loopback addresses) every port is refused; the
kernel's table of listening sockets (``/proc/net/tcp``, ``/proc/net/tcp6``) shows loopback only.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from tests.workspace.test_workspace_support import WorkspaceStack

LOOPBACK = {"127.0.0.1", "::1"}


def _hex_address(raw: str) -> str:
    """``0100007F`` / 32 hex digits (little-endian words) as an IP address string."""
    data = bytes.fromhex(raw)
    if len(data) == 4:
        return socket.inet_ntop(socket.AF_INET, data[::-1])
    words = b"".join(data[i:i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def listening(port: int) -> set[str]:
    """Addresses with a socket listening on ``port``, from the kernel's tables."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(_hex_address(address))
    return found


def outside_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses (what another machine would connect to)."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    found = [a for a in out.split() if "." in a and not a.startswith("127.")]
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent; picks the outgoing interface
        found.append(probe.getsockname()[0])
    except OSError:
        pass
    finally:
        probe.close()
    return sorted({a for a in found if not a.startswith("127.")})


def refused(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=2):
            return False
    except OSError:
        return True


def test_every_port_listens_on_loopback_only(workspace_stack: WorkspaceStack) -> None:
    s = workspace_stack.settings
    ports = {"rasa": s.rasa_port, "actions": s.actions_port, "web chat": s.webchat_port,
             "workspace": s.workspace_port}
    for name, port in ports.items():
        bound = listening(port)
        assert bound, f"nothing listens on the {name} port {port}"
        assert bound <= LOOPBACK, f"{name} listens on {bound}"
        for address in outside_addresses():
            assert refused(address, port), f"{name} answers on {address}:{port}"
