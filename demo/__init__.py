"""Demo data, in one place: the top of the import flow, so it may drive every app.

- `builders`: the demo fund, its programmes and people (`Cast`), and `drive()`, which takes an
  application through the real services to any state; the tests build their worlds with it.
- `reviews`: the review steps `drive()` plugs in (tasks claimed and done as reviewers would).
- `copies`: whole histories copied in bulk for large demo databases.
- `manage.py seed_demo`: a fund of any size from these pieces.
"""
