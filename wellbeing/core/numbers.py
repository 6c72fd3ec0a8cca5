"""Rounding as the published scoring rules and the risk model state it."""
import math
from fractions import Fraction


def round_half_up(value: Fraction, decimals: int) -> int | float:
    """Round for display, halves away from zero (12.25 -> 12.3); an int when decimals is 0."""
    scale = 10**decimals
    magnitude = math.floor(abs(value) * scale + Fraction(1, 2))
    rounded = Fraction(magnitude if value >= 0 else -magnitude, scale)
    return int(rounded) if decimals == 0 else float(rounded)
