"""The fund's public face: what anyone may read without signing in.

It sits on top of the import flow (only the demo data is above it): it reads the workflow's data
through selectors that choose what is public, and never writes.
"""
