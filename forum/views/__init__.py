"""Blueprints: thin views that parse input, call one service, render or redirect."""
