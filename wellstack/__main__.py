"""``python -m wellstack`` runs the ``wellstack`` command."""

from wellstack.cli import main

main()
