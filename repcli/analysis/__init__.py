"""Analysis: negativity, language, topics. Pure: no I/O beyond reading shipped data files."""

from repcli.analysis.verdict import Analyzer

__all__ = ["Analyzer"]
