"""The command line's commands, one module per part of Stegvis (``stegvis/cli.py`` lists them).

A command module imports only typer, the standard library and ``core.vocab`` at its top, so that
``stegvis CMD --help`` is quick; each command imports what it runs as it starts. ``common`` and
``database`` hold what several commands share; ``stages`` shows the progress of long commands.
"""
