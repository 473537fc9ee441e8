"""Sending one request of the matrix and reading its answer.

Each request runs in a transaction that is rolled back, so nothing it writes reaches the next
one. While it runs, every INSERT, UPDATE and DELETE is recorded (table and rows), so a refusal can
be checked to have changed nothing, and the audit rows an accepted request wrote can be held
against the README's action table.

An answer is classified into outcome tokens, and the table's expectation is a set of them:

    LOGIN      302 to the sign-in page (pages: /accounts/login/, admin: /admin/login/)
    OK         200
    REDIRECT   302 anywhere else
    INVALID    400
    UNAUTHORIZED 401 (the API asks for credentials)
    FORBIDDEN  403
    HIDDEN     404, or the admin's "doesn't exist" redirect to its index
    GONE       410 (a public page that was there and is no more)
    METHOD     405
    CONFLICT   409
    REFUSED    403, or 200/302/400/409 that says why in a message (or a problem body) and wrote
               nothing
    UNAVAILABLE 503 (the job queue's Redis is away)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.contrib.messages import constants as message_levels
from django.db import connection, transaction

LOGIN = "LOGIN"
OK = "OK"
READ = "READ"  # 200 that wrote nothing
REDIRECT = "REDIRECT"
INVALID = "INVALID"
UNAUTHORIZED = "UNAUTHORIZED"
FORBIDDEN = "FORBIDDEN"
HIDDEN = "HIDDEN"
METHOD = "METHOD"
CONFLICT = "CONFLICT"
GONE = "GONE"
REFUSED = "REFUSED"
UNAVAILABLE = "UNAVAILABLE"
ERROR = "ERROR"

# What a POST someone may make can answer: done (a page or a redirect) or the form's errors.
DONE = frozenset({OK, REDIRECT, INVALID})
# Tables a request may write without changing anything the rules protect.
BOOKKEEPING_TABLES = frozenset(
    {
        "django_session",
        "axes_accessattempt",
        "axes_accesslog",
        "axes_accessfailurelog",
        "grants_apitoken",  # last use of the token
        "django_cache",
        "conversations_readmarker",  # how far the reader has read a conversation
    }
)
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?([A-Za-z0-9_]+)"?', re.I)


@dataclass
class Writes:
    """What the statements of one request changed: rows per table."""

    rows: dict[str, int] = field(default_factory=dict)

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        result = execute(sql, params, many, context)
        found = _WRITE.match(sql)
        if found:
            # An INSERT that did not fail wrote its row (with RETURNING, SQLite reports the
            # count only once the rows are read); an UPDATE or DELETE may match none.
            count = getattr(context.get("cursor"), "rowcount", 1)
            if count is None or count < 0 or sql.lstrip()[:6].upper() == "INSERT":
                count = max(count or 0, 1)
            if count:
                table = found.group(1).lower()
                self.rows[table] = self.rows.get(table, 0) + count
        return result

    @property
    def domain(self) -> dict[str, int]:
        return {t: n for t, n in self.rows.items() if t not in BOOKKEEPING_TABLES}


@dataclass
class Answer:
    status: int
    location: str
    messages: list[tuple[int, str]]
    writes: dict[str, int]
    body: bytes
    response: Any
    checks: list[str] = field(default_factory=list)  # problems found inside the transaction
    denials: list[str] = field(default_factory=list)  # allowed steps that did not happen

    def tokens(self, *, admin: bool = False) -> set[str]:
        found: set[str] = set()
        status = self.status
        login = "/admin/login/" if admin else "/accounts/login/"
        if status == 302:
            if self.location.startswith(login) or (
                not admin and self.location.startswith("/admin/login/")
            ):
                found.add(LOGIN)
            elif admin and self.location.rstrip("/") in ("/admin", "") and self.says_missing():
                found.add(HIDDEN)  # Django's admin: "... with ID ... doesn't exist"
            else:
                found.add(REDIRECT)
        simple = {
            200: OK,
            400: INVALID,
            401: UNAUTHORIZED,
            403: FORBIDDEN,
            404: HIDDEN,
            405: METHOD,
            409: CONFLICT,
            410: GONE,
            503: UNAVAILABLE,
        }
        if status in simple:
            found.add(simple[status])
        if status == 200 and not self.writes:
            found.add(READ)
        if status >= 500 and status != 503:
            found.add(ERROR)
        if status == 403 or (
            status in (200, 302, 400, 409) and not self.writes and self.says_why()
        ):
            found.add(REFUSED)
        return found

    def says_why(self) -> bool:
        refusals = [m for level, m in self.messages if level in REFUSAL_LEVELS]
        if refusals:
            return True
        content_type = self.response.get("Content-Type", "") if self.response else ""
        return "problem+json" in content_type

    def says_missing(self) -> bool:
        return any("exist" in text for _level, text in self.messages)


REFUSAL_LEVELS = (message_levels.INFO, message_levels.WARNING, message_levels.ERROR)


def _messages_of(response: Any) -> list[tuple[int, str]]:
    request = getattr(response, "wsgi_request", None)
    storage = getattr(request, "_messages", None)
    if storage is None:
        return []
    found = [(m.level, str(m)) for m in getattr(storage, "_queued_messages", [])]
    found += [(m.level, str(m)) for m in getattr(storage, "_loaded_messages", []) or []]
    return found


def body_of(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(bytes(chunk) for chunk in response.streaming_content)
    return bytes(response.content)


@contextmanager
def rolled_back() -> Any:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def send(
    client: Any,
    method: str,
    url: str,
    data: Any = None,
    *,
    inside: Callable[[Answer], Iterable[str]] | None = None,
    **extra: Any,
) -> Answer:
    """One request, rolled back; `inside(answer)` runs before the rollback and returns the
    problems it finds in the database (e.g. audit rows nobody may have written)."""
    writes = Writes()
    with rolled_back(), connection.execute_wrapper(writes):
        call = getattr(client, method.lower())
        if method == "GET":
            response = call(url, data or {}, **extra)
        else:
            response = call(url, data if data is not None else {}, **extra)
        answer = Answer(
            status=response.status_code,
            location=response.get("Location", "") if response.status_code in (301, 302) else "",
            messages=_messages_of(response),
            writes=writes.domain,
            body=body_of(response) if response.status_code == 200 else b"",
            response=response,
        )
        if inside is not None:
            answer.checks = list(inside(answer))
    return answer


@dataclass(frozen=True)
class Mismatch:
    kind: str  # LEAK, DENIED, STATUS, ERROR, CONTENT, WRITE
    role: str
    method: str
    url: str
    expected: str
    got: str

    def line(self) -> str:
        head = f"[{self.kind}] {self.role:<19} {self.method:<4} {self.url}"
        return f"{head}  expected {self.expected}, got {self.got}"


def judge(
    expected: frozenset[str] | set[str], answer: Answer, *, admin: bool = False
) -> str | None:
    """None when the answer is one of the expected outcomes, else the kind of mismatch."""
    got = answer.tokens(admin=admin)
    if ERROR in got:
        return "ERROR"
    if got & set(expected):
        return None
    allowed_side = {OK, REDIRECT, INVALID, READ}
    if not set(expected) & allowed_side:
        # A refusal was expected: a page shown, or anything written, went through.
        method = answer.response.wsgi_request.method if answer.response else "GET"
        if answer.writes or (OK in got and method == "GET"):
            return "LEAK"
        return "STATUS"
    if got & {FORBIDDEN, HIDDEN, LOGIN, UNAUTHORIZED, REFUSED, METHOD}:
        return "DENIED"
    return "STATUS"


def describe(answer: Answer, *, admin: bool = False) -> str:
    parts = [str(answer.status)]
    if answer.location:
        parts.append(f"-> {answer.location[:60]}")
    if answer.writes:
        parts.append(f"wrote {sorted(answer.writes)}")
    texts = [text for _level, text in answer.messages]
    if texts:
        parts.append(f"messages {[t[:60] for t in texts]}")
    parts.append(str(sorted(answer.tokens(admin=admin))))
    return " ".join(parts)


def report(mismatches: list[Mismatch]) -> str:
    order = {"ERROR": 0, "LEAK": 1, "CONTENT": 2, "WRITE": 3, "DENIED": 4, "STATUS": 5}
    rows = sorted(set(mismatches), key=lambda m: (order.get(m.kind, 9), m.url, m.role, m.method))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.kind] = counts.get(row.kind, 0) + 1
    head = ", ".join(
        f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda i: order.get(i[0], 9))
    )
    return f"{len(rows)} disagreements with the README ({head}):\n" + "\n".join(
        row.line() for row in rows
    )
