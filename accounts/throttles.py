"""Login throttling: per client address, rate from settings.LOGIN_THROTTLE_RATE (read on each request)."""
from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class LoginRateThrottle(AnonRateThrottle):
    scope = "login"

    def get_rate(self):
        return settings.LOGIN_THROTTLE_RATE

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
