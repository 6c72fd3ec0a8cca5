"""The caller's data rights: export, erasure and its receipts."""
from api.data_rights.routes import blp

__all__ = ["blp"]
