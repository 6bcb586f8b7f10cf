"""Agent keys on the gateway: the admin-API calls, how a plan reads them, how apply
writes them (secret first, the tool's record in the same call as a block)."""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
from collections.abc import Callable, Collection
from functools import partial
from typing import TYPE_CHECKING, Any

from reconciler.core.address import redact_url
from reconciler.core.engine.changes import Change, Verb
from reconciler.core.engine.markers import MARKER_FIELD
from reconciler.core.errors import GatewayError, NotFound
from reconciler.core.kinds.key.fields import KEY_LIMIT_FIELDS, KIND, change
from reconciler.core.kinds.key.ownership import vet_keys
from reconciler.core.kinds.key.revocation import is_revocation
from reconciler.core.kinds.key.stamps import user_metadata
from reconciler.core.masking import mask_key
from reconciler.gateway.bounded import whole
from reconciler.gateway.kinds.routing_record import without_record_rows
from reconciler.gateway.lease import without_lease_rows
from reconciler.gateway.revoke import Revoker
from reconciler.gateway.sinks import SecretSink
from reconciler.gateway.transport import BaseClient, ListChangedError

if TYPE_CHECKING:
    from reconciler.gateway.executor import StepResult

PAGE_SIZE = 100  # /key/list refuses more than 100 per page
LIST_ATTEMPTS = 3  # reads of a key list that keeps changing underneath before giving up
# Rows per list (body size: bounded.py): far past any real estate (10,000 keys plan in 102
# requests), far below what would exhaust memory or time. Past one the read stops, one line.
MAX_KEY_ROWS = 200_000
# What a plan reads of a key row (the rest of its ~60 fields is dropped on arrival).
LIVE_KEY_FIELDS = (
    "key_alias", "key_name", "models", "blocked", "metadata", "expires", *KEY_LIMIT_FIELDS,
    "created_by", "updated_by",  # the proxy's own record of who wrote the key (ownership)
    "team_id", "budget_id", "user_id",  # what the key belongs to (kinds/key/membership.py)
    # The fields an agent may declare beyond its limits; the budget row holds soft_budget.
    "max_parallel_requests", "allowed_routes", "aliases", "litellm_budget_table",
)


class KeyCalls(BaseClient):
    def list_keys(self, fields: Collection[str] | None = None) -> list[dict[str, Any]]:
        """Every live key as a full object: page 1 says how many pages; the rest are read
        `parallelism` at a time. A list that changed while read is read again (twice).
        With `fields`, each row keeps only those (and its token) as soon as its page is in:
        a full row is ~60 fields, and 10,000 of them would dominate a plan's memory."""
        for attempt in range(LIST_ATTEMPTS):
            try:
                return self._list_keys_once(fields)
            except ListChangedError:
                if attempt == LIST_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _list_keys_once(self, fields: Collection[str] | None) -> list[dict[str, Any]]:
        keep = None if fields is None else {"token", *fields}

        def page_rows(page: int) -> tuple[int, list[dict[str, Any]]]:
            body = self._key_page(page)
            found = body.get("keys")
            rows = [k for k in found if isinstance(k, dict)] if isinstance(found, list) else []
            if keep is not None:
                rows = [{f: row.get(f) for f in keep} for row in rows]
            return whole(body.get("total_count"), -1), rows

        # Page 1 through the pool too: it bounds the requests in flight (gateway/registry.py).
        total, first = self.pool.submit(partial(page_rows, 1)).result()
        if not 0 <= total <= MAX_KEY_ROWS or len(first) > PAGE_SIZE:
            raise GatewayError(
                f"/key/list answered total_count {str(total)[:20]} with {len(first)} rows on "
                f"a page; the tool reads 0 to {MAX_KEY_ROWS:,} keys, {PAGE_SIZE} a page: is "
                f"{redact_url(self.base_url)} a LiteLLM proxy?")
        pages = math.ceil(total / PAGE_SIZE)
        rows = first + [r for _, more in self.pool.map(page_rows, range(2, pages + 1))
                        for r in more]
        # Offset paging over a list that changes while read can skip or repeat rows.
        unique = {r["token"]: r for r in rows}
        if len(unique) != total:
            raise ListChangedError(
                f"/key/list changed while it was read ({len(unique)} keys seen, "
                f"total_count {total}); run again"
            )
        return list(unique.values())

    def _key_page(self, page: int) -> dict[str, Any]:
        params = {"return_full_object": "true", "size": PAGE_SIZE, "page": page}
        return dict(self._read("GET", "/key/list", params=params))

    def find_keys_by_alias(self, alias: str, *, substring: bool = False) -> list[dict[str, Any]]:
        params: dict[str, Any] = {
            "return_full_object": "true", "key_alias": alias, "size": PAGE_SIZE
        }
        if substring:
            params["substring_matching"] = "true"  # case-insensitive "contains"
        body = self._read("GET", "/key/list", params=params)
        return [k for k in body.get("keys", []) if isinstance(k, dict)]

    def key_by_token(self, token: str) -> dict[str, Any] | None:
        """The live key with this sha256, or None (never created, or deleted)."""
        try:
            body = self._read("GET", "/key/info", params={"key": token})
        except NotFound:
            return None
        info = dict(body.get("info") or {})
        # A deleted key still answers, from the archive, with status "deleted".
        return None if info.get("status") == "deleted" else {**info, "token": token}

    def generate_key(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a key whose raw value the caller chose (body["key"]). After an unclear
        outcome the key is looked up by its sha256 before the create is sent again."""
        raw = str(body["key"])
        token = hashlib.sha256(raw.encode()).hexdigest()

        def created() -> dict[str, Any] | None:
            return {"key": raw, "token": token} if self.key_by_token(token) else None

        return dict(
            self.retry.call(lambda: self._call("POST", "/key/generate", json=body), verify=created)
        )

    def update_key(self, token: str, fields: dict[str, Any]) -> dict[str, Any]:
        return dict(self._read("POST", "/key/update", json={"key": token, **fields}))

    def block_key(self, token: str) -> dict[str, Any]:
        return dict(self._read("POST", "/key/block", json={"key": token}))

    def unblock_key(self, token: str) -> dict[str, Any]:
        return dict(self._read("POST", "/key/unblock", json={"key": token}))

    def delete_key(self, token: str) -> dict[str, Any]:
        def gone() -> dict[str, Any] | None:
            return None if self.key_by_token(token) else {"deleted_keys": [token]}

        def send() -> Any:
            return self._call("POST", "/key/delete", json={"keys": [token]})

        return dict(self.retry.call(send, verify=gone))


def read(client: Any) -> list[dict[str, Any]]:
    """The rows a plan diffs; the apply lease is a key of the gateway's but never planned. A
    marker is the tool's only where the gateway's records prove it (kinds/key/ownership.py)."""
    admins = client.pool.submit(client.admin_identities)
    rows = client.list_keys(fields=LIVE_KEY_FIELDS)
    trusted = admins.result()
    return vet_keys(without_record_rows(without_lease_rows(rows, trusted), trusted), trusted)


class KeyWriter:
    """Carries out key changes. Holds what one apply learns on the way: the keys it created
    (for the duplicate check) and the spend of keys it rotated out (for their successors)."""

    def __init__(self, client: KeyCalls, sink: SecretSink | None) -> None:
        self.client = client
        self.sink = sink
        self.created: dict[str, str] = {}  # alias -> token of the key this run created
        self.rotated_spend: dict[str, float] = {}  # token rotated out -> its spend then
        # Revocations made effective on every replica, and when (gateway/revoke.py).
        self.revoker = Revoker(client)
        # Sinks (a file, a vault command) are not assumed to take two secrets at once.
        self._sink_lock = threading.Lock()

    def create(self, change: Change) -> str:
        """Secret first: the raw key is chosen here and stored in the sink BEFORE the gateway
        hears of it, so the gateway never holds a key whose secret the sink lacks. A sink
        failure creates nothing; an unclear create is looked up by token, never repeated."""
        assert self.sink is not None  # apply_plan checked this before any call
        raw = "sk-" + secrets.token_urlsafe(32)
        token = hashlib.sha256(raw.encode()).hexdigest()
        body = {k: v for k, v in change.after.items() if v is not None}
        if body.get("blocked") is False:
            body.pop("blocked")  # LiteLLM's default (null) already means "not blocked"
        body.update(self._carried_spend(change))
        with self._sink_lock:
            self.sink.deliver(agent=change.target, raw_key=raw, token=token)
        try:
            self.client.generate_key({**body, "key": raw})
        except GatewayError as exc:
            raise GatewayError(
                f"{exc} (the secret of {mask_key(raw)} is already in the sink: if the gateway "
                "made the key it is usable, if not the next apply creates it)"
            ) from None
        self.created[change.target] = token
        return f"created {mask_key(raw)}; secret delivered"

    def _carried_spend(self, change: Change) -> dict[str, float]:
        """A rotation's successor starts from the old key's spend, read when the old key was
        moved out (or now, when an earlier run moved it), so the budget does not restart."""
        source = (change.spec or {}).get("spend_from")
        if source is None:
            return {}
        spend = self.rotated_spend.get(str(source))
        if spend is None:
            row = self.client.key_by_token(str(source)) or {}
            spend = row.get("spend")
        return {"spend": float(spend)} if isinstance(spend, int | float) and spend > 0 else {}

    def rotate(self, change: Change) -> str:
        # One call: the alias is freed for the successor, and the lifetime ends the grace.
        row = self.client.update_key(str(change.ref), change.after)
        spend = row.get("spend")
        if isinstance(spend, int | float):
            self.rotated_spend[str(change.ref)] = float(spend)
        return (f"moved to {change.after.get('key_alias')}; works for "
                f"{change.after.get('duration')} more")

    def update(self, change: Change) -> str:
        done = "updated " + ", ".join(_visible_fields(change))
        token = str(change.ref)
        if not is_revocation(change):  # a widening may reach other replicas late
            self.client.update_key(token, change.after)
            return done
        force = self.revoker.update(change.address, token, change.after,
                                    lambda: self.client.update_key(token, change.after))
        return f"{done}; {force.text()}"

    def adopt(self, change: Change) -> str:
        # /key/update keeps the secret and the spend; only the listed fields are written.
        self.client.update_key(str(change.ref), change.after)
        return "adopted (marker stamped; secret and spend kept)"

    def block(self, change: Change) -> str:
        force = self.revoker.block(change.address, str(change.ref),
                                   lambda: self._set_blocked(change, True))
        return f"blocked; {force.text()}"

    def unblock(self, change: Change) -> str:
        self._set_blocked(change, False)
        return "unblocked"

    def _set_blocked(self, change: Change, blocked: bool) -> None:
        metadata = (change.spec or {}).get("metadata")
        if metadata is None:
            (self.client.block_key if blocked else self.client.unblock_key)(str(change.ref))
            return
        # One call records, with the block, that the tool made it (see kinds/key/holds.py).
        self.client.update_key(str(change.ref), {"blocked": blocked, "metadata": metadata})

    def delete(self, change: Change) -> str:
        # A delete is not broadcast to other replicas (even with Redis) and cannot be sent to
        # them (the row is gone): a block first, everywhere, makes it effective at once.
        token = str(change.ref)
        force = self.revoker.block(change.address, token, lambda: self.client.block_key(token))
        self.client.delete_key(token)
        return f"deleted (blocked first); {force.text()}"

    def finish(
        self, changes: list[Change], attempt: Callable[[Change], StepResult],
        on_step: Callable[[StepResult], None],
    ) -> list[StepResult]:
        """After creating keys: no alias may have two managed keys (e.g. an apply of an older
        version ran at the same time). The key this run created stays; extras are deleted."""
        if not self.created:
            return []
        markers = {
            (c.after.get("metadata") or {}).get(MARKER_FIELD)
            for c in changes
            if c.is_(KIND, Verb.CREATE)
        }
        by_alias: dict[str, list[dict[str, Any]]] = {}
        for row in self.client.list_keys():
            if (row.get("metadata") or {}).get(MARKER_FIELD) in markers and row.get("key_alias"):
                by_alias.setdefault(str(row["key_alias"]), []).append(row)
        results = []
        for alias, rows in sorted(by_alias.items()):
            if len(rows) < 2:
                continue
            keep = self.created.get(alias) or min(
                rows, key=lambda r: (r.get("blocked") is True, str(r.get("created_at")))
            )["token"]
            for row in rows:
                if row["token"] == keep:
                    continue
                extra = change(
                    Verb.DELETE, alias, ref=str(row["token"]), label=row.get("key_name"),
                    before={"blocked": row.get("blocked") is True},
                    reason="a second managed key for this alias "
                    "(another apply ran at the same time)",
                )
                results.append(attempt(extra))
                on_step(results[-1])
        return results


def _visible_fields(change: Change) -> list[str]:
    """The fields a person changed: metadata is always sent (it carries the tool's record),
    but named only when something besides the tool's bookkeeping in it changed."""
    names = sorted(change.after)
    if "metadata" in names and user_metadata(change.before.get("metadata") or {}) == (
        user_metadata(change.after["metadata"])
    ):
        names.remove("metadata")
    return names or ["the tool's record"]
