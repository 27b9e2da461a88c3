"""Offline tuning: sweep thresholds on a labelled corpus and report the trade-off."""
