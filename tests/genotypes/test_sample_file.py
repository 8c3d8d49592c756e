"""The sample genome is made once and then served as a file, the same bytes every time."""

from django.urls import reverse

from genotypes import samples
from genotypes.samples import DEMO_CALLS as SAMPLE_CALLS


def test_the_sample_file_is_generated_once_then_served_identical(
    client, settings, tmp_path, monkeypatch
):
    settings.DATA_DIR = tmp_path
    calls = []
    real = samples.generate_genome

    def counting(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(samples, "generate_genome", counting)
    bodies = []
    for _ in range(3):
        response = client.get(reverse("genotypes:sample_file"))
        assert response.status_code == 200
        assert response["Content-Disposition"] == (
            'attachment; filename="genlife-sample-23andme.txt"'
        )
        bodies.append(response.content)
    assert len(calls) == 1, "the generator ran on more than the first request"
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0] == real("23andme", n_snps=20_000, seed=2026, include=SAMPLE_CALLS)
    # What every web process serves: the kept file.
    (kept,) = (tmp_path / "samples").iterdir()
    assert kept.name.startswith("sample-23andme-") and kept.read_bytes() == bodies[0]
