import pytest

from knowledge.fit import Profile, assess, parse_budget, parse_household, parse_use, recommend, recommend_text
from knowledge.search import Doc

pytestmark = pytest.mark.unit


def plan(product: str, low: int, high: int, uses: list[str], price: float) -> Doc:
    return Doc(f"{product}-fit", f"Is {product.title()} the right plan for me?", "fit", "body",
               product=product, criteria={"household_min": low, "household_max": high, "uses": uses,
                                          "monthly_price": price})


PLANS = [
    plan("essential", 1, 3, ["everyday", "home_working"], 28),
    plan("plus", 1, 5, ["everyday", "home_working", "gaming"], 36),
    plan("max", 4, 8, ["everyday", "gaming"], 49),
    Doc("no-criteria", "Do I need mesh?", "fit", "body"),
]


@pytest.mark.parametrize(
    ("profile", "asked", "best", "says"),
    [
        (Profile(1, "everyday", 30), "max", "essential",
         ["Max is probably not the right plan for you, because it's meant for households of 4–8 people",
          "more than your £30 budget", "Essential (£28.00 a month) is the cheapest plan"]),
        (Profile(5, "gaming", None), "essential", "plus",
         ["Essential is probably not", "isn't built for gaming", "Plus (£36.00 a month)"]),
        (Profile(2, "home_working", 40), "essential", "essential", ["Essential (£28.00 a month)"]),
        (Profile(7, "gaming", 30), None, "max", ["none of our plans fits", "The closest is Max"]),
    ],
)
def test_recommends_the_cheapest_fit_and_says_why_the_asked_plan_does_not(profile, asked, best, says):
    assessments = assess(profile, PLANS)
    text, doc = recommend_text(assessments, asked)
    assert doc.product == best
    for phrase in says:
        assert phrase in text
    if asked == best:
        assert "not the right plan" not in text


@pytest.mark.parametrize(
    ("profile", "asked", "verdict", "missed", "says"),
    [
        (Profile(2, "home_working", 40), "essential", "fits", (), ["Essential (£28.00 a month)"]),
        (Profile(1, "everyday", 30), "max", "not_a_fit", ("it's meant for households of 4–8 people",
                                                          "it costs £49.00 a month, more than your £30 budget"),
         ["Max is probably not the right plan"]),
        (Profile(7, "gaming", 30), None, "no_plan_fits", ("it costs £49.00 a month, more than your £30 budget",),
         ["Honestly, none of our plans fits", "a cheaper plan or a social tariff"]),
        (Profile(9, "uploads", None), "plus", "no_plan_fits", None,
         ["a plan sized for a household like yours", "a plan built for uploading large files"]),
    ],
)
def test_the_verdict_is_plain_and_says_what_to_look_for_elsewhere(profile, asked, verdict, missed, says):
    recommendation = recommend(assess(profile, PLANS), asked, profile)
    assert recommendation.verdict == verdict
    if missed is not None:
        assert recommendation.missed == missed
    for phrase in says:
        assert phrase in recommendation.text
    for competitor in ("BT", "Sky", "Virgin", "Vodafone", "EE"):
        assert competitor not in recommendation.text.split()


@pytest.mark.parametrize(("text", "size"), [("just me", 1), ("2–3 people", 3), ("family of five", 5),
                                             ("6+", 6), ("a couple", 2), ("no idea", None)])
def test_parse_household(text, size):
    assert parse_household(text) == size


@pytest.mark.parametrize(
    ("text", "use"),
    [("Gaming & big downloads", "gaming"), ("we all work from home", "home_working"),
     ("mostly netflix", "everyday"), ("running a business", "business"), ("hmm", None)],
)
def test_parse_use(text, use):
    assert parse_use(text) == use


@pytest.mark.parametrize(("text", "budget"), [("Under £30", 30.0), ("£30–£45", 45.0), ("Over £45", "any"),
                                              ("not sure", "any"), ("cheap", None)])
def test_parse_budget(text, budget):
    assert parse_budget(text) == budget
