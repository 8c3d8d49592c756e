"""Lifehacks by genotype in Chromium: on a 375 px phone the member's OPRM1 x COMT cell is
highlighted, the blocks chosen for them say why, and nothing scrolls sideways."""

import re

from genotypes.samples import SampleFormat, generate_rows, render_text
from tests.utils import wait_until

MEMBER = ("blocks-member@example.com", "blocks-member-passphrase-77")
LDN_PATH = "/articles/ldn-naltrexone-genetics/"


def test_member_grid_cell_is_highlighted_and_fits_a_phone(browser, site, new_tab, tmp_path):
    site.manage(
        "shell",
        "-c",
        "from members.services.users import user_ensure_verified; "
        "from billing.services.memberships import membership_grant_complimentary; "
        f"membership_grant_complimentary(user=user_ensure_verified(email='{MEMBER[0]}', "
        f"password='{MEMBER[1]}', name='Bo Blocks'))",
    )
    genome = tmp_path / "genome.txt"
    genome.write_bytes(
        render_text(
            SampleFormat.TWENTYTHREEANDME,
            generate_rows(n_snps=3_000, seed=13, include={"rs1799971": "AG", "rs4680": "AA"}),
        )
    )
    tab = new_tab(width=375, height=812, bypass_csp=True)
    page = tab.page
    tab.goto("/accounts/login/")
    page.locator("#id_login").fill(MEMBER[0])
    page.locator("#id_password").fill(MEMBER[1])
    page.get_by_role("button", name=re.compile("^Log in$", re.I)).click()
    page.wait_for_load_state("load")
    tab.goto("/genetics/upload/")
    page.locator("input[type=file]").set_input_files(str(genome))
    page.get_by_role("checkbox").first.check()
    page.get_by_role("button", name=re.compile("Upload", re.I)).click()
    page.wait_for_url(re.compile(r"/genetics/uploads/"), timeout=60_000)
    page.get_by_text("Done").first.wait_for(state="visible", timeout=60_000)

    yours = page.locator(".ggrid__cell--yours")

    def article_shows_the_members_cell() -> bool:
        # The status page may say Done a moment before the article reads the new results.
        tab.goto(LDN_PATH)
        return yours.count() > 0

    wait_until(  # the timeout is only a hang bound
        article_shows_the_members_cell,
        timeout=60,
        interval=0.5,
        message="the article never showed the member's genotype cell",
    )
    assert yours.count() == 1
    assert "OPRM1 rs1799971 AG · COMT rs4680 AA" in " ".join(yours.inner_text().split())
    assert page.locator(".ggrid__cell").count() == 9
    assert page.get_by_text("Your combination, highlighted below: AG at OPRM1 rs1799971").count()
    assert page.get_by_text("Shown because you carry one G at rs1799971 (OPRM1).").count() >= 1
    assert page.get_by_text("Your OPRM1 AA genotype").count() == 0  # not sent
    assert tab.horizontal_overflow() <= 0
    grid = page.locator(".ggrid").bounding_box()
    assert grid["x"] >= 0 and grid["x"] + grid["width"] <= 375
    yours.scroll_into_view_if_needed()
    tab.snapshot("member-genotype-grid-375", page.locator(".ggrid"))
    violations = [v for v in tab.axe_violations() if any(".g" in str(n) for n in v["nodes"])]
    assert not violations, violations
    tab.assert_clean()
