"""Fault tests (marker `faults`): each breaks one part of production on purpose and checks
that members lose nothing and the site recovers by itself.

- test_worker_killed: a worker SIGKILLed mid-parse of a full-size file (pool process, or the
  whole worker), redelivered or re-queued by the beat sweeper, completed once, every genotype
  checked against the generator.
- test_redis_outage: Redis (broker and cache) stopped while a member uploads.
- test_postgres_restart: PostgreSQL restarted under load, and a database that never answers.
- test_stripe_outages: webhooks while the worker is down, and while Redis is down (Stripe down
  at checkout is in tests/members/test_checkout.py).
- test_webhook_storm: 243 events for 50 members, each delivered twice, shuffled, 16 at once.

Every outage happens to a private Redis or PostgreSQL the test starts (processes.py); the
machine's shared services are never stopped. Run them alone with `pytest -m faults`.
"""
