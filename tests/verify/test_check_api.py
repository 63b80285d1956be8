"""``slttheory.verify.check``: one claim judged from Python, given as a file, TOML text or a
mapping, with the command line's verdict; malformed input raises naming the key."""

from __future__ import annotations

import pytest

from slttheory.verify import ClaimError, check

TEXT = '''id = "regular-d"
title = "A regular model of d parameters"
source = "Watanabe 2009, Thm 6.4"
family = "regular"
kind = "closed_form"
predicted = "d/2"
evidence = ["closed_form", "rank"]
[grid]
d = [2, 3]
'''


def test_a_file_text_and_mapping_give_the_same_verdict(tmp_path):
    import tomllib

    f = tmp_path / "regular.toml"
    f.write_text(TEXT)
    results = [check(f, device="cpu"), check(str(f), device="cpu"),
               check(TEXT, device="cpu"), check(tomllib.loads(TEXT), device="cpu")]
    assert {(r.verdict.verdict, r.verdict.grade) for r in results} == {("confirmed",
                                                                      "certified")}
    assert all(len(r.points) == 2 for r in results)
    assert str(f) in results[0].claim.path and results[2].claim.path == "<claim>"


def test_a_false_claim_is_refuted_and_bad_input_raises():
    r = check(TEXT.replace('predicted = "d/2"', 'predicted = "d/2 + 1"'), device="cpu")
    assert (r.verdict.verdict, r.verdict.grade) == ("refuted", "certified")
    with pytest.raises(ClaimError, match="<claim>: malformed TOML"):
        check("id = ", device="cpu")
    with pytest.raises(ClaimError, match="grid"):
        check(TEXT.replace("d = [2, 3]", "d = [0]"), device="cpu")
    with pytest.raises(TypeError, match="claim: a path, TOML text or a mapping, got int"):
        check(3)
