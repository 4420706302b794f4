"""The client's address behind portcullis: the trusted-proxy pairing.

Django reads the client's address from REMOTE_ADDR, which behind a reverse
proxy is the proxy's. portcullis sends the client's address in
X-Forwarded-For (one address, having removed whatever the client sent), but
anyone who can reach gunicorn directly can send that header too. So the
header is believed only when the TCP peer is one of settings.TRUSTED_PROXIES.
"""
import ipaddress

from django.conf import settings


def _ip(value):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


class TrustedProxyMiddleware:
    """Sets REMOTE_ADDR to the client's address from X-Forwarded-For when,
    and only when, the request comes from a trusted proxy.

    Afterwards request.peer_addr is the TCP peer (REMOTE_ADDR as the WSGI
    server set it) and request.client_ip the client's address (REMOTE_ADDR
    as every later middleware and view sees it).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.trusted = tuple(settings.TRUSTED_PROXIES)

    def __call__(self, request):
        peer = request.META.get("REMOTE_ADDR", "")
        request.peer_addr = peer
        request.client_ip = peer
        peer_ip = _ip(peer)
        if peer_ip is not None and any(peer_ip in net for net in self.trusted):
            # The nearest proxy appends the address it saw; portcullis
            # sends exactly one. An unparsable value is ignored whole.
            forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1]
            client = _ip(forwarded)
            if client is not None:
                request.client_ip = str(client)
                request.META["REMOTE_ADDR"] = request.client_ip
        return self.get_response(request)
