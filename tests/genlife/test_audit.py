"""bin/audit's verdict on pip-audit reports (pip-audit itself needs the vulnerability service,
which CI machines here cannot reach; the decision logic is ours and tested here)."""

import datetime as dt
from importlib.machinery import SourceFileLoader
from importlib.util import module_from_spec, spec_from_loader
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_loader = SourceFileLoader("genlife_audit", str(ROOT / "bin" / "audit"))
audit = module_from_spec(spec_from_loader("genlife_audit", _loader))
_loader.exec_module(audit)
TODAY = dt.date(2026, 11, 26)
VULNERABLE = {
    "name": "django",
    "version": "5.2.0",
    "vulns": [{"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "fix_versions": ["5.2.1"]}],
}
CLEAN = {"name": "celery", "version": "5.6.0", "vulns": []}
SKIPPED = {"name": "amqp", "skip_reason": "Dependency not found on PyPI and could not be audited"}


def test_a_vulnerability_fails_the_audit_and_names_the_fix():
    status, lines = audit.verdict(
        {"dependencies": [CLEAN, VULNERABLE]}, {}, today=TODAY, require=False
    )
    assert status == 1
    assert "VULNERABLE django 5.2.0: PYSEC-2099-1 (fixed in: 5.2.1)" in lines


def test_an_allow_listed_vulnerability_passes_until_its_review_date():
    allowed = {"CVE-2099-0001": (TODAY, "we do not use the affected view")}
    status, lines = audit.verdict(
        {"dependencies": [VULNERABLE]}, allowed, today=TODAY, require=False
    )
    assert status == 0 and any(line.startswith("allowed until 2026-11-26") for line in lines)
    status, _ = audit.verdict(
        {"dependencies": [VULNERABLE]}, allowed, today=TODAY + dt.timedelta(days=1), require=False
    )
    assert status == 1


def test_packages_nobody_audited_are_reported_and_fail_when_required():
    report = {"dependencies": [CLEAN, SKIPPED]}
    status, lines = audit.verdict(report, {}, today=TODAY, require=False)
    assert status == 0
    assert "audited 1 of 2 locked packages" in lines
    assert any(line.startswith("NOT AUDITED (1)") for line in lines)
    assert audit.verdict(report, {}, today=TODAY, require=True)[0] == 1


def test_a_malformed_allow_list_line_is_refused(tmp_path):
    listing = tmp_path / "allow.txt"
    listing.write_text("# comment\nPYSEC-1 not-a-date reason\n")
    with pytest.raises(SystemExit, match="line 2: 'not-a-date' is not a date"):
        audit.allowlist_read(listing)


def test_the_committed_allow_list_parses():
    assert isinstance(audit.allowlist_read(audit.ALLOWLIST), dict)
