"""Validated article data as it travels through import, export, the API and the store."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

SLUG = re.compile(r"^[^\s/]{1,120}$")


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError("id must be 1-120 characters with no spaces or slashes, e.g. plan-pro-cost")
    return value


ArticleId = Annotated[str, AfterValidator(_slug)]


class CostItem(BaseModel):
    item: str = Field(min_length=1, max_length=200)
    amount: str = Field(min_length=1, max_length=60)
    note: str = ""


class FitCriteria(BaseModel):
    """What the fit form checks: who the plan is sized for, what it's for, what it costs."""

    model_config = ConfigDict(extra="forbid")
    household_min: int = Field(ge=1)
    household_max: int = Field(ge=1)
    uses: list[Literal["everyday", "home_working", "gaming", "uploads", "business"]]
    monthly_price: float = Field(ge=0)


class Fit(BaseModel):
    good_for: list[str] = []
    poor_for: list[str] = []
    criteria: FitCriteria | None = None


class ArticleContent(BaseModel):
    """What an editor writes; the id and the status are the store's business."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    kind: Literal["cost", "tradeoff", "fit", "policy", "howto"]
    body: str = Field(min_length=1, max_length=50_000)
    questions: list[str] = []
    tags: list[str] = []
    product: str | None = None
    url: str | None = Field(default=None, max_length=500)
    owner: str | None = None
    fit: Fit | None = None
    cost_breakdown: list[CostItem] | None = None

    @field_validator("title", "body")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @field_validator("questions", "tags")
    @classmethod
    def _clean_list(cls, value: list[str]) -> list[str]:
        return [item.strip() for item in value if item and item.strip()]

    @field_validator("url")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        # Customers follow this link from the widget; only web addresses are safe to offer.
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("url must start with https:// or http://")
        return value or None

    def fields(self) -> dict[str, Any]:
        """Column values for the ORM model."""
        return self.model_dump(mode="json")


class ArticleIn(ArticleContent):
    """One article in the knowledge file format of the architecture brief."""

    id: ArticleId
    status: Literal["draft", "published", "archived"] = "draft"
