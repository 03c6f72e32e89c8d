"""Tests for grc.qualify.reference (commune list, departments, town keys)."""

from grc.qualify.reference import (
    DEPARTMENT_REGION,
    city_key,
    department_of_postcode,
    load_communes,
    region_of_department,
)


def test_communes_file_shape():
    df = load_communes()
    assert list(df.columns[:7]) == ["postcode", "city", "insee", "department", "region", "lat",
                                    "lon"]
    assert len(df) >= 400
    assert df["postcode"].str.fullmatch(r"\d{5}").all()
    assert set(DEPARTMENT_REGION) == set(df["department"])  # every department covered
    assert (df.groupby("department").size() >= 3).all()
    assert df["postcode"].str.startswith("0").sum() >= 27
    assert (df["region"] == df["department"].map(DEPARTMENT_REGION)).all()
    assert "Saint-Étienne" in set(df["city"]) and "Châlons-en-Champagne" in set(df["city"])
    assert df["lat"].between(-22, 52).all() and df["lon"].between(-62, 56).all()


def test_departments_and_regions():
    assert department_of_postcode("01000") == "01"
    assert department_of_postcode("20000") == "2A"
    assert department_of_postcode("20137") == "2A"
    assert department_of_postcode("20200") == "2B"
    assert department_of_postcode("20290") == "2B"  # not in the list: by range
    assert department_of_postcode("97400") == "974"
    assert department_of_postcode("97600") == "976"
    assert department_of_postcode("99999") is None
    assert department_of_postcode("1000") is None
    assert department_of_postcode(None) is None
    assert region_of_department("2A") == "Corse"
    assert region_of_department("75") == "Île-de-France"
    assert region_of_department("974") == "La Réunion"
    assert region_of_department("00") is None
    assert len(DEPARTMENT_REGION) == 101


def test_city_key():
    assert city_key("Saint-Étienne") == city_key("ST ETIENNE") == "SAINT ETIENNE"
    assert city_key("Ste-Marie") == "SAINTE MARIE"
    assert city_key("Châlons-en-Champagne") == "CHALONS EN CHAMPAGNE"
    assert city_key("PARIS CEDEX 08") == "PARIS"
    assert city_key("Paris 15e") == "PARIS"
    assert city_key(None) == ""
