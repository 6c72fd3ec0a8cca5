"""Organization API keys for integrations."""
from api.api_keys.routes import blp

__all__ = ["blp"]
