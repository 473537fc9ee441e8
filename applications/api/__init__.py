"""The applications' part of the REST API: `serializers` (the funder's and the staff's field
sets), `views` (the application endpoints with their transitions) and `statistics` (one grouped
query). `config/api.py` routes them; the generic pieces are in `workflows.api`.
"""
