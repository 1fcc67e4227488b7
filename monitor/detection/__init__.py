"""The detector's internals: text normalisation, DOM segmentation into blocks, structured signals.

The public API lives in :mod:`monitor.extract`, :mod:`monitor.rules` and :mod:`monitor.detect`;
modules here are implementation details that those three compose.
"""
