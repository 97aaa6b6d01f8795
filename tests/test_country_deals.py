"""Country pages list the country's deals as supplier and as recipient, on a timeline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from fixtures.review.builder import build

from flows.web import create_app
from pipeline.review import decide, open_store
from pipeline.review.search import country_deals

BASE = "http://127.0.0.1:8765"


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Path, dict[str, str]]]:
    out_dir = tmp_path / "out"
    ids = build(out_dir)
    app = create_app(out_dir, bind_host="127.0.0.1", port=8765)
    with TestClient(app, base_url=BASE) as client:
        yield client, out_dir, ids


def _deals_section(html: str) -> str:
    return html.split('id="country-deals"')[1].split("</section>")[0]


def test_country_page_lists_deals_as_supplier_and_as_recipient(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, _, ids = site
    kilo, gepard = ids["deal_Project 636.1"], ids["deal_Gepard 3.9"]
    ru = _deals_section(client.get("/country/ru").text)
    assert "2 as supplier, 0 as recipient" in ru
    supplier_cells = "".join(part.split("</td>")[0] for part in ru.split('class="supplier"')[1:])
    assert kilo in supplier_cells and gepard in supplier_cells
    assert ru.index("<td>2009</td>") < ru.index("<td>2011</td>")  # by year, as a timeline
    assert ru.count('class="dot deal supplier') == 2  # one dot each on the supplier lane
    assert "Project 636.1 × 6 → VN, 2009" in ru
    vn = _deals_section(client.get("/country/VN").text)
    assert "0 as supplier, 2 as recipient" in vn and "Project 636.1 × 6 ← RU, 2009" in vn
    assert vn.count('class="dot deal recipient') == 2
    assert "No deals." in client.get("/country/BY").text


def test_an_edited_supplier_moves_the_deal_to_that_country(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, out_dir, ids = site
    gepard = ids["deal_Gepard 3.9"]
    with open_store(out_dir) as store:
        decide(
            store,
            gepard,
            "edit",
            reviewer="anna",
            base_version=0,
            payload={"set": {"supplier": "BY"}},
        )
        found = country_deals(store, "by")
        assert [d.id for d in found["supplier"]] == [gepard]
        assert gepard not in [d.id for d in country_deals(store, "RU")["supplier"]]
        assert country_deals(store, "12") == {"supplier": [], "recipient": []}
    assert "1 as supplier, 0 as recipient" in _deals_section(client.get("/country/BY").text)
