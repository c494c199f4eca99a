"""Django's MessageMiddleware with the storage built on first use, not on every request (issue #9).

Only the HTML pages add or show flash messages; every API request, socket
page load and static file still built a FallbackStorage (a cookie storage
and a session storage) and asked it to update the response: 4 % of the
samples of an authenticated `GET /api/v1/auth/me/` in py-spy. Here the
storage is a lazy object: `messages.add_message`, `get_messages` and the
template context processor build it the first time they touch it, and the
response is updated only if something did. A storage never touched has
nothing to store: Django's own `update()` writes only once messages were
read (`used`) or added (`added_new`), so the responses are the same
(games/tests/test_messages_middleware.py).
"""

from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.utils.functional import SimpleLazyObject, empty


class LazyMessageMiddleware(MessageMiddleware):
    def process_request(self, request):
        request._messages = SimpleLazyObject(lambda: default_storage(request))

    def process_response(self, request, response):
        messages = request.__dict__.get("_messages")
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response  # never touched: nothing read, nothing added
        return super().process_response(request, response)
