"""A Celery app for the erasure and concurrency fault tests: genlife's own app, with one fault
switched on per test through the environment.

- ``GENLIFE_FAULTS_HOLD_FILE``: the first parse in the whole test (claimed through that file,
  created with O_EXCL) parses the file for real, writes its pid to the file and waits until
  ``GENLIFE_FAULTS_RELEASE_FILE`` exists (a generous bound: 120 s), then carries on as usual.
  The test thus acts while an attempt sits between its parse and its storage write. Every later
  parse runs unchanged.
- ``GENLIFE_FAULTS_KILL_EVERY_PARSE``: every parse SIGKILLs its own pool process, as a container
  memory limit would on a file too big for it.
- ``GENLIFE_FAULTS_DISK_FULL``: writing a genome blob writes part of it, then fails with ENOSPC,
  as a full disk does.

Run with ``celery -A tests.faults.fault_worker_app worker``.
"""

import errno
import os
import signal
import time

from celery.signals import worker_process_init

from genlife.celery import app

__all__ = ["app"]

HOLD_BOUND_SECONDS = 120


def _hold_first_parse(parse):
    hold_file = os.environ["GENLIFE_FAULTS_HOLD_FILE"]
    release_file = os.environ["GENLIFE_FAULTS_RELEASE_FILE"]

    def parse_then_hold(source, **options):
        genome = parse(source, **options)
        try:
            descriptor = os.open(hold_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return genome
        os.write(descriptor, str(os.getpid()).encode())
        os.close(descriptor)
        deadline = time.monotonic() + HOLD_BOUND_SECONDS
        while not os.path.exists(release_file) and time.monotonic() < deadline:
            time.sleep(0.1)
        return genome

    return parse_then_hold


def _kill_self(source, **options):
    os.kill(os.getpid(), signal.SIGKILL)


def _disk_full_on_blobs(save):
    def save_or_fill_the_disk(self, name, content):
        if not name.startswith("genomes/blobs/"):
            return save(self, name, content)
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:  # what got written before the disk filled up
            handle.write(content.read(4096))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    return save_or_fill_the_disk


@worker_process_init.connect
def _install_fault(**kwargs) -> None:
    from django.core.files.storage import FileSystemStorage

    from genotypes.services import parsing

    if os.environ.get("GENLIFE_FAULTS_HOLD_FILE"):
        parsing.parse_genome = _hold_first_parse(parsing.parse_genome)
    if os.environ.get("GENLIFE_FAULTS_KILL_EVERY_PARSE"):
        parsing.parse_genome = _kill_self
    if os.environ.get("GENLIFE_FAULTS_DISK_FULL"):
        FileSystemStorage._save = _disk_full_on_blobs(FileSystemStorage._save)
