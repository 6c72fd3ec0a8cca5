"""Organization API keys for integrations."""
from api.org.api_keys.routes import blp

__all__ = ["blp"]
