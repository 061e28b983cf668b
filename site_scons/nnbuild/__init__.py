"""nnbuild: turn trained neural-network models into verified, size-optimized firmware.

The heavy work (conversion, code generation, verification, size analysis) lives
in plain functions in this package so it can be called and tested without
SCons; site_scons/site_tools only wires these functions into the build graph.
"""
