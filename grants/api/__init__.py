"""The funder REST API of the grants app: tokens, authentication and the funder-side endpoints.

`config/api.py` routes them; the generic pieces (problems, pagination, ETags) are in
`workflows.api`.
"""
