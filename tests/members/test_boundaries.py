"""Architecture rules the membership code promises to keep."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPORTS_STRIPE = re.compile(r"^\s*(import stripe\b|from stripe\b)", re.MULTILINE)


def test_only_the_gateway_imports_stripe():
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("members", "billing", "articles", "genotypes", "genlife")
        for path in (ROOT / package).rglob("*.py")
        if IMPORTS_STRIPE.search(path.read_text())
    ]
    assert offenders == ["billing/stripe_gateway.py"]
