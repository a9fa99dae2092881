"""URLs of hosts under /api/."""
from django.urls import path

from . import apis

urlpatterns = [
    path("hosts/", apis.HostListApi.as_view(), name="host-list"),
    path("hosts/<str:name>/", apis.HostDetailApi.as_view(), name="host-detail"),
]
