"""The one description of the demo business, shared by the OLTP seed and the warehouse history.

Everything both stores spell (regions, channels, loss types, products, device makes) and every
rate and weight the two generators draw from lives here, so the operational claims and the
older warehouse history look like one business. Pure data and small pure functions: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Weighted = list[tuple[str, float]]

REGIONS: Weighted = [
    ("Northeast", 20),
    ("Southeast", 24),
    ("Midwest", 19),
    ("Southwest", 15),
    ("West", 22),
]
CHANNELS: Weighted = [("app", 45), ("web", 25), ("phone", 20), ("retail", 10)]
SEGMENTS: Weighted = [("consumer", 80), ("small_business", 15), ("enterprise", 5)]
LOSS_TYPES: Weighted = [
    ("cracked_screen", 38),
    ("water_damage", 14),
    ("theft", 9),
    ("loss", 11),
    ("battery", 12),
    ("malfunction", 16),
]
LOSS_BASE_PAYOUT = {
    "cracked_screen": 180.0,
    "water_damage": 420.0,
    "theft": 650.0,
    "loss": 600.0,
    "battery": 90.0,
    "malfunction": 260.0,
}
LOSS_EXTRA_DEDUCTIBLE = {"theft": 100.0, "loss": 100.0, "water_damage": 25.0}
TOPICS = ["claim_status", "device_setup", "billing", "coverage_question", "repair_scheduling"]


@dataclass(frozen=True)
class Product:
    """A protection plan: its OLTP `plans` row and what the warehouse calls it."""

    code: str
    name: str
    tier: str
    monthly_premium: float
    deductible: float
    category: str
    weight: float
    payout_factor: float


PRODUCTS: list[Product] = [
    Product("MP-BASIC", "Mobile Protect", "basic", 9.99, 99.0, "phone", 34, 1.0),
    Product("MP-PLUS", "Mobile Protect Plus", "plus", 15.99, 49.0, "phone", 22, 1.15),
    Product("HOME-TECH", "Home Tech", "plus", 24.99, 89.0, "home", 12, 1.5),
    Product("LAPTOP-CARE", "Laptop Care", "basic", 12.99, 149.0, "laptop", 12, 1.8),
    Product("TABLET-SHIELD", "Tablet Shield", "basic", 8.99, 79.0, "tablet", 10, 1.1),
    Product("WEAR-PLUS", "Wearables Plus", "plus", 6.99, 29.0, "wearable", 10, 0.6),
]
NO_PLAN = Product("", "No plan", "none", 0.0, 0.0, "", 0, 1.0)

# (make, model, weight) per device category
DEVICES: dict[str, list[tuple[str, str, float]]] = {
    "phone": [
        ("Apple", "iPhone 15", 14),
        ("Apple", "iPhone 15 Pro", 12),
        ("Apple", "iPhone 14", 10),
        ("Apple", "iPhone 13", 8),
        ("Samsung", "Galaxy S24", 10),
        ("Samsung", "Galaxy S23", 8),
        ("Samsung", "Galaxy A54", 7),
        ("Samsung", "Galaxy Z Flip5", 4),
        ("Google", "Pixel 8", 6),
        ("Google", "Pixel 7a", 4),
        ("Motorola", "Moto G Power", 5),
        ("Motorola", "Razr+", 3),
        ("OnePlus", "OnePlus 12", 5),
        ("OnePlus", "Nord N30", 4),
    ],
    "tablet": [
        ("Apple", "iPad Air", 30),
        ("Apple", "iPad 10th Gen", 25),
        ("Samsung", "Galaxy Tab S9", 20),
        ("Amazon", "Fire HD 10", 15),
        ("Microsoft", "Surface Go 4", 10),
    ],
    "laptop": [
        ("Apple", "MacBook Air M2", 30),
        ("Dell", "XPS 13", 18),
        ("Lenovo", "ThinkPad X1 Carbon", 17),
        ("HP", "Spectre x360", 15),
        ("Microsoft", "Surface Laptop 5", 10),
        ("Acer", "Swift 3", 10),
    ],
    "wearable": [
        ("Apple", "Apple Watch Series 9", 45),
        ("Samsung", "Galaxy Watch6", 22),
        ("Google", "Pixel Watch 2", 13),
        ("Garmin", "Fenix 7", 10),
        ("Fitbit", "Charge 6", 10),
    ],
    "home": [
        ("Samsung", "QLED 65in TV", 25),
        ("LG", "OLED C3 TV", 22),
        ("Sony", "Bravia XR", 15),
        ("Dyson", "V15 Detect", 13),
        ("Bose", "Smart Soundbar 600", 12),
        ("Sonos", "Arc", 13),
    ],
}

# claim status weights by claim age in days (upper bound): recent claims are still open
STATUS_BY_AGE: list[tuple[int, Weighted]] = [
    (3, [("filed", 40), ("in_review", 35), ("approved", 10), ("fulfilled", 10), ("denied", 3),
         ("cancelled", 2)]),
    (14, [("filed", 10), ("in_review", 25), ("approved", 15), ("fulfilled", 38), ("denied", 7),
          ("cancelled", 5)]),
    (100_000, [("filed", 1), ("in_review", 2), ("approved", 4), ("fulfilled", 72), ("denied", 12),
               ("cancelled", 9)]),
]  # fmt: skip
# hour-of-day weights (UTC): quiet nights, busy afternoons
HOUR_WEIGHTS = [1, 1, 1, 1, 1, 2, 3, 4, 6, 7, 8, 8, 8, 8, 8, 8, 7, 7, 6, 5, 4, 3, 2, 1]

# volume: claims per customer per year, support sessions per customer per year
CLAIMS_PER_CUSTOMER_YEAR = 3.0
SESSIONS_PER_CUSTOMER_YEAR = 5.0
DEVICES_PER_CUSTOMER: Weighted = [("1", 65), ("2", 28), ("3", 7)]
ENROLLED_SHARE = 0.85
# hours from filing to resolution: a minimum plus an exponential tail with this mean
RESOLVE_MIN_HOURS = 6.0
RESOLVE_TAIL_MEAN_HOURS = 48.0


def claims_per_day(customers: int) -> float:
    """How many claims the business files per day (the seed and the history both use it)."""
    return customers * CLAIMS_PER_CUSTOMER_YEAR / 365.0


def sessions_per_day(customers: int) -> float:
    """How many support sessions the business opens per day."""
    return customers * SESSIONS_PER_CUSTOMER_YEAR / 365.0


def payout(loss_type: str, payout_factor: float, draw: float) -> float:
    """A fulfilled claim's payout for a uniform `draw` in [0, 1): base × product × 0.6–1.4."""
    base = LOSS_BASE_PAYOUT.get(loss_type, 200.0)
    return round(base * payout_factor * (0.6 + 0.8 * draw), 2)


def deductible(plan_deductible: float, loss_type: str) -> float:
    """What the customer pays on a claim: the plan's deductible plus a loss-type surcharge."""
    return round(plan_deductible + LOSS_EXTRA_DEDUCTIBLE.get(loss_type, 0.0), 2)


def resolve_delay_hours(draw: float) -> float:
    """Hours from filing to resolution for a uniform `draw` in [0, 1)."""
    if draw > 0.999999:
        return RESOLVE_MIN_HOURS
    return RESOLVE_MIN_HOURS + (-math.log(1.0 - draw)) * RESOLVE_TAIL_MEAN_HOURS


def status_weights(age_days: float) -> Weighted:
    """Status weights for a claim `age_days` old."""
    for limit, weights in STATUS_BY_AGE:
        if age_days < limit:
            return weights
    return STATUS_BY_AGE[-1][1]
