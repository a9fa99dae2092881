"""`python -m vp`: the CLI, for a checkout where the package is on the path rather than installed."""
from .cli import main

main()
