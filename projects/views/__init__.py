"""HTML pages and small JSON endpoints, one module per entity.

Each view is validate -> one service or selector -> response; presentation (formatting,
warnings) lives in :mod:`projects.views.present`, HTTP plumbing in :mod:`projects.views.http`.
"""
