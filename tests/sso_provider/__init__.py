"""A real OpenID Connect provider for the single sign-on tests: django-oidc-provider in a
Django project of its own, run in a subprocess on loopback (see tests/sso_provider/server.py).
"""
