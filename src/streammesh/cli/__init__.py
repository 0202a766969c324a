"""The ``streammesh`` console command (Typer + Rich).

One module per command group (``topics``, ``produce``, ``consume``, ``demo``); ``main`` holds the
application, the global options and the only place where errors are turned into messages and
exit codes.
"""
