"""Hosts (hosts/; docs/operations.md "Hosts"): every worker and pool process registers its machine, its hardware
class and a heartbeat."""
import socket

from core.env import env_float, env_str

HOST_NAME = env_str("HOST_NAME", "") or socket.gethostname()  # two workers on one machine may name two hosts
HARDWARE_CLASS = env_str("HARDWARE_CLASS", "")  # "": derived from the machine (gpu:<model>, cpu:amx, ...)
HOST_HEARTBEAT_SECONDS = env_float("HOST_HEARTBEAT_SECONDS", 5.0, minimum=0.1)  # Redis key refresh
HOST_TTL_SECONDS = env_float("HOST_TTL_SECONDS", 20.0, minimum=0.5)  # no heartbeat for this long: "gone"
HOST_DB_UPDATE_SECONDS = env_float("HOST_DB_UPDATE_SECONDS", 60.0, minimum=1.0)  # the Host row's last_seen
