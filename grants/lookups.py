"""Database expressions the grants side needs and Django does not offer on every backend."""

from __future__ import annotations

import json
from typing import Any

from django.db import NotSupportedError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import Lookup
from django.db.models.sql.compiler import SQLCompiler


class ListHolds(Lookup):
    """`lhs`, a JSON list, holds the string `rhs`.

    Django's JSON `contains` does not exist on SQLite; this is jsonb containment on PostgreSQL
    and json_each there. Used as an expression in filter(), never registered on JSONField.
    """

    lookup_name = "list_holds"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> Any:
        raise NotSupportedError(f"No JSON list test for {connection.vendor}.")

    def as_postgresql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> Any:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} @> %s::jsonb", (*params, json.dumps([self.rhs]))

    def as_sqlite(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> Any:
        lhs, params = self.process_lhs(compiler, connection)
        return (
            # lhs is the compiled column, never input; the value goes as a parameter.
            f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = %s)",  # noqa: S608
            (*params, self.rhs),
        )
