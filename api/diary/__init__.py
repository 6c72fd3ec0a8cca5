"""The emotion diary: entries, batches from offline phones, insights and the mood chart."""
from api.diary.routes import blp

__all__ = ["blp"]
