"""The ``ground3d`` command line: one entry point, one module per subcommand, heavy imports deferred."""
