"""A Celery app for the worker-kill tests: genlife's own app, with the first parse held open.

Parsing a full-size 23andMe file takes about 0.15 s here, too short a window to SIGKILL a
worker inside it reliably. Each pool process therefore wraps the parser: the first call in the
whole test (claimed through a file created with O_EXCL) parses the file for real, writes its
pid to that file and then waits, so the test knows which process to kill and that the kill
lands after the parse and before anything is committed. Every later call, including the
redelivered task, runs the parser unchanged.

Run with ``celery -A tests.faults.held_worker_app worker`` and GENLIFE_FAULTS_HOLD_FILE set.
"""

import os
import time

from celery.signals import worker_process_init

from genlife.celery import app

__all__ = ["app"]

HOLD_SECONDS = 60


@worker_process_init.connect
def _hold_the_first_parse(**kwargs) -> None:
    from genotypes.services import parsing

    hold_file = os.environ["GENLIFE_FAULTS_HOLD_FILE"]
    parse = parsing.parse_genome

    def parse_then_hold(source, **options):
        genome = parse(source, **options)
        try:
            descriptor = os.open(hold_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return genome
        os.write(descriptor, str(os.getpid()).encode())
        os.close(descriptor)
        time.sleep(HOLD_SECONDS)  # the test kills this process here
        return genome

    parsing.parse_genome = parse_then_hold
