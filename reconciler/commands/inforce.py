"""After apply: when the models and routing it changed are served by every replica.

Key revocations say it on their own step lines (gateway/revoke.py). Model and routing changes
reach other replicas at their next reload: with replicas named, each is made to reload now
(gateway/wait.py) and that is said per replica; without, the bound is said. With --wait the
command returns once every replica serves them, or exits 1 at the deadline.
"""

from __future__ import annotations

import sys

from reconciler.commands.common import EXIT_ERROR, EXIT_OK
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.executor import ApplyReport, StepStatus
from reconciler.gateway.wait import reload_everywhere, wait_served

_KINDS = ("model", "routing")


def say_served(client: GatewayClient, report: ApplyReport, wait: float | None) -> int:
    changes = [r.change for r in report.results
               if r.status is StepStatus.DONE and r.change.kind in _KINDS]
    if not changes:
        return EXIT_OK
    reloaded = False
    if client.replicas is not None:
        confirmations = reload_everywhere(client.replicas)
        failed = [c for c in confirmations if not c.ok]
        reloaded = not failed
        for c in failed:
            print(f"warning: replica {c.url} did not reload ({c.detail}): it serves the model "
                  "and routing changes at its next reload (30 s)", file=sys.stderr, flush=True)
        if reloaded:
            print(f"Models and routing reloaded from the database on every replica "
                  f"({len(confirmations)}) {max(c.seconds for c in confirmations):.2f} s "
                  "after apply.", flush=True)
    elif wait is None:
        print("note: other replicas serve the model and routing changes at their next reload "
              "(30 s; about 10 s with Redis); name them in $LITELLM_REPLICA_URLS to reload "
              "them at once, apply --wait to wait until they serve them", flush=True)
    if wait is None:
        return EXIT_OK
    targets = list(client.replicas.clients) if client.replicas is not None else [client]
    print(f"Waiting until {len(targets)} replica(s) serve {len(changes)} change(s)...",
          flush=True)
    served = wait_served(targets, changes, wait, lambda line: print(line, flush=True),
                         reloaded=reloaded)
    for item in served:
        print(item.text(len(targets)), flush=True,
              file=sys.stdout if item.seconds is not None else sys.stderr)
    if client.replicas is None:
        print("note: no replicas named ($LITELLM_REPLICA_URLS): checked through the base URL "
              "alone, which is one replica behind a load balancer", flush=True)
    return EXIT_OK if all(s.seconds is not None for s in served) else EXIT_ERROR
