"""``chainrule playground``: TF Playground's page, trained by chainrule itself.

``session`` holds all numerics (no web code), ``server`` the Starlette/uvicorn side,
``protocol`` the message packing, ``settings`` the keys and limits, ``data`` the points and
features, ``export`` the code and run files; the page is ``static/``. The contract between page
and server is docs/playground-protocol.md. Needs the ``playground`` extra only for ``server``.
"""
