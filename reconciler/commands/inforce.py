"""After apply: when the models and routing it changed are served by every replica.

Key revocations say it on their own step lines (gateway/revoke.py). Model and routing changes
reach the other replicas at their next reload: without --wait the bound is said, with it the
command returns once every replica serves them (gateway/wait.py), or exits 1 at the deadline.
"""

from __future__ import annotations

import sys

from reconciler.commands.common import EXIT_ERROR, EXIT_OK
from reconciler.gateway.client import GatewayClient
from reconciler.gateway.executor import ApplyReport, StepStatus
from reconciler.gateway.wait import wait_served

_KINDS = ("model", "routing")


def say_served(client: GatewayClient, report: ApplyReport, wait: float | None) -> int:
    changes = [r.change for r in report.results
               if r.status is StepStatus.DONE and r.change.kind in _KINDS]
    if not changes:
        return EXIT_OK
    if wait is None:
        print("note: other replicas serve the model and routing changes at their next reload "
              "(30 s; about 10 s with Redis); apply --wait waits until every replica does",
              flush=True)
        return EXIT_OK
    targets = list(client.replicas.clients) if client.replicas is not None else [client]
    print(f"Waiting until {len(targets)} replica(s) serve {len(changes)} change(s)...",
          flush=True)
    served = wait_served(targets, changes, wait, lambda line: print(line, flush=True))
    for item in served:
        print(item.text(len(targets)), flush=True,
              file=sys.stdout if item.seconds is not None else sys.stderr)
    if client.replicas is None:
        print("note: no replicas named ($LITELLM_REPLICA_URLS): checked through the base URL "
              "only, which is one replica behind a load balancer", flush=True)
    return EXIT_OK if all(s.seconds is not None for s in served) else EXIT_ERROR
