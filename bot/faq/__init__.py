"""The trainer workflow: FAQ data editing, checks, suggestions from escalations, review.

- :mod:`bot.faq.store`: write the FAQ YAML (``data/nlu/faq_*.yml`` examples,
  ``config/domain/faq.yml`` answers) with minimal, diff-friendly text edits;
  :mod:`bot.faq.reader` reads it, :mod:`bot.faq.nlu_file` and :mod:`bot.faq.domain_file`
  hold the files as lines, :mod:`bot.faq.schema` the names, paths and input checks
  (:class:`~bot.faq.schema.FaqError`), :mod:`bot.faq.from_file` the ``--from-file`` format;
- :mod:`bot.faq.check`: ``carebot faq check`` (what would hurt the bot, and where);
- :mod:`bot.faq.suggest`: clusters of escalated questions → proposals;
- :mod:`bot.faq.review`: the review list in Redis (suggestions and agents' flags), accept /
  edit / reject, JSON-ready for the workspace; :mod:`bot.faq.proposal` (one proposal's
  fields) and :mod:`bot.faq.review_keys` (its Redis keys, message fingerprints);
- :mod:`bot.faq.flag`: an agent's "should have been FAQ X" / "new FAQ" flag of a message;
- :mod:`bot.cli.faq`: ``carebot faq …`` (list/show/add/edit/remove/check and the parser),
  :mod:`bot.cli.faq_review` (suggest/review/flag), :mod:`bot.cli.faq_base` (shared helpers,
  ``carebot train --reload``);
- :mod:`bench.faq_measure`: times ``faq add`` → the running bot answering (and the baseline).

See ``docs/trainers.md``.
"""
