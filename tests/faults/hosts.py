"""Separate hosts on one machine: the web server and each Celery worker on a "machine" of its
own, sharing only what the services machine offers (PostgreSQL, Redis, S3-compatible storage).

A host is a Linux network namespace (``ip netns``, Debian's iproute2) joined by a veth pair to
a bridge, plus a mount namespace in which a fresh tmpfs covers the host's disk folder. Every
host sees the same path (``HostNetwork.disk``) and finds only its own files there, as machines
built from one image do: no host can hand another a file by its path. A small ``init`` process
(``sleep``) holds each host's namespaces; every program of the host enters them with
``nsenter``, so the programs of one host share its disk, and killing everything in the network
namespace takes the host down, disk and all.

The root namespace is the services machine: it owns the bridge's first address, where the
services listen (``HostNetwork.service``). Names carry a random suffix, so two runs never
collide, and ``HostNetwork.destroy()`` removes every namespace, link and process, even after a
failure. Needs root (``HostNetwork.unavailable()`` says why not, for a skip).
"""

from __future__ import annotations

import ipaddress
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path

from .processes import ROOT, stop_group, wait_port

# Each host's own disk: a tmpfs, mounted by the host's init over the folder given as $0. Its
# size is a limit, not memory taken: above STORAGE_MIN_FREE_BYTES, or uploads are refused.
_HOST_INIT = (
    'mount -t tmpfs -o mode=0700,size=2g tmpfs "$0" '
    '&& mkdir -m 0700 "$0/media" "$0/data" "$0/tmp" '
    '&& echo "$1" > "$0/host-name" '
    "&& exec sleep infinity"
)


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


def _networks_in_use() -> list[ipaddress.IPv4Network]:
    """Every IPv4 network this machine has an address or a route in (another run's bridge
    among them: its services side is this root namespace too)."""
    used = []
    for item in json.loads(_ip("-j", "-4", "addr", "show").stdout or "[]"):
        for address in item.get("addr_info", []):
            used.append(ipaddress.ip_network(f"{address['local']}/{address['prefixlen']}", False))
    for route in json.loads(_ip("-j", "-4", "route", "show", "table", "all").stdout or "[]"):
        if route.get("dst", "default") != "default":
            destination = route["dst"] if "/" in route["dst"] else f"{route['dst']}/32"
            used.append(ipaddress.ip_network(destination, strict=False))
    return used


def _free_subnet() -> ipaddress.IPv4Network:
    """A random /24 in 10.0.0.0/8 that no address or route of this machine overlaps."""
    used = _networks_in_use()
    for _ in range(100):
        subnet = ipaddress.ip_network(
            f"10.{random.randrange(1, 255)}.{random.randrange(0, 256)}.0/24"
        )
        if not any(subnet.overlaps(other) for other in used):
            return subnet
    raise RuntimeError("no free /24 in 10.0.0.0/8 for the test hosts")


class Host:
    """One machine: its network namespace, its address on the bridge and its own disk."""

    def __init__(self, network: HostNetwork, name: str, index: int, address: str) -> None:
        self.network = network
        self.name = name
        self.namespace = f"gl{network.suffix}-{name}"
        self.outside = f"gl{network.suffix}h{index}"  # the bridge's end of the veth pair
        self.address = address
        self.init: subprocess.Popen | None = None

    @property
    def launcher(self) -> tuple[str, ...]:
        """Prefix that runs a command on this host (its network, its disk), from the checkout."""
        return (
            "nsenter",
            f"--target={self.init.pid}",
            "--net",
            "--mount",
            f"--wd={ROOT}",
            "--",
        )

    def path(self, relative: str) -> Path:
        """Where the test reads this host's disk: through its init's view of the file system."""
        return Path(f"/proc/{self.init.pid}/root") / self.network.disk.relative_to("/") / relative

    def pids(self) -> list[int]:
        result = _ip("netns", "pids", self.namespace, check=False)
        return [int(pid) for pid in result.stdout.split()]

    def power_off(self) -> None:
        """Every process on the host dies at once (SIGKILL), its disk with its init."""
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            if self.init is not None and self.init.poll() is None:
                self.init.wait(timeout=10)  # reaped: the disk is gone with it
            time.sleep(0.1)
        raise RuntimeError(f"processes survive on host {self.name}: {self.pids()}")

    def _create(self) -> None:
        bridge, inside = self.network.bridge, f"gl{self.network.suffix}i"
        prefix = self.network.subnet.prefixlen
        _ip("netns", "add", self.namespace)
        _ip("link", "add", self.outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", self.namespace)
        _ip("link", "set", self.outside, "master", bridge)
        _ip("link", "set", self.outside, "up")
        _ip("-n", self.namespace, "link", "set", "lo", "up")
        _ip("-n", self.namespace, "link", "set", inside, "name", "eth0")
        _ip("-n", self.namespace, "addr", "add", f"{self.address}/{prefix}", "dev", "eth0")
        _ip("-n", self.namespace, "link", "set", "eth0", "up")
        self.init = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, "sh", "-c", _HOST_INIT]
            + [str(self.network.disk), self.name],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        for _ in range(200):  # mounting takes milliseconds; a bound of 20 s
            if self.init.poll() is not None:
                raise RuntimeError(f"host {self.name} failed: {self.init.stderr.read()!r}")
            try:
                if self.path("host-name").read_text().strip() == self.name:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"host {self.name} never mounted its disk")

    def _destroy(self) -> None:
        try:
            self.power_off()
        finally:
            _ip("netns", "del", self.namespace, check=False)
            _ip("link", "del", self.outside, check=False)  # gone with the namespace, usually


class HostNetwork:
    """A bridge whose first address is the services machine (the root namespace), and the
    hosts joined to it. Use as a context manager, or call destroy()."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.suffix = secrets.token_hex(3)
        self.subnet = _free_subnet()
        self._addresses = self.subnet.hosts()
        self.services_address = str(next(self._addresses))
        self.bridge = f"gl{self.suffix}b"
        self.disk = folder / "disk"  # every host's own disk, at the same path
        self.disk.mkdir()
        self.hosts: list[Host] = []
        self.services: list[subprocess.Popen] = []
        _ip("link", "add", self.bridge, "type", "bridge")
        try:
            _ip(
                "addr",
                "add",
                f"{self.services_address}/{self.subnet.prefixlen}",
                "dev",
                self.bridge,
            )
            _ip("link", "set", self.bridge, "up")
        except RuntimeError:
            self.destroy()
            raise

    @staticmethod
    def unavailable() -> str:
        """Why hosts cannot be made here ("" when they can)."""
        if os.geteuid() != 0:
            return "separate hosts need root (ip netns, mount)"
        for program in ("ip", "nsenter"):
            if shutil.which(program) is None:
                return f"separate hosts need the {program} program (iproute2, util-linux)"
        probe = f"glprobe{secrets.token_hex(3)}"
        result = _ip("netns", "add", probe, check=False)
        _ip("netns", "del", probe, check=False)
        if result.returncode != 0:
            return f"ip netns is not available here: {result.stderr.strip()}"
        return ""

    def host(self, name: str) -> Host:
        host = Host(self, name, len(self.hosts), str(next(self._addresses)))
        self.hosts.append(host)  # first, so that destroy() removes whatever part was made
        host._create()
        return host

    def service(self, name: str, argv: list[str], *, port: int) -> subprocess.Popen:
        """A program on the services machine, listening on its address at `port`."""
        with open(self.folder / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.services.append(process)
        wait_port(port, host=self.services_address, timeout=60, process=process, what=name)
        return process

    def destroy(self) -> None:
        errors = []
        for host in self.hosts:
            try:
                host._destroy()
            except (RuntimeError, OSError, subprocess.SubprocessError) as error:
                errors.append(error)
        for process in self.services:
            stop_group(process, sig=signal.SIGKILL)
        _ip("link", "del", self.bridge, check=False)
        if errors:
            raise errors[0]

    def __enter__(self) -> HostNetwork:
        return self

    def __exit__(self, *exc_info) -> None:
        self.destroy()
