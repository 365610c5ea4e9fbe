"""Where simulated cameras hang: communes and wards of a Thanh Hóa-like province, and the places
cameras watch.

Since July 2025 local government has two tiers, provinces and communes/wards (xã, phường, đặc
khu): a site is a commune or a ward. The district it used to belong to is only its ``group``
(shown, and selectable with ``--select group:``), never a site of its own.
"""

from __future__ import annotations

import unicodedata

# (display name, short code used in camera names)
SITES: tuple[tuple[str, str], ...] = (
    ("Đông Tiến", "dt"),
    ("Quảng Thịnh", "qt"),
    ("Hoằng Quang", "hq"),
    ("Thiệu Đô", "td"),
    ("Nga Thắng", "ng"),
    ("Hà Long", "hl"),
    ("Vĩnh Hùng", "vh"),
    ("Yên Trường", "yt"),
    ("Xuân Lập", "xl"),
    ("Dân Lực", "dl"),
    ("Tế Thắng", "tt"),
    ("Hải Ninh", "hn"),
    ("Cẩm Tú", "cm"),
    ("Ngọc Khê", "nk"),
    ("Xuân Du", "xd"),
    ("Nam Xuân", "nx"),
)

# What each site is (xã: commune, phường: ward) and the old district it is grouped under.
KIND: dict[str, str] = {"Quảng Thịnh": "Phường", "Hải Ninh": "Phường"}  # the rest: "Xã"
GROUP: dict[str, str] = {
    "Đông Tiến": "Đông Sơn",
    "Quảng Thịnh": "TP Thanh Hóa",
    "Hoằng Quang": "Hoằng Hóa",
    "Thiệu Đô": "Thiệu Hóa",
    "Nga Thắng": "Nga Sơn",
    "Hà Long": "Hà Trung",
    "Vĩnh Hùng": "Vĩnh Lộc",
    "Yên Trường": "Yên Định",
    "Xuân Lập": "Thọ Xuân",
    "Dân Lực": "Triệu Sơn",
    "Tế Thắng": "Nông Cống",
    "Hải Ninh": "Tĩnh Gia",
    "Cẩm Tú": "Cẩm Thủy",
    "Ngọc Khê": "Ngọc Lặc",
    "Xuân Du": "Như Thanh",
    "Nam Xuân": "Quan Hóa",
}


def kind(name: str) -> str:
    """ "Xã" or "Phường": how the site's own signs and offices name it."""
    return KIND.get(name, "Xã")


# (name part, location text) of what a commune's cameras watch.
PLACES: tuple[tuple[str, str], ...] = (
    ("cho", "Chợ {site}, cổng chính"),
    ("truong", "Trường THCS {site}, cổng trường"),
    ("ubnd", "UBND {kind} {site}"),
    ("nga-tu", "Ngã tư trung tâm {site}"),
    ("tram-y-te", "Trạm y tế {site}"),
    ("cong-lang", "Cổng làng {site}"),
    ("ben-xe", "Bến xe {site}"),
    ("cau", "Cầu {site}, đầu phía bắc"),
)


def slug(name: str) -> str:
    """ "Đông Tiến" -> "dong-tien" (đ is a letter of its own, not d + a mark)."""
    base = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_only = "".join(c for c in base if not unicodedata.combining(c))
    return "-".join(ascii_only.lower().split())
