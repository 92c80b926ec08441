"""Regression models of enterprise outcomes on chain-Party-building measures."""
