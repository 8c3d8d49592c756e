"""The production shape across machines: the web server on one host, Celery workers on two
others, sharing only PostgreSQL, Redis and S3-compatible storage (moto's S3 server, through
django-storages, as `AWS_STORAGE_BUCKET_NAME` configures it).

Each host is a network namespace with a disk of its own (tests/faults/hosts.py): a member
uploads through the web host's address, a worker host that cannot see the web host's disk
parses the file from the bucket, and the article on the web host shows the member's genotypes.
The worker host that took the job is powered off mid-parse; the beat sweeper on a second worker
host re-queues the upload and that host finishes it, once.
"""

import importlib.util
import re
import shutil
import signal
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import boto3
import polars as pl
import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import reverse

from articles.models import Article
from genotypes.genome_store import genome_from_blob
from genotypes.models import GeneticDataAuditLog, GenomeUpload, GenotypeResult
from genotypes.samples import generate_rows, render_text
from genotypes.services.deletion import _files_under
from tests.conftest import WorkerProcess, worker_environment
from tests.factories import MemberFactory
from tests.genotypes.factories import demo_catalogue
from tests.utils import wait_until

from .conftest import CSRF_TOKEN, member_session
from .hosts import Host, HostNetwork
from .processes import RedisServer, WebServer, free_port

pytestmark = [
    pytest.mark.worker,
    pytest.mark.distributed,
    pytest.mark.django_db(transaction=True),
]

BUCKET = "genlife-media"
DB_PORT = 5432
# The member's file: 23andMe, 300,000 SNPs (about 9 MB).
CALLS = {"rs1799971": "AG", "rs4680": "GG"}
GENOME = {"n_snps": 300_000, "seed": 20261202, "include": CALLS}
# Made-up credentials: moto accepts any, and boto3 must find some before it signs a request.
AWS = {
    "AWS_ACCESS_KEY_ID": "genlife-test",
    "AWS_SECRET_ACCESS_KEY": "genlife-test-secret",
    "AWS_S3_REGION_NAME": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
# A request in moto's access log: client address, method, object key (colours and query cut).
S3_REQUEST = re.compile(
    r'^(\S+) - - \[[^\]]*\] "(?:\x1b\[[\d;]*m)*([A-Z]+) /' + BUCKET + r"/([^\s?]+)", re.M
)
# A report card: the member's genotype, or the label saying why there is none.
CARD_GENOTYPE = re.compile(
    r'data-rsid="(rs\d+)">.*?(?:<strong class="genotype">|class="gt-label gt-label--[a-z_]+">)'
    r"([^<]+)",
    re.S,
)


class Cluster:
    """The services machine (Redis, moto, a TCP forward to the test database) and the hosts a
    test starts on the network, each with the production settings and its own disk."""

    def __init__(self, network: HostNetwork, static_root: Path) -> None:
        self.network = network
        shared = network.services_address
        self.redis = RedisServer(network.folder / "redis.log", host=shared)
        self.redis.start()
        network.services.append(self.redis.process)  # stopped with the network, whatever fails
        s3_port = free_port(shared)
        network.service(
            "moto",
            [sys.executable, "-m", "moto.server", "-H", shared, "-p", str(s3_port)],
            port=s3_port,
        )
        self.s3_url = f"http://{shared}:{s3_port}"
        # PostgreSQL stays on loopback; the hosts reach the test database through a forward.
        db = django_settings.DATABASES["default"]
        self.db_port = free_port(shared)
        network.service(
            "postgres-forward",
            [
                "socat",
                f"TCP-LISTEN:{self.db_port},bind={shared},reuseaddr,fork",
                f"TCP:{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or DB_PORT}",
            ],
            port=self.db_port,
        )
        database_url = urlsplit(worker_environment()["DATABASE_URL"])
        user = database_url.netloc.rpartition("@")[0]
        netloc = f"{user}@{shared}:{self.db_port}" if user else f"{shared}:{self.db_port}"
        disk = network.disk
        self.env = {
            **worker_environment(),
            **AWS,
            "DATABASE_URL": urlunsplit(database_url._replace(netloc=netloc)),
            "CELERY_BROKER_URL": self.redis.url(0),
            "REDIS_URL": self.redis.url(1),
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": self.s3_url,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_STATIC_ROOT": str(static_root),
            # The same paths on every host, each on that host's own disk.
            "DJANGO_MEDIA_ROOT": str(disk / "media"),
            "GENLIFE_DATA_DIR": str(disk / "data"),
            "TMPDIR": str(disk / "tmp"),
            "EMAIL_URL": "consolemail://",
        }
        for local_only in ("GENLIFE_BROKER_DIR", "GENLIFE_CACHE_DIR"):
            self.env.pop(local_only, None)
        self.s3 = boto3.client(
            "s3", endpoint_url=self.s3_url, region_name="us-east-1", **_boto_credentials()
        )
        self.s3.create_bucket(Bucket=BUCKET)
        self.processes: list[WebServer | WorkerProcess] = []

    def web(self, name: str = "web") -> tuple[Host, WebServer]:
        host = self.network.host(name)
        server = WebServer(
            {**self.env, "DJANGO_ALLOWED_HOSTS": host.address},
            self.network.folder / f"{name}.log",
            workers=1,
            threads=4,
            host=host.address,
            port=8000,
            launcher=host.launcher,
        )
        self.processes.append(server)
        server.start()
        return host, server

    def worker(
        self, name: str, *, app: str = "genlife", beat: bool = False, **env: str
    ) -> tuple[Host, WorkerProcess]:
        host = self.network.host(name)
        extra = ("-B", "-s", str(self.network.disk / "data" / "beat-schedule")) if beat else ()
        worker = WorkerProcess(
            self.network.folder / f"{name}.log",
            app=app,
            env={**self.env, **env},
            extra_args=extra,
            launcher=host.launcher,
        )
        self.processes.append(worker)
        worker.start()
        return host, worker

    def bucket_keys(self) -> set[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def s3_requests(self) -> set[tuple[str, str, str]]:
        """(client address, method, key) of every request for an object the S3 server logged."""
        return set(S3_REQUEST.findall((self.network.folder / "moto.log").read_text()))

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name} ---\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.network.folder.glob("*.log"))
        )

    def close(self) -> None:
        """Every process goes (a worker at once, the web server gracefully), then the hosts
        and the services; the hosts are powered off even if a stop fails."""
        try:
            for process in self.processes:
                if isinstance(process, WorkerProcess):
                    process.stop(signal.SIGKILL)
                else:
                    process.stop()
        finally:
            self.network.destroy()  # Redis too: it is one of the network's services


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": AWS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": AWS["AWS_SECRET_ACCESS_KEY"],
    }


def _unavailable() -> str:
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "the hosts share PostgreSQL: set DATABASE_URL"
    for program in ("redis-server", "socat"):
        if shutil.which(program) is None:
            return f"the services machine needs the {program} program"
    if importlib.util.find_spec("moto") is None:
        return "the services machine needs moto's S3 server (moto[s3], flask, flask-cors)"
    return HostNetwork.unavailable()


@pytest.fixture
def cluster(transactional_db, static_root, tmp_path, settings, monkeypatch):
    """The services machine and the hosts a test starts; every process, namespace and link
    removed afterwards, before the test database is flushed. The test process itself reads
    and writes the same bucket, as an admin's machine would."""
    reason = _unavailable()
    if reason:
        pytest.skip(reason)
    network = HostNetwork(tmp_path)
    try:
        running = Cluster(network, static_root)
    except BaseException:
        network.destroy()
        raise
    try:
        for name, value in AWS.items():
            monkeypatch.setenv(name, value)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "endpoint_url": running.s3_url,
                    "region_name": "us-east-1",
                    "default_acl": "private",
                    "file_overwrite": False,
                },
            },
        }
        yield running
    finally:
        running.close()


def _file(rows) -> bytes:
    return render_text("23andme", rows, seed=GENOME["seed"])


def _reaches(host: Host, address: str, port: int) -> bool:
    """Whether a program on `host` can open a TCP connection to address:port."""
    probe = f"import socket; socket.create_connection(({address!r}, {port}), timeout=3)"
    result = subprocess.run(
        [*host.launcher, sys.executable, "-c", probe], capture_output=True, timeout=60
    )
    return result.returncode == 0


def _files_on(host: Host, folder: str) -> list[str]:
    return sorted(str(p.relative_to(host.path(folder))) for p in host.path(folder).rglob("*"))


def test_worker_hosts_share_only_the_services_and_a_second_finishes_a_killed_parse(
    cluster, tmp_path
):
    rows = generate_rows(**GENOME)
    demo_catalogue()
    call_command("load_demo_articles", stdout=StringIO())
    article = Article.objects.get(slug="ldn-naltrexone-genetics")
    member = MemberFactory()
    web_host, web = cluster.web()
    hold_file = cluster.network.disk / "held-pid"  # on worker-1's own disk
    worker_host, worker = cluster.worker(
        "worker-1", app="tests.faults.held_worker_app", GENLIFE_FAULTS_HOLD_FILE=str(hold_file)
    )

    # One path, two disks: each host finds only its own files there, and the machine's own
    # folder under them is empty. A host's loopback is its own too: the machine's PostgreSQL
    # is not there, only behind the services address.
    assert web_host.path("host-name").read_text() == "web\n"
    assert worker_host.path("host-name").read_text() == "worker-1\n"
    assert list(cluster.network.disk.iterdir()) == []
    assert not _reaches(worker_host, "127.0.0.1", DB_PORT)
    assert _reaches(worker_host, cluster.network.services_address, cluster.db_port)

    # The member uploads through the web host's address.
    response = member_session(member).post(
        web.base_url + reverse("genotypes:upload"),
        data={"consent": "on", "csrfmiddlewaretoken": CSRF_TOKEN},
        files={"file": ("genome_Member_20261202.txt", _file(rows), "text/plain")},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.text[:2000]
    upload = GenomeUpload.objects.get(user=member)
    # The raw file went to the bucket, sealed; the web host's disk kept nothing of it.
    raw = cluster.s3.get_object(Bucket=BUCKET, Key=upload.raw_file.name)["Body"].read()
    assert len(raw) > 1_000_000 and b"rs1799971" not in raw and b"# rsid" not in raw
    assert _files_on(web_host, "media") == [] and _files_on(web_host, "tmp") == []

    # Worker host 1 reads it from the bucket and is held after its parse, before any commit.
    wait_until(
        lambda: worker_host.path("held-pid").exists(),
        timeout=120,
        message="worker host 1 never reached the parse:\n" + cluster.logs(),
    )
    held = GenomeUpload.objects.get(pk=upload.pk)
    assert (held.status, held.attempts) == ("parsing", 1)
    assert not web_host.path("held-pid").exists()

    worker_host.power_off()  # the machine goes: its worker, its pool, its disk
    assert worker.process.wait(timeout=30) == -signal.SIGKILL and worker_host.pids() == []
    assert GenomeUpload.objects.get(pk=upload.pk).status == "parsing"

    # Worker host 2 runs beat, whose sweeper finds the parse stuck after 20 s.
    second_host, second = cluster.worker(
        "worker-2", beat=True, GENOME_SWEEP_SECONDS="1", GENOME_STUCK_PARSING_SECONDS="20"
    )
    done = wait_until(
        lambda: GenomeUpload.objects.filter(pk=upload.pk, status="done", raw_file="").first(),
        timeout=180,  # a hang bound
        raise_on_timeout=False,
    )
    assert done, "the upload never completed:\n" + cluster.logs()
    assert "Re-queued 1 stuck genome uploads" in second.log()
    wait_until(  # the task returns (and logs) once its commit is visible
        lambda: f"genome_upload_process[{done.task_id}] succeeded" in second.log(),
        timeout=60,
        message="worker host 2 did not finish the task:\n" + cluster.logs(),
    )
    # The killed attempt and worker host 2's. On a very busy machine worker host 2's own parse
    # may outlast the short threshold and be re-queued too: only the attempt holding the claim
    # commits, so the upload still completes once (one PROCESSED entry, below).
    assert done.attempts >= 2 and done.is_current and done.snp_count == len(rows)
    assert worker.log().count("genome_upload_process[") == 1  # received, never finished
    audit = GeneticDataAuditLog.objects.filter(upload_id=upload.pk)
    assert audit.filter(action=GeneticDataAuditLog.Action.PROCESSED).count() == 1
    results = dict(GenotypeResult.objects.filter(user=member).values_list("snp__rsid", "genotype"))
    assert {rsid: results[rsid] for rsid in CALLS} == CALLS

    # Everything lives in the bucket: the one genome blob (the raw file is gone), holding
    # every genotype of the file, and nothing on either surviving host's disk.
    assert _files_under(default_storage, member.pk) == [done.genome_file.name]
    with default_storage.open(done.genome_file.name, "rb") as handle:
        stored = genome_from_blob(handle.read())
    stored_calls = dict(stored.select("rsid", pl.col("genotype").cast(pl.String)).iter_rows())
    assert stored_calls == {row.rsid: row.genotype for row in rows}
    assert done.genome_file.name in cluster.bucket_keys()
    assert upload.raw_file.name not in cluster.bucket_keys()
    assert _files_on(web_host, "media") == [] and _files_on(second_host, "media") == []
    # Each host reached the bucket from its own address: the web host stored the raw file, both
    # worker hosts read it, and worker host 2 stored the genome.
    raw_key, blob_key = upload.raw_file.name, done.genome_file.name
    requests = cluster.s3_requests()
    assert (web_host.address, "PUT", raw_key) in requests
    assert (worker_host.address, "GET", raw_key) in requests
    assert (second_host.address, "GET", raw_key) in requests
    assert (second_host.address, "PUT", blob_key) in requests
    assert second_host.path("host-name").read_text() == "worker-2\n"

    # The article on the web host shows the member's genotypes.
    page = member_session(member).get(web.base_url + article.get_absolute_url(), timeout=60)
    assert page.status_code == 200
    shown = dict(CARD_GENOTYPE.findall(page.text))
    assert {rsid: shown.get(rsid) for rsid in CALLS} == CALLS, page.text[:3000]
