"""What-if for bench/load.py: tracking off, cached sessions, and each member's genotype
report kept in the cache for five minutes.

An estimate of what caching the report would gain, not a design: the report is patched into
the article view by a middleware here, and nothing invalidates it after a new upload.

    .venv/bin/python bench/load.py --settings-module cached_report
"""

from genlife.settings import *  # noqa: F403

USERSESSIONS_TRACK_ACTIVITY = False
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
MIDDLEWARE = ["cached_report.ReportCachePatch", *MIDDLEWARE]  # noqa: F405


class ReportCachePatch:
    """Wraps the article reports' genotype_report_for in a per-member cache lookup."""

    def __init__(self, get_response):
        self.get_response = get_response
        from django.core.cache import cache

        import articles.reports as reports

        original = reports.genotype_report_for

        def cached(*, user, snps, overrides=None):
            key = f"whatif-report:{user.pk}:" + ",".join(str(snp.pk) for snp in snps)
            report = cache.get(key)
            if report is None:
                report = original(user=user, snps=snps, overrides=overrides)
                cache.set(key, report, 300)
            return report

        reports.genotype_report_for = cached

    def __call__(self, request):
        return self.get_response(request)
