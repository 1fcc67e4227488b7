"""Official registries (Russian MoJ foreign agents / undesirable organizations, US FARA): fetch, parse, diff.

``rows`` (the common row type and row-level diffs), ``minjust``/``xlsx``/``fara`` (parsers), ``check``
(one pass over the configured registries), ``compliance`` (designation date vs. first label seen),
``tls`` (verified TLS with a per-target CA bundle). Nothing here imports Scrapy at package import.
"""
