"""Answers meant for one signed-in user are not kept by any cache (a shared proxy, the
browser's history on a shared computer): `Cache-Control: private, no-store`."""

from django.utils.cache import patch_cache_control

# The API's answers are per token, whoever asks; its schema and docs are the same for all.
API_PREFIX = "/api/v1/"


class PrivateAnswersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # After the view: the API's token authentication sets request.user there. Static
        # files never get here (WhiteNoise answers them first); the login page is seen
        # signed out.
        user = getattr(request, "user", None)
        if request.path.startswith(API_PREFIX) or (user is not None and user.is_authenticated):
            patch_cache_control(response, private=True, no_store=True)
        return response
