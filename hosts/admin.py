"""The admin's list of hosts, with their live state read from the heartbeats."""
from django.contrib import admin

from . import selectors
from .models import Host


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    list_display = ["name", "state", "hardware_class", "cpu_model", "cpu_cores", "memory_mb", "gpu_names", "roles",
                    "last_seen"]
    list_filter = ["hardware_class"]
    search_fields = ["name", "cpu_model", "hardware_class"]
    readonly_fields = [f.name for f in Host._meta.fields]

    def changelist_view(self, request, extra_context=None):
        self._processes = selectors.host_processes()  # one Redis read for the page, not one per row
        return super().changelist_view(request, extra_context)

    @admin.display(description="state")
    def state(self, host):
        processes = getattr(self, "_processes", None) or selectors.host_processes()
        return selectors.host_state(host, processes)["state"]

    @admin.display(description="GPUs")
    def gpu_names(self, host):
        return ", ".join(gpu.get("name", "") for gpu in host.gpus or []) or "-"

    def has_add_permission(self, request):
        return False
