"""Data shapes of the postal-code lookup and of its API."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class PostalAddress:
    """One 町域 a postal code stands for. `town` is empty where the code covers the whole municipality."""

    postal_code: str  # 100-0001
    prefecture: str
    city: str
    town: str
    prefecture_kana: str
    city_kana: str
    town_kana: str


class AddressOut(BaseModel):
    prefecture: str = Field(description="都道府県, e.g. 東京都")
    city: str = Field(description="市区町村, e.g. 千代田区")
    town: str = Field(description="町域, e.g. 千代田; empty when the code covers the whole municipality")
    prefecture_kana: str = Field(description="都道府県 in full-width katakana")
    city_kana: str = Field(description="市区町村 in full-width katakana")
    town_kana: str = Field(description="町域 in full-width katakana (may hold full-width digits)")


class PostalCodeOut(BaseModel):
    postal_code: str = Field(description="The normalised postal code, e.g. 100-0001")
    addresses: list[AddressOut] = Field(description="Every 町域 of the code, in Japan Post's order")

    @classmethod
    def of(cls, postal_code: str, addresses: list[PostalAddress]) -> PostalCodeOut:
        return cls(postal_code=postal_code, addresses=[
            AddressOut(prefecture=a.prefecture, city=a.city, town=a.town, prefecture_kana=a.prefecture_kana,
                       city_kana=a.city_kana, town_kana=a.town_kana)
            for a in addresses
        ])
