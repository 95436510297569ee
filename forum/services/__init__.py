"""The rules of the site: plain functions that take and return models.

Each use case ends with one commit and raises the errors in ``errors``.
"""
