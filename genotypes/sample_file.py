"""The downloadable sample genome: made once (it is deterministic), then kept and served.

It carries the demo member's genotypes (``samples.DEMO_CALLS``) for the catalogue's SNPs, so
a visitor who tries the upload with it sees the same kind of report as the demo member.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings

from genotypes import samples

SAMPLE_PARAMS = {"fmt": "23andme", "n_snps": 20_000, "seed": 2026}


def _sample_path() -> Path:
    """Where the sample file is kept: named by what makes it, so a change makes a new one."""
    recipe = repr((SAMPLE_PARAMS, sorted(samples.DEMO_CALLS.items()))).encode()
    digest = hashlib.sha256(recipe + Path(samples.__file__).read_bytes()).hexdigest()[:16]
    return Path(settings.DATA_DIR) / "samples" / f"sample-23andme-{digest}.txt"


def sample_genome_bytes() -> bytes:
    """The sample file, generated on first use and then read from disk."""
    path = _sample_path()
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data = samples.generate_genome(**SAMPLE_PARAMS, include=samples.DEMO_CALLS)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed, so a concurrent request never reads half a file.
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
        handle.write(data)
    os.chmod(handle.name, 0o644)  # made-up data, served to anyone
    os.replace(handle.name, path)
    return data
