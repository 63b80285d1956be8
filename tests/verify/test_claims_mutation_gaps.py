"""Rules of the claim files that a mutation run of claims/point.py and claims/common.py found
unpinned (one-line changes no fast test caught): an evidence list that is empty, a variable
both in [grid] and [fixed], an unknown [fixed] name, a boolean where a setting or tolerance
wants a number, seed 0, a step jitter with the automatic sampler, a profile's repeated
route, a huge negative integer, the [scaling] table's own rules (only on scaling claims, the
"llc" route, R² at most 1, one coefficient per term, the digits of an integer coefficient),
and how a citation is matched to a formula's source (a 19xx year, an old arXiv id, a year
inside a bare DOI, a DOI in capitals, a short quoted title, only the first author of the
formula's source, an arXiv id without a year)."""

from __future__ import annotations

import pytest
from test_claims_robustness import BASE, FAMILIES, SCALING, _no_build, expect_error, with_line

from slttheory.models.registry import Family, ParamSpec
from slttheory.verify.claims import ClaimError, load_claim
from slttheory.verify.claims.common import cite_match, cites, same_source, shared_work, source_keys

# a family with an integer free of bounds either way, a boolean and an optional parameter
LOOSE = Family(
    "loose",
    "unbounded signed integer, a flag, an optional size",
    (
        ParamSpec("d", int, 1, None),
        ParamSpec("c", int, None, None, default=0),
        ParamSpec("bias", bool, default=False),
        ParamSpec("cap", int, 1, None, default=None),
    ),
    _no_build,
)


SCALING_OK = SCALING + "[fixed]\nk = 1\n"  # SCALING with every parameter the family needs


def _load(tmp_path, text, families=FAMILIES):
    p = tmp_path / "c.toml"
    p.write_text(text)
    return load_claim(p, families)


def _apart(tmp_path):
    """A folder of its own for expect_error, which loads every file of its folder."""
    (tmp_path / "apart").mkdir()
    return tmp_path / "apart"


# -- top-level keys ------------------------------------------------------------------------


@pytest.mark.parametrize("evidence", ["[]", "[1]", '[["llc"]]'])
def test_evidence_is_a_non_empty_list_of_route_names(tmp_path, evidence):
    expect_error(tmp_path, BASE.replace('["closed_form", "rank"]', evidence), "evidence",
                 "non-empty list of route names")


def test_a_prediction_that_divides_by_zero_says_so_at_the_point(tmp_path):
    # not "sympy cancels the division", the words for a division sympy cancelled
    msg = expect_error(tmp_path, BASE.replace('"d/2"', '"1/(d - 2)"'), "predicted",
                       'does not give a finite real number at grid point {"d": 2')
    assert "cancels" not in msg, msg


@pytest.mark.parametrize("line", ['differences = ["  "]', 'differences = "abc"',
                                  'not_imposed = "x"'])
def test_a_list_of_texts_is_a_list_of_non_blank_strings(tmp_path, line):
    key = line.split(" ")[0]
    expect_error(tmp_path, with_line(BASE, line), key, "must be a list of")


def test_an_id_is_at_most_80_characters(tmp_path):
    assert _load(tmp_path, BASE.replace('id = "x"', f'id = "{"a" * 80}"')).id == "a" * 80
    expect_error(_apart(tmp_path), BASE.replace('id = "x"', f'id = "{"a" * 81}"'), "id",
                 "at most 80")


def test_of_several_unknown_keys_the_first_in_order_is_named(tmp_path):
    expect_error(tmp_path, with_line(BASE, "zzz = 1\naaa = 1"), "aaa", "unknown key")


# -- [grid] and [fixed] --------------------------------------------------------------------


def test_a_variable_in_grid_and_fixed_is_refused(tmp_path):
    expect_error(tmp_path, BASE + "[fixed]\nd = 3\n", "fixed.d", "is also a grid variable")


def test_a_list_value_holds_numbers_not_booleans(tmp_path):
    expect_error(tmp_path, BASE + "[fixed]\nwidths = [true, 2]\n", "fixed.widths",
                 "a list value must hold only finite numbers")


def test_an_unknown_fixed_name_is_refused(tmp_path):
    expect_error(tmp_path, BASE + "[fixed]\nq = 3\n", "fixed.q", "unknown variable for family")


def test_a_huge_negative_integer_is_refused_like_a_huge_positive_one(tmp_path):
    text = BASE.replace('"wide"', '"loose"').replace('evidence = ["closed_form", "rank"]',
                                                      'evidence = ["llc"]')
    text = text.replace("k = [1, 2]\n", "")
    fams = {**FAMILIES, "loose": LOOSE}
    assert _load(tmp_path, text + "[fixed]\nc = -1000000\n", fams).fixed == {"c": -1000000}
    with pytest.raises(ClaimError, match=r"fixed\.c: -1000001 exceeds the limit 1000000"):
        _load(tmp_path, text + "[fixed]\nc = -1000001\n", fams)


def test_a_parameter_whose_default_is_none_is_no_default_shown(tmp_path):
    text = BASE.replace('"wide"', '"loose"').replace('evidence = ["closed_form", "rank"]',
                                                      'evidence = ["llc"]')
    c = _load(tmp_path, text.replace("k = [1, 2]\n", ""), {**FAMILIES, "loose": LOOSE})
    assert dict(c.defaults) == {"c": 0, "bias": False}


# -- [llc], [rank], [profiles], [tolerance] ------------------------------------------------


@pytest.mark.parametrize(("table", "line", "key"), [
    ("llc", "chains = true", "llc.chains"),
    ("rank", "trials = true", "rank.trials"),
])
def test_a_boolean_is_not_an_integer_setting(tmp_path, table, line, key):
    expect_error(tmp_path, BASE + f"[{table}]\n{line}\n", key, "must be int, got True")


def test_a_boolean_is_not_a_tolerance(tmp_path):
    expect_error(tmp_path, BASE + "[tolerance]\nllc_abs = false\n", "tolerance.llc_abs",
                 "must be a finite number, got False")


def test_seed_zero_is_a_seed(tmp_path):
    c = _load(tmp_path, BASE + "[llc]\nseed = 0\n[rank]\nseed = 0\n")
    assert c.llc_settings("full")["seed"] == 0 and c.rank_settings("full")["seed"] == 0


@pytest.mark.parametrize("sampler", ['sampler = "auto"\n', ""])
def test_a_step_jitter_is_allowed_with_the_automatic_sampler(tmp_path, sampler):
    c = _load(tmp_path, BASE + f"[llc]\nstep_jitter = 0.5\n{sampler}")
    assert c.llc_settings("quick")["step_jitter"] == 0.5


def test_a_profiles_evidence_repeats_no_route(tmp_path):
    expect_error(tmp_path, BASE + '[profiles.quick]\nevidence = ["rank", "rank"]\n',
                 "profiles.quick.evidence", "distinct routes")


# -- [scaling] -----------------------------------------------------------------------------


def test_a_scaling_table_only_on_a_scaling_claim(tmp_path):
    expect_error(tmp_path, BASE + '[scaling]\nvariable = "d"\nshape = "linear"\n', "scaling",
                 'only allowed with kind = "scaling"')


def test_a_scaling_claim_needs_the_llc_route(tmp_path):
    expect_error(tmp_path, SCALING.replace('evidence = ["llc"]', 'evidence = ["closed_form"]'),
                 "evidence", 'needs the "llc" route')


def test_min_r2_is_at_most_one(tmp_path):
    assert _load(tmp_path, SCALING_OK.replace('shape = "linear"', 'shape = "linear"\nmin_r2 = 1.0'
                                              )).scaling.min_r2 == 1.0
    expect_error(_apart(tmp_path), SCALING.replace('shape = "linear"',
                                                   'shape = "linear"\nmin_r2 = 1.5'),
                 "scaling.min_r2", "must be <= 1.0")


@pytest.mark.parametrize("coefs", ["[0.5, 1]", "[]"])
def test_one_coefficient_per_term_of_the_shape(tmp_path, coefs):
    expect_error(tmp_path, SCALING.replace('shape = "linear"',
                                           f'shape = "linear"\ncoefficients = {coefs}'),
                 "scaling.coefficients", "must be a list of 1 number(s) for shape 'linear'")


def test_an_integer_coefficients_trailing_zeros_are_not_digits(tmp_path):
    c = _load(tmp_path, SCALING_OK.replace('shape = "linear"',
                                           'shape = "linear"\ncoefficients = [1000000000]'))
    assert c.scaling.coefficients == (1000000000,) and c.scaling.rounding == (0,)
    expect_error(_apart(tmp_path), SCALING.replace('shape = "linear"',
                                                   'shape = "linear"\ncoefficients = [123456789]'),
                 "scaling.coefficients", "more than 8 significant digits")


def test_a_scaling_variable_of_booleans_is_refused(tmp_path):
    text = SCALING.replace('"wide"', '"loose"').replace('variable = "d"', 'variable = "bias"')
    text = text.replace("d = [2, 3, 4]", "d = [2]\nbias = [true, false]")
    with pytest.raises(ClaimError, match=r"grid\.bias: the scaling variable's values must be "
                       "numbers, got True"):
        _load(tmp_path, text, {**FAMILIES, "loose": LOOSE})


# -- citations: whether a claim cites a formula's own source ---------------------------------

AW = "Aoyagi & Watanabe 2005, Neural Networks 18(7):924-933"


def test_a_year_of_the_1900s_is_a_year():
    # another work of the 1900s is not the formula's source: the formula may be evidence
    assert not cites("Watanabe 1999, Algebraic analysis", "Aoyagi & Watanabe 2005", AW)
    assert same_source("Varchenko 1976, Newton polyhedra", "Varchenko 1976, Funct. Anal.")
    assert cite_match("Varchenko 1976", "", "Varchenko 1976, Newton polyhedra") == \
        "the claim's citation mentions Varchenko and the year 1976"


def test_an_arxiv_id_alone_names_the_work():
    # an arXiv id without a year is no reason to take the claim for the formula's own
    assert not cites("arXiv:2603.01192, Theorem 4.2", "Aoyagi 2024", "Aoyagi 2024, Thm 2")
    # an old-style id with four digits after the point is an arXiv id too
    assert cite_match("Smith 2014, arXiv:1403.1234", "", "Jones 2015, as in arXiv 1403.1234") \
        == "the claim's citation and the formula's source share arXiv:1403.1234"


def test_a_year_inside_a_bare_doi_names_no_author():
    # no year outside the DOI: the claim may be the same work, so the formula is its own
    assert cite_match("Smith, J. Stat. 10.1016/j.jspi.2005.03.014", "Aoyagi & Watanabe 2005",
                      AW) == "the claim names no year or arXiv id, so it may be the same work"


def test_only_the_first_author_of_the_formulas_source_counts():
    assert source_keys("Aoyagi, Watanabe 2005") == {"aoyagi:2005"}
    assert source_keys("Aoyagi and Watanabe 2005") == {"aoyagi:2005"}
    assert not same_source("Watanabe 2005, another paper", "Aoyagi, Watanabe 2005")
    assert not same_source("Watanabe 2005, another paper", "Aoyagi and Watanabe 2005")


def test_a_source_that_opens_with_a_parenthesis_still_has_its_author():
    assert source_keys("(Watanabe 2009), Ch. 7") == {"watanabe:2009"}
    assert same_source("Watanabe 2009, Algebraic geometry", "(Watanabe 2009), Ch. 7")


def test_a_doi_matches_whatever_its_case():
    assert "share doi:10.1162/neco.2009.ab" in shared_work(
        "doi:10.1162/neco.2009.ab", "Foo 2009, doi:10.1162/NECO.2009.AB")


def test_a_short_quoted_title_is_a_title():
    assert shared_work("Algebraic analysis of models, 2001",
                       "Foo 2001, 'Algebraic analysis of models', J. X") == \
        "the claim's citation gives the title of the formula's source"


def test_a_first_author_whose_initial_is_not_ascii_is_still_the_first_author():
    """A surname beginning or going on outside A-Z and À-ÿ ("Érdi", "Łojasiewicz",
    "Kovačević") was no name: the source's key became the next capitalised word ("Thm"), and
    a claim citing the formula's own source read as another work, so the formula could
    certify its own statement (cites errs towards "own", not away from it)."""
    assert source_keys("Érdi 2001, Thm 2") == {"érdi:2001"}
    assert source_keys("Łojasiewicz 1965, Ensembles semi-analytiques") == {"łojasiewicz:1965"}
    assert source_keys("Kovačević & Smith 2020") == {"kovačević:2020"}
    assert same_source("Érdi 2001, a book", "Érdi 2001, Thm 2")
    assert cite_match("Łojasiewicz 1965, IHES notes", "", "Łojasiewicz 1965, Ensembles") == \
        "the claim's citation mentions Łojasiewicz and the year 1965"
    # the names of a citation are words: no part of one ("Kova" of "Kovačević")
    assert not same_source("Kova 2020, another work", "Kovačević & Smith 2020")
