"""Property-based: whatever bytes arrive, the parsers return a parse or raise their own error.

Inputs are arbitrary bytes and real-format files mutated at random (bytes flipped, lines cut,
junk inserted, compression wrapped around the damage). Each parse must finish quickly and
without a memory blow-up; any other exception type is a bug.
"""

import gzip
import io
import resource
import time
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genotypes.parsers import parse_genome_bytes
from genotypes.parsers.errors import GenomeFormatError
from genotypes.samples import SampleFormat, generate_rows, render_text

SECONDS_PER_PARSE = 5.0
# Growth of the process's peak resident memory that one small input may cause (polars and
# zlib allocate outside Python's allocator, so the kernel's high-water mark is the honest gauge).
PEAK_GROWTH_KIB = 200 * 1024
_ROWS = generate_rows(n_snps=300, seed=7)
REAL_FILES = [render_text(fmt, _ROWS, seed=3) for fmt in SampleFormat]

PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def _parse_within_limits(data: bytes):
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    try:
        result = parse_genome_bytes(data)
    except GenomeFormatError as error:
        assert str(error), "a GenomeFormatError must carry a member-facing message"
        result = error
    finally:
        elapsed = time.monotonic() - started
        growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
    assert elapsed < SECONDS_PER_PARSE, f"parse took {elapsed:.1f} s"
    assert growth < PEAK_GROWTH_KIB, f"peak memory grew by {growth / 1024:.0f} MiB"
    return result


@st.composite
def mutated_real_file(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(REAL_FILES)))
    for _ in range(draw(st.integers(0, 6))):
        operation = draw(st.sampled_from(["flip", "cut", "insert", "truncate", "duplicate"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if operation == "flip" and data:
            data[position] = draw(st.integers(0, 255))
        elif operation == "cut":
            del data[position : position + draw(st.integers(1, 400))]
        elif operation == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=64))
        elif operation == "truncate":
            del data[position:]
        else:
            end = data.find(b"\n", position)
            line = data[position : end + 1] if end != -1 else b""
            data[position:position] = line * draw(st.integers(1, 3))
    wrapper = draw(st.sampled_from(["none", "gzip", "zip", "utf16"]))
    if wrapper == "gzip":
        return gzip.compress(bytes(data))
    if wrapper == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("genome.txt", bytes(data))
        return buffer.getvalue()
    if wrapper == "utf16":
        return bytes(data).decode("utf-8", errors="replace").encode("utf-16")
    return bytes(data)


@PROPERTY_SETTINGS
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_give_a_parse_or_a_genome_format_error(data):
    _parse_within_limits(data)


@PROPERTY_SETTINGS
@given(
    st.sampled_from(
        [b"\x1f\x8b", b"PK\x03\x04", b"\xff\xfe", b"\xef\xbb\xbf", b"##fileformat=VCF"]
    ),
    st.binary(max_size=2048),
)
def test_bytes_behind_a_magic_prefix_give_a_parse_or_a_genome_format_error(prefix, rest):
    _parse_within_limits(prefix + rest)


@PROPERTY_SETTINGS
@given(mutated_real_file())
def test_mutated_real_files_give_a_parse_or_a_genome_format_error(data):
    result = _parse_within_limits(data)
    if not isinstance(result, GenomeFormatError):
        assert result.snp_count >= 0
