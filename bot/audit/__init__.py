"""The answer audit: supervisors check a sample of the bot's own FAQ answers after launch.

How a brand knows the bot is right on real traffic, not only in a benchmark:

1. **Sampling** (:mod:`bot.audit.sampling`, pure; called by ``actions/respond.py`` through
   :mod:`bot.audit.record`): every FAQ answer the bot sends is drawn with probability
   ``CAREBOT_AUDIT_RATE`` (default 5%) by a hash of its message id (deterministic: the same
   message is always drawn or not, tests choose ids), and *every* answer whose confidence is
   within ``CAREBOT_AUDIT_MARGIN`` of its answer threshold is audited too. Escalations are never
   audited (a person saw them).
2. **Store** (:mod:`bot.audit.store`, Redis, keys ``{p}:audit:*`` of
   :class:`bot.queue.keys.Keys`): the sampled answers wait for a verdict; recording and marking
   are one Lua script each (:mod:`bot.audit.scripts`); bounded by ``CAREBOT_AUDIT_MAX_PENDING``
   and ``CAREBOT_RETENTION_DAYS``.
3. **Verdicts** (:mod:`bot.audit.verdict`): a supervisor marks each answer right or wrong; a
   wrong one becomes a trainer proposal in the FAQ review list (:mod:`bot.faq.review`): new
   examples for the FAQ it should have been, a new FAQ, or a *negative* example (the message
   should not have been answered: accepted into the ``out_of_scope`` class).
4. **Precision** (:mod:`bot.audit.precision`): right / (right + wrong) with a Wilson 95%
   interval, **from the rate-sampled answers only**. The low-confidence extras are all the
   answers near the threshold, not a uniform sample: counting them in would bias the estimate
   low, so they are reported apart (their own precision). A low-confidence answer that was also
   drawn by the rate counts in both.

Surfaces: ``/api/audit…`` and the ``/audit`` page (``bot.workspace.audit_routes``),
``carebot audit`` (``bot.cli.audit``), ``carebot stats`` / ``GET /api/overview`` (``audit``),
``/metrics`` (``carebot_audit_*``).
"""
