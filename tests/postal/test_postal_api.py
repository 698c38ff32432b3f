"""GET /api/v1/postal-codes/{code}: 200 with every 町域, 404 when the code does not exist, 422 when malformed."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


def test_a_code_gives_its_address_with_kana(client: TestClient) -> None:
    response = client.get("/api/v1/postal-codes/100-0001")
    assert response.status_code == 200
    assert response.json() == {"postal_code": "100-0001", "addresses": [
        {"prefecture": "東京都", "city": "千代田区", "town": "千代田",
         "prefecture_kana": "トウキョウト", "city_kana": "チヨダク", "town_kana": "チヨダ"}]}
    assert response.headers["cache-control"] == "public, max-age=86400"


@pytest.mark.parametrize("spelling", ["1000001", "１００－０００１", "〒100-0001", "100−0001"])
def test_the_code_is_normalised(client: TestClient, spelling: str) -> None:
    response = client.get(f"/api/v1/postal-codes/{quote(spelling)}")
    assert response.status_code == 200
    assert response.json()["postal_code"] == "100-0001"


def test_every_town_of_a_code_and_an_empty_town_for_the_rest_of_the_ward(client: TestClient) -> None:
    towns = client.get("/api/v1/postal-codes/452-0961").json()["addresses"]
    assert len(towns) == 66 and towns[1]["town"] == "春日一番割" and towns[1]["town_kana"] == "ハルヒイチバンワリ"
    assert client.get("/api/v1/postal-codes/1000000").json()["addresses"] == [
        {"prefecture": "東京都", "city": "千代田区", "town": "", "prefecture_kana": "トウキョウト",
         "city_kana": "チヨダク", "town_kana": ""}]


def test_a_code_that_does_not_exist_is_404_in_japanese_or_english(client: TestClient) -> None:
    response = client.get("/api/v1/postal-codes/１００９９９９")
    assert response.status_code == 404
    assert response.json() == {"errors": [{"pointer": "", "keyword": "not_found",
                                           "message": "郵便番号 100-9999 は見つかりません。番号をご確認ください"}]}
    english = client.get("/api/v1/postal-codes/100-9999", headers={"Accept-Language": "en"})
    assert english.status_code == 404
    assert english.json()["errors"][0]["message"] == "Postal code 100-9999 was not found: check the number"


@pytest.mark.parametrize("code", ["12345", "100-00011", "abcdefg", "100_0001"])
def test_a_code_that_is_not_seven_digits_is_422(client: TestClient, code: str) -> None:
    response = client.get(f"/api/v1/postal-codes/{code}")
    assert response.status_code == 422
    assert response.json() == {"errors": [{"pointer": "", "keyword": "format",
                                           "message": "郵便番号は7桁の数字で入力してください（例：100-0013）"}]}


def test_the_route_is_in_the_openapi_document(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/postal-codes/{code}"]["get"]
    assert set(operation["responses"]) >= {"200", "404", "422"}
