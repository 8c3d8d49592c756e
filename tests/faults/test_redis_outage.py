"""Redis (broker and cache) stopped while a member uploads: the upload is kept, the member
sees "queued", and the job runs once Redis is back, with nobody touching anything."""

import datetime as dt
import time

import pytest
import requests
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from genotypes.models import GenomeUpload, GenotypeResult
from genotypes.samples import generate_genome
from tests.factories import MemberFactory
from tests.genotypes.factories import demo_catalogue
from tests.utils import wait_until

from .conftest import CSRF_TOKEN, member_session

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CALLS = {"rs1799971": "AG", "rs4680": "GG"}
STUCK_SECONDS = 3
# What beat logs when it tries to send the due sweep and cannot reach the broker: one or the
# other, depending on whether its connection was up when Redis stopped.
SWEEP_REFUSED = (
    "Couldn't apply scheduled task genome-uploads-requeue-stuck",
    "beat: Connection error",
)


def _post_upload(web, http, seed: int):
    started = time.monotonic()
    response = http.post(
        web.base_url + reverse("genotypes:upload"),
        data={"consent": "on", "csrfmiddlewaretoken": CSRF_TOKEN},
        files={
            "file": (
                "genome.txt",
                generate_genome(n_snps=20_000, seed=seed, include=CALLS),
                "text/plain",
            )
        },
        allow_redirects=False,
        timeout=60,
    )
    return response, time.monotonic() - started


def _done(upload_id, stack) -> GenomeUpload:
    # A hang bound: after an outage the worker and beat reconnect with growing back-off.
    done = wait_until(
        lambda: GenomeUpload.objects.filter(pk=upload_id, status="done").first(),
        timeout=240,
        raise_on_timeout=False,
    )
    assert done, f"upload {upload_id} never ran:\n" + stack.logs()
    return done


def test_upload_while_redis_is_down_is_kept_queued_and_runs_when_redis_returns(stack):
    demo_catalogue()
    member = MemberFactory()
    web = stack.web()
    # Beat sweeps every second and calls an upload queued for 3 s stuck.
    worker = stack.worker(
        beat=True, GENOME_SWEEP_SECONDS="1", GENOME_STUCK_QUEUED_SECONDS=str(STUCK_SECONDS)
    )
    http = member_session(member)
    before, _ = _post_upload(web, http, 4)  # the web process now holds a broker connection
    assert before.status_code == 302
    _done(GenomeUpload.objects.get(user=member).pk, stack)
    # The worker acknowledges a job just after its upload shows "done"; Redis stopping within
    # that moment makes kombu's reconnection raise and the worker exit (a crash this test is not
    # about), so the outage starts once the broker holds nothing.
    stack.wait_idle()
    stack.redis.stop()

    response, upload_seconds = _post_upload(web, http, 5)
    assert response.status_code == 302, response.text[:2000] + stack.logs()
    # A hang bound (the send gives up at once; bench/ holds speed goals), far below the client's.
    assert upload_seconds < 20, f"the upload took {upload_seconds:.1f} s with Redis down"

    upload = GenomeUpload.objects.filter(user=member).latest("created")
    assert upload.status == "queued"
    assert upload.raw_file and default_storage.exists(upload.raw_file.name)
    page = http.get(web.base_url + response.headers["Location"], timeout=30)
    assert page.status_code == 200
    assert "Your file is waiting to be read" in page.text
    assert '<strong class="upload-status__label">Queued</strong>' in page.text
    status = http.get(
        web.base_url + reverse("genotypes:upload_status_json", args=[upload.pk]), timeout=30
    ).json()
    assert status["status"] == "queued" and status["finished"] is False
    health = requests.get(web.base_url + "/healthz", timeout=30)
    assert (health.status_code, health.json()["broker"]) == (503, "unavailable")
    assert f"upload {upload.pk} stays queued for the sweeper" in web.log()

    # Past the stuck threshold, beat tries to sweep (a sweep would find the upload, if it could
    # reach the broker): the upload stays queued.
    wait_until(
        lambda: timezone.now() - upload.created > dt.timedelta(seconds=STUCK_SECONDS), timeout=60
    )

    def sweeps_refused() -> int:
        log = worker.log()
        return sum(log.count(line) for line in SWEEP_REFUSED)

    before_threshold = sweeps_refused()
    wait_until(
        lambda: sweeps_refused() > before_threshold,
        timeout=120,
        message="beat did not try to sweep:\n" + stack.logs(),
    )
    assert GenomeUpload.objects.get(pk=upload.pk).status == "queued"
    stack.redis.start()  # same port, empty: a restarted Redis without persistence

    done = _done(upload.pk, stack)
    results = dict(GenotypeResult.objects.filter(user=member).values_list("snp__rsid", "genotype"))
    assert results["rs1799971"] == "AG" and results["rs4680"] == "GG"
    assert done.attempts == 1 and done.is_current

    # The web process sends the next upload's job itself again, with no help from the sweeper.
    after, _ = _post_upload(web, http, 6)
    assert after.status_code == 302
    latest = GenomeUpload.objects.filter(user=member).latest("created")
    _done(latest.pk, stack)
    assert f"upload {latest.pk} stays queued" not in web.log()
    assert worker.process.poll() is None and web.process.poll() is None


def test_the_cache_treats_an_unreachable_redis_as_empty_and_stops_trying_for_a_while(monkeypatch):
    from genlife import cache as resilient

    monkeypatch.setattr(resilient, "_down_until", 0.0)
    cache = resilient.ResilientRedisCache(
        "redis://127.0.0.1:9/0", {"OPTIONS": {"socket_connect_timeout": 1}}
    )
    started = time.monotonic()
    assert cache.get("page", "fallback") == "fallback"
    assert resilient._down_until > time.monotonic()  # the next calls do not even try
    assert cache.add("allauth-lock", True) is True  # rate-limit locks are granted
    cache.set("page", "html")
    assert cache.get_many(["page"]) == {} and cache.has_key("page") is False
    assert cache.delete("page") is False
    assert time.monotonic() - started < 10  # a hang bound: nothing waited for a timeout
