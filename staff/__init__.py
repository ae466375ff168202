"""The staff workspace: server-rendered pages at ``/staff`` (FastAPI + Jinja2, Swedish and English).

An adapter like ``api/``: it calls the domain (``outcomes/``) and is mounted by ``api.main`` on
the API's port, so ``stegvis api`` and ``stegvis up`` serve it. See ``staff/app.py``.
"""
