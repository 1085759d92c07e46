"""Identity-document numbers: GB 11643 check, other documents, masking, Fernet at rest."""

import pytest
from cryptography.fernet import Fernet

from portal.companies import secrets
from tests.dossier.conftest import id_card

pytestmark = pytest.mark.usefixtures("ctx")


def test_known_identity_card_numbers_check():
    # The GB 11643 example number and one whose check character is X.
    assert secrets.number_problems("id_card", "11010519491231002X") == []
    assert secrets.id_card_check("11010519491231002") == "X"
    assert secrets.number_problems("id_card", id_card("44030419850611281")) == []


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check character
        "11010519491231002",  # 17 characters
        "1101051949123100211",  # 19 characters
        "11010519491331002X",  # month 13
        "11010519490230002X",  # 30 February
        "01010519491231002X",  # region cannot start with 0
        "11010519491231002Y",  # check must be a digit or X
        "ABCDEFGHIJKLMNOPQR",
        "",
    ],
)
def test_bad_identity_card_numbers(number):
    assert secrets.number_problems("id_card", secrets.normalise(number))


@pytest.mark.parametrize("number", ["E12345678", "G1234", "PA1234567890123456AB"])
def test_passports_of_5_to_20_letters_and_digits(number):
    assert secrets.number_problems("passport", number) == []


@pytest.mark.parametrize("number", ["E123", "E123456789012345678901", "E1234-567", "护照12345", "E12 345"])
def test_bad_passports(number):
    assert secrets.number_problems("passport", number)


def test_normalise_removes_spaces_and_hyphens_and_upper_cases():
    assert secrets.normalise(" e12 345-678 ") == "E12345678"
    assert secrets.normalise("11010519491231002x") == "11010519491231002X"


def test_mask_shows_two_characters_at_each_end():
    assert secrets.mask("E12345678") == "E1*****78"
    assert secrets.mask("11010519491231002X") == "11" + "*" * 14 + "2X"
    assert secrets.mask("G1234") == "G***4"  # short numbers show one at each end


def test_encryption_round_trip_and_tokens_differ():
    token = secrets.encrypt("E12345678")
    assert "E12345678" not in token
    assert secrets.decrypt(token) == "E12345678"
    assert secrets.encrypt("E12345678") != token  # random IV: equal numbers do not show as equal


def test_rotated_keys_still_decrypt(app):
    old = app.config["PORTAL_FIELD_KEY"]
    token = secrets.encrypt("E12345678")
    new_key = Fernet.generate_key().decode()
    app.config["PORTAL_FIELD_KEY"] = f"{new_key},{old}"
    try:
        assert secrets.decrypt(token) == "E12345678"
        assert Fernet(new_key).decrypt(secrets.encrypt("G1234").encode()) == b"G1234"
        app.config["PORTAL_FIELD_KEY"] = new_key
        with pytest.raises(secrets.UnreadableSecret):
            secrets.decrypt(token)
    finally:
        app.config["PORTAL_FIELD_KEY"] = old


def test_production_refuses_to_start_without_a_field_key(app, monkeypatch):
    from portal import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    with pytest.raises(RuntimeError, match="PORTAL_FIELD_KEY"):
        create_app(
            "production",
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            SECRET_KEY="x" * 32,
            PORTAL_FIELD_KEY=None,
        )


def test_development_keeps_a_generated_key_in_the_instance_folder(app, tmp_path, monkeypatch):
    from portal import _instance_field_key

    first = _instance_field_key(str(tmp_path))
    assert Fernet(first)  # a valid key
    assert _instance_field_key(str(tmp_path)) == first
    assert (tmp_path / "field_key").stat().st_mode & 0o077 == 0
