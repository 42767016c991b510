"""Validated article data as it travels through import, export, the API and the store."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

SLUG = re.compile(r"^[^\s/]{1,120}$")
# Money in pounds first ("£60", "£1,250.00", "-£5.00" for a discount), then optional words
# ("£5 a month", "£60 plus VAT", "£5/month"). Mirrored in web/static/editor-details.js.
MONEY = re.compile(r"-?£(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{2})?(?:(?: +| */ *)[^ ].*)?", re.ASCII)


def _slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError("id must be 1-120 characters with no spaces or slashes, e.g. plan-pro-cost")
    return value


ArticleId = Annotated[str, AfterValidator(_slug)]


class CostItem(BaseModel):
    """One row of a cost breakdown: what the money pays for, how much, and why."""

    item: str = Field(max_length=200)
    amount: str = Field(max_length=60)
    note: str = Field(default="", max_length=500)

    @field_validator("item", "amount", "note", mode="before")
    @classmethod
    def _trim(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("item")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value:
            raise ValueError("item must say what the money pays for, e.g. Engineer visit")
        return value

    @field_validator("amount")
    @classmethod
    def _money(cls, value: str) -> str:
        if not MONEY.fullmatch(value):
            raise ValueError("amount must be money in pounds, e.g. £12.50, £60 or £5 a month")
        return value


FitLine = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]


class FitCriteria(BaseModel):
    """What the fit form checks: who the plan is sized for, what it's for, what it costs."""

    model_config = ConfigDict(extra="forbid")
    household_min: int = Field(ge=1)
    household_max: int = Field(ge=1)
    uses: list[Literal["everyday", "home_working", "gaming", "uploads", "business"]]
    monthly_price: float = Field(ge=0)

    @model_validator(mode="after")
    def _sizes_in_order(self) -> FitCriteria:
        if self.household_min > self.household_max:
            raise ValueError("the smallest household must not be bigger than the largest")
        return self


class Fit(BaseModel):
    """Who an offer suits and who it doesn't, in the customer's words, plus what the fit form checks."""

    good_for: list[FitLine] = Field(default=[], max_length=20)
    poor_for: list[FitLine] = Field(default=[], max_length=20)
    criteria: FitCriteria | None = None

    @field_validator("good_for", "poor_for")
    @classmethod
    def _drop_blank(cls, value: list[str]) -> list[str]:
        return [line for line in value if line]

    def empty(self) -> bool:
        return not (self.good_for or self.poor_for or self.criteria)


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
    cost_breakdown: Annotated[list[CostItem], Field(max_length=30)] | None = None

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


class EditedContent(ArticleContent):
    """What the editor saves: a cost breakdown only on a cost article, who-it-suits lists only on a fit one.

    Imports and restored versions are not held to this, so old files and history stay loadable.
    """

    @field_validator("cost_breakdown")
    @classmethod
    def _cost_on_cost(cls, value: list[CostItem] | None, info: ValidationInfo) -> list[CostItem] | None:
        if value and info.data.get("kind", "cost") != "cost":
            raise ValueError("only cost articles have a cost breakdown, so remove its rows or make the kind cost")
        return value

    @field_validator("fit")
    @classmethod
    def _fit_on_fit(cls, value: Fit | None, info: ValidationInfo) -> Fit | None:
        if value is not None and not value.empty() and info.data.get("kind", "fit") != "fit":
            raise ValueError("only fit articles say who an offer suits, so clear those lists or make the kind fit")
        return value


class ArticleIn(ArticleContent):
    """One article in the knowledge file format of the architecture brief."""

    id: ArticleId
    status: Literal["draft", "published", "archived"] = "draft"
