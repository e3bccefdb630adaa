import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The cast's users are created with passwords in every test: a slow hasher would make
    # the access matrix (one test per URL and kind of user) take minutes.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

