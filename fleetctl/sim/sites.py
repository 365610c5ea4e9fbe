"""Where simulated cameras hang: districts (Thanh Hóa-like), and the places cameras watch."""

from __future__ import annotations

import unicodedata

# (display name, short code used in camera names)
SITES: tuple[tuple[str, str], ...] = (
    ("Đông Tiến", "dt"),
    ("Quảng Thịnh", "qt"),
    ("Hoằng Hóa", "hh"),
    ("Thiệu Đô", "td"),
    ("Nga Sơn", "ns"),
    ("Hà Trung", "ht"),
    ("Vĩnh Lộc", "vl"),
    ("Yên Định", "yd"),
    ("Thọ Xuân", "tx"),
    ("Triệu Sơn", "ts"),
    ("Nông Cống", "nc"),
    ("Tĩnh Gia", "tg"),
    ("Cẩm Thủy", "ct"),
    ("Ngọc Lặc", "nl"),
    ("Như Thanh", "nt"),
    ("Quan Hóa", "qh"),
)

# (name part, location text) of what a commune's cameras watch.
PLACES: tuple[tuple[str, str], ...] = (
    ("cho", "Chợ {site}, cổng chính"),
    ("truong", "Trường THCS {site}, cổng trường"),
    ("ubnd", "UBND xã {site}"),
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
