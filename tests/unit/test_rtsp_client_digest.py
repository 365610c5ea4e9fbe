"""Digest and Basic authorization (RFC 2617, RFC 7616 test vectors) and challenge parsing."""

from __future__ import annotations

import re

import pytest

from fleetctl.adapters.http.digest import (
    Authorizer,
    Challenge,
    authorization,
    choose,
    only_basic,
    parse_challenges,
)
from fleetctl.core.secret import Secret


def _response(header: str) -> str:
    m = re.search(r'response="([0-9a-f]+)"', header)
    assert m is not None
    return m.group(1)


def test_rfc2617_md5_qop_auth_vector() -> None:
    (ch,) = parse_challenges(
        [
            'Digest realm="testrealm@host.com", qop="auth,auth-int", '
            'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
        ]
    )
    h = authorization(
        ch, "GET", "/dir/index.html", "Mufasa", Secret("Circle Of Life"), cnonce="0a4f113b"
    )
    assert _response(h) == "6629fae49393a05397450978507c4ef1"
    assert (
        'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in h and "qop=auth," in h and "nc=00000001" in h
    )


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_vectors(algorithm: str, expected: str) -> None:
    ch = Challenge(
        "digest",
        {
            "realm": "http-auth@example.org",
            "qop": "auth, auth-int",
            "algorithm": algorithm,
            "nonce": "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            "opaque": "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS",
        },
    )
    h = authorization(
        ch,
        "GET",
        "/dir/index.html",
        "Mufasa",
        "Circle of Life",
        cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    )
    assert _response(h) == expected


def test_rfc2069_no_qop_as_rtsp_cameras_send() -> None:
    import hashlib

    (ch,) = parse_challenges(['Digest realm="IP Camera(C4D12)", nonce="a1b2c3", stale="FALSE"'])
    pw = "p@ss:w/rd%41"
    uri = "rtsp://127.16.0.1:554/Streaming/Channels/101"
    h = authorization(ch, "DESCRIBE", uri, "admin", Secret(pw))
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    want = md5(f"{md5(f'admin:IP Camera(C4D12):{pw}')}:a1b2c3:{md5(f'DESCRIBE:{uri}')}")
    assert _response(h) == want and "qop" not in h and "cnonce" not in h
    assert f'uri="{uri}"' in h and pw not in h


def test_several_challenges_in_one_header_and_quoted_commas() -> None:
    chs = parse_challenges(
        ['Basic realm="a, b", Digest realm="cam", nonce="n1", qop="auth", Negotiate abc==']
    )
    assert [c.scheme for c in chs] == ["basic", "digest", "negotiate"]
    assert chs[0].realm == "a, b" and chs[1].params["nonce"] == "n1"


def test_choose_prefers_digest_then_sha256_and_skips_what_we_cannot_answer() -> None:
    basic = Challenge("basic", {"realm": "x"})
    md5 = Challenge("digest", {"realm": "x", "nonce": "1"})
    sha = Challenge("digest", {"realm": "x", "nonce": "1", "algorithm": "SHA-256"})
    auth_int = Challenge("digest", {"realm": "x", "nonce": "1", "qop": "auth-int"})
    exotic = Challenge("digest", {"realm": "x", "nonce": "1", "algorithm": "SHA-512-256"})
    assert choose([basic, md5]) is md5
    assert choose([md5, sha, basic]) is sha
    # Basic only when policy allows it (allow_basic_auth): the password would go in clear.
    assert choose([auth_int, exotic, basic]) is None
    assert only_basic([auth_int, exotic, basic]) and not only_basic([basic, md5])
    assert choose([auth_int, exotic, basic], allow_basic=True) is basic
    assert choose([basic, md5], allow_basic=True) is md5
    assert choose([Challenge("negotiate")]) is None
    assert choose(parse_challenges(["garbage \x00\x01 ;;"])) is None


def test_basic_header() -> None:
    h = authorization(Challenge("basic"), "GET", "/", "admin", Secret("12:34@"))
    assert h == "Basic YWRtaW46MTI6MzRA"


def test_authorizer_counts_nc_and_hides_the_password() -> None:
    ch = Challenge("digest", {"realm": "r", "nonce": "n", "qop": "auth"})
    a = Authorizer(ch, "admin", Secret("hunter22"))
    assert "nc=00000001" in a.header("OPTIONS", "rtsp://h/") and "nc=00000002" in a.header(
        "DESCRIBE", "rtsp://h/"
    )
    assert "hunter22" not in repr(a)
