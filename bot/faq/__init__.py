"""The trainer workflow: FAQ data editing, checks, suggestions from escalations, review.

- :mod:`bot.faq.store`: read and write the FAQ YAML (``data/nlu/faq_*.yml`` examples,
  ``config/domain/faq.yml`` answers) with minimal, diff-friendly text edits;
- :mod:`bot.faq.check`: ``carebot faq check`` (what would hurt the bot, and where);
- :mod:`bot.faq.suggest`: clusters of escalated questions → proposals;
- :mod:`bot.faq.review`: the review list in Redis (suggestions and agents' flags), accept /
  edit / reject, JSON-ready for the workspace;
- :mod:`bot.faq.flag`: an agent's "should have been FAQ X" / "new FAQ" flag of a message;
- :mod:`bot.faq.cli`: ``carebot faq …`` (list/show/add/edit/remove/check and the parser),
  :mod:`bot.faq.review_cli` (suggest/review/flag), :mod:`bot.faq.cli_base` (shared helpers,
  ``carebot train --reload``);
- :mod:`bot.faq.measure`: times ``faq add`` → the running bot answering (and the baseline).

See ``docs/trainers.md``.
"""
