"""Reference values for tests/pg_regress/sql/11_stores.sql (the hand-built marketplace): vehicle
ages at t0, mileage per year and great-circle distances to the nearest large city, computed here
independently of SQL. Run: python3 tests/reference/stores.py — it prints the values the test
expects (rounded as the test rounds them)."""
from datetime import datetime, timezone
from math import asin, cos, radians, sin, sqrt

R_KM = 6371.0088  # mean Earth radius (IUGG)


def haversine_km(lat1, lon1, lat2, lon2):
    p1, p2 = radians(lat1), radians(lat2)
    h = sin((p2 - p1) / 2) ** 2 + cos(p1) * cos(p2) * sin(radians(lon2 - lon1) / 2) ** 2
    return 2 * R_KM * asin(sqrt(h))


def utc(s):
    return datetime.fromisoformat(s).replace(tzinfo=timezone.utc)


CITIES = {"München": (48.137, 11.575, 1512000), "Nürnberg": (49.452, 11.077, 523000),
          "Augsburg": (48.366, 10.898, 296000), "Wien": (48.208, 16.373, 1982000)}
REGION_CENTROID = {"DE-BY": (48.79, 11.50), "AT-9": (48.21, 16.37)}
# id: (t0, model year, mileage at t0, region at t0, lat, lon)
LISTINGS = {
    0: ("2026-09-06 10:00", 2018, 80000, "DE-BY", 48.14, 11.58),
    1: ("2026-10-01 10:00", 2019, 60000, "DE-BY", 48.14, 11.58),
    2: ("2026-10-02 10:00", 2020, 40000, "DE-BY", 49.45, 11.08),
    3: ("2026-10-04 10:00", 2021, 20000, "DE-BY", 48.37, 10.90),
    4: ("2026-10-06 10:00", 2019, 70000, "DE-BY", 48.14, 11.58),
    5: ("2026-10-03 12:00", 2021, 30000, "AT-9", 48.20, 16.37),
    6: ("2026-10-08 10:00", 2019, 61000, "DE-BY", 48.14, 11.58),
    7: ("2026-10-10 10:00", 2019, 61500, "DE-BY", 48.14, 11.58),
    8: ("2026-10-09 10:00", 2022, 50000, "DE-BY", 48.14, 11.58),
    9: ("2026-10-07 10:00", 2017, 90000, "DE-BY", 48.14, 11.58),
    10: ("2026-10-05 08:00", 2022, 15000, "AT-9", None, None),
    11: ("2026-10-06 12:00", 2016, 99000, None, None, None),
    12: ("2026-10-03 10:00", 2023, 5000, "DE-BY", 48.14, 11.58),
    13: ("2026-10-03 10:00", 2012, 150000, "DE-BY", 48.14, 11.58),
    14: ("2025-12-31 23:00", 2015, 120000, "DE-BY", 48.14, 11.58),
}

print("id | age (years) | km per year | nearest large city | km")
for i, (t0, year, km, region, lat, lon) in LISTINGS.items():
    age = max(0.0, (utc(t0) - utc(f"{year}-07-01 00:00")).total_seconds() / (365.25 * 86400))
    per_year = km / max(age, 0.5)
    if lat is None and region is not None:
        lat, lon = REGION_CENTROID[region]
    if lat is None:
        city, dist = None, None
    else:
        large = {n: c for n, c in CITIES.items() if c[2] >= 500000}
        city = min(large, key=lambda n: haversine_km(lat, lon, large[n][0], large[n][1]))
        dist = round(haversine_km(lat, lon, large[city][0], large[city][1]), 6)
    print(f"{i} | {age:.6f} | {per_year:.3f} | {city} | {dist if dist is None else f'{dist:.6f}'}")
