"""One module per top-level tab. Each declares `SPEC = TabSpec(...)`; app.py finds them with
core.registry.discover(). Modules must not import torch or transformers at import time."""
