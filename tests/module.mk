# tests/: the harness.  Unit tests and fuzz targets are declared by the
# fragment of the module they test; this fragment only holds shared parts.
