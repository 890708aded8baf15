"""Braid from Python: one question, the plan that routed it, the fused answer and its provenance.

braid demo &                        # or any Braid server; BRAID_URL says where
python quickstart.py "Which countries border France?"
"""

import sys

from braid_client import BraidClient, BraidError

question = sys.argv[1] if len(sys.argv) > 1 else "Which countries border France?"

with BraidClient() as braid:  # $BRAID_URL (default http://127.0.0.1:7878), $BRAID_API_KEY
    try:
        answer = braid.query(question, k=5)
    except BraidError as e:  # the server's code, message and field, or "unreachable"
        sys.exit(f"Braid could not answer: {e}")

    plan = answer.plan
    print(f"{question!r} → routes {plan.selected} (primary {plan.primary})")
    for decision in plan.routes:
        print(f"  {decision.route:<6} p={decision.score:.2f}  {'; '.join(decision.reasons[:2])}")
    for hit in answer.results:
        found_by = ", ".join(f"{s.route}#{s.rank}" for s in hit.sources)
        print(f"{hit.score:.4f}  {hit.title:<28} [{hit.kind}, found by {found_by}]")
        for fact in hit.facts:
            print(f"        {fact}")
        if hit.thumbnail:
            print(f"        image: {braid.absolute_url(hit.thumbnail)}")
